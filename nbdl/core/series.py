"""Sequence data: the adding problem, forecasting windows over real series, and characters of text."""
from __future__ import annotations

import numpy as np

from .errors import NbdlError


def adding(n: int = 10000, seq_len: int = 50, seed: int = 0):
    """The adding problem (Hochreiter and Schmidhuber, 1997): each step holds a random value and a
    marker; two steps are marked, one in each half, and the target is the sum of their values.
    Predicting the mean scores an MSE of about 0.167; a network must remember across the sequence.
    Returns X (n, seq_len, 2) and y (n, 1)."""
    rng, T = np.random.default_rng(seed), seq_len
    values = rng.uniform(0, 1, (n, T))
    markers = np.zeros((n, T))
    markers[np.arange(n), rng.integers(0, T // 2, n)] = 1
    markers[np.arange(n), rng.integers(T // 2, T, n)] = 1
    X = np.stack([values, markers], axis=-1).astype(np.float32)  # (n, steps, 2)
    return X, (values * markers).sum(axis=1, keepdims=True).astype(np.float32)


def series(name: str) -> np.ndarray:
    """A real series statsmodels ships: ``co2`` (weekly CO2 at Mauna Loa, 1958-2001) or
    ``sunspots`` (yearly sunspot activity, 1700-2008)."""
    from statsmodels import datasets as sm  # imported here: statsmodels is slow to import

    if name == "co2":  # a few missing weeks are interpolated
        return sm.co2.load_pandas().data["co2"].interpolate().to_numpy(dtype=np.float32)
    return sm.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float32)


def windows(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forecasting pairs relative to each window's last value: the window minus that value
    (n, window, 1), the change to the next value (n, 1), and the last values (n,) to add back.
    Relative values let a network forecast levels it never saw in training (a rising trend)."""
    if not 2 <= window < len(values) - 1:
        raise NbdlError(f"window must be between 2 and {len(values) - 2} steps for this series, got {window}")
    X = np.lib.stride_tricks.sliding_window_view(values[:-1], window)
    last = X[:, -1].copy()
    return np.ascontiguousarray((X - last[:, None])[..., None]), (values[window:] - last)[:, None], last


def text(seq_len: int = 64, chars: int = 100_000) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Character-level text: Python's own documentation (``pydoc_data``, shipped with Python).
    X holds windows of ``seq_len`` character codes, y the next character at every step."""
    import pydoc_data.topics as topics

    corpus = "".join(topics.topics[key] for key in sorted(topics.topics))[:chars]
    vocabulary = sorted(set(corpus))
    codes = np.searchsorted(np.array(vocabulary), np.array(list(corpus)))
    if not 2 <= seq_len < len(codes) // 2:
        raise NbdlError(f"seq_len must be between 2 and {len(codes) // 2 - 1} for {len(codes)} characters, got {seq_len}")
    count = (len(codes) - 1) // seq_len
    X = codes[: count * seq_len].reshape(count, seq_len)
    y = codes[1: count * seq_len + 1].reshape(count, seq_len)
    return X, y, vocabulary
