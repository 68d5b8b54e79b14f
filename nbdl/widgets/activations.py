"""The activation explorer: sliders for leaky ReLU's slope, ELU's alpha and PReLU's starting slope
over the picture of every activation and its derivative, redrawn when a slider is let go."""
from __future__ import annotations

from html import escape
from typing import Any, Iterable

import ipywidgets as W

from ..core.curves import ALPHA, INIT, SLOPE, activation_curves, chosen
from ..core.options import Option
from ..plots.activations import activation_figure
from ..plots.render import figure_png, shown_width
from .static import Static, mimebundle

ALPHA_SLIDER_TOP = 3.0  # ELU's alpha has no upper bound; the slider reaches this far (or the starting value)
SLIDERS = (  # (the declared option, the activation it shapes, the slider's label, its step)
    (SLOPE, "leaky_relu", "leaky slope", 0.01),
    (ALPHA, "elu", "ELU alpha", 0.05),
    (INIT, "prelu", "PReLU init", 0.01),
)


class ActivationExplorer(Static):
    """``ActivationExplorer(slope=0.1)``; show ``explorer.widget``. ``image`` holds the picture (PNG),
    ``sliders`` maps ``slope``/``alpha``/``init`` to its slider (only those whose activation is shown);
    ``close()`` unhooks the sliders and closes every widget."""

    def __init__(self, slope: float = 0.01, alpha: float = 1.0, init: float = 0.25,
                 only: Iterable[str] | str | None = None):
        self.only = chosen(only)
        self.curves = activation_curves(slope=slope, alpha=alpha, init=init, only=self.only)  # checks the numbers
        start = {"slope": self.curves.slope, "alpha": self.curves.alpha, "init": self.curves.init}
        self.sliders: dict[str, W.FloatSlider] = {}
        for opt, activation, label, step in SLIDERS:
            if activation in self.only:
                self.sliders[opt.name] = _slider(opt, start[opt.name], label, step)
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self._show()
        self.message = W.HTML()
        for slider in self.sliders.values():
            slider.observe(self._changed, names="value")
        controls = [W.HBox(list(self.sliders.values()))] if self.sliders else []
        self.widget = W.VBox([*controls, self.message, self.image])

    def values(self) -> dict[str, float]:
        """The numbers the picture is drawn with: the sliders', else the starting ones."""
        found = {"slope": self.curves.slope, "alpha": self.curves.alpha, "init": self.curves.init}
        found.update({name: slider.value for name, slider in self.sliders.items()})
        return found

    def redraw(self) -> None:
        try:
            self.curves = activation_curves(**self.values(), only=self.only)
            self._show()
            self.message.value = ""
        except ValueError as error:  # NbdlError: shown in the panel, the picture stays as it was
            self.message.value = f"<span style='color:#b00020'>{escape(str(error))}</span>"

    def _show(self) -> None:
        png = figure_png(activation_figure(self.curves))
        self.image.width = str(shown_width(png))  # a 2x PNG, shown at its intended size
        self.image.value = png

    def _changed(self, change: dict) -> None:
        self.redraw()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live explorer, and where widgets cannot run its current picture and numbers."""
        numbers = " · ".join(f"{opt.name} {self.values()[opt.name]:g}" for opt, activation, _, _ in SLIDERS
                             if activation in self.only)
        lines = [f"activations: {', '.join(self.only)}"] + ([numbers] if numbers else [])
        return mimebundle(self.widget, "nbdl activation explorer", lines, [bytes(self.image.value)])

    def close(self) -> None:
        for slider in self.sliders.values():
            slider.unobserve(self._changed, names="value")
        for part in (*self.sliders.values(), self.image, self.message, *self.widget.children, self.widget):
            part.close()


def _slider(opt: Option, value: float, label: str, step: float) -> W.FloatSlider:
    # A slider over a wide allowed range (ELU's alpha may be up to 100) would be too coarse to use:
    # it spans ALPHA_SLIDER_TOP, or the starting value when that is larger.
    top = opt.high if opt.high is not None and opt.high <= ALPHA_SLIDER_TOP else max(ALPHA_SLIDER_TOP, value)
    return W.FloatSlider(value=value, min=opt.low or 0.0, max=top, step=step, description=label,
                         continuous_update=False, readout_format=".2f", style={"description_width": "90px"},
                         layout=W.Layout(width="260px"))
