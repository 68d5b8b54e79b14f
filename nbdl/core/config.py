"""One object that describes an experiment. The Python API, the magics and the panels fill it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from . import init as init_schemes
from . import losses, optimizers
from .data import Dataset
from .errors import NbdlError, raise_all
from .network import NetworkSpec, as_spec

DEFAULT_BATCH_SIZE = 32


@dataclass
class Config:
    """Everything a run needs. ``None`` means "the chosen component's default" (for example the
    optimizer's own learning rate); every field has a best-practice default."""

    network: Any = None            # text form, NetworkSpec, list of layers, dict, or an nn.Module
    data: Any = "moons"            # a data set name, a Dataset, (X, y), or a DataFrame with target=
    data_options: dict[str, Any] = field(default_factory=dict)  # n, noise, target, task, ...
    val_split: float = 0.2
    test_split: float = 0.2
    standardize: bool = True
    optimizer: str = "adam"
    lr: float | None = None
    momentum: float | None = None
    betas: tuple[float, float] | None = None
    eps: float | None = None
    weight_decay: float | None = None
    batch_size: int | None = None  # None: 32, or the whole training set for "gd"
    epochs: int = 20
    schedule: str | None = None    # "step(10, 0.5)", "cosine", "plateau(5, 0.5)"
    l1: float = 0.0
    l2: float = 0.0
    dropout: float | None = None   # sets every dropout layer's rate (added after hidden layers of a spec)
    augment: str | None = None     # training batches only: "flip,rotate(10),shift(1),noise(0.1)"
    freeze: str | None = None      # blocks not to train: "body", "0,1", or module names
    early_stopping: int | None = None  # patience in epochs; None: off
    monitor: str = "val_loss"
    restore_best: bool = True
    init: str = "default"
    loss: str | None = None        # None: cross-entropy for classes, MSE for regression
    seed: int = 0
    device: str = "auto"
    threads: int | None = None     # torch threads while training; None: one for small networks

    def replace(self, **changes: Any) -> "Config":
        unknown_fields = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown_fields:
            raise NbdlError(f"unknown setting(s) {', '.join(unknown_fields)}; choose from: {', '.join(field_names())}")
        return dataclasses.replace(self, **changes)

    def optimizer_settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in optimizers.HYPERPARAMETERS}

    def problems(self) -> list[str]:
        """Every problem of this config, worded for the user; empty when it is fine."""
        found: list[str] = []

        def check(condition: bool, message: str) -> None:
            if not condition:
                found.append(message)

        def attempt(fn, *args, **kwargs) -> Any:
            try:
                return fn(*args, **kwargs)
            except NbdlError as error:
                found.append(str(error))
                return None

        if self.network is None:
            found.append("no network given; write one in the text form, for example 'input 2\\ndense 16 relu\\ndense 2 softmax'")
        elif not isinstance(self.network, nn.Module):
            attempt(as_spec, self.network)
        kind = attempt(optimizers.kind, self.optimizer)
        if kind is not None:
            attempt(kind.settings, **self.optimizer_settings())
        if self.lr is not None:
            check(_number(self.lr) and self.lr > 0, f"lr must be a number > 0, got {self.lr!r}")
        if self.momentum is not None:
            check(_number(self.momentum) and 0 <= self.momentum < 1, f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.weight_decay is not None:
            check(_number(self.weight_decay) and self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.betas is not None:
            check(len(self.betas) == 2 and all(_number(b) and 0 <= b < 1 for b in self.betas),
                  f"betas must be two numbers in [0, 1), got {self.betas!r}")
        if self.batch_size is not None:
            check(_whole(self.batch_size) and self.batch_size >= 1,
                  f"batch_size must be a whole number >= 1, got {self.batch_size!r}")
            check(kind is None or not kind.full_batch,
                  f"optimizer 'gd' is full-batch (one step per epoch over all training data), so batch_size={self.batch_size} "
                  "does not apply; leave batch_size unset, or use optimizer 'sgd' for mini-batches")
        check(_whole(self.epochs) and self.epochs >= 0, f"epochs must be a whole number >= 0, got {self.epochs!r}")
        for name in ("l1", "l2"):
            value = getattr(self, name)
            check(_number(value) and value >= 0, f"{name} must be a number >= 0, got {value!r}")
        if self.dropout is not None:
            check(_number(self.dropout) and 0 <= self.dropout < 1, f"dropout rate must be in [0, 1), got {self.dropout!r}")
        for name in ("val_split", "test_split"):
            value = getattr(self, name)
            check(_number(value) and 0 <= value < 1, f"{name} must be in [0, 1), got {value!r}")
        if self.early_stopping is not None:
            check(_whole(self.early_stopping) and self.early_stopping >= 1,
                  f"early_stopping is a patience in epochs and must be >= 1, got {self.early_stopping!r}")
            check(not self.monitor.startswith("val_") or self.val_split > 0,
                  f"early stopping on {self.monitor!r} needs a validation split; set val_split above 0")
        attempt(optimizers.schedules.canonical, self.schedule or "none")
        if self.augment:
            from . import augment

            attempt(augment.check, self.augment)
        attempt(init_schemes.registry.canonical, self.init)
        if self.loss is not None and self.loss not in losses.LOSSES:
            found.append(f"unknown loss {self.loss!r}; choose one of: {', '.join(sorted(losses.LOSSES))}")
        check(self.device == "auto" or str(self.device).split(":")[0] in ("cpu", "cuda", "mps"),
              f"unknown device {self.device!r}; choose one of: auto, cpu, cuda")
        check(_whole(self.seed), f"seed must be a whole number, got {self.seed!r}")
        if self.threads is not None:
            check(_whole(self.threads) and self.threads >= 1, f"threads must be a whole number >= 1, got {self.threads!r}")
        return found

    def validate(self) -> "Config":
        raise_all(self.problems())
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description; user arrays and modules are named, not stored."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if isinstance(self.network, nn.Module):
            values["network"] = f"<module {type(self.network).__name__}>"
        elif self.network is not None:
            values["network"] = as_spec(self.network).to_dict()
        if not isinstance(self.data, str):
            values["data"] = f"<{self.data.name}>" if isinstance(self.data, Dataset) else "<arrays>"
        if self.betas is not None:
            values["betas"] = list(self.betas)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Config":
        values = dict(values)
        if isinstance(values.get("network"), dict):
            values["network"] = NetworkSpec.from_dict(values["network"])
        if values.get("betas") is not None:
            values["betas"] = tuple(values["betas"])
        return cls().replace(**values)


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Config)]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
