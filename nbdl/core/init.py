"""Weight initialization schemes by name: default, xavier, kaiming, normal(std), zeros."""
from __future__ import annotations

import torch
from torch import nn

from .errors import NbdlError
from .registry import Registry

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


def _normal(std: float = 0.01):
    if std <= 0:
        raise NbdlError(f"normal init needs std > 0, got {std}")
    return _scheme(lambda w: nn.init.normal_(w, 0.0, std))


registry = Registry(
    "initialization",
    {
        "default": lambda: (lambda model: None),  # PyTorch's own per-layer defaults
        "xavier": lambda: _scheme(nn.init.xavier_uniform_),
        "kaiming": lambda: _scheme(lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")),
        "normal": _normal,
        # Every unit of a layer starts the same and so stays the same: the symmetry problem.
        "zeros": lambda: _scheme(nn.init.zeros_),
    },
    aliases={"glorot": "xavier", "he": "kaiming", "zero": "zeros"},
)


def initialize(model: nn.Module, scheme: str = "default") -> None:
    """Re-initialize every linear and convolution layer of ``model`` in place."""
    registry.get(scheme)(model)
