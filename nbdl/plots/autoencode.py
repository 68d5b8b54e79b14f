"""Pictures of an autoencoder: originals above their reconstructions, the test set's codes, and for
a variational one the samples decoded over its latent plane.

The reconstructions are drawn for images, and for flat samples whose count is a square of at least
16 values (digits' 64 pixels read as 8x8); the codes, for a bottleneck of 2 values (a ``vae`` layer,
else the narrowest layer: ``nbdl.core.autoencode.bottleneck``), one point per test sample, coloured
by class; the latent grid, for a ``vae 2`` layer and samples drawn as pictures.
"""
from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..core import autoencode
from ..core.errors import NbdlError
from ..core.layers import Vae
from . import render, views

COUNT = 10  # test samples shown with their reconstructions


def image_shape(sample_shape: tuple[int, ...]) -> tuple[int, int] | None:
    """(height, width) to show a sample as a picture, or None when it is not one."""
    if len(sample_shape) == 3 and sample_shape[0] in (1, 3):
        return sample_shape[1], sample_shape[2]
    if len(sample_shape) == 1 and sample_shape[0] >= 16 and math.isqrt(sample_shape[0]) ** 2 == sample_shape[0]:
        side = math.isqrt(sample_shape[0])
        return side, side
    return None


def _pictures(samples: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(n, height, width) gray or (n, height, width, 3) colour images from samples of any layout."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 4 and samples.shape[1] == 3:
        return samples.transpose(0, 2, 3, 1)
    return samples.reshape(len(samples), *shape)


def reconstructions_figure(originals: np.ndarray, made: np.ndarray, shape: tuple[int, int],
                           error: float | None = None) -> Figure:
    """Originals (top row) above the network's reconstructions (bottom row), on one gray scale."""
    top, bottom = _pictures(originals, shape), _pictures(made, shape)
    if len(top) != len(bottom) or not len(top):
        raise NbdlError(f"give as many reconstructions as originals (at least one), got {len(bottom)} and {len(top)}")
    low, high = float(top.min()), float(top.max())
    colour = top.ndim == 4
    if colour:  # RGB shown as it is, within the originals' range
        top, bottom = ((np.clip(v, low, high) - low) / max(high - low, 1e-12) for v in (top, bottom))
    columns, size, label = len(top), 0.8, 1.3
    width, height = label + columns * size + 0.1, 2 * size + 0.55
    figure, _ = render.new_figure(width, height)
    figure.subplots_adjust(left=label / width, right=1 - 0.1 / width, bottom=0.05 / height, top=1 - 0.5 / height,
                           wspace=0.08, hspace=0.08)
    for row, images in enumerate((top, bottom)):
        for column, image in enumerate(images):
            ax = figure.add_subplot(2, columns, row * columns + column + 1)
            ax.imshow(image, cmap=None if colour else "gray_r", vmin=None if colour else low,
                      vmax=None if colour else high)
            ax.set_xticks([])
            ax.set_yticks([])
            if column == 0:
                ax.set_ylabel("original" if row == 0 else "rebuilt", fontsize=render.TEXT, rotation=0, ha="right",
                              va="center")
    title = "test samples and their reconstructions"
    figure.suptitle(title + (f" (test mse {error:.3g})" if error is not None else ""), fontsize=render.TITLE,
                    x=label / width, ha="left")
    return figure


def codes_figure(codes: np.ndarray, labels: np.ndarray | None = None, class_names: list[str] | None = None,
                 layer: str = "") -> Figure:
    """The 2-D codes as a scatter, one point per sample, coloured by class when labels are given."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise NbdlError(f"a codes scatter needs 2 values per sample (a bottleneck of 2 units), got shape {codes.shape}")
    legend = labels is not None
    figure, _ = render.new_figure(6.0 if legend else 4.8, 4.6)
    ax = figure.add_subplot()
    if legend:
        labels = np.asarray(labels)
        classes = np.unique(labels)
        names = class_names or [str(c) for c in range(int(classes.max()) + 1)]
        for c in classes:
            at = labels == c
            ax.scatter(codes[at, 0], codes[at, 1], s=14, color=render.class_color(int(c)), label=names[int(c)],
                       linewidths=0, alpha=0.85)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, markerscale=1.6,
                  handletextpad=0.2, borderaxespad=0)
    else:
        ax.scatter(codes[:, 0], codes[:, 1], s=14, color=render.class_color(0), linewidths=0, alpha=0.85)
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.set_title(f"test set codes{f' ({layer})' if layer else ''}", loc="left")
    ax.grid(alpha=0.3)
    render.readable(ax)
    width = figure.get_figwidth()
    figure.subplots_adjust(left=0.75 / width, right=1 - (1.2 if legend else 0.15) / width, bottom=0.13, top=0.92)
    return figure


def latent_figure(codes: np.ndarray, made: np.ndarray, shape: tuple[int, int], low: float, high: float) -> Figure:
    """The samples decoded from a (rows, columns, 2) grid of codes, as one mosaic on the code axes."""
    rows, columns = codes.shape[:2]
    height, width = shape
    tiles = np.clip(np.asarray(made, dtype=np.float32).reshape(rows, columns, height, width), low, high)
    # A one-pixel blank border around each tile, so neighbouring samples do not run into each other.
    tiles = np.pad(tiles, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=low)
    mosaic = tiles.transpose(0, 2, 1, 3).reshape(rows * (height + 2), columns * (width + 2))
    figure, _ = render.new_figure(5.6, 5.4)
    ax = figure.add_subplot()
    x, y = codes[0, :, 0], codes[:, 0, 1]
    step_x, step_y = (x[1] - x[0]) / 2 if columns > 1 else 0.5, (y[0] - y[1]) / 2 if rows > 1 else 0.5
    ax.imshow(mosaic, cmap="gray_r", vmin=low, vmax=high, interpolation="nearest",
              extent=(x[0] - step_x, x[-1] + step_x, y[-1] - step_y, y[0] + step_y))
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    ax.set_title("decoded from a grid of codes", loc="left")
    render.readable(ax)
    figure.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.93)
    return figure


def autoencoder_figures(run: Any, count: int = COUNT) -> list[Figure]:
    """What the run's autoencoder shows: its test reconstructions (images), test codes (2-value
    code) and, for a ``vae 2`` layer, the samples decoded over its latent plane."""
    if not autoencode.is_autoencoder(run):
        raise NbdlError("this run is not an autoencoder; train one with data_options={'task': 'autoencode'} "
                        "(the magic: --task autoencode)")
    found = []
    shape = image_shape(run.dataset.sample_shape)
    if shape is not None:
        originals, made = autoencode.reconstructions(run, "test")
        error = float(np.mean((originals - made) ** 2))
        found.append(reconstructions_figure(originals[:count], made[:count], shape, error))
    if has_2d_code(run):
        line = run.model.spec.layers[autoencode.bottleneck(run.model)]
        found.append(codes_figure(autoencode.codes(run, "test"), autoencode.labels(run, "test"),
                                  run.dataset.class_names, f"'{line.to_text()}'"))
        if shape is not None and isinstance(line, Vae):
            samples = run.data.raw("train")[0]
            codes, made = autoencode.latent_grid(run)
            found.append(latent_figure(codes, _pictures(made.reshape(-1, *made.shape[2:]), shape), shape,
                                       float(samples.min()), float(samples.max())))
    return found


def has_2d_code(run: Any) -> bool:
    try:
        network = run.model
        line = autoencode.bottleneck(network)
        return math.prod(network.spec.shapes(network.input_shape)[line]) == 2
    except (NbdlError, AttributeError):
        return False


def _stacked_png(figures: list[Figure], scale: float) -> bytes:
    """The figures one above the other, as one PNG."""
    from PIL import Image

    if len(figures) == 1:
        return render.figure_png(figures[0], scale)
    images = [Image.open(io.BytesIO(render.figure_png(f, scale))) for f in figures]
    width = max(i.width for i in images)
    whole = Image.new("RGB", (width, sum(i.height for i in images)), "white")
    top = 0
    for image in images:
        whole.paste(image.convert("RGB"), (0, top))
        top += image.height
    out = io.BytesIO()
    dpi = render.DPI * scale
    whole.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


class AutoencoderView(views.LiveView):
    """The reconstructions and codes, redrawn within the time budget while the run trains."""

    def __init__(self, show, budget: float = 0.05, min_interval: float = 1.0):
        super().__init__(show, budget, min_interval)

    def draw(self, run, final):
        figures = autoencoder_figures(run)
        # Live frames at 1x (a 2x frame costs about four times as much); the last one sharp.
        return _stacked_png(figures, render.SCALE if final else 1) if figures else None


def applies(run: Any) -> bool:
    """An autoencoder of images (or square flat samples), or one with a 2-unit bottleneck."""
    return autoencode.is_autoencoder(run) and (image_shape(run.dataset.sample_shape) is not None or has_2d_code(run))


views.add(views.View("autoencoder", "autoencoder: reconstructions and codes", applies, AutoencoderView))
