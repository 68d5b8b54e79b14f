"""Data sets by name and the user's own arrays: ``nbdl.data.load("moons")``, ``nbdl.data.from_arrays(X, y)``.

``nbdl.data.register(nbdl.data.DataSet(...))`` adds a data set of your own."""
from .core.data import Dataset, from_arrays, from_frame, select, subsample
from .core.datasets import DataSet, as_dataset, load, names, registry
from .core.extending import register_data_set as register
from .core.splits import Part, Splits
from .core.tasks import CLASSIFICATION, REGRESSION

__all__ = ["CLASSIFICATION", "REGRESSION", "DataSet", "Dataset", "Part", "Splits", "as_dataset", "from_arrays",
           "from_frame", "load", "names", "register", "registry", "select", "subsample"]
