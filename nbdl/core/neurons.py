"""What every unit of a dense network computes over the plane of its 2-D inputs, and its weights:
the figures the network view (the TensorFlow Playground's picture) is drawn from.

The network is read in columns: the input, then one column per dense layer with the activation,
dropout and batch norm lines that follow it. A unit's output is the value at its column's end,
which is what the next dense layer's weights multiply, so ``weights[i]`` joins column ``i`` to
column ``i + 1`` exactly as drawn."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from . import features
from .diagnostics import MARGIN, RESOLUTION, a_run
from .errors import NbdlError
from .layers import Dense
from .network import Network
from .tasks import CLASSIFICATION

# Lines that belong to the column of the dense layer before them; a flatten of flat samples does nothing.
FOLLOWERS = ("activation", "dropout", "batchnorm", "flatten")


@dataclass
class Neurons:
    """Each unit's output over a grid of the input plane. The grid is in the data's own units:
    ``extent`` (x_min, x_max, y_min, y_max), ``xs`` and ``ys`` its coordinates; arrays are indexed
    (unit, row, col), row ``i`` at ``ys[i]``, col ``j`` at ``xs[j]``."""

    extent: tuple[float, float, float, float]
    xs: np.ndarray
    ys: np.ndarray
    inputs: np.ndarray           # (inputs, rows, cols): x1, x2 or the input features, into the first dense layer
    hidden: list[np.ndarray]     # per hidden column, (units, rows, cols)
    output: np.ndarray           # (outputs, rows, cols): class probabilities, or predictions in the target's units
    weights: list[np.ndarray]    # weights[i]: (units of column i + 1, units of column i); the last reaches the output
    biases: list[np.ndarray]     # biases[i]: (units of column i + 1,)
    lines: list[list[str]]       # each dense column's lines as text: ["dense 8 relu", "batchnorm"]

    @property
    def columns(self) -> list[np.ndarray]:
        """The inputs, every hidden column, and the output: (units, rows, cols) each."""
        return [self.inputs, *self.hidden, self.output]


def unsupported(run) -> str:
    """Why the network view cannot read ``run`` ('' when it can): it takes an nbdl network of dense,
    activation, dropout and batch norm lines on 2-D samples, for classes or one number."""
    a_run(run, "the network view")
    if not isinstance(run.model, Network):
        return "the network view reads the layers of an nbdl network; this run trains a module of your own"
    data = run.dataset
    if features.points(data).shape[1:] != (2,) or len(data.sample_shape) != 1:
        return (f"the network view draws networks on 2-D points (one plane, or input features made from it); this "
                f"data set's samples have shape {data.sample_shape}")
    if data.task != CLASSIFICATION and data.target_width != 1:
        return f"the network view draws one predicted number; this data set has {data.target_width} targets"
    layers = [layer for layer in run.model.spec.layers if layer.type != "input"]
    other = next((layer for layer in layers if not isinstance(layer, Dense) and layer.type not in FOLLOWERS), None)
    if other is not None:
        return (f"the network view draws dense, activation, dropout and batchnorm lines; this network has "
                f"'{other.to_text()}'")
    if not any(isinstance(layer, Dense) for layer in layers):
        return "the network view needs at least one dense layer"
    return ""


def columns(network: Network) -> tuple[list, list[tuple[list, list]]]:
    """The blocks before the first dense layer, and each dense column: its lines' specs (the dense
    layer's first) and their blocks (an output softmax taken off for the loss has none)."""
    before: list = []
    found: list[tuple[list, list]] = []
    blocks = iter(network.layers)
    for layer in [layer for layer in network.spec.layers if layer.type != "input"]:
        block = next(blocks, None)
        if isinstance(layer, Dense):
            found.append(([layer], [block]))
        elif found:
            found[-1][0].append(layer)
            found[-1][1].extend([block] if block is not None else [])
        elif block is not None:
            before.append(block)
    return before, found


def neurons(run, resolution: int = 40, margin: float = 0.25) -> Neurons:
    """Every unit's output over a ``resolution`` x ``resolution`` grid of the plane the data lies
    in (with ``margin`` of its extent around it), from one forward pass in eval mode without
    autograd; the grid's raw points are made into the run's input features (if any) and
    standardized as its training data was."""
    reason = unsupported(run)
    if reason:
        raise NbdlError(reason)
    resolution, margin = RESOLUTION.check(resolution), MARGIN.check(margin)
    plane = features.points(run.dataset)
    low, high = plane.min(axis=0).astype(float), plane.max(axis=0).astype(float)
    pad = (high - low) * margin
    low, high = low - pad, high + pad
    xs, ys = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # row-major: (rows * cols, 2)
    before, dense = columns(run.model)
    inputs, outputs, weights, biases = _forward(run, run.samples(points), before, [blocks for _, blocks in dense])
    if run.dataset.task == CLASSIFICATION:
        last = run.loss.probabilities(outputs[-1]).cpu().numpy()
    else:
        last = run.data.untransform_target(run.model.output(outputs[-1]))

    def grid(values) -> np.ndarray:  # (rows * cols, units) -> (units, rows, cols)
        values = values.cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
        return values.T.reshape(-1, resolution, resolution)

    return Neurons((float(low[0]), float(high[0]), float(low[1]), float(high[1])), xs, ys, grid(inputs),
                   [grid(o) for o in outputs[:-1]], grid(last), weights, biases,
                   [[spec.to_text() for spec in specs] for specs, _ in dense])


def _forward(run, x: torch.Tensor, before: list, dense: list[list]) -> tuple:
    """The input the first dense layer sees and each dense column's output (tensors), and the
    dense layers' weights and biases (arrays), read together between two steps of a fit."""
    network, outputs = run.model, []
    with run.lock:  # a fit in another thread never steps in eval mode, nor between these reads
        was_training = network.training
        network.eval()
        try:
            with torch.inference_mode():
                for block in before:
                    x = block(x)
                inputs = x
                for blocks in dense:
                    for block in blocks:
                        x = block(x)
                    outputs.append(x)
            weights = [blocks[0].linear.weight.detach().cpu().numpy().copy() for blocks in dense]
            biases = [blocks[0].linear.bias.detach().cpu().numpy().copy() for blocks in dense]
        finally:
            network.train(was_training)
    return inputs, outputs, weights, biases
