"""The data a run learns from: a ``Dataset`` of numpy arrays, made from the user's arrays, tensors or
DataFrames, checked on the way in. Named data sets are records in ``datasets``."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from .errors import NbdlError, spell
from .options import INT, Option
from .tasks import AUTOENCODE, CLASSIFICATION, REGRESSION, TASKS


@dataclass
class Dataset:
    """Samples ``X`` (n, *sample_shape) float32 and targets ``y``: int64 class labels in
    ``[0, n_classes)``, or float32 (n, outputs) for regression. ``ordered`` data (a time series)
    keep their order in the split; ``tokens`` are codes, not amounts (never standardized)."""

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
    ordered: bool = False
    tokens: bool = False
    # Class labels kept beside targets of another kind (an autoencoder's targets are its samples).
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.X)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.X.shape[1:])

    @property
    def target_width(self) -> int:
        """The output width a network needs: the class count, or the number of target columns."""
        return self.n_classes if self.task == CLASSIFICATION else int(np.prod(self.y.shape[1:]))

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.y.ravel(), minlength=self.n_classes) if self.task == CLASSIFICATION else []
        names = self.class_names or [str(i) for i in range(len(counts))]
        return {name: int(c) for name, c in zip(names, counts)}

    def rows(self, keep: np.ndarray, **changes: Any) -> "Dataset":
        """These rows of the data set (and ``changes`` to its other fields)."""
        taken = {"X": self.X[keep], "y": self.y[keep], "offset": self.offset[keep] if self.offset is not None else None,
                 "labels": self.labels[keep] if self.labels is not None else None}
        return replace(self, **{**taken, **changes})

    def __repr__(self) -> str:
        kind = f"{self.n_classes} classes" if self.task == CLASSIFICATION else f"{self.target_width} target(s)"
        return f"Dataset({self.name!r}: {len(self)} samples of shape {self.sample_shape}, {self.task}, {kind})"


def autoencoded(data: Dataset) -> Dataset:
    """``data`` with its samples as the targets (task autoencode); class labels are kept as ``labels``."""
    if data.tokens:
        raise NbdlError(f"{data.name!r} holds token codes (names, not amounts); an autoencoder reproduces amounts: "
                        "choose a data set of numbers or images")
    labels = data.y if data.task == CLASSIFICATION and data.y.ndim == 1 else data.labels
    return replace(data, y=data.X.copy(), task=AUTOENCODE, labels=labels, offset=None,
                   n_classes=data.n_classes if labels is not None else None)


def select(data: Dataset, classes: list[int] | None = None, per_class: int | None = None, seed: int = 0) -> Dataset:
    """Some classes of a classification set, relabelled 0..len(classes)-1, and at most ``per_class``
    samples of each (drawn with ``seed``): for transfer learning from a few examples."""
    if not isinstance(data, Dataset):
        raise NbdlError(f"select takes a Dataset (for example nbdl.data.load('digits')), got {type(data).__name__}")
    if data.task != CLASSIFICATION:
        raise NbdlError("select works on classes; this data set is a regression")
    whole = Option(kind=INT, low=0, high=data.n_classes - 1)
    given = list(range(data.n_classes)) if classes is None else classes
    if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
        raise NbdlError(f"classes must be a list of class numbers 0..{data.n_classes - 1}, got {classes!r}")
    classes = [whole.check(c, subject=f"a class of {data.name!r}") for c in given]
    if len(classes) < 2 or len(set(classes)) != len(classes):
        raise NbdlError(f"classes must name at least 2 different classes among 0..{data.n_classes - 1} (a "
                        f"classifier needs two to tell apart), got {given!r}")
    if per_class is not None:
        per_class = Option(kind=INT, low=1).check(per_class, subject="per_class")
    rng = np.random.default_rng(Option(kind=INT, low=0, high=2**32 - 1).check(seed, subject="seed"))
    keep = []
    for c in classes:
        rows = np.flatnonzero(data.y == c)
        keep.append(rng.permutation(rows)[:per_class] if per_class is not None else rows)
    rows = np.sort(np.concatenate(keep))
    relabel = np.full(data.n_classes, -1, dtype=np.int64)
    relabel[classes] = np.arange(len(classes))
    names = [data.class_names[c] for c in classes] if data.class_names else [str(c) for c in classes]
    return data.rows(rows, y=relabel[data.y[rows]], name=f"{data.name}[{','.join(map(str, classes))}]",
                     n_classes=len(classes), class_names=names)


def subsample(data: Dataset, n: int, seed: int = 0) -> Dataset:
    """``n`` samples of ``data`` drawn without replacement (time series: the last ``n``)."""
    if not isinstance(data, Dataset):
        raise NbdlError(f"subsample takes a Dataset (for example nbdl.data.load('digits')), got {type(data).__name__}")
    n = Option(kind=INT, low=2, high=len(data)).check(n, subject=f"{data.name} {spell('n')}")
    seed = Option(kind=INT, low=0, high=2**32 - 1).check(seed, subject="seed")
    if data.ordered:
        keep = np.arange(len(data) - int(n), len(data))
    else:
        keep = np.sort(np.random.default_rng(seed).permutation(len(data))[: int(n)])
    return data.rows(keep, options={**data.options, "n": int(n)})


def to_numpy(values: Any, what: str) -> np.ndarray:
    """The user's samples or targets as a numpy array (tensors of any dtype and layout, pandas,
    lists), or an error naming ``what`` and why it cannot be read."""
    if isinstance(values, torch.Tensor):
        if values.device.type == "meta":
            raise NbdlError(f"{what} is a tensor on the meta device, which holds shapes but no values")
        if values.is_complex():
            raise NbdlError(f"{what} holds complex numbers ({values.dtype}); give real numbers")
        if values.layout != torch.strided:
            values = values.to_dense()
        values = values.detach().cpu()
        if values.is_floating_point() and values.dtype not in (torch.float32, torch.float64):
            values = values.float()  # bfloat16 and float16 have no (or no exact) numpy dtype
        return values.numpy()
    if hasattr(values, "to_numpy"):  # pandas Series / DataFrame
        return values.to_numpy()
    try:
        return np.asarray(values)
    except Exception as error:  # ragged lists and other things numpy cannot read
        raise NbdlError(f"cannot read {what} as an array: {error}") from None


def check_finite(X: np.ndarray, what: str) -> None:
    """Raise, naming the first bad index, when ``X`` holds NaN or inf."""
    bad = ~np.isfinite(X)
    if bad.any():
        where = np.argwhere(bad)[0]
        nans, infs = int(np.isnan(X).sum()), int(np.isinf(X).sum())
        raise NbdlError(
            f"{what} holds {nans} NaN and {infs} inf value(s), the first at index {tuple(int(i) for i in where)}; "
            "drop or fill them (for a DataFrame: df.dropna() or df.fillna(...))"
        )


# Beyond this size, float32 samples overflow once standardized or multiplied by a weight.
LARGEST = 1e30


def check_size(X: np.ndarray, what: str) -> None:
    top = float(np.abs(X).max()) if X.size else 0.0
    if top > LARGEST:
        raise NbdlError(f"{what} holds values as large as {top:.3g}; float32 training overflows beyond about "
                        f"{LARGEST:g}: rescale the data (for example divide by {10 ** int(np.log10(top)):.0e})")


# More classes than this is not a classification a network here can learn (the output layer would need
# that many units): labels such as 0 and 10**9 are names to encode, not class numbers.
MAX_CLASSES = 100_000


def _class_labels(y: np.ndarray, n_classes: int | None, class_names: list[str] | None):
    """Integer labels in [0, n_classes), encoding strings and booleans; raises on anything else."""
    if y.dtype.kind == "O":
        missing = [i for i, v in enumerate(y.ravel()) if v is None or (isinstance(v, float) and v != v)]
        if missing:
            raise NbdlError(f"y holds {len(missing)} missing label(s) (None or NaN), the first at row "
                            f"{_row(y, missing[0])}; drop those samples or give them a class")
    if y.dtype.kind in "OUSb":  # strings, objects, booleans: name the classes in sorted order
        names, y = np.unique(y.astype(str) if y.dtype.kind != "b" else y, return_inverse=True)
        return y.astype(np.int64), len(names), class_names or [str(v) for v in names]
    if y.dtype.kind == "f":
        check_finite(y, "y")
        whole = np.equal(np.mod(y, 1), 0)
        if not whole.all():
            row = int(np.argmin(whole))
            raise NbdlError(
                f"class labels must be whole numbers 0..K-1, got {y.flat[row].item()!r} at row {_row(y, row)}; "
                f"for a numeric target use {spell('task', 'regression', data_option=True)}"
            )
    elif y.dtype.kind not in "iu":
        raise NbdlError(f"class labels must be integers or strings, got dtype {y.dtype}")
    if y.dtype.kind == "u" and y.size and y.max() >= MAX_CLASSES:  # before int64 wraps it
        raise NbdlError(f"class label {int(y.max())} at row {_row(y, np.argmax(y))} would need a network with "
                        f"{int(y.max()) + 1:,} outputs; labels are class numbers 0..K-1: encode them first, for "
                        "example with np.unique(y, return_inverse=True)[1]")
    y = y.astype(np.int64)
    if y.max() >= MAX_CLASSES:
        raise NbdlError(f"class label {int(y.max())} at row {_row(y, np.argmax(y))} would need a network with "
                        f"{int(y.max()) + 1:,} outputs; labels are class numbers 0..K-1: encode them first, for "
                        "example with np.unique(y, return_inverse=True)[1]")
    if y.min() < 0:
        raise NbdlError(f"class labels must be in 0..K-1, got {int(y.min())} at row {_row(y, np.argmin(y))}")
    found = int(y.max()) + 1
    if n_classes is not None and found > n_classes:
        raise NbdlError(
            f"class label {found - 1} at row {_row(y, np.argmax(y))} is out of range for {n_classes} classes (0..{n_classes - 1})"
        )
    return y, n_classes or found, class_names


def _one_hot(y: np.ndarray) -> bool:
    """Whether 2-D targets are rows of zeros with a single one."""
    return y.ndim == 2 and y.shape[1] > 1 and bool(np.isin(y, (0, 1)).all()) and bool((y.sum(axis=1) == 1).all())


def _row(y: np.ndarray, flat_index) -> int:
    return int(np.unravel_index(int(flat_index), y.shape)[0])


def from_arrays(X: Any, y: Any, task: str | None = None, name: str = "arrays", n_classes: int | None = None,
                class_names: list[str] | None = None, feature_names: list[str] | None = None,
                options: dict[str, Any] | None = None) -> Dataset:
    """Check and wrap the user's samples and targets (numpy arrays, tensors, lists, pandas).

    ``task`` is taken from ``y`` when not given: integer, boolean or string targets are classes,
    floating-point targets are regression."""
    if options is not None and not isinstance(options, dict):
        raise NbdlError(f"options must be a dict of the data set's options by name, got {options!r:.60}")
    X, y = to_numpy(X, "X"), to_numpy(y, "y")
    explicit = task is not None
    if n_classes is not None:
        n_classes = Option(kind=INT, low=2, high=MAX_CLASSES).check(n_classes, subject="n_classes")
    if X.ndim == 0 or len(X) == 0 or X.size == 0:
        raise NbdlError(f"the data is empty: X has shape {X.shape}; give at least one sample with at least one feature")
    if X.ndim == 1:
        X = X[:, None]
    if y.ndim == 0:
        raise NbdlError(f"y must be an array with one target per sample, got the single value {y.item()!r:.40}")
    if len(X) != len(y):
        raise NbdlError(f"X and y have different lengths: {len(X)} samples but {y.shape[0] if y.ndim else 0} targets")
    if X.dtype.kind not in "biuf":
        raise NbdlError(f"X must be numeric, got dtype {X.dtype}; encode text columns as numbers first")
    check_finite(X, "X")
    check_size(X, "X")
    X = X.astype(np.float32)
    if task is None:
        task = REGRESSION if y.dtype.kind in "fc" else CLASSIFICATION
    if task not in TASKS:
        raise NbdlError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    features = int(np.prod(X.shape[1:]))
    if feature_names is not None and (not isinstance(feature_names, (list, tuple)) or len(feature_names) != features):
        raise NbdlError(f"feature_names must name each of the {features} features, got {feature_names!r:.60}")
    if task == CLASSIFICATION:
        if y.ndim == 2 and y.shape[1] == 1:  # a column of labels: one per sample
            y = y[:, 0]
        if y.ndim not in (1, 2):
            raise NbdlError(f"class labels must be one per sample, or one per step of a sequence; got y of shape {y.shape}")
        y, n_classes, class_names = _class_labels(y, n_classes, class_names)
        if n_classes < 2:
            raise NbdlError(f"classification needs at least 2 classes, but y holds only {class_names or [0]}; "
                            "give samples of another class too")
        if class_names is not None and (not isinstance(class_names, (list, tuple)) or len(class_names) != n_classes):
            raise NbdlError(f"class_names must name each of the {n_classes} classes, got {class_names!r:.60}")
        class_names = None if class_names is None else [str(name) for name in class_names]
    else:
        if y.dtype.kind not in "biuf":
            raise NbdlError(f"regression targets must be numbers, got dtype {y.dtype}")
        if not explicit and _one_hot(y):
            raise NbdlError(f"y looks like classes written one-hot ({y.shape[1]} columns of 0 and 1, one 1 a row); "
                            f"give the class numbers, y.argmax(axis=1), or {spell('task', 'regression', data_option=True)} "
                            "to predict the columns as numbers")
        check_finite(y, "y")
        check_size(y, "y")
        y = y.astype(np.float32).reshape(len(y), -1)
        n_classes = None
    return Dataset(X, y, task, name, n_classes, class_names, feature_names, dict(options or {}))


def from_frame(frame: Any, target: str, task: str | None = None, name: str = "dataframe") -> Dataset:
    """A pandas DataFrame with the target in column ``target`` and numeric feature columns."""
    if not is_frame(frame):
        raise NbdlError(f"from_frame takes a pandas DataFrame, got {type(frame).__name__}; for arrays use from_arrays")
    if getattr(frame.columns, "duplicated", None) is not None and frame.columns.duplicated().any():
        twice = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise NbdlError(f"the DataFrame has columns named alike: {', '.join(twice)}; give each column its own name")
    try:
        found = target in frame.columns
    except TypeError:  # a list or another unhashable value
        found = False
    if not found:
        raise NbdlError(f"no column {target!r} in the DataFrame; its columns are: {', '.join(map(str, frame.columns))}")
    features = frame.drop(columns=[target])
    text = [str(c) for c, kind in features.dtypes.items() if getattr(kind, "kind", "O") not in "biuf"]
    if text:
        raise NbdlError(
            f"feature column(s) {', '.join(text)} are not numeric; encode them first, for example pd.get_dummies(df)"
        )
    for column in (target, *features.columns):
        missing = frame[column].isna().to_numpy()
        if missing.any():
            raise NbdlError(f"column {str(column)!r} has {int(missing.sum())} missing value(s), the first at row "
                            f"{int(np.argmax(missing))}; drop or fill them (df.dropna() or df.fillna(...))")
    labels = frame[target].to_numpy()
    if labels.dtype.kind == "O" and all(isinstance(v, (int, float, np.number)) for v in labels):
        labels = labels.astype(np.float64)  # a nullable integer column comes as objects
    return from_arrays(features.to_numpy(dtype=np.float64), labels, task=task, name=name,
                       feature_names=[str(c) for c in features.columns])


def is_frame(data: Any) -> bool:
    return hasattr(data, "columns") and hasattr(data, "drop")
