"""Autoencoders: runs whose targets are their own samples (data option ``task="autoencode"``).

The network must give back its input's shape (checked before training); ``noise_input`` makes a
denoising autoencoder (noisy inputs, clean targets, a batch change of the run's own). A trained
one shows its reconstructions and the codes of its bottleneck: a ``vae`` layer's output, else the
narrowest layer's. A variational one (a ``vae N`` layer) logs its KL term as ``train_kl`` and
decodes a grid of codes over its latent plane.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from . import batching
from .errors import NbdlError
from .layers import Input, Vae, shape_text
from .layers.latent import Sampler
from .network import Network, as_spec
from .tasks import AUTOENCODE


def is_autoencoder(run: Any) -> bool:
    return run.dataset.task == AUTOENCODE


# -- denoising ---------------------------------------------------------------------------------------
def _noisy(run: Any) -> batching.Change:
    """Gaussian noise of ``noise_input`` standard deviation on each training input, drawn from a
    generator of the run's own (seeded from its seed); the targets are left clean."""
    generator = torch.Generator(device=run.device).manual_seed(run.config.seed)

    def change(xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        noise = torch.randn(xb.shape, generator=generator, device=xb.device, dtype=xb.dtype)
        return xb + run.config.noise_input * noise, yb
    return change


NOISE = batching.add(batching.BatchChange(
    "noise_input", lambda config: bool(config.noise_input), _noisy,
    "gaussian noise on each training input; the targets stay clean (a denoising autoencoder)"))


# -- the variational layer's KL term, logged apart ---------------------------------------------------
def _has_vae(config: Any) -> bool:
    if config.network is None or isinstance(config.network, nn.Module):
        return False
    return any(isinstance(layer, Vae) for layer in as_spec(config.network).layers)


class _KLLog:
    """Leaves batches as they are; at each epoch's end logs ``train_kl``: the vae layers' mean KL
    per sample over the epoch's training batches (the term their backward adds to the loss, before beta)."""

    def __init__(self, run: Any):
        self.samplers = [m for m in run.model.modules() if isinstance(m, Sampler)]

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return xb, yb

    def on_epoch_end(self, run: Any, logs: dict) -> None:
        taken = [kl for kl in (s.take_kl() for s in self.samplers) if kl is not None]
        if taken:
            logs["train_kl"] = sum(taken)


KL = batching.add(batching.BatchChange("vae_kl", _has_vae, _KLLog, "logs the vae layers' KL term as train_kl"))


# -- checks ------------------------------------------------------------------------------------------
def check_output(model: nn.Module, dataset: Any, sample: torch.Tensor) -> None:
    """An autoencoder's output must have its input's shape; raise naming both (other tasks pass)."""
    if dataset.task != AUTOENCODE:
        return
    wanted = tuple(dataset.sample_shape)
    if isinstance(model, Network):
        got = tuple(model.output_shape)
    else:
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                got = tuple(model(sample).shape[1:])
        finally:
            model.train(was_training)
    if got != wanted:
        end = (f"end it with 'dense {wanted[0]}'" if len(wanted) == 1 else
               f"bring it back to {shape_text(wanted)}, for example 'upsample 2' lines and a last "
               f"'conv {wanted[0]} 3 padding=same'")
        raise NbdlError(f"an autoencoder's output must have its input's shape: the samples are {shape_text(wanted)} "
                        f"but the network gives {shape_text(got)}; {end}")


# -- what a trained autoencoder shows ----------------------------------------------------------------
def bottleneck(network: Network) -> int:
    """Which line of the network's spec gives the code: the first ``vae`` layer, else the narrowest
    output (fewest values) between the input and the last layer, the first of equals."""
    variational = [i for i, layer in enumerate(network.spec.layers) if isinstance(layer, Vae)]
    if variational:
        return variational[0]
    shapes = network.spec.shapes(network.input_shape)
    inner = range(1 if isinstance(network.spec.layers[0], Input) else 0, len(shapes) - 1)
    if not inner:
        raise NbdlError("the network has no hidden layer, so no code to show; put a narrow layer between the input "
                        "and the output, for example 'dense 2'")
    return min(inner, key=lambda i: math.prod(shapes[i]))


def codes(run: Any, split: str = "test") -> np.ndarray:
    """(n, code values) the bottleneck's output for the split's samples, in eval mode."""
    network = run.model
    if not isinstance(network, Network):
        raise NbdlError("codes are read from an nbdl network's layers; this run has a module of your own")
    X = run.data.part(split).X
    return _through(run, list(network.layers)[:_code_blocks(network)], X).reshape(len(X), -1).cpu().numpy()


def _code_blocks(network: Network) -> int:
    """How many of the network's blocks make the code."""
    return sum(not isinstance(layer, Input) for layer in network.spec.layers[:bottleneck(network) + 1])


def _through(run: Any, blocks: list[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """``x`` through these blocks in eval mode, without autograd, between two steps of a fit."""
    with run.lock:
        was_training = run.model.training
        run.model.eval()
        try:
            with torch.inference_mode():
                for block in blocks:
                    x = block(x)
                return x
        finally:
            run.model.train(was_training)


def decode(run: Any, codes: Any) -> np.ndarray:
    """(n, *sample_shape) samples, in the data's units, that the decoder (the blocks after the code)
    makes of these (n, code values) codes."""
    network = run.model
    if not isinstance(network, Network):
        raise NbdlError("decoding runs an nbdl network's layers after the code; this run has a module of your own")
    z = torch.as_tensor(np.asarray(codes, dtype=np.float32), device=run.device)
    made = network.output(_through(run, list(network.layers)[_code_blocks(network):], z))
    return run.data.untransform_target(made).astype(np.float32).reshape(len(z), *run.dataset.sample_shape)


def latent_grid(run: Any, steps: int = 12, span: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """A steps x steps grid of codes over [-span, span]^2 of a 2-value code (standard deviations of
    the vae's prior) and the samples decoded from them: (steps, steps, 2) and (steps, steps, *sample_shape).
    Rows go from high to low second values, so the grid reads like a plot."""
    network = run.model
    width = math.prod(network.spec.shapes(network.input_shape)[bottleneck(network)])
    if width != 2:
        raise NbdlError(f"a latent grid needs a code of 2 values; this network's code has {width}: use 'vae 2'")
    values = np.linspace(-span, span, steps, dtype=np.float32)
    codes = np.stack(np.meshgrid(values, values[::-1]), axis=-1)  # (rows, columns, 2)
    return codes, decode(run, codes.reshape(-1, 2)).reshape(steps, steps, *run.dataset.sample_shape)


def reconstructions(run: Any, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """The split's samples and the network's reconstructions of them, both in the data's own units."""
    part = run.data.part(split)
    made = run.data.untransform_target(run.outputs(part.X)).astype(np.float32)
    return run.data.raw(split)[0], made.reshape(len(part.X), *run.dataset.sample_shape)


def labels(run: Any, split: str = "test") -> np.ndarray | None:
    """The split's class labels, kept beside an autoencoder's targets (None for data without classes)."""
    kept = run.dataset.labels
    return None if kept is None else kept[run.data.indices[split]]


def mean_mse(run: Any, split: str = "test") -> float:
    """What predicting the training samples' mean scores on the split (mse in the data's units): the
    figure a reconstruction must beat."""
    train, samples = run.data.raw("train")[0], run.data.raw(split)[0]
    return float(np.mean((samples - train.mean(axis=0)) ** 2))
