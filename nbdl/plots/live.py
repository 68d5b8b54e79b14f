"""Live training plots: a callback that redraws the training picture within a time budget."""
from __future__ import annotations

import time
from typing import Callable

from ..core.callbacks import Callback
from ..core.data import CLASSIFICATION
from ..core.diagnostics import decision_grid
from .training import TrainingFigure


class LivePlot(Callback):
    """Renders the run's picture and hands the PNG bytes to ``show``.

    A render happens when ``min_interval`` has passed since the last one and the time spent
    plotting in this fit, the next render included, stays within ``budget`` of the fit's wall time
    (5% by default). A first render with its full draw costs ~0.1 s; later ones blit in ~10 ms, so
    on runs longer than a few seconds the picture changes about twice a second. The last frame is
    always drawn when the fit ends."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.05, min_interval: float = 0.5,
                 regions: bool = True, resolution: int = 50):
        self.show, self.budget, self.min_interval = show, budget, min_interval
        self.regions, self.resolution = regions, resolution
        self.figure: TrainingFigure | None = None
        self.seconds = 0.0  # spent plotting, over all fits
        self.renders = 0
        self._next = 0.0
        self._fit_start = 0.0
        self._fit_seconds = 0.0
        self._last_cost = 0.0

    def on_fit_start(self, run):
        self._fit_start, self._fit_seconds, self._next = time.monotonic(), 0.0, 0.0

    def _due(self) -> bool:
        now = time.monotonic()
        return now >= self._next and self._fit_seconds + self._last_cost <= self.budget * (now - self._fit_start)

    def _make_figure(self, run) -> TrainingFigure:
        grid = decision_grid(run, self.resolution) if self.regions else None
        points = None
        if grid is not None:
            points = {"extent": grid.extent, "train": run.data.raw("train"), "val": run.data.raw("val")}
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
        started = time.monotonic()
        if self.figure is None:
            self.figure = self._make_figure(run)
        grid = decision_grid(run, self.resolution) if self.figure.region is not None else None
        self.figure.update(run.history, grid.probabilities if grid is not None else None, run.target_epoch)
        self.show(self.figure.png(fast=not final))
        self._last_cost = time.monotonic() - started
        self.seconds += self._last_cost
        self._fit_seconds += self._last_cost
        self.renders += 1
        self._next = time.monotonic() + self.min_interval
