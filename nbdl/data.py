"""Data sets by name and the user's own arrays: ``nbdl.data.load("moons")``, ``nbdl.data.from_arrays(X, y)``."""
from .core.data import (CLASSIFICATION, REGRESSION, Dataset, as_dataset, from_arrays, from_frame, load, select,
                        subsample)
from .core.datasets import NAMES
from .core.splits import Part, Splits

__all__ = ["CLASSIFICATION", "REGRESSION", "NAMES", "Dataset", "Part", "Splits", "as_dataset", "from_arrays",
           "from_frame", "load", "select", "subsample"]
