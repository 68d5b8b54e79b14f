"""Matplotlib pictures of runs, data and networks, built without pyplot (no global figures)."""
from .live import LivePlot
from .render import figure_png
from .training import TrainingFigure

__all__ = ["LivePlot", "TrainingFigure", "figure_png"]
