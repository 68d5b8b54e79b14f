"""The stacked networks' gradients written out by hand, for the common layers and losses.

On networks this small a step's time goes to per-operation overhead, and autograd's bookkeeping
is a third of it. For dense layers, the registered activations below, dropout and the built-in
losses, ``step`` computes every run's loss and writes every run's gradient into ``Stack.grad``
with the backward kernels autograd itself calls (the losses' gradients by their formulas), about
1.5x quicker. ``supports`` says when it applies; otherwise ``stacked`` goes through autograd.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

aten = torch.ops.aten

# d(activation)/d(input) times the incoming gradient ``g``, from the activation's input ``z`` and
# output ``h``: the formulas autograd uses for these modules.
DERIVATIVES: dict[type, Callable[[torch.Tensor, torch.Tensor, torch.Tensor, nn.Module], torch.Tensor]] = {
    nn.Identity: lambda g, z, h, m: g,
    nn.ReLU: lambda g, z, h, m: aten.threshold_backward(g, h, 0),
    nn.Tanh: lambda g, z, h, m: aten.tanh_backward(g, h),
    nn.Sigmoid: lambda g, z, h, m: aten.sigmoid_backward(g, h),
    nn.LeakyReLU: lambda g, z, h, m: aten.leaky_relu_backward(g, z, m.negative_slope, False),
    nn.ELU: lambda g, z, h, m: aten.elu_backward(g, m.alpha, 1, 1, False, z),
    nn.GELU: lambda g, z, h, m: aten.gelu_backward(g, z, approximate=m.approximate),
    nn.SiLU: lambda g, z, h, m: aten.silu_backward(g, z),
}


def _cross_entropy(out: torch.Tensor, y: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    logp = torch.log_softmax(out, -1)  # (runs, batch, classes)
    target = y.unsqueeze(-1)
    grad = logp.exp()
    grad.scatter_add_(-1, target, torch.full_like(target, -1, dtype=grad.dtype))  # softmax - one hot
    return logp.gather(-1, target).neg_(), grad.div_(size)


def _bce(out: torch.Tensor, y: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    z, target = out[..., 0], y.to(out.dtype)
    loss = F.binary_cross_entropy_with_logits(z, target, reduction="none")
    return loss, (torch.sigmoid(z) - target).div_(size).unsqueeze(-1)


def _regression(error: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]):
    def loss(out: torch.Tensor, y: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        each, slope = error(out - y)
        return each.mean(2), slope.div_(size * out.shape[-1])  # a sample's mean over its outputs
    return loss


# Each sample's loss (as ``stack.LOSSES``) and d(sum over runs of each run's mean loss)/d(outputs).
LOSSES = {
    "cross_entropy": _cross_entropy,
    "bce": _bce,
    "mse": _regression(lambda d: (d * d, d * 2)),
    "mae": _regression(lambda d: (d.abs(), d.sign())),
    "huber": _regression(lambda d: (F.huber_loss(d, torch.zeros_like(d), reduction="none"), d.clamp(-1, 1))),
}


def supports(plan: Any, loss_name: str, output: nn.Module | None) -> bool:
    """Whether every layer and the loss have their gradient written out here."""
    modules = [what for kind, what in plan.steps if kind == "act"] + ([output] if output is not None else [])
    return loss_name in LOSSES and all(type(m) in DERIVATIVES and not getattr(m, "inplace", False) for m in modules)


@torch.no_grad()
def step(stack: Any, x: torch.Tensor, y: torch.Tensor, masks: list | None, output: nn.Module | None,
         loss_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Every run's forward pass and gradient on one batch: each sample's loss and the outputs, with
    ``stack.grad`` holding the gradient of the sum over runs of each run's mean loss and penalty."""
    saved = []
    h = x
    for kind, what in stack.plan.steps:
        if kind == "dense":
            saved.append((kind, what, h))
            h = torch.baddbmm(stack.biases[what], h, stack.weights[what])
        elif kind == "act":
            z, h = h, what(h)
            saved.append((kind, what, z, h))
        elif masks is not None and masks[what] is not None:
            saved.append((kind, what, masks[what]))
            h = h * masks[what] / stack.keeps[what]
    if output is not None:
        z, h = h, output(h)
        saved.append(("act", output, z, h))
    loss, g = LOSSES[loss_name](h, y, x.shape[1])
    first = saved[0][0] == "dense" and saved[0][1] == 0  # the first dense layer's input needs no gradient
    for entry in reversed(saved):
        kind, what = entry[0], entry[1]
        if kind == "dense":
            stack.grad_weights[what].copy_(torch.bmm(g.transpose(1, 2), entry[2]))  # (runs, out, in)
            torch.sum(g, 1, keepdim=True, out=stack.grad_biases[what])
            if entry is saved[0] and first:
                break
            g = torch.bmm(g, stack.weights[what].transpose(1, 2))
        elif kind == "act":
            g = DERIVATIVES[type(what)](g, entry[2], entry[3], what)
        else:
            g = g * entry[2] / stack.keeps[what]
    for w, gw in zip(stack.weights, stack.grad_weights):  # the penalty's: l1 * sign(w) + 2 * l2 * w
        if stack.l1 is not None:
            gw.add_((w.sgn() * stack.l1.view(-1, 1, 1)).transpose(1, 2))
        if stack.l2 is not None:
            gw.add_((w * (2 * stack.l2).view(-1, 1, 1)).transpose(1, 2))
    return loss, h
