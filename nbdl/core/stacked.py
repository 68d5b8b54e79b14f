"""Many small runs trained as one stacked model (``stack.Stack``), each with the history it gets alone.

Runs that share a dense network's shape, the data's sizes, the batch size, the optimizer and the
loss, and differ in numbers (seed, so data split, first weights and batch order; learning rate,
momentum, betas, eps, weight decay, L1/L2, dropout rate, initialisation, schedule, epochs), take
every step together: one forward pass over all runs with batched matrix products, one loss summed
over the runs, one optimizer step over the stacked tensors. Each run keeps its own batch order and
dropout draws (from its own generators, in the order it draws alone), its own epoch-end machinery
(history row, schedule, early stopping, ``on_epoch``) and its own status, so each run's history
equals the one it gets alone, within float tolerance. Its ``time`` is its share of the stacked
epoch's wall time (the epoch's time over the runs trained in it). Differences from a run alone:
settings changed with ``run.update`` apply from the next epoch (alone: the next batch); pausing one
run pauses the stack; a diverged run goes back to its state at the start of the epoch in which its
loss stopped being finite (alone: the last of its snapshots, taken every 50 steps).

Contract used by ``many.train_many``:
- ``why_not(runs) -> str | None``: None when the runs can train as one stacked model, else the
  reason in plain words.
- ``fit(runs, epochs, on_epoch) -> None``: trains every run ``epochs`` more epochs (each config's
  own when None), leaving each ``Run`` as if it had trained alone: weights, optimizer state, epoch,
  global step, status. A run stopped by ``on_epoch`` (``run.halt``), by early stopping or by
  ``run.stop()`` trains no more while the others go on; a run whose loss becomes NaN or infinite
  goes back to its weights at the start of that epoch and ends ``diverged``.
"""
from __future__ import annotations

import contextlib
import re
import warnings
from typing import Any, Callable

import torch

from . import stack
from .callbacks import USER, Callback, Clock, EarlyStopping, ScheduleStep, Scoring
from .coach import Coach
from .config import setting_named
from .control import Control, stop_on_interrupt
from .errors import NbdlError
from .network import Network
from .recorder import InstrumentRecorder
from .safety import DivergenceGuard
from .stack_trainer import StackTrainer
from .tasks import CLASSIFICATION
from .trainer import DivergenceWarning

# The callbacks a run may have to stack: the built-in ones (Scoring, Clock and the guard's work
# is done here over the stack; the others are called as they are).
BUILT_IN = (DivergenceGuard, Scoring, InstrumentRecorder, Clock, ScheduleStep, Coach, EarlyStopping)
# Gradients by hand (``stack_grad``) where every layer and the loss allow it, else through autograd.
BY_HAND = True


def why_not(runs: list[Any]) -> str | None:
    """None when ``runs`` can train as one stacked model and match their solo histories; else why not."""
    if not runs:
        return "there are no runs"
    for i, run in enumerate(runs):
        reason = _alone(run)
        if reason:
            return f"run {i + 1} {reason}"
    first = runs[0]
    plan = stack.layout(first.model, first.dataset.sample_shape[0])
    if isinstance(plan, str):
        return f"the network cannot be stacked: {plan}"
    mine = _shared(first, plan)
    for i, run in enumerate(runs[1:], start=2):
        other = stack.layout(run.model, run.dataset.sample_shape[0])
        if isinstance(other, str):
            return f"run {i}'s network cannot be stacked: {other}"
        theirs = _shared(run, other)
        for what in mine:
            if mine[what] != theirs[what]:
                return f"the runs differ in {what} (run 1: {mine[what]}, run {i}: {theirs[what]})"
    return None


