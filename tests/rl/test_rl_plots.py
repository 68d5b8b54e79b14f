"""The RL pictures: the live figure (returns, epsilon, loss, a frame, the grid world's heat maps),
its view within a time budget, and the animation of an episode."""
import io
import math
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from nbdl.core.gridworld import GridWorld
from nbdl.core.rl_env import make_env
from nbdl.plots.render import shown_width, text_sizes
from nbdl.plots.rl import GIF_BYTES, RlFigure, RlView, animation_gif, animation_html, rl_png


class StandIn:
    """An RlRun as the pictures read it: history, env, config, frame, state and Q values."""

    def __init__(self, env="gridworld", algo="dqn", episodes=60, losses=None):
        self.env = make_env(env, render=True)
        self.env.reset(seed=0)
        self.config = SimpleNamespace(algo=algo, gamma=0.9, env=env)
        rng = np.random.default_rng(0)
        returns = list(np.linspace(-1, 1, episodes) + rng.normal(0, 0.2, episodes))
        self.history = {
            "episode": [float(i) for i in range(1, episodes + 1)], "return": returns,
            "average": [float(np.mean(returns[max(0, i - 19):i + 1])) for i in range(episodes)],
            "epsilon": [max(0.05, 1 - i / 40) if algo == "dqn" else math.nan for i in range(episodes)],
            "loss": losses or [math.nan] + list(np.exp(-np.linspace(0, 8, episodes - 1))),
            "greedy": [0.5 if i % 10 == 9 else math.nan for i in range(episodes)]}
        self.values = {}  # cell -> the learned value the stand-in gives

    def frame(self):
        return self.env.render()

    def state_values(self, observations):
        cells = [divmod(int(np.argmax(o)), self.env.cols) for o in observations]
        return np.array([self.values.get(cell, 0.5) for cell in cells])

    def q_values(self, observations):
        return np.tile([0.0, 1.0, 0.0, 0.0], (len(observations), 1))  # always right


