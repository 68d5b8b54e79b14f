"""Several runs on one picture: ``compare_figure`` (one figure per panel, one curve per run) and the
comparison picture (``comparison_figure``, ``LiveComparison``): loss and accuracy (or MAE) panels,
each run one colour with training solid and validation dashed, a cross where a run diverged or
stopped, and an x-axis by epoch, optimizer step, samples seen or seconds (full-batch gd takes one
step an epoch, so by steps it is drawn fairly)."""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..core.errors import NbdlError
from ..core.tasks import CLASSIFICATION
from . import views
from .render import TEXT, TITLE, canvas_png, class_color, figure_png, new_figure, plain, readable

LABELS = {"train_loss": "training loss", "val_loss": "validation loss", "train_acc": "training accuracy",
          "val_acc": "validation accuracy", "val_mae": "validation mean abs. error"}
# The x-axis choices and their labels: what each run's epochs are measured in.
AXES = {"epoch": "epoch", "step": "optimizer steps", "samples": "samples seen", "time": "seconds of training"}
LOG_SPAN = 100.0  # a loss whose highest and lowest values differ by this factor or more is drawn on a log scale
# Layout in CSS pixels where the notebook shows it: the loss panel above the accuracy panel (one
# x-axis), the legend to their right, outside the curves.
LEFT, PANEL_WIDTH, PANEL_HEIGHT, TOP, MIDDLE, BOTTOM, GAP, RIGHT = 62, 360, 160, 30, 36, 46, 16, 10
LEGEND_ROW = 20  # px a legend line takes at TEXT size
LEGEND_COLUMNS = 2  # at most: more runs than two columns hold get a key of some of them (the table has all)
LABEL_LENGTH = 48  # characters of a run's name in the legend; a longer one loses its middle


def check_x(x: str) -> str:
    if x not in AXES:
        raise NbdlError(f"x must be one of {', '.join(AXES)}, got {x!r}")
    return x


def x_values(run: Any, x: str, count: int) -> np.ndarray:
    """Where a run's first ``count`` epochs end, in ``x``'s unit: epoch numbers, optimizer steps
    (epochs times the run's batches), samples seen (epochs times its training samples) or seconds
    (its epochs' wall times added up)."""
    epochs = np.arange(1, count + 1, dtype=float)
    if x == "epoch":
        return epochs
    if x == "step":
        return epochs * len(run.batches)
    if x == "samples":
        return epochs * len(run.data.train)
    return np.cumsum(np.asarray(run.history.get("time", [])[:count], dtype=float))


def compare_figure(runs: dict[str, Any], metrics: tuple[str, ...] = ("val_loss", "val_acc"),
                   x: str = "epoch") -> Figure:
    """One panel per figure in ``metrics``, one curve per run, in the order given."""
    if not isinstance(runs, dict) or not runs or not all(hasattr(r, "history") for r in runs.values()):
        raise NbdlError("compare_figure takes a dict of runs by name, for example {'adam': run1, 'sgd': run2}")
    x = check_x(x)
    if metrics is None:
        metrics = ("val_loss", "val_acc")
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not all(isinstance(m, str) for m in metrics):
        raise NbdlError(f"metrics are names of figures such as 'val_loss', got {metrics!r:.60}")
    metrics = tuple(m for m in metrics if any(m in run.history for run in runs.values()))
    if not metrics:
        logged = sorted({k for run in runs.values() for k in run.history if k != "epoch"})
        raise NbdlError(f"none of the runs has logged these figures; they log: {', '.join(logged) or 'nothing yet'}")
    figure, _ = new_figure(4.4 * len(metrics) + 0.4, 3.6, layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for i, (name, run) in enumerate(runs.items()):
            values = run.history.get(metric, [])
            ax.plot(x_values(run, x, len(values)), values, color=class_color(i), label=plain(name))
        ax.set_title(LABELS.get(metric, metric), loc="left")
        ax.set(xlabel=AXES[x])
        ax.xaxis.set_major_locator(MaxNLocator(integer=x != "time"))
        ax.grid(alpha=0.3)
        readable(ax)
    # One legend for all panels (a run has one colour), above them: it covers no curve.
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside upper center", ncol=min(len(runs), 4), frameon=False, fontsize=TEXT,
                  handlelength=1.4, columnspacing=1.2)
    return figure