def _alone(run: Any) -> str | None:
    """What keeps one run out of a stack, or None."""
    config = run.config
    if run.training:
        return "is training already"
    if not isinstance(run.model, Network):
        return "has a network module of your own (stacking needs an nbdl network of dense layers)"
    if len(run.dataset.sample_shape) != 1 or getattr(run.dataset, "tokens", False):
        return "has samples that are not flat feature vectors (images, sequences or tokens train one run at a time)"
    if run.dataset.task == CLASSIFICATION and run.data.train.y.dim() != 1:
        return "has a target for every step of a sample"
    if run.batch_changes:
        return "changes its training batches (denoising, adversarial batches: each run trains alone with them)"
    for setting in ("augment", "diagnostics", "freeze"):
        if getattr(config, setting):
            return f"uses {setting} (each run trains alone with it)"
    extra = [type(c).__name__ for c in run.callbacks if type(c) not in BUILT_IN]
    if extra:
        return f"has callbacks of its own ({', '.join(extra)})"
    if type(run.optimizer) not in stack.OPTIMIZERS:
        return (f"uses optimizer {config.optimizer!r}; stacked steps are written for gd, sgd, momentum, nesterov, "
                "adam and adamw")
    groups = run.optimizer.param_groups
    if len(groups) != 1 or len(groups[0]["params"]) != len(list(run.model.parameters())):
        return "trains only some of its parameters"
    group = groups[0]
    if group.get("maximize") or group.get("amsgrad") or group.get("dampening", 0) != 0:
        return "uses an optimizer option stacking does not have (maximize, amsgrad or dampening)"
    if run.loss.name not in stack.LOSSES:
        return f"uses the loss {run.loss.name!r}, which stacking does not have"
    if any(p.dtype != torch.float32 for p in run.model.parameters()):
        return "has weights that are not float32"
    return None


def _shared(run: Any, plan: stack.Layout) -> dict[str, Any]:
    """What every run of a stack must have alike."""
    group = run.optimizer.param_groups[0]
    return {"network": " / ".join(plan.signature), "device": str(run.device),
            "optimizer": (type(run.optimizer).__name__ + (" (nesterov)" if group.get("nesterov") else "")
                          + (" (decoupled weight decay)" if group.get("decoupled_weight_decay") else "")),
            "loss": run.loss.name, "task": run.dataset.task, "batch size": run.batch_size,
            "training samples": len(run.data.train), "validation samples": len(run.data.val),
            "target shape": tuple(run.data.train.y.shape[1:])}


class _Tell(Callback):
    """Tells ``on_epoch`` after each epoch, where a user's callback would hear it."""

    order = USER

    def __init__(self, name: str, on_epoch: Callable[[str, Any], None]):
        self.name, self.on_epoch = name, on_epoch

    def on_epoch_end(self, run, logs):
        self.on_epoch(self.name, run)


def fit(runs: dict[str, Any], epochs: int | None, on_epoch: Callable[[str, Any], None] | None) -> None:
    """Train every run ``epochs`` more epochs (each config's own when None) as one stacked model."""
    reason = why_not(list(runs.values()))
    if reason:
        raise NbdlError(f"these runs cannot train as one stacked model: {reason}")
    if epochs is not None:
        epochs = setting_named("epochs").check(epochs, "epochs")
    listeners = {name: sorted([*run.callbacks, *([_Tell(name, on_epoch)] if on_epoch else [])], key=lambda c: c.order)
                 for name, run in runs.items()}
    with warnings.catch_warnings():
        # The leaves are views into one (runs, parameters) tensor, their gradients views into another:
        # torch notes once that such gradients are not laid out as it prefers (they are correct).
        warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")
        # The schedulers look for a call of optimizer.step(); the stacked steps update the weights themselves.
        warnings.filterwarnings("ignore", message=re.escape("Detected call of `lr_scheduler.step()` before"))
        with contextlib.ExitStack() as sessions:
            for name, run in runs.items():
                sessions.enter_context(run.session(run.config.epochs if epochs is None else epochs, listeners[name]))
            control = Control()
            sessions.enter_context(stop_on_interrupt(control))
            StackTrainer(runs, listeners, control, BY_HAND).train()
    for run in runs.values():
        if run.status == "diverged":
            warnings.warn(run.stop_reason, DivergenceWarning, stacklevel=2)
