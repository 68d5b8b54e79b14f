"""Where a run trains: ``auto`` takes CUDA when present, else the CPU."""
from __future__ import annotations

import torch

from .errors import NbdlError, spell

KINDS = ("auto", "cpu", "cuda", "mps")


def check(name: str) -> str:
    """``name`` when this machine has that device; else an error saying what it has."""
    resolve(name)
    return name


def resolve(name: str) -> torch.device:
    text = str(name).strip().lower()
    kind, _, index = text.partition(":")
    if kind not in KINDS or (index and (kind in ("auto", "cpu") or not index.isdigit())):
        raise NbdlError(f"unknown {spell('device')} {name!r}; choose one of: {', '.join(KINDS)} (or cuda:N)")
    if kind == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise NbdlError(f"{spell('device')} {name!r} asked for but CUDA is not available here; use 'auto' or 'cpu'")
        if index and int(index) >= torch.cuda.device_count():
            raise NbdlError(f"{spell('device')} {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                            f"cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise NbdlError(f"{spell('device')} 'mps' asked for but Apple's MPS is not available here; use 'auto' or 'cpu'")
    return torch.device(text)
