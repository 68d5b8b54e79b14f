"""Live views: callbacks that draw a picture of a run within a time budget, and the registry of
them. ``%nbdl train`` and the dashboard show every view that applies to the run, each in a place
of its own, so a new picture (the instruments, the network view) is one record here, not a branch
in the magic or the panel."""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..core.callbacks import VIEW, Callback
from ..core.registry import Registry


class LiveView(Callback):
    """Draws the run's picture with ``draw(run, final) -> png bytes`` and hands it to ``show``.

    After a picture that took ``cost`` seconds the next waits ``max(min_interval, cost / budget)``,
    so drawing takes about ``budget`` of the wall time at most. The first picture comes at the
    first epoch's end, and the last frame is always drawn when the fit ends. A picture that cannot
    be drawn never stops training: the view stops, and ``error`` says why."""

    order = VIEW
    adds_figures = False
    per_batch = False  # also draw between epochs (long epochs): the view then listens to batches

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.05, min_interval: float = 0.5):
        self.show, self.budget, self.min_interval = show, budget, min_interval
        self.seconds = 0.0  # spent drawing, over all fits
        self.renders = 0
        self.error: Exception | None = None
        self.setup = 0.0  # seconds of the last draw spent making the figure (once): they delay nothing
        self.covered: set[str] = set()  # parts another picture shown beside this one draws (see View.covers)
        self._next = 0.0

    def draw(self, run: Any, final: bool) -> bytes | None:
        """The picture as PNG bytes (None: nothing to show yet)."""
        raise NotImplementedError

    def on_fit_start(self, run):
        self._next = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self._next

    def on_epoch_end(self, run, logs):
        if self.renders == 0 or self.due():
            self.render(run)

    def on_fit_end(self, run):
        if self.renders and run.history:
            self.render(run, final=True)

    def render(self, run: Any, final: bool = False) -> None:
        if self.error is not None:
            return
        started, self.setup = time.monotonic(), 0.0
        try:
            png = self.draw(run, final)
            if png is None:  # nothing (new) to show: look again at the next chance
                return
            self.show(png)
        except Exception as error:  # noqa: BLE001 - a view's fault must not cost the run
            self.error = error
            return
        done = time.monotonic()
        self.seconds += done - started
        self.renders += 1
        self._next = done + max(self.min_interval, (done - started - self.setup) / self.budget)


class BatchView(LiveView):
    """A view that also draws between two epochs' ends when it is due (long epochs still move)."""

    def on_batch_end(self, run, logs):
        if run.history and self.due():
            self.render(run)


@dataclass(frozen=True)
class View:
    """A picture the notebook shows while a run trains: ``applies(run)`` says whether it has
    anything to show for this run; ``make(show)`` gives the view callback. ``covers``: parts of
    other pictures this one shows better (the network view's canvas covers the training picture's
    ``"regions"``), which those leave out when both are shown."""

    name: str
    title: str
    applies: Callable[[Any], bool]
    make: Callable[[Callable[[bytes], None]], LiveView]
    covers: tuple[str, ...] = ()


registry: Registry[View] = Registry("view")


def add(view: View) -> View:
    return registry.add(view.name, view)


def for_run(run: Any) -> list[View]:
    """The views that apply to ``run``, in the order they were added (the training curves first)."""
    _load_builtin()
    return [view for view in registry.in_order() if view.applies(run)]


def shown_together(pairs: list[tuple[View, LiveView]]) -> None:
    """Tell each view what the others shown with it cover (``LiveView.covered``)."""
    for view, live in pairs:
        live.covered = {part for other, _ in pairs if other is not view for part in other.covers}


# The modules whose views come with nbdl, in the order they are shown; each adds its records.
BUILT_IN = ("live", "instruments", "network_view", "autoencode")


def _load_builtin() -> None:
    for module in BUILT_IN:
        importlib.import_module(f"{__package__}.{module}")
