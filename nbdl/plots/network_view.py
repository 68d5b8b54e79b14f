"""The network view, as the TensorFlow Playground draws it: the inputs, every hidden unit's output
as a small heat map over the input plane, connections coloured by sign (blue positive, orange
negative) and thickened by size, and the output as a large canvas of decision regions with the
training (and, switched on, test) points.

The view applies to an nbdl network of dense, activation, dropout and batch norm lines on 2-D
points (or input features made from them), for classes or one number, with at most
``MAX_HIDDEN`` hidden layers: a deeper network gets no network view, since its columns would not
fit a picture one can read. A layer wider than ``MAX_UNITS`` shows its first ``MAX_UNITS`` units
and counts the rest under its column.

The artists are made once; each picture gives them new data and blits them onto the saved
background. The unit heat maps are painted into one image (one artist, not one per unit)."""
from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.patches import Rectangle

from ..core import neurons as core
from ..core.features import FeaturedDataset
from ..core.tasks import CLASSIFICATION
from . import views
from .render import CLASS_COLORS, TEXT, canvas_png, class_color, class_rgb, new_figure, plain, shorten
from .training import REGION_STRENGTH

MAX_UNITS = 8    # units drawn per layer, as the Playground allows
MAX_HIDDEN = 6   # hidden layers; a deeper network has no network view
RESOLUTION = 80  # grid points along each axis of the plane (a unit's tile shows every other one)
POSITIVE, NEGATIVE = CLASS_COLORS[0], CLASS_COLORS[1]  # blue and orange, the Playground's

# Layout in pixels: the figure is drawn at 72 dpi, one image pixel per shown pixel (a live picture),
# so a point is a pixel and FONT is the notebook's text size.
DPI, FONT = 72, TEXT
TILE, GAP, COLUMN = 40, 12, 104  # a unit's heat map, the room between two, one column to the next
TOP, LEFT, BOTTOM = 64, 34, 34   # room for two header lines, the inputs' names, the counts under columns
LABELS = 74                      # room right of the output units for their names
CANVAS = 330                     # the output's decision regions, square
FINE = CANVAS // 2               # the regions' pixels, before the canvas's own smoothing doubles them


def applies(run) -> bool:
    """An nbdl dense network on 2-D data (classes or one number) with at most MAX_HIDDEN hidden layers."""
    return not core.unsupported(run) and len(core.columns(run.model)[1]) - 1 <= MAX_HIDDEN


def diverging(count: int = 256) -> np.ndarray:
    """(count, 3) RGB from orange (-1) through white (0) to blue (+1)."""
    t = np.linspace(-1, 1, count)[:, None]
    blue, orange = np.array(to_rgb(POSITIVE)), np.array(to_rgb(NEGATIVE))
    return np.where(t >= 0, 1 - t * (1 - blue), 1 + t * (1 - orange))


