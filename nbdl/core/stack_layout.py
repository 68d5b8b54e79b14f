"""What a stack of runs is made of: an nbdl network's blocks as steps over stacked tensors (``layout``),
each run's dense parameters in the stack's order, and the per-sample losses and optimizers a stack
can run (the registry's names, laid out run after run).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from . import randomness


def _cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # (runs, batch, classes) and (runs, batch) -> (runs * batch,)
    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1), reduction="none")


def _bce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out[..., 0], y.to(out.dtype), reduction="none")


def _each(fn):
    return lambda out, y: fn(out, y, reduction="none").mean(2)  # a sample's mean over its outputs


# Each sample's loss, run after run (``.view(runs, batch)`` lays them out), by the loss registry's
# names: a run's mean loss over a batch is its samples' sum over the batch size.
LOSSES = {"cross_entropy": _cross_entropy, "bce": _bce, "mse": _each(F.mse_loss), "mae": _each(F.l1_loss),
          "huber": _each(F.huber_loss)}
OPTIMIZERS = {torch.optim.SGD: "sgd", torch.optim.Adam: "adam", torch.optim.AdamW: "adam"}


def predict(loss_name: str, out: torch.Tensor) -> torch.Tensor:
    """(runs, batch) class labels, as ``Loss.predict`` gives them for one run."""
    return (out[..., 0] > 0).long() if loss_name == "bce" else out.argmax(dim=-1)


@dataclass
class Layout:
    """An nbdl network's blocks as steps over stacked tensors: ``("dense", i)``, ``("act", module)``
    or ``("dropout", k)``; ``dense`` holds each dense layer's (block index, out, in) and ``widths``
    each dropout's width."""

    steps: list[tuple[str, Any]] = field(default_factory=list)
    dense: list[tuple[int, int, int]] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)  # what must match for runs to stack


_PER_SAMPLE: dict[tuple[type, str, int], bool] = {}  # what acts_per_sample found, by module type, repr and width


def acts_per_sample(module: nn.Module, width: int) -> bool:
    """Whether a parameter-free module treats every sample alone (an elementwise activation, a
    softmax over the last dimension), so it can take (runs, batch, width) at once."""
    if any(True for _ in module.parameters()) or any(True for _ in module.buffers()):
        return False
    key = (type(module), repr(module), width)
    if key not in _PER_SAMPLE:
        _PER_SAMPLE[key] = _tried(module, width)
    return _PER_SAMPLE[key]


def _tried(module: nn.Module, width: int) -> bool:
    x = torch.randn(3, 4, width, generator=torch.Generator().manual_seed(0))
    try:
        with torch.no_grad():
            whole, alone = module(x), torch.stack([module(part) for part in x])
    except Exception:  # noqa: BLE001 - a registered activation that cannot take these shapes
        return False
    return torch.is_tensor(whole) and whole.shape == x.shape and torch.allclose(whole, alone, atol=1e-6)


def layout(model: nn.Module, width: int) -> Layout | str:
    """The steps of ``model`` (an nbdl ``Network`` on flat samples of ``width`` features), or what
    in it cannot be stacked."""
    found = Layout()
    for index, block in enumerate(model.layers):
        parts = dict(block.named_children()) if type(block) is nn.Sequential else {}
        if parts and set(parts) <= {"linear", "activation"} and type(parts.get("linear")) is nn.Linear:
            linear = parts["linear"]
            if linear.bias is None:
                return f"its block {index + 1} is a dense layer without a bias"
            found.steps.append(("dense", len(found.dense)))
            found.dense.append((index, linear.out_features, linear.in_features))
            found.signature.append(f"dense {linear.in_features}->{linear.out_features}")
            width = linear.out_features
            block = parts.get("activation")
            if block is None:
                continue
        if type(block) is randomness.Dropout:
            found.steps.append(("dropout", len(found.widths)))
            found.widths.append(width)
            found.signature.append("dropout")
        elif acts_per_sample(block, width):
            found.steps.append(("act", block))
            found.signature.append(repr(block))
        else:
            return (f"its layer {type(block).__name__} is not a dense layer, an elementwise activation or dropout "
                    "(convolutions, recurrent layers, batch norm and layers with weights of their own train one run "
                    "at a time)")
    if not acts_per_sample(model.output, width):
        return f"its output {type(model.output).__name__} does not act on each sample alone"
    found.signature.append(repr(model.output))
    return found


def dense_params(run: Any, plan: Layout) -> list[torch.Tensor]:
    """A run's dense weights and biases in the stack's order: W1, b1, W2, b2, ..."""
    found = []
    for index, _, _ in plan.dense:
        linear = run.model.layers[index].linear
        found += [linear.weight, linear.bias]
    return found


def dropouts(run: Any) -> list[nn.Module]:
    return [m for m in run.model.layers.modules() if type(m) is randomness.Dropout]
