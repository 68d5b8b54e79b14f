"""What a classifier gets wrong and what it looks at: a confusion matrix, per-class accuracy, the
most confidently wrong examples, and saliency and integrated gradients for image classifiers."""
from __future__ import annotations

import base64
import contextlib
import struct
import zlib
from dataclasses import dataclass
from html import escape
from typing import Any, Iterator

import numpy as np
import torch

from .errors import NbdlError
from .options import CHOICE, INT, Option
from .tasks import CLASSIFICATION

SPLIT = Option("split", "test", "the split to read", kind=CHOICE, choices=("train", "val", "test"))
COUNT = Option("count", 16, "the most confidently wrong examples to keep", kind=INT, low=0, high=1000)
METHOD = Option("method", "saliency", "how to attribute the prediction to the pixels", kind=CHOICE,
                choices=("saliency", "integrated_gradients"))
SHOWN = 8  # samples explained when no indices are given
MOST = 256  # samples explained at once, at most
STEPS_AT_ONCE = 1024  # integrated gradients: images on the path through the network per pass
EXTRA = "pip install 'nbdl[interpret]'"


@dataclass(frozen=True)
class Mistake:
    """One wrong prediction: ``index`` into the split, ``row`` of the data set, the true and the
    predicted class, the predicted class's probability, and the raw input in the data's own units."""

    index: int
    row: int
    true: int
    predicted: int
    confidence: float
    x: np.ndarray


@dataclass(frozen=True, repr=False)
class Interpretation:
    """A classifier on one split: ``confusion`` (classes x classes counts, rows the true class,
    columns the predicted one), ``per_class_accuracy`` (the share of each true class predicted right,
    NaN for a class with no samples), ``per_class_count``, ``accuracy``, and ``mistakes``, the most
    confidently wrong examples, most confident first."""

    split: str
    class_names: list[str]
    confusion: np.ndarray
    per_class_accuracy: np.ndarray
    per_class_count: np.ndarray
    accuracy: float
    mistakes: list[Mistake]
    sample_shape: tuple[int, ...]
    feature_names: list[str] | None = None

    @property
    def wrong(self) -> int:
        return int(self.confusion.sum() - np.trace(self.confusion))

    @property
    def images(self) -> bool:
        return len(self.sample_shape) == 3

    def __repr__(self) -> str:
        return (f"Interpretation({self.split}: accuracy {self.accuracy:.4f} on {int(self.confusion.sum())} samples, "
                f"{self.wrong} wrong, {len(self.class_names)} classes)")

    def summary_html(self) -> str:
        total = int(self.confusion.sum())
        return (f"<p style='font-size:13px'><b>{escape(self.split)} split</b>: {total - self.wrong} of {total} "
                f"correct ({self.accuracy:.1%}); {self.wrong} wrong</p>")

    def confusion_html(self) -> str:
        """The confusion matrix as a table, each cell shaded by its share of the true class's samples,
        with each class's accuracy and sample count at the end of its row."""
        names = [escape(n) for n in self.class_names]
        cell = "padding:3px 7px;text-align:right;font-size:13px"
        head = "".join(f"<th style='{cell}'>{n}</th>" for n in names)
        rows = []
        for i, name in enumerate(names):
            share = self.confusion[i] / max(int(self.per_class_count[i]), 1)
            cells = "".join(
                f"<td style='{cell};background:rgba({'31,119,180' if j == i else '214,39,40'},{0.85 * s:.2f});"
                f"color:{'white' if s > 0.55 else 'black'}'>{int(c)}</td>"
                for j, (c, s) in enumerate(zip(self.confusion[i], share)))
            accuracy = self.per_class_accuracy[i]
            rows.append(f"<tr><th style='{cell}'>{name}</th>{cells}<td style='{cell}'>"
                        f"{'-' if np.isnan(accuracy) else f'{accuracy:.1%}'}</td>"
                        f"<td style='{cell}'>{int(self.per_class_count[i])}</td></tr>")
        return (f"<table class='nbdl-confusion'><caption style='caption-side:bottom;text-align:left;font-size:13px'>"
                "rows: the true class; columns: the predicted class; shaded by the share of the row</caption>"
                f"<thead><tr><th style='{cell}'>true \\ predicted</th>{head}"
                f"<th style='{cell}'>accuracy</th><th style='{cell}'>samples</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")

    def mistakes_html(self) -> str:
        """The most confidently wrong examples as a table: where, true, predicted, confidence, input
        (a small picture for images, the values otherwise)."""
        if not self.mistakes:
            return "<p style='font-size:13px'>no wrong predictions on this split</p>"
        said = f"<p style='font-size:13px'>the {len(self.mistakes)} most confidently wrong of {self.wrong}</p>"
        if self.images:
            cards = "".join(
                f"<div style='text-align:center;font-size:13px;width:92px'><img src='data:image/png;base64,"
                f"{base64.b64encode(png(m.x)).decode()}' style='width:64px;image-rendering:pixelated'><br>"
                f"true {escape(self.class_names[m.true])}<br>as {escape(self.class_names[m.predicted])} "
                f"{m.confidence:.0%}<br><span style='color:#666'>#{m.index}</span></div>" for m in self.mistakes)
            return f"{said}<div style='display:flex;flex-wrap:wrap;gap:6px'>{cards}</div>"
        cell = "padding:3px 7px;text-align:left;font-size:13px"
        flat = len(self.sample_shape) == 1
        width = self.sample_shape[0] if flat else 0
        shown = min(width, 8)
        names = [escape(n) for n in (self.feature_names or [f"x{i + 1}" for i in range(width)])[:shown]]
        columns = names + ([f"... ({width - shown} more)"] if width > shown else []) if flat else ["input"]
        head = "".join(f"<th style='{cell}'>{c}</th>" for c in
                       ["index", "row", "true", "predicted", "confidence", *columns])
        rows = []
        for m in self.mistakes:
            values = ([f"{v:.4g}" for v in m.x[:shown]] + (["..."] if width > shown else []) if flat
                      else [f"shape {' x '.join(map(str, m.x.shape))}, mean {float(np.mean(m.x)):.4g}"])
            cells = [m.index, m.row, escape(self.class_names[m.true]), escape(self.class_names[m.predicted]),
                     f"{m.confidence:.1%}", *values]
            rows.append("<tr>" + "".join(f"<td style='{cell}'>{c}</td>" for c in cells) + "</tr>")
        return (f"{said}<table class='nbdl-mistakes'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")

    def _repr_html_(self) -> str:
        return f"<div class='nbdl-interpret'>{self.summary_html()}{self.confusion_html()}{self.mistakes_html()}</div>"


