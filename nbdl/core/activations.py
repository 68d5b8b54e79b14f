"""Activation functions by name: ``make("relu")``, ``make("leaky_relu(0.1)")``, ``make("prelu")``."""
from __future__ import annotations

from torch import nn

from .options import Option
from .registry import Entry, Registry

# Output activations that the loss folds in: the network returns probabilities, and training
# computes the loss from the values before them (no double softmax).
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid")

# A unit is saturated where its activation's slope is below this share of the slope's peak
# (sigmoid: outside about (0.013, 0.987); tanh: |output| above about 0.975). The instruments,
# the coach and the activation explorer all use this one threshold.
SATURATION = 0.05
# The activations that saturate at both ends, and the ReLU family, whose units can die (an output
# never above 0 on any sample).
SATURATING = ("sigmoid", "tanh")
RELU_FAMILY = ("relu", "leaky_relu", "prelu", "elu", "gelu", "swish")

registry: Registry[Entry] = Registry("activation")
for entry, aliases in (
    (Entry("linear", lambda: nn.Identity(), help="no activation: the identity"), ("identity", "none")),
    (Entry("sigmoid", lambda: nn.Sigmoid(), help="1 / (1 + e^-x), between 0 and 1; saturates at both ends"), ()),
    (Entry("tanh", lambda: nn.Tanh(), help="between -1 and 1, centred at 0; saturates at both ends"), ()),
    (Entry("relu", lambda: nn.ReLU(), help="max(0, x): cheap, no saturation for x > 0, units can die"), ()),
    (Entry("leaky_relu", lambda slope=0.01: nn.LeakyReLU(slope),
           (Option("slope", 0.01, "the slope for x < 0", low=0, high=1),),
           help="x for x > 0, slope * x below: keeps a small gradient"), ("leakyrelu",)),
    (Entry("prelu", lambda init=0.25: nn.PReLU(init=init),
           (Option("init", 0.25, "the starting slope for x < 0 (learned)", low=0, high=1),),
           help="leaky ReLU whose slope is learned"), ()),
    (Entry("elu", lambda alpha=1.0: nn.ELU(alpha), (Option("alpha", 1.0, "the size of the negative saturation: it tends to -alpha for x -> -inf", low=0,
                   high=100),),
           help="x for x > 0, alpha * (e^x - 1) below: smooth, negative outputs"), ()),
    (Entry("gelu", lambda: nn.GELU(), help="x * P(X <= x): a smooth ReLU, used by transformers"), ()),
    (Entry("swish", lambda: nn.SiLU(), help="x * sigmoid(x) (also called SiLU)"), ("silu",)),
    (Entry("softmax", lambda: nn.Softmax(dim=-1), help="probabilities over the last dimension (an output layer)"), ()),
):
    registry.add(entry.name, entry, aliases)


def make(spec: str | nn.Module) -> nn.Module:
    """The module for an activation such as ``"elu(0.5)"``; a module is returned as it is."""
    return registry.make(spec)


def names() -> list[str]:
    return registry.names()


def is_linear(spec: str) -> bool:
    return registry.canonical(spec) == "linear"
