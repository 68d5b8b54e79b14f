"""Activation functions by name: ``get("relu")``, ``get("leaky_relu(0.1)")``, ``get("prelu")``."""
from __future__ import annotations

from torch import nn

from .registry import Registry

# Output activations that the loss folds in: the network returns probabilities, and training
# computes the loss from the values before them (no double softmax).
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid")

registry = Registry(
    "activation",
    {
        "linear": lambda: nn.Identity(),
        "sigmoid": lambda: nn.Sigmoid(),
        "tanh": lambda: nn.Tanh(),
        "relu": lambda: nn.ReLU(),
        "leaky_relu": lambda slope=0.01: nn.LeakyReLU(float(slope)),
        "prelu": lambda init=0.25: nn.PReLU(init=float(init)),
        "elu": lambda alpha=1.0: nn.ELU(float(alpha)),
        "gelu": lambda: nn.GELU(),
        "swish": lambda: nn.SiLU(),
        "softmax": lambda: nn.Softmax(dim=-1),
    },
    aliases={"silu": "swish", "identity": "linear", "none": "linear", "leakyrelu": "leaky_relu"},
)


def get(spec: str | nn.Module) -> nn.Module:
    """The module for an activation name such as ``"elu(0.5)"``; a module is returned as it is."""
    return registry.get(spec)


def names() -> list[str]:
    return registry.names()
