"""The loss landscape around trained weights: along the straight line between two runs' weights
(Goodfellow et al. 2015; small against large batches as Keskar et al. 2017), and over a plane
spanned by two filter-normalised random directions, or by the two principal directions of a
recorded training trajectory, with that trajectory projected on it (Li et al. 2018).

The weights are changed in place for each evaluation and put back bit for bit afterwards."""
from __future__ import annotations

import contextlib
import inspect
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch

from .callbacks import Callback
from .errors import NbdlError
from .options import INT, Option
from .tasks import CLASSIFICATION

RESOLUTION = Option("resolution", 21, "grid points along each side of the plane", kind=INT, low=3, high=201)
SPAN = Option("span", 1.0, "how far the plane reaches along each direction (1: one weight norm)", low=0,
              low_open=True, high=100)
SAMPLES = Option("samples", 4096, "the most samples of the split the loss is measured on", kind=INT, low=1)
SEED = Option("seed", 0, "the seed of the plane's random directions", kind=INT, low=0)
MOST = Option("most", 100, "the most snapshots a trajectory keeps", kind=INT, low=3)
MAX_BYTES = Option("max_bytes", 256e6, "the most memory a trajectory's snapshots take", low=0, low_open=True)


class Trajectory(Callback):
    """Records the trainable weights, flattened, at the start of training and after each epoch, for
    ``plane`` to project. At most ``most`` snapshots are kept (also at most ``max_bytes``): past that
    every other one is dropped (the first and the newest stay), so a long run keeps an even spread."""

    adds_figures = False

    def __init__(self, most: int = 100, max_bytes: float = 256e6):
        self.most = MOST.check(most, "most")
        self.max_bytes = MAX_BYTES.check(max_bytes, "max_bytes")
        self.snapshots: list[torch.Tensor] = []
        self.epochs: list[int] = []
        self.names: list[str] = []

    def on_fit_start(self, run):
        if not self.snapshots:
            self.record(run)

    def on_epoch_end(self, run, logs):
        self.record(run)

    def record(self, run: Any) -> None:
        names, flat = flat_weights(run.model)
        if self.names and names != self.names:
            raise NbdlError("this trajectory was recorded on another network; give each run a Trajectory of its own")
        self.names = names
        if self.snapshots and self.epochs[-1] == run.epoch:
            self.snapshots[-1] = flat
        else:
            self.snapshots.append(flat)
            self.epochs.append(run.epoch)
        most = max(3, min(self.most, int(self.max_bytes // max(flat.numel() * 4, 1))))
        if len(self.snapshots) > most:  # keep the first, every other one after it, and the newest
            keep = sorted(set(range(0, len(self.snapshots) - 1, 2)) | {len(self.snapshots) - 1})
            self.snapshots = [self.snapshots[i] for i in keep]
            self.epochs = [self.epochs[i] for i in keep]


def flat_weights(model: torch.nn.Module) -> tuple[list[str], torch.Tensor]:
    """The trainable parameters' names and their values in one float32 vector on the CPU."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [n for n, _ in named], torch.cat([p.detach().reshape(-1).float().cpu() for _, p in named])


@dataclass
class Line:
    """The loss (and accuracy, for classes) at ``alphas`` along (1 - alpha) * weights_a + alpha * weights_b."""

    alphas: np.ndarray
    losses: dict[str, np.ndarray]
    accuracies: dict[str, np.ndarray]
    names: tuple[str, str] = ("a", "b")


@dataclass
class Plane:
    """The loss over ``weights + a * d1 + b * d2`` for the grid ``a`` x ``b``: ``losses`` has shape
    (len(b), len(a)). ``path``: the trajectory's (n, 2) coordinates in the plane, with ``epochs``;
    ``explained``: the share of the trajectory's variance along each direction (PCA planes)."""

    a: np.ndarray
    b: np.ndarray
    losses: np.ndarray
    split: str
    centre_loss: float
    method: str
    labels: tuple[str, str]
    path: np.ndarray | None = None
    epochs: list[int] | None = None
    explained: tuple[float, float] | None = None


@contextlib.contextmanager
def weights_restored(run: Any) -> Iterator[dict[str, torch.Tensor]]:
    """The model's floating-point state (parameters and buffers) to change in place; every value is put
    back exactly as it was when the block ends, however it ends."""
    if getattr(run, "training", False):
        raise NbdlError("this run is training; stop it before measuring its loss landscape")
    state = {k: v for k, v in run.model.state_dict().items() if v.is_floating_point()}
    saved = {k: v.clone() for k, v in state.items()}
    try:
        yield state
    finally:
        with torch.no_grad():
            for key, value in state.items():
                value.copy_(saved[key])


def measure(run: Any, split: str, samples: int | None = None) -> tuple[float, float | None]:
    """The run's loss on (the first ``samples`` of) a split, and its accuracy for classes; eval mode."""
    part = run.data.part(split)
    X, y = (part.X, part.y) if samples is None else (part.X[:samples], part.y[:samples])
    logits = run.outputs(X)
    loss = run.loss(logits, y).item()
    accuracy = run.loss.correct(logits, y).item() / y.numel() if run.dataset.task == CLASSIFICATION else None
    return loss, accuracy


def _check_same_setting(run_a: Any, run_b: Any) -> None:
    if not (hasattr(run_a, "model") and hasattr(run_b, "model") and hasattr(run_b, "data")):
        raise NbdlError(f"interpolate takes two runs (from nbdl.train), got {type(run_a).__name__} and "
                        f"{type(run_b).__name__}")
    for split in ("train", "val"):
        a, b = run_a.data.part(split), run_b.data.part(split)
        if a.X.shape != b.X.shape or not (torch.equal(a.X.cpu(), b.X.cpu()) and torch.equal(a.y.cpu(), b.y.cpu())):
            raise NbdlError(f"the two runs were trained on different {split} data ({len(a)} and {len(b)} samples, or "
                            "other samples); the line between them is only comparable on the same split: train both "
                            "on the same data with the same seed, val_split and test_split")
    shapes_a = {k: tuple(v.shape) for k, v in run_a.model.state_dict().items()}
    shapes_b = {k: tuple(v.shape) for k, v in run_b.model.state_dict().items()}
    if shapes_a != shapes_b:
        differ = sorted(k for k in set(shapes_a) | set(shapes_b) if shapes_a.get(k) != shapes_b.get(k))
        raise NbdlError(f"the two runs' networks differ ({', '.join(differ[:4])}: "
                        f"{[shapes_a.get(k) for k in differ[:4]]} against {[shapes_b.get(k) for k in differ[:4]]}); "
                        "interpolate between runs of the same network")
    if run_a.loss.name != run_b.loss.name:
        raise NbdlError(f"the two runs use different losses ({run_a.loss.name} and {run_b.loss.name})")


def of_run(run: Any, other: Any = None, **options: Any) -> "Line | Plane":
    """``run.landscape(other, **options)``: the line to ``other`` (``interpolate``'s options), or the
    plane around ``run`` (``plane``'s options); an option the chosen one does not take is refused."""
    chosen = interpolate if other is not None else plane
    takes = [name for name in inspect.signature(chosen).parameters][2 if other is not None else 1:]
    unknown = sorted(set(options) - set(takes))
    if unknown:
        what = "the line to another run" if other is not None else "the plane around a run (no other run given)"
        raise NbdlError(f"{what} takes no {', '.join(map(repr, unknown))}; it takes {', '.join(takes)}")
    return chosen(run, other, **options) if other is not None else chosen(run, **options)


def interpolate(run_a: Any, run_b: Any, alphas: Any = None, splits: tuple[str, ...] = ("train", "val"),
                samples: int | None = None) -> Line:
    """The loss along the straight line from ``run_a``'s weights (alpha 0) to ``run_b``'s (alpha 1),
    by default at 41 points from -0.5 to 1.5, on the training and validation data they share.
    Batch-norm statistics are interpolated with the weights. Both runs keep their weights."""
    _check_same_setting(run_a, run_b)
    try:
        alphas = np.linspace(-0.5, 1.5, 41) if alphas is None else np.asarray(alphas, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        alphas = np.empty(0)
    if alphas.size == 0 or not np.isfinite(alphas).all():
        raise NbdlError("alphas must be a non-empty list of finite numbers (0 is run_a, 1 is run_b)")
    samples = None if samples is None else SAMPLES.check(samples, "samples")
    splits = tuple(s for s in splits if len(run_a.data.part(s)))
    if not splits:
        raise NbdlError("the line needs at least one split with samples, for example splits=('train', 'val')")
    other = {k: v.to(run_a.device) for k, v in run_b.model.state_dict().items() if v.is_floating_point()}
    losses = {s: np.empty(len(alphas)) for s in splits}
    accuracies = {s: np.empty(len(alphas)) for s in splits} if run_a.dataset.task == CLASSIFICATION else {}
    with weights_restored(run_a) as state, torch.no_grad():
        start = {k: v.clone() for k, v in state.items()}
        for i, alpha in enumerate(alphas):
            for key, value in state.items():
                value.copy_(torch.lerp(start[key], other[key], float(alpha)))
            for split in splits:
                losses[split][i], accuracy = measure(run_a, split, samples)
                if accuracies:
                    accuracies[split][i] = accuracy
    return Line(alphas, losses, accuracies)


def filter_normalised(direction: dict[str, torch.Tensor], weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each row of a weight's direction (a neuron's incoming weights, a convolution's filter: index 0)
    scaled to the norm of the same row of the weight; biases and norm layers' parameters (1-D) get 0."""
    scaled = {}
    for key, d in direction.items():
        w = weights[key]
        if w.dim() <= 1:
            scaled[key] = torch.zeros_like(w)
            continue
        d_rows, w_rows = d.reshape(d.shape[0], -1), w.reshape(w.shape[0], -1)
        factor = w_rows.norm(dim=1, keepdim=True) / d_rows.norm(dim=1, keepdim=True).clamp_min(1e-12)
        scaled[key] = (d_rows * factor).reshape(w.shape)
    return scaled


def random_directions(run: Any, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Two filter-normalised Gaussian directions over the run's trainable parameters."""
    generator = torch.Generator().manual_seed(seed)
    weights = {n: p.detach() for n, p in run.model.named_parameters() if p.requires_grad}
    return [filter_normalised({n: torch.randn(w.shape, generator=generator, dtype=w.dtype).to(w.device)
                               for n, w in weights.items()}, weights) for _ in range(2)]


def pca_directions(run: Any, trajectory: Trajectory) -> tuple[list[dict[str, torch.Tensor]], np.ndarray, tuple]:
    """The trajectory's two principal directions (unit vectors, as weights by name), the snapshots'
    coordinates along them relative to the run's weights now, and the share of variance each explains."""
    names, now = flat_weights(run.model)
    if trajectory.names != names or not trajectory.snapshots or trajectory.snapshots[0].numel() != now.numel():
        raise NbdlError("the trajectory was not recorded on this run's network; record it with "
                        "nbdl.train(..., callbacks=[Trajectory()]) on this run")
    if len(trajectory.snapshots) < 3:
        raise NbdlError(f"the trajectory holds {len(trajectory.snapshots)} snapshot(s); its plane needs at least 3 "
                        "(train 2 epochs or more with the Trajectory callback)")
    moves = torch.stack(trajectory.snapshots).double() - now.double()  # (snapshots, weights)
    centred = moves - moves.mean(dim=0)
    _, values, vt = torch.linalg.svd(centred, full_matrices=False)
    variance = values ** 2
    if variance[1] <= 0:
        raise NbdlError("the trajectory does not move in two directions (all snapshots on one line); train longer")
    explained = tuple(float(v) for v in variance[:2] / variance.sum())
    path = (moves @ vt[:2].T).numpy()  # (snapshots, 2)
    directions = []
    for row in vt[:2].float():
        pieces, start = {}, 0
        for name, p in run.model.named_parameters():
            if p.requires_grad:
                pieces[name] = row[start:start + p.numel()].reshape(p.shape).to(p.device, p.dtype)
                start += p.numel()
        directions.append(pieces)
    return directions, path, explained


def recorded_trajectory(run: Any) -> Trajectory | None:
    """A Trajectory given to the run when it was made (``nbdl.train(..., callbacks=[Trajectory()])``)."""
    found = [c for c in getattr(run, "callbacks", []) if isinstance(c, Trajectory) and c.snapshots]
    return found[-1] if found else None


def _axis(low: float, high: float, resolution: int) -> np.ndarray:
    pad = 0.25 * max(high - low, 1e-3)
    return np.linspace(low - pad, high + pad, resolution)


def plane(run: Any, resolution: int = 21, span: float = 1.0, seed: int = 0, split: str = "train",
          trajectory: "Trajectory | bool | None" = None, samples: int | None = 4096) -> Plane:
    """The loss over a plane through the run's weights: spanned by two filter-normalised random
    directions from ``seed`` (each reaching ``span`` weight norms either way), or, when a trajectory
    is given or was recorded on the run, by its two principal directions, with its path projected
    (``trajectory=False``: the random plane even so).
    The loss is measured on at most ``samples`` samples of ``split``; the weights are restored exactly."""
    resolution = RESOLUTION.check(resolution, "resolution")
    span = SPAN.check(span, "span")
    samples = None if samples is None else SAMPLES.check(samples, "samples")
    seed = SEED.check(seed, "seed")
    if not len(run.data.part(split)):
        raise NbdlError(f"the {split} split of this run is empty; measure the plane on 'train' or 'val'")
    if trajectory is not None and trajectory is not False and not isinstance(trajectory, Trajectory):
        raise NbdlError(f"trajectory takes a Trajectory recorded on this run (or False for random directions), got "
                        f"{type(trajectory).__name__}")
    if trajectory is None:
        trajectory = recorded_trajectory(run)
    path = explained = epochs = None
    if trajectory:
        directions, path, explained = pca_directions(run, trajectory)
        epochs = list(trajectory.epochs)
        a, b = _axis(min(path[:, 0].min(), 0), max(path[:, 0].max(), 0), resolution), \
            _axis(min(path[:, 1].min(), 0), max(path[:, 1].max(), 0), resolution)
        method = "PCA of the training trajectory"
        labels = (f"1st PCA direction ({100 * explained[0]:.1f}% of variance)",
                  f"2nd PCA direction ({100 * explained[1]:.1f}%)")
    else:
        directions = random_directions(run, seed)
        a = b = np.linspace(-span, span, resolution)
        method = "filter-normalised random directions"
        labels = ("direction 1 (filter-normalised)", "direction 2 (filter-normalised)")
    losses = np.empty((len(b), len(a)))
    with weights_restored(run) as state, torch.no_grad():
        centre = {k: state[k].clone() for k in directions[0]}
        centre_loss = measure(run, split, samples)[0]
        for j, beta in enumerate(b):
            for i, alpha in enumerate(a):
                for key, value in centre.items():
                    state[key].copy_(value + float(alpha) * directions[0][key] + float(beta) * directions[1][key])
                losses[j, i] = measure(run, split, samples)[0]
    return Plane(np.asarray(a), np.asarray(b), losses, split, centre_loss, method, labels, path, epochs, explained)
