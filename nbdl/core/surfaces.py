"""Classic two-parameter test surfaces and optimizer races on them: each optimizer is the real torch
optimizer nbdl trains with (``optimizers.make``) stepping a 2-element parameter, and its path is kept.

A surface is one record (function, minima, start, plot window, learning rates that make a good
race); the magic's help and choices and the picture are derived from the records."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from .optimizers import kind as optimizer_kind
from .optimizers import make as make_optimizer
from .optimizers import registry as optimizer_registry
from .errors import NbdlError, raise_all
from .options import FLOAT, INT, Option
from .registry import Registry

Point = tuple[float, float]


@dataclass(frozen=True, eq=False)
class Surface:
    """``function(x, y)`` on tensors (it broadcasts), its ``minima``, the race's ``start``, its
    ``steps``, the plot ``window`` (x_low, x_high, y_low, y_high), the learning rate per optimizer
    that makes a good race (``lrs``; others take their registry default) and whether its contour
    levels are spaced on a log scale (values over many decades)."""

    name: str
    function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    minima: tuple[Point, ...]
    start: Point
    window: tuple[float, float, float, float]
    lrs: dict[str, float]
    steps: int = 500
    log_levels: bool = False
    formula: str = ""
    help: str = ""

    def __call__(self, x: Any, y: Any) -> Any:
        return self.function(x, y)

    def lowest(self) -> float:
        """The function's value at its minima."""
        x, y = self.minima[0]
        return float(self.function(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)))

    def grid(self, resolution: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The function over the window: (x, y, values) with values of shape (resolution, resolution), rows y."""
        x0, x1, y0, y1 = self.window
        x = torch.linspace(x0, x1, resolution, dtype=torch.float64)
        y = torch.linspace(y0, y1, resolution, dtype=torch.float64)
        values = self.function(x[None, :], y[:, None])
        return x.numpy(), y.numpy(), values.numpy()

    def lr(self, optimizer: str) -> float:
        """The race's learning rate for ``optimizer``: this surface's, else the optimizer's own default."""
        name = optimizer_registry.canonical(optimizer)
        return self.lrs.get(name, optimizer_kind(name).defaults["lr"])


registry: Registry[Surface] = Registry("surface")


def add(surface: Surface, replace: bool = False) -> Surface:
    """Register a surface: ``%nbdl race --surface`` offers it from then on."""
    return registry.add(surface.name, surface, replace=replace)


def names() -> list[str]:
    return [s.name for s in registry.in_order()]


def get(name: str | Surface) -> Surface:
    return name if isinstance(name, Surface) else registry.get(name)


add(Surface(
    "rosenbrock", lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2, ((1.0, 1.0),), (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0),
    {"gd": 0.001, "sgd": 0.001, "momentum": 0.0005, "nesterov": 0.0005, "adam": 0.05, "adamw": 0.05,
     "adagrad": 1.0, "rmsprop": 0.005}, steps=2000, log_levels=True, formula="(1-x)² + 100(y-x²)²",
    help="a long curved valley: easy to find, slow to follow to the minimum at (1, 1)"))
add(Surface(
    "beale", lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2,
    ((3.0, 0.5),), (1.0, 1.5), (-1.0, 4.5, -2.0, 2.0),
    {"gd": 0.002, "sgd": 0.002, "momentum": 0.0005, "nesterov": 0.0005, "adam": 0.05, "adamw": 0.05,
     "adagrad": 0.5, "rmsprop": 0.01}, steps=1000, log_levels=True,
    formula="(1.5-x+xy)² + (2.25-x+xy²)² + (2.625-x+xy³)²",
    help="flat plateaus and steep walls; the minimum at (3, 0.5)"))
add(Surface(
    "saddle", lambda x, y: x ** 2 + y ** 4 / 4 - y ** 2 / 2, ((0.0, 1.0), (0.0, -1.0)), (-1.5, 1e-3),
    (-2.0, 2.0, -1.6, 1.6),
    {"gd": 0.05, "sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "adam": 0.05, "adamw": 0.05,
     "adagrad": 0.3, "rmsprop": 0.01}, steps=300, formula="x² + y⁴/4 - y²/2",
    help="a saddle point at (0, 0) between minima at (0, ±1); the start lies a hair off the ridge"))
add(Surface(
    "himmelblau", lambda x, y: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
    ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), (-0.5, -0.5),
    (-5.0, 5.0, -5.0, 5.0),
    {"gd": 0.005, "sgd": 0.005, "momentum": 0.002, "nesterov": 0.002, "adam": 0.1, "adamw": 0.1,
     "adagrad": 1.0, "rmsprop": 0.05}, steps=300, log_levels=True, formula="(x²+y-11)² + (x+y²-7)²",
    help="four minima of equal height: which one an optimizer finds depends on how it steps"))
