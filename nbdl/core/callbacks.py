"""Callbacks: everything that listens to a run. Scoring, timing, schedules, early stopping, guarding
against divergence, checkpoints, progress and plots are callbacks, built-in or the user's.

The trainer calls, on each callback in ``order``: ``on_fit_start(run)``, ``on_epoch_start(run)``,
``on_batch_end(run, logs)`` (only for callbacks that define it: it is the hot path),
``on_epoch_end(run, logs)`` and ``on_fit_end(run)``. At an epoch's end ``logs`` is that epoch's
history row: a callback adds a figure with ``logs["name"] = value`` and every later callback (and
``run.history``) sees it. ``on_fit_end`` reads how the fit ended in ``run.status`` (finished,
stopped, diverged, interrupted, failed) and ``run.stop_reason``.

A callback with state to keep across a checkpoint gives ``state_dict()`` and
``load_state_dict(state, run)`` (plain values and tensors); it is saved under its ``state_key``. A plain function ``fn(run, logs)``
is accepted and called at every epoch end.
"""
from __future__ import annotations

import inspect
import math
import re
import time
from typing import Any, Callable

import torch

from .errors import NbdlError, spell
from .state_checks import NONNEGATIVE_BUFFERS, plausible

# Where built-in callbacks sit in the order; a user's callback is at USER unless it says otherwise.
GUARD, SCORING, CLOCK, SCHEDULE, USER, STOPPING, SAVING, VIEW = 0, 10, 20, 30, 50, 60, 80, 90


class Callback:
    """Override the hooks you need; each does nothing by default."""

    order: int = USER
    # Whether it may add figures of its own to the history (``Run.logged_figures`` lists the
    # built-in ones); early stopping can only watch a figure something logs.
    adds_figures: bool = True

    def on_fit_start(self, run: Any) -> None: ...
    def on_epoch_start(self, run: Any) -> None: ...
    def on_batch_end(self, run: Any, logs: dict[str, Any]) -> None: ...
    def on_epoch_end(self, run: Any, logs: dict[str, float]) -> None: ...
    def on_fit_end(self, run: Any) -> None: ...

    @property
    def state_key(self) -> str:
        """The name its state is saved under in a checkpoint: the class name in snake case."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    def state_dict(self) -> dict[str, Any] | None:
        """State to keep in a checkpoint (plain values and tensors); None when there is none."""
        return None

    def load_state_dict(self, state: dict[str, Any], run: Any) -> None:
        """Take back what ``state_dict`` gave (checked against ``run``); raise NbdlError for anything
        that does not fit."""


class FunctionCallback(Callback):
    """Calls ``fn(run, logs)`` at the end of every epoch."""

    def __init__(self, fn: Callable[[Any, dict[str, float]], None]):
        self.fn = fn

    def on_epoch_end(self, run, logs):
        self.fn(run, logs)


def as_callback(callback: Callback | Callable) -> Callback:
    if isinstance(callback, type):
        raise NbdlError(f"give a callback object, not its class: {callback.__name__}(...)")
    if isinstance(callback, Callback):
        if isinstance(callback.order, bool) or not isinstance(callback.order, (int, float)):
            raise NbdlError(f"a callback's order is a number (built-in ones run at 0 to 90), got {callback.order!r} in "
                            f"{type(callback).__name__}")
        return callback
    if callable(callback):
        try:
            inspect.signature(callback).bind(None, None)
        except TypeError:
            raise NbdlError(f"a function used as a callback is called as fn(run, logs) at each epoch's end; "
                            f"{getattr(callback, '__name__', callback)!r} cannot take those two arguments") from None
        except ValueError:  # a builtin without a signature: let it try
            pass
        return FunctionCallback(callback)
    raise NbdlError(f"a callback must be a Callback or a function fn(run, logs), got {callback!r:.60}")


def as_callbacks(callbacks: Any) -> list[Callback]:
    """A list of callbacks from None, one callback, or any iterable of them."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or callable(callbacks):
        return [as_callback(callbacks)]
    try:
        return [as_callback(c) for c in callbacks]
    except TypeError:
        raise NbdlError(f"callbacks must be a list of Callbacks or functions fn(run, logs), got {callbacks!r:.60}") \
            from None


def listens_to_batches(callback: Callback) -> bool:
    """Only callbacks that override ``on_batch_end`` are called per batch (the hot path)."""
    return getattr(callback.on_batch_end, "__func__", None) is not Callback.on_batch_end


class Scoring(Callback):
    """Scores the validation split at each epoch's end: ``val_loss`` and ``val_acc`` (classes) or
    ``val_mse`` and ``val_mae`` in the target's units (regression)."""

    order = SCORING
    adds_figures = False

    def __init__(self) -> None:
        self.seconds = 0.0  # spent scoring, over all fits

    def on_epoch_end(self, run, logs):
        if len(run.data.val):
            started = time.perf_counter()
            for key, value in run.evaluate("val").items():
                logs["val_acc" if key == "accuracy" else f"val_{key}"] = value
            self.seconds += time.perf_counter() - started


