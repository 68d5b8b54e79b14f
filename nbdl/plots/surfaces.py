"""The optimizer race drawn on its surface's contour, live: the paths grow step by step over a
background drawn once (blitted), within a time budget, and the last frame is kept sharp."""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
from matplotlib.colors import LogNorm, Normalize

from ..core import surfaces
from . import views
from .render import TEXT, TITLE, canvas_png, class_color, new_figure, plain, readable, sharp_png

WIDTH, HEIGHT = 640, 450  # shown pixels: the contour square on the left, the legend on the right
LEFT, BOTTOM, SIDE = 64, 44, 370
MOST_POINTS = 600  # a path is drawn through at most this many of its points (every k-th, and its last)


class RaceFigure:
    """The surface's contour (log-spaced levels where its values span decades), its minima (stars),
    the start (a circle) and one line per optimizer with a dot at its head; a diverged path ends
    in a cross and says so in the legend."""

    def __init__(self, race: surfaces.Race, scale: float = 1):
        surface = race.surface
        self.figure, self.canvas = new_figure(WIDTH / 72, HEIGHT / 72, dpi=72 * scale)
        self.ax = ax = self.figure.add_axes([LEFT / WIDTH, BOTTOM / HEIGHT, SIDE / WIDTH, (HEIGHT - BOTTOM - 34) / HEIGHT])
        x, y, values = surface.grid(240)
        lowest = float(np.nanmin(values))
        if surface.log_levels:  # values from ~0 to thousands: levels a constant ratio apart
            shifted = values - lowest + 1e-3
            levels = np.geomspace(1e-3 * 3, float(shifted.max()), 24)
            ax.contourf(x, y, shifted, levels=levels, norm=LogNorm(levels[0], levels[-1]), cmap="Greys", alpha=0.55,
                        extend="both")
            ax.contour(x, y, shifted, levels=levels[::2], colors="#666666", linewidths=0.5, alpha=0.6)
        else:
            levels = np.linspace(lowest, float(values.max()), 22)
            ax.contourf(x, y, values, levels=levels, norm=Normalize(levels[0], levels[-1]), cmap="Greys", alpha=0.55)
            ax.contour(x, y, values, levels=levels[::2], colors="#666666", linewidths=0.5, alpha=0.6)
        minima = np.array(surface.minima)
        self.stars = ax.scatter(minima[:, 0], minima[:, 1], marker="*", s=260, color="gold", edgecolors="black", linewidths=1,
                   zorder=9, label="minimum" if len(minima) == 1 else "minima")
        start = next(iter(race.paths.values())).points[0] if race.paths else surface.start
        ax.scatter([start[0]], [start[1]], marker="o", s=60, facecolors="white", edgecolors="black", zorder=5,
                   label="start")
        self.lines, self.heads, self.crosses = {}, {}, {}
        for i, (name, path) in enumerate(race.paths.items()):
            color = class_color(i)
            self.lines[name] = ax.plot([], [], color=color, linewidth=2, label=_label(path), zorder=6)[0]
            self.heads[name] = ax.plot([], [], "o", color=color, markersize=6, markeredgecolor="black",
                                       markeredgewidth=0.6, zorder=7)[0]
            self.crosses[name] = ax.plot([], [], "X", color=color, markersize=12, markeredgecolor="black", zorder=8)[0]
        ax.set_xlim(*surface.window[:2])
        ax.set_ylim(*surface.window[2:])
        ax.set_xlabel("x")
        ax.set_ylabel("y", rotation=0, labelpad=8, va="center")
        ax.set_title(plain(f"{surface.name}: {surface.formula}"), loc="left", fontsize=TITLE)
        self.step_text = ax.text(0.99, 0.015, "", transform=ax.transAxes, ha="right", va="bottom", fontsize=TEXT,
                                 bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 2}, zorder=10)
        self.legend_box = None
        self._legend(race)
        readable(ax)
        self.animated = [*self.lines.values(), *self.heads.values(), *self.crosses.values(), self.stars, self.step_text]
        self.background = None
        self.diverged: set[str] = set()

    def _legend(self, race: surfaces.Race) -> None:
        for name, line in self.lines.items():
            line.set_label(_label(race.paths[name]))
        self.legend_box = self.ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), borderaxespad=0, frameon=False,
                                         fontsize=TEXT, handlelength=1.6, title="optimizer (lr)",
                                         title_fontsize=TEXT, alignment="left")

    def update(self, race: surfaces.Race) -> None:
        """Set each path's data; redraw everything only when a path has just diverged (its legend changes)."""
        for name, path in race.paths.items():
            points = path.points[np.isfinite(path.points).all(axis=1)]
            shown = _thinned(points)
            self.lines[name].set_data(shown[:, 0], shown[:, 1])
            last = points[-1:] if len(points) else np.empty((0, 2))
            head, cross = (last, np.empty((0, 2))) if path.status != "diverged" else (np.empty((0, 2)), last)
            self.heads[name].set_data(head[:, 0], head[:, 1])
            self.crosses[name].set_data(cross[:, 0], cross[:, 1])
        self.step_text.set_text(f"step {race.step:,} of {race.steps:,}")
        diverged = {name for name, path in race.paths.items() if path.status == "diverged"}
        if diverged != self.diverged or self.background is None:
            self.diverged = diverged
            self._legend(race)
            self._full_draw()
        else:
            self.canvas.restore_region(self.background)
            for artist in self.animated:
                artist.axes.draw_artist(artist)

    def _full_draw(self) -> None:
        for artist in self.animated:
            artist.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        for artist in self.animated:
            artist.axes.draw_artist(artist)

    def png(self, final: bool = False) -> bytes:
        """The frame as drawn last; ``final``: sharp (2x), the one the notebook keeps."""
        if final:
            self.background = None
            return sharp_png(self.figure, self.animated)
        return canvas_png(self.canvas, fast=True)


