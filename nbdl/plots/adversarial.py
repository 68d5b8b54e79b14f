"""Pictures of adversarial examples: accuracy against epsilon (one curve per attack or run), and for
images a grid of clean images, the perturbations and the perturbed images with their predictions."""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..core.adversarial import AttackResult
from ..core.errors import NbdlError
from .interpret import image_of, short
from .render import TEXT, TITLE, class_color, new_figure, plain, readable

MOST_ROWS = 3  # epsilons drawn in the examples grid, at most (the largest ones)
WRONG = "#d62728"


def _results(results: Any) -> list[AttackResult]:
    found = [results] if isinstance(results, AttackResult) else results
    if not isinstance(found, (list, tuple)) or not found or not all(isinstance(r, AttackResult) for r in found):
        raise NbdlError("takes an AttackResult or a list of them (from nbdl.attack(run, ...))")
    return list(found)


def label_of(result: AttackResult) -> str:
    return f"pgd, {result.steps} steps" if result.method == "pgd" else result.method


def accuracy_figure(results: Any, labels: list[str] | None = None) -> Figure:
    """Accuracy against epsilon, one curve per result (labelled by ``labels``, else by the attack)."""
    found = _results(results)
    if labels is not None and (not isinstance(labels, (list, tuple)) or len(labels) != len(found)):
        raise NbdlError(f"labels must be a list of {len(found)} names, one per result, got {labels!r:.60}")
    labels = [plain(n) for n in labels] if labels is not None else [label_of(r) for r in found]
    figure, _ = new_figure(5.6, 3.6, layout="constrained")
    ax = figure.add_subplot()
    for n, (result, label) in enumerate(zip(found, labels)):
        ax.plot(result.eps, result.accuracy, marker="o", markersize=4, color=class_color(n), label=label)
    chance = 1 / max(len(found[0].class_names), 1)
    ax.axhline(chance, color="#999999", linestyle=":", linewidth=1, label="chance")
    top = max(float(r.eps.max()) for r in found) or 1.0
    ax.set_xlim(0, top * 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("epsilon: largest change per input value")
    ax.set_ylabel("accuracy")
    ax.set_title(f"accuracy under attack ({found[0].split} split)", loc="left")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", frameon=True, framealpha=0.9)
    readable(ax)
    return figure


def examples_figure(result: AttackResult, eps: list[float] | None = None) -> Figure:
    """For images: the clean examples on top, then for each epsilon (the largest few by default) the
    perturbation (red raised, blue lowered) and the perturbed image titled with its prediction (red
    when wrong)."""
    result = _results(result)[0]
    if not result.images:
        raise NbdlError(f"examples_figure draws images; these samples have shape {result.sample_shape}: draw "
                        "accuracy_figure(result) instead")
    if not len(result.indices):
        raise NbdlError("this attack kept no examples (count=0); attack again with count=8")
    chosen = _chosen(result, eps)
    k, names = len(result.indices), result.class_names
    rows = 1 + 2 * len(chosen)
    figure, _ = new_figure(max(k * 1.15 + 1.0, 5.0), rows * 1.3 + 0.5, layout="constrained")
    grid = figure.add_gridspec(rows, k)
    pixels = np.concatenate([result.clean.ravel(), result.perturbed[chosen].ravel()])
    low, high = float(pixels.min()), float(pixels.max())
    for c in range(k):
        true = int(result.labels[c])
        _image(figure.add_subplot(grid[0, c]), result.clean[c], low, high,
               f"true {short(names[true], 5)}", "clean" if c == 0 else "")
        for r, e in enumerate(chosen):
            e_value = float(result.eps[e])
            change = result.perturbation[e, c, 0] if result.perturbation.shape[2] == 1 else \
                result.perturbation[e, c].mean(axis=0)
            ax = figure.add_subplot(grid[1 + 2 * r, c])
            ax.imshow(change, cmap="RdBu_r", vmin=-e_value, vmax=e_value)
            _bare(ax, f"change\n±{e_value:g}" if c == 0 else "")
            predicted = int(result.predicted[e, c])
            _image(figure.add_subplot(grid[2 + 2 * r, c]), result.perturbed[e, c], low, high,
                   f"as {short(names[predicted], 5)}", f"eps {e_value:g}" if c == 0 else "",
                   WRONG if predicted != true else "black")
    steps = f", {result.steps} steps" if result.method == "pgd" else ""
    figure.suptitle(f"{result.method}{steps}: clean images, the changes and the perturbed images", fontsize=TITLE)
    return figure


def _chosen(result: AttackResult, eps: list[float] | None) -> list[int]:
    """Indices into ``result.eps`` of the epsilons to draw."""
    if eps is None:
        return [i for i in range(len(result.eps)) if result.eps[i] > 0][-MOST_ROWS:]
    values = [float(e) for e in (eps if isinstance(eps, (list, tuple)) else [eps])]
    missing = [e for e in values if not np.isclose(result.eps, e).any()]
    if missing:
        raise NbdlError(f"eps {', '.join(f'{e:g}' for e in missing)} was not tried; this result has: "
                        f"{', '.join(f'{e:g}' for e in result.eps)}")
    return [int(np.flatnonzero(np.isclose(result.eps, e))[0]) for e in values]


def _image(ax, x: np.ndarray, low: float, high: float, title: str, row: str, color: str = "black") -> None:
    image, cmap = image_of(x)
    ax.imshow(image, cmap=cmap, vmin=low if cmap else None, vmax=high if cmap else None)
    ax.set_title(title, fontsize=TEXT, pad=2, color=color)
    _bare(ax, row)


def _bare(ax, row: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    if row:
        ax.set_ylabel(row, fontsize=TEXT)