def colored(values: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (any shape) as RGB from a lookup table (the shape plus 3)."""
    return lut[np.rint((np.clip(values, -1, 1) + 1) / 2 * (len(lut) - 1)).astype(int)]


def pixel_centres(size: int, points: int) -> np.ndarray:
    """Where the centres of ``size`` pixels across the plane fall on a grid of ``points`` (0 to points - 1)."""
    return (np.arange(size) + 0.5) / size * (points - 1)


def stretched(values: np.ndarray, size: int) -> np.ndarray:
    """(units, points, points) grid values linearly interpolated to (units, size, size) pixel centres."""
    at = pixel_centres(size, values.shape[-1])
    low = np.clip(np.floor(at).astype(int), 0, max(values.shape[-1] - 2, 0))
    high = np.minimum(low + 1, values.shape[-1] - 1)
    share = (at - low).astype(np.float32)
    rows = values[:, low] * (1 - share)[:, None] + values[:, high] * share[:, None]
    return rows[:, :, low] * (1 - share) + rows[:, :, high] * share


def connection_style(weights: np.ndarray, largest: float) -> tuple[np.ndarray, np.ndarray]:
    """Each weight's line: from 0.5 px wide to 6 px as |w| grows to ``largest``, blue for a positive
    weight and orange for a negative one, fainter when small. (n,) widths and (n, 4) RGBA."""
    size = np.abs(weights) / max(largest, 1e-12)
    rgba = np.empty((len(weights), 4))
    rgba[:, :3] = np.where(weights[:, None] >= 0, to_rgb(POSITIVE), to_rgb(NEGATIVE))
    rgba[:, 3] = 0.35 + 0.65 * size
    return 0.5 + 5.5 * size, rgba


class NetworkFigure:
    """The picture's artists, made once from the first ``Neurons`` and given new data by ``update``.
    Positions are in pixels from the top left: ``places[c][u]`` is unit ``u`` of column ``c``'s
    tile's corner. ``names``: ``inputs`` and ``outputs`` (written beside the first and last
    columns) and ``axes`` (the plane's); ``targets``: a number's centre and spread (regression)."""

    def __init__(self, first: core.Neurons, classification: bool, classes: int, points: dict, titles: list[str],
                 names: dict[str, list[str]], targets: tuple[float, float] = (0.0, 1.0)):
        self.classification = classification
        # A number's -1..1 is centre -+ spread; a constant target (no spread) gets the centre's own size,
        # so predictions near it look pale, not saturated at a sharp edge.
        center, spread = targets
        self.center = center
        self.spread = spread if spread > 1e-9 * max(1.0, abs(center)) else max(abs(center), 1.0)
        self.lut = diverging()
        self.class_luts = [1 - np.linspace(0, 1, 256)[:, None] * (1 - rgb) for rgb in class_rgb(classes)]
        self.tints = (1 - class_rgb(classes)).astype(np.float32)  # how far each class colour is from white
        self.pick = np.rint(pixel_centres(TILE, len(first.xs))).astype(int)  # the grid points a tile shows
        counts = [len(column) for column in first.columns]
        self.shown = [min(count, MAX_UNITS) for count in counts]
        left = max(LEFT, 14 + 8 * max(len(name) for name in names["inputs"]))
        self.top = TOP + 16 * (max(title.count("\n") for title in titles) - 1)  # room for a third header line
        tallest = max(self.shown) * (TILE + GAP) - GAP
        middle = self.top + max(tallest, CANVAS) // 2
        self.places = [[(left + c * COLUMN, middle - (shown * (TILE + GAP) - GAP) // 2 + u * (TILE + GAP))
                        for u in range(shown)] for c, shown in enumerate(self.shown)]
        network_width = left + (len(counts) - 1) * COLUMN + TILE + LABELS
        self.width, self.height = network_width + 44 + CANVAS + 16, self.top + max(tallest, CANVAS + 40) + BOTTOM
        self.figure, self.canvas = new_figure(self.width / DPI, self.height / DPI, DPI)
        self._network(network_width, counts, titles, names)
        self._canvas(first.extent, points, network_width + 44, names["axes"])
        self.animated = [*self.links, self.units, self.region, *self.scatters.values(), self.status]
        self.background = None

    def _network(self, width: int, counts: list[int], titles: list[str], names: dict[str, list[str]]) -> None:
        """The columns' titles, frames and names, the connections, and the image the units are painted in."""
        net = self.figure.add_axes((0, 0, width / self.width, 1))
        net.set(xlim=(0, width), ylim=(self.height, 0))  # pixels, downwards
        net.axis("off")
        for count, places, title in zip(counts, self.places, titles):
            middle = places[0][0] + TILE / 2
            net.text(middle, self.top - 10, title, ha="center", va="bottom", fontsize=FONT, linespacing=1.3)
            if count > len(places):
                net.text(middle, places[-1][1] + TILE + 6, f"+{count - len(places)} more", ha="center", va="top",
                         fontsize=FONT, color="#555555")
            for x, y in places:  # a frame, so a silent (white) unit still shows where it is
                net.add_patch(Rectangle((x - 1, y - 1), TILE + 1, TILE + 1, fill=False, edgecolor="#9a9a9a", zorder=4))
        for (x, y), name in zip(self.places[0], names["inputs"]):
            net.text(x - 6, y + TILE / 2, plain(name), ha="right", va="center", fontsize=FONT)
        for (x, y), name in zip(self.places[-1], names["outputs"]):
            net.text(x + TILE + 6, y + TILE / 2, plain(name), ha="left", va="center", fontsize=FONT)
        # One line per weight, in the weight matrix's order: (target unit, source unit), row-major.
        self.links = [net.add_collection(LineCollection(
            [((sx + TILE, sy + TILE / 2), (tx, ty + TILE / 2)) for tx, ty in targets for sx, sy in sources],
            zorder=2, capstyle="round")) for sources, targets in zip(self.places, self.places[1:])]
        tops = [y for places in self.places for _, y in places]
        self.origin = (self.places[0][0][0], min(tops))  # the units' image's top left corner
        self.pixels = np.zeros((max(tops) + TILE - min(tops), (len(counts) - 1) * COLUMN + TILE, 4), np.uint8)
        for places in self.places:
            for x, y in places:  # opaque over the tiles, clear between them (the connections show)
                self.pixels[y - self.origin[1]:y - self.origin[1] + TILE, x - self.origin[0]:x - self.origin[0] + TILE,
                            3] = 255
        self.units = self.figure.figimage(self.pixels, xo=self.origin[0],
                                          yo=self.height - self.origin[1] - len(self.pixels), origin="upper", zorder=3)

    def _canvas(self, extent: tuple, points: dict, left: int, axes: list[str]) -> None:
        """The output's decision regions with the training points and (switched on) the test points."""
        ax = self.output_axes = self.figure.add_axes(
            (left / self.width, 1 - (self.top + CANVAS) / self.height, CANVAS / self.width, CANVAS / self.height))
        self.region = ax.imshow(np.ones((2, 2, 3)), origin="lower", extent=extent, aspect="auto",
                                interpolation="bilinear")
        self.scatters = {}
        # Training points edged in white, test points in black, as the Playground draws them; a
        # number's training points in grey, since their colours fade to white near the middle value.
        for name, edge in (("train", "white" if self.classification else "#777777"), ("test", "black")):
            X, y = points[name]
            if len(X):
                face = [class_color(int(c)) for c in y] if self.classification else colored(self._scaled(y), self.lut)
                self.scatters[name] = ax.scatter(X[:, 0], X[:, 1], c=face, s=22, edgecolors=edge, linewidths=0.9,
                                                 zorder=3)
        ax.set(xlim=extent[:2], ylim=extent[2:])
        ax.tick_params(labelsize=FONT)
        ax.set_xlabel(plain(axes[0]), fontsize=FONT, labelpad=2)
        ax.set_ylabel(plain(axes[1]), fontsize=FONT, labelpad=2)
        self.status = ax.text(0, 1.02, "", transform=ax.transAxes, fontsize=FONT, va="bottom", linespacing=1.3)

    def _scaled(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float32) - self.center) / self.spread

    def _paint(self, column: int, unit: int, rgb: np.ndarray) -> None:
        """A unit's (rows, cols, 3) colours into its tile (row 0, the plane's bottom, at the tile's foot)."""
        x, y = self.places[column][unit]
        top, left = y - self.origin[1], x - self.origin[0]
        self.pixels[top:top + TILE, left:left + TILE, :3] = (rgb[np.ix_(self.pick, self.pick)][::-1] * 255).round()

    def update(self, current: core.Neurons, discrete: bool, show_test: bool, status: str) -> None:
        """New unit outputs and weights: paint the tiles, colour the connections, blit."""
        last = len(self.places) - 1
        for c, values in enumerate(current.columns[:-1]):
            for u, unit in enumerate(values[:self.shown[c]]):  # each unit on its own scale: white is 0
                self._paint(c, u, colored(unit / max(float(np.abs(unit).max()), 1e-12), self.lut))
        for k, unit in enumerate(current.output[:self.shown[last]]):  # a class's probability, or the number
            self._paint(last, k, colored(2 * unit - 1, self.class_luts[k]) if self.classification
                        else colored(self._scaled(unit), self.lut))
        self.units.set_data(self.pixels)
        self.region.set_data(self.regions(current.output, discrete))
        drawn = [w[:self.shown[c + 1], :self.shown[c]] for c, w in enumerate(current.weights)]
        largest = max(float(np.abs(w).max()) for w in drawn)  # one scale for every connection in the picture
        for link, w in zip(self.links, drawn):
            widths, colors = connection_style(w.reshape(-1), largest)
            link.set_linewidths(widths)
            link.set_colors(colors)
        if "test" in self.scatters:
            self.scatters["test"].set_visible(show_test)
        self.status.set_text(status)
        if self.background is None:
            for artist in self.animated:
                artist.set_animated(True)
            self.canvas.draw()  # everything but the animated artists, once
            self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        else:
            self.canvas.restore_region(self.background)
        for artist in self.animated:
            self.figure.draw_artist(artist)

    def regions(self, output: np.ndarray, discrete: bool) -> np.ndarray:
        """(FINE, FINE, 3) RGB from the grid interpolated finer (a discretised border stays sharp):
        the likeliest class's colour, as strong as the model is sure (fully when ``discrete``), or a
        number on the orange-white-blue scale (in bands of a quarter of the spread when ``discrete``)."""
        fine = stretched(output.astype(np.float32), FINE)  # (outputs, FINE, FINE)
        if not self.classification:
            values = self._scaled(fine[0])
            return 1 - REGION_STRENGTH * (1 - colored(np.round(values * 4) / 4 if discrete else values, self.lut))
        best, classes = fine.argmax(0), len(fine)
        sure = np.ones(best.shape) if discrete else (fine.max(0) - 1 / classes) / (1 - 1 / classes)
        return 1 - (REGION_STRENGTH * sure)[..., None] * self.tints[best]

    def png(self, fast: bool = True) -> bytes:
        """The picture as drawn last, at 1x also for the frame that stays: the unit tiles are one
        image placed in pixels (``figimage``), which a denser drawing would not scale."""
        return canvas_png(self.canvas, fast=fast)


