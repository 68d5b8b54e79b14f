"""Many runs of one experiment: built from a base config and per-run changes, trained together.

``train_many`` is what comparisons and searches call. Runs that share a network shape and data
and differ only in numbers (seed, learning rate, momentum, penalties, dropout rate, initialisation)
train as one stacked model (``stacked``); others train one after the other.
Either way every run is a real ``Run`` (evaluate, predict, save, interpret), and the same seed
gives the same curve as the run trained alone. A run trained on its own takes the torch threads
its size calls for (one for a small network, as ``Run.fit`` chooses).
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Iterable, Mapping

from . import stacked
from .callbacks import Callback
from .config import NAMES, Config, as_config
from .errors import NbdlError, spell

# What the caller hears after each epoch of each run: on_epoch(name, run). It may stop a run
# (``run.halt("stopped", reason)``): that run trains no further epochs; the others go on.
OnEpoch = Callable[[str, Any], None]
STACK = ("auto", "always", "never")


def variants(base: Config | dict | None = None, overrides: Mapping[str, Mapping[str, Any]] | None = None,
             ) -> dict[str, Config]:
    """One checked config per name: ``base`` with each name's overrides, every problem in one error."""
    base = as_config(base or Config())
    if not isinstance(overrides, Mapping) or not overrides:
        raise NbdlError("give the runs as a dict of name -> changes, for example "
                        "{'sgd': {'optimizer': 'sgd'}, 'adam': {'optimizer': 'adam'}}")
    configs, problems = {}, []
    for name, changes in overrides.items():
        if not isinstance(name, str) or not name:
            problems.append(f"a run's name must be a non-empty string, got {name!r}")
            continue
        if not isinstance(changes, Mapping):
            problems.append(f"run {name!r}: changes must be a dict of settings such as {{'lr': 0.01}}, "
                            f"got {changes!r:.60}")
            continue
        unknown = sorted(set(changes) - set(NAMES))
        if unknown:
            problems.append(f"run {name!r}: unknown setting(s) {', '.join(unknown)}; choose from: {', '.join(NAMES)}")
            continue
        config = base.replace(**changes)
        found = config.problems()
        if found:
            problems.extend(f"run {name!r}: {p}" for p in found)
        else:
            configs[name] = config.validate()
    if problems:
        raise NbdlError("; ".join(problems))
    return configs


def grid(**choices: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Every combination of the choices, named by what differs: ``grid(optimizer=["sgd", "adam"],
    lr=[0.01, 0.1])`` gives four runs, ``"optimizer=sgd, lr=0.01"`` and so on. A single value
    (``lr=0.1``) is a list of one."""
    if not choices:
        raise NbdlError("grid needs at least one setting with a list of values, for example lr=[0.01, 0.1]")
    lists, texts = {}, {}
    for name, values in choices.items():
        if name not in NAMES:
            raise NbdlError(f"unknown setting {name!r}; choose from: {', '.join(NAMES)}")
        values = [values] if isinstance(values, (str, bytes)) or not isinstance(values, Iterable) else list(values)
        if not values:
            raise NbdlError(f"{spell(name)} has no values to try")
        twice = next((v for i, v in enumerate(values) if v in values[:i]), None)
        if twice is not None:
            raise NbdlError(f"{spell(name)}: {twice!r} is given twice; give each value once")
        lists[name] = values
        short = [_short(v) for v in values]
        # Values that print alike (0.1 and 0.10000000001) are named in full: each run keeps a name of its own.
        texts[name] = short if len(set(short)) == len(short) else [repr(v) for v in values]
    found = {}
    for combination in itertools.product(*(range(len(v)) for v in lists.values())):
        changes = {name: lists[name][i] for name, i in zip(lists, combination)}
        found[", ".join(f"{name}={texts[name][i]}" for name, i in zip(lists, combination))] = changes
    return found


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def train_many(configs: Mapping[str, Config], *, epochs: int | None = None, on_epoch: OnEpoch | None = None,
               callbacks: Callable[[str], Iterable[Callback]] | None = None, stack: str = "auto") -> dict[str, Any]:
    """Build a run per config and train each ``epochs`` epochs (each config's own by default).

    ``stack``: "auto" stacks the runs when they can be (see ``stacked.why_not``), "always" raises
    when they cannot, saying why; "never" trains them one after the other. ``callbacks(name)``
    gives extra callbacks for one run: runs with callbacks of their own train one at a time.
    Ctrl-C stops every run (each keeps the epochs it finished; one after the other, the runs whose
    turn had not come stay untrained). Returns the runs by name, in the order given."""
    from .trainer import Run

    if stack not in STACK:
        raise NbdlError(f"stack must be one of {', '.join(STACK)}, got {stack!r}")
    if on_epoch is not None and not callable(on_epoch):
        raise NbdlError(f"on_epoch must be a function on_epoch(name, run), got {on_epoch!r:.60}")
    runs = {name: Run(config) for name, config in configs.items()}
    extra = {name: list(callbacks(name)) if callbacks else [] for name in runs}
    reason = "each run has callbacks of its own" if any(extra.values()) else stacked.why_not(list(runs.values()))
    if stack == "always" and reason:
        raise NbdlError(f"these runs cannot train as one stacked model: {reason}")
    if stack != "never" and reason is None:
        stacked.fit(runs, epochs, on_epoch)
        return runs
    for name, run in runs.items():
        hooks = [*extra[name], *([_Relay(name, on_epoch)] if on_epoch else [])]
        run.fit(epochs, callbacks=hooks)
        if run.stop_reason == "interrupted":
            break  # Ctrl-C stops the whole lot, as it stops a stack: the runs after this one stay untrained
    return runs


class _Relay(Callback):
    """Tells ``on_epoch`` after each epoch of one run of several."""

    def __init__(self, name: str, on_epoch: OnEpoch):
        self.name, self.on_epoch = name, on_epoch

    def on_epoch_end(self, run, logs):
        self.on_epoch(self.name, run)
