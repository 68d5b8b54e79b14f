"""Pictures of the per-layer instruments: the gradient-norm heat map (layer x record), dead and
saturated shares per layer, activation histograms, and the signal through depth of ``inspect``."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

from . import render, views

MAX_HISTOGRAMS = 6  # layers whose histograms are drawn (evenly chosen, first and last included)


def _short(name: str, width: int = 22) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


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
                               top=1 - 0.45 / height, wspace=0.3)
    labels = [_short(name) for name in layers]
    _gradients(figure.add_subplot(grid[0]), record, ends, labels)
    _shares(figure.add_subplot(grid[1]), record, ends[-1], rows)
    _histograms(figure, grid[2], record, ends[-1])
    return figure


def _gradients(ax, record, ends: list[int], labels: list[str]) -> None:
    grads = np.asarray([record.rows["grad_norm"][i] for i in ends], dtype=float).T  # (layers, records)
    shown = np.where(np.isfinite(grads) & (grads > 0), grads, np.nan)
    positive = shown[np.isfinite(shown)]
    norm = LogNorm(vmin=max(positive.min(), 1e-12), vmax=max(positive.max(), positive.min() * 10)) \
        if positive.size else None
    epochs = [record.epochs[i] for i in ends]
    image = ax.imshow(shown, aspect="auto", cmap="viridis", norm=norm, interpolation="nearest",
                      extent=(0.5, len(ends) + 0.5, len(labels) - 0.5, -0.5))
    ax.set_yticks(range(len(labels)), labels)
    ticks = _chosen(len(epochs), 6)
    ax.set_xticks([t + 1 for t in ticks], [str(epochs[t]) for t in ticks])
    ax.set(title="gradient norm per layer", xlabel="epoch")
    colorbar = ax.figure.colorbar(image, ax=ax, pad=0.02, fraction=0.08)
    colorbar.ax.tick_params(labelsize=render.TEXT - 1)


def _shares(ax, record, index: int, rows: int) -> None:
    dead = np.asarray(record.rows["dead"][index], dtype=float)
    saturated = np.asarray(record.rows["saturated"][index], dtype=float)
    y = np.arange(rows)
    ax.barh(y - 0.2, np.nan_to_num(dead), height=0.4, color="#d62728", label="dead")
    ax.barh(y + 0.2, np.nan_to_num(saturated), height=0.4, color="#9467bd", label="saturated")
    for i in range(rows):
        if math.isnan(dead[i]) and math.isnan(saturated[i]):
            ax.text(0.02, i, "n/a", va="center", color="#7f7f7f", fontsize=render.TEXT - 1)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_yticks(y, [str(i + 1) for i in y])
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.5, 1], ["0%", "50%", "100%"])
    ax.set(ylabel="layer", xlabel=f"share of units, epoch {record.epochs[index]}")
    ax.grid(axis="x", alpha=0.3)
    # The legend is the panel's title: above the axes, it hides no bar.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, handlelength=1,
              borderaxespad=0.2, columnspacing=1.0)


def _histograms(figure, cell, record, index: int) -> None:
    counts, edges = record.hist_rows["act_hist"][index]
    chosen = [i for i in _chosen(len(record.layers), MAX_HISTOGRAMS) if np.isfinite(edges[i]).all()]
    inner = cell.subgridspec(max(len(chosen), 1), 1, hspace=0.9)
    for row, layer in enumerate(chosen):
        ax = figure.add_subplot(inner[row])
        centers = (edges[layer][:-1] + edges[layer][1:]) / 2
        share = counts[layer] / max(counts[layer].sum(), 1)
        ax.fill_between(centers, share, step="mid", color="#1f77b4", alpha=0.6)
        ax.set_yticks([])
        ax.set_ylabel(str(layer + 1), rotation=0, ha="right", va="center", fontsize=render.TEXT)
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.tick_params(axis="x", labelsize=render.TEXT - 1, pad=1)
        if row == 0:
            ax.set_title("activations by layer (latest)")
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)


def depth_figure(inspection: Any) -> render.Picture:
    """``inspect``'s picture: activation standard deviation and gradient norm by layer (log scales),
    one line per initialisation."""
    figure, _ = render.new_figure(11, 3.6)
    left, right = figure.subplots(1, 2)
    for k, depth in enumerate(inspection.depths):
        color = render.CLASS_COLORS[k % len(render.CLASS_COLORS)]
        x = np.arange(1, len(depth.layers) + 1)
        std = np.asarray(depth.figures["act_std"], dtype=float)
        grad = np.asarray(depth.figures["grad_norm"], dtype=float)
        left.plot(x, np.where(std > 0, std, np.nan), marker="o", markersize=3, color=color, label=depth.init)
        weighted = np.asarray(depth.weighted)
        right.plot(x[weighted], np.where(grad > 0, grad, np.nan)[weighted], marker="o", markersize=3, color=color,
                   label=depth.init)
    left.set(yscale="log", title="activation std by layer", xlabel="layer (input side first)")
    right.set(yscale="log", title="gradient norm by layer", xlabel="layer (input side first)")
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=4, frameon=False)
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.28, top=0.91, wspace=0.22)
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
