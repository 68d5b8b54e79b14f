"""Nothing lost on a fault: the last good weights kept aside, and put back when the loss blows up."""
from __future__ import annotations

import copy
import math
from typing import Any

from .callbacks import GUARD, Callback
from .errors import spell
from .optimizers import kind as optimizer_kind

# How often (in steps) the weights and optimizer state are copied aside and the optimizer state
# checked. Both cost about 150 microseconds for a small network, so about 1% of the training time.
SNAPSHOT_EVERY = 50


class Snapshot:
    """A copy of the model's and optimizer's state at one step."""

    def __init__(self, run: Any) -> None:
        self.step = run.global_step
        self.model = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
        self.optimizer = _clone_state(run.optimizer.state_dict())

    def restore(self, run: Any) -> None:
        run.model.load_state_dict(self.model)
        run.optimizer.load_state_dict(self.optimizer)
        run.global_step = self.step


def _clone_state(state: dict) -> dict:
    """A copy of an optimizer's ``state_dict()``: its tensors cloned, the rest shared (numbers,
    lists of indices). Five times quicker than ``copy.deepcopy``."""
    import torch

    def clone(value):
        return value.detach().clone() if torch.is_tensor(value) else copy.deepcopy(value)

    return {"state": {index: {name: clone(value) for name, value in per_weight.items()}
                      for index, per_weight in state["state"].items()},
            "param_groups": [clone(group) for group in state["param_groups"]]}


class DivergenceGuard(Callback):
    """Checks the loss after each step (on an accelerator, where reading a value waits for the
    device, each of a fit's first ``every`` steps and then every ``every`` steps). When it is NaN
    or infinite, the weights and optimizer state go back to the last good copy (taken every
    ``SNAPSHOT_EVERY`` steps, and when the fit starts) and the run halts as ``diverged`` with
    advice."""

    order = GUARD
    adds_figures = False

    def __init__(self, every: int = 1):
        self.every = every
        self.good: Snapshot | None = None       # weights that gave a finite loss (or the fit's start)
        self.candidate: Snapshot | None = None  # weights after a step, good once a later loss is finite

    def on_fit_start(self, run):
        self.good, self.candidate, self.at_start = Snapshot(run), None, True
        self.start = run.global_step

    def on_batch_end(self, run, logs):
        step = logs["step"]
        if step % self.every and step - self.start > self.every:  # a fit's first steps: each one
            return
        value = logs["loss"].item() + (0.0 if logs.get("penalty") is None else logs["penalty"].item())
        if not math.isfinite(value):
            self.good.restore(run)
            run.halt("diverged", advice(value, run, step, self.good.step, self.at_start))
            return
        if self.candidate is not None:  # the weights after that step gave finite losses since
            self.good, self.candidate, self.at_start = self.candidate, None, False
        if step - self.good.step >= SNAPSHOT_EVERY:
            if not finite_state(run.optimizer):  # squares of huge gradients overflowed: steps go nowhere
                self.good.restore(run)
                run.halt("diverged", advice(math.inf, run, step, self.good.step, self.at_start, where="the optimizer's "
                                            "running averages of squared gradients"))
                return
            self.candidate = Snapshot(run)


def finite_state(optimizer: Any) -> bool:
    """Whether every tensor of the optimizer's per-weight state is finite."""
    import torch

    tensors = [value for state in optimizer.state.values() for value in state.values()
               if torch.is_tensor(value) and value.is_floating_point()]
    # One sum in float64 (which no sum of float32 values overflows) is non-finite when any value
    # is; only then (or for float64 state, or a device without float64) is each tensor looked at.
    try:
        if torch.isfinite(sum(t.sum(dtype=torch.float64) for t in tensors)):
            return True
    except (RuntimeError, TypeError):
        pass
    return all(torch.isfinite(t).all() for t in tensors)


def suggested_lr(lr: float, default: float) -> float:
    """A learning rate to try after a divergence: a tenth of ``lr``, or the optimizer's own default
    when ``lr`` was far above it (after lr=1e6, 1e5 would blow up too)."""
    return default if lr > 100 * default else lr / 10


def _short(number: float) -> float:
    """``number`` rounded to the digits ``:g`` shows, so that it prints as 0.3, not 0.30000000000000004."""
    return float(f"{number:g}")


def advice(value: float, run: Any, failed_step: int, good_step: int, at_start: bool, where: str = "the loss") -> str:
    kind = "NaN" if math.isnan(value) else "infinite"
    lr = run.optimizer.param_groups[0]["lr"]
    optimizer = optimizer_kind(run.config.optimizer)
    suggestion = suggested_lr(lr, optimizer.defaults["lr"])
    hints = [f"a lower learning rate ({spell('lr', _short(lr))} now, try {suggestion:g})"]
    if at_start and run.config.init != "default":  # blew up before any step went well: the first weights
        hints.insert(0, f"another initialization ({spell('init', run.config.init)} now, try 'default')")
    if not run.config.standardize:
        hints.append(f"standardized inputs ({spell('standardize')})")
    if run.config.l1 or run.config.l2:
        hints.append(f"smaller {spell('l1')}/{spell('l2')}")
    if optimizer.name != "adam":
        hints.append(f"an adaptive optimizer such as {spell('optimizer', 'adam')}")
    restored = (f"where this fit started (step {good_step})" if at_start else f"step {good_step}, the last good state")
    return (f"{where} became {kind} at epoch {run.epoch + 1}, step {failed_step}; training stopped and the weights "
            f"and optimizer state went back to {restored}. Try " + ", or ".join(hints))