def _label(name: str) -> str:
    """A run's name as the legend shows it: plain, and at most LABEL_LENGTH characters (the middle
    of a longer one gives way to "…", so a grid's last setting still shows)."""
    text = str(name)
    if len(text) > LABEL_LENGTH:
        half = (LABEL_LENGTH - 1) // 2
        text = text[:half] + "…" + text[len(text) - (LABEL_LENGTH - 1 - half):]
    return plain(text)


def _finite(values: list[float]) -> np.ndarray:
    """The values as floats, with NaN where one is not finite (matplotlib leaves a gap there)."""
    array = np.asarray(values, dtype=float)
    return np.where(np.isfinite(array), array, np.nan)


class ComparisonFigure:
    """The comparison picture of runs by ``names`` (their colours follow this order): artists made
    once, then given each run's history by ``update(runs)``; ``png()`` draws it."""

    def __init__(self, names: list[str], classification: bool = True, x: str = "epoch", scale: float = 1):
        self.names, self.classification, self.x = list(names), classification, check_x(x)
        self.figure, self.canvas = new_figure(6, 4, dpi=72 * scale)
        self.loss_axes = self.figure.add_axes([0, 0, 1, 1])
        self.metric_axes = self.figure.add_axes([0, 0, 1, 1], sharex=self.loss_axes)
        self.metric = "val_acc" if classification else "val_mae"
        self.lines: dict[str, dict[str, Line2D]] = {}
        self.marks: dict[str, list[Line2D]] = {}
        self.colors = run_colors(len(self.names))
        for name, color in zip(self.names, self.colors):
            self.lines[name] = {"train_loss": self.loss_axes.plot([], [], color=color, lw=1.6)[0],
                                "val_loss": self.loss_axes.plot([], [], color=color, lw=1.6, ls="--")[0],
                                self.metric: self.metric_axes.plot([], [], color=color, lw=1.6, ls="--")[0]}
            if classification:
                self.lines[name]["train_acc"] = self.metric_axes.plot([], [], color=color, lw=1.6)[0]
            self.marks[name] = [ax.plot([], [], ls="", marker="x", ms=10, mew=2.5, color=color)[0]
                                for ax in (self.loss_axes, self.metric_axes)]
        self.loss_axes.tick_params(labelbottom=False)
        for ax in (self.loss_axes, self.metric_axes):
            ax.grid(alpha=0.3)
        self._legend()
        self._titles()

    def _legend(self) -> None:
        """One legend for both panels to their right (a run has one colour in both): it covers no
        curve. The figure's width follows the legend's, measured once."""
        height = TOP + 2 * PANEL_HEIGHT + MIDDLE + BOTTOM
        rows = max(1, (height - TOP) // LEGEND_ROW)
        shown = list(range(len(self.names)))
        room = LEGEND_COLUMNS * rows - 4  # the runs' entries beside the three line styles and a note
        if len(shown) > room + 1:  # a key of evenly spaced runs, first and last among them (colours go in order)
            shown = sorted(set(np.linspace(0, len(shown) - 1, room).round().astype(int).tolist()))
        handles = [Line2D([], [], color=self.colors[i], lw=2.5) for i in shown]
        labels = [_label(self.names[i]) for i in shown]
        if len(shown) < len(self.names):
            handles.append(Line2D([], [], color="none"))
            labels.append(f"({len(self.names)} runs: each is in the table)")
        handles += [Line2D([], [], color="#444444", lw=1.6), Line2D([], [], color="#444444", lw=1.6, ls="--"),
                    Line2D([], [], color="#444444", ls="", marker="x", ms=9, mew=2.5)]
        labels += ["training", "validation", "diverged or stopped"]
        self.legend = self.figure.legend(handles, labels, loc="upper left", ncol=math.ceil(len(labels) / rows),
                                         frameon=False, fontsize=TEXT, handlelength=2.2, borderaxespad=0,
                                         borderpad=0, labelspacing=0.35, columnspacing=1.2)
        renderer = self.canvas.get_renderer()
        legend_width = self.legend.get_window_extent(renderer).width * 72 / self.figure.dpi
        width = LEFT + PANEL_WIDTH + GAP + math.ceil(legend_width) + RIGHT
        self.figure.set_size_inches(width / 72, height / 72)

        def rect(left: float, bottom: float, w: float, h: float) -> list[float]:
            return [left / width, bottom / height, w / width, h / height]

        self.metric_axes.set_position(rect(LEFT, BOTTOM, PANEL_WIDTH, PANEL_HEIGHT))
        self.loss_axes.set_position(rect(LEFT, BOTTOM + PANEL_HEIGHT + MIDDLE, PANEL_WIDTH, PANEL_HEIGHT))
        self.legend.set_bbox_to_anchor(((LEFT + PANEL_WIDTH + GAP) / width, 1 - TOP / height),
                                       transform=self.figure.transFigure)

    def _titles(self) -> None:
        log = self.loss_axes.get_yscale() == "log"
        self.loss_axes.set_title("loss" + (" (log scale)" if log else ""), loc="left", fontsize=TITLE)
        self.metric_axes.set_title("accuracy" if self.classification else "mean abs. error", loc="left",
                                   fontsize=TITLE)
        self.metric_axes.set_xlabel(AXES[self.x])
        readable(self.loss_axes, self.metric_axes)

    def update(self, runs: Mapping[str, Any], x: str | None = None) -> None:
        """Give the curves of ``runs`` (any of the names, trained or training) their data, by ``x``."""
        self.x = check_x(x or self.x)
        for name, run in runs.items():
            if name not in self.lines:
                raise NbdlError(f"no run {name!r} in this picture; it draws: {', '.join(self.names)}")
            history = run.history
            for key, line in self.lines[name].items():
                values = history.get(key, [])
                line.set_data(x_values(run, self.x, len(values)), _finite(values))
                alone = np.isfinite(line.get_ydata()).sum() == 1  # one value is a point, not an invisible line
                line.set_marker("o" if alone else "")
                line.set_markersize(4)
            ended = getattr(run, "status", "") in ("diverged", "stopped")
            for mark, keys in zip(self.marks[name], (("val_loss", "train_loss"), (self.metric, "train_acc"))):
                mark.set_data(*(_last_point(run, keys, self.x) if ended else ([], [])))
        self._fit_axes()
        self._titles()

    def _fit_axes(self) -> None:
        losses = np.concatenate([line.get_ydata() for name in self.names
                                 for key, line in self.lines[name].items() if key.endswith("loss")] or [[]])
        losses = losses[np.isfinite(losses) & (losses > 0)]
        log = losses.size > 0 and losses.max() / losses.min() >= LOG_SPAN
        self.loss_axes.set_yscale("log" if log else "linear")
        for ax in (self.loss_axes, self.metric_axes):
            ax.relim()
            ax.autoscale_view()
        xs = np.concatenate([line.get_xdata() for lines in self.lines.values() for line in lines.values()] or [[]])
        right = float(np.nanmax(xs)) if xs.size and np.isfinite(xs).any() else 0.0
        self.metric_axes.set_xlim(0, right * 1.02 if right > 0 else 1.0)
        # Few enough ticks that labels such as 0.0025 (seconds) or 12,000 (samples) stand apart.
        self.metric_axes.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=self.x != "time"))
        if self.classification:
            values = np.concatenate([self.lines[n][k].get_ydata() for n in self.names for k in ("train_acc", "val_acc")])
            values = values[np.isfinite(values)]
            low = float(values.min()) if values.size else 0.0
            bottom = max(0.0, math.floor((low - 0.02) * 10) / 10)
            self.metric_axes.set_ylim(bottom, 1.0 + 0.05 * (1.0 - bottom))
        if not log:
            top = self.loss_axes.get_ylim()[1]
            self.loss_axes.set_ylim(0, top)  # a loss is >= 0: its axis starts there

    def png(self, final: bool = False) -> bytes:
        """The picture: sharp (2x) when ``final``, else quickly at its own scale."""
        if final:
            return figure_png(self.figure)
        self.canvas.draw()
        return canvas_png(self.canvas, fast=True)


