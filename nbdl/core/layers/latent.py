"""The variational layer: ``vae N`` gives a code of N values drawn around a learned mean.

Its module computes a mean and a log-variance from its input; in training it samples the code with
the reparameterisation trick (``mean + exp(log_var / 2) * noise``, the noise from the run's own
generator), in eval it gives the mean. The KL divergence from the standard normal prior, times
``beta``, is added to what training minimises by the module's backward pass (the loss's gradient
gets the KL term's), so the trainer needs no branch; its value is logged as ``train_kl``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from ..options import INT, REQUIRED, option
from .base import Layer


class _WithKL(torch.autograd.Function):
    """``z`` unchanged going forward; going back, ``kl`` gets gradient ``beta``: as if ``beta * kl``
    were added to the loss (the loss depends on ``z``, so this backward always runs)."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, kl: torch.Tensor, beta: float) -> torch.Tensor:
        ctx.beta = beta
        return z.clone()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad, grad.new_tensor(ctx.beta), None


class Sampler(nn.Module):
    """(batch, features) -> (batch, units) codes. ``kl_sum``/``kl_count`` add up the training
    batches' KL (per sample, summed over the units) until read."""

    draws = True  # takes the run's generator (randomness.adopt), as dropout does
    generator: torch.Generator | None = None

    def __init__(self, features: int, units: int, beta: float):
        super().__init__()
        self.mean, self.log_var = nn.Linear(features, units), nn.Linear(features, units)
        self.beta = beta
        self.kl_sum, self.kl_count = 0.0, 0
        self.kl: torch.Tensor | None = None  # the last batch's mean KL, detached

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean, log_var = self.mean(x), self.log_var(x).clamp(-20, 20)
        kl = (-0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(dim=1)).mean()
        self.kl = kl.detach()
        if not self.training:
            return mean
        self.kl_sum, self.kl_count = self.kl * len(x) + self.kl_sum, self.kl_count + len(x)
        noise = torch.randn(mean.shape, generator=self.generator, device=mean.device, dtype=mean.dtype)
        z = mean + (0.5 * log_var).exp() * noise
        return _WithKL.apply(z, kl, self.beta) if torch.is_grad_enabled() else z

    def take_kl(self) -> float | None:
        """The mean KL per sample over the training batches since the last call (None if none)."""
        if not self.kl_count:
            return None
        found = float(self.kl_sum) / self.kl_count
        self.kl_sum, self.kl_count = 0.0, 0
        return found


@dataclass
class Vae(Layer):
    """``vae UNITS [beta=B]``: a variational code of UNITS values (mean and log-variance heads)."""

    type: ClassVar[str] = "vae"
    help: ClassVar[str] = ("a variational code: UNITS values drawn around a learned mean while training (the mean "
                           "in eval); its KL term, times beta, is added to the loss and logged as train_kl")
    example: ClassVar[str] = "vae 2"
    color: ClassVar[str] = "#dbdb8d"
    units: int = option(REQUIRED, "values in the code", kind=INT, low=1, form="positional")
    beta: float = option(0.02, "the weight of the KL term against the loss (mse averages over every output value)",
                         low=0, high=1000, metavar="B")

    def output_shape(self, shape):
        self.needs_flat(shape)
        return (self.units,)

    def build(self, shape):
        return Sampler(shape[0], self.units, self.beta)


LATENT_LAYERS: tuple[type[Layer], ...] = (Vae,)
