"""Smith's learning-rate range test (``run.lr_find``): train from the run's current state while the
learning rate grows exponentially from ``start`` to ``end``, one mini-batch a step, recording the
loss; stop when it explodes; suggest a rate, or refuse and say why. The run is left exactly as it
was: weights, optimizer state, random generators, step count, history and status.

How the curve is read (``judge``):

- the smoothed loss at a step is the mean of the raw losses in a centred window of ``smooth`` x
  ``steps`` steps (so it does not lag behind the raw curve the way a running average does);
- the **suggestion** is a tenth of the rate where the smoothed loss is lowest (``minimum``): a rate
  still on the descent, well before the loss blows up. The rate where the smoothed loss falls
  fastest against log(rate) (``steepest``, the other common rule) is given too; on moons and digits
  it moved more from seed to seed (up to 17x against 5x for a tenth of the minimum);
- it **refuses** when the curve cannot be trusted: the loss is NaN or infinite within the first
  ``FIRST_STEPS`` steps, or before it fell; it never falls by ``DESCENT`` of where it started; it is
  lowest so near the first rate that a tenth of that is below the range (start lower); or it is too
  noisy to call: on its way down to its lowest point the smoothed loss rose again (its largest
  rise above its lowest value so far, ``noise``) by more than ``NOISE`` of its whole fall
  (``descent``). Measured on moons and digits over five seeds, clean curves (batches of 4 or more)
  rose by at most 0.16 of their fall; batches of one or two reached 0.5-1.2.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch

from .building import threads_for
from .errors import NbdlError, raise_all, spell
from .options import INT, Option

START = Option("start", 1e-7, "the first learning rate tried", low=0, low_open=True)
END = Option("end", 10.0, "the last learning rate tried (above start)", low=0, low_open=True)
STEPS = Option("steps", 100, "mini-batch steps from start to end", kind=INT, low=10, high=100_000)
SMOOTH = Option("smooth", 0.1, "the smoothing window, as a share of the steps (0: none)", low=0, high=0.5)
DIVERGE = Option("diverge", 4.0, "stop once the smoothed loss is this many times its lowest", low=1, low_open=True)
OPTIONS = (START, END, STEPS, SMOOTH, DIVERGE)

FIRST_STEPS = 5  # a loss not finite this early: nothing can be read from the curve
DESCENT = 0.1  # the least fall of the smoothed loss, as a share of where it starts, that counts as a descent
NOISE = 0.5  # the most the smoothed loss may rise again on its way down, as a share of its fall


@dataclass
class RangeTest:
    """What ``run.lr_find`` found: the rates tried and the loss at each, the suggestion (or None and
    the ``reason`` why not), and the rate of the lowest smoothed loss."""

    lrs: list[float]
    losses: list[float]  # the mini-batch loss at each step (before that step's update)
    smoothed: list[float]  # the centred moving mean of ``losses`` (NaN from the first non-finite loss)
    suggestion: float | None  # a tenth of ``minimum``; None when the curve cannot be trusted
    minimum: float | None  # the rate of the lowest smoothed loss
    steepest: float | None  # the rate where the smoothed loss falls fastest
    reason: str | None  # why there is no suggestion
    stopped: str  # why the test ended where it did
    descent: float  # how far the smoothed loss fell from its start to its lowest
    noise: float  # the largest rise of the smoothed loss on its way down (see the module's docstring)
    optimizer: str
    start: float
    end: float
    steps: int

    @property
    def flag(self) -> str | None:
        """The suggestion as a flag to copy: ``--lr 3e-3``."""
        return None if self.suggestion is None else f"--lr {short(self.suggestion)}"

    def summary(self) -> str:
        """One line: the suggestion and its flag, or why there is none."""
        if self.suggestion is None:
            return f"no learning rate suggested: {self.reason}"
        return (f"suggested learning rate {short(self.suggestion)} for {self.optimizer} (a tenth of {short(self.minimum)}, "
                f"where the loss is lowest; it falls fastest at {short(self.steepest)}): {self.flag}")

    def __repr__(self) -> str:
        return f"<RangeTest {self.optimizer}, {len(self.losses)} steps: {self.summary()}>"


def short(lr: float) -> str:
    """A rate to one significant digit, as one writes it: 3e-3, 0.3, 2."""
    mantissa, exponent = f"{lr:.0e}".split("e")
    power = int(exponent)
    return f"{mantissa}e{power}" if power < -1 or power > 2 else f"{float(f'{lr:.0e}'):g}"


def checked(given: dict[str, Any]) -> dict[str, Any]:
    """The range test's options, defaults filled in; one error lists every bad one."""
    known = {o.name: o for o in OPTIONS}
    problems = [f"lr_find takes no {name!r}; it takes {', '.join(spell(o.name) for o in OPTIONS)}"
                for name in given if name not in known]
    values = {}
    for name, option in known.items():
        try:
            values[name] = option.check(given.get(name, option.default))
        except NbdlError as error:
            problems.append(str(error))
    if not problems and values["end"] <= values["start"]:
        problems.append(f"{spell('end')} ({values['end']:g}) must be above {spell('start')} ({values['start']:g})")
    raise_all(problems, "range test's options")
    return values


