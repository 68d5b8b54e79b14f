"""Pictures of meta-learning runs: the meta-training loss of one or several runs on one axis (live),
and the paper's figure (Finn et al. 2017, fig. 2): for one new sinusoid task, the true curve, the
K shots and each run's prediction before and after 1 and 10 steps of adaptation, one panel per run;
for digits, the K-shot support images of a new episode and the query accuracy after 0, 1 and 10
steps for each run and for a network trained from scratch on the same shots.

``MetaView`` is the live view (a ``LiveView`` callback: redrawn within a time budget); one view
given to several fits in turn draws all their runs together. ``adaptation_png`` and ``meta_png``
draw finished runs once."""
from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from ..core import randomness
from ..core.errors import NbdlError
from .render import class_color, figure_png, new_figure, nice_range, plain, readable
from .views import LiveView

NAMES = {"maml": "MAML", "reptile": "Reptile", "pretrain": "pretrained"}
POINTS = 200            # where each curve is drawn
STEP_COLORS = ("#7f7f7f", "#2ca02c", "#d62728", "#9467bd")  # before, then each step count in turn
TRUE_COLOR = "#1f77b4"
SHOT_COLOR = "#000000"
SCRATCH_COLOR = "#bdbdbd"
DECADES = 20.0          # a loss whose highest value is this many times its lowest is drawn on a log axis
MOST_SHOTS = 10         # support images drawn per class
EPISODE_WIDTH = 8.6     # inches (72 px each) of the digits figure: JupyterLab beside its file browser shows ~570 px
PANEL_WIDTH = 4.3       # inches of one run's sinusoid panel


def method(run: Any) -> str:
    """The run's method as the user reads it: ``MAML``, ``Reptile``, ``pretrained``."""
    settings = getattr(run, "settings", None) or {}
    name = settings.get("method") if isinstance(settings, dict) else None
    name = name or getattr(getattr(run, "config", None), "method", None) or "run"
    name = getattr(name, "name", name)
    label = NAMES.get(str(name).lower(), str(name))
    if label == "MAML" and isinstance(settings, dict) and settings.get("first_order"):
        label = "MAML (first order)"
    return label


def as_runs(runs: Any) -> list:
    runs = list(runs) if isinstance(runs, (list, tuple)) else [runs]
    if not runs:
        raise NbdlError("no meta-learning run to draw; give a run from nbdl.meta or a list of them")
    return runs


def labels(runs: Sequence) -> list[str]:
    """One label per run; two runs of one method are told apart by their number."""
    names = [method(run) for run in runs]
    return [f"{name} {names[:i].count(name) + 1}" if names.count(name) > 1 else name for i, name in enumerate(names)]


def _step_words(steps: int) -> str:
    return "before" if steps == 0 else f"{steps} step" + ("s" if steps > 1 else "")


def _numpy(values: Any) -> np.ndarray:
    values = values.detach().cpu().numpy() if hasattr(values, "detach") else np.asarray(values)
    return values.astype(float)


def _is_regression(task: Any) -> bool:
    return not getattr(task, "classes", None)  # a classification task names its labels' classes


# --- the meta-training loss ------------------------------------------------------------------------------

