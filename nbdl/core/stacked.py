"""Many small runs trained as one stacked model (to be written: see the contract below).

Contract used by ``many.train_many``:
- ``why_not(runs) -> str | None``: None when the runs can train as one stacked model, else the
  reason in plain words.
- ``fit(runs, epochs, on_epoch) -> None``: trains every run ``epochs`` more epochs (each config's
  own when None), leaving each ``Run`` as if it had trained alone.
"""
from __future__ import annotations

from typing import Any


def why_not(runs: list[Any]) -> str | None:
    return "stacked training is not written yet"


def fit(runs: dict[str, Any], epochs: int | None, on_epoch: Any) -> None:
    raise NotImplementedError
