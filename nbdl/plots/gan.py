"""Pictures of a GAN run: for 2-D data the generated samples over the real ones on the
discriminator's output as a background map (as GAN Lab draws it), both losses over the steps, and
the modes covered (ring, grid); for images a grid of samples from one fixed latent batch.

``GanView`` is the live view (a ``LiveView`` callback: redrawn within a time budget); ``gan_png``
draws a finished run once. The artists are made once and their data set at each draw."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from .render import class_color, figure_png, new_figure, nice_range, readable
from .views import LiveView

RESOLUTION = 60   # background map cells per side
SHOWN = 600       # generated and real points drawn
IMAGES = 8        # a grid of IMAGES x IMAGES generated images


class GanFigure:
    """The figure of one GAN run, updated in place by ``update(run)``."""

    def __init__(self, run):
        self.plane = run.width == 2
        self.images = len(run.dataset.sample_shape) == 3
        self.modes = run.centres is not None
        panels = 1 + (self.plane or self.images) + self.modes
        self.figure, self.canvas = new_figure(4.2 * panels, 4.4, layout="constrained")
        axes = list(self.figure.subplots(1, panels, squeeze=False)[0])
        if self.plane:
            self._plane(axes.pop(0), run)
        elif self.images:
            self._images(axes.pop(0), run)
        self.losses = axes.pop(0)
        self.d_line, = self.losses.plot([], [], color=class_color(0), label="discriminator")
        self.g_line, = self.losses.plot([], [], color=class_color(1), label="generator")
        self.losses.set(title="losses", xlabel="generator step")
        self.losses.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=12, frameon=False)
        if self.modes:
            self.cover = axes.pop(0)
            self.mode_line, = self.cover.plot([], [], color=class_color(2), marker="o", label="modes covered")
            self.total = len(run.centres)
            self.cover.set(title=f"modes covered (of {self.total})", xlabel="generator step",
                           ylim=(0, self.total + 0.5))
            self.quality = self.cover.twinx()
            self.quality_line, = self.quality.plot([], [], color=class_color(3), ls="--", label="samples near a mode")
            self.quality.set(ylim=(0, 1.05))
            self.quality.set_ylabel("share of samples near a mode", color=class_color(3))
            self.cover.legend(handles=[self.mode_line, self.quality_line], loc="upper center",
                              bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=12, frameon=False)
            readable(self.quality)
        readable(*self.figure.axes)

    def _plane(self, ax, run) -> None:
        real = run.dataset.X.reshape(len(run.dataset), 2)
        real = real[np.random.default_rng(0).permutation(len(real))[:SHOWN]]
        low, high = real.min(axis=0), real.max(axis=0)
        pad = 0.15 * (high - low).max() + 1e-6
        self.extent = (low[0] - pad, high[0] + pad, low[1] - pad, high[1] + pad)
        xs = np.linspace(self.extent[0], self.extent[1], RESOLUTION)
        ys = np.linspace(self.extent[2], self.extent[3], RESOLUTION)
        self.grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(np.float32)
        wgan = run.loss.penalty
        self.map = ax.imshow(np.zeros((RESOLUTION, RESOLUTION)), extent=self.extent, origin="lower", cmap="PiYG",
                             vmin=0, vmax=1, alpha=0.55, aspect="auto", interpolation="bilinear")
        self.wgan = wgan
        ax.scatter(real[:, 0], real[:, 1], s=6, color="#1a7f37", label="real")
        self.fake = ax.scatter([], [], s=6, color="#7b2cbf", label="generated")
        ax.set(xlim=self.extent[:2], ylim=self.extent[2:],
               title="samples on D's map" + (" (critic)" if wgan else " (P real)"))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=12, markerscale=2.5,
                  frameon=False)
        ax.set_aspect("equal", adjustable="box")
        self.plane_axes = ax

    def _images(self, ax, run) -> None:
        shape = run.dataset.sample_shape
        self.latent = run.fixed_latent[: IMAGES * IMAGES]
        self.blank = float(run.dataset.X.min())  # the 1-pixel lines between two images: the background
        self.tile = ax.imshow(np.zeros((IMAGES * (shape[1] + 1) - 1, IMAGES * (shape[2] + 1) - 1)), cmap="gray_r",
                              vmin=self.blank, vmax=float(run.dataset.X.max()))
        ax.set(title="samples (fixed latents)", xticks=[], yticks=[])

    def update(self, run) -> None:
        h = run.history
        steps = h.get("step", [])
        if self.plane:
            self.fake.set_offsets(run.generated(run.fixed_latent[:SHOWN]))
            values = run.critic(self.grid).reshape(RESOLUTION, RESOLUTION)
            if self.wgan:  # scores have no fixed scale: show them spread over the colours
                low, high = np.percentile(values, [2, 98])
                values = (values - low) / (high - low + 1e-9)
            self.map.set_data(values)
        elif self.images:
            shape = run.dataset.sample_shape
            pictures = run.generated(self.latent).reshape(IMAGES, IMAGES, shape[1], shape[2])
            pictures = np.pad(pictures, ((0, 0), (0, 0), (0, 1), (0, 1)), constant_values=self.blank)
            tile = pictures.transpose(0, 2, 1, 3).reshape(IMAGES * (shape[1] + 1), IMAGES * (shape[2] + 1))
            self.tile.set_data(tile[:-1, :-1])
        if steps:
            self.d_line.set_data(steps, h["d_loss"])
            self.g_line.set_data(steps, h["g_loss"])
            values = [v for v in (*h["d_loss"], *h["g_loss"]) if np.isfinite(v)] or [0.0]
            self.losses.set(xlim=(0, max(steps) * 1.02 + 1), ylim=nice_range(min(values), max(values)))
        if self.modes and steps:
            self.mode_line.set_data(steps, h["modes"])
            self.quality_line.set_data(steps, h["quality"])
            for ax in (self.cover, self.quality):
                ax.set_xlim(0, max(steps) * 1.02 + 1)

    def png(self, scale: float = 2) -> bytes:
        return figure_png(self.figure, scale=scale)


def gan_png(run) -> bytes:
    """A finished (or new) run's picture, drawn once."""
    figure = GanFigure(run)
    figure.update(run)
    return figure.png()


class GanView(LiveView):
    """The live GAN picture: redrawn when due, within ``budget`` of the wall time (~0.3 s a draw)."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.1, min_interval: float = 1.0):
        super().__init__(show, budget, min_interval)
        self.figure: GanFigure | None = None

    def draw(self, run, final):
        if self.figure is None:
            started = time.monotonic()
            self.figure = GanFigure(run)
            self.setup = time.monotonic() - started
        self.figure.update(run)
        return self.figure.png(scale=2 if final else 1)
