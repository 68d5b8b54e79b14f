"""Figures without pyplot: each owns its Agg canvas, so nothing global grows or leaks."""
from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..core.errors import NbdlError
from ..core.options import INT, Option

# Class colours, as the TensorFlow Playground paints its two classes, then matplotlib's cycle.
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


def new_figure(width: float, height: float, dpi: int = 80) -> tuple[Figure, FigureCanvasAgg]:
    figure = Figure(figsize=(width, height), dpi=dpi)
    return figure, FigureCanvasAgg(figure)


def canvas_png(canvas: FigureCanvasAgg, fast: bool = False) -> bytes:
    """The canvas as it was last drawn, as PNG bytes; ``fast`` trades size for ~5x quicker encoding."""
    from PIL import Image  # Pillow comes with matplotlib

    rgba = np.asarray(canvas.buffer_rgba())
    out = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(out, format="PNG", compress_level=1 if fast else 6)
    return out.getvalue()


def figure_png(figure: Figure) -> bytes:
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    canvas.draw()
    return canvas_png(canvas)


def array(values: object, what: str, dims: tuple[int, ...]) -> np.ndarray:
    """``values`` as a finite numeric array with one of ``dims`` dimensions, or an error naming ``what``."""
    try:
        result = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=float)
    except (TypeError, ValueError):
        raise NbdlError(f"{what} must be an array of numbers, got {type(values).__name__}") from None
    if result.ndim not in dims or result.size == 0:
        raise NbdlError(f"{what} must be a non-empty array of {' or '.join(map(str, dims))} dimension(s), "
                        f"got shape {result.shape}")
    return result


LIMIT = Option("limit", 32, "the most images to draw", kind=INT, low=1, high=400)


def plain(text: object) -> str:
    """Text drawn as it is: a ``$`` in a name the user chose is a dollar sign, not the start of math."""
    return str(text).replace("$", r"\$")


def class_color(index: int) -> str:
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def class_rgb(count: int) -> np.ndarray:
    """(count, 3) RGB rows in [0, 1] for the first ``count`` classes."""
    from matplotlib.colors import to_rgb

    return np.array([to_rgb(class_color(i)) for i in range(count)])