class LossFigure:
    """The meta-training loss of one or several runs by iteration, updated in place by ``update(runs)``."""

    def __init__(self, ax=None):
        if ax is None:
            self.figure, self.canvas = new_figure(6.0, 3.8, layout="constrained")
            ax = self.figure.subplots()
        else:
            self.figure = ax.figure
        self.ax = ax
        self.lines: list = []
        ax.set(title="meta-training loss", xlabel="iteration")
        readable(ax)

    def update(self, runs: Sequence) -> None:
        names = labels(runs)
        while len(self.lines) < len(runs):
            line, = self.ax.plot([], [], color=class_color(len(self.lines)), lw=1.6)
            self.lines.append(line)
        values, last = [], 0.0
        for line, run, name in zip(self.lines, runs, names):
            h = run.history
            steps, losses = list(h.get("iteration", [])), list(h.get("loss", []))
            line.set_data(steps, losses)
            line.set_marker("o" if len(steps) <= 3 else "")  # a row or two: points, which a line would not show
            measures = getattr(getattr(run, "method", None), "measures", None)
            line.set_label(plain(name) + (f": {measures}" if measures else ""))
            values += [v for v in losses if np.isfinite(v) and v > 0]
            last = max([last, *steps])
        if not values:
            return
        low, high = min(values), max(values)
        log = high > DECADES * low
        self.ax.set_yscale("log" if log else "linear")
        self.ax.set_ylim(*((low / 1.3, high * 1.3) if log else nice_range(low, high)))
        self.ax.set_xlim(0, last * 1.02 + 1)
        self.ax.set_ylabel("loss" + (" (log scale)" if log else ""))
        # below the axes, not on the curves: each method's loss measures its own thing, so the labels are long
        self.ax.legend(loc="upper left", bbox_to_anchor=(0, -0.22), fontsize=12, frameon=False)
        readable(self.ax)

    def png(self, scale: float = 2) -> bytes:
        return figure_png(self.figure, scale=scale)


class MetaView(LiveView):
    """The live loss picture: redrawn when due, within ``budget`` of the wall time. Given to several fits
    in turn (MAML, then its baseline) it draws every run it has seen on one axis."""

    def __init__(self, show: Callable[[bytes], None], budget: float = 0.1, min_interval: float = 1.0):
        super().__init__(show, budget, min_interval)
        self.figure: LossFigure | None = None
        self.runs: list = []

    def on_fit_start(self, run):
        super().on_fit_start(run)
        if not any(seen is run for seen in self.runs):
            self.runs.append(run)

    def draw(self, run, final):
        if not any(seen is run for seen in self.runs):
            self.runs.append(run)
        if self.figure is None:
            started = time.monotonic()
            self.figure = LossFigure()
            self.setup = time.monotonic() - started
        self.figure.update(self.runs)
        return self.figure.png(scale=2 if final else 1)


# --- the paper's figure: adapting to one new task --------------------------------------------------------

def _curves(runs: Sequence, task: Any, steps: Sequence[int]) -> dict:
    """For each run and step count: the prediction on a grid of x and the mean squared error on the
    task's query points. ``{"x": grid, "true": curve, runs: [{steps: (prediction, mse)}]}``."""
    xs_support = _numpy(task.x_support).reshape(-1)
    grid = np.linspace(min(-5.0, xs_support.min()), max(5.0, xs_support.max()), POINTS)
    x_query, y_query = _numpy(task.x_query).reshape(-1, 1), _numpy(task.y_query).reshape(-1)
    drawn = []
    for run in runs:
        per_step = {}
        for k in (0, *steps):
            model = run.adapt(task, steps=k)
            prediction = np.asarray(run.predict(grid.reshape(-1, 1).astype(np.float32), model=model), float).reshape(-1)
            query = np.asarray(run.predict(x_query.astype(np.float32), model=model), float).reshape(-1)
            per_step[k] = (prediction, float(np.mean((query - y_query) ** 2)))
        drawn.append(per_step)
    return {"x": grid, "true": np.asarray(task.curve(grid), float).reshape(-1), "runs": drawn}


