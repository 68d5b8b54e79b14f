"""The stacked model behind ``stacked``: the dense networks of many runs as tensors with a leading
run dimension, their forward pass, per-run losses and the optimizer steps, written with tensor ops.

All runs' weights live in one (runs, parameters) tensor ``flat`` (each run's row: its dense layers'
weight then bias, layer after layer), its gradients in ``grad`` and the optimizer's moments in
tensors of the same shape, so a step of every run is a handful of tensor ops. Each run's own
parameters are views into its row (``param.data``), so a ``Run`` holds its current weights at
every moment; ``release`` gives a run its own copy of the weights and optimizer state again.
Per-run hyperparameters are (runs, 1) tensors read from each run's optimizer at each epoch's start.
Which networks stack, and how (``layout``), and the per-sample losses are in ``stack_layout``.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .stack_layout import LOSSES, OPTIMIZERS, Layout, acts_per_sample, dense_params, dropouts, layout, predict

# The layout's names, for callers that know them as stack's (stacked, stack_trainer, tests).
__all__ = ["LOSSES", "OPTIMIZERS", "Layout", "Stack", "acts_per_sample", "dense_params", "dropouts", "layout",
           "predict"]


class Stack:
    """The runs' weights, gradients and optimizer state as (runs, parameters) tensors."""

    def __init__(self, runs: list[Any], plan: Layout, kind: str, decoupled: bool, nesterov: bool):
        self.runs, self.plan, self.kind, self.decoupled, self.nesterov = list(runs), plan, kind, decoupled, nesterov
        self.device = runs[0].device
        self.shapes = [tuple(p.shape) for p in dense_params(runs[0], plan)]
        sizes = [torch.Size(s).numel() for s in self.shapes]
        self.bounds = [(sum(sizes[:i]), sum(sizes[:i + 1])) for i in range(len(sizes))]
        names = ("exp_avg", "exp_avg_sq") if kind == "adam" else ("momentum_buffer",)
        rows = [self._row(run, names) for run in self.runs]
        self.flat = torch.stack([r[0] for r in rows])  # (runs, parameters)
        self.state = {name: torch.stack([r[1][name] for r in rows]) for name in names}
        self.steps = torch.tensor([r[2] for r in rows], dtype=torch.float64)  # Adam's step count per run
        self.dropouts = {id(run): dropouts(run) for run in self.runs}
        self.values: dict[str, list] | None = None  # the settings the per-run tensors were made from
        self._attach()

    def _row(self, run: Any, names: tuple[str, ...]) -> tuple[torch.Tensor, dict[str, torch.Tensor], float]:
        """A run's weights and optimizer state as rows (zeros where the optimizer has none yet)."""
        params = dense_params(run, self.plan)
        row = torch.cat([p.detach().reshape(-1) for p in params])
        states = [run.optimizer.state.get(p, {}) for p in params]
        state = {name: torch.cat([s[name].detach().reshape(-1) if torch.is_tensor(s.get(name))
                                  else torch.zeros(p.numel(), device=p.device) for s, p in zip(states, params)])
                 for name in names}
        step = states[0].get("step")
        return row, state, float(step) if step is not None else 0.0

    def _attach(self) -> None:
        """Point each run's parameters at its row, make the leaves the forward pass uses, and stack
        the runs' data: (runs, samples, ...) for training and validation."""
        R = len(self.runs)
        self.data = {f"{part}_{name}": torch.stack([getattr(getattr(run.data, part), name) for run in self.runs])
                     for part in ("train", "val") for name in ("X", "y")}
        self.grad = torch.zeros_like(self.flat)
        for r, run in enumerate(self.runs):
            for p, shape, (a, b) in zip(dense_params(run, self.plan), self.shapes, self.bounds):
                p.data = self.flat[r, a:b].view(shape)
        self.weights, self.biases = [], []
        for i, (_, out, inp) in enumerate(self.plan.dense):
            (wa, wb), (ba, bb) = self.bounds[2 * i], self.bounds[2 * i + 1]
            self.weights.append(self._leaf(wa, wb, (R, out, inp), transpose=True))  # (runs, in, out)
            self.biases.append(self._leaf(ba, bb, (R, 1, out), transpose=False))
        # The same gradients as the weights are laid out in ``flat``: (runs, out, in) and (runs, 1, out).
        self.grad_weights = [w.grad.transpose(1, 2) for w in self.weights]
        self.grad_biases = [b.grad for b in self.biases]

    def _leaf(self, a: int, b: int, shape: tuple[int, ...], transpose: bool) -> torch.Tensor:
        # A leaf over part of ``flat`` whose gradient accumulates into the same part of ``grad``.
        def view(t: torch.Tensor) -> torch.Tensor:
            v = t[:, a:b].view(shape)
            return v.transpose(1, 2) if transpose else v

        leaf = view(self.flat).detach().requires_grad_()
        leaf.grad = view(self.grad)
        return leaf

    @property
    def size(self) -> int:
        return len(self.runs)

    def release(self, r: int, pending: int = 0) -> None:
        """Give run ``r`` its own copy of its weights and write its optimizer state back, as the
        torch optimizer keeps it (so that a later ``run.fit`` goes on exactly); ``pending``: steps
        taken since the last ``stepped``."""
        run = self.runs[r]
        # torch's SGD keeps no buffer without momentum; Adam counts its steps in a float32 tensor.
        keeps_state = self.kind == "adam" or run.optimizer.param_groups[0]["momentum"] != 0
        for p, shape, (a, b) in zip(dense_params(run, self.plan), self.shapes, self.bounds):
            p.data = self.flat[r, a:b].view(shape).clone()
            if not keeps_state:
                continue
            state = run.optimizer.state[p]
            for name, tensor in self.state.items():
                mine = tensor[r, a:b].view(shape)
                if torch.is_tensor(state.get(name)) and state[name].shape == mine.shape:
                    state[name].copy_(mine)  # the same tensors: a prepared fused step still finds them
                else:
                    state[name] = mine.clone()
            if self.kind == "adam":
                step = state.get("step")
                if torch.is_tensor(step):
                    step.fill_(float(self.steps[r]) + pending)
                else:
                    state["step"] = torch.tensor(float(self.steps[r]) + pending, dtype=torch.float32, device=p.device)

    def keep(self, rows: list[int]) -> None:
        """Go on with these runs only (the others released first)."""
        self.runs = [self.runs[r] for r in rows]
        if not rows:
            return
        index = torch.tensor(rows, device=self.device)
        self.flat = self.flat.index_select(0, index)
        self.state = {k: v.index_select(0, index) for k, v in self.state.items()}
        self.steps = self.steps[torch.tensor(rows)]
        self.values = None  # the settings' tensors are made again for these runs
        self._attach()

    def snapshot(self) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        return self.flat.clone(), {k: v.clone() for k, v in self.state.items()}, self.steps.clone()

    def restore(self, r: int, snapshot: tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]) -> None:
        flat, state, steps = snapshot
        self.flat[r] = flat[r]
        for name, tensor in self.state.items():
            tensor[r] = state[name][r]
        self.steps[r] = steps[r]

    def finite(self) -> torch.Tensor:
        """(runs,) whether each run's optimizer state is finite: Adam's squared gradients (they overflow
        first) or SGD's momentum; a sum in float64 overflows for no float32 values."""
        watched = self.state["exp_avg_sq" if self.kind == "adam" else "momentum_buffer"]
        return torch.isfinite(watched.sum(1, dtype=torch.float64))

    # -- one epoch's settings ---------------------------------------------------------------------
    def hyperparameters(self, steps: int) -> None:
        """Read each run's settings from its optimizer, config and dropout layers for the next
        ``steps`` steps (schedules and ``run.update`` change them between epochs)."""
        groups = [run.optimizer.param_groups[0] for run in self.runs]
        values = {"lr": [g["lr"] for g in groups], "weight_decay": [g["weight_decay"] for g in groups],
                  "momentum": [g.get("momentum", 0.0) for g in groups], "eps": [g.get("eps", 0.0) for g in groups],
                  "betas": [tuple(g.get("betas", (0.0, 0.0))) for g in groups],
                  "l1": [run.config.l1 for run in self.runs], "l2": [run.config.l2 for run in self.runs],
                  "rates": [[m.p for m in self.dropouts[id(run)]] for run in self.runs]}
        if values != self.values:
            self.values = values
            self._tensors(values)
        if self.kind == "adam":
            # Each step's -lr / (1 - beta1^t) and sqrt(1 - beta2^t), (runs, 1) each, in double as torch computes them.
            b1, b2 = (torch.tensor([b[k] for b in values["betas"]], dtype=torch.float64) for k in (0, 1))
            t = self.steps + torch.arange(1, steps + 1, dtype=torch.float64).unsqueeze(1)  # (steps, runs)
            lr = torch.tensor(values["lr"], dtype=torch.float64)
            self.neg_step = (-lr / (1 - b1 ** t)).float().unsqueeze(2).to(self.device).unbind(0)
            self.correction = (1 - b2 ** t).sqrt().float().unsqueeze(2).to(self.device).unbind(0)

    def _tensors(self, values: dict[str, list]) -> None:
        def column(numbers: list[float]) -> torch.Tensor:
            return torch.tensor(numbers, dtype=torch.float32, device=self.device).unsqueeze(1)  # (runs, 1)

        lr, wd = values["lr"], values["weight_decay"]
        self.neg_lr = column([-x for x in lr])
        self.weight_decay = column(wd) if any(wd) else None
        self.momentum = column(values["momentum"]) if any(values["momentum"]) else None
        self.w1, self.w2 = column([1 - b[0] for b in values["betas"]]), column([1 - b[1] for b in values["betas"]])
        self.eps = column(values["eps"])
        self.decay = column([1 - a * b for a, b in zip(lr, wd)]) if self.decoupled and any(wd) else None
        l1, l2 = values["l1"], values["l2"]
        self.l1 = torch.tensor(l1, device=self.device) if any(l1) else None
        self.l2 = torch.tensor(l2, device=self.device) if any(l2) else None
        self.penalized = [bool(a or b) for a, b in zip(l1, l2)]
        self.rates = values["rates"]
        self.keeps = [torch.tensor([1 - r[k] for r in self.rates], device=self.device).view(-1, 1, 1)
                      for k in range(len(self.plan.widths))]

    def masks(self, batches: list[tuple[int, int]]) -> list[list[torch.Tensor | None]] | None:
        """Each batch's dropout masks, (runs, batch, width) per dropout layer, each run drawing from
        its own generator in the order it would alone (batch by batch, layer by layer)."""
        if not self.plan.widths:
            return None
        per_run = []
        for run, rates in zip(self.runs, self.rates):
            layers = self.dropouts[id(run)]
            draws = []
            for start, stop in batches:
                for module, width, p in zip(layers, self.plan.widths, rates):
                    draws.append(None if p == 0 else torch.empty((stop - start, width), device=self.device)
                                 .bernoulli_(1 - p, generator=module.generator))
            per_run.append(draws)
        found, count = [], len(self.plan.widths)
        for i, (start, stop) in enumerate(batches):
            found.append([self._mask([d[i * count + k] for d in per_run], stop - start, width)
                          for k, width in enumerate(self.plan.widths)])
        return found

    def _mask(self, draws: list[torch.Tensor | None], size: int, width: int) -> torch.Tensor | None:
        if all(d is None for d in draws):
            return None
        ones = torch.ones((size, width), device=self.device)
        return torch.stack([ones if d is None else d for d in draws])

    # -- the step -----------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, masks: list[torch.Tensor | None] | None = None,
                output: nn.Module | None = None) -> torch.Tensor:
        """(runs, batch, features) -> (runs, batch, outputs): every run's network at once; dropout
        where ``masks`` are given (training), ``output`` after the last block where given."""
        h = x
        for kind, what in self.plan.steps:
            if kind == "dense":
                h = torch.baddbmm(self.biases[what], h, self.weights[what])
            elif kind == "act":
                h = what(h)
            elif masks is not None and masks[what] is not None:
                h = h * masks[what] / self.keeps[what]  # as randomness.Dropout does
        return h if output is None else output(h)

    def penalty(self) -> torch.Tensor | None:
        """(runs,) ``l1 * sum|w| + l2 * sum w^2`` over each run's weight matrices, as ``Run.penalty``."""
        terms = []
        for w in self.weights:
            if self.l1 is not None:
                terms.append(self.l1 * w.abs().sum((1, 2)))
            if self.l2 is not None:
                terms.append(self.l2 * w.pow(2).sum((1, 2)))
        return torch.stack(terms).sum(0) if terms else None

    @torch.no_grad()
    def update(self, i: int) -> None:
        """The optimizer step of every run, the ``i``-th of this epoch (torch's formulas, as its fused
        CPU kernels compute them)."""
        p, g = self.flat, self.grad
        if self.kind == "sgd":
            if self.weight_decay is not None:
                g = g + p * self.weight_decay
            if self.momentum is not None:
                buffer = self.state["momentum_buffer"]
                buffer.mul_(self.momentum).add_(g)  # zeros at first: buffer = grad, as torch starts it
                g = g + buffer * self.momentum if self.nesterov else buffer
            p.add_(g * self.neg_lr)
            return
        m, v = self.state["exp_avg"], self.state["exp_avg_sq"]
        if self.weight_decay is not None:
            if self.decoupled:
                p.mul_(self.decay)
            else:
                g = g + p * self.weight_decay
        m.lerp_(g, self.w1)
        v.lerp_(g * g, self.w2)  # beta2 * v + (1 - beta2) * g^2
        p.addcdiv_(m * self.neg_step[i], v.sqrt().div_(self.correction[i]).add_(self.eps))

    def stepped(self, steps: int) -> None:
        self.steps += steps
