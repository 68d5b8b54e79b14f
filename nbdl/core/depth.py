"""The signal through depth of a freshly initialised network: ``nbdl.inspect``.

On one batch of the data, in training mode, before any step: each layer's output standard
deviation and mean, its share of dead or saturated units, and the gradient norm of the loss over
its parameters. Several initialisations side by side show why 30 ReLU layers with Xavier
initialisation fade while Kaiming keeps the signal, and why 10 sigmoid layers vanish."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import torch

from .errors import NbdlError
from .instruments import BATCH, FIGURES, measure, probes
from .options import INT, Option
from .registry import normal

SAMPLES = Option("samples", BATCH, "samples in the batch", kind=INT, low=2, high=100_000)


@dataclass
class Depth:
    """One initialisation's figures per layer: ``figures[name]`` is a list over ``layers``."""

    init: str
    layers: list[str]
    weighted: list[bool]
    figures: dict[str, list[float]]

    def ratio(self) -> float:
        """The first weighted layer's gradient norm over the last one's (below 1: fading to the input)."""
        grads = [g for g, w in zip(self.figures["grad_norm"], self.weighted) if w]
        return grads[0] / grads[-1] if len(grads) > 1 and grads[-1] else float("nan")


@dataclass
class Inspection:
    """``inspect``'s result: one ``Depth`` per initialisation, in the order given."""

    network: str
    data: str
    depths: list[Depth]

    def __getitem__(self, init: str) -> Depth:
        for depth in self.depths:
            if depth.init == init or normal(depth.init) == normal(str(init)):
                return depth
        raise NbdlError(f"this inspection has no initialisation {init!r}; it has: "
                        f"{', '.join(d.init for d in self.depths)}")

    def __repr__(self) -> str:
        parts = [f"{d.init}: first/last gradient {d.ratio():.2g}, last activation std "
                 f"{d.figures['act_std'][-1]:.2g}" for d in self.depths]
        return f"<Inspection of {len(self.depths[0].layers)} layers on {self.data}: {'; '.join(parts)}>"


def inspect(network: Any, data: Any = None, init: str | list[str] | tuple[str, ...] = "default", *,
            seed: int = 0, samples: int = BATCH, **settings: Any) -> Inspection:
    """Build the network afresh with each initialisation in ``init`` (one name, a list, or names
    separated by commas) and measure one batch of ``samples`` training samples through it."""
    from .config import Config
    from .trainer import Run

    if isinstance(init, str):
        inits = split_inits(init)
    elif isinstance(init, (list, tuple)):
        inits = list(init)
    else:
        inits = []
    if not inits or not all(isinstance(name, str) and name.strip() for name in inits):
        raise NbdlError(f"init takes an initialisation name or a list of them (such as 'xavier,kaiming'), got {init!r}")
    taken = sorted(set(settings) & {"init", "seed", "epochs", "network", "data"})
    if taken:
        raise NbdlError(f"inspect sets {', '.join(taken)} itself; give the other settings only")
    samples = SAMPLES.check(samples)
    depths = []
    for name in inits:
        run = Run(Config(network=network, data=data).replace(init=name, seed=seed, epochs=0, **settings))
        depths.append(_depth(run, name, samples))
    return Inspection(_text(run), run.dataset.name, depths)


def split_inits(text: str) -> list[str]:
    """``"xavier, kaiming(bias=-1), normal(0.01, 0)"`` -> three names: commas inside brackets stay,
    and ``"kaiming, bias=-1"`` (a named number after a comma) stays one initialisation."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    found: list[str] = []
    for part in (p.strip() for p in parts):
        if found and re.match(r"^[A-Za-z_]\w*\s*=", part):
            found[-1] = f"{found[-1]}, {part}"
        else:
            found.append(part)
    return found


def _depth(run: Any, init: str, samples: int) -> Depth:
    from .building import threads_for

    threads = torch.get_num_threads()
    torch.set_num_threads(threads_for(run.model, samples, run.dataset.sample_shape, run.device, run.config.threads))
    try:
        return _measured(run, init, samples)
    finally:
        torch.set_num_threads(threads)


def _measured(run: Any, init: str, samples: int) -> Depth:
    found = probes(run.model)
    X, y = run.data.train.X[:samples], run.data.train.y[:samples]
    params = [p for probe in found for p in probe.params]
    with torch.enable_grad():
        loss = run.loss(run.logits(X), y)
        grads = torch.autograd.grad(loss, params, allow_unused=True) if params else []
    if not torch.isfinite(loss):
        raise NbdlError(f"with init {init!r} the loss on the first batch is {loss.item()}: the signal overflows; "
                        "try another initialisation")
    # The outputs in training mode (batch norm on the batch's own statistics), as the first step sees them.
    result = measure(run.model, found, X, run.logits, list(grads), eval_mode=False)
    figures = {name: result.figures[name] for name in FIGURES if name != "update_ratio"}
    return Depth(init, [p.name for p in found], [bool(p.weights) for p in found], figures)


def _text(run: Any) -> str:
    spec = getattr(run.model, "spec", None)
    return spec.to_text() if spec is not None else type(run.model).__name__
