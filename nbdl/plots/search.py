"""Pictures of a search: the best score so far against trial number, and each trial's score against
each setting searched (a log axis for a log range, the choices as positions), redrawn live within a
time budget as trials finish (``LiveSearch``)."""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..core.errors import NbdlError
from .render import TEXT, figure_png, new_figure, readable

PER_ROW = 3  # panels in a row
PANEL = (3.6, 2.7)  # inches (72 CSS px each) per panel
FINISHED, PRUNED, BEST = "#1f77b4", "#aaaaaa", "#d62728"
SCORE_MARGIN = 0.1  # of the score axis' span above and below: the best trial's star (13 px) clears the spines


def search_figure(result: Any) -> Figure:
    """The search's picture: best score so far by trial, then the score against each setting."""
    if not all(hasattr(result, name) for name in ("rows", "space", "metric", "direction")):
        raise NbdlError(f"search_figure takes a search's result (nbdl.search(...)), got {type(result).__name__}")
    names = list(result.space)
    panels = 1 + len(names)
    columns = min(panels, PER_ROW)
    rows = math.ceil(panels / columns)
    figure, _ = new_figure(PANEL[0] * columns, PANEL[1] * rows + 0.35, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    progress_panel(axes[0], result)
    for ax, name in zip(axes[1:], names):
        setting_panel(ax, result, name)
    for ax in axes[panels:]:
        ax.set_visible(False)
    shown = [r for r in result.rows if finite(r["score"])]
    if shown:  # one legend for every panel, above them
        pruned = any(r["state"] == "pruned" for r in shown)
        handles = [Line2D([], [], ls="", marker="o", color=FINISHED, label="finished"),
                   *([Line2D([], [], ls="", marker="x", color=PRUNED, label="pruned (last report)")] if pruned else []),
                   Line2D([], [], ls="", marker="*", ms=12, color=BEST, label="best")]
        figure.legend(handles=handles, loc="outside upper center", ncols=len(handles), fontsize=TEXT, frameon=False)
    return figure


def progress_panel(ax, result: Any) -> None:
    """Each trial's score by its number, and the best so far as a step line."""
    rows = [r for r in result.rows if finite(r["score"])]
    done = [r for r in rows if r["complete"]]
    pruned = [r for r in rows if r["state"] == "pruned"]
    ax.scatter([r["number"] for r in done], [r["score"] for r in done], s=22, color=FINISHED, zorder=3)
    ax.scatter([r["number"] for r in pruned], [r["score"] for r in pruned], s=26, marker="x", color=PRUNED,
               zorder=2)
    if done:
        numbers = [r["number"] for r in done]
        best = (np.minimum if result.direction == "minimize" else np.maximum).accumulate([r["score"] for r in done])
        ax.step(numbers + [max(r["number"] for r in result.rows)], list(best) + [best[-1]], where="post",
                color=BEST, lw=2, zorder=4)
        mark_best(ax, result, "number")
    if not rows:
        ax.text(0.5, 0.5, "no finished trial yet", transform=ax.transAxes, ha="center", va="center",
                fontsize=TEXT, color="#666")
    ax.set_title(f"best {result.metric} so far", loc="left")
    ax.set_xlabel("trial")
    ax.set_ylabel(result.metric)
    ax.margins(y=SCORE_MARGIN)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    readable(ax)


def setting_panel(ax, result: Any, name: str) -> None:
    """Each trial's score against one setting's value."""
    dimension = result.space[name]
    rows = [r for r in result.rows if finite(r["score"]) and r.get(name) is not None]
    choices = list(dimension.choices) if not dimension.is_range else \
        dimension.grid_values() if at_points(dimension, result) else None
    position = (lambda v: choices.index(v) if v in choices else math.nan) if choices else float
    for complete, style in ((True, dict(s=22, color=FINISHED, zorder=3)),
                            (False, dict(s=26, marker="x", color=PRUNED, zorder=2))):
        chosen = [r for r in rows if r["complete"] == complete and (complete or r["state"] == "pruned")]
        ax.scatter([position(r[name]) for r in chosen], [r["score"] for r in chosen], **style)
    if result.best is not None:
        ax.scatter([position(result.best[name])], [result.best["score"]], s=160, marker="*", color=BEST, zorder=5)
    if choices:
        ax.set_xticks(range(len(choices)), [label(c) for c in choices])
        ax.set_xlim(-0.5, len(choices) - 0.5)
    elif dimension.log:
        ax.set_xscale("log")
    if dimension.is_range and not choices:
        span = dimension.high / dimension.low if dimension.log else dimension.high - dimension.low
        pad = span ** 0.04 if dimension.log else span * 0.04
        if dimension.log:
            ax.set_xlim(dimension.low / pad, dimension.high * pad)
        else:
            ax.set_xlim(dimension.low - pad, dimension.high + pad)
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=dimension.integer))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.set_title(name, loc="left")
    ax.set_xlabel(name + (" (log scale)" if dimension.is_range and dimension.log and not choices else ""))
    ax.set_ylabel(result.metric)
    ax.margins(y=SCORE_MARGIN)
    ax.grid(alpha=0.3)
    readable(ax)


def mark_best(ax, result: Any, key: str) -> None:
    if result.best is not None:
        ax.scatter([result.best[key]], [result.best["score"]], s=160, marker="*", color=BEST, zorder=5)


def at_points(dimension: Any, result: Any) -> bool:
    """A grid's range is drawn at its points when they are few (a grid tries nothing between them)."""
    return getattr(result, "method", None) == "grid" and dimension.points is not None and dimension.points <= 6


def label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "none" if value is None else str(value)


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


class LiveSearch:
    """Redraws the search's picture as trials finish, within a time budget: after a picture that took
    ``cost`` seconds the next waits ``max(min_interval, cost / budget)``; ``update(result, final=True)``
    always draws. A picture that fails stops the drawing, never the search (``error`` says why)."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.1, min_interval: float = 0.5):
        self.show, self.budget, self.min_interval = show, budget, min_interval
        self.renders, self.seconds, self.error = 0, 0.0, None
        self.next = 0.0

    def update(self, result: Any, final: bool = False) -> None:
        if self.error is not None or (not final and time.monotonic() < self.next):
            return
        started = time.monotonic()
        try:
            self.show(figure_png(search_figure(result)))
        except Exception as error:  # noqa: BLE001 - a picture's fault must not cost the search
            self.error = error
            return
        cost = time.monotonic() - started
        self.renders, self.seconds = self.renders + 1, self.seconds + cost
        self.next = time.monotonic() + max(self.min_interval, cost / self.budget)
