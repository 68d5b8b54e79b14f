"""Per-layer instruments: what each layer's weights, gradients and outputs do as a run trains.

The outputs are looked at on one fixed batch (up to ``BATCH`` samples of the validation split, else
of the training split) in eval mode, without touching the run's gradients, generators or weights:

- ``grad_norm``: the L2 norm of the gradient over the layer's parameters, of the last step (the
  training gradient of the epoch's last batch; for a fresh network in ``inspect``, of the loss on
  the batch);
- ``weight_norm``: the L2 norm of the layer's parameters;
- ``update_ratio``: ||change of the parameters in the last optimizer step|| / ||parameters before
  it|| (about 1e-3 is the usual healthy size; at epoch ends only);
- ``act_mean``, ``act_std``: the mean and standard deviation of the layer's outputs on the batch;
- ``dead``: for a ReLU-family activation, the share of units (features, or channels of images)
  whose output is never above 0 on any sample of the batch; NaN for other layers;
- ``saturated``: for sigmoid and tanh, the share of outputs where the activation's slope is below
  ``activations.SATURATION`` of its peak; NaN for other layers;
- ``act_hist`` and ``weight_hist``: histograms (``BINS`` bins) with their bin edges.

A layer is a block of an nbdl network that has parameters or an activation (its text form names
it), or, for another ``torch.nn.Module``, a leaf module that has parameters or is an activation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .errors import NbdlError

BATCH = 256  # samples of the fixed batch the instruments look at
BINS = 30
HISTOGRAM_VALUES = 4096
MAX_RECORDS = 2000  # beyond it, older records are thinned (see Instruments._thin)
FIGURES = ("grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "dead", "saturated")
HISTOGRAMS = ("act_hist", "weight_hist")

# The activation modules the instruments recognise, by the name the registry gives them.
FAMILIES: dict[type, str] = {nn.ReLU: "relu", nn.LeakyReLU: "leaky_relu", nn.PReLU: "prelu", nn.ELU: "elu",
                             nn.GELU: "gelu", nn.SiLU: "swish", nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
_LEAVES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.RNNBase, nn.Embedding, nn.BatchNorm1d, nn.BatchNorm2d,
           *FAMILIES)


@dataclass
class Probe:
    """One instrumented layer: its name, its module, its parameters and its activation (or None)."""

    name: str
    module: nn.Module
    params: list[torch.nn.Parameter]
    activation: str | None

    @property
    def weights(self) -> list[torch.nn.Parameter]:
        return [p for p in self.params if p.dim() > 1]


def probes(model: nn.Module) -> list[Probe]:
    """The layers of ``model`` the instruments watch, input side first."""
    from .network import Network

    found = []
    if isinstance(model, Network):
        specs = [layer for layer in model.spec.layers if layer.type != "input"]
        named = [(f"{i + 1} {spec.to_text()}", block) for i, (spec, block) in enumerate(zip(specs, model.layers))]
    else:
        named = [(name, module) for name, module in model.named_modules()
                 if isinstance(module, _LEAVES) and name]
    for name, module in named:
        params = [p for p in module.parameters() if p.requires_grad]
        activation = next((FAMILIES[type(m)] for m in reversed(list(module.modules())) if type(m) in FAMILIES), None)
        if params or activation:
            found.append(Probe(name, module, params, activation))
    if not found:
        raise NbdlError(f"the instruments found no layer with weights or an activation in this "
                        f"{type(model).__name__}")
    return found


@dataclass
class Measure:
    """One record of every figure, for each probe: ``figures[name]`` is a list over the probes."""

    figures: dict[str, list[float]]
    histograms: dict[str, list[tuple[np.ndarray, np.ndarray]]]  # (counts, edges) per probe


def _units_max(output: torch.Tensor) -> torch.Tensor:
    """The largest output of each unit over the batch: features of (batch, units) and of
    (batch, steps, units); channels of (batch, channels, height, width)."""
    if output.dim() == 4:
        return output.transpose(0, 1).flatten(1).amax(dim=1)
    return output.flatten(0, -2).amax(dim=0) if output.dim() > 1 else output.amax().reshape(1)


def _slope_share(output: torch.Tensor, activation: str) -> torch.Tensor:
    """The share of outputs where a sigmoid's or tanh's slope is below SATURATION of its peak."""
    from .activations import SATURATION

    slope = output * (1 - output) / 0.25 if activation == "sigmoid" else 1 - output.pow(2)
    return (slope < SATURATION).float().mean()


def _histogram(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """Counts over the values' own range. Of many values, an evenly strided HISTOGRAM_VALUES of them
    are counted (a histogram of 30 bins looks the same; counting them all would cost most of a
    record). Values that are not finite (a diverging step) are left out; None when none is."""
    values = values.detach().float().flatten()
    if values.numel() > HISTOGRAM_VALUES:
        values = values[::-(-values.numel() // HISTOGRAM_VALUES)]
    values = values[torch.isfinite(values)]
    if values.numel() == 0:
        return None
    low, high = values.min(), values.max()
    return torch.histc(values, bins=BINS, min=0, max=0), low, high  # min=max=0: the data's own range


def measure(model: nn.Module, found: list[Probe], X: torch.Tensor, logits_of,
            grads: list[torch.Tensor | None] | None = None,
            before: dict[int, list[torch.Tensor]] | None = None, eval_mode: bool = True) -> Measure:
    """Every figure of every probe: the outputs on the batch ``X`` (one forward pass with hooks, no
    autograd); ``grads``: the gradient of each probe's parameters in order (None: no gradient
    figures); ``before``: each probe's parameters before the last step, for ``update_ratio``;
    ``eval_mode``: look in eval mode (no dropout; batch norm on its running statistics), else in
    the mode the model is in."""
    outputs: dict[int, torch.Tensor] = {}

    def keep(index):
        def hook(module, args, output):
            outputs[index] = output[0] if isinstance(output, tuple) else output
        return hook

    hooks = [probe.module.register_forward_hook(keep(i)) for i, probe in enumerate(found)]
    was_training = model.training
    switch = eval_mode and was_training and _behaves_differently(model)
    if switch:
        model.eval()
    try:
        with torch.no_grad():
            logits_of(X)
    finally:
        for hook in hooks:
            hook.remove()
        if switch:
            model.train(was_training)
    grads = grads if grads is not None else [None] * sum(len(probe.params) for probe in found)
    nan = torch.tensor(math.nan, device=X.device)
    rows: list[list[torch.Tensor]] = []
    histograms: list[tuple] = []
    position = 0
    with torch.no_grad():
        for i, probe in enumerate(found):
            grad = [g for g in grads[position:position + len(probe.params)] if g is not None]
            position += len(probe.params)
            out = outputs.get(i)
            out = out.detach().float() if out is not None and torch.is_tensor(out) else None
            weight_norm = _norm(probe.params, nan)
            ratio = nan
            if before is not None and i in before and probe.params:
                change = torch.sqrt(sum((p.detach() - b).pow(2).sum() for p, b in zip(probe.params, before[i])))
                ratio = change / _norm(before[i], nan).clamp_min(1e-12)
            rows.append([
                _norm(grad, nan) if grad else nan, weight_norm, ratio,
                out.mean() if out is not None else nan, out.std() if out is not None and out.numel() > 1 else nan,
                (_units_max(out) <= 0).float().mean() if out is not None and _dies(probe.activation) else nan,
                _slope_share(out, probe.activation) if out is not None and probe.activation in ("sigmoid", "tanh")
                else nan,
            ])
            act = _histogram(out) if out is not None and out.numel() else None
            weights = torch.cat([w.detach().flatten() for w in probe.weights]) if probe.weights else None
            histograms.append((act, _histogram(weights) if weights is not None else None))
        table = torch.stack([torch.stack([v.float() for v in row]) for row in rows]).cpu().numpy()  # one sync
        hist = [[_as_numpy(h) for h in pair] for pair in histograms]
    figures = {name: [float(v) for v in table[:, k]] for k, name in enumerate(FIGURES)}
    return Measure(figures, {"act_hist": [h[0] for h in hist], "weight_hist": [h[1] for h in hist]})


def _behaves_differently(model: nn.Module) -> bool:
    """Whether eval mode changes what ``model`` computes: any module but nbdl's own plain ones
    (linear, activations, containers) might; dropout and batch norm do."""
    from .network import Network

    if not isinstance(model, Network):
        return True
    plain = (nn.Sequential, nn.ModuleList, nn.Linear, nn.Identity, nn.Flatten, nn.Softmax, *FAMILIES)
    return any(not isinstance(m, (Network, *plain)) for m in model.modules())


def _dies(activation: str | None) -> bool:
    from .activations import RELU_FAMILY

    return activation in RELU_FAMILY


def _norm(tensors: list[torch.Tensor], empty: torch.Tensor) -> torch.Tensor:
    if not tensors:
        return empty
    return torch.sqrt(sum(t.detach().float().pow(2).sum() for t in tensors))


def _as_numpy(histogram) -> tuple[np.ndarray, np.ndarray]:
    if histogram is None:
        return np.full(BINS, np.nan), np.full(BINS + 1, np.nan)
    counts, low, high = histogram
    low, high = float(low), float(high)
    if high <= low:
        high = low + 1e-6
    return counts.cpu().numpy().astype(float), np.linspace(low, high, BINS + 1)


@dataclass
class Instruments:
    """The instruments' records of a run: ``layers`` names the probes; ``epochs`` and ``steps`` say
    when each record was taken (the epoch just finished, or the epoch under way for a record
    taken every N steps); ``figures[name]`` is an array (records, layers); ``histograms[name]`` is
    a pair of arrays: counts (records, layers, BINS) and edges (records, layers, BINS + 1)."""

    layers: list[str] = field(default_factory=list)
    activations: list[str | None] = field(default_factory=list)
    weighted: list[bool] = field(default_factory=list)  # whether each layer has a weight matrix
    epochs: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    at_epoch_end: list[bool] = field(default_factory=list)
    rows: dict[str, list[list[float]]] = field(default_factory=dict)
    hist_rows: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def of(cls, found: list[Probe]) -> "Instruments":
        """An empty record for these probes."""
        return cls([p.name for p in found], [p.activation for p in found], [bool(p.weights) for p in found])

    def add(self, epoch: int, step: int, at_epoch_end: bool, found: Measure) -> None:
        if len(self) >= MAX_RECORDS:
            self._thin()
        self.epochs.append(epoch)
        self.steps.append(step)
        self.at_epoch_end.append(at_epoch_end)
        for name in FIGURES:
            self.rows.setdefault(name, []).append(found.figures[name])
        for name in HISTOGRAMS:
            counts = np.stack([c for c, _ in found.histograms[name]])
            edges = np.stack([e for _, e in found.histograms[name]])
            self.hist_rows.setdefault(name, []).append((counts, edges))

    def _thin(self) -> None:
        """Drop every other record of the older half, records taken every N steps first, so a run
        left training for hours keeps at most MAX_RECORDS (the first and the newest stay)."""
        half = len(self) // 2
        steps = [i for i in range(1, half) if not self.at_epoch_end[i]]
        older = steps[::2] if steps else list(range(1, half, 2))
        drop = set(older)
        keep = [i for i in range(len(self)) if i not in drop]
        for name in ("epochs", "steps", "at_epoch_end"):
            setattr(self, name, [getattr(self, name)[i] for i in keep])
        for table in (self.rows, self.hist_rows):
            for name, values in table.items():
                table[name] = [values[i] for i in keep]

    @property
    def figures(self) -> dict[str, np.ndarray]:
        """Figure name -> array (records, layers); (0, layers) before the first record."""
        width = len(self.layers)
        return {name: np.asarray(self.rows.get(name, []), dtype=float).reshape(len(self), width) for name in FIGURES}

    @property
    def histograms(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Histogram name -> (counts (records, layers, BINS), edges (records, layers, BINS + 1))."""
        width, count = len(self.layers), len(self)
        found = {}
        for name in HISTOGRAMS:
            pairs = self.hist_rows.get(name, [])
            found[name] = (np.asarray([c for c, _ in pairs], dtype=float).reshape(count, width, BINS),
                           np.asarray([e for _, e in pairs], dtype=float).reshape(count, width, BINS + 1))
        return found

    def last(self, name: str, at_epoch_end: bool = True) -> np.ndarray | None:
        """The latest record of one figure, per layer (epoch-end records only by default)."""
        for i in reversed(range(len(self.steps))):
            if self.at_epoch_end[i] or not at_epoch_end:
                return np.asarray(self.rows[name][i], dtype=float)
        return None

    def state_dict(self) -> dict[str, Any]:
        figures, histograms = self.figures, self.histograms
        return {"layers": list(self.layers), "activations": [a or "" for a in self.activations],
                "weighted": torch.tensor(self.weighted, dtype=torch.bool),
                "epochs": torch.tensor(self.epochs, dtype=torch.int64),
                "steps": torch.tensor(self.steps, dtype=torch.int64),
                "at_epoch_end": torch.tensor(self.at_epoch_end, dtype=torch.bool),
                **{name: torch.from_numpy(values) for name, values in figures.items()},
                **{f"{name}_counts": torch.from_numpy(counts) for name, (counts, _) in histograms.items()},
                **{f"{name}_edges": torch.from_numpy(edges) for name, (_, edges) in histograms.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any], layers: list[str]) -> "Instruments":
        """Records from a checkpoint, checked against the run's own layers."""
        problem = "the instruments' records in the checkpoint"
        if not isinstance(state, dict) or state.get("layers") != layers:
            raise NbdlError(f"{problem} name other layers than the network's")
        try:
            steps = [int(s) for s in state["steps"].tolist()]
            epochs = [int(e) for e in state["epochs"].tolist()]
            ends = [bool(e) for e in state["at_epoch_end"].tolist()]
            count, width = len(steps), len(layers)
            record = cls(list(layers), [a or None for a in state["activations"]],
                         [bool(w) for w in state["weighted"].tolist()], epochs, steps, ends)
            if len(record.activations) != width or len(record.weighted) != width:
                raise ValueError("layers")
            for name in FIGURES:
                values = state[name].double().numpy()
                if values.shape != (count, width):
                    raise ValueError(name)
                record.rows[name] = values.tolist()
            for name in HISTOGRAMS:
                counts, edges = state[f"{name}_counts"].double().numpy(), state[f"{name}_edges"].double().numpy()
                if counts.shape != (count, width, BINS) or edges.shape != (count, width, BINS + 1) \
                        or (counts[np.isfinite(counts)] < 0).any():
                    raise ValueError(name)
                record.hist_rows[name] = [(counts[i], edges[i]) for i in range(count)]
        except (KeyError, ValueError, TypeError, AttributeError, RuntimeError):
            raise NbdlError(f"{problem} are damaged or of another shape") from None
        if len(epochs) != count or len(ends) != count or any(s < 0 for s in steps) or any(e < 0 for e in epochs):
            raise NbdlError(f"{problem} are damaged or of another shape")
        return record
