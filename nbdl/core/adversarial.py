"""Adversarial examples: FGSM and PGD attacks on a trained classifier, with epsilon in the units of
the input the user sees, and adversarial training as a change to each training batch.

Epsilon is the largest change to each input value in the data's own units (pixel intensities 0-16
for ``digits`` and ``digits_images``). The network sees standardized inputs ``(raw - mean) / std``,
so a raw step ``eps * sign(grad)`` is ``eps / std * sign(grad)`` there (the gradient's sign is the
same in both units). Perturbed inputs are clipped to the data's known raw range (``RANGES``, or the
``clip`` given). PGD (Madry et al. 2018) takes ``steps`` steps of ``step_size`` (default
``2.5 * eps / steps``), each projected back into the L-infinity ball of radius eps, from a random
start drawn with the run's seed. Gradients are taken in eval mode (no dropout draws, no batch-norm
statistics updated) and only with respect to the inputs: weights, mode and generators are left as
they were.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from . import batching
from .errors import NbdlError, spell
from .features import FeaturedDataset
from .interpret import SPLIT, evaluating
from .options import CHOICE, FLOAT, INT, REQUIRED, Option, split_values
from .registry import Entry, Registry, parse_call
from .tasks import CLASSIFICATION

# The raw range of data sets whose inputs have one (what perturbed inputs are clipped to).
RANGES: dict[str, tuple[float, float]] = {"digits": (0.0, 16.0), "digits_images": (0.0, 16.0)}
SWEEP = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)  # default epsilons, as shares of the data's range
CHUNK = 1024  # samples attacked at once

EPS = Option("eps", REQUIRED, "the largest change to each input value, in the data's own units", low=0, low_open=True)
STEPS = Option("steps", 10, "PGD's steps", kind=INT, low=1, high=1000)
STEP_SIZE = Option("step_size", 0.0, "the size of each PGD step in the data's units (0: 2.5 * eps / steps)", low=0)
COUNT = Option("count", 8, "examples kept for the picture", kind=INT, low=0, high=64)


@dataclass(frozen=True)
class Attack:
    """One attack: ``fgsm`` (one step of eps) or ``pgd`` (``steps`` steps of ``step_size``)."""

    method: str
    eps: float
    steps: int = 1
    step_size: float = 0.0
    random_start: bool = False

    @property
    def stride(self) -> float:
        """The size of one step in the data's units."""
        return self.eps if self.method == "fgsm" else self.step_size or 2.5 * self.eps / self.steps

    def text(self) -> str:
        return f"fgsm({self.eps:g})" if self.method == "fgsm" else f"pgd({self.eps:g}, {self.steps})"


class Attacks(Registry[Entry]):
    """The attack registry: like any, but an attack needs its epsilon (there is no default for it:
    its units are the data's)."""

    def parse(self, text: str) -> tuple[Entry, list[Any]]:
        record = self.get(text)
        _, args, keywords = parse_call(text, f"{record.name}(2)")
        if not args and "eps" not in keywords:
            raise NbdlError(f"attack {str(text).strip()!r} needs its epsilon, the largest change to each input value "
                            f"in the data's own units: for example {record.name}(2) for pixels 0-16")
        return super().parse(text)


attacks = Attacks("attack")
attacks.add("fgsm", Entry("fgsm", lambda eps: Attack("fgsm", eps), (EPS,),
                          help="fast gradient sign method: one step of eps along the gradient's sign"), ())
attacks.add("pgd", Entry("pgd", lambda eps, steps=10, step_size=0.0: Attack("pgd", eps, steps, step_size, True),
                         (EPS, STEPS, STEP_SIZE),
                         help="projected gradient descent: steps within the eps ball, from a random start"), ())
METHOD = Option("method", "fgsm", "the attack", kind=CHOICE, choices=tuple(attacks.names()))


def check_run(run: Any, what: str = "an attack") -> None:
    """Refuse runs an attack does not fit: only classifiers of amounts (not tokens, not sequences)."""
    data = run.dataset
    if data.task != CLASSIFICATION:
        raise NbdlError(f"{what} needs a classifier; this run does {data.task} (an adversarial example is one whose "
                        "class changes): train a classifier, for example on digits")
    if data.tokens:
        raise NbdlError(f"{what} changes input values by small amounts; this run's inputs are token codes, which "
                        "have no small changes: attack a classifier of numbers or images")
    if data.ordered or data.y.ndim == 2 or len(data.sample_shape) == 2:
        raise NbdlError(f"{what} is for classifiers of flat samples or images; this run's samples are sequences "
                        f"(shape {data.sample_shape})")
    if isinstance(data, FeaturedDataset):
        raise NbdlError(f"{what} changes the network's inputs, but this run's inputs are features "
                        f"({','.join(data.features)}) computed from 2-D points; train on the points themselves "
                        f"({spell('features', 'x1,x2', data_option=True)}) to attack them")


