"""Pictures of what a classifier gets wrong and what it looks at: the confusion matrix beside each
class's accuracy, the most confidently wrong images, and saliency and integrated gradients."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..core.errors import NbdlError
from ..core.interpret import Attribution, Interpretation
from ..core.options import INT, Option
from .render import TEXT, TITLE, new_figure, plain, shorten

CLASSES = Option("limit", 20, "the most classes to draw (those with the most mistakes)", kind=INT, low=2, high=40)
CELL = 0.45  # inches per class in the confusion matrix: 32 px, room for three digits


def _interpretation(value: object) -> Interpretation:
    if not isinstance(value, Interpretation):
        raise NbdlError(f"this picture takes an Interpretation (from run.interpret()), got {type(value).__name__}")
    return value


def shown_classes(interpretation: Interpretation, limit: int = 20) -> np.ndarray:
    """The classes to draw, in order: all of them, or the ``limit`` that are most often mistaken
    (as the true class or the predicted one)."""
    confusion = interpretation.confusion
    if len(confusion) <= limit:
        return np.arange(len(confusion))
    off = confusion - np.diag(np.diag(confusion))
    return np.sort(np.argsort(-(off.sum(axis=0) + off.sum(axis=1)), kind="stable")[:limit])


def short(name: str, width: int = 10) -> str:
    return plain(shorten(name, width))


def confusion_figure(interpretation: Interpretation, limit: int = 20) -> Figure:
    """The confusion matrix as a heat map of counts (each cell shaded by its share of the true
    class), and beside each row that class's accuracy and sample count."""
    it = _interpretation(interpretation)
    keep = shown_classes(it, CLASSES.check(limit))
    k = len(keep)
    counts = it.confusion[np.ix_(keep, keep)]
    shares = counts / np.maximum(it.per_class_count[keep], 1)[:, None]
    names = [short(it.class_names[c]) for c in keep]
    longest = max(len(n) for n in names)
    cell = max(CELL, 0.11 * len(str(int(counts.max()))) + 0.12)  # wide enough for the largest count
    figure, _ = new_figure(k * cell + 0.1 * longest + 3.8, max(k * cell + 0.09 * longest + 1.4, 3.0))
    figure.set_layout_engine("constrained")
    matrix, bars = figure.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [k * cell, 2.6]})
    matrix.imshow(_shades(shares), aspect="auto")
    for (i, j), count in np.ndenumerate(counts):
        matrix.text(j, i, str(int(count)), ha="center", va="center", fontsize=TEXT,
                    color="white" if (shares[i, j] > 0.5 if i == j else shares[i, j] > 0.3) else
                    "black" if count else "#999999")
    matrix.set_xticks(range(k), names, fontsize=TEXT, rotation=45 if longest > 3 else 0,
                      ha="right" if longest > 3 else "center", rotation_mode="anchor")
    matrix.set_yticks(range(k), names, fontsize=TEXT)
    matrix.set_xlabel("predicted class", fontsize=TEXT)
    matrix.set_ylabel("true class", fontsize=TEXT)
    accuracy = it.per_class_accuracy[keep]
    bars.barh(range(k), np.nan_to_num(accuracy), color="#1f77b4", height=0.7)
    for i, (value, n) in enumerate(zip(accuracy, it.per_class_count[keep])):
        said = "no samples" if np.isnan(value) else f"{value:.0%} of {int(n)}"
        bars.text(0.02 + np.nan_to_num(value), i, said, va="center", fontsize=TEXT)
    bars.set_xlim(0, 1.6)
    bars.set_xticks([0, 0.5, 1], ["0%", "50%", "100%"], fontsize=TEXT)
    bars.set_xlabel("accuracy of the true class", fontsize=TEXT)
    bars.tick_params(axis="y", left=False)
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    total = int(it.confusion.sum())
    part = f"; the {k} classes most often mistaken of {len(it.confusion)}" if k < len(it.confusion) else ""
    figure.suptitle(plain(f"{it.split} split: {it.accuracy:.1%} of {total} correct{part}"), fontsize=TITLE)
    return figure


def _shades(shares: np.ndarray) -> np.ndarray:
    """(k, k, 3) colours: right answers in blue by their share of the row, mistakes in red, twice
    as strong (a few mistakes in a class should show), empty cells white."""
    from matplotlib import colormaps

    right = colormaps["Blues"](shares)[..., :3]
    wrong = colormaps["Reds"](np.minimum(2 * shares, 1.0) * 0.8)[..., :3]
    shades = np.where(np.eye(len(shares), dtype=bool)[..., None], right, wrong)
    shades[shares == 0] = 1.0  # no samples: white
    return shades


def image_of(x: np.ndarray) -> tuple[np.ndarray, str | None]:
    """What imshow draws for a (channels, height, width) sample, and its colour map."""
    if x.shape[0] == 3:
        low, high = float(x.min()), float(x.max())
        return (x.transpose(1, 2, 0) - low) / ((high - low) or 1.0), None
    return x[0], "gray_r"


