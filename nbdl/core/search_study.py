"""A search's Optuna study: created (or loaded) with its sampler and pruner, and carrying everything
needed to rebuild its trials (so worker processes and a restarted kernel can continue it).

The study's user attribute "nbdl" holds the base config, the space, the metric, the direction, the
epochs, the method, the seed and whether it prunes, as JSON; an in-memory study keeps its base config
(which may hold arrays or a module) in this process instead.
"""
from __future__ import annotations

import functools
import json
import tempfile
import weakref
from pathlib import Path
from typing import Any, Mapping

from . import search_space
from .config import Config, as_config
from .errors import NbdlError, spell
from .options import CHOICE, INT, TEXT, Option
from .study_storage import hidden, optuna_module

METHOD = Option("method", "tpe", "how trials are chosen", kind=CHOICE, choices=("grid", "random", "tpe"))
SEED = Option("seed", 0, "the seed of the sampler that draws the trials", kind=INT, low=0, high=2**32 - 1)
METRIC = Option("metric", "val_loss", "the figure each trial is scored by (its best epoch's value); accuracies "
                "are maximized, losses and errors minimized", kind=TEXT)
DIRECTIONS = ("minimize", "maximize")
STARTUP = 4  # finished trials before pruning starts (MedianPruner's n_startup_trials)
WARMUP = 2  # a trial may be pruned from its second epoch's report on
ATTR = "nbdl"  # the study's user attribute that holds the search's description

# In-memory studies keep their base config here (it may hold arrays or a module, which JSON cannot).
_BASES: "weakref.WeakKeyDictionary[Any, Config]" = weakref.WeakKeyDictionary()


def direction_for(metric: str) -> str:
    """Accuracies are maximized, losses and errors minimized."""
    return "maximize" if metric.endswith("acc") or metric.endswith("accuracy") else "minimize"


def storage_for(storage: Any) -> Any:
    """None (in memory), an Optuna storage, or text: a journal file's path or a database URL."""
    if storage is None:
        return None
    from .workers import storage_for as make

    return make(storage)


def create_study(config: Config | dict, space: Mapping[str, Any], *, method: str = "tpe", metric: str = METRIC.default,
                 direction: str | None = None, epochs: int | None = None, storage: Any = None,
                 name: str | None = None, seed: int = 0, pruning: bool = True, for_workers: bool = False) -> Any:
    """An Optuna study for searching ``space`` around ``config`` (created, or loaded when ``name``
    exists in ``storage``). Its user attribute "nbdl" holds the base config, the space, the metric,
    the direction and the epochs as JSON: a worker rebuilds the objective from it. ``for_workers``:
    the storage is a temporary one for worker processes (the user gave none)."""
    optuna = optuna_module()
    method, seed = METHOD.check(method, spell("method")), SEED.check(seed, spell("seed"))
    base = as_config(config)
    if epochs is not None:
        base = base.replace(epochs=epochs)
    dimensions = space if _is_read(space) else search_space.read(space)
    first = base.replace(**{n: _first(d) for n, d in dimensions.items()}).validate()  # the base is whole
    _check_epochs(base, dimensions)
    _check_metric(first, metric)
    if method == "grid":
        search_space.grid_size(dimensions)  # every range has its points
    direction = direction or direction_for(metric)
    if direction not in DIRECTIONS:
        raise NbdlError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    described = {"config": base.to_dict(), "space": search_space.to_json(dimensions), "metric": metric,
                 "direction": direction, "epochs": base.epochs, "method": method, "seed": seed,
                 "pruning": bool(pruning)}
    kept = storage_for(storage)
    if kept is not None:
        _refuse_unstorable(base, for_workers)
    study = optuna.create_study(storage=kept, sampler=sampler_for(described), pruner=pruner_for(described),
                                study_name=name, direction=direction, load_if_exists=True)
    found = study.user_attrs.get(ATTR)
    if found is None:
        study.set_user_attr(ATTR, json.loads(json.dumps(described)))
    elif _differs(found, described):
        raise NbdlError(f"the study {study.study_name!r} in {hidden(str(storage))} was made for another search ("
                        f"{', '.join(_differs(found, described))} differ); give it the same config and space to "
                        f"continue it, or another name for a new study")
    if kept is None:
        _BASES[study] = base
    before = len(study.get_trials(deepcopy=False))
    if before and method != "grid":  # a study continued: draw on from where it stands, not again from the start
        study.sampler = sampler_for({**described, "seed": (seed + before) % 2**32})
    return study


