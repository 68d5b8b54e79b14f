"""The PyTorch training core: network specs, registries, data, the trainer and its events.

Pure Python, torch and numpy: nothing here imports IPython, ipywidgets or matplotlib.
"""
from . import activations, optimizers
from .callbacks import Callback, EarlyStopping
from .config import Config
from .control import Control
from .data import Dataset, as_dataset, from_arrays, from_frame, load
from .errors import NbdlError
from .layers import Activation, BatchNorm, Dense, Dropout, Flatten, Input, Layer
from .network import Network, NetworkSpec, as_spec, build
from .splits import Splits
from .trainer import Run, train

__all__ = [
    "Activation", "BatchNorm", "Callback", "Config", "Control", "Dataset", "Dense", "Dropout", "EarlyStopping",
    "Flatten", "Input", "Layer", "NbdlError", "Network", "NetworkSpec", "Run", "Splits", "activations",
    "as_dataset", "as_spec", "build", "from_arrays", "from_frame", "load", "optimizers", "train",
]