class Clock(Callback):
    """Logs the learning rate the epoch used (``lr``) and its wall time in seconds (``time``)."""

    order = CLOCK
    adds_figures = False

    def on_epoch_start(self, run):
        self.started = time.perf_counter()

    def on_epoch_end(self, run, logs):
        logs["lr"] = run.optimizer.param_groups[0]["lr"]
        logs["time"] = time.perf_counter() - self.started


class ScheduleStep(Callback):
    """Steps the learning-rate schedule once per epoch (``plateau`` watches the validation loss)."""

    order = SCHEDULE
    adds_figures = False

    def on_epoch_end(self, run, logs):
        scheduler = run.scheduler
        if scheduler is None:
            return
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(logs.get("val_loss", logs["train_loss"]))
        else:
            scheduler.step()


class EarlyStopping(Callback):
    """Stops when ``monitor`` has not improved for ``patience`` epochs; with ``restore_best`` the
    model gets back the weights of its best epoch when the fit ends."""

    order = STOPPING
    adds_figures = False

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best: bool = True):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 1:
            raise NbdlError(f"patience must be a whole number >= 1 epochs, got {patience!r}")
        if not isinstance(monitor, str) or not monitor:
            raise NbdlError(f"monitor names a figure of the history, such as 'val_loss', got {monitor!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not 0 <= min_delta < math.inf:
            raise NbdlError(f"min_delta must be a number >= 0, got {min_delta!r}")
        if not isinstance(restore_best, bool):
            raise NbdlError(f"restore_best must be True or False, got {restore_best!r}")
        self.monitor, self.patience, self.min_delta, self.restore_best = monitor, patience, min_delta, restore_best
        self.higher_is_better = monitor.endswith(("acc", "accuracy"))
        self.best = -math.inf if self.higher_is_better else math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.wait = 0

    def _improved(self, value: float) -> bool:
        if self.higher_is_better:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_fit_start(self, run):
        self.wait = 0
        if self.monitor not in run.logged_figures() and not any(c.adds_figures for c in run.listening):
            raise NbdlError(f"early stopping watches {spell('monitor')} {self.monitor!r}, which this run does not "
                            f"log; it logs: {', '.join(sorted(run.logged_figures() - {'epoch'}))}")

    def on_epoch_end(self, run, logs):
        if self.monitor not in logs:
            raise NbdlError(f"early stopping watches {spell('monitor')} {self.monitor!r} but the run logs only: "
                            f"{', '.join(k for k in logs if k != 'epoch')}")
        value = logs[self.monitor]
        if isinstance(value, float) and math.isnan(value):  # not measured this epoch (a skipped record)
            return
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, logs["epoch"], 0
            if self.restore_best:
                self.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                run.halt("stopped", f"early stopping: {self.monitor} has not improved for {self.patience} epochs "
                                    f"(best {self.best:.4g} at epoch {self.best_epoch})")

    def on_fit_end(self, run):
        if self.restore_best and self.best_state is not None:
            run.model.load_state_dict(self.best_state)
            run.best_epoch = self.best_epoch

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait, "best_state": self.best_state}

    def load_state_dict(self, state, run):
        best, epoch, wait = state.get("best"), state.get("best_epoch"), state.get("wait")
        if not isinstance(best, (int, float)) or isinstance(best, bool) or math.isnan(best) \
                or not (epoch is None or (isinstance(epoch, int) and 1 <= epoch <= run.epoch)) \
                or not (isinstance(wait, int) and 0 <= wait):
            raise NbdlError("the early-stopping state must hold a best value, a best epoch among the run's epochs "
                            "and a wait >= 0")
        saved = state.get("best_state")
        if saved is not None:
            own = run.model.state_dict()
            if not isinstance(saved, dict) or set(saved) != set(own):
                raise NbdlError("the early-stopping state's best weights do not name the network's weights")
            for key, tensor in saved.items():
                if not torch.is_tensor(tensor) or tensor.shape != own[key].shape or tensor.dtype != own[key].dtype:
                    raise NbdlError(f"the early-stopping state's best weight {key!r} does not fit: the network's is "
                                    f"{tuple(own[key].shape)} {own[key].dtype}")
                plausible(tensor, f"the early-stopping state's best weight {key!r}",
                          nonnegative=key.endswith(NONNEGATIVE_BUFFERS))
            saved = {k: v.to(run.device) for k, v in saved.items()}
        self.best, self.best_epoch, self.wait, self.best_state = float(best), epoch, wait, saved