def _decoded(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_the_grid_world_heat_map_orders_its_colours_as_the_values():
    run = StandIn()
    env = run.env
    cells = [c for c in env.cells() if env.kind(*c) not in ("goal", "pit")]
    run.values = {cell: -0.5 + 1.5 * i / (len(cells) - 1) for i, cell in enumerate(cells)}  # rising row by row
    figure = RlFigure(run)
    figure.update(run)
    png = figure.png(scale=2)
    pixels = _decoded(png)
    assert pixels.shape[:2] == (2 * round(9.6 * 72), 2 * round(8.6 * 72)) and shown_width(png) == pixels.shape[1] // 2
    image = figure.maps[0]
    lut = image.cmap(np.linspace(0, 1, 256))[:, :3] * 255
    to_pixel = figure.maps[0].axes.transData
    found = []
    for r, c in cells:
        x, y = to_pixel.transform((c - 0.38, r - 0.38))  # a cell's corner: no text there
        colour = pixels[pixels.shape[0] - round(2 * y), round(2 * x)].astype(float)
        found.append(int(np.argmin(((lut - colour) ** 2).sum(axis=1))))
    values = [run.values[cell] for cell in cells]
    assert np.all(np.diff(found) >= 0) and found[-1] - found[0] > 150, (values, found)
    # the arrows show the stand-in's greedy action, right; the true map's the value iteration's
    assert all(label.get_text().startswith("→") for label in figure.labels[0])
    assert figure.labels[1][cells.index((3, 4))].get_text().startswith("↓")  # (3, 4) is just above the goal
    assert figure.labels[1][cells.index((3, 4))].get_text().endswith("1.00")


def test_the_loss_axis_turns_logarithmic_when_it_spans_decades():
    decades = StandIn()
    figure = RlFigure(decades)
    figure.update(decades)
    assert figure.loss.get_yscale() == "log"
    flat = StandIn(losses=[1.0 + 0.1 * i for i in range(60)])
    figure = RlFigure(flat)
    figure.update(flat)
    assert figure.loss.get_yscale() == "linear"
    low, high = figure.loss.get_ylim()
    assert low <= 1.0 and high >= 6.9


def test_cartpole_shows_the_solved_line_and_its_frame_and_reinforce_has_no_epsilon():
    run = StandIn("CartPole-v1", algo="reinforce")
    figure = RlFigure(run)
    figure.update(run)
    legend = [t.get_text() for t in figure.returns.get_legend().get_texts()]
    assert legend == ["return", "average of 20", "greedy", "solved (195)"]
    assert figure.epsilon is None and not figure.grid
    assert figure.frame.get_array().shape == run.frame().shape
    assert figure.greedy_dots.get_xdata().tolist() == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    low, high = figure.returns.get_ylim()
    assert low <= min(run.history["return"]) and high >= 195
    pixels = _decoded(rl_png(run))
    assert pixels.shape[1] == 2 * round(8.6 * 72)


def test_the_view_draws_within_its_budget():
    run = StandIn(episodes=30)
    shown = []
    view = RlView(shown.append, budget=0.1, min_interval=0.0)
    full = run.history
    view.on_fit_start(run)
    for n in range(1, 31):
        run.history = {k: v[:n] for k, v in full.items()}
        view.on_epoch_end(run, {})
    view.on_fit_end(run)
    assert view.error is None and shown and all(p.startswith(b"\x89PNG") for p in shown)
    assert 2 <= view.renders < 30  # the first, the last, and only the due ones between


def test_an_episode_becomes_a_small_animated_gif():
    env = GridWorld()
    env.reset()
    frames = [env.render()]
    for action in (1, 1, 2, 2, 2, 2, 1, 1):  # round the walls to the goal, bottom right
        env.step(action)
        frames.append(env.render())
    assert env.kind(*env.position) == "goal"
    gif = Image.open(io.BytesIO(animation_gif(frames, fps=3)))
    assert gif.format == "GIF" and gif.n_frames == 9 and gif.size == (200, 200)
    for index, (r, c) in ((0, (0, 0)), (8, (4, 4))):  # the agent's circle at the start, then on the goal
        gif.seek(index)
        seen = np.asarray(gif.convert("RGB")).astype(int)
        assert np.abs(seen[r * 40 + 20, c * 40 + 20] - (31, 119, 180)).max() <= 12
    html = animation_html(frames, fps=3, caption="one greedy episode")
    assert html.count("data:image/gif;base64,") == 1 and "one greedy episode" in html


@pytest.mark.parametrize("env, algo", [("gridworld", "dqn"), ("CartPole-v1", "dqn"), ("CartPole-v1", "reinforce")])
def test_the_picture_fits_jupyterlab_beside_its_file_browser_with_text_readable_there(env, algo):
    # JupyterLab 1000 px wide with its file browser open shows an output 568 px wide: a wider picture is
    # shrunk, its 13 px text with it; the picture was 950 px wide (text 8 px there)
    run = StandIn(env, algo=algo)
    figure = RlFigure(run)
    figure.update(run)
    png = figure.png()
    assert shown_width(png) <= 620
    assert min(size for _, size in text_sizes(figure.figure)) * min(shown_width(png), 568) / shown_width(png) >= 11


def test_the_animation_holds_its_last_frame_so_the_end_is_seen():
    env = GridWorld()
    env.reset()
    frames = [env.render()]
    for action in (1, 1, 2):
        env.step(action)
        frames.append(env.render())
    gif = Image.open(io.BytesIO(animation_gif(frames, fps=4)))
    durations = []
    for index in range(gif.n_frames):
        gif.seek(index)
        durations.append(gif.info["duration"])
    assert durations == [250, 250, 250, 1500]


@pytest.mark.slow
def test_a_long_cartpole_episode_is_shrunk_under_the_size_limit():
    env = make_env("CartPole-v1", render=True)
    env.reset(seed=0)
    frames, rng = [], np.random.default_rng(0)
    for _ in range(300):
        frames.append(env.render())
        *_, terminated, truncated = env.step(int(rng.integers(2)))
        if terminated or truncated:
            env.reset()
    data = animation_gif(frames, fps=30, width=360)
    gif = Image.open(io.BytesIO(data))
    assert len(data) <= GIF_BYTES and gif.size[0] <= 360 and gif.n_frames >= 150
    env.close()


def test_a_real_grid_world_run_is_drawn():
    from nbdl.core.rl import rl

    run = rl("input 25\ndense 16 relu\ndense 4", env="gridworld", episodes=8, learn_start=30, batch_size=8,
             eval_every=4, eval_episodes=1)
    pixels = _decoded(rl_png(run))
    assert pixels.shape == (2 * round(9.6 * 72), 2 * round(8.6 * 72), 3)
    figure = RlFigure(run)
    figure.update(run)
    learned = figure.maps[0].get_array()
    cell = figure.cells[0]
    assert learned[cell] == pytest.approx(float(run.state_values(run.env.observation(*cell)[None])[0]), rel=1e-5)
