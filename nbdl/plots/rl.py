"""Pictures of a reinforcement-learning run: the return of every episode (light) with its moving
average (bold), the greedy evaluations as markers and the return that solves the task; epsilon
(DQN) and the loss in panels of their own; a frame of the environment; and for the grid world the
learned state values as a heat map beside the true ones (value iteration), with arrows of the
greedy action in every cell.

``RlView`` is the live view (a ``LiveView`` callback, redrawn within a time budget); ``rl_png``
draws a finished run once; ``animation_html`` turns ``run.frames()`` into an animated GIF that a
notebook (and GitHub, nbviewer) shows. The artists are made once and their data set at each draw."""
from __future__ import annotations

import base64
import io
import time
from typing import Callable

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

from ..core.gridworld import ACTIONS, COLORS, ENDS, GridWorld
from ..core.rl_env import solved_return
from .render import TEXT, TITLE, class_color, figure_png, new_figure, nice_range, readable
from .views import LiveView

ARROWS = dict(zip(ACTIONS, "↑→↓←"))
CMAP = "RdYlGn"  # low values red, high green, as the pits and the goal are painted
GIF_BYTES = 400_000  # an animation larger than this is drawn smaller
HOLD_MS = 1500  # how long an animation's last frame stays before it starts again
WIDTH = 8.6  # inches: the figure is shown 619 px wide


def _algo(run) -> str:
    return getattr(run.config, "algo", "dqn")


def _gamma(run) -> float:
    return float(getattr(run.config, "gamma", 0.99))