def mistakes_figure(interpretation: Interpretation) -> Figure:
    """The most confidently wrong images in a grid, each titled with its true class, the predicted
    class and the confidence (the table of ``interpretation.mistakes_html()`` for other samples)."""
    it = _interpretation(interpretation)
    if not it.images:
        raise NbdlError(f"mistakes_figure draws images; these samples have shape {it.sample_shape}: show "
                        "interpretation.mistakes_html() (a table) instead")
    if not it.mistakes:
        raise NbdlError(f"no wrong predictions on the {it.split} split: nothing to draw")
    columns = min(8, len(it.mistakes))
    rows = -(-len(it.mistakes) // columns)
    figure, _ = new_figure(columns * 1.25, rows * 1.75 + 0.45)
    figure.set_layout_engine("constrained")
    for n, m in enumerate(it.mistakes):
        ax = figure.add_subplot(rows, columns, n + 1)
        image, cmap = image_of(m.x)
        ax.imshow(image, cmap=cmap)
        ax.set_title(f"true {short(it.class_names[m.true], 6)}\nas {short(it.class_names[m.predicted], 6)} "
                     f"{m.confidence:.0%}", fontsize=TEXT, pad=3)
        ax.set_xlabel(f"#{m.index}", fontsize=TEXT, labelpad=2, color="#555555")
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle(plain(f"the {len(it.mistakes)} most confidently wrong of {it.wrong} ({it.split} split)"),
                    fontsize=TITLE)
    return figure


def attributions_figure(attributions: Attribution | list[Attribution]) -> Figure:
    """One row per sample: the image, the top three class probabilities, then each attribution
    (saliency in one colour, bright = the score moves most; integrated gradients red for pixels
    that raise the score, blue for those that lower it)."""
    found = [attributions] if isinstance(attributions, Attribution) else attributions
    if not isinstance(found, list) or not found or not all(isinstance(a, Attribution) for a in found):
        raise NbdlError("attributions_figure takes an Attribution or a list of them (from run.attributions(...))")
    first = found[0]
    if any(not np.array_equal(a.indices, first.indices) or a.split != first.split for a in found):
        raise NbdlError("the attributions must be of the same samples (the same split and indices)")
    rows, columns = len(first.indices), 2 + len(found)
    figure, _ = new_figure(max(1.75 + 2.6 + 1.9 * len(found), 7.2), rows * 1.75 + 0.3 + 0.3 * len(found))
    figure.set_layout_engine("constrained")
    grid = figure.add_gridspec(rows, columns, width_ratios=[1.75, 2.6, *[1.9] * len(found)])
    names = first.class_names
    for r in range(rows):
        x = first.inputs[r]
        ax = figure.add_subplot(grid[r, 0])
        image, cmap = image_of(x)
        ax.imshow(image, cmap=cmap)
        ax.set_title(f"#{int(first.indices[r])}, true {short(names[first.true[r]], 8)}", fontsize=TEXT)
        _bare(ax)
        _probabilities(figure.add_subplot(grid[r, 1]), first.probabilities[r], names, int(first.true[r]))
        for c, attribution in enumerate(found):
            ax = figure.add_subplot(grid[r, 2 + c])
            _attribution(ax, attribution, r)
    figure.suptitle("what moves the score of each explained class, pixel by pixel", fontsize=TITLE)
    notes = {"saliency": "saliency: the brighter a pixel, the more it moves the score",
             "integrated_gradients": "integr. grad. (from an all-zero image): red pixels raise the score, "
                                     "blue lower it"}
    figure.supxlabel("\n".join(dict.fromkeys(notes[a.method] for a in found)), fontsize=TEXT)
    return figure


def _probabilities(ax, probabilities: np.ndarray, names: list[str], true: int) -> None:
    top = np.argsort(-probabilities, kind="stable")[:3][::-1]
    colors = ["#2ca02c" if c == true else "#d62728" if c == top[-1] else "#7f7f7f" for c in top]
    ax.barh(range(len(top)), probabilities[top], color=colors, height=0.65)
    for i, c in enumerate(top):
        ax.text(probabilities[c] + 0.03, i, f"{probabilities[c]:.0%}", va="center", fontsize=TEXT)
    ax.set_yticks(range(len(top)), [short(names[c], 8) for c in top], fontsize=TEXT)
    ax.set_xlim(0, 1.45)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    best = top[-1]
    ax.set_title(f"predicted {short(names[best], 8)}", fontsize=TEXT,
                 color="#2ca02c" if best == true else "#d62728")


def _attribution(ax, attribution: Attribution, row: int) -> None:
    values = attribution.values[row]
    target = short(attribution.class_names[attribution.target[row]], 8)
    if attribution.method == "saliency":
        ax.imshow(values.max(axis=0), cmap="inferno", vmin=0)
        title = f"saliency of {target}"
    else:
        total = values.sum(axis=0)
        scale = float(np.abs(total).max()) or 1.0
        ax.imshow(total, cmap="RdBu_r", vmin=-scale, vmax=scale)
        title = f"integr. grad. of {target}"  # "integrated gradients" is too wide for the column
    ax.set_title(title, fontsize=TEXT)
    _bare(ax)


def _bare(ax) -> None:
    """No ticks, no labels and no frame: a picture, not a chart."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
