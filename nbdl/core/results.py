"""What a trained run answers: figures on a split, predictions for new samples."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .data import CLASSIFICATION
from .errors import NbdlError

EVAL_CHUNK = 4096  # samples per forward pass when evaluating without autograd


class Results:
    """Methods of ``Run`` that read the trained model (``self.model``, ``self.data``, ``self.loss``)."""

    def _outputs(self, X: torch.Tensor) -> torch.Tensor:
        """Logits for all of X, in chunks, in eval mode, without autograd."""
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                return torch.cat([self.logits(X[i:i + EVAL_CHUNK]) for i in range(0, len(X), EVAL_CHUNK)])
        finally:
            self.model.train(was_training)

    def evaluate(self, split: str = "test") -> dict[str, float]:
        """``loss`` and ``accuracy`` (classes) or ``mse`` and ``mae`` in the target's units (regression)."""
        return self._figures(self.data.part(split))

    def _figures(self, part) -> dict[str, float]:
        logits = self._outputs(part.X)
        figures = {"loss": self.loss(logits, part.y).item()}
        if self.dataset.task == CLASSIFICATION:
            figures["accuracy"] = self.loss.correct(logits, part.y).item() / part.y.numel()
        else:
            error = self.data.untransform_target(logits) - self.data.untransform_target(part.y)
            figures["mse"], figures["mae"] = float(np.mean(error ** 2)), float(np.mean(np.abs(error)))
        return figures

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, classes) for raw samples, standardized like the training data."""
        if self.dataset.task != CLASSIFICATION:
            raise NbdlError("predict_proba is for classification; this run does regression, use predict")
        return self.loss.probabilities(self._outputs(self.data.transform(X))).cpu().numpy()

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (n,) or regression values (n, outputs) in the target's units."""
        logits = self._outputs(self.data.transform(X))
        if self.dataset.task == CLASSIFICATION:
            return self.loss.probabilities(logits).argmax(dim=1).cpu().numpy()
        return self.data.untransform_target(logits)

