"""Task families for meta-learning: each draws small tasks (a few shots to learn from, query points to
score on) for ``nbdl.meta``.

``sinusoid`` is Finn et al. (2017)'s regression: y = amplitude * sin(x - phase), amplitude U[0.1, 5],
phase U[0, pi], x U[-5, 5]. ``digits`` is N-way K-shot classification built from scikit-learn's 8x8
digits (shipped with scikit-learn, nothing downloaded). Ten digits make few different tasks, so as
Omniglot's users do, a quarter turn of a digit is a class of its own: 20 classes. Half turns are left
out because they make near-copies (0, 1 and 8 look alike upside down; 6 upside down is a 9). The
classes of the digits 6 to 9 (both turns) are held out for meta-testing: meta-training never sees
them. Pixels are standardised with the meta-training images' mean and deviation only."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from .errors import NbdlError
from .registry import Registry

REGRESSION, CLASSIFICATION = "regression", "classification"


@dataclass(eq=False)
class Task:
    """One task: ``x_support``/``y_support`` (the shots to adapt on) and ``x_query``/``y_query`` (the
    points it is scored on). Regression: x (n, 1) and y (n, 1) float tensors, ``curve(x)`` the true
    function, ``amplitude`` and ``phase``. Classification: x (n, 64) standardised pixels, y (n,) labels
    0..ways-1, ``classes`` the name of each label's class (such as ``"7 upright"``, ``"7 turned 90"``)."""

    x_support: torch.Tensor
    y_support: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor
    family: str
    amplitude: float | None = None
    phase: float | None = None
    classes: tuple[str, ...] = ()

    @property
    def shots(self) -> int:
        """Examples to adapt on (per class for classification)."""
        return len(self.y_support) // max(1, len(self.classes))

    def curve(self, x: np.ndarray) -> np.ndarray:
        """The true function at ``x`` (regression tasks only)."""
        if self.amplitude is None:
            raise AttributeError(f"a {self.family} task is classification; it has no curve")
        return self.amplitude * np.sin(np.asarray(x, dtype=np.float64) - self.phase)


class Family:
    """A distribution of tasks. ``sample(random, shots, queries, test)`` draws one; ``test`` draws from
    the meta-test classes (classification) or is the same distribution (sinusoid)."""

    name = ""
    kind = REGRESSION
    loss = "mse"
    input_size = 1
    output_size = 1
    eval_queries = 100  # query points (per class for classification) a meta-test task is scored on
    defaults: dict[str, Any] = {}  # settings this family prefers when the user gives none

    def sample(self, random: np.random.Generator, shots: int, queries: int, test: bool = False) -> Task:
        raise NotImplementedError

    def check(self, shots: int, queries: int) -> None:
        """An NbdlError if a task cannot have ``shots`` + ``queries`` points (per class)."""


class Sinusoid(Family):
    """Finn et al. (2017): amplitude U[0.1, 5], phase U[0, pi], x U[-5, 5]; mean squared error."""

    name, kind, loss = "sinusoid", REGRESSION, "mse"
    input_size = output_size = 1
    eval_queries = 100
    defaults = {"inner_lr": 0.01}
    AMPLITUDE, PHASE, X = (0.1, 5.0), (0.0, np.pi), (-5.0, 5.0)

    def __init__(self, ways: int | None = None):
        self.ways = None

    def sample(self, random: np.random.Generator, shots: int, queries: int, test: bool = False) -> Task:
        amplitude, phase = random.uniform(*self.AMPLITUDE), random.uniform(*self.PHASE)
        x = random.uniform(*self.X, size=(shots + queries, 1))
        y = amplitude * np.sin(x - phase)
        x, y = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
        return Task(x[:shots], y[:shots], x[shots:], y[shots:], self.name, float(amplitude), float(phase))


