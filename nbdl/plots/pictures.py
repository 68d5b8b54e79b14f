"""Static pictures: a data set at a glance, and a small drawing of a network's layers.

Sizes are in inches of 72 CSS pixels, text in points (one CSS pixel each) where the notebook shows
the picture (see ``render``)."""
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
from .render import LIMIT, SMALLEST, TEXT, TITLE, array, class_color, new_figure, plain, readable

SEQUENCES = 3  # sequences drawn for sequence data (one panel each)
FEATURES = 6  # the most features of a sequence drawn (and named in its legend)
TOP_CHARACTERS = 30  # bars in a text data set's character counts
EXCERPT_LINES, EXCERPT_WIDTH = 6, 64  # the text excerpt: its first lines, cut at this many characters
SHOWN = {"\n": "\u21b5", " ": "\u2423", "\t": "\u21e5"}  # characters drawn as a visible sign


def data_figure(data: Dataset, limit: int = 40) -> Figure:
    """2-D samples as a scatter by class, images as a grid, a series over time, sequences step by
    step, text as an excerpt and its commonest characters, anything else as class or target counts."""
    if not isinstance(data, Dataset):
        raise NbdlError(f"data_figure takes a Dataset (nbdl.data.load('moons'), nbdl.data.from_arrays(X, y)), "
                        f"got {type(data).__name__}")
    limit = LIMIT.check(limit)
    shape = data.sample_shape
    if data.tokens and data.class_names:
        return _text(data)
    if data.ordered:
        return _series(data)
    if len(shape) == 2:
        return _sequences(data)
    if len(shape) == 1 and shape[0] == 2:
        return _scatter(data)
    if len(shape) == 3 or (data.name == "digits" and shape == (64,)):
        return _images(data, limit)
    return _balance(data)


def _legend_above(ax, columns: int) -> None:
    """The axes' legend in a row of its own between the title and the data, at the right: it hides
    none of the data and none of the title. Call it after ``readable(ax)`` (which resets title pads)."""
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=columns, borderaxespad=0.2, borderpad=0.2,
              handlelength=1.4, handletextpad=0.4, columnspacing=1.0, frameon=False, fontsize=TEXT)
    for loc in ("left", "center"):
        if ax.get_title(loc):  # raised by the legend's row: its text, its padding and the title's descenders
            ax.set_title(ax.get_title(loc), loc=loc, fontsize=TITLE, pad=2 * TEXT + 6)


def _scatter(data: Dataset) -> Figure:
    figure, _ = new_figure(6.4, 4.8, layout="constrained")
    ax = figure.subplots()
    classes = data.y if data.task == CLASSIFICATION else None
    if classes is None:
        points = ax.scatter(data.X[:, 0], data.X[:, 1], c=data.y[:, 0], s=14, cmap="viridis")
        colorbar = figure.colorbar(points, ax=ax, label="target")
        colorbar.ax.tick_params(labelsize=TEXT)
        colorbar.ax.yaxis.label.set_fontsize(TEXT)
    else:
        names = data.class_names or [str(c) for c in range(data.n_classes)]
        for c in range(data.n_classes):
            mine = data.X[classes == c]
            ax.scatter(mine[:, 0], mine[:, 1], s=14, color=class_color(c), label=plain(f"{names[c]} ({len(mine)})"))
        # Beside the points, not on them: a legend inside would cover some wherever it went.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False, fontsize=TEXT,
                  handletextpad=0.2, title="class", title_fontsize=TEXT)
    names = [plain(f) for f in (data.feature_names or ["x1", "x2"])]
    ax.set(title=plain(f"{data.name}: {len(data)} samples"), xlabel=names[0], ylabel=names[1])
    readable(ax)
    return figure


def _images(data: Dataset, limit: int) -> Figure:
    count = min(limit, len(data))
    columns = min(10, count)
    rows = math.ceil(count / columns)
    figure, _ = new_figure(columns * 0.9 + 0.1, rows * 1.05 + 0.45)
    side = int(round(math.sqrt(int(np.prod(data.sample_shape)))))
    for i in range(count):
        ax = figure.add_subplot(rows, columns, i + 1)
        image = data.X[i].reshape(-1, side, side)[0] if len(data.sample_shape) != 3 else data.X[i][0]
        ax.imshow(image, cmap="gray_r")
        label = data.class_names[data.y[i]] if data.class_names and data.task == CLASSIFICATION else data.y[i]
        ax.set_title(plain(label), fontsize=TEXT, pad=3)
        ax.axis("off")
    figure.suptitle(plain(f"{data.name}: first {count} of {len(data)} images"), fontsize=TITLE)
    figure.tight_layout(pad=0.3)
    return figure


