"""Weight initialization schemes by name: default, xavier, kaiming, normal(std), zeros; each but
default takes ``bias=``. They fill the weights of linear, convolution, recurrent (every gate's
matrices) and embedding layers."""
from __future__ import annotations

import torch
from torch import nn

from .options import Option
from .registry import Entry, Registry

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d)


BIAS = Option("bias", 0.0, "the value every bias starts at (a negative one can kill ReLU units from the start)",
              low=-1e6, high=1e6)


def _scheme(fill_weight, *weight_options: Option):
    """Turn a function that fills one weight tensor (with the numbers ``weight_options`` declare)
    into the factory of a scheme that initializes a whole model, every bias set to ``bias``."""
    defaults = [opt.default for opt in (*weight_options, BIAS)]

    def make(*numbers):
        *weight_numbers, bias = [*numbers, *defaults[len(numbers):]]

        def apply(model: nn.Module) -> None:
            with torch.no_grad():
                for module in model.modules():
                    if isinstance(module, _WEIGHTED):
                        fill_weight(module.weight, *weight_numbers)
                        if module.bias is not None:
                            module.bias.fill_(bias)
                    elif isinstance(module, nn.RNNBase):  # each gate's matrices, input and recurrent
                        for name, param in module.named_parameters(recurse=False):
                            if name.startswith("weight"):
                                fill_weight(param, *weight_numbers)
                            elif name.startswith("bias"):
                                param.fill_(bias)
                    elif isinstance(module, nn.Embedding):
                        fill_weight(module.weight, *weight_numbers)

        return apply

    return make


STD = Option("std", 0.01, "the standard deviation of the weights", low=0, low_open=True)
registry: Registry[Entry] = Registry("initialization")
for entry, aliases in (
    (Entry("default", lambda: (lambda model: None), help="PyTorch's own per-layer defaults"), ()),
    (Entry("xavier", _scheme(nn.init.xavier_uniform_), (BIAS,),
           help="Glorot and Bengio (2010): keeps the signal's variance for tanh and sigmoid"), ("glorot",)),
    (Entry("kaiming", _scheme(lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")), (BIAS,),
           help="He et al. (2015): keeps the signal's variance through ReLU layers"), ("he",)),
    (Entry("normal", _scheme(lambda w, std: nn.init.normal_(w, 0.0, std), STD), (STD, BIAS),
           help="weights drawn from N(0, std^2)"), ()),
    # Every unit of a layer starts the same and so stays the same: the symmetry problem.
    (Entry("zeros", _scheme(nn.init.zeros_), (BIAS,), help="all weights 0: every unit stays the same"), ("zero",)),
):
    registry.add(entry.name, entry, aliases)


def initialize(model: nn.Module, scheme: str = "default") -> None:
    """Re-initialize every linear and convolution layer of ``model`` in place."""
    registry.make(scheme)(model)
