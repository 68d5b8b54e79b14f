"""2-D toy data sets generated with numpy, as the TensorFlow Playground has them: (X, y) arrays."""
from __future__ import annotations

import numpy as np


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def moons(n: int = 400, noise: float = 0.2, seed: int = 0):
    """Two interleaving half circles."""
    rng = _rng(seed)
    outer, inner = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    X = np.concatenate([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    X = X + rng.normal(0, noise, X.shape)
    y = np.r_[np.zeros(outer), np.ones(inner)]
    return _shuffled(X, y, rng)


def circles(n: int = 400, noise: float = 0.1, seed: int = 0, factor: float = 0.5):
    """A small circle (class 1) inside a large one (class 0)."""
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
    rng = _rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return _shuffled(X + rng.normal(0, noise, X.shape), y, rng)


def spiral(n: int = 400, noise: float = 0.1, seed: int = 0, classes: int = 2):
    """Arms of a spiral winding around the origin, one per class."""
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
    rng = _rng(seed)
    classes = int(classes)
    angles = 2 * np.pi * np.arange(classes) / classes
    centres = 4.0 * np.c_[np.cos(angles), np.sin(angles)]
    y = np.arange(n) % classes
    X = centres[y] + rng.normal(0, noise, (n, 2))
    return _shuffled(X, y, rng)


def ring(n: int = 2000, noise: float = 0.05, seed: int = 0, modes: int = 8, radius: float = 2.0):
    """Gaussian clouds (standard deviation ``noise``) at ``modes`` points on a circle of ``radius``,
    the class the mode's index: the standard 2-D test of a GAN's mode coverage."""
    rng = _rng(seed)
    y = np.arange(n) % modes
    X = ring_centres(modes, radius)[y] + rng.normal(0, noise, (n, 2))
    return _shuffled(X, y, rng)


def grid(n: int = 2500, noise: float = 0.05, seed: int = 0, side: int = 5, spacing: float = 2.0):
    """Gaussian clouds at the ``side`` x ``side`` points of a grid ``spacing`` apart, centred on 0,
    the class the mode's index (row by row): the harder 2-D GAN test."""
    rng = _rng(seed)
    y = np.arange(n) % side**2
    X = grid_centres(side, spacing)[y] + rng.normal(0, noise, (n, 2))
    return _shuffled(X, y, rng)


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The means of ``ring``'s clouds, (modes, 2), in the order of its classes."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.c_[np.cos(angles), np.sin(angles)]


def grid_centres(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """The means of ``grid``'s clouds, (side**2, 2), in the order of its classes."""
    axis = spacing * (np.arange(side) - (side - 1) / 2)
    return np.array([(a, b) for a in axis for b in axis])
