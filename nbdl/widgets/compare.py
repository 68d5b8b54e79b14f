"""The comparison picture with its x-axis switch under it: epoch, optimizer step, samples seen or
seconds; choosing one redraws the picture."""
from __future__ import annotations

from html import escape
from typing import Any, Mapping

import ipywidgets as W

from ..plots.compare import AXES, ComparisonFigure, check_x, classification
from ..plots.render import shown_width
from .static import Static, mimebundle

SHORT = {"epoch": "epoch", "step": "optimizer step", "samples": "samples seen", "time": "time"}
CHOICES = tuple((SHORT[x], x) for x in AXES)  # (button label, axis): one button per axis the picture knows


class ComparisonPanel(Static):
    """``ComparisonPanel(runs, x="step")``; show ``panel.widget``. ``image`` holds the picture (PNG),
    ``switch`` the x-axis choice; ``close()`` unhooks the switch and closes every widget."""

    def __init__(self, runs: Mapping[str, Any], x: str = "epoch"):
        self.runs = runs
        self.picture = ComparisonFigure(list(runs), classification(runs), check_x(x))
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.switch = W.ToggleButtons(options=CHOICES, value=x, description="x-axis",
                                      style={"button_width": "auto", "description_width": "auto"},
                                      tooltips=[f"x by {label}" for label, _ in CHOICES])
        self.message = W.HTML()
        self.png = b""
        self.redraw(x)
        self.switch.observe(self._changed, names="value")
        self.widget = W.VBox([self.image, self.switch, self.message])

    def _changed(self, change) -> None:
        self.redraw(change["new"])

    def redraw(self, x: str) -> None:
        """Draw the picture by ``x`` (sharp, at its size); a failure is said under it."""
        try:
            self.picture.update(self.runs, x)
            self.png = self.picture.png(final=True)
            self.image.value, self.image.width = self.png, str(shown_width(self.png))
            self.message.value = ""
        except Exception as error:  # noqa: BLE001 - said in the panel; the picture stays as it was
            self.message.value = f"<span style='color:#b00020'>{escape(f'{type(error).__name__}: {error}')}</span>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live panel, and where widgets cannot run its picture and the runs it compares."""
        lines = [f"runs: {', '.join(self.runs)}", f"x-axis: {SHORT[self.switch.value]}"]
        return mimebundle(self.widget, "nbdl comparison", lines, [self.png] if self.png else [])

    def close(self) -> None:
        self.switch.unobserve(self._changed, names="value")
        for part in (self.image, self.switch, self.message, self.widget):
            part.close()
