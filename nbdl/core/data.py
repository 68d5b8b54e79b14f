"""Data for training: named data sets and the user's arrays, checked, split and standardized.

``load("moons", noise=0.3)`` and ``from_arrays(X, y)`` give a ``Dataset`` of numpy arrays;
``split(dataset, val=0.2, test=0.2, seed=0)`` gives tensors on the device, standardized with
figures fitted on the training part only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import datasets
from .errors import NbdlError

CLASSIFICATION, REGRESSION = "classification", "regression"


@dataclass
class Dataset:
    """Samples ``X`` (n, *sample_shape) float32 and targets ``y``: int64 class labels in
    ``[0, n_classes)``, or float32 (n, outputs) for regression."""

    X: np.ndarray
    y: np.ndarray
    task: str
    name: str = "data"
    n_classes: int | None = None
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # Forecasting windows hold values relative to each window's last value; ``offset`` (n,) adds it back.
    offset: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.X)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.X.shape[1:])

    @property
    def target_width(self) -> int:
        """The output width a network needs: the class count, or the number of target columns."""
        return self.n_classes if self.task == CLASSIFICATION else self.y.shape[1]

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.y.ravel(), minlength=self.n_classes) if self.task == CLASSIFICATION else []
        names = self.class_names or [str(i) for i in range(len(counts))]
        return {name: int(c) for name, c in zip(names, counts)}

    def __repr__(self) -> str:
        kind = f"{self.n_classes} classes" if self.task == CLASSIFICATION else f"{self.target_width} target(s)"
        return f"Dataset({self.name!r}: {len(self)} samples of shape {self.sample_shape}, {self.task}, {kind})"


def select(data: Dataset, classes: list[int] | None = None, per_class: int | None = None, seed: int = 0) -> Dataset:
    """Some classes of a classification set, relabelled 0..len(classes)-1, and at most ``per_class``
    samples of each (drawn with ``seed``): for transfer learning from a few examples."""
    if data.task != CLASSIFICATION:
        raise NbdlError("select works on classes; this data set is a regression")
    classes = list(range(data.n_classes)) if classes is None else [int(c) for c in classes]
    bad = [c for c in classes if not 0 <= c < data.n_classes]
    if bad or not classes:
        raise NbdlError(f"classes must be among 0..{data.n_classes - 1}, got {classes}")
    rng = np.random.default_rng(seed)
    keep = []
    for c in classes:
        rows = np.flatnonzero(data.y == c)
        keep.append(rng.permutation(rows)[:per_class] if per_class is not None else rows)
    rows = np.sort(np.concatenate(keep))
    relabel = {c: i for i, c in enumerate(classes)}
    names = [data.class_names[c] for c in classes] if data.class_names else [str(c) for c in classes]
    return Dataset(data.X[rows], np.array([relabel[int(v)] for v in data.y[rows]], dtype=np.int64), data.task,
                   f"{data.name}[{','.join(map(str, classes))}]", len(classes), names, data.feature_names,
                   dict(data.options))


def load(name: str, n: int | None = None, noise: float | None = None, seed: int = 0, **options: Any) -> Dataset:
    """A built-in data set by name; ``n`` and ``noise`` shape the toy sets, ``n`` subsamples real ones."""
    key = datasets.check_name(name)
    if key in datasets.TOY:
        kwargs = {k: v for k, v in (("n", n), ("noise", noise)) if v is not None}
        try:
            X, y = datasets.TOY[key](seed=seed, **kwargs, **options)
        except TypeError as error:
            raise NbdlError(f"bad option for data set {key!r}: {error}") from None
        return from_arrays(X, y, task=CLASSIFICATION, name=key, options={"n": len(X), "noise": noise, **options})
    if key == "text":
        try:
            X, y, vocabulary = datasets.text(n=n, noise=noise, seed=seed, **options)
        except TypeError as error:
            raise NbdlError(f"bad option for data set 'text': {error}") from None
        return from_arrays(X, y, task=CLASSIFICATION, name=key, n_classes=len(vocabulary), class_names=vocabulary,
                           options={**options, "tokens": True})
    if key in datasets.SEQUENCES:
        try:
            given = {k: v for k, v in (("n", n), ("noise", noise)) if v is not None}
            X, y, offset = datasets.SEQUENCES[key](seed=seed, **given, **options)
        except TypeError as error:
            raise NbdlError(f"bad option for data set {key!r}: {error}") from None
        ordered = {"ordered": True} if key in datasets.ORDERED else {}
        data = from_arrays(X, y, task=REGRESSION, name=key, options={**options, **ordered})
        data.offset = offset
        return data
    if noise is not None or options:
        raise NbdlError(f"data set {key!r} takes no {'noise' if noise is not None else ', '.join(options)}; only n and seed")
    bunch = datasets.REAL[key]()
    X = bunch.data.reshape(-1, 1, 8, 8) if key == "digits_images" else bunch.data
    if key in datasets.REGRESSION:
        data = from_arrays(X, bunch.target.astype(np.float32), task=REGRESSION, name=key,
                           feature_names=list(bunch.feature_names))
    else:
        names = [str(c) for c in getattr(bunch, "target_names", [])] or None
        data = from_arrays(X, bunch.target, task=CLASSIFICATION, name=key, class_names=names,
                           feature_names=[str(f) for f in getattr(bunch, "feature_names", [])] or None)
    return subsample(data, n, seed) if n is not None else data


def subsample(data: Dataset, n: int, seed: int = 0) -> Dataset:
    """``n`` samples of ``data`` drawn without replacement."""
    if not 2 <= int(n) <= len(data):
        raise NbdlError(f"n must be between 2 and {len(data)} for {data.name!r}, got {n}")
    keep = np.sort(np.random.default_rng(seed).permutation(len(data))[: int(n)])
    return Dataset(data.X[keep], data.y[keep], data.task, data.name, data.n_classes, data.class_names,
                   data.feature_names, {**data.options, "n": int(n)})


def _to_numpy(values: Any, what: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    if hasattr(values, "to_numpy"):  # pandas Series / DataFrame
        return values.to_numpy()
    try:
        return np.asarray(values)
    except Exception as error:  # ragged lists and other things numpy cannot read
        raise NbdlError(f"cannot read {what} as an array: {error}") from None


def _check_finite(X: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        where = np.argwhere(bad)[0]
        nans, infs = int(np.isnan(X).sum()), int(np.isinf(X).sum())
        raise NbdlError(
            f"{what} holds {nans} NaN and {infs} inf value(s), the first at index {tuple(int(i) for i in where)}; "
            "drop or fill them (for a DataFrame: df.dropna() or df.fillna(...))"
        )


def _class_labels(y: np.ndarray, n_classes: int | None, class_names: list[str] | None):
    """Integer labels in [0, n_classes), encoding strings and booleans; raises on anything else."""
    if y.dtype.kind in "OUSb":  # strings, objects, booleans: name the classes in sorted order
        names, y = np.unique(y.astype(str) if y.dtype.kind != "b" else y, return_inverse=True)
        return y.astype(np.int64), len(names), class_names or [str(v) for v in names]
    if y.dtype.kind == "f":
        _check_finite(y, "y")
        whole = np.equal(np.mod(y, 1), 0)
        if not whole.all():
            row = int(np.argmin(whole))
            raise NbdlError(
                f"class labels must be whole numbers 0..K-1, got {y[row].item()!r} at row {row}; "
                "for a numeric target use task='regression'"
            )
    elif y.dtype.kind not in "iu":
        raise NbdlError(f"class labels must be integers or strings, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.min() < 0:
        raise NbdlError(f"class labels must be in 0..K-1, got {int(y.min())} at row {_row(y, np.argmin(y))}")
    found = int(y.max()) + 1
    if n_classes is not None and found > n_classes:
        raise NbdlError(
            f"class label {found - 1} at row {_row(y, np.argmax(y))} is out of range for {n_classes} classes (0..{n_classes - 1})"
        )
    return y, n_classes or found, class_names


def _row(y: np.ndarray, flat_index) -> int:
    return int(np.unravel_index(int(flat_index), y.shape)[0])


def from_arrays(X: Any, y: Any, task: str | None = None, name: str = "arrays", n_classes: int | None = None,
                class_names: list[str] | None = None, feature_names: list[str] | None = None,
                options: dict[str, Any] | None = None) -> Dataset:
    """Check and wrap the user's samples and targets (numpy arrays, tensors, lists, pandas).

    ``task`` is taken from ``y`` when not given: integer, boolean or string targets are classes,
    floating-point targets are regression."""
    X, y = _to_numpy(X, "X"), _to_numpy(y, "y")
    if X.ndim == 0 or len(X) == 0 or X.size == 0:
        raise NbdlError(f"the data is empty: X has shape {X.shape}; give at least one sample with at least one feature")
    if X.ndim == 1:
        X = X[:, None]
    if y.ndim == 0 or len(X) != len(y):
        raise NbdlError(f"X and y have different lengths: {len(X)} samples but {y.shape[0] if y.ndim else 0} targets")
    if X.dtype.kind not in "biuf":
        raise NbdlError(f"X must be numeric, got dtype {X.dtype}; encode text columns as numbers first")
    X = X.astype(np.float32)
    _check_finite(X, "X")
    if task is None:
        task = REGRESSION if y.dtype.kind in "fc" else CLASSIFICATION
    if task not in (CLASSIFICATION, REGRESSION):
        raise NbdlError(f"unknown task {task!r}; choose one of: {CLASSIFICATION}, {REGRESSION}")
    if task == CLASSIFICATION:
        if y.ndim not in (1, 2):
            raise NbdlError(f"class labels must be one per sample, or one per step of a sequence; got y of shape {y.shape}")
        y, n_classes, class_names = _class_labels(y, n_classes, class_names)
    else:
        if y.dtype.kind not in "biuf":
            raise NbdlError(f"regression targets must be numbers, got dtype {y.dtype}")
        y = y.astype(np.float32).reshape(len(y), -1)
        _check_finite(y, "y")
        n_classes = None
    return Dataset(X, y, task, name, n_classes, class_names, feature_names, dict(options or {}))


def from_frame(frame: Any, target: str, task: str | None = None, name: str = "dataframe") -> Dataset:
    """A pandas DataFrame with the target in column ``target`` and numeric feature columns."""
    if target not in frame.columns:
        raise NbdlError(f"no column {target!r} in the DataFrame; its columns are: {', '.join(map(str, frame.columns))}")
    features = frame.drop(columns=[target])
    text = [str(c) for c, kind in features.dtypes.items() if getattr(kind, "kind", "O") not in "biuf"]
    if text:
        raise NbdlError(
            f"feature column(s) {', '.join(text)} are not numeric; encode them first, for example pd.get_dummies(df)"
        )
    return from_arrays(features.to_numpy(dtype=np.float32), frame[target].to_numpy(), task=task, name=name,
                       feature_names=[str(c) for c in features.columns])


def as_dataset(data: Any, y: Any = None, target: str | None = None, task: str | None = None,
               **options: Any) -> Dataset:
    """Whatever the user gave as data: a Dataset, a built-in name, (X, y), X with y, or a DataFrame."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, str):
        return load(data, **options)
    if hasattr(data, "columns") and hasattr(data, "drop"):
        if target is None:
            raise NbdlError("a DataFrame needs target='COLUMN', the column to predict")
        return from_frame(data, target, task=task)
    if y is None and isinstance(data, (tuple, list)) and len(data) == 2:
        data, y = data
    if y is None:
        raise NbdlError("give the targets too: data=(X, y), or X and y=...")
    return from_arrays(data, y, task=task)
