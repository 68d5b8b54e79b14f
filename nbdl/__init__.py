"""nbdl: a Jupyter-native deep-learning lab on PyTorch.

    import nbdl
    net = nbdl.build("input 2\\ndense 16 relu\\ndense 2 softmax")
    run = nbdl.train(net, data="moons", epochs=50, lr=0.01)
    run.evaluate("test")
"""
from . import data
from .core import (Activation, BatchNorm, Callback, Config, Dataset, Dense, Dropout, EarlyStopping, Flatten,
                   Input, NbdlError, Network, NetworkSpec, Run, build, train)
from .core.checkpoint import Checkpoint
from .core.checkpoint import load
from .core.data import load as load_data
from .core.transfer import freeze, unfreeze, with_new_head

__version__ = "0.1.0"

__all__ = [
    "Activation", "BatchNorm", "Callback", "Checkpoint", "Config", "Dataset", "Dense", "Dropout", "EarlyStopping", "Flatten",
    "Input", "NbdlError", "Network", "NetworkSpec", "Run", "build", "data", "freeze", "load", "load_data", "train", "unfreeze",
    "with_new_head",
]


def load_ipython_extension(ipython) -> None:
    """``%load_ext nbdl``: register the ``%nbdl`` and ``%%nbdl`` magics."""
    from .magics import load

    load(ipython)
