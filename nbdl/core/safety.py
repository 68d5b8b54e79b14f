"""Nothing lost on a fault: the last good weights kept aside, and put back when the loss blows up."""
from __future__ import annotations

import copy
import math
from typing import Any

import torch

# How often (in steps) the weights and optimizer state are copied aside. A copy of a small
# network costs a few tens of microseconds, so this is well under 1% of the training time.
SNAPSHOT_EVERY = 50


class GoodState:
    """A copy of the model and optimizer state from a step whose loss was finite."""

    def __init__(self) -> None:
        self.step = -1
        self.model: dict[str, torch.Tensor] | None = None
        self.optimizer: dict[str, Any] | None = None

    def due(self, step: int) -> bool:
        return self.model is None or step - self.step >= SNAPSHOT_EVERY

    def take(self, run: Any) -> None:
        self.step = run.global_step
        self.model = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
        self.optimizer = copy.deepcopy(run.optimizer.state_dict())

    def restore(self, run: Any) -> None:
        run.model.load_state_dict(self.model)
        run.optimizer.load_state_dict(self.optimizer)
        run.global_step = self.step


def divergence_message(value: float, run: Any, good_step: int) -> str:
    kind = "NaN" if math.isnan(value) else "infinite"
    lr = run.optimizer.param_groups[0]["lr"]
    hints = [f"a lower learning rate (lr={lr:g} now, try {lr / 10:g})"]
    if not run.config.standardize:
        hints.append("standardized inputs (standardize=True)")
    if run.config.l1 or run.config.l2:
        hints.append("smaller l1/l2")
    if run.config.optimizer != "adam":
        hints.append("an adaptive optimizer such as optimizer='adam'")
    return (f"the loss became {kind} at epoch {run.epoch + 1}, step {run.global_step + 1}; training stopped and the "
            f"weights and optimizer state went back to step {good_step}, the last good state. Try "
            + ", or ".join(hints))
