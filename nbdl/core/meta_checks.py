"""What a meta-learning run checks before it trains: the network against the task family (sizes,
layers torch.func can adapt, an output the loss uses) and numbers a user gives (shots, points)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from . import activations
from .errors import NbdlError
from .meta_tasks import CLASSIFICATION, Family
from .network import Network


def check_sizes(spec, family: Family) -> None:
    """The network must take the family's inputs and give its outputs; one error names both."""
    want_in, want_out = family.input_size, family.output_size
    shape = tuple(spec.input_shape or (want_in,))
    gives = tuple(spec.shapes(shape)[-1])  # a layer that cannot take its input raises its own error
    if shape == (want_in,) and gives == (want_out,):
        return
    raise NbdlError(f"the network takes {'x'.join(map(str, shape))} inputs and gives {'x'.join(map(str, gives))} "
                    f"outputs, but {family.name} tasks have {want_in} input{'s' * (want_in > 1)} and {want_out} "
                    f"output{'s' * (want_out > 1)}{' (the ways)' if family.kind == CLASSIFICATION else ''}; make the "
                    f"first line 'input {want_in}' and the last 'dense {want_out}'")


# Layers that torch.func cannot run per task: adapting to many tasks at once under vmap and grad
# allows neither random draws nor in-place updates of a layer's running statistics.
UNADAPTABLE = {"dropout": "draws random masks", "batchnorm": "updates running statistics",
               "vae": "draws random samples"}


def check_layers(spec, model: Network, family: Family, settings: dict[str, Any]) -> None:
    """Refuse what meta-learning cannot run, with the fix, before any torch error deep in training."""
    for layer in spec.layers:
        if layer.type in UNADAPTABLE:
            where = f"line {layer.line}: " if layer.line else ""
            raise NbdlError(f"{where}'{layer.to_text()}' {UNADAPTABLE[layer.type]}, which meta-learning cannot do: "
                            "every method adapts copies of the weights to many tasks at once (torch.func); "
                            f"remove the {layer.type} line")
    last = spec.layers[-1]
    head = getattr(last, "activation", None)
    head = activations.registry.canonical(head) if isinstance(head, str) else None
    if family.kind != CLASSIFICATION and head in activations.OUTPUT_ACTIVATIONS:
        raise NbdlError(f"'{last.to_text()}': {family.name} tasks are regression and meta-learning uses the outputs "
                        f"before an output {head}, so it would be ignored; make the last line "
                        f"'dense {family.output_size}'")
    if not any(True for _ in model.parameters()):
        raise NbdlError(f"the network has no weights to learn; add a layer such as 'dense {family.output_size}'")
    family.check(settings["shots"], settings["queries"])


def numbers(values: Any, what: str) -> np.ndarray:
    """``values`` (numbers, a list, an array or a tensor) as finite float32, or an error naming them."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        raise NbdlError(f"{what} must be numbers (a list, an array or a tensor); got {type(values).__name__} "
                        f"{str(values)[:40]!r}") from None
    if not np.isfinite(array).all():
        raise NbdlError(f"{what} holds NaN or infinite values; give finite numbers")
    return array
