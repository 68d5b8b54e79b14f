"""A run's state for checkpoints, and every part of a saved state checked before it is restored.

A checkpoint may be damaged or crafted: an optimizer state of the wrong size once made a fused
kernel write out of bounds. So each part (weights, optimizer, schedule, generators, history,
progress, callbacks) is checked against the run it goes into, and an ``NbdlError`` names the part
and what is wrong; nothing changes unless every part fits.
"""
from __future__ import annotations

import contextlib
import hashlib
import math
from typing import Any, Iterator

import numpy as np
import torch

from .config import setting_named
from .errors import NbdlError
from .history import History
from .optimizers import HYPERPARAMETERS

# Per-parameter optimizer state each torch optimizer keeps (beyond these names, nothing is restored).
OPTIMIZER_STATE = {
    torch.optim.SGD: {"momentum_buffer"},
    torch.optim.Adam: {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    torch.optim.AdamW: {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    torch.optim.Adagrad: {"step", "sum"},
    torch.optim.RMSprop: {"step", "square_avg", "momentum_buffer", "grad_avg"},
}
# Per-parameter state that is a running mean of squares (or a sum of them): never negative.
NONNEGATIVE_STATE = {"exp_avg_sq", "max_exp_avg_sq", "sum", "square_avg"}
# Model buffers that are variances: never negative.
NONNEGATIVE_BUFFERS = ("running_var",)
# No trained value is this large: beyond it float32 products overflow (a crafted weight of 3e38).
LARGEST = 1e30
# Scheduler entries that change as it steps; every other entry must equal the run's own (its settings).
SCHEDULE_PROGRESS = {"base_lrs", "last_epoch", "_step_count", "_is_initial", "_get_lr_called_within_step",
                     "_last_lr", "best", "cooldown_counter", "num_bad_epochs"}
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
                     "best_epoch": run.best_epoch, "status": run.status, "stop_reason": run.stop_reason},
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
    """A short digest of which samples are in the training, validation and test parts."""
    digest = hashlib.blake2b(digest_size=12)
    for name in ("train", "val", "test"):
        digest.update(np.ascontiguousarray(splits.indices[name]).tobytes() + b"|")
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
        raise NbdlError("the data would be split otherwise than when the run trained (another val_split, "
                        "test_split or seed), so its validation and test parts would hold samples it trained on")


def check_model(own: dict[str, torch.Tensor], saved: Any) -> dict[str, torch.Tensor]:
    if not isinstance(saved, dict):
        raise NbdlError("the weights are missing")
    missing, extra = sorted(set(own) - set(saved)), sorted(set(saved) - set(own))
    if missing or extra:
        raise NbdlError("; ".join(filter(None, [f"it lacks {', '.join(missing)}" if missing else "",
                                               f"it has no place for {', '.join(extra)}" if extra else ""])))
    for key, tensor in saved.items():
        _tensor_like(tensor, own[key], f"weight {key!r}", nonnegative=key.endswith(NONNEGATIVE_BUFFERS))
    return saved


def _tensor_like(tensor: Any, like: torch.Tensor, what: str, nonnegative: bool = False) -> None:
    if not torch.is_tensor(tensor):
        raise NbdlError(f"{what} is not a tensor")
    if tensor.shape != like.shape:
        raise NbdlError(f"{what} has shape {tuple(tensor.shape)} but this network's has {tuple(like.shape)}")
    if tensor.dtype != like.dtype:
        raise NbdlError(f"{what} is {tensor.dtype} but this network's is {like.dtype}")
    plausible(tensor, what, nonnegative)


def plausible(tensor: torch.Tensor, what: str, nonnegative: bool = False) -> None:
    """Refuse values no training leaves behind: NaN, inf, magnitudes beyond LARGEST, and negative
    values where only squares or variances belong."""
    if not tensor.is_floating_point() or not tensor.numel():
        return
    if not torch.isfinite(tensor).all():
        raise NbdlError(f"{what} holds NaN or infinite values")
    if tensor.abs().max() > LARGEST:
        raise NbdlError(f"{what} holds values as large as {tensor.abs().max().item():.3g}, beyond what training leaves")
    if nonnegative and tensor.min() < 0:
        raise NbdlError(f"{what} holds negative values, but it is a mean of squares or a variance")


def check_optimizer(optimizer: torch.optim.Optimizer, saved: Any) -> dict[str, Any]:
    """A state dict for ``optimizer.load_state_dict``: the run's own settings with the saved
    hyperparameters (checked like the config's) and per-parameter state of the right shapes."""
    own = optimizer.state_dict()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    if not isinstance(groups, list) or len(groups) != len(own["param_groups"]):
        raise NbdlError(f"it must hold {len(own['param_groups'])} parameter group(s)")
    param_groups = []
    for mine, theirs in zip(own["param_groups"], groups):
        extra = sorted(set(theirs) - {k for k in mine if k in HYPERPARAMETERS or k == "initial_lr"})
        if extra:
            raise NbdlError(f"it sets {', '.join(extra)}, which this optimizer does not take from a checkpoint")
        group = dict(mine)
        for key, value in theirs.items():
            name = "lr" if key == "initial_lr" else key
            group[key] = setting_named(name).check(value, subject=f"its {key}")
        param_groups.append(group)
    allowed = OPTIMIZER_STATE.get(type(optimizer))
    states = saved.get("state")
    if not isinstance(states, dict):
        raise NbdlError("its per-weight state is missing")
    restored: dict[int, dict[str, Any]] = {}
    for index, values in states.items():
        if not str(index).isdigit() or int(index) >= len(params):
            raise NbdlError(f"it has state for weight {index}, but the optimizer has {len(params)} weights")
        if not isinstance(values, dict):
            raise NbdlError(f"its state for weight {index} is not a set of named values")
        param, state = params[int(index)], {}
        for name, value in values.items():
            if allowed is not None and name not in allowed:
                raise NbdlError(f"it has {name!r} for weight {index}; {type(optimizer).__name__} keeps "
                                f"{', '.join(sorted(allowed))}")
            state[name] = _state_value(name, value, param, f"{name!r} of weight {index}", optimizer)
        restored[int(index)] = state
    if restored and len(restored) != len(params):
        raise NbdlError(f"it has state for {len(restored)} of the optimizer's {len(params)} weights")
    return {"state": restored, "param_groups": param_groups}


def _state_value(name: str, value: Any, param: torch.Tensor, what: str, optimizer: Any = None) -> Any:
    if value is None:
        if name == "momentum_buffer" and type(optimizer) is torch.optim.SGD:
            return None  # SGD's buffer before momentum is switched on
        raise NbdlError(f"{what} is missing (None)")
    if torch.is_tensor(value):
        if name == "step" and value.dim() != 0:  # a count, kept as a float tensor with no dimensions
            raise NbdlError(f"{what} must be a single number, got shape {tuple(value.shape)}")
        if value.dim() == 0:  # a count or a running product (NAdam's mu_product)
            if not value.is_floating_point() or not torch.isfinite(value).all() or (name == "step" and value < 0):
                raise NbdlError(f"{what} must be a{' step count >= 0' if name == 'step' else ' finite number'}, "
                                f"got {value}")
            return value.to(torch.float32)
        if value.shape != param.shape or value.dtype != param.dtype:
            raise NbdlError(f"{what} has shape {tuple(value.shape)} {value.dtype}; the weight is "
                            f"{tuple(param.shape)} {param.dtype}")
        plausible(value, what, nonnegative=name in NONNEGATIVE_STATE)
        return value.to(param.device)
    if name == "step" and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
            and value >= 0:
        return value
    raise NbdlError(f"{what} must be a tensor or a step count, got {value!r}")


def check_scheduler(scheduler: Any, saved: Any) -> dict[str, Any] | None:
    if scheduler is None or saved is None:
        if (scheduler is None) != (saved is None):
            raise NbdlError("this run's schedule and the checkpoint's differ (one has none)")
        return None
    own = scheduler.state_dict()
    if not isinstance(saved, dict) or set(saved) != set(own):
        raise NbdlError(f"it must have the entries {', '.join(sorted(own))}")
    for key, mine in own.items():
        theirs = saved[key]
        if key not in SCHEDULE_PROGRESS:
            if _plain(theirs) != _plain(mine):
                raise NbdlError(f"it says {key}={theirs!r} but this run's schedule has {key}={mine!r}")
        elif not _same_kind(theirs, mine):
            raise NbdlError(f"its {key} must be like {mine!r}, got {theirs!r}")
    return saved


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _same_kind(theirs: Any, mine: Any) -> bool:
    """The same type of value (a number finite and >= -1 where a number is expected)."""
    if isinstance(mine, bool) or mine is None:
        return isinstance(theirs, bool) if isinstance(mine, bool) else theirs is None
    if isinstance(mine, (int, float)):
        if isinstance(theirs, bool) or not isinstance(theirs, (int, float)):
            return False
        if isinstance(mine, int) and not isinstance(theirs, int):
            return False
        return (math.isinf(theirs) and math.isinf(mine)) or (math.isfinite(theirs) and theirs >= -1)
    if isinstance(mine, (list, tuple)):
        return isinstance(theirs, (list, tuple)) and len(theirs) == len(mine) and \
            all(_same_kind(t, m) and not (isinstance(t, (int, float)) and t < 0) for t, m in zip(theirs, mine))
    return type(theirs) is type(mine)


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
            raise NbdlError(f"a generator state must be {own.numel()} bytes, got "
                            f"{tuple(value.shape) if torch.is_tensor(value) else type(value).__name__}")
        checked.append((generator, value))
    return checked
