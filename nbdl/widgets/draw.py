"""Draw a data set with the mouse: drawdata's scatter canvas, a line counting the points of each
class, and an up-to-date ``Dataset`` of what is drawn kept in the notebook under a name
(``%nbdl draw NAME``), so ``%nbdl train NET --data NAME`` trains on the drawing as it is now."""
from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

import ipywidgets as W
import numpy as np

from ..core.data import Dataset, from_arrays
from ..core.errors import NbdlError
from ..core.tasks import CLASSIFICATION
from .static import Static, mimebundle

UNIT = 100  # canvas pixels per unit of the data: the 800 x 400 canvas spans x1 in [-4, 4], x2 in [-2, 2]


def canvas(width: int = 800, height: int = 400) -> Any:
    """drawdata's scatter canvas (an anywidget), or an error naming the extra to install."""
    try:
        from drawdata import ScatterWidget
    except ImportError:
        raise NbdlError("drawing a data set needs the drawdata package: pip install 'nbdl[draw]'") from None
    return ScatterWidget(width=width, height=height)


def points(drawn: list[dict[str, Any]], width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The drawn points as coordinates centred on the canvas, ``UNIT`` pixels a unit, X (n, 2), and
    their class labels (n,): drawdata's ``a``..``d``, one per colour."""
    X = np.array([[p["x"] - width / 2, p["y"] - height / 2] for p in drawn], dtype=np.float64).reshape(-1, 2) / UNIT
    return X.astype(np.float32), np.array([str(p["label"]) for p in drawn], dtype=str)


FEW = 300  # points below which the suggested command asks for more epochs and a larger rate


class DrawPanel(Static):
    """The canvas, a line saying what is drawn, and ``namespace[name]``: a ``Dataset`` (2-D points,
    one class per colour) from the moment points of two classes are drawn, updated at every stroke.
    Before that it holds the points as ``(X, y)``, so training on it says what is missing."""

    def __init__(self, name: str, namespace: dict[str, Any] | None = None, width: int = 800, height: int = 400):
        self.name = name
        self.namespace = namespace if namespace is not None else {}
        self.canvas = canvas(width, height)
        self.dataset: Dataset | None = None
        self.problem: str | None = None  # why the drawing is not a data set yet
        self.counts = W.HTML()
        help_line = W.HTML(f"<span style='font-size:13px'>Pick a class, then click or drag on the canvas to draw its "
                           f"points; <i>undo</i> takes back the last stroke. The canvas spans x1 from "
                           f"{-width / 2 / UNIT:g} to {width / 2 / UNIT:g} and x2 from {-height / 2 / UNIT:g} to "
                           f"{height / 2 / UNIT:g}.</span>")
        self.widget = W.VBox([help_line, self.canvas, self.counts])
        self.canvas.observe(self._drawn, names="data")
        self._drawn()

    def _drawn(self, change: dict | None = None) -> None:
        X, labels = points(self.canvas.data, self.canvas.width, self.canvas.height)
        try:
            self.dataset = from_arrays(X, labels, task=CLASSIFICATION, name=self.name)
            self.problem = None
            self.namespace[self.name] = self.dataset
        except NbdlError as error:
            self.dataset, self.problem = None, str(error)
            self.namespace[self.name] = (X, labels)  # the core's own error says what is missing
        self.counts.value = self.summary(labels)

    def summary(self, labels: np.ndarray) -> str:
        """One line: how many points of each class, and whether ``name`` is a data set to train on."""
        name = f"<code>{escape(self.name)}</code>"
        names, counts = np.unique(labels, return_counts=True)
        drawn = ", ".join(f"{c} of class {escape(n)}" for n, c in zip(names, counts))
        if self.dataset is not None:
            # A few dozen points make one small batch an epoch: the defaults would take a handful of steps.
            more = " --epochs 200 --lr 0.03" if len(labels) < FEW else ""
            return (f"{name}: {len(labels)} points ({drawn}), a data set of {self.dataset.n_classes} classes; "
                    f"train on it with <code>%nbdl train NET --data {escape(self.name)}{more}</code>")
        if len(labels) == 0:
            return f"{name}: no points yet; draw points of at least two classes"
        return f"{name}: {drawn}; draw points of another class too (pick its colour above) to make a data set"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live canvas, and where widgets cannot run what is drawn: the line of counts and, once
        it is a data set, its picture."""
        from ..plots.pictures import data_figure
        from ..plots.render import figure_png

        pictures = [figure_png(data_figure(self.dataset))] if self.dataset is not None else []
        line = unescape(re.sub(r"<[^>]+>", "", self.counts.value))
        return mimebundle(self.widget, f"nbdl drawing: {self.name}", [line], pictures)

    def close(self) -> None:
        """Unhook and close the widgets (once; again does nothing)."""
        if getattr(self, "closed", False):
            return
        self.closed = True
        self.canvas.unobserve(self._drawn, names="data")
        for widget in (*self.widget.children, self.widget):
            widget.close()
