"""ipywidgets panels: controls bound to one experiment config and views that follow the run."""
from .dashboard import Dashboard

__all__ = ["Dashboard"]