def range_test(run: Any, **options: Any) -> RangeTest:
    """Run the test on ``run`` (which the caller keeps from training meanwhile) and restore it."""
    settings = checked(options)
    lrs = np.geomspace(settings["start"], settings["end"], settings["steps"]).tolist()
    window = max(1, round(settings["smooth"] * settings["steps"]))
    losses: list[float] = []
    stopped = f"reached the last rate, {short(lrs[-1])}"
    with run.lock, kept(run):
        torch.set_num_threads(threads_for(run.model, run.batch_size, run.dataset.sample_shape, run.device,
                                          run.config.threads))
        run.model.train()
        batches = shuffled_batches(run)
        best = math.inf
        for lr in lrs:
            for group in run.optimizer.param_groups:
                group["lr"] = lr
            losses.append(step(run, *next(batches)))
            if not math.isfinite(losses[-1]):
                stopped = f"the loss became {losses[-1]} at rate {short(lr)}"
                break
            recent = float(np.mean(losses[-window:]))  # the running mean: the centred one needs the future
            best = min(best, recent)
            if recent > settings["diverge"] * best and len(losses) >= window:
                stopped = f"the loss exploded (over {settings['diverge']:g}x its lowest) at rate {short(lr)}"
                break
    return judge(lrs[:len(losses)], losses, window, stopped, run.config.optimizer, settings)


def step(run: Any, X: torch.Tensor, y: torch.Tensor) -> float:
    """One optimizer step of the run on one batch, as training takes it; the batch's loss."""
    if run.augmenter is not None:
        X = run.augmenter(X)
    loss = run.loss(run.logits(X), y)
    penalty = run.penalty()
    for p in run.params:
        p.grad = None
    (loss + penalty if penalty is not None else loss).backward()
    run.optimizer.step()
    return loss.item()


def shuffled_batches(run: Any) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The run's batches, epoch after epoch, shuffled by its own generator as training shuffles them."""
    train = run.data.train
    while True:
        order = torch.randperm(len(train), generator=run.shuffle).to(run.device)
        X, y = train.X[order], train.y[order]
        for start, stop in run.batches:
            yield X[start:stop], y[start:stop]


@contextlib.contextmanager
def kept(run: Any) -> Iterator[None]:
    """Put the run back as it was afterwards, bit for bit, in place (the optimizer's fast path keeps
    references to its state tensors): weights and buffers, gradients, train/eval modes, optimizer
    state and settings, the run's generators, torch's global generator and its thread count."""
    model, optimizer = run.model, run.optimizer
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    modes = [(m, m.training) for m in model.modules()]
    grads = [(p, p.grad) for p in model.parameters()]
    state = {p: {k: v.detach().clone() if torch.is_tensor(v) else v for k, v in s.items()}
             for p, s in optimizer.state.items()}
    groups = [dict(g) for g in optimizer.param_groups]
    generators = [g for g in (run.shuffle, run.generator, getattr(run.augmenter, "generator", None)) if g is not None]
    states = [g.get_state() for g in generators]
    threads = torch.get_num_threads()
    cuda = [run.device.index or 0] if run.device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=cuda):
            yield
    finally:
        torch.set_num_threads(threads)
        model.load_state_dict(weights)  # copies into the same tensors
        for module, mode in modes:
            module.training = mode
        for p, grad in grads:
            p.grad = grad
        for p in [p for p in optimizer.state if p not in state]:
            del optimizer.state[p]
        for p, saved in state.items():
            now = optimizer.state[p]
            for key in [k for k in now if k not in saved]:
                del now[key]
            for key, value in saved.items():
                old = now.get(key)
                if torch.is_tensor(value) and torch.is_tensor(old) and old.shape == value.shape \
                        and old.dtype == value.dtype:
                    old.copy_(value)
                else:
                    now[key] = value
        for group, saved in zip(optimizer.param_groups, groups):
            for key in [k for k in group if k not in saved]:
                del group[key]
            group.update(saved)
        for generator, saved in zip(generators, states):
            generator.set_state(saved)


