"""Figures computed from a model for pictures: decision regions over 2-D data, a layer summary."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from . import features
from .errors import NbdlError
from .layers import shape_text
from .options import FLOAT, INT, TEXT, Option
from .tasks import CLASSIFICATION

# The arguments of the functions below, declared once and checked on the way in.
RESOLUTION = Option("resolution", 50, "grid points along each axis", kind=INT, low=2, high=1000)
MARGIN = Option("margin", 0.25, "room around the data, as a share of its extent", kind=FLOAT, low=0, high=10)
COUNT = Option("count", 8, "samples to show", kind=INT, low=1, high=256)
DRAWS = Option("draws", 3, "augmented versions of each", kind=INT, low=1, high=32)
START = Option("start", "The ", "the text the model continues", kind=TEXT)
LENGTH = Option("length", 200, "characters to write", kind=INT, low=0, high=100_000)
TEMPERATURE = Option("temperature", 0.8, "below 1 sharper, above 1 wilder", kind=FLOAT, low=0.01, high=100)
SEED = Option("seed", 0, "the seed the characters are drawn with", kind=INT, low=0, high=2**32 - 1)


def a_run(run: object, what: str) -> None:
    """Refuse anything but a run (from nbdl.train or nbdl.Run)."""
    if not all(hasattr(run, name) for name in ("model", "data", "dataset")):
        raise NbdlError(f"{what} takes a run (from nbdl.train or %nbdl train), got {type(run).__name__}")


@dataclass
class Grid:
    """Class probabilities over a grid of raw 2-D inputs: ``probabilities`` is (rows, cols, classes)."""

    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    probabilities: np.ndarray


def decision_grid(run, resolution: int = 50, margin: float = 0.25) -> Grid | None:
    """The model's class probabilities over the plane the data lies in; None unless 2-D classes."""
    a_run(run, "decision_grid")
    resolution, margin = RESOLUTION.check(resolution), MARGIN.check(margin)
    data = run.dataset
    plane = features.points(data)  # the 2-D points themselves, for data with input features
    if data.task != CLASSIFICATION or plane.shape[1:] != (2,):
        return None
    low, high = plane.min(axis=0), plane.max(axis=0)
    pad = (high - low) * margin
    low, high = low - pad, high + pad
    xs, ys = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    probabilities = run.predict_proba(points).reshape(resolution, resolution, -1)
    return Grid((float(low[0]), float(high[0]), float(low[1]), float(high[1])), probabilities)


@dataclass
class LayerRow:
    name: str          # the layer's text form
    output_shape: tuple[int, ...]
    parameters: int
    kind: str = ""     # the layer's type: dense, conv, ...
    color: str = "#e5e5e5"  # its colour in the network drawing, declared by the layer

    @property
    def shape_text(self) -> str:
        """``16``, ``8 x 8 x 16``, ``seq x 1`` (a sequence of any length), ``tokens``."""
        return " x ".join(shape_text(self.output_shape).replace(" ", "").split("x"))


def summary(network) -> list[LayerRow]:
    """One row per layer of an nbdl network (or a run's): text form, output shape, parameter count."""
    from .network import Network

    network = getattr(network, "model", network)
    if not isinstance(network, Network):
        raise NbdlError(f"summary takes an nbdl network (from nbdl.build or %%nbdl net) or its run, got "
                        f"{type(network).__name__}")
    spec, shapes = network.spec, network.spec.shapes(network.input_shape)
    modules = iter(network.layers)
    rows = []
    for layer, shape in zip(spec.layers, shapes):
        count = 0
        if layer.type != "input":
            module = next(modules, None)
            count = _count(module) if module is not None else 0
        rows.append(LayerRow(layer.to_text(), shape, count, layer.type, layer.color))
    return rows


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def first_filters(model: nn.Module):
    """The weights of the first convolution, (filters, channels, kernel, kernel), or None."""
    if not isinstance(model, nn.Module):
        raise NbdlError(f"first_filters takes a model (a run's .model), got {type(model).__name__}")
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return None if conv is None else conv.weight.detach().cpu()


