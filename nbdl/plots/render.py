"""Figures without pyplot: each owns its Agg canvas, so nothing global grows or leaks.

Pictures are sized for the page that shows them. A figure is laid out at ``DPI`` = 72, so one
point (of text, of a line) is one CSS pixel where the notebook shows it and a size in inches is
72 CSS pixels; its PNG is drawn ``SCALE`` times denser (sharp on high-density screens) and records
that density, from which ``shown_width(png)`` gives the width to show it at. Text is ``TEXT`` px
(JupyterLab's body text is 13-14 px), titles ``TITLE``, and nothing below ``SMALLEST``."""
from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..core.errors import NbdlError
from ..core.options import INT, Option

DPI = 72  # figure layout: 1 point = 1 CSS pixel at the size the notebook shows
SCALE = 2  # image pixels per CSS pixel in the PNG (a 2x PNG is shown at half its pixel width)
TEXT = 13  # px: tick labels, legends, axis labels, notes
TITLE = 15  # px: axes titles
SMALLEST = 12  # px: the least any text may be, labels squeezed into a box included

# Class colours, as the TensorFlow Playground paints its two classes, then matplotlib's cycle.
CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"]


class Picture(Figure):
    """A figure that shows itself in a notebook as a sharp PNG at its intended size (no pyplot needed)."""

    def _repr_png_(self) -> tuple[bytes, dict[str, int]]:
        png = figure_png(self)
        return png, {"width": shown_width(png)}


def new_figure(width: float, height: float, dpi: float = DPI, layout: str | None = None
               ) -> tuple[Picture, FigureCanvasAgg]:
    """A ``width`` x ``height`` inch figure (72 CSS pixels an inch where it is shown) and its canvas.
    ``layout="constrained"`` fits titles, labels and outside legends at each draw (for pictures drawn
    once: it costs tens of milliseconds a draw)."""
    # Whole pixels where it is shown, so a 2x PNG is exactly twice its shown size.
    figure = Picture(figsize=(round(width * 72) / 72, round(height * 72) / 72), dpi=dpi, layout=layout)
    return figure, FigureCanvasAgg(figure)


def readable(*axes, title: float = TITLE) -> None:
    """Give the axes' tick labels, axis labels and legend the notebook's text size, and their titles
    ``title`` (which also puts the titles' padding back to matplotlib's: raise a title after this)."""
    for ax in axes:
        ax.tick_params(which="both", labelsize=TEXT)  # log axes label their minor ticks too
        ax.xaxis.label.set_fontsize(TEXT)
        ax.yaxis.label.set_fontsize(TEXT)
        for loc in ("left", "center", "right"):
            if ax.get_title(loc):
                ax.set_title(ax.get_title(loc), loc=loc, fontsize=title)
        if ax.get_legend() is not None:
            for text in ax.get_legend().get_texts():
                text.set_fontsize(TEXT)


def canvas_png(canvas: FigureCanvasAgg, fast: bool = False) -> bytes:
    """The canvas as it was last drawn, as PNG bytes that record the figure's density (see ``shown_width``);
    ``fast`` trades size for ~5x quicker encoding."""
    from PIL import Image  # Pillow comes with matplotlib

    rgba = np.asarray(canvas.buffer_rgba())
    out = io.BytesIO()
    dpi = canvas.figure.dpi
    Image.fromarray(rgba[..., :3]).save(out, format="PNG", compress_level=1 if fast else 6, dpi=(dpi, dpi))
    return out.getvalue()


