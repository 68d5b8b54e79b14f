"""Many small runs: one after another against one stacked model, ``python -m nbdl.bench_many``.

The issue's case: the moons MLP 2-16-16-2 with Adam, batch 32, 60 epochs. 16 separate
``nbdl.train`` calls, one after the other in this process, against the same 16 runs (seeds 0-15)
trained as one stacked model by ``many.train_many``; then a 64-run grid (4 learning rates x 16
seeds) stacked. Both sides build their runs (data, split, first weights) inside the time. Rounds
are interleaved and the best of each kept, so that both meet the same background load of a shared
machine; the table also gives the largest difference between a stacked run's history and its
sequential twin's."""
from __future__ import annotations

import argparse
import math
import time
from typing import Any

import torch

import nbdl
from nbdl.core import many, stacked

NETWORK = "input 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax"
FIGURES = ("train_loss", "train_acc", "val_loss", "val_acc", "lr")
GRID_LRS = (1e-3, 3e-3, 1e-2, 3e-2)


def _base(epochs: int) -> nbdl.Config:
    return nbdl.Config(network=NETWORK, data="moons", optimizer="adam", batch_size=32, epochs=epochs)


def sequential(epochs: int, seeds: int) -> tuple[dict[str, nbdl.Run], float, float]:
    """Runs as ``nbdl.train`` makes them (``Run(config).fit()``), one after another: the runs, seconds
    building them, seconds training them."""
    runs, building, training = {}, 0.0, 0.0
    for seed in range(seeds):
        started = time.perf_counter()
        run = nbdl.Run(_base(epochs).replace(seed=seed))
        built = time.perf_counter()
        run.fit()
        building, training = building + built - started, training + time.perf_counter() - built
        runs[f"seed={seed}"] = run
    return runs, building, training


def together(epochs: int, seeds: int, lrs: tuple[float, ...] = ()) -> tuple[dict[str, nbdl.Run], float, float]:
    """The same runs (with ``lrs``, a grid of learning rates x seeds) as ``many.train_many`` trains
    them, stacked: the runs, seconds building them, seconds checking and training them."""
    choices = {"lr": list(lrs), "seed": list(range(seeds))} if lrs else {"seed": list(range(seeds))}
    configs = many.variants(_base(epochs), many.grid(**choices))
    started = time.perf_counter()
    runs = {name: nbdl.Run(config) for name, config in configs.items()}
    built = time.perf_counter()
    if stacked.why_not(list(runs.values())) is not None:
        raise RuntimeError("the benchmark's runs do not stack")
    stacked.fit(runs, None, None)
    return runs, built - started, time.perf_counter() - built


def largest_difference(one: dict[str, nbdl.Run], other: dict[str, nbdl.Run]) -> float:
    """The largest absolute difference of any history figure between runs of the same name."""
    return max(abs(a - b) for name, run in one.items() for key in FIGURES
               for a, b in zip(run.history[key], other[name].history[key]) if not (math.isnan(a) and math.isnan(b)))


def measure(epochs: int = 60, rounds: int = 3) -> dict[str, Any]:
    """Each contender's best round (by total seconds) of ``rounds`` interleaved ones, as (building,
    training) seconds, and how far the stacked histories are from the sequential ones."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for name, contender in (("sequential 16", lambda: sequential(epochs, 16)),
                                ("stacked 16", lambda: together(epochs, 16)),
                                ("stacked 64", lambda: together(epochs, 16, GRID_LRS))):
            runs, building, training = contender()
            if name not in best or building + training < sum(best[name]):
                best[name] = (building, training)
            if name == "sequential 16":
                solo = runs
            elif name == "stacked 16":
                stack16 = runs
            else:
                grid = runs
    return {"seconds": best, "difference": largest_difference(solo, stack16),
            "statuses": sorted({run.status for run in [*stack16.values(), *grid.values()]})}


def report(quick: bool = False) -> str:
    """A markdown section: 16 runs one after another against the same 16 stacked, and a 64-run grid."""
    epochs, rounds = (3, 1) if quick else (60, 3)
    found = measure(epochs, rounds)
    seconds = found["seconds"]
    seq_build, seq_train = seconds["sequential 16"]
    seq = seq_build + seq_train

    def row(label: str, key: str, runs: int, against: int) -> str:
        build, train = seconds[key]
        total = build + train
        return (f"| {label} | {total:.3f} s | {build:.3f} s | {train:.3f} s | {total / runs * 1000:.1f} ms | "
                f"{seq * against / 16 / total:.1f}x | {seq_train * against / 16 / train:.1f}x |")

    lines = [f"### Many small runs: moons MLP 2-16-16-2, Adam, batch 32, {epochs} epochs "
             f"(best of {rounds} interleaved rounds)", "",
             "| contender | wall time | building the runs | training | per run | speed-up | training speed-up |",
             "|---|---:|---:|---:|---:|---:|---:|",
             row("16 runs, one after another (`nbdl.train`)", "sequential 16", 16, 16),
             row("16 runs stacked (`many.train_many`)", "stacked 16", 16, 16),
             row("64-run grid stacked (4 learning rates x 16 seeds), against 64 one after another", "stacked 64", 64,
                 64), "",
             "Building the runs (data, split, first weights) is the same work on both sides. The 64-run speed-up "
             "is against 4 times the 16 sequential runs. Largest difference between a stacked run's history and "
             f"the same run trained alone: {found['difference']:.1e} (float32 rounding). Runs ended: "
             f"{', '.join(found['statuses'])}. Torch threads available: {torch.get_num_threads()}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nbdl.bench_many", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs only (a smoke test)")
    print(report(parser.parse_args(argv).quick))


if __name__ == "__main__":
    main()
