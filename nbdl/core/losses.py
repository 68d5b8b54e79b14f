"""Losses by name, chosen from the data when not named, and how each turns outputs into predictions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .errors import NbdlError, spell
from .registry import Registry
from .tasks import AUTOENCODE, CLASSIFICATION, REGRESSION


@dataclass(frozen=True)
class Loss:
    """A loss on the network's logits, the task it serves, and how logits become probabilities."""

    name: str
    task: str
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    help: str = ""

    def __call__(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if logits.dim() == 3 and self.name == "cross_entropy":  # (batch, steps, classes): every step counts
            return self.fn(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
        return self.fn(logits, target)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """(batch, classes) class probabilities, or (batch, steps, classes) for predictions at every step."""
        if self.name == "bce":
            p = torch.sigmoid(logits)
            return torch.cat([1 - p, p], dim=1)
        return torch.softmax(logits, dim=-1)

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """(batch,) or (batch, steps) predicted class labels."""
        return (logits[:, 0] > 0).long() if self.name == "bce" else logits.argmax(dim=-1)

    def correct(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """How many predictions in the batch are right, as a tensor (no host sync)."""
        return (self.predict(logits) == target).sum()


def _bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits[:, 0], target.to(logits.dtype))


registry: Registry[Loss] = Registry("loss")
for loss, aliases in (
    (Loss("cross_entropy", CLASSIFICATION, F.cross_entropy, "softmax cross-entropy on the class scores"), ("ce",)),
    (Loss("bce", CLASSIFICATION, _bce, "binary cross-entropy of one sigmoid output (two classes)"), ()),
    (Loss("mse", REGRESSION, F.mse_loss, "mean squared error"), ()),
    (Loss("mae", REGRESSION, F.l1_loss, "mean absolute error"), ("l1_loss",)),
    (Loss("huber", REGRESSION, F.huber_loss, "squared error for small errors, absolute for large ones"), ()),
):
    registry.add(loss.name, loss, aliases)


def choose(name: str | None, task: str, output_width: int, target_width: int,
           per_step: tuple[bool, bool] = (False, False)) -> Loss:
    """The named loss, or the one that fits the data; checks the network's output width, and that
    the network predicts at every step exactly when the data has a target for every step. An
    autoencoder takes the regression losses (its output's shape is checked in ``autoencode``)."""
    if task == AUTOENCODE:
        loss = registry.get(name or "mse")
        if loss.task != REGRESSION:
            raise NbdlError(f"{spell('loss')} {loss.name!r} is for classes; an autoencoder reproduces its inputs: "
                            f"choose one of: {', '.join(r.name for r in registry.records() if r.task == REGRESSION)}")
        return loss
    network_steps, data_steps = per_step
    if network_steps != data_steps:
        raise NbdlError(
            "the network predicts at every step of the sequence but the data has one target per sample; predict "
            "from the last step (a recurrent layer without 'sequences' before the dense layers)" if network_steps else
            "the data has a target for every step of each sample (y has a column per step) but the network predicts "
            "one value per sample; for sequences, end the recurrent layers with 'sequences' so the dense layers see "
            "every step; for one label a sample, give y one value per sample"
        )
    if name is not None:
        loss = registry.get(name)
        name = loss.name
        if loss.task != task:
            raise NbdlError(f"{spell('loss')} {name!r} is for {loss.task} but the data is {task}; "
                            f"choose one of: {', '.join(r.name for r in registry.records() if r.task == task)}")
    if task == CLASSIFICATION:
        if output_width == target_width and (name is None or name == "cross_entropy"):
            return registry.get("cross_entropy")
        if output_width == 1 and target_width == 2 and name in (None, "bce"):
            return registry.get("bce")
        if name == "bce":
            raise NbdlError(f"{spell('loss')} 'bce' takes one sigmoid output for two classes; the network has "
                            f"{output_width} output unit(s) and the data {target_width} classes: end the network "
                            "with 'dense 1 sigmoid'" + ("" if target_width == 2 else ", or use cross_entropy with "
                                                        f"'dense {target_width} softmax'"))
        if name == "cross_entropy" and output_width == target_width == 1:
            raise NbdlError("cross_entropy takes one output per class; end the network with 'dense 2 softmax'")
        raise NbdlError(
            f"the network's output has {output_width} unit(s) but the data has {target_width} classes; "
            f"end the network with 'dense {target_width} softmax'"
            + (" (or 'dense 1 sigmoid' for two classes)" if target_width == 2 else "")
        )
    if output_width != target_width:
        raise NbdlError(
            f"the network's output has {output_width} unit(s) but the data has {target_width} target column(s); "
            f"end the network with 'dense {target_width}'"
        )
    return registry.get(name or "mse")
