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


def adding(n: int = 10000, noise: float = 0.0, seed: int = 0, seq_len: int = 50):
    """The adding problem (Hochreiter and Schmidhuber, 1997): each step holds a random value and a
    marker; two steps are marked, one in each half, and the target is the sum of their values.
    Predicting the mean scores an MSE of about 0.167; a network must remember across the sequence."""
    if int(seq_len) < 2:
        raise NbdlError(f"seq_len must be at least 2 steps, got {seq_len}")
    _check(n, noise)
    rng, T = _rng(seed), int(seq_len)
    values = rng.uniform(0, 1, (n, T))
    markers = np.zeros((n, T))
    markers[np.arange(n), rng.integers(0, T // 2, n)] = 1
    markers[np.arange(n), rng.integers(T // 2, T, n)] = 1
    X = np.stack([values, markers], axis=-1).astype(np.float32)  # (n, steps, 2)
    return X, (values * markers).sum(axis=1, keepdims=True).astype(np.float32), None


def _series(name: str) -> np.ndarray:
    from statsmodels import datasets as sm  # imported here: statsmodels is slow to import

    if name == "co2":  # weekly CO2 at Mauna Loa, 1958-2001; a few missing weeks are interpolated
        return sm.co2.load_pandas().data["co2"].interpolate().to_numpy(dtype=np.float32)
    return sm.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float32)  # yearly, 1700-2008


def windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecasting pairs relative to each window's last value: the window minus that value
    (n, window, 1), the change to the next value (n, 1), and the last values (n,) to add back.
    Relative values let a network forecast levels it never saw in training (a rising trend)."""
    window = int(window)
    if not 2 <= window < len(series) - 1:
        raise NbdlError(f"window must be between 2 and {len(series) - 2} steps, got {window}")
    X = np.lib.stride_tricks.sliding_window_view(series[:-1], window)
    last = X[:, -1].copy()
    return np.ascontiguousarray((X - last[:, None])[..., None]), (series[window:] - last)[:, None], last


def forecast(name: str):
    def load(n=None, noise=None, seed=0, window=None):
        if noise is not None:
            raise NbdlError(f"data set {name!r} takes no noise; options: n, window")
        X, y, last = windows(_series(name), window or (52 if name == "co2" else 20))
        keep = slice(None) if n is None else slice(-int(n), None)
        return X[keep], y[keep], last[keep]
    return load


def text(n: int | None = None, noise: float | None = None, seed: int = 0, seq_len: int = 64, chars: int = 100_000):
    """Character-level text: Python's own documentation (``pydoc_data``, shipped with Python).
    X holds windows of ``seq_len`` character codes, y the next character at every step."""
    import pydoc_data.topics as topics

    if noise is not None:
        raise NbdlError("data set 'text' takes no noise; options: n, seq_len, chars")
    corpus = "".join(topics.topics[key] for key in sorted(topics.topics))[: int(chars)]
    vocabulary = sorted(set(corpus))
    codes = np.array([vocabulary.index(c) for c in corpus], dtype=np.int64) if len(vocabulary) < 2 else \
        np.searchsorted(np.array(vocabulary), np.array(list(corpus)))
    T = int(seq_len)
    if not 2 <= T < len(codes) // 2:
        raise NbdlError(f"seq_len must be between 2 and {len(codes) // 2 - 1}, got {seq_len}")
    count = (len(codes) - 1) // T
    X = codes[: count * T].reshape(count, T)
    y = codes[1: count * T + 1].reshape(count, T)
    if n is not None:
        X, y = X[: int(n)], y[: int(n)]
    return X, y, vocabulary


# Sequence sets: (X, y) of regression targets. Forecasting windows keep their time order in the split.
SEQUENCES = {"adding": adding, "co2": forecast("co2"), "sunspots": forecast("sunspots")}
ORDERED = {"co2", "sunspots"}

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
          "moons": 2, "circles": 2, "xor": 2, "spiral": 2, "blobs": 3, "adding": 1, "co2": 1, "sunspots": 1}
NAMES = sorted({*TOY, *REAL, *SEQUENCES, "text"})


def check_name(name: str) -> str:
    key = str(name).lower().replace("-", "_")
    if key not in TOY and key not in REAL and key not in SEQUENCES and key != "text":
        raise unknown("data set", name, NAMES)
    return key


SHAPES = {"digits": (64,), "digits_images": (1, 8, 8), "iris": (4,), "wine": (13,), "breast_cancer": (30,),
          "diabetes": (10,), "adding": (0, 2), "co2": (0, 1), "sunspots": (0, 1), "text": (0,)}


def sample_shape(name: str) -> tuple[int, ...]:
    """The shape of one sample of the built-in set ``name``."""
    return SHAPES.get(check_name(name), (2,))


def output_width(name: str, options: dict | None = None) -> int:
    """The output width a network needs for the built-in set ``name`` with these options."""
    key = check_name(name)
    if key == "text":
        return len(text(**{k: v for k, v in (options or {}).items() if k in ("seq_len", "chars")})[2])
    return int((options or {}).get("classes", WIDTHS[key])) if key in ("spiral", "blobs") else WIDTHS[key]
