"""Pictures of the per-layer instruments: the gradient-norm heat map (layer x record), dead and
saturated shares per layer, activation histograms, and the signal through depth of ``inspect``."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

from . import render, views

MAX_HISTOGRAMS = 6  # layers whose histograms are drawn (evenly chosen, first and last included)


def _short(name: str, width: int = 22) -> str:
    return render.shorten(name, width)


def _tag(name: str, index: int) -> str:
    """The number a layer goes by in all three panels: its line in the network (``4 dense 16
    relu`` -> 4), else its place among the watched layers."""
    first = name.split(" ", 1)[0]
    return first if first.isdigit() else str(index + 1)


def _chosen(count: int, most: int) -> list[int]:
    if count <= most:
        return list(range(count))
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})


def instruments_figure(record: Any) -> render.Picture | None:
    """Three panels of a run's instruments (``run.instruments``); None before the first record.

    Left: log10 of each layer's gradient norm at each epoch-end record, input layers at the top.
    Middle: the latest shares of dead units (ReLU family) and saturated outputs (sigmoid, tanh)
    per layer. Right: the latest activation histogram of up to MAX_HISTOGRAMS layers."""
    ends = [i for i, end in enumerate(record.at_epoch_end) if end]
    if not ends:
        return None
    layers = record.layers
    rows = len(layers)
    height = max(3.4, 0.28 * rows + 1.4)
    figure, _ = render.new_figure(13.5, height)
    grid = figure.add_gridspec(1, 3, width_ratios=[1.25, 0.8, 1.0], left=0.17, right=0.98, bottom=0.8 / height,
                               top=1 - 0.45 / height, wspace=0.38)
    labels = [render.plain(_short(name)) for name in layers]
    tags = [_tag(name, i) for i, name in enumerate(layers)]
    heat = figure.add_subplot(grid[0])
    _gradients(heat, record, ends, labels)
    shares = figure.add_subplot(grid[1])
    _shares(shares, record, ends[-1], tags)
    _histograms(figure, grid[2], record, ends[-1], tags)
    render.readable(heat, shares, *figure.axes[2:])
    return figure


def _gradients(ax, record, ends: list[int], labels: list[str]) -> None:
    """Log colours; a gradient of exactly 0 (nothing reaches the layer) in black, below the scale;
    white: a layer without weights."""
    grads = np.asarray([record.rows["grad_norm"][i] for i in ends], dtype=float).T  # (layers, records)
    positive = grads[np.isfinite(grads) & (grads > 0)]
    low = max(positive.min(), 1e-30) if positive.size else 1e-12
    norm = LogNorm(vmin=low, vmax=max(positive.max(), low * 10) if positive.size else low * 10)
    shown = np.where(np.isfinite(grads) & (grads > 0), grads, np.nan)
    zeros = np.isfinite(grads) & (grads == 0)
    shown[zeros] = low / 10  # under the scale: drawn in the colour map's "under" colour
    colors = colormaps["viridis"].with_extremes(under="black", bad="white")
    epochs = [record.epochs[i] for i in ends]
    image = ax.imshow(shown, aspect="auto", cmap=colors, norm=norm, interpolation="nearest",
                      extent=(0.5, len(ends) + 0.5, len(labels) - 0.5, -0.5))
    ax.set_yticks(range(len(labels)), labels)
    ticks = _chosen(len(epochs), 6)
    ax.set_xticks([t + 1 for t in ticks], [str(epochs[t]) for t in ticks])
    ax.set(title="gradient norm per layer", xlabel="epoch" + (" (black: exactly 0)" if zeros.any() else ""))
    colorbar = ax.figure.colorbar(image, ax=ax, pad=0.02, fraction=0.08)
    colorbar.ax.tick_params(which="both", labelsize=render.SMALLEST)


def _shares(ax, record, index: int, tags: list[str]) -> None:
    rows = len(tags)
    dead = np.asarray(record.rows["dead"][index], dtype=float)
    saturated = np.asarray(record.rows["saturated"][index], dtype=float)
    y = np.arange(rows)
    ax.barh(y - 0.2, np.nan_to_num(dead), height=0.4, color="#d62728", label="dead")
    ax.barh(y + 0.2, np.nan_to_num(saturated), height=0.4, color="#9467bd", label="saturated")
    for i in range(rows):
        if math.isnan(dead[i]) and math.isnan(saturated[i]):
            ax.text(0.02, i, "n/a", va="center", color="#7f7f7f", fontsize=render.SMALLEST)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_yticks(y, tags)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0%", "50%", "100%"])
    ax.set(xlabel=f"share of units, epoch {record.epochs[index]}")  # rows: the heat map's layers, by number
    ax.grid(axis="x", alpha=0.3)
    # The legend is the panel's title: above the axes, it hides no bar.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, handlelength=1,
              borderaxespad=0.2, columnspacing=1.0)


def _histograms(figure, cell, record, index: int, tags: list[str]) -> None:
    counts, edges = record.hist_rows["act_hist"][index]
    chosen = [i for i in _chosen(len(record.layers), MAX_HISTOGRAMS) if np.isfinite(edges[i]).all()]
    inner = cell.subgridspec(max(len(chosen), 1), 1, hspace=0.9)
    for row, layer in enumerate(chosen):
        ax = figure.add_subplot(inner[row])
        centers = (edges[layer][:-1] + edges[layer][1:]) / 2
        share = counts[layer] / max(counts[layer].sum(), 1)
        ax.fill_between(centers, share, step="mid", color="#1f77b4", alpha=0.6)
        ax.set_yticks([])
        ax.set_ylabel(tags[layer], rotation=0, ha="right", va="center", fontsize=render.TEXT)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.tick_params(axis="x", pad=1)
        if row == 0:
            ax.set_title("activations by layer (latest)")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)


def depth_figure(inspection: Any) -> render.Picture:
    """``inspect``'s picture: activation standard deviation and gradient norm by layer (log scales),
    one line per initialisation. A value of exactly 0 (a dead layer, all-zero weights) cannot sit
    on a log scale: it is drawn as an x on the panel's floor."""
    count = len(inspection.depths)
    columns = min(count, 4)
    legend_rows = -(-count // columns)
    height = 3.4 + 0.25 * legend_rows
    figure, _ = render.new_figure(11, height)
    left, right = figure.subplots(1, 2)
    for ax, name, title in ((left, "act_std", "activation std by layer"), (right, "grad_norm", "gradient norm by layer")):
        values = [np.asarray(depth.figures[name], dtype=float) for depth in inspection.depths]
        positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values] + [np.array([])])
        floor = positive.min() / 10 if positive.size else 1e-12
        zeros = False
        for k, (depth, v) in enumerate(zip(inspection.depths, values)):
            color = render.CLASS_COLORS[k % len(render.CLASS_COLORS)]
            x = np.arange(1, len(v) + 1)
            keep = np.asarray(depth.weighted) if name == "grad_norm" else np.ones(len(v), dtype=bool)
            shown = np.where(v > 0, v, np.nan)
            ax.plot(x[keep], shown[keep], marker="o", markersize=3, color=color, label=depth.init)
            zero = keep & (v == 0)
            if zero.any():
                zeros = True
                ax.plot(x[zero], np.full(zero.sum(), floor), "x", color=color, markersize=7, markeredgewidth=2)
        ax.set(yscale="log", title=title, xlabel="layer (input side first)")
        if zeros:
            ax.text(1.0, -0.17, "x: exactly 0", transform=ax.transAxes, ha="right", va="top", fontsize=render.TEXT,
                    color="#555")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
    left.legend(loc="upper left", bbox_to_anchor=(0, -0.17), ncol=columns, frameon=False)
    render.readable(left, right)
    figure.subplots_adjust(left=0.07, right=0.98, bottom=(0.75 + 0.25 * legend_rows) / height, top=1 - 0.35 / height,
                           wspace=0.22)
    return figure


class InstrumentsView(views.LiveView):
    """The instruments' picture, redrawn when a new record came in (within the time budget)."""

    def __init__(self, show, budget: float = 0.05, min_interval: float = 1.0):
        super().__init__(show, budget, min_interval)
        self.drawn = 0  # records in the last picture

    def draw(self, run, final):
        record = run.instruments
        if len(record) == self.drawn and not (final and self.drawn):
            return None
        figure = instruments_figure(record)
        if figure is None:
            return None
        self.drawn = len(record)
        # Live frames at 1x (a 2x frame costs about four times as much); the last one sharp.
        return render.figure_png(figure, scale=render.SCALE if final else 1)


views.add(views.View("instruments", "instruments picture", lambda run: True, InstrumentsView))
