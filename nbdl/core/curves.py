"""Every activation's value and derivative over a range of x, by autograd, with the regions where the
derivative is (nearly) zero: the saturating ends of sigmoid and tanh, ReLU's zero-gradient side.

``activation_curves(slope=0.1, alpha=0.5)`` gives one ``Curve`` per registered activation. Softmax is a
vector function; it is drawn as the first output of softmax over the two scores ``[x, 0]``, which is
exactly ``sigmoid(x)``: a two-class softmax and one sigmoid output are the same model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import torch

from . import activations
from .errors import NbdlError, spell
from .options import FLOAT, INT, Option

# The numbers the curves take: leaky ReLU's slope, ELU's alpha and PReLU's starting slope are the
# registry's own declarations, so they are checked exactly as 'leaky_relu(0.1)' is in a network.
SLOPE = activations.registry.get("leaky_relu").params[0]
ALPHA = activations.registry.get("elu").params[0]
INIT = activations.registry.get("prelu").params[0]
LOW = Option("low", -6.0, "the left end of the x range", kind=FLOAT, low=-1000, high=1000)
HIGH = Option("high", 6.0, "the right end of the x range", kind=FLOAT, low=-1000, high=1000)
POINTS = Option("points", 401, "points along x", kind=INT, low=3, high=100_000)

VECTOR_NOTE = "softmax is a vector function: shown is its first output over the scores [x, 0], which equals sigmoid(x)"
BISECTIONS = 60  # halvings of a grid step: region ends are found to float precision
PEAK_GRID = np.linspace(-10.0, 10.0, 2001)  # where a derivative's peak is looked for, besides the range shown


@dataclass
class Curve:
    """One activation over ``Curves.x``: ``value`` and ``derivative`` (by autograd, float64).
    ``saturated``: the (start, end) intervals, within the range shown, where the derivative is below
    ``activations.SATURATION`` times its peak (sigmoid and tanh); ``zero_gradient``: where it is
    exactly 0 (the ReLU family's dead side)."""

    name: str
    label: str               # what is drawn: 'leaky_relu(0.1)', 'softmax([x, 0])[0]'
    value: np.ndarray
    derivative: np.ndarray
    saturated: list[tuple[float, float]] = field(default_factory=list)
    zero_gradient: list[tuple[float, float]] = field(default_factory=list)
    note: str = ""


@dataclass
class Curves:
    """The curves of several activations over one grid ``x``, and the numbers they were drawn with."""

    x: np.ndarray
    curves: list[Curve]
    slope: float
    alpha: float
    init: float

    def __getitem__(self, name: str) -> Curve:
        key = activations.registry.canonical(name)
        for curve in self.curves:
            if curve.name == key:
                return curve
        raise NbdlError(f"no curve for {name!r} here; these are drawn: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        return [curve.name for curve in self.curves]


def activation_curves(slope: float = 0.01, alpha: float = 1.0, init: float = 0.25, only: Iterable[str] | str | None = None,
                      low: float = -6.0, high: float = 6.0, points: int = 401) -> Curves:
    """Value and derivative of every activation (or those named in ``only``) at ``points`` x values
    from ``low`` to ``high``, with leaky ReLU's ``slope``, ELU's ``alpha`` and PReLU's starting slope
    ``init``; the saturating and zero-gradient regions come with each curve."""
    slope = SLOPE.check(slope, spell("slope"))
    alpha = ALPHA.check(alpha, spell("alpha"))
    init = INIT.check(init, spell("init"))
    low, high = LOW.check(low, spell("low")), HIGH.check(high, spell("high"))
    points = POINTS.check(points, spell("points"))
    if not low < high:
        raise NbdlError(f"the x range must run left to right: {spell('low')} {low:g} is not below {spell('high')} {high:g}")
    numbers = {"leaky_relu": (slope,), "elu": (alpha,), "prelu": (init,)}
    x = np.linspace(low, high, points)
    curves = [_curve(name, numbers.get(name, ()), x) for name in chosen(only)]
    return Curves(x, curves, slope, alpha, init)


def chosen(only: Iterable[str] | str | None) -> list[str]:
    """The activations to draw: every registered one in the registry's order, or the named ones
    (``"relu,tanh"`` or a list) in the order given."""
    if only is None:
        return [record.name for record in activations.registry.in_order()]
    if not isinstance(only, (str, list, tuple, set)):
        raise NbdlError(f"{spell('only')} takes activation names such as 'relu,tanh' (or a list of them), got "
                        f"{only!r}")
    words = only.split(",") if isinstance(only, str) else list(only)
    names = []
    for word in words:
        if not isinstance(word, str):
            raise NbdlError(f"{spell('only')} takes activation names such as 'relu,tanh', got {word!r}")
        if word.strip():
            name = activations.registry.canonical(word.strip())
            names += [name] if name not in names else []
    if not names:
        raise NbdlError(f"{spell('only')} names no activation; choose from: {', '.join(activations.names())}")
    return names


def _curve(name: str, numbers: tuple[float, ...], x: np.ndarray) -> Curve:
    module = activations.registry.get(name).make(*numbers).double()
    if name == "prelu":  # its slope is a parameter made in float32: set it again in float64
        with torch.no_grad():
            module.weight.fill_(numbers[0])
    vector = name == "softmax"

    def evaluate(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inputs = torch.tensor(points, dtype=torch.float64, requires_grad=True)
        if vector:  # (points, 2): the scores [x, 0]; each row's first output depends on its own x only
            out = module(torch.stack([inputs, torch.zeros_like(inputs)], dim=-1))[:, 0]
        else:
            out = module(inputs)
        (grad,) = torch.autograd.grad(out.sum(), inputs)
        return out.detach().numpy(), grad.numpy()

    value, derivative = evaluate(x)
    label = "softmax([x, 0])[0]" if vector else name + (f"({', '.join(f'{n:g}' for n in numbers)})" if numbers else "")
    curve = Curve(name, label, value, derivative, note=VECTOR_NOTE if vector else "")

    def slope_at(points: np.ndarray) -> np.ndarray:
        return evaluate(points)[1]

    if name in activations.SATURATING:
        peak = max(np.abs(derivative).max(), np.abs(slope_at(PEAK_GRID)).max())
        curve.saturated = regions(x, lambda points: np.abs(slope_at(points)) < activations.SATURATION * peak)
    # A zero slope by design (ReLU below 0, or a leaky ReLU, PReLU or ELU set to 0), not where a
    # smooth one's slope underflows far out (ELU, GELU, swish at x = -1000).
    if name == "relu" or (name in ("leaky_relu", "prelu", "elu") and numbers and numbers[0] == 0):
        curve.zero_gradient = regions(x, lambda points: (slope_at(points) == 0) & (points < 0))
    return curve


def regions(x: np.ndarray, inside: Callable[[np.ndarray], np.ndarray]) -> list[tuple[float, float]]:
    """The intervals of ``[x[0], x[-1]]`` where ``inside`` holds, each end found by bisection
    between the two grid points where ``inside`` changes (to float precision)."""
    mask = np.asarray(inside(x), dtype=bool)
    flips = np.flatnonzero(mask[1:] != mask[:-1])  # the change lies between x[i] and x[i + 1]
    ends = _bisect(x[flips], x[flips + 1], mask[flips], inside) if len(flips) else np.array([])
    edges = [float(x[0])] if mask[0] else []
    edges += [float(e) for e in ends]
    edges += [float(x[-1])] if mask[-1] else []
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]


def _bisect(left: np.ndarray, right: np.ndarray, left_inside: np.ndarray,
            inside: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    left, right = left.astype(float).copy(), right.astype(float).copy()
    for _ in range(BISECTIONS):
        middle = (left + right) / 2
        same = np.asarray(inside(middle), dtype=bool) == left_inside  # the change lies right of the middle
        left, right = np.where(same, middle, left), np.where(same, right, middle)
    return (left + right) / 2
