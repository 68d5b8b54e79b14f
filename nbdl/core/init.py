"""Weight initialization schemes by name: default, xavier, kaiming, normal(std), zeros."""
from __future__ import annotations

import torch
from torch import nn

from .options import Option
from .registry import Entry, Registry

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d)


def _scheme(fill_weight):
    """Turn a function that fills one weight tensor into one that initializes a whole model."""

    def apply(model: nn.Module) -> None:
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, _WEIGHTED):
                    fill_weight(module.weight)
                    if module.bias is not None:
                        module.bias.zero_()

    return apply


registry: Registry[Entry] = Registry("initialization")
for entry, aliases in (
    (Entry("default", lambda: (lambda model: None), help="PyTorch's own per-layer defaults"), ()),
    (Entry("xavier", lambda: _scheme(nn.init.xavier_uniform_),
           help="Glorot and Bengio (2010): keeps the signal's variance for tanh and sigmoid"), ("glorot",)),
    (Entry("kaiming", lambda: _scheme(lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")),
           help="He et al. (2015): keeps the signal's variance through ReLU layers"), ("he",)),
    (Entry("normal", lambda std=0.01: _scheme(lambda w: nn.init.normal_(w, 0.0, std)),
           (Option("std", 0.01, "the standard deviation of the weights", low=0, low_open=True),),
           help="weights drawn from N(0, std^2)"), ()),
    # Every unit of a layer starts the same and so stays the same: the symmetry problem.
    (Entry("zeros", lambda: _scheme(nn.init.zeros_), help="all weights 0: every unit stays the same"), ("zero",)),
):
    registry.add(entry.name, entry, aliases)


def initialize(model: nn.Module, scheme: str = "default") -> None:
    """Re-initialize every linear and convolution layer of ``model`` in place."""
    registry.make(scheme)(model)
