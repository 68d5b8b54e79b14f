"""Pictures of convolutional networks: learned filters, and feature maps of one image (text at the
notebook's size: see ``render``)."""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ..core.errors import NbdlError
from .render import LIMIT, TEXT, TITLE, array, new_figure, plain


def filters_figure(weights, limit: int = 32) -> Figure:
    """Each first-layer filter as a small image (averaged over input channels), blue < 0 < red."""
    weights = array(weights, "the filters (filters, channels, kernel, kernel)", (4,))
    kernels = weights.mean(axis=1)[:LIMIT.check(limit)]  # (filters, k, k)
    columns = min(8, len(kernels))
    rows = math.ceil(len(kernels) / columns)
    figure, _ = new_figure(columns * 0.85 + 0.1, rows * 1.0 + 0.45)
    scale = float(np.abs(kernels).max()) or 1.0
    for i, kernel in enumerate(kernels):
        ax = figure.add_subplot(rows, columns, i + 1)
        ax.imshow(kernel, cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_title(str(i), fontsize=TEXT, pad=2)
        ax.axis("off")
    figure.suptitle(f"first-layer filters ({len(kernels)})", fontsize=TITLE)
    figure.tight_layout(pad=0.3)
    return figure


def feature_maps_figure(image: np.ndarray, maps: list[tuple[str, np.ndarray]], limit: int = 8) -> Figure:
    """The input image on the first row, then one row per image-shaped layer with up to ``limit``
    of its channels, each row titled with the layer's text form."""
    image = array(image, "the image", (2, 3))
    if not isinstance(maps, list) or not all(isinstance(m, tuple) and len(m) == 2 for m in maps):
        raise NbdlError("maps must be a list of (layer text, array) pairs, as feature_maps(run, sample) gives")
    maps = [(str(name), array(values, f"the maps of {name!r}", (3,))) for name, values in maps]
    columns = min(LIMIT.check(limit), max((m.shape[0] for _, m in maps), default=1))
    rows = [("input", image.reshape(-1, *image.shape[-2:])[:1])] + maps
    height = len(rows) * 1.25 + 0.1
    figure, _ = new_figure(max(columns * 0.95 + 0.2, 3.6), height)
    figure.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.3 / height, hspace=0.5, wspace=0.1)
    for row, (name, values) in enumerate(rows):
        for channel in range(min(columns, values.shape[0])):
            ax = figure.add_subplot(len(rows), columns, row * columns + channel + 1)
            ax.imshow(values[channel], cmap="gray_r" if row == 0 else "viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if channel == 0:
                ax.set_title(plain(name), fontsize=TEXT, loc="left", pad=3)
    return figure


def augmented_figure(originals: np.ndarray, versions: list[np.ndarray]) -> Figure:
    """Each original image (top row) and below it the augmented versions of it, one row per draw."""
    originals = array(originals, "the original images", (3, 4))
    if not isinstance(versions, list):
        raise NbdlError("versions must be a list of image arrays, as augmented_samples(run) gives")
    rows = [originals, *(array(v, "an augmented version", (3, 4)) for v in versions)]
    if any(len(row) != len(originals) for row in rows):
        raise NbdlError(f"each augmented version must hold as many images as the originals ({len(originals)})")
    columns = len(originals)
    height = len(rows) * 0.85 + 0.4
    figure, _ = new_figure(columns * 0.85 + 0.9, height)
    figure.subplots_adjust(left=0.9 / (columns * 0.85 + 0.9), right=0.99, bottom=0.02, top=1 - 0.4 / height,
                           hspace=0.1, wspace=0.1)
    for r, images in enumerate(rows):
        for c, image in enumerate(images):
            ax = figure.add_subplot(len(rows), columns, r * columns + c + 1)
            ax.imshow(np.asarray(image).reshape(-1, *np.asarray(image).shape[-2:])[0], cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel("original" if r == 0 else f"draw {r}", fontsize=TEXT, rotation=0, ha="right",
                              va="center")
    figure.suptitle("augmented training samples", fontsize=TITLE)
    return figure
