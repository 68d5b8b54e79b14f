"""The training picture: loss and accuracy curves per epoch and, for 2-D data, the decision regions.

Artists are made once and then given new data. Redrawing the axes (ticks, labels) happens only
when a limit changes, and limits follow the extremes seen so far in 1-2-2.5-5 steps, so that is
rare; otherwise the curves and regions are blitted onto a saved background, which keeps one
update at a few tens of milliseconds.

Layout, in CSS pixels where the notebook shows it (one point each): the loss above the accuracy,
sharing the epoch axis, one legend in the loss panel's title row (outside the curves), and the
decision regions as a square to their right."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .render import TEXT, TITLE, canvas_png, class_color, class_rgb, new_figure, nice_range, readable, sharp_png

REGION_STRENGTH = 0.45  # how strongly class colours tint the decision regions (0: white)
MAX_POINTS = 1000  # a curve longer than this is drawn from every k-th epoch (and the last)
# Margins and panels in CSS pixels: tick labels and titles at TEXT/TITLE size need this room.
LEFT, RIGHT, TOP, MIDDLE, BOTTOM, GAP = 54, 14, 34, 34, 46, 34
CURVES_WIDTH, CURVES_HEIGHT = 300, 145
REGION_SIDE = 2 * CURVES_HEIGHT + MIDDLE  # the regions' square spans both curve panels
# The live picture is drawn at one image pixel per shown pixel: at render.SCALE (2) a frame costs
# 4-5x as much (the regions' resampling and the PNG encoding grow with the pixel count).
LIVE_SCALE = 1
ACCURACY_HEADROOM = 0.05  # of the axis span above 1.0, so a perfect score is not on the edge


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


def _falling(low: float, high: float) -> tuple[float, float]:
    """Limits for a loss or an error, which mostly fall: a little above the highest value, and room
    below the lowest to fall to half of it before the axis must change."""
    floor = low / 2 if low > 0 else low - (high - low) / 2
    return nice_range(floor, high)


def _accuracy(low: float, high: float) -> tuple[float, float]:
    """From the tenth below the lowest to a little above 1.0, so neither the lowest nor a perfect score
    lies on an edge."""
    bottom = min(math.ceil(low * 10 - 1e-9) / 10 - 0.1, 0.9)  # a tenth below the lowest, not on it
    return bottom, 1.0 + ACCURACY_HEADROOM * (1.0 - bottom)


class TrainingFigure:
    """Curves of a run's history, plus decision regions when ``points`` (2-D data) are given: beside
    the curves (``width`` 726 shown pixels), or below them when ``stacked`` (368, for a narrow column).
    ``scale`` is the PNG's pixels per shown pixel (``shown_width`` of its PNG is ``width``)."""

    def __init__(self, classification: bool, penalty: bool = False, points: dict[str, Any] | None = None,
                 classes: int = 2, scale: float = LIVE_SCALE, stacked: bool = False):
        self.classification = classification
        curves = TOP + 2 * CURVES_HEIGHT + MIDDLE + BOTTOM  # the curves' block, from its top to the epoch label
        # The regions beside the curves, or (``stacked``, for a narrow place) below them as wide as they are.
        side = REGION_SIDE if not stacked else CURVES_WIDTH
        below = TOP + side + RIGHT if points is not None and stacked else 0
        self.width = LEFT + CURVES_WIDTH + RIGHT + (GAP + side if points is not None and not stacked else 0)
        height = curves + below
        self.figure, self.canvas = new_figure(self.width / 72, height / 72, dpi=72 * scale)

        def rect(left: float, bottom: float, width: float, height_: float) -> list[float]:
            return [left / self.width, bottom / height, width / self.width, height_ / height]

        self.metric_axes = self.figure.add_axes(rect(LEFT, below + BOTTOM, CURVES_WIDTH, CURVES_HEIGHT))
        self.loss_axes = self.figure.add_axes(rect(LEFT, below + BOTTOM + CURVES_HEIGHT + MIDDLE, CURVES_WIDTH,
                                                   CURVES_HEIGHT), sharex=self.metric_axes)
        self.region_axes = None
        if points is not None:
            left, bottom = (LEFT, RIGHT) if stacked else (LEFT + CURVES_WIDTH + GAP, BOTTOM)
            self.region_axes = self.figure.add_axes(rect(left, bottom, side, side))
        self.lines = {
            "train_loss": self.loss_axes.plot([], [], color="#1f77b4", label="train")[0],
            "val_loss": self.loss_axes.plot([], [], color="#ff7f0e", label="validation")[0],
        }
        if penalty:
            self.lines["train_penalty"] = self.loss_axes.plot([], [], color="#7f7f7f", linestyle="--",
                                                              label="penalty")[0]
        if classification:
            self.lines["train_acc"] = self.metric_axes.plot([], [], color="#1f77b4", label="train")[0]
        metric = "val_acc" if classification else "val_mae"
        self.lines[metric] = self.metric_axes.plot([], [], color="#ff7f0e", label="validation")[0]
        self.loss_axes.set_title("loss", loc="left", fontsize=TITLE)
        self.metric_axes.set_title("accuracy" if classification else "mean abs. error", loc="left", fontsize=TITLE)
        self.metric_axes.set_xlabel("epoch")
        self.loss_axes.tick_params(labelbottom=False)
        # One legend for both panels (same colours), in the loss panel's title row: it hides no curve.
        self.loss_axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(self.loss_axes.lines),
                              borderaxespad=0.1, handlelength=1.4, handletextpad=0.4, columnspacing=1.0,
                              frameon=False, fontsize=TEXT)
        for ax in (self.loss_axes, self.metric_axes):
            ax.grid(alpha=0.3)
            readable(ax)
        self.animated = list(self.lines.values())
        self.region = None
        if points is not None:
            self._regions(points, classes)
        self.limits: tuple | None = None
        self.extremes: dict[str, tuple[int, float, float]] = {}  # per curve: values seen, lowest, highest
        self.ranges: dict[str, tuple[float, float]] = {}  # per y axis: its limits now
        self.background = None
        self.full_draws = 0

    def _regions(self, points: dict[str, Any], classes: int) -> None:
        ax = self.region_axes
        self.colors = class_rgb(classes)
        self.region = ax.imshow(np.ones((2, 2, 3)), origin="lower", extent=points["extent"], aspect="auto",
                                interpolation="bilinear")
        self.scatters = []
        for name, edge in (("train", "white"), ("val", "black")):
            X, y = points[name]
            if len(X):
                self.scatters.append(ax.scatter(X[:, 0], X[:, 1], c=[class_color(int(c)) for c in y], s=22,
                                                edgecolors=edge, linewidths=0.7))
        ax.set_title("decision regions", loc="left", fontsize=TITLE)
        ax.set(xticks=[], yticks=[])
        ax.set_xlim(points["extent"][:2])
        ax.set_ylim(points["extent"][2:])
        self.animated += [self.region, *self.scatters]

    def update(self, history: dict[str, list[float]], probabilities: np.ndarray | None = None,
               epochs: int | None = None) -> None:
        """Give the artists new data; redraw everything only when an axis limit had to change."""
        for key, line in self.lines.items():
            values = history.get(key, [])
            line.set_data(*_thinned(values))
            line.set_marker("o" if len(values) == 1 else "")  # one epoch is a point, not an invisible line
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

    def _extreme(self, history: dict[str, list[float]], keys: tuple[str, ...]) -> tuple[float, float]:
        """The lowest and highest finite values of these curves so far, reading only the new epochs."""
        low, high = math.inf, -math.inf
        for key in keys:
            values = history.get(key, [])
            seen, lowest, highest = self.extremes.get(key, (0, math.inf, -math.inf))
            if len(values) < seen:  # a history that was replaced: fit the axes to it afresh
                seen, lowest, highest = 0, math.inf, -math.inf
                self.ranges.clear()
            fresh = np.asarray(values[seen:], dtype=float)
            fresh = fresh[np.isfinite(fresh)]
            if fresh.size:
                lowest, highest = min(lowest, float(fresh.min())), max(highest, float(fresh.max()))
            self.extremes[key] = (len(values), lowest, highest)
            low, high = min(low, lowest), max(high, highest)
        return low, high

    def _range(self, name: str, low: float, high: float, fit) -> tuple[float, float]:
        """The axis' limits as they are while every value lies inside them; ``fit(low, high)`` once one
        leaves (extremes only grow, so that happens a few times a run, and each costs a full draw)."""
        current = self.ranges.get(name)
        if not math.isfinite(low):
            return current or (0.0, 1.0)
        if current is None or low < current[0] or high > current[1] - 0.01 * (current[1] - current[0]):
            current = self.ranges[name] = fit(low, high)
        return current

    def _limits(self, history: dict[str, list[float]], epochs: int | None) -> tuple:
        count = len(history.get("train_loss", []))
        planned = max(epochs or 0, count, 2)
        # A short run keeps its whole span on screen; a long one grows the axis in 1-2-5 steps.
        x_max = planned if planned <= 200 else min(planned, max(10.0, _nice_ceiling(count * 1.1)))
        loss = self._range("loss", *self._extreme(history, ("train_loss", "val_loss", "train_penalty")), _falling)
        if self.classification:
            metric = self._range("metric", *self._extreme(history, ("train_acc", "val_acc")), _accuracy)
        else:
            metric = self._range("metric", *self._extreme(history, ("val_mae",)), _falling)
        return x_max, loss, metric

    def _full_draw(self, limits: tuple) -> None:
        x_max, loss, metric = limits
        self.metric_axes.set_xlim(1, x_max)
        self.loss_axes.set_ylim(*loss)
        self.metric_axes.set_ylim(*metric)
        for artist in self.animated:
            artist.set_animated(True)
        self.canvas.draw()  # everything but the animated artists
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self.animated:
            artist.axes.draw_artist(artist)
        self.full_draws += 1

    def png(self, fast: bool = True, final: bool = False) -> bytes:
        """The picture as drawn last; ``final``: sharp (2x) for the frame that stays, after which
        the next update draws in full again."""
        if final:
            self.background = None
            return sharp_png(self.figure, self.animated)
        return canvas_png(self.canvas, fast=fast)
