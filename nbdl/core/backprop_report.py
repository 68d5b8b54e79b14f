"""What ``gradient_check`` returns: one row per layer (forward values, local derivatives, gradient
norms three ways and their largest differences), shown as an HTML table or as text."""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np

AUTOGRAD_TOLERANCE = 1e-10  # hand vs autograd in float64: the same sums in another order, ~1e-16 apart
FINITE_TOLERANCE = 1e-6     # vs central differences with h = 1e-6: rounding ~1e-10, truncation ~1e-12

# Each column of the table and what it says, written once: the table's header tooltips, the notes
# under it and GradientCheck's docstring read this.
COLUMNS = (
    ("layer", "the layer's text form"),
    ("W, b", "the shapes of the weight (units x inputs) and the bias"),
    ("z = Wx + b", "the layer's pre-activations on the batch: mean [min, max]; an activation line's input"),
    ("a = f(z)", "what the layer passes on: mean [min, max]; for an output folded into the loss, the probabilities"),
    ("f'(z)", "the local derivative of the activation at each z: mean [min, max] and the share of exact zeros "
              "(ReLU units that pass no gradient back); none where the output is folded into the loss"),
    ("|delta|", "the norm of delta = dL/dz = dL/da * f'(z), what reaches this layer's weights"),
    ("by hand", "the gradient norms |dW| and |db| from the chain rule in numpy: dW = delta^T a_prev (+ the "
                "penalty's l1 sign(W) + 2 l2 W), db = delta summed over the batch"),
    ("autograd", "|dW| and |db| from torch.autograd on the same batch and loss, in float64"),
    ("finite differences", "|dW| and |db| from central differences (L(w + h) - L(w - h)) / 2h, over the "
                           "entries checked"),
    ("hand vs autograd", "the largest absolute difference, over every entry of dW and db"),
    ("hand vs finite", "the largest absolute difference over the entries checked by finite differences"),
    ("autograd vs finite", "the largest absolute difference over the entries checked by finite differences"),
)


@dataclass
class Summary:
    """Mean, range and the share of exact zeros of an array."""

    mean: float
    low: float
    high: float
    zeros: float

    @classmethod
    def of(cls, values: np.ndarray) -> "Summary":
        return cls(float(values.mean()), float(values.min()), float(values.max()), float((values == 0).mean()))

    def parts(self) -> list[str]:
        zeros = [f"{self.zeros:.0%} zero"] if self.zeros else []
        return [f"{self.mean:.3g}", f"[{self.low:.3g}, {self.high:.3g}]", *zeros]

    def __str__(self) -> str:
        return " ".join(self.parts())


@dataclass
class LayerCheck:
    """One layer's row (see ``COLUMNS``); gradient fields are None for a layer without parameters.
    ``hand``, ``autograd`` and ``finite`` are the norms (|dW|, |db|)."""

    layer: str
    shapes: tuple[tuple[int, ...], ...]
    z: Summary
    a: Summary
    local: Summary | None
    delta_norm: float
    hand: tuple[float, ...] | None
    autograd: tuple[float, ...] | None
    finite: tuple[float, ...] | None
    hand_vs_autograd: float | None
    hand_vs_finite: float | None
    autograd_vs_finite: float | None
    checked: int        # parameter entries checked by finite differences
    parameters: int
    note: str = ""

    def cells(self) -> list[list[str]]:
        """The row's cells, each as lines: joined by spaces in text, by line breaks in HTML."""
        fd = _norms(self.finite) + ([f"({self.checked:,} of {self.parameters:,})"]
                                    if self.parameters and self.checked < self.parameters else [])
        return [[self.layer], [" x ".join(map(str, s)) for s in self.shapes] or ["-"], self.z.parts(), self.a.parts(),
                self.note.replace(": ", ":\n").split("\n") if self.local is None else self.local.parts(), [f"{self.delta_norm:.4g}"],
                _norms(self.hand), _norms(self.autograd), fd, [_gap(self.hand_vs_autograd)],
                [_gap(self.hand_vs_finite)], [_gap(self.autograd_vs_finite)]]


