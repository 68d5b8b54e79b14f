"""The PyTorch training core: network specs, registries, data, the trainer and its events.

Pure Python, torch and numpy: nothing here imports IPython, ipywidgets or matplotlib.
"""
from . import activations, augment, datasets, layers, losses, optimizers
from .callbacks import Callback, EarlyStopping
from .checkpoint import Checkpoint
from .config import SETTINGS, Config, Setting
from .control import Control
from .data import Dataset, from_arrays, from_frame
from .datasets import DataSet, as_dataset, load
from .errors import NbdlError
from .layers import Activation, BatchNorm, Dense, Dropout, Flatten, Input, Layer
from .network import Network, NetworkSpec, as_spec, build
from .options import Option, option
from .registry import Entry, Registry
from .resume import load as load_run
from .splits import Splits
from .trainer import DivergenceWarning, Run, train

__all__ = [
    "Activation", "BatchNorm", "Callback", "Checkpoint", "Config", "Control", "DataSet", "Dataset", "Dense",
    "DivergenceWarning", "Dropout", "EarlyStopping", "Entry", "Flatten", "Input", "Layer", "NbdlError", "Network",
    "NetworkSpec", "Option", "Registry", "Run", "SETTINGS", "Setting", "Splits", "activations", "as_dataset", "as_spec",
    "augment", "build", "datasets", "from_arrays", "from_frame", "layers", "load", "load_run", "losses", "option",
    "optimizers", "train",
]