def figure_png(figure: Figure, scale: float = SCALE) -> bytes:
    """The figure drawn ``scale`` times denser than it is laid out, as PNG bytes to show at ``shown_width``."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    dpi = figure.dpi
    figure.set_dpi(dpi * scale)
    try:
        canvas.draw()
        return canvas_png(canvas)
    finally:
        figure.set_dpi(dpi)


def sharp_png(figure: Figure, animated: list) -> bytes:
    """A still of a blitted live figure at ``SCALE`` (its last frame, kept in the saved notebook):
    the animated artists, which a plain draw leaves out, drawn with the rest."""
    for artist in animated:
        artist.set_animated(False)
    try:
        return figure_png(figure)
    finally:
        for artist in animated:
            artist.set_animated(True)


def shown_width(png: bytes) -> int:
    """The width in CSS pixels to show a PNG at: its pixel width times 72 over the density it records
    (a PNG from ``figure_png`` at 144 dpi is shown at half its pixel width), or its pixel width when it
    records none. Given to ``IPython.display.Image(png, width=...)`` or an ``ipywidgets.Image``'s width."""
    if not isinstance(png, (bytes, bytearray, memoryview)) or bytes(png[:8]) != b"\x89PNG\r\n\x1a\n":
        raise NbdlError(f"shown_width takes the bytes of a PNG image, got {type(png).__name__}")
    png = bytes(png)
    width = int.from_bytes(png[16:20], "big")
    position = 8
    while position + 8 <= len(png):  # the chunks before the image data: IHDR, maybe pHYs
        length, kind = int.from_bytes(png[position:position + 4], "big"), png[position + 4:position + 8]
        if kind == b"IDAT":
            break
        if kind == b"pHYs" and len(png) >= position + 17:
            per_metre, unit = int.from_bytes(png[position + 8:position + 12], "big"), png[position + 16]
            if unit == 1 and per_metre > 0:  # unit 1: pixels per metre
                return max(1, round(width * 72 / (per_metre * 0.0254)))
            break
        position += 12 + length
    return width


def text_sizes(figure: Figure) -> list[tuple[str, float]]:
    """Each text the figure draws, with its size in CSS pixels where it is shown (its size in points,
    as one point is one shown pixel): what a test checks against ``SMALLEST``. Draws the figure once."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)
    renderer = canvas.get_renderer()
    drawn: list[tuple[str, float]] = []
    draw_text = renderer.draw_text

    def recording(gc, x, y, text, prop, *args, **kwargs):
        if text.strip():
            drawn.append((text, float(prop.get_size_in_points())))
        return draw_text(gc, x, y, text, prop, *args, **kwargs)

    renderer.draw_text = recording
    try:
        canvas.draw()
    finally:
        del renderer.draw_text
    return drawn


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


def shorten(text: str, most: int) -> str:
    """At most ``most`` characters, keeping the end as well as the start (``category_07`` ->
    ``cate…y_07``), so names that share a long start stay apart."""
    if len(text) <= most:
        return text
    tail = (most - 1) // 2
    return text[:most - 1 - tail] + "…" + text[-tail:]


def plain(text: object) -> str:
    """Text drawn as it is: a ``$`` in a name the user chose is a dollar sign, not the start of math."""
    return str(text).replace("$", r"\$")


def class_color(index: int) -> str:
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def class_rgb(count: int) -> np.ndarray:
    """(count, 3) RGB rows in [0, 1] for the first ``count`` classes."""
    from matplotlib.colors import to_rgb

    return np.array([to_rgb(class_color(i)) for i in range(count)])


STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)  # tick steps, times a power of ten
EDGE = 0.05  # the least gap between the highest value and the top of its axis, as a share of the axis


def nice_range(low: float, high: float, ticks: int = 5) -> tuple[float, float]:
    """Axis limits for values from ``low`` to ``high``, ticked in steps of 1, 2, 2.5 or 5 x 10^k (about
    ``ticks`` of them): from the step at or below ``low`` (never below zero for values that are not)
    to the step at or above ``high``, or ``EDGE`` of the axis beyond a value a step would touch, so no
    value lies on an edge. A live plot that keeps its limits until a value leaves them redraws its
    axes rarely (see ``TrainingFigure``)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        return 0.0, 1.0
    if max(abs(low), abs(high)) > 1e300:  # a loss on its way to infinity: draw it, not a round number beyond floats
        return min(low, 0.0), max(high, 1.0)
    if high - low <= 1e-9 * max(abs(low), abs(high)) or high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad if low - pad >= 0 or low < 0 else 0.0, high + pad
    raw = (high - low) / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in STEPS if s * power >= raw * (1 - 1e-9))
    bottom = math.floor(low / step + 1e-9) * step
    top = math.ceil(high / step - 1e-9) * step
    span = top - bottom
    if top - high < EDGE * span:  # a step too close above: keep a visible gap (the top then is off the grid)
        top = high + EDGE * span
    if low - bottom < EDGE * span and not (low >= 0 and bottom <= 0):  # likewise below, unless it rests on zero
        bottom = max(low - EDGE * span, 0.0) if low >= 0 else low - EDGE * span
    return float(f"{bottom:.12g}"), float(f"{top:.12g}")