def data_range(run: Any, clip: Any = None) -> tuple[float, float] | None:
    """The raw range perturbed inputs are clipped to: ``clip`` (low, high), none for ``clip=False``,
    else the data set's known range (``RANGES``) or none."""
    if clip is False:
        return None
    if clip is None or clip is True:
        return RANGES.get(run.dataset.name)
    try:
        low, high = (float(v) for v in clip)
    except (TypeError, ValueError):
        raise NbdlError(f"clip must be (low, high) in the data's units, or False for none; got {clip!r:.40}") from None
    if not low < high:
        raise NbdlError(f"clip must be (low, high) with low < high, got ({low:g}, {high:g})")
    return low, high


class Perturber:
    """Makes perturbed copies of standardized samples for one run and attack. ``seed``: PGD's random start."""

    def __init__(self, run: Any, attack: Attack, clip: Any = None, seed: int = 0):
        self.run, self.attack = run, attack
        std = torch.as_tensor(run.data.std, device=run.device)  # (1, F) or (1, C, 1, 1)
        mean = torch.as_tensor(run.data.mean, device=run.device)
        self.radius, self.stride = attack.eps / std, attack.stride / std  # in standardized units
        found = data_range(run, clip)
        self.low, self.high = (None, None) if found is None else ((found[0] - mean) / std, (found[1] - mean) / std)
        self.generator = torch.Generator(device=run.device).manual_seed(seed) if attack.random_start else None

    def __call__(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``X`` moved within the eps ball to raise the loss; call it in eval mode (see ``evaluating``)."""
        start = X.detach()
        moved = start
        if self.generator is not None:
            noise = torch.rand(start.shape, generator=self.generator, device=start.device) * 2 - 1
            moved = self._within(start + noise * self.radius, start)
        with torch.enable_grad():
            for _ in range(self.attack.steps):
                moved = moved.clone().requires_grad_(True)
                # Summed, not averaged: the gradient of each sample stays far from float underflow.
                loss = self.run.loss(self.run.logits(moved), y) * len(moved)
                grad, = torch.autograd.grad(loss, moved)
                moved = self._within(moved.detach() + self.stride * grad.sign(), start)
        return moved.detach()

    def _within(self, moved: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
        moved = torch.minimum(torch.maximum(moved, start - self.radius), start + self.radius)
        if self.low is not None:
            moved = torch.minimum(torch.maximum(moved, self.low), self.high)
        return moved


def accuracy_under(run: Any, perturb: Perturber | None, X: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor,
                                                                                                       torch.Tensor]:
    """Accuracy on ``X`` perturbed (as is for None), the perturbed samples and their predictions."""
    moved, predicted = [], []
    with evaluating(run):
        for i in range(0, len(X), CHUNK):
            chunk = X[i:i + CHUNK] if perturb is None else perturb(X[i:i + CHUNK], y[i:i + CHUNK])
            with torch.no_grad():
                predicted.append(run.loss.predict(run.logits(chunk)))
            moved.append(chunk)
    predicted_all = torch.cat(predicted)
    return (predicted_all == y).float().mean().item(), torch.cat(moved), predicted_all


@dataclass(frozen=True, repr=False, eq=False)
class AttackResult:
    """Accuracy against epsilon on one split (``eps[0]`` is 0: the clean accuracy), and examples:
    ``clean`` (k, *shape) raw samples with their ``labels``, ``perturbed`` (eps, k, *shape) in the
    data's units and ``predicted`` (eps, k) labels; ``perturbation`` is their difference."""

    method: str
    split: str
    eps: np.ndarray
    accuracy: np.ndarray
    steps: int
    step_size: float  # PGD's, as given (0: 2.5 * eps / steps)
    indices: np.ndarray
    labels: np.ndarray
    clean: np.ndarray
    perturbed: np.ndarray
    predicted: np.ndarray
    class_names: list[str]
    sample_shape: tuple[int, ...]

    @property
    def perturbation(self) -> np.ndarray:
        return self.perturbed - self.clean[None]

    @property
    def images(self) -> bool:
        return len(self.sample_shape) == 3

    def by_eps(self) -> dict[float, float]:
        return {float(e): float(a) for e, a in zip(self.eps, self.accuracy)}

    def __repr__(self) -> str:
        steps = f", {self.steps} steps" if self.method == "pgd" else ""
        points = ", ".join(f"{e:g}: {a:.3f}" for e, a in self.by_eps().items())
        return f"AttackResult({self.method}{steps} on the {self.split} split; accuracy by eps {{{points}}})"


def epsilons(run: Any, eps: Any, clip: Any = None) -> list[float]:
    """The epsilons to try, 0 first: those given (a number, a list, or text '0.5,1'), or shares of
    the data's range (``SWEEP``: its known range, else the training data's span)."""
    if eps is None:
        found = data_range(run, clip)
        raw = run.data.raw("train")[0]
        span = found[1] - found[0] if found else float(raw.max() - raw.min()) or 1.0
        return [share * span for share in SWEEP]
    words = split_values(eps) if isinstance(eps, str) else list(np.ravel(eps)) if np.ndim(eps) else [eps]
    if not words:
        raise NbdlError("eps needs at least one epsilon, for example eps=[0.5, 1, 2]")
    given = [Option("eps", 0.0, kind=FLOAT, low=0).parse(w, "eps") for w in words]
    return sorted({0.0, *given})


def attack(run: Any, method: str = "fgsm", eps: Any = None, split: str = "test", steps: int = 10,
           step_size: float | None = None, random_start: bool = True, clip: Any = None, count: int = 8) -> AttackResult:
    """Accuracy of ``run``'s classifier on ``split`` under ``method`` (fgsm or pgd) at each epsilon
    (in the data's units; 0 is added: the clean accuracy), with ``count`` examples for the picture."""
    if not all(hasattr(run, name) for name in ("model", "data", "dataset", "loss", "lock")):  # a Run (config
        raise NbdlError(f"attack takes a run from nbdl.train, got {type(run).__name__}")
    check_run(run)  # imports this module, so the trainer's Run is not imported here)
    method = METHOD.check(method, "method")
    split, count = SPLIT.check(split, "split"), COUNT.check(count, "count")
    steps = STEPS.check(steps, "steps") if method == "pgd" else 1
    step_size = STEP_SIZE.check(step_size or 0.0, "step_size")
    if not isinstance(random_start, bool):
        raise NbdlError(f"random_start must be True or False, got {random_start!r}")
    part = run.data.part(split)
    found = epsilons(run, eps, clip)
    clean_accuracy, _, clean_predicted = accuracy_under(run, None, part.X, part.y)
    # The examples: the first samples classified right when clean (then wrong ones, if too few).
    order = torch.argsort((clean_predicted != part.y).to(torch.int8), stable=True)
    shown = order[:count]
    accuracies, perturbed, predicted = [clean_accuracy], [part.X[shown]], [clean_predicted[shown]]
    for e in found[1:]:
        chosen = Attack(method, e, steps, step_size, random_start and method == "pgd")
        accuracy, moved, labels = accuracy_under(run, Perturber(run, chosen, clip, run.config.seed), part.X, part.y)
        accuracies.append(accuracy)
        perturbed.append(moved[shown])
        predicted.append(labels[shown])
    std, mean = run.data.std, run.data.mean
    raw = np.stack([p.cpu().numpy() * std + mean for p in perturbed])
    return AttackResult(method, split, np.array(found), np.array(accuracies), steps, step_size, shown.cpu().numpy(),
                        part.y[shown].cpu().numpy(), raw[0], raw, torch.stack(predicted).cpu().numpy(),
                        list(run.dataset.class_names), run.dataset.sample_shape)


class AdversarialBatches:
    """Adversarial training (Goodfellow et al. 2014, alpha 0.5): the second half of every shuffled
    training batch is replaced by its perturbed version (targets unchanged), so the loss is half
    clean, half adversarial; at each epoch's end it logs ``val_robust_acc``, the validation accuracy
    under the same attack (``val_acc`` is the clean one): the trainer calls a batch change's
    ``on_epoch_end(run, logs)``, where it has one, as a callback."""

    def __init__(self, run: Any):
        check_run(run, "adversarial training")
        self.run, self.attack = run, attacks.make(run.config.adversarial)
        self.perturb = Perturber(run, self.attack, seed=run.config.seed)

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = len(xb) // 2
        with evaluating(self.run):
            moved = self.perturb(xb[half:], yb[half:])
        return torch.cat([xb[:half], moved]), yb

    def on_epoch_end(self, run, logs):
        if len(run.data.val):
            judge = Perturber(run, self.attack, seed=run.config.seed)  # the same random start every epoch
            logs["val_robust_acc"] = accuracy_under(run, judge, run.data.val.X, run.data.val.y)[0]


batching.add(batching.BatchChange("adversarial", lambda config: bool(getattr(config, "adversarial", None)),
                                  AdversarialBatches, help="half of each batch perturbed by the config's attack"))