class NetworkView(views.BatchView):
    """The network view as a live picture. ``show_test`` and ``discrete`` are the switches a panel
    sets (test points on the canvas; hard class colours rather than the model's certainty); a
    changed switch shows from the next picture. A 2-8-8-2 network's picture costs ~40 ms here: the
    units' outputs ~1 ms, painting and blitting ~25 ms, the PNG ~12 ms (making the figure, once, ~0.1 s)."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.05, min_interval: float = 0.5,
                 resolution: int = RESOLUTION, show_test: bool = False, discrete: bool = False):
        super().__init__(show, budget, min_interval)
        self.resolution, self.show_test, self.discrete = resolution, show_test, discrete
        self.figure: NetworkFigure | None = None
        self.lock = threading.Lock()  # one picture at a time: the training thread's, or a panel's redraw

    def draw(self, run, final):
        with self.lock:
            current = core.neurons(run, self.resolution)
            if self.figure is None:
                started = time.monotonic()
                self.figure = make_figure(run, current)
                self.setup = time.monotonic() - started
            self.figure.update(current, self.discrete, self.show_test, status_line(run))
            return self.figure.png(fast=not final)


def make_figure(run, first: core.Neurons) -> NetworkFigure:
    """The figure for ``run``: its points (a fixed sample), column titles and names."""
    data = run.dataset
    classification = data.task == CLASSIFICATION
    points = {split: sample(run.data.raw(split)[0], targets(run, split), limit)
              for split, limit in (("train", 450), ("test", 200))}
    titles = [f"input\n{len(first.inputs)}", *(f"layer {i + 1}\n{_title(lines)}" for i, lines in
                                                enumerate(first.lines[:-1])), f"output\n{_title(first.lines[-1])}"]
    own = data.feature_names if not isinstance(data, FeaturedDataset) and len(data.feature_names or ()) == 2 else None
    axes = [_short(plain(name)) for name in own] if own else [_pretty(name) for name in ("x1", "x2")]
    inputs = [_short(_pretty(name)) for name in data.features] if isinstance(data, FeaturedDataset) else axes
    if classification:
        classes = data.n_classes or 2
        outputs = [_short(str(name)) for name in data.class_names or [f"class {k}" for k in range(classes)]]
        return NetworkFigure(first, True, classes, points, titles, {"inputs": inputs, "outputs": outputs, "axes": axes})
    y = targets(run, "train")
    return NetworkFigure(first, False, 1, points, titles, {"inputs": inputs, "outputs": ["value"], "axes": axes},
                         (float(np.mean(y)), float(np.max(np.abs(y - np.mean(y))))))


def targets(run, split: str) -> np.ndarray:
    """A split's targets: class numbers, or numbers in the target's own units."""
    y = getattr(run.data, split).y  # an empty split gives no points
    return y.cpu().numpy() if run.dataset.task == CLASSIFICATION else run.data.untransform_target(y).reshape(-1)


def sample(X: np.ndarray, y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` of the points (a fixed random choice): enough to see, cheap to draw."""
    if len(X) <= limit:
        return X, y
    keep = np.random.default_rng(0).choice(len(X), limit, replace=False)
    return X[keep], y[keep]


def _title(lines: list[str]) -> str:
    """``8 relu`` for ``dense 8 relu``, and the lines after it: ``8 relu\\n+batchnorm, dropout 0.1``."""
    head = lines[0].split(" ", 1)[1]
    return head + (f"\n+{', '.join(lines[1:])}" if len(lines) > 1 else "")


def _pretty(name: str) -> str:
    """``x1^2`` as ``x₁²``, ``x1*x2`` as ``x₁x₂``: the Playground's way of writing its features."""
    return str(name).replace("x1", "x₁").replace("x2", "x₂").replace("^2", "²").replace("*", "")


def _short(name: str, most: int = 9) -> str:
    return shorten(name, most)


def status_line(run) -> str:
    """The epoch, step and last losses, for the canvas's header."""
    history = run.history
    if not history.get("train_loss"):
        return f"epoch 0 · step {run.global_step}"
    losses = [f"train {history['train_loss'][-1]:.3f}"]
    if history.get("val_loss"):
        losses.append(f"validation {history['val_loss'][-1]:.3f}")
    return f"epoch {run.epoch} · step {run.global_step}\nloss: {', '.join(losses)}"


views.add(views.View("network", "network view", applies, NetworkView, covers=("regions",)))
