"""ipywidgets panels: controls bound to one experiment config and views that follow the run."""
from .buttons import BUTTONS, STATES
from .dashboard import Dashboard

__all__ = ["BUTTONS", "STATES", "Dashboard"]
