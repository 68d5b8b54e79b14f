"""Live training plots: the loss and accuracy curves and, for 2-D classes, the decision regions."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..core.diagnostics import decision_grid
from ..core.tasks import CLASSIFICATION
from . import views
from .training import TrainingFigure


class LivePlot(views.BatchView):
    """The training picture, redrawn within a time budget (5% of the wall time by default).

    A full draw (axes and ticks, when a limit changes: a few times a run) costs ~45 ms and is
    followed by a second's wait; the usual update blits in ~20 ms with the decision regions (~4 ms
    without), so the picture changes about twice a second. It is drawn at one image pixel per
    shown pixel (``training.LIVE_SCALE``). Making the figure (once, ~0.1 s) is counted in
    ``seconds`` but does not delay the next picture."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.05, min_interval: float = 0.5,
                 regions: bool = True, resolution: int = 50, max_points: int = 450, stacked: bool = False):
        super().__init__(show, budget, min_interval)
        self.regions, self.resolution, self.max_points = regions, resolution, max_points
        self.stacked = stacked  # the regions below the curves (a 368-pixel-wide picture), for a narrow place
        self.figure: TrainingFigure | None = None

    def _make_figure(self, run) -> TrainingFigure:
        # Beside the network view, whose large canvas shows them, the regions are not drawn twice.
        grid = decision_grid(run, self.resolution) if self.regions and "regions" not in self.covered else None
        points = None
        if grid is not None:
            points = {"extent": grid.extent, "train": _sample(run.data.raw("train"), self.max_points),
                      "val": _sample(run.data.raw("val"), self.max_points // 3)}
        return TrainingFigure(run.dataset.task == CLASSIFICATION, penalty=bool(run.config.l1 or run.config.l2),
                              points=points, classes=run.dataset.n_classes or 2, stacked=self.stacked)

    def draw(self, run, final):
        if self.figure is None:
            started = time.monotonic()
            self.figure = self._make_figure(run)
            self.setup = time.monotonic() - started
        grid = decision_grid(run, self.resolution) if self.figure.region is not None else None
        self.figure.update(run.history, grid.probabilities if grid is not None else None, run.target_epoch)
        return self.figure.png(fast=not final, final=final)


def _sample(points: tuple, limit: int) -> tuple:
    """At most ``limit`` of the points (a fixed random choice): enough to see, cheap to draw."""
    X, y = points
    if len(X) <= limit:
        return X, y
    keep = np.random.default_rng(0).choice(len(X), limit, replace=False)
    return X[keep], y[keep]


views.add(views.View("training", "training curves", lambda run: True, LivePlot))
