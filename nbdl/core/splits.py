"""Train/validation/test splits as tensors on the device, standardized on the training part."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from . import features
from .data import Dataset, check_finite, check_size, to_numpy
from .errors import NbdlError, spell
from .tasks import AUTOENCODE, CLASSIFICATION


@dataclass
class Part:
    """One split: samples ``X`` (n, *sample_shape) and targets ``y``, both on the device."""

    X: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.X)


def _fractions(val: float, test: float) -> None:
    problems = [f"{spell(name)} must be in [0, 1), got {v}" for name, v in (("val_split", val), ("test_split", test))
                if not 0 <= v < 1]
    if not problems and val + test >= 1:
        problems.append(f"{spell('val_split')} + {spell('test_split')} must leave data to train on, "
                        f"got {val} + {test} = {val + test:g}")
    if problems:
        raise NbdlError("; ".join(problems))


def _indices(dataset: Dataset, val: float, test: float, seed: int) -> tuple[np.ndarray, ...]:
    """Shuffled indices of the three parts; classes keep their shares in each part."""
    rng = np.random.default_rng(seed)
    if dataset.ordered:  # a time series: train on the past, validate and test on what follows
        n = len(dataset)
        n_test, n_val = int(round(test * n)), int(round(val * n))
        train_end = n - n_val - n_test
        return tuple(np.arange(a, b, dtype=np.int64) for a, b in ((0, train_end), (train_end, n - n_test), (n - n_test, n)))
    groups = ([np.flatnonzero(dataset.y == c) for c in np.unique(dataset.y)]
              if dataset.task == CLASSIFICATION and dataset.y.ndim == 1 else [np.arange(len(dataset))])
    sizes = np.array([len(g) for g in groups])
    tests = _shares(sizes, test, room=sizes - 1)          # every class keeps a sample to train on
    vals = _shares(sizes, val, room=sizes - tests - 1)
    parts: list[list[np.ndarray]] = [[], [], []]
    for group, n_test, n_val in zip(groups, tests, vals):
        group = rng.permutation(group)
        parts[2].append(group[:n_test])
        parts[1].append(group[n_test:n_test + n_val])
        parts[0].append(group[n_test + n_val:])
    return tuple(rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts)


def _shares(sizes: np.ndarray, fraction: float, room: np.ndarray) -> np.ndarray:
    """How many of each class go to a part holding ``fraction`` of all samples: each class's share
    rounded down, then one more for the classes with the largest remainders until the part holds
    its share of the whole (many small classes would otherwise each round to none)."""
    exact = sizes * fraction
    counts = np.minimum(np.floor(exact + 1e-9).astype(int), np.maximum(room, 0))
    missing = int(round(fraction * sizes.sum())) - int(counts.sum())
    for i in np.argsort(-(exact - counts), kind="stable"):
        if missing <= 0:
            break
        if counts[i] < room[i]:
            counts[i] += 1
            missing -= 1
    return counts


class Splits:
    """The data a run trains on. ``transform`` applies the training part's standardization to new
    samples; for regression the targets are standardized too and ``untransform_target`` undoes it.
    Input features (``features``) are part of the transformation: new samples of a featured data
    set are its raw 2-D points, turned into the features before they are standardized."""

    def __init__(self, dataset: Dataset, val: float = 0.2, test: float = 0.2, seed: int = 0,
                 standardize: bool = True, device: str | torch.device = "cpu"):
        _fractions(val, test)
        self.dataset, self.device = dataset, torch.device(device)
        self.task, self.n_classes = dataset.task, dataset.n_classes
        train_idx, val_idx, test_idx = _indices(dataset, val, test, seed)
        self.indices = {"train": train_idx, "val": val_idx, "test": test_idx}  # rows of the data set
        if len(train_idx) == 0:
            raise NbdlError(f"no samples left to train on: {len(dataset)} samples with {spell('val_split')} {val} "
                            f"and {spell('test_split')} {test}")
        X_train = dataset.X[train_idx]
        standardize_x = standardize and not dataset.tokens  # token codes are names, not amounts
        # Per feature for flat samples (n, F) and sequences (n, steps, F); per channel for images:
        # (n, C, H, W) -> statistics over n, H, W.
        if X_train.ndim == 4:
            axes, shape = (0, 2, 3), (1, -1, 1, 1)
        else:
            axes, shape = tuple(range(X_train.ndim - 1)), (1,) * (X_train.ndim - 1) + (-1,)
        # Statistics in float64: squares of large float32 values overflow.
        self.mean = (X_train.mean(axis=axes, dtype=np.float64).reshape(shape).astype(np.float32) if standardize_x
                     else np.zeros((1,) * X_train.ndim, np.float32))
        std = X_train.std(axis=axes, dtype=np.float64).reshape(shape) if standardize_x else np.ones((1,) * X_train.ndim)
        self.std = np.where(std > 0, std, 1.0).astype(np.float32)
        self.y_mean = self.y_std = None
        if self.task == AUTOENCODE:  # the targets are the inputs, scaled alike: errors come back in the data's units
            if standardize_x:
                self.y_mean, self.y_std = self.mean, self.std
        elif self.task != CLASSIFICATION and standardize:
            y_train = dataset.y[train_idx].astype(np.float64)
            self.y_mean, self.y_std = y_train.mean(axis=0), np.where(y_train.std(axis=0) > 0, y_train.std(axis=0), 1.0)
        self.train, self.val, self.test = (self._part(idx) for idx in (train_idx, val_idx, test_idx))

    def _part(self, idx: np.ndarray) -> Part:
        X = self._scale(self.dataset.X[idx])
        y = self.dataset.y[idx]
        if self.y_mean is not None:
            y = ((y - self.y_mean) / self.y_std).astype(np.float32)
        return Part(X, torch.from_numpy(np.ascontiguousarray(y)).to(self.device))

    def _scale(self, X: np.ndarray) -> torch.Tensor:
        X = ((X - self.mean) / self.std).astype(np.float32)
        return torch.from_numpy(np.ascontiguousarray(X)).to(self.device)

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    def part(self, name: str) -> Part:
        if name not in ("train", "val", "test"):
            raise NbdlError(f"unknown split {name!r}; choose one of: train, val, test")
        part = getattr(self, name)
        if len(part) == 0:
            raise NbdlError(f"the {name} split is empty; set {name}_split above 0 to keep samples for it")
        return part

    def transform(self, X: Any) -> torch.Tensor:
        """New raw samples, checked and standardized like the training data, on the device."""
        X = to_numpy(X, "X")
        if X.dtype.kind not in "biuf":
            raise NbdlError(f"X must be numeric, got dtype {X.dtype}")
        check_finite(X, "X")
        check_size(X, "X")
        X = X.astype(np.float32)
        given = features.points(self.dataset)  # the samples as given: 2-D points for input features
        if X.size == 0:  # no samples: an empty batch of the right shape
            X = X.reshape((0, *given.shape[1:]))
        if X.ndim == 1 and given.ndim == 2:
            X = X[None, :] if X.shape[0] == given.shape[1] and given.shape[1] != 1 else X[:, None]
        if tuple(X.shape[1:]) != given.shape[1:]:
            made = f" (2-D points, made into the input features {','.join(self.dataset.features)})" \
                if isinstance(self.dataset, features.FeaturedDataset) else ""
            raise NbdlError(
                f"samples of shape {tuple(X.shape[1:])} do not fit: the network was trained on shape {given.shape[1:]}{made}"
            )
        return self._scale(features.inputs(self.dataset, X))

    def raw(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The samples and targets of one split in the data's own units (standardization undone); for
        input features, the 2-D points they were made from (what ``predict`` takes)."""
        part = getattr(self, name)
        if isinstance(self.dataset, features.FeaturedDataset):
            return self.dataset.plane[self.indices[name]], part.y.cpu().numpy()
        return part.X.cpu().numpy() * self.std + self.mean, part.y.cpu().numpy()

    def untransform_target(self, y: torch.Tensor) -> np.ndarray:
        """Targets (or predictions) in the data's own units, in float64 (large targets overflow float32)."""
        y = y.detach().cpu().numpy().astype(np.float64)
        return y * self.y_std + self.y_mean if self.y_mean is not None else y
