"""The learning-rate range test's picture: the loss per batch and its smoothed curve against the
learning rate (log scale), the suggestion marked with its value, or the reason for refusing one."""
from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
from matplotlib.ticker import LogLocator

from ..core.errors import NbdlError
from ..core.lr_find import RangeTest, short
from .render import TEXT, TITLE, Picture, new_figure, readable

# Layout in CSS pixels where the notebook shows it: the axes, then the note under them, line by line.
WIDTH, LEFT, RIGHT, TOP, PLOT_HEIGHT, BOTTOM, LINE = 620, 62, 16, 30, 300, 50, 17
MARGIN = 1.25  # the rate axis reaches this factor beyond the first and last rates tried
LOG_SPAN = 100.0  # losses whose highest and lowest differ by this factor or more get a log axis
NOTE_CHARACTERS = 84  # a line of the note at TEXT size across WIDTH
RAW, SMOOTHED, SUGGESTED, LOWEST, REFUSED = "#9bbbd9", "#1f77b4", "#d62728", "#7f7f7f", "#8c564b"


def lr_find_figure(result: RangeTest) -> Picture:
    """Loss against learning rate for ``run.lr_find()``'s result, with its suggestion or refusal."""
    if not isinstance(result, RangeTest):
        raise NbdlError(f"lr_find_figure takes the result of run.lr_find(), got {type(result).__name__}")
    note = result.summary() if result.suggestion is not None else f"No suggestion: {result.reason}"
    lines = textwrap.wrap(f"{note}. Stopped: {result.stopped}.", NOTE_CHARACTERS)
    height = TOP + PLOT_HEIGHT + BOTTOM + LINE * len(lines) + 8
    figure, _ = new_figure(WIDTH / 72, height / 72)
    ax = figure.add_axes((LEFT / WIDTH, 1 - (TOP + PLOT_HEIGHT) / height, (WIDTH - LEFT - RIGHT) / WIDTH,
                          PLOT_HEIGHT / height))
    lrs, raw, smoothed = (np.asarray(v, dtype=float) for v in (result.lrs, result.losses, result.smoothed))
    finite = np.isfinite(raw)
    ax.plot(lrs[finite], raw[finite], color=RAW, lw=1, marker=".", ms=3, label="loss per batch")
    ax.plot(lrs, smoothed, color=SMOOTHED, lw=2.2, label="smoothed")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
    ax.set_xlim(lrs[0] / MARGIN, lrs[-1] * MARGIN)  # the rates tried: a test that stopped early ends early
    low, high, log = _loss_range(raw[finite], smoothed[np.isfinite(smoothed)])
    if log:
        ax.set_yscale("log")
    ax.set_ylim(low, high)
    if not finite.all():  # where the loss stopped being a number: a cross just under the top edge
        first = int(np.argmin(finite))
        ax.plot([lrs[first]], [0.95], marker="X", ms=11, color=REFUSED, ls="none", label=f"loss {raw[first]:g}",
                transform=ax.get_xaxis_transform())

    def on_curve(lr: float) -> float:
        known = np.isfinite(smoothed)
        return float(np.interp(np.log10(lr), np.log10(lrs[known]), smoothed[known]))

    if result.suggestion is not None:
        ax.plot([result.minimum], [on_curve(result.minimum)], marker="o", ms=8, mfc="white", mec=LOWEST, mew=2,
                ls="none", label=f"lowest loss at {short(result.minimum)}")
        ax.plot([result.steepest], [on_curve(result.steepest)], marker="v", ms=8, color=LOWEST, ls="none",
                label=f"falls fastest at {short(result.steepest)}")
        ax.axvline(result.suggestion, color=SUGGESTED, lw=1.5, ls="--")
        ax.plot([result.suggestion], [on_curve(result.suggestion)], marker="o", ms=9, color=SUGGESTED, ls="none",
                label=f"suggested {short(result.suggestion)}")
        ax.annotate(f"lr {short(result.suggestion)}", (result.suggestion, 0), xycoords=("data", "axes fraction"),
                    xytext=(5, 5), textcoords="offset points", ha="left", va="bottom", color=SUGGESTED,
                    fontsize=TEXT + 1, fontweight="bold")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.set_title(f"Learning-rate range test: {result.optimizer}, {len(result.losses)} steps", loc="left")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", frameon=True, framealpha=0.9, borderaxespad=0.3)
    readable(ax)
    verdict = f"suggested: {result.flag}" if result.suggestion is not None else "no suggestion"
    ax.set_title(verdict, loc="right", color=SUGGESTED if result.suggestion is not None else REFUSED,
                 fontsize=TITLE, fontweight="bold")
    figure.text(8 / WIDTH, 6 / height, "\n".join(lines), ha="left", va="bottom", fontsize=TEXT, linespacing=1.25,
                color="black" if result.suggestion is not None else REFUSED)
    return figure


def _loss_range(raw: np.ndarray, smoothed: np.ndarray) -> tuple[float, float, bool]:
    """The loss axis: from a little below the lowest loss to the highest smoothed one, but no higher
    than twice where the smoothed loss started (the explosion that ended the test is cut off rather
    than squash the curve); on a log scale when the smoothed loss spans more than ``LOG_SPAN`` times."""
    values = np.concatenate([raw, smoothed])
    if not len(values) or not len(smoothed):
        return 0.0, 1.0, False
    low, high = float(values.min()), float(smoothed.max())
    if smoothed[0] > 0:
        high = min(high, 2 * float(smoothed[0]))
    lowest = float(smoothed.min())
    if lowest > 0 and high / lowest > LOG_SPAN:  # a batch's loss far below the smoothed curve is cut off
        return lowest / 2, high * 1.5, True
    span = high - low if high > low else abs(high) or 1.0
    return (max(low - 0.05 * span, 0.0) if low >= 0 else low - 0.05 * span), high + 0.05 * span, False


def lr_find_png(result: Any) -> bytes:
    """The picture as PNG bytes (drawn at ``render.SCALE``; show it at ``render.shown_width``)."""
    from .render import figure_png

    return figure_png(lr_find_figure(result))