def _balance(data: Dataset) -> Figure:
    figure, _ = new_figure(6.0, 3.6, layout="constrained")
    ax = figure.subplots()
    if data.task == CLASSIFICATION:
        counts = data.class_counts()
        ax.bar(range(len(counts)), list(counts.values()), color=[class_color(i) for i in range(len(counts))])
        ax.set_xticks(range(len(counts)), [plain(c) for c in counts], rotation=30 if len(counts) > 5 else 0,
                      ha="right" if len(counts) > 5 else "center")
        ax.set(title=plain(f"{data.name}: samples per class"), ylabel="samples")
    else:
        ax.hist(data.y[:, 0], bins=30, color=class_color(0))
        ax.set(title=plain(f"{data.name}: target values"), xlabel="target", ylabel="samples")
    readable(ax)
    return figure


def series_values(data: Dataset) -> np.ndarray:
    """The series an ordered data set was cut from, in time order: for forecasting windows (values
    relative to each window's last, with ``offset`` holding it) the first window then each window's
    next value; otherwise the first target column, sample by sample."""
    target = np.asarray(data.y, dtype=float).reshape(len(data), -1)[:, 0]
    if data.offset is None:
        return target
    nexts = target + data.offset  # each window's next value, in the series' units
    if data.X.ndim == 3 and data.X.shape[2] == 1:
        return np.concatenate([data.X[0, :, 0] + data.offset[0], nexts])
    return nexts


def _series(data: Dataset) -> Figure:
    values = series_values(data)
    figure, _ = new_figure(8.6, 3.6, layout="constrained")
    ax = figure.subplots()
    steps = np.arange(len(values))
    ax.plot(steps, values, color="#333333", linewidth=1.0)
    if data.offset is not None and data.X.ndim == 3 and data.X.shape[2] == 1:
        window = data.X.shape[1]  # one sample: a window of steps, and the next value to forecast
        ax.axvspan(-0.5, window - 0.5, color=class_color(0), alpha=0.25, linewidth=0,
                   label=f"one sample: {window} steps")
        ax.plot([window], [values[window]], "o", color=class_color(1), markersize=6, label="its target, the next")
    ax.set_title(plain(f"{data.name}: {len(values)} steps"), loc="left")
    ax.set(xlabel="step", xlim=(-0.5, len(values) - 0.5))
    ax.grid(alpha=0.3)
    readable(ax)
    if ax.get_legend_handles_labels()[0]:
        _legend_above(ax, 2)
    return figure


def _sequences(data: Dataset) -> Figure:
    """The first few sequences, one panel each: every feature over the steps, the target in the title."""
    count = min(SEQUENCES, len(data))
    steps, features = data.sample_shape
    figure, _ = new_figure(8.0, 0.7 + 1.75 * count, layout="constrained")
    axes = figure.subplots(count, 1, sharex=True, squeeze=False)[:, 0]
    names = data.feature_names or [f"feature {f + 1}" for f in range(features)]
    for i, ax in enumerate(axes):
        for f in range(min(features, FEATURES)):
            ax.plot(np.arange(steps), data.X[i, :, f], color=class_color(f), linewidth=1.2,
                    drawstyle="steps-mid", label=plain(names[f]))
        target = (data.class_names[int(data.y[i])] if data.class_names else int(data.y[i])) \
            if data.task == CLASSIFICATION else ", ".join(f"{v:.3g}" for v in np.ravel(data.y[i])[:3])
        ax.set_title(plain(f"sequence {i + 1}: target {target}"), loc="left")
        ax.grid(alpha=0.3)
        readable(ax)
    if features <= FEATURES:  # beside the first panel: any number of names fits and hides nothing
        axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, frameon=False, fontsize=TEXT,
                       handlelength=1.4)
    axes[-1].set_xlabel("step", fontsize=TEXT)
    figure.suptitle(plain(f"{data.name}: {len(data)} sequences of {steps} steps"), fontsize=TITLE, x=0.01,
                    ha="left")
    return figure


def _text(data: Dataset) -> Figure:
    """The text's first lines (windows follow each other) and its commonest characters."""
    vocabulary = data.class_names
    codes = np.asarray(data.X[: math.ceil(4 * EXCERPT_LINES * EXCERPT_WIDTH / data.X.shape[1])], dtype=int).ravel()
    excerpt = "".join(vocabulary[c] if 0 <= c < len(vocabulary) else "?" for c in codes)
    lines = [line if len(line) <= EXCERPT_WIDTH else line[:EXCERPT_WIDTH - 1] + "\u2026"
             for line in excerpt.expandtabs(4).split("\n")[:EXCERPT_LINES]]
    figure, _ = new_figure(8.4, 5.8, layout="constrained")
    top, bottom = figure.subplots(2, 1, gridspec_kw={"height_ratios": [0.6, 1.3]})
    top.axis("off")
    top.set_title(plain(f"{data.name}: {len(data)} windows of {data.X.shape[1]} characters, "
                        f"{len(vocabulary)} distinct; it begins"), loc="left", fontsize=TITLE)
    top.text(0, 1, plain("\n".join(lines)), family="monospace", fontsize=TEXT, va="top", ha="left", linespacing=1.35,
             transform=top.transAxes, in_layout=False)  # EXCERPT_WIDTH characters fit the figure's width
    counts = np.bincount(np.asarray(data.y, dtype=int).ravel(), minlength=len(vocabulary))
    order = np.argsort(-counts, kind="stable")[:TOP_CHARACTERS]
    bottom.bar(range(len(order)), counts[order] / counts.sum() * 100, color=class_color(0))
    bottom.set_xticks(range(len(order)), [plain(SHOWN.get(vocabulary[c], vocabulary[c])) for c in order],
                      family="monospace")
    bottom.set(xlim=(-0.6, len(order) - 0.4), ylabel="% of characters")
    bottom.set_title(f"the {len(order)} commonest characters (\u2423 space, \u21b5 new line)", loc="left")
    bottom.grid(axis="y", alpha=0.3)
    readable(bottom)
    return figure