def load_study(name: str, storage: Any) -> Any:
    """A stored study, with the sampler and pruner it was created with (for a worker process)."""
    optuna = optuna_module()
    kept = storage_for(storage)
    described = optuna.load_study(study_name=name, storage=kept).user_attrs.get(ATTR)
    if described is None:
        raise NbdlError(f"the study {name!r} was not made by nbdl.search (it has no {ATTR!r} attribute)")
    return optuna.load_study(study_name=name, storage=kept, sampler=sampler_for(described),
                             pruner=pruner_for(described))


def sampler_for(described: Mapping[str, Any]) -> Any:
    optuna = optuna_module()
    seed = described["seed"]
    if described["method"] == "grid":
        dimensions = search_space.from_json(described["space"])
        return grid_sampler()({n: d.grid_values() for n, d in dimensions.items()}, seed=seed)
    if described["method"] == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


@functools.cache
def grid_sampler() -> type:
    """Optuna's GridSampler, usable with ask and tell: when the grid is used up it stops the
    ``optimize`` loop it runs in, and raises RuntimeError outside one (ask and tell), where there is
    nothing to stop (the trial is stored before that)."""
    optuna = optuna_module()

    class Grid(optuna.samplers.GridSampler):
        def after_trial(self, study, trial, state, values):
            try:
                super().after_trial(study, trial, state, values)
            except RuntimeError:  # Study.stop outside optimize: ask and tell ends by itself
                pass

    return Grid


def pruner_for(described: Mapping[str, Any]) -> Any:
    optuna = optuna_module()
    if not described["pruning"]:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=STARTUP, n_warmup_steps=WARMUP)


def description(study: Any) -> dict[str, Any]:
    described = study.user_attrs.get(ATTR)
    if described is None:
        raise NbdlError(f"the study {study.study_name!r} was not made by nbdl.search.create_study")
    return described


def base_config(study: Any) -> Config:
    """The config every trial of ``study`` starts from."""
    if study in _BASES:
        return _BASES[study]
    return Config.from_dict(description(study)["config"])


def check_logged(run: Any, metric: str) -> None:
    """The search's metric is one that ``run`` logs."""
    if metric not in run.logged_figures():
        raise NbdlError(f"the search's metric {metric!r} is not logged by this run; it logs: "
                        f"{', '.join(sorted(run.logged_figures() - {'epoch', 'time', 'lr'}))}")


def temporary_storage() -> str:
    """A journal file in a fresh temporary folder, for worker processes when none is given."""
    return str(Path(tempfile.mkdtemp(prefix="nbdl-search-")) / "study.log")


def _check_epochs(base: Config, dimensions: search_space.Space) -> None:
    """Every trial trains at least one epoch (a trial is scored by its epochs)."""
    epochs = dimensions.get("epochs")
    fewest = base.epochs if epochs is None else epochs.low if epochs.is_range else min(epochs.choices)
    if fewest < 1:
        raise NbdlError(f"a search scores each trial by its epochs, and {spell('epochs')} {fewest} trains none; "
                        f"give every trial at least 1 epoch")


def _check_metric(config: Config, metric: Any) -> None:
    """The metric is one the runs log (checked before a study is made with it)."""
    from .trainer import Run

    if not isinstance(metric, str) or not metric:
        raise NbdlError(f"metric must be a figure the run logs, such as 'val_loss' or 'val_acc'; got {metric!r}")
    check_logged(Run(config), metric)


def _first(dimension: search_space.Dimension) -> Any:
    return dimension.low if dimension.is_range else dimension.choices[0]


def _is_read(space: Any) -> bool:
    return isinstance(space, Mapping) and space and all(isinstance(d, search_space.Dimension) for d in space.values())


def _refuse_unstorable(config: Config, for_workers: bool = False) -> None:
    import torch

    problems = []
    if isinstance(config.network, torch.nn.Module):
        problems.append("its network is a torch module (give it in the text form or as a NetworkSpec)")
    if config.data is not None and not isinstance(config.data, str):
        problems.append("its data is your own (name a built-in data set)")
    if problems and for_workers:
        raise NbdlError(f"worker processes rebuild the search from text, and this config cannot be written as text: "
                        f"{'; '.join(problems)}; or search with {spell('workers')} 1 (in this process)")
    if problems:
        raise NbdlError(f"a study kept in a storage is rebuilt from text by workers and after a restart, and this "
                        f"config cannot be written as text: {'; '.join(problems)}; or search without "
                        f"{spell('storage')} (in memory, one process)")


def _differs(found: Mapping[str, Any], described: Mapping[str, Any]) -> list[str]:
    now = json.loads(json.dumps(described))
    return [key for key in ("config", "space", "metric", "direction", "method") if found.get(key) != now.get(key)]
