"""Changes made to each training batch before its step, plugged in as registry records.

A record says for which configs it applies and makes, for one run, a function ``(xb, yb) -> (xb,
yb)`` that the trainer calls on every training batch after augmentation (inside the step's lock;
gradients it leaves on the weights are cleared before the step's own backward pass). Denoising
autoencoders (noisy inputs, clean targets) and adversarial training (perturbed inputs) plug in
here, so the trainer has no branch for either. Validation and test data are never changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from .registry import Registry

Change = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True)
class BatchChange:
    """``applies(config)``: whether a run of this config changes its batches this way;
    ``make(run)``: the change for that run (it may keep a generator of its own, seeded from the run)."""

    name: str
    applies: Callable[[Any], bool]
    make: Callable[[Any], Change]
    help: str = ""


registry: Registry[BatchChange] = Registry("batch change")


def add(change: BatchChange, replace: bool = False) -> BatchChange:
    return registry.add(change.name, change, (), replace)


def for_run(run: Any) -> list[Change]:
    """The changes every training batch of ``run`` goes through, in the order they were added."""
    return [record.make(run) for record in registry.records() if record.applies(run.config)]