add(Surface(
    "ravine", lambda x, y: 0.5 * x ** 2 + 10 * y ** 2, ((0.0, 0.0),), (-4.5, 1.0), (-5.0, 5.0, -2.0, 2.0),
    {"gd": 0.09, "sgd": 0.09, "momentum": 0.02, "nesterov": 0.02, "adam": 0.2, "adamw": 0.2,
     "adagrad": 1.0, "rmsprop": 0.05}, steps=150, formula="x²/2 + 10y²",
    help="a bowl 20x steeper across than along: plain descent zig-zags across, momentum overshoots along it"))

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adagrad", "rmsprop")
ESCAPE = 1.0  # a path this many window widths beyond the window's edge has diverged


@dataclass
class Path:
    """One optimizer's race: ``points`` (steps + 1, 2) from the start, ``losses`` (steps + 1,);
    ``status`` is running, finished or diverged (``reason`` says how)."""

    optimizer: str
    lr: float
    points: np.ndarray
    losses: np.ndarray
    status: str = "running"
    reason: str = ""

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def steps(self) -> int:
        return len(self.points) - 1


@dataclass
class Race:
    """Every optimizer's path on one surface, filled step by step by ``race``."""

    surface: Surface
    paths: dict[str, Path]
    steps: int
    step: int = 0
    seconds: float = 0.0

    def distance(self, name: str) -> float:
        """How far the path's last point is from the nearest minimum."""
        x, y = self.paths[name].points[-1]
        return min(math.hypot(x - mx, y - my) for mx, my in self.surface.minima)

    def reached(self, name: str, tolerance: float = 1e-2) -> int | None:
        """The first step from which the path stays within ``tolerance`` of a minimum (None: never)."""
        points = self.paths[name].points
        near = np.zeros(len(points), dtype=bool)
        for mx, my in self.surface.minima:
            near |= np.hypot(points[:, 0] - mx, points[:, 1] - my) <= tolerance
        if not near[-1]:
            return None
        away = np.flatnonzero(~near)
        return int(away[-1] + 1) if len(away) else 0

    def table(self, tolerance: float = 1e-2) -> list[dict[str, Any]]:
        """One row per optimizer: lr, final loss, distance to the nearest minimum, step reached, status."""
        return [{"optimizer": name, "lr": path.lr, "final_loss": path.final_loss, "distance": self.distance(name),
                 "reached": self.reached(name, tolerance), "status": path.status, "reason": path.reason}
                for name, path in self.paths.items()]

    def __repr__(self) -> str:
        parts = [f"{row['optimizer']} {row['final_loss']:.3g}" + (" (diverged)" if row["status"] == "diverged" else "")
                 for row in self.table()]
        return f"<Race on {self.surface.name}, {self.step} steps: {', '.join(parts)}>"


def read_lrs(text: Any, chosen: list[str]) -> dict[str, float]:
    """``0.01`` (every optimizer), ``{"adam": 0.05}`` or ``"sgd=0.001, adam=0.05"`` as a dict by optimizer."""
    if text is None:
        return {}
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return {name: _positive(text, "lr") for name in chosen}
    if isinstance(text, str) and "=" not in text:
        return {name: _positive(text, "lr") for name in chosen}
    if isinstance(text, str):
        pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise NbdlError(f"cannot read the learning rates {text!r}; write one number, or name=number pairs such as "
                            "'sgd=0.001,adam=0.05'")
        text = {key.strip(): value for key, value in pairs}
    if not isinstance(text, dict):
        raise NbdlError(f"lr must be a number or a dict of optimizer -> number, got {type(text).__name__}")
    lrs, problems = {}, []
    for key, value in text.items():
        try:
            name = optimizer_registry.canonical(key)
            if name not in chosen:
                raise NbdlError(f"a learning rate is given for {key!r}, which is not in the race ({', '.join(chosen)})")
            lrs[name] = _positive(value, f"lr of {name}")
        except NbdlError as error:
            problems.append(str(error))
    raise_all(problems, "learning rates")
    return lrs


