"""Runs back from checkpoint files: ``nbdl.load(path)`` rebuilds the run and restores its state."""
from __future__ import annotations

import os
from typing import Any, Iterable

from . import devices
from .checkpoint import read
from .config import Config
from .errors import NbdlError, spelling
from .state import part
from .trainer import Run


def load(path: str | os.PathLike, data: Any = None, network: Any = None, callbacks: Iterable[Any] = (),
         device: str | None = None) -> Run:
    """A run rebuilt from a checkpoint, ready to evaluate, predict or go on training.

    ``data`` is needed when the run trained on your own arrays, ``network`` when it trained a
    module of your own (the checkpoint holds their weights, not their code). ``callbacks`` of your
    own that keep a state (``state_dict``) get it back from the file. ``device`` loads it onto another
    device than it trained on (a GPU run on a machine without one: ``device="cpu"``)."""
    values, saved = read(path)
    if isinstance(values, dict) and values.get("kind") == "rl":  # a reinforcement-learning run
        from . import rl
        return rl.restore(values, saved)
    with part("config"):
        values = dict(values)
        magic = spelling() == "magic"
        for key, given, what, example in (
                ("network", network, "your own module", "NAME (the module)" if magic else "nbdl.load(path, network=MyModule())"),
                ("data", data, "your own data", "--data VARIABLE" if magic else "nbdl.load(path, data=(X, y))")):
            named = str(values.get(key, "")).startswith("<")  # stored by name only: "<module Net>", "<arrays>"
            if named and given is None:
                raise NbdlError(f"the run trained on {what} {values[key]}; give it again: {example}")
            if given is not None and not named and key == "network":
                raise NbdlError("it holds its network's spec; load it without network=")
            if given is not None:  # checked against the fingerprint of the data it trained on
                values[key] = given
                if key == "data" and not isinstance(given, str):  # a DataFrame's target column stays, and features
                    values["data_options"] = {k: v for k, v in dict(values.get("data_options") or {}).items()
                                              if k in ("target", "task", "features") and named}
        if device is not None:
            values["device"] = devices.check(device)
        try:
            devices.check(values.get("device", "auto"))
        except NbdlError:
            raise NbdlError(f"the run trained on device {values.get('device')!r}, which this machine does not have; "
                            f"load it with {'--device cpu' if magic else 'nbdl.load(path, device=' + repr('cpu') + ')'}") \
                from None
        config = Config.from_dict(values)
    run = Run(config, callbacks)
    run.load_state_dict(saved)
    return run