def png(image: np.ndarray) -> bytes:
    """A (channels, height, width) image as PNG bytes, scaled to its own range: three channels in
    colour, otherwise the first one in grey (dark = large, as the data pictures draw digits)."""
    image = np.asarray(image, dtype=np.float64)
    low, high = float(image.min()), float(image.max())
    scaled = np.uint8(np.round(255 * (image - low) / (high - low))) if high > low else np.zeros(image.shape, np.uint8)
    if scaled.shape[0] == 3:
        pixels, colour = np.ascontiguousarray(scaled.transpose(1, 2, 0)), 2
    else:
        pixels, colour = 255 - scaled[0], 0
    height, width = pixels.shape[:2]
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)  # each scan line starts with filter 0

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def classifier(run: Any, what: str) -> None:
    """Refuse anything but a run that tells one class per sample."""
    if not all(hasattr(run, name) for name in ("model", "data", "dataset", "loss")):
        raise NbdlError(f"{what} takes a run (from nbdl.train or %nbdl train), got {type(run).__name__}")
    data = run.dataset
    if data.task != CLASSIFICATION:
        raise NbdlError(f"{what} reads a classifier (a confusion matrix needs classes); this run on {data.name!r} does "
                        "regression: measure it with run.evaluate(), which gives mse and mae")
    if data.y.ndim != 1:
        raise NbdlError(f"{what} reads one class per sample; this run on {data.name!r} predicts a class at every "
                        f"step (targets of shape {data.y.shape[1:]} per sample)")


def interpret(run: Any, split: str = "test", count: int = 16) -> Interpretation:
    """The confusion matrix, per-class accuracy and the ``count`` most confidently wrong examples of
    a classification run on ``split``."""
    classifier(run, "interpret")
    split, count = SPLIT.check(split), COUNT.check(count)
    part = run.data.part(split)
    logits = run.outputs(part.X)
    probabilities = run.loss.probabilities(logits).float().cpu().numpy()
    predicted = run.loss.predict(logits).cpu().numpy()
    true = part.y.cpu().numpy()
    k = run.dataset.n_classes
    confusion = np.bincount(true * k + predicted, minlength=k * k).reshape(k, k)
    counts = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(counts > 0, np.diag(confusion) / counts, np.nan)
    confidence = probabilities[np.arange(len(predicted)), predicted]
    wrong = np.flatnonzero(predicted != true)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    raw, _ = run.data.raw(split)
    rows = run.data.indices[split]
    mistakes = [Mistake(int(i), int(rows[i]), int(true[i]), int(predicted[i]), float(confidence[i]), raw[i])
                for i in worst]
    return Interpretation(split, names(run), confusion, per_class, counts, float(np.trace(confusion) / len(true)),
                          mistakes, run.dataset.sample_shape, _raw_names(run, raw))


def _raw_names(run: Any, raw: np.ndarray) -> list[str] | None:
    """The names of the raw inputs the mistakes hold: the data's own columns, or the plane's x1, x2
    for a run on input features (whose columns are computed from those two)."""
    names = run.dataset.feature_names
    if names is not None and raw.ndim == 2 and len(names) != raw.shape[1]:
        return [f"x{i + 1}" for i in range(raw.shape[1])]
    return names


