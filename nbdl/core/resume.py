"""Runs back from checkpoint files: ``nbdl.load(path)`` rebuilds the run and restores its state."""
from __future__ import annotations

import os
from typing import Any

from .checkpoint import read
from .config import Config
from .errors import NbdlError
from .state import part
from .trainer import Run


def load(path: str | os.PathLike, data: Any = None, network: Any = None) -> Run:
    """A run rebuilt from a checkpoint, ready to evaluate, predict or go on training.

    ``data`` is needed when the run trained on your own arrays, ``network`` when it trained a
    module of your own (the checkpoint holds their weights, not their code)."""
    values, saved = read(path)
    with part("config"):
        values = dict(values)
        if str(values.get("network", "")).startswith("<"):
            if network is None:
                raise NbdlError(f"the run trained your own module {values['network']}; pass it: "
                                "nbdl.load(path, network=MyModule())")
            values["network"] = network
        elif network is not None:
            raise NbdlError("it holds its network's spec; load it without network=")
        if str(values.get("data", "")).startswith("<"):
            if data is None:
                raise NbdlError(f"the run trained on your own data {values['data']}; pass it: "
                                "nbdl.load(path, data=(X, y))")
            values["data"] = data
        elif data is not None:
            values["data"] = data
        config = Config.from_dict(values)
    run = Run(config)
    run.load_state_dict(saved)
    return run
