"""Data augmentation of training batches: flips, small rotations and shifts for images, noise for all.

``augment="flip,rotate(10),shift(1),noise(0.1)"``: a comma-separated list of registry entries,
applied in that order to each training batch (never to validation or test data), drawn from the
run's own seeded generator so that a run reproduces."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .errors import NbdlError, spell
from .options import Option
from .registry import Entry, Registry

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass(frozen=True, eq=False)
class Augmentation(Entry):
    images_only: bool = False


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
    return lambda x, generator: x + std * torch.randn(x.shape, generator=generator, device=x.device)


registry: Registry[Augmentation] = Registry("augmentation")
for entry in (
    Augmentation("flip", lambda: _flip(-1), help="mirror left-right, half of the images", images_only=True),
    Augmentation("vflip", lambda: _flip(-2), help="mirror up-down, half of the images", images_only=True),
    Augmentation("rotate", lambda degrees=10.0: _affine(degrees=degrees),
                 (Option("degrees", 10.0, "the largest rotation either way", low=0, high=180),),
                 help="rotate each image by a random angle", images_only=True),
    Augmentation("shift", lambda pixels=1.0: _affine(pixels=pixels),
                 (Option("pixels", 1.0, "the largest shift in each direction", low=0, high=64),),
                 help="shift each image by a random offset", images_only=True),
    Augmentation("noise", _noise, (Option("std", 0.1, "standard deviation, in standardized units", low=0, high=100),),
                 help="add gaussian noise (any data)"),
):
    registry.add(entry.name, entry)


def parts(spec: str) -> list[str]:
    return [part.strip() for part in spec.split(",") if part.strip()]


def check(spec: str, sample_shape: tuple[int, ...] | None = None) -> None:
    """Raise for an unknown augmentation or bad numbers, or an image one on data that are not images."""
    for part in parts(spec):
        entry, _ = registry.parse(part)
        if sample_shape is not None and entry.images_only and len(sample_shape) != 3:
            raise NbdlError(f"{spell('augment')} {part!r} works on images, but the samples have shape "
                            f"{'x'.join(map(str, sample_shape))}; for vectors use 'noise(0.1)'")


class Augmenter:
    """Applies the listed transforms to a batch, drawing from its own generator."""

    def __init__(self, spec: str, sample_shape: tuple[int, ...], seed: int, device: torch.device):
        check(spec, sample_shape)
        self.spec = spec
        self.transforms = [registry.make(part) for part in parts(spec)]
        self.generator = torch.Generator(device=device).manual_seed(seed + 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for transform in self.transforms:
            x = transform(x, self.generator)
        return x

    def copy(self) -> "Augmenter":
        """An augmenter with the same transforms whose generator starts where this one is."""
        twin = object.__new__(Augmenter)
        twin.spec, twin.transforms = self.spec, self.transforms
        twin.generator = torch.Generator(device=self.generator.device)
        twin.generator.set_state(self.generator.get_state())
        return twin
