"""Adding a layer type, a data set or an optimizer of one's own: each declaration is checked when it
is registered (names, options against their own ranges, that it fits every surface), so a mistake
is said at once, not as a raw exception the first time something uses it."""
from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from . import datasets, layers, optimizers
from .config import NAMES as SETTING_NAMES
from .config import setting_named
from .datasets import DataSet
from .errors import NbdlError
from .layers import Layer
from .optimizers import OptimizerKind
from .options import Option

# Words a data set's option may not take: they name settings or flags of their own.
RESERVED = {*SETTING_NAMES, "seed", "y", "as", "run_name", "checkpoint", "checkpoint_every", "resume", "no_plot",
            "help", *(o.name for o in datasets.USER_OPTIONS)}


def register_optimizer(kind: OptimizerKind, aliases: tuple[str, ...] = (), replace: bool = False) -> OptimizerKind:
    """Add an optimizer: ``OptimizerKind(name, torch class, {setting: default}, help=...)``."""
    if isinstance(kind, OptimizerKind) and isinstance(kind.defaults, dict):
        for name, value in kind.defaults.items():
            if name in optimizers.HYPERPARAMETERS:
                setting_named(name).check(value, subject=f"optimizer {kind.name!r}'s default {name}")
    optimizers.register(kind, aliases, replace)
    try:
        _try_steps(kind)
    except NbdlError:
        optimizers.registry.remove(kind.name)
        raise
    return kind


def _try_steps(kind: OptimizerKind) -> None:
    """Two steps on a tiny layer, as the trainer takes them (no closure, dense gradients)."""
    import torch

    layer = torch.nn.Linear(3, 2)
    try:
        optimizer = optimizers.make(kind.name, layer.parameters())
        for _ in range(2):
            for p in layer.parameters():
                p.grad = None
            layer(torch.ones(4, 3)).pow(2).mean().backward()
            optimizer.step()
    except Exception as error:  # noqa: BLE001 - the user's optimizer class
        raise NbdlError(f"optimizer {kind.name!r} cannot take the trainer's steps (a step with no closure on dense "
                        f"gradients): {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") \
            from None


def register_data_set(record: DataSet, aliases: tuple[str, ...] = (), replace: bool = False) -> DataSet:
    """Add a data set: ``DataSet(name, load, task, help, shape, width, options)``; ``load(seed=...,
    **options)`` returns a Dataset (``nbdl.data.from_arrays``)."""
    if not isinstance(record, DataSet):
        raise NbdlError(f"register takes a DataSet, got {type(record).__name__}")
    what = f"data set {record.name!r}"
    for field in ("load", "shape", "width", "samples"):
        if not callable(getattr(record, field)):
            raise NbdlError(f"{what}: {field} must be a function, got {getattr(record, field)!r}")
    if not isinstance(record.options, tuple) or not all(isinstance(o, Option) for o in record.options):
        raise NbdlError(f"{what}: options must be a tuple of nbdl.Option")
    names = [o.name for o in record.options]
    clash = sorted(set(names) & RESERVED) or sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise NbdlError(f"{what}: an option may not be called {', '.join(map(repr, clash))} (a setting's or a flag's "
                        "name, or given twice); choose another name")
    for opt in record.options:
        if not opt.name.isidentifier():
            raise NbdlError(f"{what}: an option's name is a Python name, got {opt.name!r}")
        if opt.default is not None or not opt.optional:
            opt.check(opt.default, subject=f"{what}'s default {opt.name}")
    takes = inspect.signature(record.load).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in takes.values()):
        missing = [n for n in ("seed", *names) if n not in takes]
        if missing:
            raise NbdlError(f"{what}: its load function must take {', '.join(missing)} (it is called as "
                            f"load(seed=..., {', '.join(f'{n}=...' for n in names)}))")
    return datasets.register(record, aliases, replace)


def register_layer(cls: type[Layer] | None = None, *, replace: bool = False) -> Any:
    """Add a layer type (usable as a class decorator): a dataclass subclass of ``nbdl.Layer`` with
    ``type``, ``help``, an ``example`` line, options made with ``nbdl.option``, and ``build``."""
    if cls is None:
        return lambda given: register_layer(given, replace=replace)
    if not (isinstance(cls, type) and issubclass(cls, Layer) and dataclasses.is_dataclass(cls)):
        raise NbdlError(f"a layer type is a @dataclass subclass of nbdl.Layer, got {cls!r}")
    if not isinstance(cls.type, str) or not cls.type or not cls.type.replace("_", "a").isalnum() \
            or not cls.type[0].isalpha():
        raise NbdlError(f"layer class {cls.__name__} needs a type: one word that starts its line, such as 'clip', got "
                        f"{getattr(cls, 'type', None)!r}")
    for opt in cls.options():
        if not opt.required and (opt.default is not None or not opt.optional):
            opt.check(opt.default, subject=f"layer '{cls.type}' default {opt.name}")
    example = cls.example.split() if isinstance(cls.example, str) else []
    if any(o.required for o in cls.options()) and not example:
        raise NbdlError(f"layer '{cls.type}' has options without defaults, so it needs an example line such as "
                        f"'{cls.type} 16' (the panel starts a new row from it)")
    if example:
        if example[0] != cls.type:
            raise NbdlError(f"layer '{cls.type}': its example must start with '{cls.type}', got {cls.example!r}")
        try:
            cls.from_words(example[1:])
        except NbdlError as error:
            raise NbdlError(f"layer '{cls.type}': its example {cls.example!r} does not read: {error}") from None
    return layers.register(cls, replace=replace)
