"""ipywidgets panels: controls bound to one experiment config and views that follow the run."""
from .dashboard import BUTTONS, STATES, Dashboard

__all__ = ["BUTTONS", "STATES", "Dashboard"]
