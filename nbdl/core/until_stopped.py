"""Training until stopped, as the TensorFlow Playground trains until paused: a callback that moves
the fit's end on by a block of epochs whenever the fit reaches it. Stop, early stopping or
divergence end the fit as usual; afterwards the run is as any stopped run (its next fit goes on to
the end of the block under way), and its config's epochs are what they were."""
from __future__ import annotations

from typing import Any

from .callbacks import USER, Callback
from .errors import NbdlError


class UntilStopped(Callback):
    """``run.fit(callbacks=[UntilStopped()])`` trains until ``run.stop()`` (from another thread) or
    a kernel interrupt. ``block``: epochs added each time the end is reached (default: the run's
    configured epochs). ``on`` may be switched while the fit runs: off, the fit ends at the end of
    the block under way. Epochs set by someone else during the fit (``run.update(epochs=...)``)
    end the loop there."""

    order = USER
    adds_figures = False

    def __init__(self, block: int | None = None, on: bool = True):
        if block is not None and (isinstance(block, bool) or not isinstance(block, int) or block < 1):
            raise NbdlError(f"block is a number of epochs (1 or more), or None for the run's epochs; got {block!r}")
        self.block, self.on = block, on
        self._start = 0
        self._epochs: int | None = None  # the config's epochs when the fit started, given back at its end
        self._set: int | None = None     # the epochs this callback last set (a change by someone else is kept)

    def on_fit_start(self, run: Any) -> None:
        self._start, self._epochs, self._set = run.epoch, run.config.epochs, None

    def on_epoch_end(self, run: Any, logs: dict[str, float]) -> None:
        if run.config.epochs != (self._set if self._set is not None else self._epochs):
            self.on = False  # someone set the epochs during the fit (run.update): that end holds
        if self.on and not run.stop_training and run.epoch >= run.target_epoch:
            block = self.block or max(self._epochs or 0, 1)
            self._set = run.epoch - self._start + block
            run.update(epochs=self._set)  # the fit's end moves to block epochs from now

    def on_fit_end(self, run: Any) -> None:
        if self._set is not None and run.config.epochs == self._set:
            run.update(epochs=self._epochs)  # outside a fit: only the config changes, not where it ended
