"""Backpropagation by hand: the chain rule written out layer by layer in numpy (float64) for a small
network of dense layers, checked against torch's autograd and central finite differences.

Forward, a dense layer computes ``z = a_prev W^T + b`` and ``a = f(z)``. Backward, its delta is
``dL/dz = dL/da * f'(z)`` (the local derivative ``f'(z)`` times what comes back from above); then
``dL/dW = delta^T a_prev``, ``dL/db`` is delta summed over the batch, and ``dL/da_prev = delta W``
goes on to the layer below. A classifier's softmax output is folded into cross-entropy, as the
trainer does: the softmax's Jacobian times the loss's derivative collapses to
``delta = (p - y) / N`` (p the probabilities, y the one-hot targets, N the samples), and a sigmoid
output with binary cross-entropy to ``(sigmoid(z) - y) / N``.

The loss is the run's own, on ``samples`` of its (standardized) training samples, plus its L1/L2
penalty on the trainable weight matrices exactly as training adds it (``l1 * sign(W) + 2 * l2 * W``
joins dW). No dropout, batch norm or augmentation: those layers are refused. Central differences
``(L(w + h) - L(w - h)) / 2h`` with ``h = 1e-6`` in float64 check every parameter of a network of up
to ``FULL_CHECK`` parameters, else ``FINITE_ENTRIES`` of them drawn once with a fixed seed.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import activations
from .backprop_report import GradientCheck, LayerCheck, Summary
from .errors import NbdlError, spell
from .network import Network
from .options import INT, Option
from .tasks import CLASSIFICATION

SAMPLES = Option("samples", 8, "training samples in the batch the gradients are computed on", kind=INT, low=1, high=256)
MAX_PARAMETERS = 100_000  # the hand computation is quick; the finite differences and the table are what grow
FULL_CHECK = 2_000        # finite differences on every parameter up to this many
FINITE_ENTRIES = 500      # else on this many, drawn with FINITE_SEED
FINITE_SEED = 0
STEP = 1e-6               # central differences in float64: rounding ~1e-16 / h, truncation ~h^2
SUPPORTED_LAYERS = ("input", "dense", "activation")
FOLDED_LOSSES = {"softmax": "cross_entropy", "sigmoid": "bce"}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|


def _phi(z: np.ndarray) -> np.ndarray:  # the standard normal CDF
    return 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))


# name: (f(z, *numbers), f'(z, a, *numbers)) with a = f(z); the numbers are the registry's (slope, alpha).
DERIVATIVES: dict[str, tuple[Any, Any]] = {
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(np.float64)),
    "leaky_relu": (lambda z, s: np.where(z > 0, z, s * z), lambda z, a, s: np.where(z > 0, 1.0, s)),
    "elu": (lambda z, al: np.where(z > 0, z, al * np.expm1(z)), lambda z, a, al: np.where(z > 0, 1.0, al * np.exp(z))),
    "gelu": (lambda z: z * _phi(z), lambda z, a: _phi(z) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)),
    "swish": (lambda z: z * _sigmoid(z), lambda z, a: _sigmoid(z) * (1.0 + z * (1.0 - _sigmoid(z)))),
}


@dataclass
class _Step:
    """One layer of the hand computation: a dense layer (weight, bias) or an activation on its own."""

    text: str
    activation: str
    numbers: tuple[float, ...]
    folded: bool                       # an output softmax/sigmoid folded into the loss
    parameters: list[torch.nn.Parameter] = field(default_factory=list)  # the float64 copy's weight, bias
    penalized: bool = False            # its weight is trainable, so the run's penalty applies

    @property
    def weight(self) -> np.ndarray | None:
        return self.parameters[0].detach().numpy() if self.parameters else None

    @property
    def bias(self) -> np.ndarray | None:
        return self.parameters[1].detach().numpy() if len(self.parameters) > 1 else None


def gradient_check(run: Any, samples: int = 8) -> GradientCheck:
    """The gradients of the run's loss on ``samples`` training samples, by hand (the chain rule in
    numpy), by autograd and by central differences, layer by layer; shows itself as a table."""
    if not all(hasattr(run, name) for name in ("model", "data", "dataset", "loss", "config")):
        raise NbdlError(f"gradient_check takes a run (from nbdl.train or nbdl.Run), got {type(run).__name__}")
    samples = SAMPLES.check(samples, spell("samples"))
    if not isinstance(run.model, Network):
        raise NbdlError("gradient_check writes out the chain rule for nbdl networks (from %%nbdl net or nbdl.build); "
                        "this run trains a torch module of your own")
    with run.lock:  # a whole state, not one half-way through a step in another thread
        model = copy.deepcopy(run.model).to(device="cpu", dtype=torch.float64).eval()
        trainable = [p.requires_grad for p in run.model.parameters()]
    for parameter in model.parameters():
        parameter.requires_grad_(True)  # a frozen layer's gradient is shown too (the optimizer skips it)
    classify = run.dataset.task == CLASSIFICATION
    steps = _steps(model, classify, run.loss.name, trainable)
    X = run.data.train.X[:samples].detach().cpu().double()
    y = run.data.train.y[:samples].detach().cpu()
    y = y if classify else y.double()
    l1, l2 = float(run.config.l1 or 0.0), float(run.config.l2 or 0.0)

    def loss_of(network: Network) -> torch.Tensor:  # what training minimizes, in float64
        loss = run.loss(network.logits(X) if classify else network(X), y)
        weights = [p for step in steps if step.penalized for p in step.parameters[:1]]
        return loss + sum(l1 * w.abs().sum() + l2 * w.pow(2).sum() for w in weights)

    hand, records, value, output = _by_hand(steps, X.numpy(), y.numpy(), run.loss.name, l1, l2)
    parameters = [p for step in steps for p in step.parameters]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny products: one thread is ~4x quicker than two on a busy machine
    try:
        automatic = loss_of(model)
        autograd = [g.numpy() for g in torch.autograd.grad(automatic, parameters)] if parameters else []
        with torch.no_grad():
            reference = (model.logits(X) if classify else model(X)).numpy()
        finite = _finite_differences(lambda: float(loss_of(model)), parameters)
    finally:
        torch.set_num_threads(threads)
    rows, at = [], 0
    for step, record in zip(steps, records):
        count = len(step.parameters)
        rows.append(_row(step, record, hand[at:at + count], autograd[at:at + count], finite[at:at + count]))
        at += count
    return GradientCheck(rows=rows, loss=run.loss.name, samples=len(X), value=value, autograd_value=float(automatic.detach()),
                         l1=l1, l2=l2, forward_difference=float(np.abs(output - reference).max()),
                         hand=hand, autograd=autograd, finite=finite)


def _steps(model: Network, classify: bool, loss: str, trainable: list[bool]) -> list[_Step]:
    """The layers as hand steps; anything the hand-written chain rule does not cover is refused here."""
    spec = model.spec
    for layer in spec.layers:
        if layer.type not in SUPPORTED_LAYERS:
            raise NbdlError(f"{_where(layer)}'{layer.to_text()}' is a {layer.type} layer; gradient_check writes out the "
                            f"chain rule for {', '.join(SUPPORTED_LAYERS)} layers only: check a network without it")
    shape = tuple(model.input_shape)  # from the input line, or from the data when there is none
    if len(shape) != 1 or shape == (0,):
        raise NbdlError(f"gradient_check takes a network on flat samples ('input N'); this one starts with "
                        f"'{spec.layers[0].to_text()}'")
    count = sum(p.numel() for p in model.parameters())
    if count > MAX_PARAMETERS:
        raise NbdlError(f"the network has {count:,} parameters; gradient_check writes out networks of up to "
                        f"{MAX_PARAMETERS:,}: make the layers smaller")
    layers = [layer for layer in spec.layers if layer.type != "input"]
    steps, flags = [], iter(trainable)
    blocks = iter(model.layers)  # a last 'activation softmax/sigmoid' line has no block: the network's output applies it
    for index, layer in enumerate(layers):
        where = _where(layer)
        spec_text = layer.activation if layer.type == "dense" else layer.name
        record, numbers = activations.registry.parse(spec_text)
        numbers = tuple(numbers) + tuple(p.default for p in record.params[len(numbers):])
        last = index == len(layers) - 1
        folded = last and classify and record.name in activations.OUTPUT_ACTIVATIONS
        if folded and FOLDED_LOSSES[record.name] != loss:
            raise NbdlError(f"{where}'{layer.to_text()}' with the {loss} loss: gradient_check writes out a softmax "
                            f"output with cross_entropy and a sigmoid output with bce")
        if not folded and record.name not in DERIVATIVES:
            where_ok = " (softmax only as a classifier's output)" if record.name == "softmax" else ""
            raise NbdlError(f"{where}'{layer.to_text()}': the activation {record.name!r} is not written out by hand"
                            f"{where_ok}; choose one of: {', '.join(DERIVATIVES)}")
        step = _Step(layer.to_text(), record.name, numbers, folded)
        popped = last and layer.type == "activation" and model.output_activation is not None
        block = None if popped else next(blocks)
        if layer.type == "dense":
            linear = block.linear
            step.parameters = [linear.weight, linear.bias]
            step.penalized = next(flags)
            next(flags)
        steps.append(step)
    return steps


def _where(layer) -> str:
    return f"line {layer.line}: " if layer.line is not None else ""


def _by_hand(steps: list[_Step], X: np.ndarray, y: np.ndarray, loss: str, l1: float, l2: float):
    """Forward, the loss and its derivative, then backward: (gradients in parameter order, per-step
    records, the loss with its penalty, the network's output)."""
    a, forward = X, []
    for step in steps:
        z = a @ step.weight.T + step.bias if step.parameters else a    # (batch, units)
        out = z if step.folded else DERIVATIVES[step.activation][0](z, *step.numbers)
        forward.append((a, z, out))
        a = out
    value, upstream = loss_gradient(loss, a, y)                       # dL/d(output), (batch, units)
    for step in steps:
        if step.penalized:
            value += l1 * np.abs(step.weight).sum() + l2 * (step.weight ** 2).sum()
    gradients: list[np.ndarray] = []
    records: list[dict[str, Any]] = []
    for step, (a_prev, z, out) in reversed(list(zip(steps, forward))):
        local = None if step.folded else DERIVATIVES[step.activation][1](z, out, *step.numbers)
        delta = upstream if step.folded else upstream * local           # dL/dz
        shown = _output_probabilities(step.activation, z) if step.folded else out
        records.append({"z": z, "a": shown, "local": local, "delta": delta})
        if step.parameters:
            dW = delta.T @ a_prev                                          # (units, inputs)
            if step.penalized:
                dW = dW + l1 * np.sign(step.weight) + 2.0 * l2 * step.weight
            gradients[:0] = [dW, delta.sum(axis=0)]
            upstream = delta @ step.weight                                 # dL/da_prev
        else:
            upstream = delta
    return gradients, records[::-1], float(value), a


def loss_gradient(loss: str, output: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss (a mean over the batch) and its derivative by the network's output, in closed form."""
    n = len(output)
    if loss == "cross_entropy":   # output: logits (batch, classes); y: class indices
        shifted = output - output.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        onehot = np.eye(output.shape[1])[y]
        return float(-(log_p * onehot).sum() / n), (np.exp(log_p) - onehot) / n   # delta = (p - y) / N
    if loss == "bce":             # output: one logit (batch, 1); y: 0 or 1
        z, t = output[:, 0], y.astype(np.float64)
        value = (np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))).mean()
        return float(value), ((_sigmoid(z) - t) / n)[:, None]
    error = output - y.reshape(output.shape)
    if loss == "mse":
        return float((error ** 2).mean()), 2.0 * error / error.size
    if loss == "mae":
        return float(np.abs(error).mean()), np.sign(error) / error.size
    if loss == "huber":           # torch's delta = 1
        small = np.abs(error) < 1.0
        value = np.where(small, 0.5 * error ** 2, np.abs(error) - 0.5).mean()
        return float(value), np.where(small, error, np.sign(error)) / error.size
    raise NbdlError(f"gradient_check writes out the losses cross_entropy, bce, mse, mae and huber, not {loss!r}")


