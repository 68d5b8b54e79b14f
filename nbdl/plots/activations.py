"""One picture of every activation: its value (solid) and derivative (dashed), small multiples, with
the saturating regions shaded and ReLU's zero-gradient side hatched, each labelled where it lies."""
from __future__ import annotations

import math
import textwrap

import numpy as np
from matplotlib.ticker import MaxNLocator
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..core.activations import SATURATION
from ..core.curves import Curve, Curves
from ..core.errors import NbdlError
from .render import TEXT, TITLE, class_color, new_figure, plain

COLUMNS = 4
PANEL = (2.75, 2.9)  # inches per panel (72 shown pixels an inch): four panels make a picture 792 px wide
VALUE_COLOR, DERIVATIVE_COLOR = class_color(0), class_color(1)
SATURATED = dict(color="#d62728", alpha=0.13, linewidth=0)
ZERO_GRADIENT = dict(facecolor="none", edgecolor="#7f7f7f", hatch="///", linewidth=0, alpha=0.6)
LEGEND_ROOM = 0.5    # inches above the panels for the legend


def activation_figure(curves: Curves) -> Figure:
    """Small multiples, one panel per curve, with one legend above them all (over no curve)."""
    if not isinstance(curves, Curves):
        raise NbdlError(f"activation_figure takes the result of nbdl.activation_curves(), got {type(curves).__name__}")
    count = len(curves.curves)
    columns = min(COLUMNS, count)
    rows = math.ceil(count / columns)
    width, height = PANEL[0] * columns, PANEL[1] * rows + LEGEND_ROOM
    figure, _ = new_figure(width, height)
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax, curve in zip(axes.flat, curves.curves):
        _panel(ax, curves.x, curve)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    for index, ax in enumerate(axes.flat[:count]):
        if index + columns >= count:  # the lowest panel of its column
            ax.set_xlabel("x", fontsize=TEXT)
    figure.legend(handles=_legend_handles(curves), loc="upper center", ncol=4, fontsize=TEXT, frameon=False,
                  bbox_to_anchor=(0.5, 1.0), handlelength=2.2, columnspacing=1.4)
    figure.tight_layout(rect=(0, 0, 1, 1 - LEGEND_ROOM / height), h_pad=0.8, w_pad=0.6)
    for ax, curve in zip(axes.flat, curves.curves):  # placed once the axes have their final size
        _label_regions(ax, curve)
    notes = [curve.note for curve in curves.curves if curve.note]
    if notes and count < axes.size:  # in the free panels' place, below the last row's titles
        free = axes.flat[count].get_position()
        characters = int((axes.size - count) * PANEL[0] * 72 / (0.6 * TEXT))
        figure.text(free.x0, free.y1, "\n".join(textwrap.fill(note, characters) for note in notes), va="top",
                    fontsize=TEXT, color="#333333")
    return figure


def _panel(ax, x: np.ndarray, curve: Curve) -> None:
    ax.plot(x, curve.value, color=VALUE_COLOR, linewidth=2)
    ax.plot(x, curve.derivative, color=DERIVATIVE_COLOR, linewidth=2, linestyle="--")
    for start, end in curve.saturated:
        ax.axvspan(start, end, **SATURATED)
    for start, end in curve.zero_gradient:
        ax.axvspan(start, end, **ZERO_GRADIENT)
    ax.axhline(0, color="#cccccc", linewidth=0.8, zorder=0)
    ax.set_xlim(x[0], x[-1])
    ax.xaxis.set_major_locator(MaxNLocator(4))  # wide ranges (-1000 to 1000) keep their labels apart
    both = np.concatenate([curve.value, curve.derivative])
    bottom, top = float(both.min()), float(both.max())
    pad = 0.08 * max(top - bottom, 1e-6)
    ax.set_ylim(bottom - pad, top + pad)
    ax.set_title(plain(curve.label), fontsize=TITLE)
    ax.tick_params(labelsize=TEXT)
    ax.locator_params(nbins=4)


def _legend_handles(curves: Curves) -> list:
    handles = [Line2D([], [], color=VALUE_COLOR, linewidth=2, label="value f(x)"),
               Line2D([], [], color=DERIVATIVE_COLOR, linewidth=2, linestyle="--", label="derivative f'(x)")]
    if any(c.saturated for c in curves.curves):
        handles.append(Patch(**SATURATED, label=f"saturated: f' < {SATURATION:.0%} of its peak"))
    if any(c.zero_gradient for c in curves.curves):
        handles.append(Patch(**ZERO_GRADIENT, label="zero gradient"))
    return handles


def _label_regions(ax, curve: Curve) -> None:
    """Write 'saturated' / 'gradient 0' in each region, in the widest gap between the curves there,
    across the region when it is wide enough and upright when it is not (sizes measured, not guessed)."""
    x = ax.lines[0].get_xdata()
    renderer = ax.figure.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    (left, right), (bottom, top) = ax.get_xlim(), ax.get_ylim()
    px_per_x, px_per_y = box.width / (right - left), box.height / (top - bottom)
    for word, spans in (("saturated", curve.saturated), ("gradient 0", curve.zero_gradient)):
        for start, end in spans:
            inside = (x >= start) & (x <= end)
            if not inside.any():
                continue
            taken = np.sort(np.concatenate([curve.value[inside], curve.derivative[inside]]))
            edges = np.concatenate([[bottom], np.clip(taken, bottom, top), [top]])
            gaps = np.diff(edges)
            widest = int(np.argmax(gaps))
            gap_px, width_px = gaps[widest] * px_per_y, (end - start) * px_per_x
            label = ax.text((start + end) / 2, (edges[widest] + edges[widest + 1]) / 2, word, ha="center",
                            va="center", fontsize=TEXT, color="#333333",
                            bbox=dict(facecolor="white", alpha=0.75, edgecolor="none", pad=1))
            size = label.get_window_extent(renderer)
            if width_px >= size.width + 4 and gap_px >= size.height + 4:
                continue
            if width_px >= size.height + 4 and gap_px >= size.width + 4:
                label.set_rotation(90)
            else:
                label.remove()  # no room: the shading and the legend still say it
