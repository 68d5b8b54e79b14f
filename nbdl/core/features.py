"""Input features of 2-D points, as the TensorFlow Playground offers them: x1, x2, x1^2, x2^2, x1*x2,
sin(x1), sin(x2), each declared once here (name, formula, help).

The data option ``features`` (``OPTION``, declared by every 2-D data set and by the user's own data)
picks some of them. ``apply`` turns a data set of 2-D points into one whose samples are those
columns (a ``FeaturedDataset``, so the network's input has one unit per feature) and keeps the
points themselves in ``dataset.plane``. A run's ``Splits`` computes the same columns from any raw
2-D points given to ``predict`` or ``predict_proba`` (``inputs``), before standardizing them, and
``points`` gives the plane the pictures draw over."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from .data import LARGEST, Dataset
from .errors import NbdlError, spell, unknown
from .options import CHOICE, Option


@dataclass(frozen=True)
class Feature:
    """One input feature: ``formula(x1, x2)`` makes its column from the two coordinates (float64 arrays)."""

    name: str
    formula: Callable[[np.ndarray, np.ndarray], np.ndarray]
    help: str


class Features:
    """The input features by name, in the order they are declared. Names are matched without case
    or spaces (``X1 ^ 2`` is ``x1^2``); an unknown name gets the standard error listing the choices."""

    kind = "input feature"

    def __init__(self, *records: Feature):
        self._records = {_key(r.name): r for r in records}

    def names(self) -> list[str]:
        return [r.name for r in self._records.values()]

    def records(self) -> list[Feature]:
        return list(self._records.values())

    def get(self, text: str) -> Feature:
        found = self._records.get(_key(text))
        if found is None:
            raise unknown(self.kind, str(text).strip(), self.names())
        return found

    def check(self, text: str) -> str:
        """``text`` when it names a feature; else the standard error (``Option`` calls this per name)."""
        self.get(text)
        return text

    def __contains__(self, text: object) -> bool:
        return _key(text) in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._records)


def _key(text: Any) -> str:
    return "".join(str(text).split()).lower().replace("**", "^")


registry = Features(
    Feature("x1", lambda x1, x2: x1, "the first coordinate"),
    Feature("x2", lambda x1, x2: x2, "the second coordinate"),
    Feature("x1^2", lambda x1, x2: x1 ** 2, "the first coordinate squared"),
    Feature("x2^2", lambda x1, x2: x2 ** 2, "the second coordinate squared"),
    Feature("x1*x2", lambda x1, x2: x1 * x2, "the product of the two coordinates"),
    Feature("sin(x1)", lambda x1, x2: np.sin(x1), "the sine of the first coordinate"),
    Feature("sin(x2)", lambda x1, x2: np.sin(x2), "the sine of the second coordinate"),
)
DEFAULT = "x1,x2"  # the points as they are


def _distinct(text: str) -> str:
    """The chosen names written as declared, each once; at least one."""
    names = [registry.get(part).name for part in text.split(",") if part.strip()]
    if not names:
        raise NbdlError(f"{spell('features')} needs at least one input feature; choose from: {', '.join(registry)}")
    twice = sorted({n for n in names if names.count(n) > 1}, key=names.index)
    if twice:
        raise NbdlError(f"{spell('features')} names {', '.join(twice)} more than once ({text!r}); "
                        "name each feature once")
    return ",".join(names)


OPTION = Option("features", DEFAULT, "input features made from 2-D points (x1, x2), of a toy set or your own: the "
                "network takes one input per feature", kind=CHOICE, choices=registry, many=True, check_with=_distinct,
                metavar="LIST")


def chosen(text: str) -> tuple[str, ...]:
    """The feature names a value of ``OPTION`` picks, checked: ``"x1^2, X2^2"`` -> ``("x1^2", "x2^2")``."""
    return tuple(OPTION.check(text).split(","))


def shape(options: dict[str, Any]) -> tuple[int]:
    """The sample shape the network sees for a 2-D data set's options: one input per feature."""
    return (len(chosen(options.get(OPTION.name, DEFAULT))),)


def compute(names: tuple[str, ...], points: np.ndarray) -> np.ndarray:
    """The columns ``names`` of 2-D ``points`` (n, 2): float32 (n, len(names)), computed in float64."""
    x1, x2 = (points[:, i].astype(np.float64) for i in (0, 1))
    columns = np.stack([registry.get(name).formula(x1, x2) for name in names], axis=1)
    top = float(np.abs(columns).max()) if columns.size else 0.0
    if top > LARGEST:  # squares of huge coordinates overflow float32
        coordinate = float(np.abs(points).max())
        raise NbdlError(f"the input features {','.join(names)} reach {top:.3g}, beyond float32's reach (about "
                        f"{LARGEST:g}); rescale the points (for example divide x1 and x2 by "
                        f"{10 ** int(np.log10(max(coordinate, 1))):.0e}, their largest being {coordinate:.3g})")
    return columns.astype(np.float32)


@dataclass(repr=False)
class FeaturedDataset(Dataset):
    """A data set whose samples ``X`` (n, k) are the input features ``features`` of the 2-D points
    ``plane`` (n, 2). New points are turned into the same columns by ``inputs``."""

    plane: np.ndarray | None = None
    features: tuple[str, ...] = ()

    def rows(self, keep: np.ndarray, **changes: Any) -> "FeaturedDataset":
        return super().rows(keep, **{"plane": self.plane[keep], **changes})

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, input features {','.join(self.features)} of 2-D points)"


def apply(dataset: Dataset, text: str) -> Dataset:
    """``dataset`` with the input features ``text`` of its 2-D points as its samples; the default
    (x1,x2) leaves it as it is. Features of a featured data set are computed from its points anew."""
    names = chosen(text)
    if names == chosen(DEFAULT):
        return dataset
    plane = points(dataset)
    if plane.ndim != 2 or plane.shape[1] != 2 or dataset.tokens:
        raise NbdlError(f"{spell('features')} computes columns from 2-D points (x1, x2), but the data set "
                        f"{dataset.name!r} has samples of shape {dataset.sample_shape}; leave {spell('features')} "
                        f"at {DEFAULT}")
    fields = {f.name: getattr(dataset, f.name) for f in dataclasses.fields(Dataset)}
    return FeaturedDataset(**{**fields, "X": compute(names, plane), "feature_names": list(names),
                              "options": {**dataset.options, OPTION.name: ",".join(names)}},
                           plane=plane, features=names)


def points(dataset: Dataset) -> np.ndarray:
    """The samples as the user gives them: the 2-D points of a featured data set, else its samples."""
    return dataset.plane if isinstance(dataset, FeaturedDataset) else dataset.X


def inputs(dataset: Dataset, raw: np.ndarray) -> np.ndarray:
    """Raw samples (shaped like ``points(dataset)``) as the network takes them: their input features."""
    return compute(dataset.features, raw) if isinstance(dataset, FeaturedDataset) else raw
