"""Checks of a saved state's weights, optimizer and schedule against the run they go into: shapes,
types, and values no training leaves behind (NaN, inf, huge magnitudes, negative second moments)."""
from __future__ import annotations

import math
from typing import Any

import torch

from .config import setting_named
from .errors import NbdlError
from .optimizers import HYPERPARAMETERS

# Per-parameter optimizer state each torch optimizer keeps (beyond these names, nothing is restored).
OPTIMIZER_STATE = {
    torch.optim.SGD: {"momentum_buffer"},
    torch.optim.Adam: {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    torch.optim.AdamW: {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    torch.optim.Adagrad: {"step", "sum"},
    torch.optim.RMSprop: {"step", "square_avg", "momentum_buffer", "grad_avg"},
}
# What each torch optimizer must have for a weight once it has state for it (the rest may come later).
REQUIRED_STATE = {
    torch.optim.Adam: {"step", "exp_avg", "exp_avg_sq"},
    torch.optim.AdamW: {"step", "exp_avg", "exp_avg_sq"},
    torch.optim.Adagrad: {"step", "sum"},
    torch.optim.RMSprop: {"step", "square_avg"},
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
        lacking = sorted(REQUIRED_STATE.get(type(optimizer), set()) - set(state))
        if lacking:
            raise NbdlError(f"its state for weight {index} lacks {', '.join(lacking)}")
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