def _positive(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NbdlError(f"{what} must be a number > 0, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise NbdlError(f"{what} must be a number > 0, got {value!r}")
    return number


def read_point(value: Any) -> Point | None:
    """``"x,y"`` or a pair of numbers as a start point."""
    if value is None:
        return None
    try:
        parts = value.split(",") if isinstance(value, str) else list(value)
        x, y = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise NbdlError(f"the start is two numbers x,y such as '-1.5,2', got {value!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise NbdlError(f"the start must be finite, got {value!r}")
    return x, y


def start_point(surface: str | Surface, start: Any) -> Point:
    """The race's start on ``surface``: ``start`` read by ``read_point``, else the surface's own; a start
    outside the surface's window (which could not be drawn on its contour) is refused."""
    surface = get(surface)
    x, y = read_point(start) or surface.start
    x_low, x_high, y_low, y_high = surface.window
    if not (x_low <= x <= x_high and y_low <= y <= y_high):
        raise NbdlError(f"the start ({x:g}, {y:g}) lies outside {surface.name}'s window, x from {x_low:g} to "
                        f"{x_high:g} and y from {y_low:g} to {y_high:g}; give a start inside it")
    return x, y


def read_optimizers(value: Any) -> list[str]:
    """``"sgd,adam"`` or a list of names, as registered names (one error for all unknown ones)."""
    if value is None:
        return list(DEFAULT_OPTIMIZERS)
    if isinstance(value, str):
        given = [v.strip() for v in value.split(",") if v.strip()]  # "sgd,,adam" and a trailing comma are fine
    elif isinstance(value, (list, tuple)):
        given = list(value)
    else:
        raise NbdlError(f"optimizers are names such as 'sgd,adam' or ['sgd', 'adam'], got {value!r}")
    chosen, problems = [], []
    for text in given:
        try:
            name = optimizer_registry.canonical(text)
        except NbdlError as error:
            problems.append(str(error))
            continue
        if name in chosen:
            problems.append(f"optimizer {name!r} is given twice")
        chosen.append(name)
    raise_all(problems, "optimizers")
    if not chosen:
        raise NbdlError("the race needs at least one optimizer, for example 'sgd,adam'")
    return chosen


STEPS = Option("steps", None, "optimizer steps", kind=INT, low=1, high=10**6, optional=True)
SECONDS = Option("seconds", 3.0, "about how long the drawn race takes, to watch the paths grow (0: as fast as it "
                 "computes)", kind=FLOAT, low=0, high=600)


def race(surface: str | Surface = "rosenbrock", optimizers: Any = None, steps: int | None = None, lr: Any = None,
         start: Any = None, on_step: Callable[[Race], None] | None = None) -> Race:
    """Race optimizers (names from nbdl's registry, default sgd, momentum, nesterov, adam, adagrad,
    rmsprop) on ``surface`` for ``steps`` from ``start``; ``lr`` is one number, a dict or
    ``"sgd=0.001,adam=0.05"`` (the rest take the surface's race rates). ``on_step(race)`` is called
    after each step of all optimizers. A path that turns NaN or goes more than a window width past
    the window is marked diverged and stops; the race goes on."""
    chosen_surface = get(surface)
    chosen = read_optimizers(optimizers)
    lrs = {name: chosen_surface.lr(name) for name in chosen} | read_lrs(lr, chosen)
    steps = STEPS.check(steps, "steps")
    steps = chosen_surface.steps if steps is None else steps
    x0, y0 = start_point(chosen_surface, start)
    x_low, x_high, y_low, y_high = chosen_surface.window
    started = time.monotonic()
    params, optimizers_made = {}, {}
    for name in chosen:
        params[name] = torch.nn.Parameter(torch.tensor([x0, y0], dtype=torch.float64))
        optimizers_made[name] = make_optimizer(name, [params[name]], lr=lrs[name])
    first = float(chosen_surface(torch.tensor(x0, dtype=torch.float64), torch.tensor(y0, dtype=torch.float64)))
    result = Race(chosen_surface, {}, steps)
    buffers = {name: np.empty((steps + 1, 3)) for name in chosen}  # x, y, loss per step
    for name in chosen:
        buffers[name][0] = (x0, y0, first)
        result.paths[name] = Path(name, lrs[name], buffers[name][:1, :2], buffers[name][:1, 2])
    margin_x, margin_y = ESCAPE * (x_high - x_low), ESCAPE * (y_high - y_low)
    for step in range(1, steps + 1):
        for name in chosen:
            path = result.paths[name]
            if path.status != "running":
                continue
            p = params[name]
            p.grad = None
            loss = chosen_surface(p[0], p[1])  # at the point before this step
            loss.backward()
            optimizers_made[name].step()
            x, y = p.detach().tolist()
            buffers[name][step - 1, 2] = loss.item()
            buffers[name][step, :2] = (x, y)
            buffers[name][step, 2] = value = float(chosen_surface(torch.tensor(x), torch.tensor(y)))
            path.points, path.losses = buffers[name][:step + 1, :2], buffers[name][:step + 1, 2]
            if not all(map(math.isfinite, (x, y, value))):
                path.status, path.reason = "diverged", f"NaN or infinite at step {step}"
            elif not (x_low - margin_x <= x <= x_high + margin_x and y_low - margin_y <= y <= y_high + margin_y):
                path.status, path.reason = "diverged", f"left the window at step {step} ({x:.3g}, {y:.3g})"
        result.step = step
        result.seconds = time.monotonic() - started
        if on_step is not None:
            on_step(result)
        if all(path.status != "running" for path in result.paths.values()):
            break
    for path in result.paths.values():
        if path.status == "running":
            path.status = "finished"
    result.seconds = time.monotonic() - started
    return result