def names(run: Any) -> list[str]:
    return [str(n) for n in run.dataset.class_names or range(run.dataset.n_classes)]


@dataclass(frozen=True)
class Attribution:
    """How much each input value moved the score of class ``target``: ``values`` is aligned with
    ``inputs`` (raw samples, (n, channels, height, width)); ``delta`` is integrated gradients'
    convergence error per sample (the sum of the values minus F(x) - F(baseline)), None for saliency."""

    method: str
    split: str
    indices: np.ndarray
    inputs: np.ndarray
    values: np.ndarray
    target: np.ndarray
    true: np.ndarray
    probabilities: np.ndarray
    class_names: list[str]
    delta: np.ndarray | None = None


def scores(run: Any):
    """The class scores as a function of raw samples: the logits of the standardized input (for
    one sigmoid output z, the scores of the two classes are -z and z)."""
    mean = torch.as_tensor(run.data.mean, device=run.device)
    std = torch.as_tensor(run.data.std, device=run.device)

    def forward(raw: torch.Tensor) -> torch.Tensor:
        logits = run.logits((raw - mean) / std)
        return torch.cat([-logits, logits], dim=1) if run.loss.name == "bce" else logits
    return forward


@contextlib.contextmanager
def evaluating(run: Any) -> Iterator[None]:
    """The model in eval mode with autograd on, between two steps of a fit in another thread."""
    with run.lock:
        was_training = run.model.training
        run.model.eval()
        try:
            with torch.enable_grad():
                yield
        finally:
            run.model.train(was_training)


def attributions(run: Any, split: str = "test", indices: Any = None, method: str = "saliency",
                 target: Any = None) -> Attribution:
    """Saliency (|d score / d pixel|) or integrated gradients (from a blank image: zero in the
    data's own units) of the samples ``indices`` of ``split`` (the first 8 by default) for the class
    ``target``: the predicted one (None), the true one ("true") or a class number."""
    classifier(run, "attributions")
    split, method = SPLIT.check(split), METHOD.check(method)
    if len(run.dataset.sample_shape) != 3:
        raise NbdlError(f"attributions are for image classifiers (samples of shape channels x height x width); "
                        f"this run's samples have shape {run.dataset.sample_shape}")
    try:
        from captum.attr import IntegratedGradients, Saliency
    except ImportError:
        raise NbdlError(f"attributions need captum, an optional extra: {EXTRA}") from None
    part = run.data.part(split)
    indices = chosen(indices, len(part), split)
    raw = torch.as_tensor(run.data.raw(split)[0][indices], device=run.device)
    true = part.y.cpu().numpy()[indices]
    probabilities = run.loss.probabilities(run.outputs(part.X[indices])).float().cpu().numpy()
    targets = explained(target, probabilities.argmax(axis=1), true, run.dataset.n_classes)
    forward = scores(run)
    goal = torch.as_tensor(targets, device=run.device)
    delta = None
    with evaluating(run):
        if method == "saliency":
            values = Saliency(forward).attribute(raw.clone().requires_grad_(), target=goal, abs=True)
        else:
            values, delta = IntegratedGradients(forward).attribute(
                raw, baselines=torch.zeros_like(raw), target=goal, n_steps=64,
                internal_batch_size=STEPS_AT_ONCE, return_convergence_delta=True)
            delta = delta.detach().cpu().numpy()
    return Attribution(method, split, indices, raw.cpu().numpy(), values.detach().cpu().numpy(), targets, true,
                       probabilities, names(run), delta)


def chosen(indices: Any, size: int, split: str) -> np.ndarray:
    """The sample indices asked for, checked against the split's size."""
    if indices is None:
        return np.arange(min(SHOWN, size))
    if isinstance(indices, (int, np.integer)):
        indices = [indices]
    if isinstance(indices, (str, bytes)) or not hasattr(indices, "__iter__"):
        raise NbdlError(f"indices must be a list of sample numbers of the {split} split, got {indices!r}")
    indices = list(indices)
    if not 1 <= len(indices) <= MOST:
        raise NbdlError(f"indices must name between 1 and {MOST} samples, got {len(indices)}")
    one = Option(kind=INT, low=0, high=size - 1)
    return np.array([one.check(i, subject=f"an index of the {split} split ({size} samples)") for i in indices])


def explained(target: Any, predicted: np.ndarray, true: np.ndarray, classes: int) -> np.ndarray:
    """The class each sample's attribution explains."""
    if target is None or (isinstance(target, str) and target.strip().lower() == "predicted"):
        return predicted
    if isinstance(target, str) and target.strip().lower() == "true":
        return true
    label = Option(kind=INT, low=0, high=classes - 1).check(
        target, subject="target (None for the predicted class, 'true' for the true one, or a class number)")
    return np.full(len(predicted), label)
