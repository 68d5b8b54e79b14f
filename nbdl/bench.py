"""Training speed, side by side in one process: ``python -m nbdl.bench [--write docs/benchmarks.md]``.

Each contender trains the same network on the same tensors with the same batch size and epochs:
nbdl with and without live plots, a hand-written PyTorch loop slicing tensors (default settings),
the same loop through ``torch.utils.data.DataLoader``, and skorch."""
from __future__ import annotations

import argparse
import copy
import base64
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

import nbdl
from nbdl.core.callbacks import Scoring
from nbdl.core.data import from_arrays
from nbdl.html import Progress
from nbdl.plots.live import LivePlot


@dataclass
class Case:
    name: str
    network: str
    data: object
    batch_size: int
    epochs: int
    loss: Callable = F.cross_entropy


def cases(quick: bool = False) -> list[Case]:
    rng = torch.Generator().manual_seed(0)
    y = torch.arange(40_000) % 10
    X = torch.randn(40_000, 100, generator=rng) + 0.8 * torch.randn(10, 100, generator=rng)[y]
    return [
        Case("digits MLP 64-128-128-10, Adam, batch 32", "input 64\ndense 128 relu\ndense 128 relu\ndense 10 softmax",
             "digits", 32, 2 if quick else 200),
        Case("digits images CNN conv16-pool-conv32-pool-64-10, Adam, batch 32",
             "input 1x8x8\nconv 16 3 relu padding=1\nmaxpool 2\nconv 32 3 relu padding=1\nmaxpool 2\nflatten\n"
             "dense 64 relu\ndense 10 softmax", "digits_images", 32, 2 if quick else 60),
        Case("adding problem, 10k sequences of 50 steps, LSTM 32, Adam, batch 64", "input seq 2\nlstm 32\ndense 1",
             "adding", 64, 1 if quick else 3, F.mse_loss),
        Case("synthetic 40k x 100, MLP 100-256-256-10, Adam, batch 128",
             "input 100\ndense 256 relu\ndense 256 relu\ndense 10 softmax", from_arrays(X, y, name="synthetic"),
             128, 1 if quick else 3),
    ]


def _reference_model(run: nbdl.Run) -> nn.Module:
    """A plain nn.Sequential of the same layers with the same initial weights as the nbdl network."""
    layers: list[nn.Module] = []
    for block in run.model.layers:
        layers.extend(block.children() if isinstance(block, nn.Sequential) else [block])
    return copy.deepcopy(nn.Sequential(*layers))


