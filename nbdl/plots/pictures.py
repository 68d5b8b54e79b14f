"""Static pictures: a data set at a glance, and a small drawing of a network's layers."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..core.data import Dataset
from ..core.diagnostics import LayerRow, summary
from ..core.errors import NbdlError
from ..core.network import Network
from ..core.tasks import CLASSIFICATION
from .render import LIMIT, array, class_color, new_figure, plain


def data_figure(data: Dataset, limit: int = 40) -> Figure:
    """2-D samples as a scatter by class, images as a grid, anything else as class or target counts."""
    if not isinstance(data, Dataset):
        raise NbdlError(f"data_figure takes a Dataset (nbdl.data.load('moons'), nbdl.data.from_arrays(X, y)), "
                        f"got {type(data).__name__}")
    limit = LIMIT.check(limit)
    shape = data.sample_shape
    if len(shape) == 1 and shape[0] == 2:
        return _scatter(data)
    if len(shape) == 3 or (data.name == "digits" and shape == (64,)):
        return _images(data, limit)
    return _balance(data)


def _scatter(data: Dataset) -> Figure:
    figure, _ = new_figure(4.2, 3.6)
    ax = figure.subplots()
    classes = data.y if data.task == CLASSIFICATION else None
    if classes is None:
        points = ax.scatter(data.X[:, 0], data.X[:, 1], c=data.y[:, 0], s=10, cmap="viridis")
        figure.colorbar(points, ax=ax, label="target")
    else:
        names = data.class_names or [str(c) for c in range(data.n_classes)]
        for c in range(data.n_classes):
            mine = data.X[classes == c]
            ax.scatter(mine[:, 0], mine[:, 1], s=10, color=class_color(c), label=plain(f"{names[c]} ({len(mine)})"))
        ax.legend(fontsize=8, frameon=False, loc="best")
    names = [plain(f) for f in (data.feature_names or ["x1", "x2"])]
    ax.set(title=plain(f"{data.name}: {len(data)} samples"), xlabel=names[0], ylabel=names[1])
    figure.tight_layout()
    return figure


def _images(data: Dataset, limit: int) -> Figure:
    count = min(limit, len(data))
    columns = min(10, count)
    rows = math.ceil(count / columns)
    figure, _ = new_figure(columns * 0.8, rows * 0.9 + 0.3)
    side = int(round(math.sqrt(int(np.prod(data.sample_shape)))))
    for i in range(count):
        ax = figure.add_subplot(rows, columns, i + 1)
        image = data.X[i].reshape(-1, side, side)[0] if len(data.sample_shape) != 3 else data.X[i][0]
        ax.imshow(image, cmap="gray_r")
        label = data.class_names[data.y[i]] if data.class_names and data.task == CLASSIFICATION else data.y[i]
        ax.set_title(plain(label), fontsize=8, pad=2)
        ax.axis("off")
    figure.suptitle(plain(f"{data.name}: first {count} of {len(data)} images"), fontsize=9)
    figure.tight_layout(pad=0.3)
    return figure


def _balance(data: Dataset) -> Figure:
    figure, _ = new_figure(4.5, 2.6)
    ax = figure.subplots()
    if data.task == CLASSIFICATION:
        counts = data.class_counts()
        ax.bar(range(len(counts)), list(counts.values()), color=[class_color(i) for i in range(len(counts))])
        ax.set_xticks(range(len(counts)), [plain(c) for c in counts], rotation=30 if len(counts) > 5 else 0, fontsize=8)
        ax.set(title=plain(f"{data.name}: samples per class"), ylabel="samples")
    else:
        ax.hist(data.y[:, 0], bins=30, color=class_color(0))
        ax.set(title=plain(f"{data.name}: target values"), xlabel="target", ylabel="samples")
    figure.tight_layout()
    return figure


BOX_CHARACTERS = 16  # characters of a label line that fit in a box at the full font size


def layer_label(name: str) -> list[str]:
    """A layer's text form as short lines for its box: the type, then its options two to a line
    when they fit (``conv``, ``16 3 relu``, ``padding=same``)."""
    kind, *words = name.split()
    lines, line = [kind], ""
    for word in words:
        if line and len(line) + 1 + len(word) > BOX_CHARACTERS:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def network_figure(rows) -> Figure:
    """Boxes left to right, one per layer in the colour its type declares, taller for wider layers,
    labelled with the layer's text form (shrunk to fit the box), its output shape and parameters."""
    if isinstance(rows, Network):
        rows = summary(rows)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, LayerRow) for r in rows):
        raise NbdlError("network_figure takes an nbdl network or its summary(network) rows")
    figure, _ = new_figure(max(3.0, 1.25 * len(rows)), 2.3)
    ax = figure.subplots()
    widest = max((int(np.prod([s or 1 for s in r.output_shape])) for r in rows), default=1)
    for i, row in enumerate(rows):
        size = int(np.prod([s or 1 for s in row.output_shape]))
        height = 0.3 + 0.5 * math.log1p(size) / math.log1p(max(widest, 1))
        ax.add_patch(FancyBboxPatch((i + 0.08, 0.58 - height / 2), 0.84, height, boxstyle="round,pad=0.02",
                                    facecolor=row.color, edgecolor="#555555"))
        lines = layer_label(row.name)
        longest = max(len(line) for line in lines)
        ax.text(i + 0.5, 0.58, plain("\n".join(lines)), ha="center", va="center", linespacing=1.1,
                fontsize=min(7.0, 7.0 * BOX_CHARACTERS / max(longest, 1)))
        ax.text(i + 0.5, 0.06, row.shape_text, ha="center", fontsize=6.5, color="#333333")
        if row.parameters:
            ax.text(i + 0.5, -0.04, f"{row.parameters:,} w", ha="center", fontsize=6, color="#777777")
        if i:
            ax.annotate("", xy=(i + 0.08, 0.58), xytext=(i - 0.08, 0.58), arrowprops={"arrowstyle": "->", "color": "#777777"})
    ax.set_xlim(0, len(rows))
    ax.set_ylim(-0.1, 1.05)
    ax.axis("off")
    figure.tight_layout(pad=0.2)
    return figure


def forecast_figure(predicted, actual, name: str = "series") -> Figure:
    """One-step-ahead forecasts over the held-out end of a series, against what happened."""
    predicted, actual = array(predicted, "predicted", (1,)), array(actual, "actual", (1,))
    if len(predicted) != len(actual):
        raise NbdlError(f"predicted and actual must be as long as each other, got {len(predicted)} and {len(actual)}")
    figure, _ = new_figure(7.0, 2.8)
    ax = figure.subplots()
    steps = np.arange(len(actual))
    ax.plot(steps, actual, color="#333333", linewidth=1.2, label="actual")
    ax.plot(steps, predicted, color=class_color(1), linewidth=1.2, label="forecast (one step ahead)")
    error = float(np.mean(np.abs(np.asarray(predicted) - np.asarray(actual))))
    ax.set(title=plain(f"{name}: held-out part, mean abs. error {error:.3g}"), xlabel="step")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    return figure
