"""What a trained run answers: figures on a split, predictions for new samples."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .errors import NbdlError
from .tasks import CLASSIFICATION

EVAL_CHUNK = 4096  # samples per forward pass when evaluating without autograd


class Figures(dict):
    """Figures on a split, with what each one measures and in which units (``figures.units``)."""

    def __init__(self, values: dict[str, float], units: dict[str, str]):
        super().__init__(values)
        self.units = units

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {v:.6g} ({self.units.get(k, '')})" for k, v in self.items()) + "}"


class Results:
    """Methods of ``Run`` that read the trained model (``self.model``, ``self.data``, ``self.loss``)."""

    def outputs(self, X: torch.Tensor) -> torch.Tensor:
        """The network's outputs before an output softmax or sigmoid (logits), for all of ``X``
        (standardized samples on the device), in chunks, in eval mode, without autograd. Between two
        steps of a fit in another thread: the steps never run in eval mode."""
        with self.lock:
            was_training = self.model.training
            self.model.eval()
            try:
                with torch.inference_mode():
                    if len(X) == 0:
                        return self.logits(X)
                    return torch.cat([self.logits(X[i:i + EVAL_CHUNK]) for i in range(0, len(X), EVAL_CHUNK)])
            finally:
                self.model.train(was_training)

    def evaluate(self, split: str = "test") -> Figures:
        """``loss`` and ``accuracy`` (classes), or ``loss`` on the standardized targets with ``mse``
        and ``mae`` in the target's own units (regression); ``.units`` says which is which."""
        part = self.data.part(split)
        logits = self.outputs(part.X)
        loss_units = f"{self.loss.name}, the training loss"
        if self.dataset.task == CLASSIFICATION:
            correct = self.loss.correct(logits, part.y).item() / part.y.numel()
            return Figures({"loss": self.loss(logits, part.y).item(), "accuracy": correct},
                           {"loss": loss_units, "accuracy": "share of correct predictions"})
        error = self.data.untransform_target(logits) - self.data.untransform_target(part.y)
        scaled = " on standardized targets" if self.data.y_std is not None else ""
        return Figures({"loss": self.loss(logits, part.y).item(), "mse": float(np.mean(error ** 2)),
                        "mae": float(np.mean(np.abs(error)))},
                       {"loss": loss_units + scaled, "mse": "squared target units", "mae": "target units"})

    def samples(self, X: Any) -> torch.Tensor:
        """New raw samples, checked (shape, values, token codes) and standardized like the training data."""
        from .building import check_tokens

        X = self.data.transform(X)
        check_tokens(self.model, X, trained=True)
        return X

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, classes) for raw samples, standardized like the training data."""
        if self.dataset.task != CLASSIFICATION:
            raise NbdlError("predict_proba is for classification; this run does regression, use predict")
        return self.loss.probabilities(self.outputs(self.samples(X))).cpu().numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (n,) or regression values (n, outputs) in the target's units."""
        logits = self.outputs(self.samples(X))
        if self.dataset.task == CLASSIFICATION:
            return self.loss.predict(logits).cpu().numpy()
        return self.data.untransform_target(logits)

    def interpret(self, split: str = "test", count: int = 16):
        """A classifier's confusion matrix, per-class accuracy and most confidently wrong examples
        on ``split`` (``nbdl.core.interpret``); shows itself in a notebook."""
        from .interpret import interpret

        return interpret(self, split, count)

    def attributions(self, split: str = "test", indices: Any = None, method: str = "saliency", target: Any = None):
        """Saliency or integrated gradients of an image classifier's samples (``nbdl.core.interpret``)."""
        from .interpret import attributions

        return attributions(self, split, indices, method, target)
