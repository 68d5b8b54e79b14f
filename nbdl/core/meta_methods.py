"""Meta-learning methods: each turns a batch of tasks into gradients on the network's weights, which
the run's optimizer then applies; the training loop knows nothing of which method it runs.

- ``maml`` (Finn et al. 2017): adapt a functional copy of the weights with ``inner_steps`` SGD steps of
  ``inner_lr`` on each task's shots, score the adapted weights on its query points, and differentiate
  that score through the inner steps (second order; ``first_order`` drops the second derivatives).
  The tasks of a batch run at once under ``torch.func.vmap``; the inner gradients come from
  ``torch.func.grad``.
- ``reptile`` (Nichol et al. 2018): take ``inner_steps`` SGD steps on each task's points, then move the
  weights toward the mean of the adapted weights (the "gradient" is weights - adapted; the outer SGD's
  ``lr`` is Reptile's step size).
- ``pretrain``: joint training on all the batch's points (the baseline of Finn et al.)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, vmap

from .meta_tasks import Task
from .registry import Registry

Params = dict[str, torch.Tensor]
LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": F.mse_loss, "cross_entropy": F.cross_entropy}


@dataclass(frozen=True)
class Batch:
    """Tasks stacked: support x (tasks, shots, inputs), y (tasks, shots[, 1]); query alike."""

    x_support: torch.Tensor
    y_support: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor

    @classmethod
    def of(cls, tasks: Sequence[Task]) -> "Batch":
        return cls(*(torch.stack([getattr(t, name) for t in tasks])
                     for name in ("x_support", "y_support", "x_query", "y_query")))


def parameters(layers: nn.Module) -> Params:
    """The weights of a network's blocks (``network.layers``: its logits, without an output softmax)."""
    return dict(layers.named_parameters())


def task_loss(layers: nn.Module, loss: str) -> Callable[[Params, torch.Tensor, torch.Tensor], torch.Tensor]:
    """``f(params, x, y)``: the loss of the network's logits under ``params`` on one task's points."""
    measure = LOSSES[loss]

    def f(params: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return measure(functional_call(layers, params, (x,)), y)
    return f


def adapted(f: Callable, params: Params, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float,
            first_order: bool = False) -> Params:
    """``params`` after ``steps`` plain SGD steps of ``lr`` on ``f(params, x, y)``; differentiable
    through the steps unless ``first_order`` (then each step's gradient is a constant)."""
    for _ in range(steps):
        grads = grad(f)(params, x, y)
        params = {name: p - lr * (grads[name].detach() if first_order else grads[name]) for name, p in params.items()}
    return params


def maml_loss(layers: nn.Module, batch: Batch, loss: str, inner_steps: int, inner_lr: float,
              first_order: bool = False) -> torch.Tensor:
    """MAML's meta-loss: the mean over the batch's tasks of the query loss after adapting on the shots."""
    f = task_loss(layers, loss)

    def one(params, xs, ys, xq, yq):
        return f(adapted(f, params, xs, ys, inner_steps, inner_lr, first_order), xq, yq)
    return vmap(one, in_dims=(None, 0, 0, 0, 0))(parameters(layers), batch.x_support, batch.y_support,
                                                  batch.x_query, batch.y_query).mean()


def _maml(layers: nn.Module, batch: Batch, settings: dict[str, Any]) -> float:
    meta = maml_loss(layers, batch, settings["loss"], settings["inner_steps"], settings["inner_lr"],
                     settings["first_order"])
    meta.backward()
    return float(meta.detach())


def _everything(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """All of a batch's points, support and query, per task: x (tasks, points, inputs), y alike."""
    return torch.cat([batch.x_support, batch.x_query], 1), torch.cat([batch.y_support, batch.y_query], 1)


def _reptile(layers: nn.Module, batch: Batch, settings: dict[str, Any]) -> float:
    f = task_loss(layers, settings["loss"])
    x, y = _everything(batch)
    params = {name: p.detach() for name, p in parameters(layers).items()}
    steps, lr = settings["inner_steps"], settings["inner_lr"]
    moved = vmap(lambda xt, yt: adapted(f, params, xt, yt, steps, lr, first_order=True))(x, y)
    for name, p in layers.named_parameters():
        p.grad = p.detach() - moved[name].mean(0)  # the outer SGD step of lr moves toward the mean
    with torch.no_grad():
        return float(vmap(f, in_dims=(0, 0, 0))(moved, x, y).mean())  # the tasks' loss after adapting


def _pretrain(layers: nn.Module, batch: Batch, settings: dict[str, Any]) -> float:
    x, y = _everything(batch)
    joint = LOSSES[settings["loss"]](layers(x.flatten(0, 1)), y.flatten(0, 1))
    joint.backward()
    return float(joint.detach())


@dataclass(frozen=True)
class Method:
    """``gradients(layers, batch, settings) -> loss`` leaves the gradients in the weights' ``.grad``;
    the run steps ``optimizer`` with them. ``defaults`` fill the settings the user leaves at None.
    ``measures``: what the loss it returns (the history's ``loss``) is, in a few words."""

    name: str
    gradients: Callable[[nn.Module, Batch, dict[str, Any]], float]
    optimizer: str
    defaults: dict[str, Any]
    description: str
    measures: str


methods: Registry[Method] = Registry("meta-learning method")
methods.add("maml", Method("maml", _maml, "adam", {"lr": 1e-3, "inner_steps": 1},
                           "MAML (Finn et al. 2017): differentiate the query loss through the inner SGD steps",
                           "query loss after the inner steps"))
methods.add("reptile", Method("reptile", _reptile, "sgd", {"lr": 0.1, "inner_steps": 10},
                              "Reptile (Nichol et al. 2018): move the weights toward each task's adapted weights",
                              "loss during the inner steps"))
methods.add("pretrain", Method("pretrain", _pretrain, "adam", {"lr": 1e-3, "inner_steps": 1},
                               "joint training on all tasks' points: the baseline of Finn et al.",
                               "loss of one network on all tasks"))