def _output_probabilities(activation: str, z: np.ndarray) -> np.ndarray:
    if activation == "sigmoid":
        return _sigmoid(z)
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _finite_differences(loss, parameters: list[torch.nn.Parameter]) -> list[np.ndarray]:
    """Central differences of ``loss()`` by each parameter entry (NaN where not checked)."""
    sizes = [p.numel() for p in parameters]
    total = sum(sizes)
    chosen = np.arange(total) if total <= FULL_CHECK else \
        np.sort(np.random.default_rng(FINITE_SEED).choice(total, FINITE_ENTRIES, replace=False))
    result = [np.full(p.shape, np.nan) for p in parameters]
    starts = np.cumsum([0, *sizes])
    with torch.no_grad():
        for entry in chosen:
            which = int(np.searchsorted(starts, entry, side="right") - 1)
            flat, index = parameters[which].view(-1), int(entry - starts[which])
            kept = flat[index].item()
            flat[index] = kept + STEP
            up = loss()
            flat[index] = kept - STEP
            down = loss()
            flat[index] = kept
            result[which].reshape(-1)[index] = (up - down) / (2 * STEP)
    return result


def _row(step: _Step, record: dict[str, Any], hand, autograd, finite) -> LayerCheck:
    def norms(gradients) -> tuple[float, ...] | None:
        return tuple(float(np.sqrt(np.nansum(g ** 2))) for g in gradients) if gradients else None

    def largest(first, second) -> float | None:
        """max |first - second| over the entries finite differences checked (all, without them);
        a NaN or infinite gradient counts as an infinite difference."""
        if not first:
            return None
        gaps = [np.abs(a - b)[np.isfinite(f) if f is not None else slice(None)]
                for a, b, f in zip(first, second, finite if second is finite or first is finite else [None] * len(first))]
        return max((float(np.nan_to_num(g, nan=np.inf).max()) for g in gaps if g.size), default=float("nan"))

    checked = sum(int(np.isfinite(g).sum()) for g in finite)
    return LayerCheck(
        layer=step.text, shapes=tuple(tuple(p.shape) for p in step.parameters),
        z=Summary.of(record["z"]), a=Summary.of(record["a"]),
        local=None if record["local"] is None else Summary.of(record["local"]),
        delta_norm=float(np.linalg.norm(record["delta"])),
        hand=norms(hand), autograd=norms(autograd), finite=norms(finite),
        hand_vs_autograd=largest(hand, autograd), hand_vs_finite=largest(hand, finite),
        autograd_vs_finite=largest(autograd, finite), checked=checked,
        parameters=sum(p.numel() for p in step.parameters),
        note=("softmax + cross-entropy: delta = (p - y) / N" if step.activation == "softmax" else
              "sigmoid + binary cross-entropy: delta = (sigmoid(z) - y) / N") if step.folded else "",
    )
