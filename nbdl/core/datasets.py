"""Built-in data sets: 2-D toy sets generated with numpy, and the real sets scikit-learn ships."""
from __future__ import annotations

import numpy as np

from .errors import NbdlError, unknown


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _check(n: int, noise: float) -> None:
    if int(n) < 2:
        raise NbdlError(f"n must be at least 2 samples, got {n}")
    if noise < 0:
        raise NbdlError(f"noise must be >= 0, got {noise}")


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def moons(n: int = 400, noise: float = 0.2, seed: int = 0):
    """Two interleaving half circles."""
    _check(n, noise)
    rng = _rng(seed)
    outer, inner = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    X = X + rng.normal(0, noise, X.shape)
    y = np.r_[np.zeros(outer), np.ones(inner)]
    return _shuffled(X, y, rng)


def circles(n: int = 400, noise: float = 0.1, seed: int = 0, factor: float = 0.5):
    """A small circle (class 1) inside a large one (class 0)."""
    _check(n, noise)
    rng = _rng(seed)
    outer, inner = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, outer, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, inner, endpoint=False)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)], factor * np.c_[np.cos(t_in), np.sin(t_in)]])
    X = X + rng.normal(0, noise, X.shape)
    y = np.r_[np.zeros(outer), np.ones(inner)]
    return _shuffled(X, y, rng)


def xor(n: int = 400, noise: float = 0.1, seed: int = 0):
    """Points in the square [-1, 1]^2, class 1 where x and y have opposite signs."""
    _check(n, noise)
    rng = _rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return _shuffled(X + rng.normal(0, noise, X.shape), y, rng)


def spiral(n: int = 400, noise: float = 0.1, seed: int = 0, classes: int = 2):
    """Arms of a spiral winding around the origin, one per class."""
    _check(n, noise)
    rng = _rng(seed)
    classes = int(classes)
    per = [n // classes + (1 if i < n % classes else 0) for i in range(classes)]
    parts, labels = [], []
    for c, count in enumerate(per):
        r = np.linspace(0.05, 1.0, count)
        theta = 3.0 * np.pi * r + 2 * np.pi * c / classes
        parts.append(np.c_[r * np.sin(theta), r * np.cos(theta)] + rng.normal(0, noise * 0.5, (count, 2)))
        labels.append(np.full(count, c))
    return _shuffled(np.concatenate(parts), np.concatenate(labels), rng)


def blobs(n: int = 400, noise: float = 1.0, seed: int = 0, classes: int = 3):
    """Gaussian clouds (standard deviation ``noise``) around centres on a circle of radius 4."""
    _check(n, noise)
    rng = _rng(seed)
    classes = int(classes)
    angles = 2 * np.pi * np.arange(classes) / classes
    centres = 4.0 * np.c_[np.cos(angles), np.sin(angles)]
    y = np.arange(n) % classes
    X = centres[y] + rng.normal(0, noise, (n, 2))
    return _shuffled(X, y, rng)


TOY = {"moons": moons, "circles": circles, "xor": xor, "spiral": spiral, "blobs": blobs}


def _sklearn(loader_name: str):
    def load():
        from sklearn import datasets  # imported here: sklearn costs ~1.6 s to import

        bunch = getattr(datasets, loader_name)()
        return bunch
    return load


REAL = {
    "digits": _sklearn("load_digits"),
    "digits_images": _sklearn("load_digits"),
    "iris": _sklearn("load_iris"),
    "wine": _sklearn("load_wine"),
    "breast_cancer": _sklearn("load_breast_cancer"),
    "diabetes": _sklearn("load_diabetes"),
}
REGRESSION = {"diabetes"}
# The output width a network needs for each set: classes, or target columns for regression.
WIDTHS = {"digits": 10, "digits_images": 10, "iris": 3, "wine": 3, "breast_cancer": 2, "diabetes": 1,
          "moons": 2, "circles": 2, "xor": 2, "spiral": 2, "blobs": 3}
NAMES = sorted({*TOY, *REAL})


def check_name(name: str) -> str:
    key = str(name).lower().replace("-", "_")
    if key not in TOY and key not in REAL:
        raise unknown("data set", name, NAMES)
    return key


SHAPES = {"digits": (64,), "digits_images": (1, 8, 8), "iris": (4,), "wine": (13,), "breast_cancer": (30,),
          "diabetes": (10,)}


def sample_shape(name: str) -> tuple[int, ...]:
    """The shape of one sample of the built-in set ``name``."""
    return SHAPES.get(check_name(name), (2,))


def output_width(name: str, options: dict | None = None) -> int:
    """The output width a network needs for the built-in set ``name`` with these options."""
    key = check_name(name)
    return int((options or {}).get("classes", WIDTHS[key])) if key in ("spiral", "blobs") else WIDTHS[key]