class RlFigure:
    """The figure of one RL run, updated in place by ``update(run)``."""

    def __init__(self, run):
        self.env = run.env
        self.grid = isinstance(self.env, GridWorld)
        self.greedy_epsilon = _algo(run) == "dqn"
        self.solved = solved_return(self.env)
        # two columns, WIDTH inches (72 px each): JupyterLab beside its file browser shows a picture
        # about 570 px wide, and a wider one is shrunk until its text is too small to read
        rows, heights = (3, (1.25, 1.0, 1.45)) if self.grid else (2, (1.25, 1.0))
        self.figure, self.canvas = new_figure(WIDTH, 9.6 if self.grid else 6.0, layout="constrained")
        spec = self.figure.add_gridspec(rows, 2, height_ratios=heights, width_ratios=(1.35, 1.0))
        self.returns = self.figure.add_subplot(spec[0, 0])
        self.frame_axes = self.figure.add_subplot(spec[0, 1])
        if self.greedy_epsilon:
            self.epsilon, self.loss = self.figure.add_subplot(spec[1, 0]), self.figure.add_subplot(spec[1, 1])
        else:
            self.epsilon, self.loss = None, self.figure.add_subplot(spec[1, :])
        if self.grid:  # the two maps side by side, the same size
            maps = spec[2, :].subgridspec(1, 2)
            self._maps(self.figure.add_subplot(maps[0]), self.figure.add_subplot(maps[1]), run)
        self._curves()
        self.frame = None
        self.frame_axes.set(xticks=[], yticks=[], title=self.env.name)
        readable(*self.figure.axes)

    def _curves(self) -> None:
        ax = self.returns
        self.return_line, = ax.plot([], [], color=class_color(0), alpha=0.35, lw=1, label="return")
        self.average_line, = ax.plot([], [], color=class_color(0), lw=2.5, label="average of 20")
        self.greedy_dots, = ax.plot([], [], ls="", marker="o", ms=6, color=class_color(1), label="greedy")
        if self.solved is not None:
            ax.axhline(self.solved, color=class_color(2), ls="--", lw=1.2, label=f"solved ({self.solved:g})")
        ax.set(title="return per episode", xlabel="episode")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
                  fontsize=TEXT, frameon=False, handlelength=1.5, columnspacing=1.0)
        if self.epsilon is not None:
            self.epsilon_line, = self.epsilon.plot([], [], color=class_color(4), lw=2)
            self.epsilon.set(title="exploration ε", ylim=(0, 1.05), xlabel="episode")
        self.loss_line, = self.loss.plot([], [], color=class_color(3), lw=1.5)
        self.loss.set(title="loss (mean per episode)", xlabel="episode")

    def _maps(self, learned, true, run) -> None:
        env = self.env
        gamma = _gamma(run)
        self.truth = env.true_values(gamma)
        self.cells = [cell for cell in env.cells() if env.kind(*cell) not in ENDS]
        self.observations = np.stack([env.observation(*cell) for cell in self.cells])
        self.maps, self.labels = [], []
        for ax, title in ((learned, "learned values" + (" (max Q)" if self.greedy_epsilon else " (baseline)")),
                          (true, f"true values (γ = {gamma:g})")):
            cmap = colormaps[CMAP].with_extremes(bad=np.array(COLORS["wall"]) / 255)
            image = ax.imshow(np.full((env.rows, env.cols), np.nan), cmap=cmap, norm=Normalize(0, 1))
            for r, c in env.cells():
                kind = env.kind(r, c)
                if kind in ENDS:
                    ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color=np.array(COLORS[kind]) / 255))
                    reward = env.goal if kind == "goal" else -env.pit
                    ax.text(c, r, f"{reward:+g}", ha="center", va="center", fontsize=TEXT, color="white",
                            weight="bold")
            labels = [ax.text(c, r, "", ha="center", va="center", fontsize=12, linespacing=1.0)
                      for r, c in self.cells]
            ax.set(title=title, xticks=[], yticks=[])
            self.maps.append(image)
            self.labels.append(labels)
        self.true_actions = [env.best_action(r, c, self.truth, gamma) for r, c in self.cells]

    def _heat(self, image, labels, values: np.ndarray, actions, norm: Normalize) -> None:
        grid = np.full((self.env.rows, self.env.cols), np.nan)
        for (r, c), value in zip(self.cells, values):
            grid[r, c] = value
        image.set_norm(norm)
        image.set_data(np.ma.masked_invalid(grid))
        cells = min(self.env.rows, self.env.cols)
        for label, value, action in zip(labels, values, actions):
            shade = np.asarray(image.cmap(norm(value)))[:3] @ (0.299, 0.587, 0.114)
            text = f"{ARROWS[ACTIONS[action]]}\n{value:.2f}" if cells <= 8 else ARROWS[ACTIONS[action]]
            label.set_text(text)
            label.set_color("white" if shade < 0.45 else "black")

    def update(self, run) -> None:
        h = run.history
        episodes = h.get("episode", [])
        if episodes:
            self.return_line.set_data(episodes, h["return"])
            self.average_line.set_data(episodes, h["average"])
            greedy = np.asarray(h["greedy"], dtype=float)
            shown = np.isfinite(greedy)
            self.greedy_dots.set_data(np.asarray(episodes)[shown], greedy[shown])
            values = [v for v in (*h["return"], *greedy[shown]) if np.isfinite(v)]
            if self.solved is not None:
                values.append(self.solved)
            right = max(episodes) * 1.02 + 1
            self.returns.set(xlim=(0, right), ylim=nice_range(min(values), max(values)))
            if self.epsilon is not None:
                self.epsilon_line.set_data(episodes, h["epsilon"])
                self.epsilon.set_xlim(0, right)
            self._loss(episodes, h["loss"], right)
        picture = run.frame()
        if picture is not None:
            if self.frame is None:
                self.frame = self.frame_axes.imshow(picture)
            else:
                self.frame.set_data(picture)
        self.frame_axes.set_title(f"{self.env.name}, episode {len(episodes)}", fontsize=TITLE)
        if self.grid:
            learned = np.asarray(run.state_values(self.observations), dtype=float)
            actions = np.argmax(np.asarray(run.q_values(self.observations)), axis=1)
            truth = np.array([self.truth[cell] for cell in self.cells])
            both = np.concatenate([truth, learned[np.isfinite(learned)]])
            norm = Normalize(*nice_range(float(both.min()), float(both.max())))
            self._heat(self.maps[0], self.labels[0], learned, actions, norm)
            self._heat(self.maps[1], self.labels[1], truth, self.true_actions, norm)

    def _loss(self, episodes, losses, right) -> None:
        losses = np.asarray(losses, dtype=float)
        seen = losses[np.isfinite(losses)]
        self.loss_line.set_data(episodes, losses)
        self.loss.set_xlim(0, right)
        if len(seen) == 0:
            return
        low, high = float(seen.min()), float(seen.max())
        if low > 0 and high / low > 100:  # spans decades: a log axis shows them all
            self.loss.set_yscale("log")
            self.loss.set_ylim(low / 1.5, high * 1.5)
        else:
            self.loss.set_yscale("linear")
            self.loss.set_ylim(*nice_range(low, high))

    def png(self, scale: float = 2) -> bytes:
        return figure_png(self.figure, scale=scale)


