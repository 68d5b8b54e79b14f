"""Callbacks: what listens to a run's events. Plots, panels, early stopping and tuning are callbacks.

The trainer calls ``on_fit_start(run)``, ``on_epoch_end(run, logs)``, ``on_batch_end(run, logs)``
and ``on_fit_end(run)``. Callbacks read and write the run's ``history`` and never call each other.
A plain function ``fn(run, logs)`` is accepted and called at every epoch end.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch

from .errors import NbdlError


class Callback:
    """Override the hooks you need; each does nothing by default."""

    def on_fit_start(self, run: Any) -> None: ...
    def on_epoch_end(self, run: Any, logs: dict[str, float]) -> None: ...
    def on_batch_end(self, run: Any, logs: dict[str, Any]) -> None: ...
    def on_fit_end(self, run: Any) -> None: ...


class FunctionCallback(Callback):
    """Calls ``fn(run, logs)`` at the end of every epoch."""

    def __init__(self, fn: Callable[[Any, dict[str, float]], None]):
        self.fn = fn

    def on_epoch_end(self, run, logs):
        self.fn(run, logs)


def as_callback(callback: Callback | Callable) -> Callback:
    if isinstance(callback, Callback):
        return callback
    if callable(callback):
        return FunctionCallback(callback)
    raise NbdlError(f"a callback must be a Callback or a function fn(run, logs), got {callback!r}")


class EarlyStopping(Callback):
    """Stops when ``monitor`` has not improved for ``patience`` epochs; with ``restore_best`` the
    model gets back the weights of its best epoch when the fit ends."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 restore_best: bool = True):
        if patience < 1:
            raise NbdlError(f"patience must be >= 1 epochs, got {patience}")
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

    def on_epoch_end(self, run, logs):
        if self.monitor not in logs:
            raise NbdlError(f"early stopping monitors {self.monitor!r} but the run logs only: {', '.join(logs)}")
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, logs["epoch"], 0
            if self.restore_best:
                self.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                run.stop_training = True
                run.stop_reason = (f"early stopping: {self.monitor} has not improved for {self.patience} epochs "
                                   f"(best {value if self.best_epoch is None else self.best:.4g} at epoch {self.best_epoch})")

    def on_fit_end(self, run):
        if self.restore_best and self.best_state is not None:
            run.model.load_state_dict(self.best_state)
            run.best_epoch = self.best_epoch