@dataclass
class GradientCheck:
    """Backprop by hand against autograd and finite differences, layer by layer. ``rows`` holds a
    ``LayerCheck`` per layer; ``hand``, ``autograd`` and ``finite`` the gradients themselves (weight,
    bias, ... in the network's parameter order; finite is NaN where not checked); ``value`` the loss
    (with the penalty) by hand and ``autograd_value`` by torch; ``forward_difference`` how far the
    hand-written forward pass is from the network's. The columns:
    """

    rows: list[LayerCheck]
    loss: str
    samples: int
    value: float
    autograd_value: float
    l1: float
    l2: float
    forward_difference: float
    hand: list[np.ndarray]
    autograd: list[np.ndarray]
    finite: list[np.ndarray]

    @property
    def largest_difference(self) -> float:
        """The largest |hand - autograd| over every gradient entry."""
        return _largest(r.hand_vs_autograd for r in self.rows)

    @property
    def largest_finite_difference(self) -> float:
        """The largest |hand - finite differences| over the entries checked."""
        return _largest(r.hand_vs_finite for r in self.rows)

    @property
    def checked(self) -> int:
        return sum(r.checked for r in self.rows)

    @property
    def parameters(self) -> int:
        return sum(r.parameters for r in self.rows)

    @property
    def scale(self) -> float:
        """The size of the gradients: the largest |autograd| entry, at least 1. The tolerances are
        relative to it, since float64 rounds a gradient of 1e6 to about 1e-10 of itself."""
        found = [float(np.nanmax(np.abs(g))) for g in self.autograd if np.size(g) and np.isfinite(g).any()]
        return max([1.0, *found])

    @property
    def passed(self) -> bool:
        """Hand and autograd agree to float64 rounding and finite differences to their own accuracy,
        both relative to the gradients' size (``scale``)."""
        return (self.largest_difference <= AUTOGRAD_TOLERANCE * self.scale
                and self.largest_finite_difference <= FINITE_TOLERANCE * self.scale)

    def headline(self) -> str:
        terms = ", ".join(f"{name} {value:g}" for name, value in (("l1", self.l1), ("l2", self.l2)) if value)
        penalty = f" + penalty ({terms})" if terms else ""
        which = "every one" if self.checked == self.parameters else f"{self.checked:,} drawn"
        verdict = "they agree" if self.passed else "THEY DISAGREE: a derivative is wrong"
        if self.scale > 1:
            verdict += f" (gradients up to {self.scale:.1e}: the differences are read relative to that)"
        return (f"largest difference hand vs autograd: {self.largest_difference:.1e}; hand vs finite differences: "
                f"{self.largest_finite_difference:.1e} ({which} of {self.parameters:,} parameters) - {verdict}. "
                f"Loss {self.loss}{penalty} on {self.samples} training samples: {self.value:.6g}")

    def __str__(self) -> str:
        header = [name for name, _ in COLUMNS]
        table = [header, *([_text(cell, i) for i, cell in enumerate(row.cells())] for row in self.rows)]
        widths = [max(len(line[i]) for line in table) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
        return "\n".join([self.headline(), "", *lines])

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's plain-text display: the whole table
        printer.text(str(self))

    def __repr__(self) -> str:
        return f"<GradientCheck {self.loss}, {len(self.rows)} layers: {self.headline()}>"

    def _repr_html_(self) -> str:
        head = "".join(f"<th title='{escape(help, quote=True)}' style='text-align:left;padding:2px 6px'>{escape(name)}</th>"
                       for name, help in COLUMNS)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left;vertical-align:top;white-space:nowrap;padding:2px 6px'>"
                                        f"{'<br>'.join(escape(line) for line in cell)}</td>" for cell in row.cells())
                       + "</tr>" for row in self.rows)
        notes = "".join(f"<li><b>{escape(name)}</b>: {escape(help)}</li>" for name, help in COLUMNS)
        color = "#1b7f3b" if self.passed else "#b00020"
        return (f"<div class='nbdl-backprop' style='font-size:13px'><p style='color:{color}'>"
                f"<b>{escape(self.headline())}</b></p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                f"</table><details><summary>what the columns say</summary><ul>{notes}</ul></details></div>")


GradientCheck.__doc__ += "".join(f"\n    - {name}: {help}" for name, help in COLUMNS)


def _norms(values: tuple[float, ...] | None) -> list[str]:
    return ["-"] if values is None else [f"{v:.4g}" for v in values]


def _text(cell: list[str], column: int) -> str:
    """A cell's lines on one line: shapes and norms as lists, a summary as 'mean [min, max], 15% zero'."""
    if column in (1, 6, 7, 8):
        return ", ".join(cell)
    return " ".join(cell[:2]) + "".join(f", {part}" for part in cell[2:])


def _gap(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def _largest(values) -> float:
    found = [v for v in values if v is not None and not math.isnan(v)]  # NaN: no entry was checked
    return max(found, default=0.0)