@dataclass(eq=False)
class Digits(Family):
    """N-way K-shot episodes of scikit-learn's digits; each (digit, quarter turn) is a class."""

    ways: int = 5
    held_out: tuple[int, ...] = (6, 7, 8, 9)   # digits whose classes only meta-testing sees
    turns: tuple[int, ...] = (0, 1)            # quarter turns; 0 and 90 degrees
    images: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    name, kind, loss = "digits", CLASSIFICATION, "cross_entropy"
    input_size = 64
    eval_queries = 15
    defaults = {"inner_lr": 0.1}

    def __post_init__(self):
        from sklearn.datasets import load_digits  # scikit-learn ships the 1,797 images

        data = load_digits()
        pictures = data.images.astype(np.float32)  # (1797, 8, 8), values 0..16
        by_class = {}
        for digit in range(10):
            for turn in self.turns:
                turned = np.rot90(pictures[data.target == digit], k=turn, axes=(1, 2))
                by_class[(digit, turn)] = turned.reshape(len(turned), 64)
        self.train_classes = [c for c in by_class if c[0] not in self.held_out]
        self.test_classes = [c for c in by_class if c[0] in self.held_out]
        seen = np.concatenate([by_class[c] for c in self.train_classes])
        mean, deviation = seen.mean(axis=0), seen.std(axis=0)
        deviation[deviation < 1e-6] = 1.0  # corner pixels that are always blank
        self.mean, self.deviation = mean, deviation
        self.images = {c: ((x - mean) / deviation).astype(np.float32) for c, x in by_class.items()}
        self.smallest = min(len(x) for x in by_class.values())  # images of the smallest class

    @property
    def output_size(self) -> int:
        return self.ways

    @staticmethod
    def class_name(key: tuple[int, int]) -> str:
        return f"{key[0]} upright" if key[1] == 0 else f"{key[0]} turned {90 * key[1]}"

    def check(self, shots: int, queries: int) -> None:
        if shots + queries > self.smallest:
            raise NbdlError(f"a digits task draws shots + queries = {shots} + {queries} = {shots + queries} images of "
                            f"each class, but the smallest class has {self.smallest}; lower shots or queries so "
                            f"that they add up to at most {self.smallest}")

    def sample(self, random: np.random.Generator, shots: int, queries: int, test: bool = False) -> Task:
        self.check(shots, queries)
        pool = self.test_classes if test else self.train_classes
        chosen = [pool[i] for i in random.choice(len(pool), self.ways, replace=False)]
        support, query = [], []
        for label, key in enumerate(chosen):
            images = self.images[key]
            picked = images[random.choice(len(images), shots + queries, replace=False)]
            support.append((picked[:shots], np.full(shots, label)))
            query.append((picked[shots:], np.full(queries, label)))

        def stacked(parts):
            x = torch.from_numpy(np.concatenate([p[0] for p in parts]))
            return x, torch.from_numpy(np.concatenate([p[1] for p in parts]).astype(np.int64))
        return Task(*stacked(support), *stacked(query), self.name, classes=tuple(map(self.class_name, chosen)))


@dataclass(frozen=True)
class FamilyRecord:
    """A task family: ``make(ways)`` builds it (``ways`` is ignored by regression families)."""

    name: str
    make: Callable[[int], Family]
    kind: str
    description: str


families: Registry[FamilyRecord] = Registry("task family")
families.add("sinusoid", FamilyRecord("sinusoid", Sinusoid, REGRESSION,
                                      "Finn et al. 2017: y = A sin(x - phase), A in [0.1, 5], phase in [0, pi], "
                                      "x in [-5, 5]; K shots, mean squared error"))
_DIGITS: dict[int, Digits] = {}


def _digits(ways: int) -> Digits:
    """One Digits family per number of ways (loading and turning the images takes ~50 ms)."""
    if ways not in _DIGITS:
        _DIGITS[ways] = Digits(ways=ways)
    return _DIGITS[ways]


families.add("digits", FamilyRecord("digits", _digits, CLASSIFICATION,
                                    "N-way K-shot episodes of scikit-learn's 8x8 digits (each digit at 0 and 90 "
                                    "degrees is a class); the digits 6-9 are held out for meta-testing"))
HELD_OUT_CLASSES = len(Digits.held_out) * len(Digits.turns)   # the most ways a digits task can have