def centred_mean(values: np.ndarray, window: int) -> np.ndarray:
    """The mean of each value's centred window of ``window`` values (fewer at the ends)."""
    half = window // 2
    sums = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(len(values))
    low, high = np.maximum(index - half, 0), np.minimum(index + half + 1, len(values))
    return (sums[high] - sums[low]) / (high - low)


def judge(lrs: list[float], losses: list[float], window: int, stopped: str, optimizer: str,
          settings: dict[str, Any]) -> RangeTest:
    """Read the curve: a suggestion, or the reason there is none (see the module's docstring)."""
    raw = np.asarray(losses, dtype=float)
    finite = int(np.argmin(np.isfinite(raw))) if not np.isfinite(raw).all() else len(raw)
    smoothed = np.full(len(raw), np.nan)
    smoothed[:finite] = centred_mean(raw[:finite], window)
    found = dict(lrs=lrs, losses=losses, smoothed=smoothed.tolist(), stopped=stopped, optimizer=optimizer,
                 start=settings["start"], end=settings["end"], steps=settings["steps"])
    if finite < min(FIRST_STEPS, len(raw)):
        return RangeTest(**found, suggestion=None, minimum=None, steepest=None, descent=0.0, noise=math.nan, reason=(
            f"the loss was {raw[finite]} from step {finite + 1} (rate {short(lrs[finite])}): the run's weights or "
            "data give NaN or infinity already, or the first rate is far too high; check the data and weights, "
            f"or give a lower {spell('start')}"))
    curve = smoothed[:finite]
    lowest = int(np.argmin(curve))
    descent = float(curve[0] - curve[lowest])
    noise = float(np.max(curve[:lowest + 1] - np.minimum.accumulate(curve[:lowest + 1])))
    slopes = np.gradient(curve[:lowest + 1], np.log10(lrs[:lowest + 1])) if lowest else np.zeros(1)
    found.update(minimum=lrs[lowest], steepest=lrs[int(np.argmin(slopes))], descent=descent, noise=noise)
    fell = f"fell by {descent / abs(curve[0]):.0%} of its start" if curve[0] else f"fell by {descent:.3g}"
    if descent <= DESCENT * abs(curve[0]):
        if len(raw) < settings["steps"]:
            reason = (f"the loss did not fall before it diverged ({fell}; {stopped}): even the first rates are too "
                      f"high for this run; give a lower {spell('start')}, or check the data's scale")
        else:
            reason = (f"the loss never fell meaningfully ({fell}, less than {DESCENT:.0%}) between rates "
                      f"{short(lrs[0])} and {short(lrs[-1])}: the run may be trained already, or the network cannot "
                      "learn from this data at any rate; try a wider range or another network")
        return RangeTest(**found, suggestion=None, reason=reason)
    if noise > NOISE * descent:
        return RangeTest(**found, suggestion=None, reason=(
            f"too noisy to call: on its way down the smoothed loss rose again by {noise:.3g}, more than "
            f"{NOISE:.0%} of its whole fall ({descent:.3g}); use a larger {spell('batch_size')}, more "
            f"{spell('steps')} or a wider {spell('smooth')}"))
    if lrs[lowest] / 10 < lrs[0]:
        return RangeTest(**found, suggestion=None, reason=(
            f"the loss was lowest at rate {short(lrs[lowest])}, so near the first rate tried that a tenth of it lies "
            f"below the range: it was falling from the start; give a lower {spell('start')}"))
    return RangeTest(**found, suggestion=lrs[lowest] / 10, reason=None)