def hand_loop(model: nn.Module, X: torch.Tensor, y: torch.Tensor, case: Case) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(case.epochs):
        order = torch.randperm(len(X))
        for start in range(0, len(X), case.batch_size):
            index = order[start:start + case.batch_size]
            loss = case.loss(model(X[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def dataloader_loop(model: nn.Module, X: torch.Tensor, y: torch.Tensor, case: Case) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=case.batch_size, shuffle=True)
    for _ in range(case.epochs):
        for xb, yb in loader:
            loss = case.loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def skorch_fit(model: nn.Module, X: torch.Tensor, y: torch.Tensor, case: Case) -> None:
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    regression = case.loss is F.mse_loss
    net = (NeuralNetRegressor if regression else NeuralNetClassifier)(
        model, criterion=nn.MSELoss if regression else nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=1e-3,
        batch_size=case.batch_size, max_epochs=case.epochs, train_split=None, verbose=0)
    net.fit(X, y)


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(case: Case, rounds: int = 3) -> list[tuple[str, float, str]]:
    """(contender, samples per second, note) for one case: the best of ``rounds`` interleaved rounds,
    so that every contender meets the same background load of a shared machine."""
    config = nbdl.Config(network=case.network, data=case.data, batch_size=case.batch_size, epochs=case.epochs,
                         seed=0, test_split=0.0)
    first = nbdl.Run(config)
    X, y = first.data.train.X, first.data.train.y
    samples = case.epochs * len(X)

    def nbdl_plain() -> str:
        run = nbdl.Run(config)
        seconds = _timed(run.fit)
        scoring = next(c for c in run.callbacks if isinstance(c, Scoring))
        return seconds, f"validation each epoch: {scoring.seconds / seconds:.1%} of wall"

    def nbdl_live() -> str:
        run = nbdl.Run(config)
        live = LivePlot(lambda png: base64.b64encode(png))
        seconds = _timed(lambda: run.fit(callbacks=[live, Progress(lambda html: None)]))
        return seconds, f"plotting: {live.seconds / seconds:.1%} of wall, {live.renders} pictures"

    def nbdl_diagnostics() -> str:
        run = nbdl.Run(config.replace(diagnostics=True))
        seconds = _timed(run.fit)
        return seconds, (f"instruments: {run.recorder.seconds / seconds:.1%} of wall, {len(run.instruments)} records "
                         f"in {run.epoch} epochs")

    def plain(loop):
        def contender():
            model = _reference_model(nbdl.Run(config))
            return _timed(lambda: loop(model, X, y, case)), ""
        return contender

    contenders = {"nbdl, live plots on": nbdl_live, "nbdl, plots off": nbdl_plain,
                  "nbdl, plots off, --diagnostics": nbdl_diagnostics,
                  "hand-written loop, tensor slicing": plain(hand_loop),
                  "hand-written loop, DataLoader": plain(dataloader_loop), "skorch": plain(skorch_fit)}
    best: dict[str, tuple[float, str]] = {}
    for _ in range(rounds):
        for name, contender in contenders.items():
            try:
                seconds, note = contender()
            except ImportError:
                seconds, note = float("inf"), "not installed: pip install skorch"
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, note)
    return [(name, samples / seconds, note) for name, (seconds, note) in best.items()]


def load_ext_seconds() -> tuple[float, float]:
    """Seconds for ``import torch``, then for ``%load_ext nbdl`` after it, in a fresh process."""
    code = ("import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter()\n"
            "from IPython.core.interactiveshell import InteractiveShell; shell = InteractiveShell.instance()\n"
            "t2 = time.perf_counter(); shell.run_line_magic('load_ext', 'nbdl'); t3 = time.perf_counter()\n"
            "print(t1 - t0, t3 - t2)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def report(quick: bool = False) -> str:
    lines = [f"Machine: {cpu_name()} ({platform.machine()}), {torch.get_num_threads()} torch threads available, "
             f"Python {platform.python_version()}, torch {torch.__version__}, "
             f"CUDA {'yes' if torch.cuda.is_available() else 'no'}.", ""]
    for case in cases(quick):
        rows = measure(case, rounds=1 if quick else 3)
        base = dict((name, speed) for name, speed, _ in rows)["hand-written loop, tensor slicing"]
        lines += [f"### {case.name}, {case.epochs} epochs (best of {1 if quick else 3} interleaved rounds)", "",
                  "| contender | samples/s | vs. hand-written slicing loop | note |", "|---|---:|---:|---|"]
        lines += [f"| {name} | {speed:,.0f} | {speed / base:.2f}x | {note} |" for name, speed, note in rows]
        lines.append("")
    from nbdl import bench_learning, bench_many, bench_search

    lines += [bench_many.report(quick), bench_search.report(trials=4, epochs=3) if quick else
              bench_search.report(repeat=2), bench_learning.report(quick)]
    torch_s, ext_s = load_ext_seconds()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += [f"`import torch`: {torch_s:.2f} s; `%load_ext nbdl` after it: {ext_s:.2f} s.",
              f"Peak memory of this benchmark process: {peak:,.0f} MiB.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nbdl.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="FILE", help="also write the table into this markdown file")
    parser.add_argument("--quick", action="store_true", help="a few epochs only (a smoke test)")
    args = parser.parse_args(argv)
    text = report(args.quick)
    print(text)
    if args.write:
        with open(args.write, "w") as f:
            f.write(HEADER + text)


HEADER = """# Benchmarks

Made by `python -m nbdl.bench --write docs/benchmarks.md`: every contender trains the same network
from the same initial weights on the same tensors, batch size and epochs, in one process; each
figure is the best of three interleaved rounds (this machine is shared and its speed drifts by up
to 30% between minutes, so the ratios within a table are what to read).

Where nbdl's speed comes from, on small networks on a CPU:
- the optimizer's fused kernel, called directly after the first step (torch.optim's `step()`
  spends ~100 us of Python per call around that kernel); parity tests check it step for step
  against `torch.optim` with `fused=True`;
- one torch thread when a step is small (two threads lose to one below ~1e7 parameter-samples
  per step on this machine);
- batches as slices of tensors shuffled once per epoch, no per-batch host syncs (figures are
  summed on the device and read once per epoch), gradients cleared by setting them to None,
  validation in `inference_mode`;
- live plots that blit onto a saved background and wait longer after a slow render.

With `--diagnostics` the per-layer instruments look at a fixed batch of 256 samples at epoch ends
(one forward pass, no extra backward: the gradient is the last step's) within 5% of the wall time
once they have taken 0.05 s: a long run of millisecond epochs is recorded every few epochs, a
short run at every one.

Many small runs of one shape train as one stacked model (`nbdl/core/stacked.py`): weights with a
leading run dimension, one batched matrix product per layer for all runs, gradients written per
layer with the same kernels autograd calls, one optimizer step over the stack, each run's own
batch order and dropout draws. Comparisons, grids and grid or random searches take this path when
they can. Searches that cannot (or TPE, which learns from each trial) spread over worker
processes, one torch thread each; "working span" in their table runs from the first trial's start
to the last trial's end, and the wall time adds the workers' start (~2 s of `import torch`).

The reinforcement- and meta-learning tables (`python -m nbdl.bench_learning` alone) are learning
figures with the seconds they took: with fixed seeds the episodes, returns, MSEs and accuracies are
the same on every run here; the seconds are this machine's (one torch thread).

`torch.compile` was tried on the digits MLP: after 18 s of compiling, its steps ran at 66k
samples/s against 78k eager, so nbdl does not offer it by default. On a GPU (`device="auto"`)
the data stay on the device and the loss is read every 25 steps instead of every step.

"""


if __name__ == "__main__":
    main()