class AdaptationFigure:
    """The sinusoid figure: one panel per run, the same colours in each, one legend below."""

    def __init__(self, runs: Sequence, task: Any, steps: Sequence[int] = (1, 10), figure=None):
        self.runs, self.task, self.steps = list(runs), task, tuple(steps)
        self.data = _curves(self.runs, task, self.steps)
        if figure is None:
            figure, self.canvas = new_figure(max(5.5, PANEL_WIDTH * len(self.runs)), 4.6, layout="constrained")
        self.figure = figure
        self.axes = list(figure.subplots(1, len(self.runs), squeeze=False, sharey=True)[0])
        x_shots, y_shots = _numpy(task.x_support).reshape(-1), _numpy(task.y_support).reshape(-1)
        values = [self.data["true"], y_shots] + [p for per in self.data["runs"] for p, _ in per.values()]
        low, high = min(v.min() for v in values), max(v.max() for v in values)
        span = high - low or 1.0
        self.lines = []
        for ax, name, per_step in zip(self.axes, labels(self.runs), self.data["runs"]):
            ax.plot(self.data["x"], self.data["true"], color=TRUE_COLOR, lw=3, alpha=0.45, label="true curve")
            lines = {}
            for i, (k, (prediction, _)) in enumerate(per_step.items()):
                lines[k], = ax.plot(self.data["x"], prediction, color=STEP_COLORS[i % len(STEP_COLORS)],
                                    lw=1.8, ls="--" if k == 0 else "-", label=_step_words(k) if k == 0 else
                                    f"after {_step_words(k)}")
            ax.scatter(x_shots, y_shots, s=40, color=SHOT_COLOR, zorder=5, label=f"{len(x_shots)} shots")
            self.lines.append(lines)
            errors = " · ".join(f"{_step_words(k)} {mse:.2f}" for k, (_, mse) in per_step.items())
            ax.set_title(f"{plain(name)}: query MSE\n{errors}")
            ax.set(xlim=(self.data["x"][0], self.data["x"][-1]), ylim=(low - 0.08 * span, high + 0.08 * span),
                   xlabel="x")
        self.axes[0].set_ylabel("y")
        handles, names = self.axes[0].get_legend_handles_labels()
        figure.legend(handles, names, loc="outside lower center", ncol=min(len(names), 3), fontsize=13, frameon=False)
        readable(*self.axes, title=14)

    def mse(self, run_index: int, steps: int) -> float:
        return self.data["runs"][run_index][steps][1]

    def png(self, scale: float = 2) -> bytes:
        return figure_png(self.figure, scale=scale)


def _accuracy(run: Any, model: Any, task: Any) -> float:
    predicted = np.asarray(run.predict(task.x_query, model=model))
    if predicted.ndim == 2:  # probabilities or scores per class
        predicted = predicted.argmax(axis=1)
    return float(np.mean(predicted.reshape(-1) == _numpy(task.y_query).reshape(-1)))


def _scratch(run: Any, task: Any, steps: Sequence[int]) -> dict[int, float] | None:
    """Query accuracy of a freshly initialised network trained the same way on the same shots."""
    spec, family = getattr(run, "spec", None), getattr(run, "family", None)
    if spec is None or family is None:
        return None
    with randomness.seeded(run.settings["seed"]):
        fresh = spec.build((family.input_size,))
    return {k: _accuracy(run, run.adapt(task, steps=k, model=fresh), task) for k in steps}


