"""The training picture: loss and accuracy curves per epoch and, for 2-D data, the decision regions.

Artists are made once and then given new data. Redrawing the axes (ticks, labels) happens only
when a limit changes; otherwise the curves and regions are blitted onto a saved background, which
keeps one update at a few tens of milliseconds."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .render import canvas_png, class_color, class_rgb, new_figure

REGION_STRENGTH = 0.45  # how strongly class colours tint the decision regions (0: white)
MAX_POINTS = 1000  # a curve longer than this is drawn from every k-th epoch (and the last)


def _thinned(values: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Epoch numbers and values of a curve, at most about MAX_POINTS of them."""
    count = len(values)
    stride = max(1, -(-count // MAX_POINTS))
    index = np.arange(0, count, stride)
    if count and index[-1] != count - 1:
        index = np.append(index, count - 1)
    return index + 1, np.asarray(values, dtype=float)[index]


def _nice_ceiling(value: float) -> float:
    """The next of 1, 2, 5 x 10^k at or above ``value``."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    if value > 1e300:  # a loss on its way to infinity: draw it, not a round number beyond floats
        return value
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


class TrainingFigure:
    """Curves of a run's history, plus decision regions when ``points`` (2-D data) are given."""

    def __init__(self, classification: bool, penalty: bool = False, points: dict[str, Any] | None = None,
                 classes: int = 2, dpi: int = 72):
        self.classification = classification
        panels = 2 + (points is not None)
        self.figure, self.canvas = new_figure(3.3 * panels, 2.7, dpi)
        axes = self.figure.subplots(1, panels)
        self.loss_axes, self.metric_axes = axes[0], axes[1]
        self.region_axes = axes[2] if points is not None else None
        self.lines = {
            "train_loss": self.loss_axes.plot([], [], color="#1f77b4", label="train")[0],
            "val_loss": self.loss_axes.plot([], [], color="#ff7f0e", label="validation")[0],
        }
        if penalty:
            self.lines["train_penalty"] = self.loss_axes.plot([], [], color="#7f7f7f", linestyle="--",
                                                              label="penalty (L1/L2)")[0]
        if classification:
            self.lines["train_acc"] = self.metric_axes.plot([], [], color="#1f77b4", label="train")[0]
        metric = "val_acc" if classification else "val_mae"
        self.lines[metric] = self.metric_axes.plot([], [], color="#ff7f0e", label="validation")[0]
        self.loss_axes.set(title="loss", xlabel="epoch")
        self.metric_axes.set(title="accuracy" if classification else "mean abs. error", xlabel="epoch")
        for ax in (self.loss_axes, self.metric_axes):
            ax.grid(alpha=0.3)
            ax.legend(loc="upper right" if ax is self.loss_axes else "lower right", fontsize=8, frameon=False)
        self.animated = list(self.lines.values())
        self.region = None
        if points is not None:
            self._regions(points, classes)
        # Fixed margins (in inches, turned into fractions): tight_layout costs ~45 ms per figure.
        width = 3.3 * panels
        self.figure.subplots_adjust(left=0.5 / width, right=1 - 0.15 / width, bottom=0.45 / 2.7, top=1 - 0.3 / 2.7,
                                    wspace=0.3)
        self.limits: tuple | None = None
        self.background = None
        self.full_draws = 0

    def _regions(self, points: dict[str, Any], classes: int) -> None:
        ax = self.region_axes
        self.colors = class_rgb(classes)
        self.region = ax.imshow(np.ones((2, 2, 3)), origin="lower", extent=points["extent"], aspect="auto",
                                interpolation="bilinear")
        self.scatters = []
        for name, edge, size in (("train", "white", 14), ("val", "black", 14)):
            X, y = points[name]
            if len(X):
                self.scatters.append(ax.scatter(X[:, 0], X[:, 1], c=[class_color(int(c)) for c in y], s=size,
                                                edgecolors=edge, linewidths=0.6))
        ax.set(title="decision regions", xticks=[], yticks=[])
        ax.set_xlim(points["extent"][:2])
        ax.set_ylim(points["extent"][2:])
        self.animated += [self.region, *self.scatters]

    def update(self, history: dict[str, list[float]], probabilities: np.ndarray | None = None,
               epochs: int | None = None) -> None:
        """Give the artists new data; redraw everything only when an axis limit had to change."""
        for key, line in self.lines.items():
            line.set_data(*_thinned(history.get(key, [])))
        if probabilities is not None and self.region is not None:
            rgb = probabilities @ self.colors  # (rows, cols, classes) @ (classes, 3)
            self.region.set_data(np.clip(1 - REGION_STRENGTH * (1 - rgb), 0, 1))
        limits = self._limits(history, epochs)
        if limits != self.limits or self.background is None:
            self.limits = limits
            self._full_draw(limits)
        else:
            self.canvas.restore_region(self.background)
            for artist in self.animated:
                artist.axes.draw_artist(artist)

    def _limits(self, history: dict[str, list[float]], epochs: int | None) -> tuple:
        count = len(history.get("train_loss", []))
        planned = max(epochs or 0, count, 2)
        # A short run keeps its whole span on screen; a long one grows the axis in 1-2-5 steps.
        x_max = planned if planned <= 200 else min(planned, max(10.0, _nice_ceiling(count * 1.1)))
        losses = [v for k in ("train_loss", "val_loss", "train_penalty") for v in history.get(k, []) if math.isfinite(v)]
        loss_top = _nice_ceiling(max(losses) * 1.05) if losses else 1.0
        if self.classification:
            accs = [v for k in ("train_acc", "val_acc") for v in history.get(k, []) if math.isfinite(v)]
            low = math.floor(min(accs) * 10) / 10 if accs else 0.0
            metric = (min(low, 0.9), 1.0)
        else:
            errors = [v for v in history.get("val_mae", []) if math.isfinite(v)]
            metric = (0.0, _nice_ceiling(max(errors) * 1.05) if errors else 1.0)
        return x_max, loss_top, metric

    def _full_draw(self, limits: tuple) -> None:
        x_max, loss_top, metric = limits
        for ax in (self.loss_axes, self.metric_axes):
            ax.set_xlim(1, x_max)
        self.loss_axes.set_ylim(0, loss_top)
        self.metric_axes.set_ylim(*metric)
        for artist in self.animated:
            artist.set_animated(True)
        self.canvas.draw()  # everything but the animated artists
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self.animated:
            artist.axes.draw_artist(artist)
        self.full_draws += 1

    def png(self, fast: bool = True) -> bytes:
        return canvas_png(self.canvas, fast=fast)
