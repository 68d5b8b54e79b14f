"""Checkpoints: a run's weights, optimizer, history and config in one safetensors file.

Loading reads tensors and JSON only (safetensors never runs code from a file), and writing goes
to a temporary file that replaces the old checkpoint only once it is complete on disk."""
from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import torch

from .callbacks import Callback, EarlyStopping
from .config import Config
from .errors import NbdlError

FORMAT, VERSION = "nbdl-checkpoint", "1"
FILENAME = "checkpoint.safetensors"


def save(run: Any, path: str | os.PathLike) -> Path:
    """Write ``run`` to ``path`` atomically; returns the path."""
    from safetensors.torch import save as to_bytes

    tensors: dict[str, torch.Tensor] = {f"model/{k}": v for k, v in run.model.state_dict().items()}
    optimizer = run.optimizer.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for index, state in optimizer["state"].items():
        for name, value in state.items():
            if torch.is_tensor(value):
                tensors[f"optimizer/{index}/{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = value
    tensors["rng/global"] = run._rng_state
    tensors["rng/shuffle"] = run._shuffle.get_state()
    stopper = _early_stopping(run)
    if stopper is not None and stopper.best_state is not None:
        tensors.update({f"best/{k}": v for k, v in stopper.best_state.items()})
    metadata = {
        "format": FORMAT, "version": VERSION,
        "config": json.dumps(run.config.to_dict()),
        "history": json.dumps(run.history),
        "state": json.dumps({"epoch": run.epoch, "global_step": run.global_step, "best_epoch": run.best_epoch,
                             "status": run.status}),
        "optimizer": json.dumps({"param_groups": optimizer["param_groups"], "scalars": scalars}),
        "scheduler": json.dumps(run.scheduler.state_dict() if run.scheduler is not None else None),
        "early_stopping": json.dumps(None if stopper is None else
                                     {"best": stopper.best, "best_epoch": stopper.best_epoch, "wait": stopper.wait}),
    }
    data = to_bytes({k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}, metadata=metadata)
    return write_atomically(Path(path), data)


def write_atomically(path: Path, data: bytes) -> Path:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise NbdlError(f"could not write the checkpoint {path}: {error.strerror or error}; "
                            "the previous checkpoint, if any, is intact") from None
        raise
    return path


def read(path: str | os.PathLike) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The metadata and tensors of an nbdl checkpoint, or an error saying what is wrong with the file."""
    from safetensors.torch import load as from_bytes

    path = Path(path)
    if not path.is_file():
        raise NbdlError(f"no checkpoint at {path}")
    data = path.read_bytes()
    try:
        (size,) = struct.unpack("<Q", data[:8])
        metadata = json.loads(data[8:8 + size]).get("__metadata__") or {}
        tensors = from_bytes(data)
    except Exception as error:  # truncated, foreign or damaged: say so instead of a parser's traceback
        raise NbdlError(f"{path} is not a readable nbdl checkpoint: it is damaged, truncated or another kind of "
                        f"file ({type(error).__name__})") from None
    if metadata.get("format") != FORMAT:
        raise NbdlError(f"{path} is a safetensors file but not an nbdl checkpoint (no '{FORMAT}' metadata)")
    if metadata.get("version") != VERSION:
        raise NbdlError(f"{path} is an nbdl checkpoint of version {metadata.get('version')}; this nbdl reads {VERSION}")
    return metadata, tensors


def load(path: str | os.PathLike, data: Any = None, network: Any = None) -> Any:
    """A run rebuilt from a checkpoint, ready to evaluate, predict or go on training.

    ``data`` is needed when the run trained on your own arrays, ``network`` when it trained a
    module of your own (the checkpoint holds their weights, not their code)."""
    from .trainer import Run

    metadata, tensors = read(path)
    values = json.loads(metadata["config"])
    if str(values.get("network", "")).startswith("<"):
        if network is None:
            raise NbdlError(f"the checkpoint trained your own module {values['network']}; pass it: "
                            "nbdl.load(path, network=MyModule())")
        values["network"] = network
    elif network is not None:
        raise NbdlError("this checkpoint holds its network's spec; load it without network=")
    if str(values.get("data", "")).startswith("<"):
        if data is None:
            raise NbdlError(f"the checkpoint trained on your own data {values['data']}; pass it: nbdl.load(path, data=(X, y))")
        values["data"] = data
    elif data is not None:
        values["data"] = data
    run = Run(Config.from_dict(values))
    _restore(run, metadata, tensors)
    return run


def _restore(run: Any, metadata: dict[str, str], tensors: dict[str, torch.Tensor]) -> None:
    def group(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    try:
        run.model.load_state_dict(group("model/"))
    except RuntimeError as error:
        raise NbdlError(f"the checkpoint's weights do not fit this network: {str(error).splitlines()[0]}") from None
    optimizer = json.loads(metadata["optimizer"])
    state: dict[int, dict[str, Any]] = {}
    for key, value in group("optimizer/").items():
        index, name = key.split("/", 1)
        state.setdefault(int(index), {})[name] = value
    for index, values in optimizer["scalars"].items():
        state.setdefault(int(index), {}).update(values)
    groups = optimizer["param_groups"]
    for g in groups:
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    run.optimizer.load_state_dict({"state": state, "param_groups": groups})
    scheduler = json.loads(metadata["scheduler"])
    if scheduler is not None and run.scheduler is not None:
        run.scheduler.load_state_dict(scheduler)
    run.history = json.loads(metadata["history"])
    figures = json.loads(metadata["state"])
    run.epoch, run.global_step = figures["epoch"], figures["global_step"]
    run.best_epoch, run.status = figures["best_epoch"], "ready" if figures["status"] == "running" else figures["status"]
    run.target_epoch = max(run.target_epoch, run.epoch)
    run._rng_state = tensors["rng/global"]
    run._shuffle.set_state(tensors["rng/shuffle"])
    stopper, saved = _early_stopping(run), json.loads(metadata["early_stopping"])
    if stopper is not None and saved is not None:
        stopper.best, stopper.best_epoch, stopper.wait = saved["best"], saved["best_epoch"], saved["wait"]
        best = group("best/")
        stopper.best_state = {k: v.to(run.device) for k, v in best.items()} or None


def _early_stopping(run: Any) -> EarlyStopping | None:
    return next((c for c in run.callbacks if isinstance(c, EarlyStopping)), None)


class Checkpoint(Callback):
    """Saves the run to ``directory/checkpoint.safetensors`` every ``every`` epochs and when a fit
    ends (finished, stopped or interrupted). A failed write warns and training goes on."""

    def __init__(self, directory: str | os.PathLike, every: int = 1):
        if every < 1:
            raise NbdlError(f"checkpoint every must be >= 1 epochs, got {every}")
        self.path, self.every = Path(directory) / FILENAME, every
        self.saves = 0

    def on_epoch_end(self, run, logs):
        if run.epoch % self.every == 0:
            self._save(run)

    def on_fit_end(self, run):
        self._save(run)

    def _save(self, run) -> None:
        import warnings

        try:
            save(run, self.path)
            self.saves += 1
        except NbdlError as error:
            warnings.warn(str(error), RuntimeWarning, stacklevel=2)