def _label(path: surfaces.Path) -> str:
    # "diverged" on a line of its own: on one line "nesterov (0.0005), diverged" runs past the picture's edge
    return f"{path.optimizer} ({path.lr:g})" + ("\ndiverged" if path.status == "diverged" else "")


def _thinned(points: np.ndarray) -> np.ndarray:
    if len(points) <= MOST_POINTS:
        return points
    every = int(np.ceil(len(points) / MOST_POINTS))
    return np.concatenate([points[::every], points[-1:]])


def race_figure(race: surfaces.Race):
    """The race's picture as it ended (a figure that shows itself in a notebook)."""
    figure = RaceFigure(race)
    figure.update(race)
    for artist in figure.animated:
        artist.set_animated(False)
    return figure.figure


class RaceView(views.LiveView):
    """The race drawn live: ``draw(race, final)``; the LiveView's budget spaces the frames. Drawing is
    the point here (the race itself costs little), so the default share of the wall time is larger."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.5, min_interval: float = 0.15):
        super().__init__(show, budget, min_interval)
        self.figure: RaceFigure | None = None

    def draw(self, race: Any, final: bool) -> bytes:
        if self.figure is None:
            started = time.monotonic()
            self.figure = RaceFigure(race)
            self.setup = time.monotonic() - started
        self.figure.update(race)
        return self.figure.png(final=final)

    def on_step(self, race: surfaces.Race) -> None:
        if self.renders == 0 or self.due():
            self.render(race)


def play(show: Callable[[bytes], None], seconds: float = 3.0, **race_options: Any) -> tuple[surfaces.Race, RaceView]:
    """Run ``surfaces.race(**race_options)`` drawing it live through ``show(png)``, spread over about
    ``seconds`` so the paths can be watched growing (0: as fast as it computes); the last frame is sharp."""
    seconds = surfaces.SECONDS.check(seconds, "seconds")
    view = RaceView(show)
    started = time.monotonic()

    def on_step(race: surfaces.Race) -> None:
        view.on_step(race)
        ahead = started + seconds * race.step / race.steps - time.monotonic()
        if ahead > 0.01:
            time.sleep(ahead)

    result = surfaces.race(on_step=on_step, **race_options)
    view.render(result, final=True)
    if view.error is not None:
        raise view.error
    return result, view
