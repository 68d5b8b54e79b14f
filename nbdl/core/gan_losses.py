"""The losses a GAN trains with, one record each, and the mode coverage of generated 2-D samples.

A loss record gives the discriminator's (critic's) loss from its scores on real and generated
samples, the generator's loss from its scores on generated ones, whether a gradient penalty is
added, and its own defaults for the optimizer settings (WGAN-GP wants slower Adam steps and several
critic steps per generator step)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from . import toy
from .registry import Registry

Scores = torch.Tensor  # (batch, 1): the discriminator's logits, or the critic's scores


@dataclass(frozen=True, eq=False)
class GanLoss:
    name: str
    help: str
    critic: Callable[[Scores, Scores], torch.Tensor]  # (scores on real, scores on generated) -> loss
    generator: Callable[[Scores], torch.Tensor]       # scores on generated -> loss
    defaults: dict[str, Any]
    penalty: bool = False                             # add the gradient penalty on interpolates


registry: Registry[GanLoss] = Registry("GAN loss")
registry.add("gan", GanLoss(
    "gan", "the non-saturating GAN loss (Goodfellow et al. 2014): the generator maximises log D(G(z))",
    lambda real, fake: F.softplus(-real).mean() + F.softplus(fake).mean(),
    lambda fake: F.softplus(-fake).mean(),
    {"lr_g": 1e-3, "lr_d": 1e-3, "betas": (0.5, 0.999), "critic_steps": 1, "gp_weight": 0.0}))
registry.add("wgan-gp", GanLoss(
    "wgan-gp", "Wasserstein GAN with a gradient penalty (Gulrajani et al. 2017): a critic's score gap, its "
    "gradient kept near norm 1 on points between real and generated samples",
    lambda real, fake: fake.mean() - real.mean(),
    lambda fake: -fake.mean(),
    {"lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.5, 0.9), "critic_steps": 5, "gp_weight": 10.0}, penalty=True))


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator) -> torch.Tensor:
    """Mean of (|grad critic(x)| - 1)^2 over points x drawn uniformly between paired real and
    generated samples (flat: (batch, width))."""
    share = torch.rand(len(real), 1, generator=generator)
    between = (share * real + (1 - share) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(critic(between).sum(), between, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


# -- mode coverage --------------------------------------------------------------------------------
# A mode is covered when at least COVERED_SHARE of its fair share of the samples (1 / modes) lie
# within RADIUS_STDS of its centre: 3.1% of the samples for the ring's 8 modes, 1% for the grid's 25.
# A sample within that radius of any centre is a high-quality one.
RADIUS_STDS = 3.0
COVERED_SHARE = 0.25
CENTRES = {"ring": toy.ring_centres, "grid": toy.grid_centres}


@dataclass(frozen=True)
class Coverage:
    counts: np.ndarray  # (modes,) samples within the radius of each centre
    samples: int
    radius: float

    @property
    def modes(self) -> int:
        return len(self.counts)

    @property
    def covered(self) -> int:
        return int((self.counts >= COVERED_SHARE * self.samples / self.modes).sum())

    @property
    def quality(self) -> float:
        """The share of samples near some mode."""
        return float(self.counts.sum() / self.samples)


def centres(name: str) -> np.ndarray | None:
    """The mode centres of the data set ``name`` (ring, grid), or None for data without known modes."""
    return CENTRES[name]() if name in CENTRES else None


def coverage(points: np.ndarray, centres: np.ndarray, std: float) -> Coverage:
    """How generated ``points`` (n, 2) spread over the modes at ``centres`` (modes, 2) of clouds
    with standard deviation ``std``."""
    distance = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)  # (n, modes)
    radius = RADIUS_STDS * std
    nearest = distance.argmin(axis=1)
    near = distance[np.arange(len(points)), nearest] <= radius
    return Coverage(np.bincount(nearest[near], minlength=len(centres)), len(points), radius)
