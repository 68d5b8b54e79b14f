"""Checkpoint files: a run's config and state in one safetensors file.

Loading reads tensors and JSON only (safetensors never runs code from a file), and every part is
checked before it is used (``state``). Writing goes to a temporary file beside the target that
replaces it only once complete on disk, follows the umask, writes through a symbolic link to its
target, and clears temporary files a crash left behind."""
from __future__ import annotations

import json
import os
import secrets
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .callbacks import SAVING, Callback
from .errors import NbdlError
from .limits import alive

FORMAT, VERSION = "nbdl-checkpoint", "2"
FILENAME = "checkpoint.safetensors"
_TENSOR = "__tensor__"
MAX_HEADER = 100 * 1024 * 1024  # a safetensors header beyond this is not one nbdl wrote


class CheckpointWarning(RuntimeWarning):
    """A checkpoint could not be written; training goes on and the previous file is intact."""


def as_path(path: Any, what: str = "a checkpoint") -> Path:
    """``path`` as a Path, or an error: a file path is text (or a ``pathlib.Path``), not empty."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes) or not os.fspath(path).strip() \
            or "\x00" in os.fspath(path):
        raise NbdlError(f"the path of {what} must be text or a pathlib.Path naming a file, got {path!r:.80}")
    return Path(path)


def write(path: str | os.PathLike, config: dict[str, Any], state: dict[str, Any]) -> Path:
    """Write ``config`` and ``state`` (nested dicts of plain values and tensors) to ``path``."""
    from safetensors.torch import save as to_bytes

    path = as_path(path)
    tensors: dict[str, torch.Tensor] = {}
    tree = _flatten(state, "state", tensors)
    try:
        metadata = {"format": FORMAT, "version": VERSION, "config": json.dumps(config), "state": json.dumps(tree)}
    except (TypeError, ValueError) as error:
        raise NbdlError(f"cannot save the run: a part of its state is not numbers, text, lists, dicts or tensors "
                        f"({error}); a callback's state_dict() must return those") from None
    data = to_bytes({k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}, metadata=metadata)
    return write_atomically(Path(path), data)


def _flatten(value: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    """JSON with each tensor replaced by ``{"__tensor__": key}``, the tensors collected in ``tensors``."""
    if torch.is_tensor(value):
        key = path if path not in tensors else f"{path}#{len(tensors)}"
        tensors[key] = value
        return {_TENSOR: key}
    if isinstance(value, dict):
        return {str(k): _flatten(v, f"{path}/{k}", tensors) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, f"{path}/{i}", tensors) for i, v in enumerate(value)]
    if isinstance(value, np.generic):  # numpy numbers and bools: their Python twins
        return value.item()
    return value


def _unflatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, dict):
        if set(value) == {_TENSOR}:
            key = value[_TENSOR]
            if not isinstance(key, str) or key not in tensors:
                raise NbdlError(f"its state names a tensor {key!r} that the file does not hold")
            return tensors[key]
        return {k: _unflatten(v, tensors) for k, v in value.items()}
    if isinstance(value, list):
        return [_unflatten(v, tensors) for v in value]
    return value


def write_atomically(path: Path, data: bytes) -> Path:
    """Write to a temporary file beside ``path`` (beside its target, for a link), flush it to disk,
    then rename it over the target. An OSError (a read-only or full folder) becomes an NbdlError; a
    path that names something other than a file (a folder, a device, a pipe) is refused untouched."""
    temporary = None
    try:
        target = Path(os.path.realpath(path))
        if target.exists() and not target.is_file():
            raise NbdlError(f"{path} is not a file (a folder, a device or a pipe); save to a file path such as "
                            f"{Path(path) / 'run.safetensors' if target.is_dir() else 'run.safetensors'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(target)
        temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
        temporary = None
    except OSError as error:
        raise NbdlError(f"could not write the checkpoint {path}: {error.strerror or error}; "
                        "the previous checkpoint, if any, is intact") from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
    return path


def remove_stale_partials(target: Path) -> None:
    """Delete temporary files of ``target`` left by a process that died while writing."""
    for leftover in target.parent.glob(f".{target.name}.*.partial"):
        pid = leftover.name[len(target.name) + 2:].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and alive(int(pid)):
            continue  # another process is writing it now
        if pid.isdigit() and int(pid) == os.getpid():
            continue  # this process: another thread's write in progress
        leftover.unlink(missing_ok=True)


def read(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """The config and state of an nbdl checkpoint, or an error saying what is wrong with the file."""
    from safetensors.torch import load as from_bytes

    path = as_path(path)
    try:
        if not path.is_file():
            raise NbdlError(f"no checkpoint at {path}" + (" (it is a folder; the file inside is "
                                                          f"{path / FILENAME})" if path.is_dir() else ""))
        data = path.read_bytes()
    except OSError as error:
        raise NbdlError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        (size,) = struct.unpack("<Q", data[:8])
        if size > min(len(data) - 8, MAX_HEADER):
            raise ValueError("header size beyond the file")
        header = json.loads(data[8:8 + size])
        metadata = header.get("__metadata__") or {} if isinstance(header, dict) else {}
        tensors = from_bytes(data)
    except Exception as error:  # truncated, foreign or damaged: say so, not a parser's traceback
        raise NbdlError(f"{path} is not a readable nbdl checkpoint: it is damaged, truncated or another kind of "
                        f"file ({type(error).__name__})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise NbdlError(f"{path} is a safetensors file but not an nbdl checkpoint (no '{FORMAT}' metadata)")
    if metadata.get("version") != VERSION:
        raise NbdlError(f"{path} is an nbdl checkpoint of version {metadata.get('version')!r}; this nbdl reads "
                        f"version {VERSION}")
    config = _json(metadata, "config", path)
    try:
        state = _unflatten(_json(metadata, "state", path), tensors)
    except RecursionError:
        raise NbdlError(f"{path}: the checkpoint's state is damaged (nested too deeply)") from None
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise NbdlError(f"{path}: the checkpoint's config and state must be JSON objects")
    return config, state


def run_id(path: str | os.PathLike) -> str | None:
    """Which run a checkpoint file holds (its id), or None when it holds none that can be read."""
    try:
        _, state = read(path)
        return state["progress"]["run"]
    except (NbdlError, KeyError, TypeError):
        return None


def _json(metadata: dict[str, str], key: str, path: Path) -> Any:
    try:
        return json.loads(metadata[key])
    except KeyError:
        raise NbdlError(f"{path}: the checkpoint has no {key}") from None
    except (ValueError, TypeError, RecursionError) as error:
        raise NbdlError(f"{path}: the checkpoint's {key} is damaged ({type(error).__name__})") from None


class Checkpoint(Callback):
    """Saves the run to ``directory/checkpoint.safetensors`` every ``every`` epochs and when a fit
    ends (finished, stopped or interrupted). A failed write warns and training goes on."""

    order = SAVING
    adds_figures = False

    def __init__(self, directory: str | os.PathLike, every: int = 1):
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise NbdlError(f"checkpoint every must be a whole number >= 1 epochs, got {every!r}")
        self.path, self.every = as_path(directory, "a checkpoint folder") / FILENAME, every
        self.saves = 0
        self.failures = 0
        self._said: set[str] = set()  # each reason for a failed write is said once

    def on_epoch_end(self, run, logs):
        if run.epoch % self.every == 0:
            self.save(run)

    def on_fit_end(self, run):
        self.save(run)

    def save(self, run) -> None:
        try:
            run.save(self.path)
            self.saves += 1
        except NbdlError as error:
            self.failures += 1
            if str(error) not in self._said:
                self._said.add(str(error))
                warnings.warn(f"{error}; training goes on", CheckpointWarning, stacklevel=2)

    def writable(self) -> str | None:
        """Why the folder cannot hold a checkpoint (checked by writing a test file), or None."""
        try:
            write_atomically(self.path.parent / ".nbdl-write-test", b"")
            (self.path.parent / ".nbdl-write-test").unlink()
        except (NbdlError, OSError) as error:
            return str(error)
        return None