BOX_CHARACTERS = 14  # characters of a label line that fit in a box at SMALLEST
PER_ROW = 6  # boxes in one row of the network drawing
ROW_HEIGHT = 1.3  # a row's height in the drawing's units
LAYER_WIDTH = 1.7  # inches (72 shown pixels each) per layer: a box and the arrow to the next


def layer_label(name: str) -> list[str]:
    """A layer's text form as short lines for its box: the type, then its options two to a line
    when they fit (``conv``, ``16 3 relu``, ``padding=same``); an option too long for a line is
    cut before its parenthesis or equals sign (``leaky_relu``, ``(0.05)``)."""
    kind, *words = name.split()
    lines, line = [kind], ""
    for word in (part for word in words for part in _parts(word)):
        if line and len(line) + 1 + len(word) > BOX_CHARACTERS:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def _parts(word: str) -> list[str]:
    for mark in "(=":
        cut = word.find(mark, 1)
        if len(word) > BOX_CHARACTERS and cut > 0:
            return [word[:cut], *_parts(word[cut:])]
    return [word]


def network_figure(rows) -> Figure:
    """Boxes left to right, one per layer in the colour its type declares, taller for wider layers,
    labelled with the layer's text form, its output shape and parameters."""
    if isinstance(rows, Network):
        rows = summary(rows)
    if not isinstance(rows, list) or not rows or not all(isinstance(r, LayerRow) for r in rows):
        raise NbdlError("network_figure takes an nbdl network or its summary(network) rows")
    across = min(len(rows), PER_ROW)  # a deep network wraps onto more rows, read left to right
    lines_of = -(-len(rows) // PER_ROW)
    figure, _ = new_figure(max(3.0, LAYER_WIDTH * across), 2.9 * lines_of)
    ax = figure.subplots()
    figure.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.98)
    widest = max((int(np.prod([s or 1 for s in r.output_shape])) for r in rows), default=1)
    for i, row in enumerate(rows):
        x, y = i % PER_ROW, -ROW_HEIGHT * (i // PER_ROW)  # the box's column, and its row's offset
        size = int(np.prod([s or 1 for s in row.output_shape]))
        height = 0.3 + 0.5 * math.log1p(size) / math.log1p(max(widest, 1))
        ax.add_patch(FancyBboxPatch((x + 0.07, y + 0.58 - height / 2), 0.86, height, boxstyle="round,pad=0.02",
                                    facecolor=row.color, edgecolor="#555555"))
        lines = layer_label(row.name)
        ax.text(x + 0.5, y + 0.58, plain("\n".join(lines)), ha="center", va="center", linespacing=1.15,
                fontsize=SMALLEST)
        ax.text(x + 0.5, y + 0.04, row.shape_text, ha="center", fontsize=SMALLEST, color="#333333")
        if row.parameters:
            ax.text(x + 0.5, y - 0.12, f"{row.parameters:,} w", ha="center", fontsize=SMALLEST, color="#666666")
        if i:  # from the previous box; a row's first box is entered from the left edge
            ax.annotate("", xy=(x + 0.07, y + 0.58), xytext=(x - 0.07 if x else x - 0.0, y + 0.58),
                        arrowprops={"arrowstyle": "->", "color": "#777777"})
    ax.set_xlim(0 if lines_of == 1 else -0.02, across)
    ax.set_ylim(-0.16 - ROW_HEIGHT * (lines_of - 1), 1.08)
    ax.axis("off")
    return figure


def forecast_figure(predicted, actual, name: str = "series") -> Figure:
    """One-step-ahead forecasts over the held-out end of a series, against what happened."""
    predicted, actual = array(predicted, "predicted", (1,)), array(actual, "actual", (1,))
    if len(predicted) != len(actual):
        raise NbdlError(f"predicted and actual must be as long as each other, got {len(predicted)} and {len(actual)}")
    figure, _ = new_figure(8.0, 3.8, layout="constrained")
    ax = figure.subplots()
    steps = np.arange(len(actual))
    ax.plot(steps, actual, color="#333333", linewidth=1.2, label="actual")
    ax.plot(steps, predicted, color=class_color(1), linewidth=1.2, label="forecast (one step ahead)")
    error = float(np.mean(np.abs(np.asarray(predicted) - np.asarray(actual))))
    ax.set_title(plain(f"{name}: held-out part, mean abs. error {error:.3g}"), loc="left")
    ax.set(xlabel="step")
    ax.grid(alpha=0.3)
    readable(ax)
    _legend_above(ax, 2)
    return figure