def feature_maps(run, sample) -> list[tuple[str, np.ndarray]]:
    """What each image-shaped layer of an nbdl network outputs for one raw sample:
    (the layer's text form, an array (channels, height, width)), in order."""
    import torch

    from .network import Network

    a_run(run, "feature_maps")
    network = run.model
    if not isinstance(network, Network):
        raise NbdlError("feature_maps reads the layers of an nbdl network; this run trains a module of your own")
    x = run.data.transform(np.asarray(sample)[None])
    captured: list[tuple[str, np.ndarray]] = []
    hooks = []
    layers = [layer for layer in network.spec.layers if layer.type != "input"]
    for layer, block in zip(layers, network.layers):
        def keep(module, inputs, output, name=layer.to_text()):
            if output.dim() == 4:
                captured.append((name, output[0].detach().cpu().numpy()))
        hooks.append(block.register_forward_hook(keep))
    with run.lock:  # between two steps of a fit in another thread
        was_training = network.training
        network.eval()
        try:
            with torch.inference_mode():
                network(x)
        finally:
            network.train(was_training)
            for hook in hooks:
                hook.remove()
    return captured


def augmented_samples(run, count: int = 8, draws: int = 3) -> tuple[np.ndarray, list[np.ndarray]]:
    """The first ``count`` training samples and ``draws`` augmented versions of them, in the data's
    own units, drawn from a copy of the run's augmentation (the run's own draws are untouched)."""
    a_run(run, "augmented_samples")
    count, draws = COUNT.check(count), DRAWS.check(draws)
    if run.augmenter is None:
        raise NbdlError("this run has no augmentation; set augment='flip,rotate(10),...'")
    augmenter = run.augmenter.copy()
    X = run.data.train.X[:count]
    unscale = lambda t: t.detach().cpu().numpy() * run.data.std + run.data.mean  # noqa: E731
    return unscale(X), [unscale(augmenter(X)) for _ in range(draws)]


def forecast(run, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """One-step-ahead forecasts and the actual values over a split of a forecasting data set, in the
    series' own units (each window's last value added back), in time order."""
    a_run(run, "forecast")
    data = run.dataset
    if data.offset is None:
        raise NbdlError(f"{data.name!r} is not a forecasting data set; try data='co2' or 'sunspots'")
    part = run.data.part(split)
    rows = run.data.indices[split]
    predicted = run.data.untransform_target(run.outputs(part.X))[:, 0] + data.offset[rows]
    actual = run.data.untransform_target(part.y)[:, 0] + data.offset[rows]
    return predicted, actual


def sample_text(run, start: str = "The ", length: int = 200, temperature: float = 0.8, seed: int = 0) -> str:
    """Text written by a character-level model trained on ``data='text'``: each next character is
    drawn from the model's probabilities (sharper below temperature 1, wilder above)."""
    import torch

    a_run(run, "sample_text")
    start, length = START.check(start), LENGTH.check(length)
    temperature, seed = TEMPERATURE.check(temperature), SEED.check(seed)
    vocabulary = run.dataset.class_names
    if not run.dataset.tokens or not vocabulary:
        raise NbdlError("sample_text needs a run on data='text' (characters as tokens)")
    unknown = sorted(set(start) - set(vocabulary))
    if unknown or not start:
        raise NbdlError(f"start with some of the corpus's characters; not in it: {''.join(unknown)!r}")
    window = run.dataset.sample_shape[0]
    codes = [vocabulary.index(c) for c in start]
    generator = torch.Generator().manual_seed(seed)
    for _ in range(int(length)):
        x = torch.tensor([codes[-window:]], dtype=torch.float32, device=run.device)
        logits = run.outputs(x)[0, -1] / temperature  # the last step's prediction
        codes.append(int(torch.multinomial(torch.softmax(logits.float().cpu(), -1), 1, generator=generator)))
    return "".join(vocabulary[c] for c in codes)
