"""A run's state for checkpoints, and every part of a saved state checked before it is restored.

A checkpoint may be damaged or crafted: an optimizer state of the wrong size once made a fused
kernel write out of bounds. So each part (weights, optimizer, schedule, generators, history,
progress, callbacks) is checked against the run it goes into, and an ``NbdlError`` names the part
and what is wrong; nothing changes unless every part fits.
"""
from __future__ import annotations

import contextlib
import hashlib
from typing import Any, Iterator

import numpy as np
import torch

from .errors import NbdlError
from .history import History
from .optimizers import HYPERPARAMETERS
from .state_checks import check_model, check_optimizer, check_scheduler

# How a run stands: before any fit, during one, and how its last fit ended.
STATUSES = ("ready", "running", "finished", "stopped", "diverged", "interrupted", "failed")


@contextlib.contextmanager
def part(name: str) -> Iterator[None]:
    """Name the part of the checkpoint a problem is in; anything unexpected becomes an NbdlError."""
    try:
        yield
    except NbdlError as error:
        raise NbdlError(f"the checkpoint's {name} does not fit this run: {error}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError, RecursionError,
            OverflowError) as error:
        raise NbdlError(f"the checkpoint's {name} is damaged ({type(error).__name__}: {error})") from None


def of_run(run: Any) -> dict[str, Any]:
    """The run's state as plain values and tensors (copies)."""
    optimizer = run.optimizer.state_dict()
    return {
        "model": {k: v.detach().clone() for k, v in run.model.state_dict().items()},
        "optimizer": {
            "state": {str(i): {k: v.detach().clone() if torch.is_tensor(v) else v for k, v in s.items()}
                      for i, s in optimizer["state"].items()},
            "param_groups": [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()
                              if k in HYPERPARAMETERS or k == "initial_lr"} for g in optimizer["param_groups"]],
        },
        "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
        "generators": {"shuffle": run.shuffle.get_state(), "dropout": run.generator.get_state(),
                       "augment": run.augmenter.generator.get_state() if run.augmenter is not None else None,
                       "device": run.device.type},
        "history": run.history.to_lists(),
        "progress": {"epoch": run.epoch, "global_step": run.global_step, "target_epoch": run.target_epoch,
                     "best_epoch": run.best_epoch, "status": run.status, "stop_reason": run.stop_reason,
                     "run": run.id},
        "callbacks": {key: s for key, c in keyed(run.callbacks) if (s := c.state_dict()) is not None},
        "data": {"fingerprint": fingerprint(run.dataset), "split": split_fingerprint(run.data),
                 "samples": len(run.dataset), "shape": list(run.dataset.sample_shape)},
    }


def keyed(callbacks: list[Any]) -> list[tuple[str, Any]]:
    """Each callback with the key its state is saved under: its ``state_key``, numbered from the
    second on when several share one (the config's early stopping and one of the user's)."""
    seen: dict[str, int] = {}
    found = []
    for callback in callbacks:
        key = callback.state_key
        seen[key] = seen.get(key, 0) + 1
        found.append((key if seen[key] == 1 else f"{key}_{seen[key]}", callback))
    return found


def split_fingerprint(splits: Any) -> str:
    """A short digest of which samples are in the training, validation and test parts, and of how
    they are standardized."""
    digest = hashlib.blake2b(digest_size=12)
    for name in ("train", "val", "test"):
        digest.update(np.ascontiguousarray(splits.indices[name]).tobytes() + b"|")
    for scale in (splits.mean, splits.std, splits.y_mean, splits.y_std):  # how the samples are standardized
        digest.update(b"-" if scale is None else np.ascontiguousarray(scale, dtype=np.float64).tobytes())
    return digest.hexdigest()


