"""Live training plots: a callback that redraws the training picture within a time budget."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..core.callbacks import VIEW, Callback
from ..core.diagnostics import decision_grid
from ..core.tasks import CLASSIFICATION
from .training import TrainingFigure


class LivePlot(Callback):
    """Renders the run's picture and hands the PNG bytes to ``show``.

    After a render that took ``cost`` seconds the next waits ``max(min_interval, cost / budget)``,
    so plotting takes about ``budget`` of the wall time (5% by default) at most. A full draw (axes
    and ticks, when a limit changes) costs ~50 ms and is followed by a second's wait; the usual
    update blits in ~15 ms, so the picture changes about twice a second. Making the figure (once,
    ~0.1 s) is counted in ``seconds`` but does not delay the next picture. The last frame is
    always drawn when the fit ends."""

    order = VIEW
    adds_figures = False

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.05, min_interval: float = 0.5,
                 regions: bool = True, resolution: int = 50, max_points: int = 450):
        self.show, self.budget, self.min_interval = show, budget, min_interval
        self.regions, self.resolution, self.max_points = regions, resolution, max_points
        self.figure: TrainingFigure | None = None
        self.seconds = 0.0  # spent plotting, over all fits
        self.renders = 0
        self.error: Exception | None = None  # why the plot stopped, if it did
        self._next = 0.0

    def on_fit_start(self, run):
        self._next = 0.0

    def _due(self) -> bool:
        return time.monotonic() >= self._next

    def _make_figure(self, run) -> TrainingFigure:
        grid = decision_grid(run, self.resolution) if self.regions else None
        points = None
        if grid is not None:
            points = {"extent": grid.extent, "train": _sample(run.data.raw("train"), self.max_points),
                      "val": _sample(run.data.raw("val"), self.max_points // 3)}
        return TrainingFigure(run.dataset.task == CLASSIFICATION, penalty=bool(run.config.l1 or run.config.l2),
                              points=points, classes=run.dataset.n_classes or 2)

    def on_epoch_end(self, run, logs):
        if self.figure is None or self._due():  # the first epoch always shows
            self.render(run)

    def on_batch_end(self, run, logs):
        # Long epochs: the regions still move between epoch ends.
        if run.history and self._due():
            self.render(run)

    def on_fit_end(self, run):
        if self.figure is not None and run.history:
            self.render(run, final=True)

    def render(self, run, final: bool = False) -> None:
        """Draw the run's picture now. A picture that cannot be drawn never stops training: the
        plot stops, and ``error`` says why."""
        if self.error is not None:
            return
        try:
            self._render(run, final)
        except Exception as error:  # noqa: BLE001 - a view's fault must not cost the run
            self.error = error

    def _render(self, run, final: bool) -> None:
        started = time.monotonic()
        if self.figure is None:
            self.figure = self._make_figure(run)
        drawing = time.monotonic()
        grid = decision_grid(run, self.resolution) if self.figure.region is not None else None
        self.figure.update(run.history, grid.probabilities if grid is not None else None, run.target_epoch)
        self.show(self.figure.png(fast=not final))
        done = time.monotonic()
        self.seconds += done - started
        self.renders += 1
        self._next = done + max(self.min_interval, (done - drawing) / self.budget)


def _sample(points: tuple, limit: int) -> tuple:
    """At most ``limit`` of the points (a fixed random choice): enough to see, cheap to draw."""
    X, y = points
    if len(X) <= limit:
        return X, y
    keep = np.random.default_rng(0).choice(len(X), limit, replace=False)
    return X[keep], y[keep]
