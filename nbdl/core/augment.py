"""Data augmentation of training batches: flips, small rotations and shifts for images, noise for all.

``augment="flip,rotate(10),shift(1),noise(0.1)"``: a comma-separated list of registry entries,
applied in that order to each training batch (never to validation or test data), drawn from the
run's own seeded generator so that a run reproduces."""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from .errors import NbdlError
from .registry import Registry

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
IMAGE_ONLY = {"flip", "vflip", "rotate", "shift"}


def _flip(dim: int) -> Transform:
    def apply(x, generator):
        chosen = torch.rand(len(x), generator=generator, device=x.device) < 0.5
        return torch.where(chosen.view(-1, *([1] * (x.dim() - 1))), x.flip(dim), x)
    return apply


def _affine(degrees: float = 0.0, pixels: float = 0.0) -> Transform:
    """A random rotation within +-degrees and shift within +-pixels for each image (border pixels extend)."""
    def apply(x, generator):
        n, _, height, width = x.shape
        angle = (torch.rand(n, generator=generator, device=x.device) * 2 - 1) * math.radians(degrees)
        shift = (torch.rand(n, 2, generator=generator, device=x.device) * 2 - 1) * pixels
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0] * 2 / width], 1),
                             torch.stack([sin, cos, shift[:, 1] * 2 / height], 1)], 1)  # (n, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return apply


def _noise(std: float = 0.1) -> Transform:
    if std < 0:
        raise NbdlError(f"noise std must be >= 0, got {std}")
    return lambda x, generator: x + std * torch.randn(x.shape, generator=generator, device=x.device)


registry = Registry("augmentation", {
    "flip": lambda: _flip(-1),           # left-right
    "vflip": lambda: _flip(-2),          # up-down
    "rotate": lambda degrees=10.0: _affine(degrees=degrees),
    "shift": lambda pixels=1.0: _affine(pixels=pixels),
    "noise": _noise,                     # gaussian, in standardized units
})


def parts(spec: str) -> list[str]:
    return [part.strip() for part in spec.split(",") if part.strip()]


def check(spec: str, sample_shape: tuple[int, ...] | None = None) -> None:
    """Raise for an unknown augmentation, or an image one on data that are not images."""
    for part in parts(spec):
        name = registry.canonical(part)
        if sample_shape is not None and name in IMAGE_ONLY and len(sample_shape) != 3:
            raise NbdlError(f"augmentation {part!r} works on images, but the samples have shape "
                            f"{'x'.join(map(str, sample_shape))}; for vectors use 'noise(0.1)'")
        registry.get(part)  # checks the arguments


class Augmenter:
    """Applies the listed transforms to a batch, drawing from its own generator."""

    def __init__(self, spec: str, sample_shape: tuple[int, ...], seed: int, device: torch.device):
        check(spec, sample_shape)
        self.spec = spec
        self.transforms = [registry.get(part) for part in parts(spec)]
        self.generator = torch.Generator(device=device).manual_seed(seed + 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for transform in self.transforms:
            x = transform(x, self.generator)
        return x