class EpisodeFigure:
    """The digits figure: the K-shot support images of one new episode, and the query accuracy after
    0, 1, 10 steps for each run and for training from scratch, as grouped bars."""

    def __init__(self, runs: Sequence, task: Any, steps: Sequence[int] = (1, 10), figure=None):
        self.runs, self.task, self.steps = list(runs), task, (0, *steps)
        self.accuracy = [{k: _accuracy(run, run.adapt(task, steps=k), task) for k in self.steps} for run in self.runs]
        self.scratch = _scratch(self.runs[0], task, self.steps)
        if figure is None:
            figure, self.canvas = new_figure(EPISODE_WIDTH, 4.8, layout="constrained")
        self.figure = figure
        images, bars = figure.subplots(1, 2, width_ratios=(1, 1.5))
        self._support(images, task, getattr(self.runs[0], "family", None))
        self._bars(bars)
        readable(images, bars)

    def _support(self, ax, task, family) -> None:
        x, y = _numpy(task.x_support), _numpy(task.y_support).reshape(-1).astype(int)
        if getattr(family, "mean", None) is not None:  # the pixels as they were, not standardised
            x = x * np.asarray(family.deviation) + np.asarray(family.mean)
        side = int(round(np.sqrt(x[0].size)))
        pictures = x.reshape(len(x), side, side)
        ways = sorted(set(y.tolist()))
        shots = min(MOST_SHOTS, max(int((y == c).sum()) for c in ways))
        blank = float(pictures.min())
        tile = np.full((len(ways) * (side + 1) - 1, shots * (side + 1) - 1), blank)
        for row, c in enumerate(ways):
            for col, picture in enumerate(pictures[y == c][:shots]):
                tile[row * (side + 1):row * (side + 1) + side, col * (side + 1):col * (side + 1) + side] = picture
        ax.imshow(tile, cmap="gray_r", vmin=blank, vmax=float(pictures.max()))
        classes = getattr(task, "classes", None)
        names = [str(classes[c]) if classes and c < len(classes) else f"class {c}" for c in ways]
        ax.set_yticks([row * (side + 1) + side / 2 - 0.5 for row in range(len(ways))], names)
        ax.set_xticks([])
        ax.set_title(f"new episode: {len(ways)}-way {shots}-shot")

    def _bars(self, ax) -> None:
        groups = [(name, acc, class_color(i)) for i, (name, acc) in enumerate(zip(labels(self.runs), self.accuracy))]
        if self.scratch is not None:
            groups.append(("from scratch", self.scratch, SCRATCH_COLOR))
        width = 0.8 / len(groups)
        for i, (name, acc, color) in enumerate(groups):
            xs = np.arange(len(self.steps)) + (i - (len(groups) - 1) / 2) * width
            heights = [acc.get(k, np.nan) for k in self.steps]
            bars = ax.bar(xs, np.nan_to_num(heights), width * 0.92, color=color, label=plain(name))
            for bar, h in zip(bars, heights):
                if np.isfinite(h):
                    ax.text(bar.get_x() + bar.get_width() / 2, h + 0.02, f"{h:.0%}", ha="center", va="bottom",
                            fontsize=12, rotation=90 if len(groups) > 2 else 0)  # side by side they touch
        ways = len(set(_numpy(self.task.y_support).reshape(-1).astype(int).tolist()))
        ax.axhline(1 / ways, color="#444444", ls=":", lw=1.2, label="chance")
        ax.set_xticks(np.arange(len(self.steps)), [f"{k} step" + "s" * (k != 1) for k in self.steps])
        ax.set(ylim=(0, 1.08), xlabel="SGD steps on the shots", ylabel="query accuracy",
               title="accuracy on the episode's queries")
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        handles, names = ax.get_legend_handles_labels()
        ax.figure.legend(handles, names, loc="outside lower center", ncol=len(names), fontsize=13, frameon=False,
                         handlelength=1.2)

    def png(self, scale: float = 2) -> bytes:
        return figure_png(self.figure, scale=scale)


def adaptation_figure(runs: Any, task: Any = None, steps: Sequence[int] = (1, 10), figure=None, seed: int = 0):
    """The figure of ``runs`` adapting to one new task (``runs[0].new_task(seed)`` unless given)."""
    runs = as_runs(runs)
    steps = tuple(int(k) for k in steps if int(k) > 0)
    if not steps:
        raise NbdlError("steps must hold at least one step count >= 1, e.g. steps=(1, 10)")
    if task is None:
        task = runs[0].new_task(seed=seed)
    kind = AdaptationFigure if _is_regression(task) else EpisodeFigure
    return kind(runs, task, steps, figure=figure)


def adaptation_png(runs: Any, task: Any = None, steps: Sequence[int] = (1, 10), seed: int = 0) -> bytes:
    """The paper's figure (Finn et al. 2017, fig. 2) for sinusoid runs, or the episode figure for digits."""
    return adaptation_figure(runs, task, steps, seed=seed).png()


def meta_png(runs: Any, task: Any = None, steps: Sequence[int] = (1, 10), seed: int = 0) -> bytes:
    """A finished run (or several): the meta-training loss above the adaptation figure."""
    runs = as_runs(runs)
    task = runs[0].new_task(seed=seed) if task is None else task
    width = max(EPISODE_WIDTH, PANEL_WIDTH * len(runs)) if _is_regression(task) else EPISODE_WIDTH
    figure, _ = new_figure(width, 8.4, layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=(1, 1.25))
    loss = LossFigure(top.subplots())
    loss.update(runs)
    adaptation_figure(runs, task, steps, figure=bottom, seed=seed)
    return figure_png(figure)
