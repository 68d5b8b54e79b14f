"""Pictures of the loss landscape: the loss along the line between two runs' weights, and the loss
over a plane around a run's weights as a contour, with the training trajectory drawn on it."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm

from ..core.landscape import Line, Plane
from .render import TEXT, TITLE, class_color, new_figure, plain, readable

NAMES = {"train": "training", "val": "validation", "test": "test"}


def line_figure(line: Line, names: tuple[str, str] | None = None):
    """Loss (and accuracy, for classes) against alpha: 0 is the first run's weights, 1 the second's."""
    names = names or line.names
    panels = 2 if line.accuracies else 1
    figure, _ = new_figure(4.4 * panels + 0.3, 3.6, layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    for i, split in enumerate(line.losses):
        style = {"color": class_color(i), "linewidth": 2, "label": NAMES.get(split, split)}
        axes[0].plot(line.alphas, line.losses[split], **style)
        if line.accuracies:
            axes[1].plot(line.alphas, line.accuracies[split], **style)
    axes[0].set_yscale("log" if _spans_decades(line.losses.values()) else "linear")
    axes[0].set_title("loss along the line", loc="left", fontsize=TITLE)
    if line.accuracies:
        axes[1].set_title("accuracy", loc="left", fontsize=TITLE)
    for ax in axes:
        for at, name in ((0.0, names[0]), (1.0, names[1])):
            ax.axvline(at, color="#555555", linewidth=1, linestyle=":")
            ax.annotate(plain(name), (at, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontsize=TEXT)
        ax.set_xlabel("alpha (0: first run, 1: second)")
        ax.grid(alpha=0.3)
        ax.set_xlim(line.alphas.min(), line.alphas.max())
    axes[0].legend(fontsize=TEXT, frameon=False)
    readable(*axes)
    for ax in axes:  # above the run names written over the axes
        ax.set_title(ax.get_title("left"), loc="left", fontsize=TITLE, pad=20)
    return figure


def _spans_decades(values) -> bool:
    finite = np.concatenate([np.asarray(v, dtype=float).ravel() for v in values])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    return finite.size > 0 and finite.max() / finite.min() > 30


def plane_figure(plane: Plane, title: str = "loss landscape"):
    """The loss over the plane as filled contours (log-spaced levels), the trained weights at the
    centre (a star) and, when the plane has one, the training path with its first and last epochs."""
    figure, _ = new_figure(6.6, 5.2, layout="constrained")
    ax = figure.add_subplot()
    losses = np.where(np.isfinite(plane.losses), plane.losses, np.nan)
    low, high = float(np.nanmin(losses)), float(np.nanmax(losses))
    levels = np.geomspace(max(low, 1e-6), max(high, low * 1.01, 2e-6), 20)
    filled = ax.contourf(plane.a, plane.b, np.clip(losses, levels[0], levels[-1]), levels=levels,
                         norm=LogNorm(levels[0], levels[-1]), cmap="viridis")
    ax.contour(plane.a, plane.b, losses, levels=levels[::2], colors="white", linewidths=0.5, alpha=0.5)
    bar = figure.colorbar(filled, ax=ax, shrink=0.9)
    bar.set_label(f"{NAMES.get(plane.split, plane.split)} loss (log scale)", fontsize=TEXT)
    bar.set_ticks(levels[::3], labels=[f"{v:.3g}" for v in levels[::3]])
    bar.ax.minorticks_off()
    bar.ax.tick_params(labelsize=TEXT)
    if plane.path is not None:
        ax.plot(plane.path[:, 0], plane.path[:, 1], "-o", color="#ff7f0e", markersize=4, linewidth=2,
                markeredgecolor="black", markeredgewidth=0.5, label="training path", zorder=5)
        for index, where in ((0, "left"), (-1, "right")):
            ax.annotate(f"epoch {plane.epochs[index]}", plane.path[index], xytext=(6, 6), textcoords="offset points",
                        fontsize=TEXT, color="white", ha=where if where == "left" else "left",
                        bbox={"facecolor": "black", "alpha": 0.5, "edgecolor": "none", "pad": 1.5})
    ax.scatter([0], [0], marker="*", s=260, color="gold", edgecolors="black", zorder=6, label="trained weights")
    ax.set_xlabel(plane.labels[0])
    ax.set_ylabel(plane.labels[1])
    ax.set_title(plain(f"{title}: {plane.method}"), loc="left", fontsize=TITLE)
    # Under the axes: inside them it would cover the path's start or its labels wherever it sat.
    figure.legend(loc="outside lower center", ncols=2, fontsize=TEXT, frameon=False)
    readable(ax)
    return figure