def _last_point(run: Any, keys: tuple[str, ...], x: str) -> tuple[list[float], list[float]]:
    """Where a run's curves end: the last finite value of whichever of ``keys`` goes furthest (the
    first of them on a tie)."""
    best = None
    for key in keys:
        values = _finite(run.history.get(key, []))
        kept = np.flatnonzero(np.isfinite(values))
        if kept.size and (best is None or kept[-1] > best[0]):
            best = (kept[-1], values)
    if best is None:
        return [], []
    last, values = best
    return [float(x_values(run, x, last + 1)[-1])], [float(values[last])]


def run_colors(count: int) -> list[str]:
    """A colour per run: the class colours for up to 10, matplotlib's tab20 (pairs of a dark and a
    light shade of one hue, which suits a grid with two values last) up to 20, else evenly along turbo."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    if count <= 10:
        return [class_color(i) for i in range(count)]
    if count <= 20:
        return [to_hex(c) for c in colormaps["tab20"].colors[:count]]
    return [to_hex(colormaps["turbo"](0.05 + 0.9 * i / (count - 1))) for i in range(count)]


def classification(runs: Mapping[str, Any]) -> bool:
    first = next(iter(runs.values()), None)
    return first is None or getattr(getattr(first, "dataset", None), "task", CLASSIFICATION) == CLASSIFICATION


def comparison_figure(runs: Mapping[str, Any], x: str = "epoch") -> Figure:
    """The comparison picture of ``runs`` (name -> run, in the order given), by ``x``: one of
    epoch, step, samples, time."""
    if not isinstance(runs, Mapping) or not runs or not all(hasattr(r, "history") for r in runs.values()):
        raise NbdlError("comparison_figure takes a dict of runs by name, for example {'adam': run1, 'sgd': run2}, "
                        "or a Comparison")
    picture = ComparisonFigure(list(runs), classification(runs), x)
    picture.update(runs)
    return picture.figure


class LiveComparison(views.LiveView):
    """The comparison picture redrawn while its runs train, within a time budget (``LiveView``'s:
    after a picture that took ``cost`` seconds the next waits ``max(min_interval, cost / budget)``).
    It is fed by ``many.train_many``'s ``on_epoch(name, run)`` rather than being one run's callback;
    ``finish()`` draws the last, sharp frame."""

    def __init__(self, names: list[str], show: Callable[[bytes], None], x: str = "epoch", budget: float = 0.05,
                 min_interval: float = 0.5):
        super().__init__(show, budget, min_interval)
        self.names, self.x = list(names), check_x(x)
        self.runs: dict[str, Any] = {}
        self.picture: ComparisonFigure | None = None

    def on_epoch(self, name: str, run: Any) -> None:
        self.runs[name] = run
        if self.renders == 0 or self.due():
            self.render(self.runs)

    def finish(self, runs: Mapping[str, Any] | None = None) -> None:
        """Draw the last frame, sharp, of ``runs`` (those heard so far by default)."""
        self.runs.update(runs or {})
        if self.runs:
            self.render(self.runs, final=True)

    def draw(self, runs: Mapping[str, Any], final: bool) -> bytes:
        if self.picture is None:
            started = time.monotonic()
            self.picture = ComparisonFigure(self.names, classification(runs), self.x)
            self.setup = time.monotonic() - started
        self.picture.update(runs)
        return self.picture.png(final=final)