def rl_png(run) -> bytes:
    """A finished (or new) run's picture, drawn once."""
    figure = RlFigure(run)
    figure.update(run)
    return figure.png()


class RlView(LiveView):
    """The live RL picture: redrawn when due, within ``budget`` of the wall time."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.1, min_interval: float = 1.0):
        super().__init__(show, budget, min_interval)
        self.figure: RlFigure | None = None

    def draw(self, run, final):
        if self.figure is None:
            started = time.monotonic()
            self.figure = RlFigure(run)
            self.setup = time.monotonic() - started
        self.figure.update(run)
        return self.figure.png(scale=2 if final else 1)


def _smaller(picture: np.ndarray, width: int) -> np.ndarray:
    """``picture`` shrunk to ``width`` pixels wide (its aspect kept), or as it is when not wider."""
    from PIL import Image

    if picture.shape[1] <= width:
        return picture
    height = max(1, round(picture.shape[0] * width / picture.shape[1]))
    return np.asarray(Image.fromarray(picture).resize((width, height), Image.Resampling.BILINEAR))


def animation_gif(frames: list[np.ndarray], fps: float = 25, width: int = 300) -> bytes:
    """The frames (H, W, 3 uint8) as a looping animated GIF, at most ``width`` pixels wide; drawn
    smaller, then with every other frame, until it is under ``GIF_BYTES``."""
    from PIL import Image

    if not frames:
        raise ValueError("an animation needs at least one frame")
    step = 1
    while True:
        chosen = frames[::step]
        pictures = [Image.fromarray(np.ascontiguousarray(_smaller(np.asarray(f, dtype=np.uint8), width)))
                    for f in chosen]
        palette = pictures[0].quantize(colors=64)  # one palette for every frame: smaller, no flicker
        indexed = [p.quantize(palette=palette, dither=Image.Dither.NONE) for p in pictures]
        out = io.BytesIO()
        duration = max(20, round(1000 * step / fps))  # the last frame held, so the loop's end is seen
        indexed[0].save(out, format="GIF", save_all=True, append_images=indexed[1:], loop=0,
                        duration=[duration] * (len(indexed) - 1) + [max(duration, HOLD_MS)], optimize=False)
        gif = out.getvalue()
        if len(gif) <= GIF_BYTES or (width <= 120 and len(chosen) <= 2):
            return gif
        if width > 160:
            width = int(width * 0.75)
        else:
            step *= 2


def animation_html(frames: list[np.ndarray], fps: float = 25, width: int = 300, caption: str = "") -> str:
    """An ``<img>`` of the animated GIF as a data URI (shows in JupyterLab, on GitHub and nbviewer)."""
    data = base64.b64encode(animation_gif(frames, fps, width)).decode("ascii")
    shown = min(width, max(np.asarray(frames[0]).shape[1], 1))
    note = f"<div style='font-size:13px'>{caption}</div>" if caption else ""
    return f"<div><img src='data:image/gif;base64,{data}' style='width:{shown}px;image-rendering:auto'/>{note}</div>"
