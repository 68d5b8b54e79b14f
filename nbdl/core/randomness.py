"""Each run draws its random numbers from generators of its own, so runs reproduce bit for bit
even when two train at once in different threads (torch's global generator is shared by all).

Building a network draws its first weights from the global generator: that happens under a lock,
seeded from the run's seed, and leaves the global generator as it was."""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import torch
from torch import nn

_BUILDING = threading.Lock()


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Draw from torch's global generator seeded with ``seed``, one thread at a time, and put the
    global generator back afterwards."""
    with _BUILDING, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _dropped(module: nn.Module, x: torch.Tensor, channels: bool) -> torch.Tensor:
    p = module.p
    if not module.training or p == 0:
        return x
    if p >= 1:
        return x * 0
    # (batch, channels, 1, ...) drops whole channels; otherwise each value on its own.
    shape = (*x.shape[:2], *([1] * (x.dim() - 2))) if channels and x.dim() > 2 else x.shape
    keep = torch.empty(shape, device=x.device, dtype=x.dtype).bernoulli_(1 - p, generator=module.generator)
    return x * keep / (1 - p)


class Dropout(nn.Dropout):
    """``nn.Dropout`` drawing from ``self.generator`` (the run's) instead of the global generator."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _dropped(self, x, channels=False)


class ChannelDropout(nn.Dropout2d):
    """``nn.Dropout2d`` (whole channels of images) drawing from ``self.generator``."""

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _dropped(self, x, channels=True)


def adopt(model: nn.Module, generator: torch.Generator) -> None:
    """Make every dropout in ``model`` draw from ``generator``. torch's own dropout modules (in a
    module of the user's, which the run has copied) are replaced by these equivalents."""
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            twin = None
            if type(child) is nn.Dropout:
                twin = Dropout(child.p)
            elif type(child) in (nn.Dropout1d, nn.Dropout2d, nn.Dropout3d):
                twin = ChannelDropout(child.p)
            if twin is not None:
                twin.train(child.training)
                setattr(parent, name, twin)
    for module in model.modules():
        if isinstance(module, (Dropout, ChannelDropout)) or getattr(module, "draws", False):  # vae's sampler too
            module.generator = generator