def fingerprint(dataset: Any) -> str:
    """A short digest of a data set's samples and targets: the same data, the same digest."""
    digest = hashlib.blake2b(digest_size=12)
    for array in (dataset.X, dataset.y):
        digest.update(str((array.shape, array.dtype.str)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def restore_run(run: Any, saved: Any) -> None:
    """Check every part of ``saved`` against ``run``, then restore them all."""
    with part("state"):
        if not isinstance(saved, dict):
            raise NbdlError("it is not a run's state")
        missing = sorted({"model", "optimizer", "scheduler", "generators", "history", "progress"} - set(saved))
        if missing:
            raise NbdlError(f"it lacks {', '.join(missing)}")
    with part("weights"):
        model = check_model(run.model.state_dict(), saved["model"])
    with part("optimizer state"):
        optimizer = check_optimizer(run.optimizer, saved["optimizer"])
    with part("schedule state"):
        scheduler = check_scheduler(run.scheduler, saved["scheduler"])
    with part("progress"):
        progress = check_progress(saved["progress"])
    with part("history"):
        history = History.checked(saved["history"], progress["epoch"])
    with part("random generators"):
        generators = check_generators(run, saved["generators"], progress["global_step"])
    with part("data"):
        check_data(run, saved.get("data"))
    with part("weights"):
        run.model.load_state_dict(model)
    with part("optimizer state"):
        run.optimizer.load_state_dict(optimizer)
    if scheduler is not None:
        run.scheduler.load_state_dict(scheduler)
    with part("random generators"):
        for generator, value in generators:
            if isinstance(value, int):
                generator.manual_seed(value)
            else:
                generator.set_state(value)
    run.history = history
    run.global_step, run.best_epoch = progress["global_step"], progress["best_epoch"]
    run.target_epoch = max(progress["target_epoch"], run.epoch)
    run.status = "ready" if progress["status"] == "running" else progress["status"]
    run.stop_reason = progress["stop_reason"]
    if isinstance(progress.get("run"), str) and progress["run"].isalnum():
        run.id = progress["run"]
    callbacks = saved.get("callbacks") or {}
    for key, callback in keyed(run.callbacks):
        if key in callbacks:
            with part(f"{key.replace('_', ' ')} state"):
                callback.load_state_dict(callbacks[key], run)


def check_data(run: Any, saved: Any) -> None:
    """The data a run is restored with must be the data it trained on."""
    if not isinstance(saved, dict) or not isinstance(saved.get("fingerprint"), str):
        raise NbdlError("it does not say which data the run trained on")
    if saved["fingerprint"] != fingerprint(run.dataset):
        raise NbdlError(f"the run trained on other data ({saved.get('samples')} samples of shape "
                        f"{tuple(saved.get('shape') or ())}) than given now ({len(run.dataset)} samples of shape "
                        f"{run.dataset.sample_shape}); give the data it trained on")
    if saved.get("split") != split_fingerprint(run.data):
        raise NbdlError("the data would be split or standardized otherwise than when the run trained (another "
                        "val_split, test_split, seed or standardize), so its validation and test figures would not "
                        "be those of the data it trained on")


def check_progress(saved: Any) -> dict[str, Any]:
    if not isinstance(saved, dict):
        raise NbdlError("it is missing")
    epoch, step, target = saved.get("epoch"), saved.get("global_step"), saved.get("target_epoch")
    for name, value in (("epoch", epoch), ("global_step", step), ("target_epoch", target)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise NbdlError(f"its {name} must be a whole number >= 0, got {value!r}")
    best = saved.get("best_epoch")
    if best is not None and (not isinstance(best, int) or not 1 <= best <= epoch):
        raise NbdlError(f"its best epoch must be among epochs 1..{epoch}, got {best!r}")
    if saved.get("status") not in STATUSES:
        raise NbdlError(f"its status must be one of: {', '.join(STATUSES)}, got {saved.get('status')!r}")
    if not isinstance(saved.get("stop_reason"), (str, type(None))):
        raise NbdlError("its stop reason must be text")
    return saved


def check_generators(run: Any, saved: Any, global_step: int) -> list[tuple[torch.Generator, Any]]:
    """(generator, state) pairs. A generator state from another kind of device (a run saved on a
    GPU, loaded on a CPU) cannot be used there: that generator is seeded afresh instead."""
    if not isinstance(saved, dict):
        raise NbdlError("they are missing")
    pairs = [(run.shuffle, saved.get("shuffle"), True), (run.generator, saved.get("dropout"), False)]
    if run.augmenter is not None:
        pairs.append((run.augmenter.generator, saved.get("augment"), False))
    same_device = saved.get("device") == run.device.type
    checked = []
    for generator, value, on_cpu in pairs:
        own = generator.get_state()
        if not (on_cpu or same_device):
            checked.append((generator, run.config.seed + global_step))
            continue
        if not torch.is_tensor(value) or value.dtype != torch.uint8 or value.shape != own.shape:
            raise NbdlError(f"a generator state must be {own.numel()} bytes (uint8), got "
                            f"{f'{tuple(value.shape)} {value.dtype}' if torch.is_tensor(value) else type(value).__name__}")
        checked.append((generator, value))
    return checked
