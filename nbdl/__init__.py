"""nbdl: a Jupyter-native deep-learning lab on PyTorch.

    import nbdl
    net = nbdl.build("input 2\\ndense 16 relu\\ndense 2 softmax")
    run = nbdl.train(net, data="moons", epochs=50, lr=0.01)
    run.evaluate("test")
"""
from . import data
from .core import (Activation, BatchNorm, Callback, Checkpoint, Config, Dataset, Dense, DivergenceWarning, Dropout,
                   EarlyStopping, Flatten, Input, Layer, NbdlError, Network, NetworkSpec, Option, Run, build, option,
                   train)
from .core import autoencode
from .core.adversarial import AttackResult, attack
from .core.backprop import gradient_check
from .core.compare import Comparison, compare
from .core.curves import activation_curves
from .core.depth import inspect
from .core.extending import register_layer, register_optimizer
from .core.gan import GanRun, gan
from .core.landscape import Trajectory, interpolate
from .core.many import grid
from .core.meta import MetaRun, meta
from .core.optimizers import OptimizerKind
from .core.resume import load
from .core.gridworld import GridWorld
from .core.rl import RlRun, rl
from .core.search import search
from .core.search_result import SearchResult
from .core.surfaces import race
from .core.datasets import load as load_data
from .core.transfer import freeze, unfreeze, with_new_head

__version__ = "0.1.0"

__all__ = [
    "Activation", "BatchNorm", "Callback", "Checkpoint", "Config", "Dataset", "Dense", "DivergenceWarning", "Dropout",
    "EarlyStopping", "Flatten", "Input", "Layer", "NbdlError", "Network", "NetworkSpec", "Option", "OptimizerKind",
    "Run", "build", "data", "freeze", "load", "load_data", "option", "register_layer", "register_optimizer", "train",
    "unfreeze", "with_new_head",
    "activation_curves", "gradient_check", "inspect",
    "Comparison", "SearchResult", "Trajectory", "compare", "grid", "interpolate", "race", "search",
    "AttackResult", "GanRun", "attack", "autoencode", "gan",
    "GridWorld", "MetaRun", "RlRun", "meta", "rl",
]


def load_ipython_extension(ipython) -> None:
    """``%load_ext nbdl``: register the ``%nbdl`` and ``%%nbdl`` magics."""
    from .magics import load

    load(ipython)
