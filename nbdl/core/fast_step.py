"""Optimizer steps without torch.optim's per-call Python work, for the common single-group case.

``torch.optim.Adam(fused=True).step()`` spends ~100 us per call on CPU grouping tensors, checking
flags and profiling before it calls one fused kernel; on a small network that is a quarter of a
training step. ``FastStep`` calls the same kernel with the same arguments on tensor lists it
prepared once, reading the hyperparameters from the optimizer's param group at every step (so
schedules and live changes apply) and keeping its state in ``optimizer.state`` (so checkpoints
and ``state_dict`` see it). The parity tests check it against ``torch.optim``, step for step.
Anything unusual (several groups, a frozen parameter, a changed momentum, a missing kernel)
falls back to ``optimizer.step()``."""
from __future__ import annotations

from typing import Callable

import torch

from .errors import NbdlError


class FastStep:
    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self._kernel: Callable[[list], None] | None = None
        self._params: list[torch.Tensor] = []
        # The param group and one state tensor the kernel was prepared with; load_state_dict (a restore,
        # a checkpoint) replaces both, and then the kernel is prepared again.
        self._check: tuple[dict, str, torch.Tensor | None] = ({}, "", None)

    def __call__(self) -> None:
        kernel, params, optimizer = self._kernel, self._params, self.optimizer
        if kernel is not None:
            group, key, tensor = self._check
            grads = [p.grad for p in params]
            if (optimizer.param_groups[0] is group and optimizer.state[params[0]].get(key) is tensor
                    and not any(g is None for g in grads) and kernel(grads)):
                return
        self._check_state()  # the fused kernels write where the state says, unchecked
        self.optimizer.step()
        self._prepare()

    def _check_state(self) -> None:
        """Refuse optimizer state that does not fit its weights (loaded from elsewhere) before a kernel
        writes out of bounds; a single number (a step count) is the one state without the weight's shape."""
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                for name, value in self.optimizer.state.get(p, {}).items():
                    if torch.is_tensor(value) and value.dim() and value.shape != p.shape:
                        raise NbdlError(f"the optimizer's {name!r} has shape {tuple(value.shape)} but its weight has "
                                        f"{tuple(p.shape)}; it was loaded from a state that does not fit this network")

    def _prepare(self) -> None:
        """Set up the direct kernel call after a regular step has made the optimizer's state."""
        self._kernel = None
        optimizer = self.optimizer
        if len(optimizer.param_groups) != 1:
            return
        group = optimizer.param_groups[0]
        params = [p for p in group["params"] if p.grad is not None]
        if not group.get("fused") or len(params) != len(group["params"]) or not params:
            return
        states = [optimizer.state[p] for p in params]
        key = ""
        if isinstance(optimizer, torch.optim.Adam) and hasattr(torch, "_fused_adam_"):
            self._kernel = _adam(group, params, states, isinstance(optimizer, torch.optim.AdamW))
            key = "exp_avg"
        elif isinstance(optimizer, torch.optim.SGD) and hasattr(torch, "_fused_sgd_"):
            self._kernel = _sgd(group, params, states)
            key = "momentum_buffer"
        if self._kernel is not None:
            self._params = params
            self._check = (group, key, states[0].get(key))


def _adam(group: dict, params: list, states: list[dict], adamw: bool):
    if group["amsgrad"] or group.get("capturable") or group.get("differentiable"):
        return None
    decoupled = group.get("decoupled_weight_decay", adamw)
    fused = torch._fused_adamw_ if decoupled else torch._fused_adam_
    exp_avgs = [s["exp_avg"] for s in states]
    exp_avg_sqs = [s["exp_avg_sq"] for s in states]
    steps = [s["step"] for s in states]

    def kernel(grads: list) -> bool:
        beta1, beta2 = group["betas"]
        torch._foreach_add_(steps, 1)
        fused(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"], beta1=beta1,
              beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
              grad_scale=None, found_inf=None)
        return True

    return kernel


def _sgd(group: dict, params: list, states: list[dict]):
    with_momentum = group["momentum"] != 0
    buffers = [s.get("momentum_buffer") for s in states] if with_momentum else []
    if with_momentum and any(b is None for b in buffers):
        return None

    def kernel(grads: list) -> bool:
        if (group["momentum"] != 0) != with_momentum:  # momentum switched on or off: torch.optim's own path
            return False
        torch._fused_sgd_(params, grads, buffers, weight_decay=group["weight_decay"], momentum=group["momentum"],
                          lr=group["lr"], dampening=group["dampening"], nesterov=group["nesterov"],
                          maximize=group["maximize"], is_first_step=False, grad_scale=None, found_inf=None)
        return True

    return kernel
