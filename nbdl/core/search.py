"""Hyperparameter search with Optuna: a study that carries everything needed to rebuild its trials
(so worker processes and a restarted kernel can continue it), the objective that trains one trial's
run with per-epoch reports and pruning, and ``search``, which runs the trials and gives the result.

How trials run: grid and random search (whose samplers learn nothing from earlier trials) ask a
batch of trials at once and train them through ``many.train_many``, which stacks them when it can.
TPE runs one trial at a time, each drawn knowing every finished one. ``workers > 1`` starts worker
processes that share the study through its storage (a journal file by default) and follows them.
"""
from __future__ import annotations

import contextlib
import functools
import json
import math
import tempfile
import time
import warnings
import weakref
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from . import search_space
from .callbacks import USER, Callback
from .config import Config, as_config
from .errors import NbdlError, spell
from .options import CHOICE, INT, Option

METHOD = Option("method", "tpe", "how trials are chosen", kind=CHOICE, choices=("grid", "random", "tpe"))
TRIALS = Option("trials", None, "trials to run", kind=INT, low=1, high=100_000, optional=True)
WORKERS = Option("workers", 1, "processes that run trials", kind=INT, low=1, high=256)
SEED = Option("seed", 0, "the seed of the sampler that draws the trials", kind=INT, low=0, high=2**32 - 1)
DIRECTIONS = ("minimize", "maximize")
DEFAULT_TRIALS = 20
BATCH = 16  # grid and random trials asked at once and trained together
STARTUP = 4  # finished trials before pruning starts (MedianPruner's n_startup_trials)
WARMUP = 2  # a trial may be pruned from its second epoch's report on
ATTR = "nbdl"  # the study's user attribute that holds the search's description

# In-memory studies keep their base config here (it may hold arrays or a module, which JSON cannot).
_BASES: "weakref.WeakKeyDictionary[Any, Config]" = weakref.WeakKeyDictionary()


def optuna_module():
    try:
        import optuna
    except ImportError:
        raise NbdlError("search needs Optuna: pip install 'nbdl[tune]'") from None
    return optuna


def direction_for(metric: str) -> str:
    """Accuracies are maximized, losses and errors minimized."""
    return "maximize" if metric.endswith("acc") or metric.endswith("accuracy") else "minimize"


def storage_for(storage: Any) -> Any:
    """None (in memory), an Optuna storage, or text: a journal file's path or a database URL."""
    if storage is None:
        return None
    from .workers import storage_for as make

    return make(storage)


def create_study(config: Config | dict, space: Mapping[str, Any], *, method: str = "tpe", metric: str = "val_loss",
                 direction: str | None = None, epochs: int | None = None, storage: Any = None,
                 name: str | None = None, seed: int = 0, pruning: bool = True) -> Any:
    """An Optuna study for searching ``space`` around ``config`` (created, or loaded when ``name``
    exists in ``storage``). Its user attribute "nbdl" holds the base config, the space, the metric,
    the direction and the epochs as JSON: a worker rebuilds the objective from it."""
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
        _refuse_unstorable(base)
    study = optuna.create_study(storage=kept, sampler=sampler_for(described), pruner=pruner_for(described),
                                study_name=name, direction=direction, load_if_exists=True)
    found = study.user_attrs.get(ATTR)
    if found is None:
        study.set_user_attr(ATTR, json.loads(json.dumps(described)))
    elif _differs(found, described):
        raise NbdlError(f"the study {study.study_name!r} in {storage} was made for another search ("
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


def trial_config(study: Any, trial: Any) -> Config:
    """The config of one trial: the base with the settings the trial suggests."""
    described = description(study)
    dimensions = search_space.from_json(described["space"])
    grid = described["method"] == "grid"
    settings = {name: d.suggest(trial, grid) for name, d in dimensions.items()}
    return base_config(study).replace(**settings).validate()


def objective_for(study: Any) -> Callable[[Any], float]:
    """The function Optuna calls for each trial: trains the trial's run with per-epoch reports,
    prunes it when the pruner says so (``optuna.TrialPruned``) and returns the metric's best value
    (NaN, which Optuna records as a failed trial, when the run diverged)."""
    optuna = optuna_module()
    described = description(study)
    metric, direction = described["metric"], described["direction"]

    def objective(trial: Any) -> float:
        from .trainer import Run

        try:
            config = trial_config(study, trial)
        except NbdlError as error:  # a combination the config refuses (gd with a batch size, ...)
            record(trial, status="refused", error=str(error))
            return math.nan
        run = Run(config)
        reporter = Reporter(trial, metric)
        with quiet_divergence():  # the trial's state says it
            run.fit(callbacks=[reporter])
        score = finish(trial, run, reporter, direction)
        if reporter.pruned:
            raise optuna.TrialPruned(f"pruned at epoch {run.epoch}")
        if run.control.stop_requested:  # Ctrl-C in the notebook: this trial ends, and the search with it
            study.stop()
        return score

    return objective


class Reporter(Callback):
    """A run callback: reports the metric to the trial after each epoch and stops the run when the
    pruner says so."""

    order = USER + 5  # after the built-in scoring and the user's callbacks, before early stopping
    adds_figures = False

    def __init__(self, trial: Any, metric: str):
        self.trial, self.metric, self.pruned = trial, metric, False

    def on_fit_start(self, run):
        if self.metric not in run.logged_figures():
            raise NbdlError(f"the search's metric {self.metric!r} is not logged by this run; it logs: "
                            f"{', '.join(sorted(run.logged_figures() - {'epoch', 'time', 'lr'}))}")

    def on_epoch_end(self, run, logs):
        self.report(run, logs.get(self.metric))

    def report(self, run: Any, value: float | None) -> None:
        """Tell the trial the metric's value at the epoch just ended; stop the run if it is pruned."""
        if value is None or not math.isfinite(value):
            return
        self.trial.report(float(value), run.epoch)
        if run.epoch < run.config.epochs and self.trial.should_prune():  # the last epoch has nothing to save
            self.pruned = True
            run.halt("stopped", "pruned")


def score_of(run: Any, metric: str, direction: str) -> float:
    """The metric's best value over the run's epochs (NaN when it has none)."""
    values = [v for v in run.history.get(metric, []) if v is not None and math.isfinite(v)]
    if not values:
        return math.nan
    return min(values) if direction == "minimize" else max(values)


def finish(trial: Any, run: Any, reporter: Reporter, direction: str, status: str | None = None) -> float:
    """Record what the trial's run did (``status``: how it ended, the run's own by default); its
    score (NaN when it diverged)."""
    status = "pruned" if reporter.pruned else "interrupted" if run.control.stop_requested else status or run.status
    score = math.nan if status == "diverged" else score_of(run, reporter.metric, direction)
    record(trial, status=status, epochs=run.epoch, seconds=round(sum(run.history.get("time", [])), 4))
    return score


@contextlib.contextmanager
def quiet_divergence() -> Iterator[None]:
    from .trainer import DivergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        yield


def record(trial: Any, **attributes: Any) -> None:
    for key, value in attributes.items():
        trial.set_user_attr(key, value)


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
    Reporter(None, metric).on_fit_start(Run(config))


def _first(dimension: search_space.Dimension) -> Any:
    return dimension.low if dimension.is_range else dimension.choices[0]


def _is_read(space: Any) -> bool:
    return isinstance(space, Mapping) and space and all(isinstance(d, search_space.Dimension) for d in space.values())


def _refuse_unstorable(config: Config) -> None:
    import torch

    problems = []
    if isinstance(config.network, torch.nn.Module):
        problems.append("its network is a torch module (give it in the text form or as a NetworkSpec)")
    if config.data is not None and not isinstance(config.data, str):
        problems.append("its data is your own (name a built-in data set)")
    if problems:
        raise NbdlError(f"a study kept in a storage is rebuilt from text by workers and after a restart, and this "
                        f"config cannot be written as text: {'; '.join(problems)}; or search without "
                        f"{spell('storage')} (in memory, one process)")


def _differs(found: Mapping[str, Any], described: Mapping[str, Any]) -> list[str]:
    now = json.loads(json.dumps(described))
    return [key for key in ("config", "space", "metric", "direction", "method") if found.get(key) != now.get(key)]


def temporary_storage() -> str:
    """A journal file in a fresh temporary folder, for worker processes when none is given."""
    return str(Path(tempfile.mkdtemp(prefix="nbdl-search-")) / "study.log")


# -- running a search ---------------------------------------------------------------------------------
OnTrial = Callable[[Any], None]  # on_trial(result): called with the SearchResult as trials finish


def search(config: Config | dict, space: Mapping[str, Any], trials: int | None = None, method: str = "tpe",
           metric: str = "val_loss", epochs: int | None = None, storage: Any = None, name: str | None = None,
           workers: int = 1, seed: int = 0, pruning: bool = True, direction: str | None = None,
           on_trial: OnTrial | None = None) -> Any:
    """Search ``space`` (``{"lr": (1e-3, 1e-1, "log"), "batch_size": [16, 32]}``) around ``config``
    with ``method`` grid, random or tpe, ``trials`` trials (the whole grid, or 20, by default), each
    scored by the best epoch's ``metric``. A ``storage`` (a journal file's path or a database URL)
    keeps the study: the same ``name`` there continues it. ``workers`` > 1 runs trials in that many
    processes. ``on_trial(result)`` hears each finished trial. Returns a ``SearchResult``."""
    optuna = optuna_module()
    method, workers = METHOD.check(method, spell("method")), WORKERS.check(workers, spell("workers"))
    seed = SEED.check(seed, spell("seed"))
    trials = TRIALS.check(trials, spell("trials"))
    dimensions = search_space.read(space)
    if workers > 1 and storage is None:
        storage = temporary_storage()
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # the table says what each trial did
    try:
        study = create_study(config, dimensions, method=method, metric=metric, direction=direction, epochs=epochs,
                             storage=storage, name=name, seed=seed, pruning=pruning)
        with warnings.catch_warnings():  # ask and tell on a database: this process's trials have no heartbeat
            warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
            run_trials(study, dimensions, method, trials, workers, storage, on_trial)
    finally:
        optuna.logging.set_verbosity(verbosity)
    return result_of(study, dimensions)


def result_of(study: Any, dimensions: search_space.Space | None = None) -> Any:
    """A study's trials and best as they stand now (a ``SearchResult``): for a study that worker
    processes or another kernel fill, load it with ``load_study`` and call this."""
    from .search_result import SearchResult

    described = description(study)
    dimensions = dimensions or search_space.from_json(described["space"])
    return SearchResult(study, base_config(study), dimensions, described["metric"], described["direction"],
                        described["method"])


def run_trials(study: Any, dimensions: search_space.Space, method: str, trials: int | None, workers: int,
               storage: Any, on_trial: OnTrial | None) -> None:
    """Run the planned trials: in worker processes, one at a time (TPE), or in batches."""
    count = planned(study, dimensions, method, trials)
    tell = (lambda: on_trial(result_of(study, dimensions))) if on_trial else (lambda: None)
    if count == 0:
        return
    if workers > 1:
        follow_workers(study, storage, count, min(workers, count), tell)  # a worker beyond the trials idles
    elif method == "tpe":
        study.optimize(objective_for(study), n_trials=count, callbacks=[lambda *_: tell()])
    else:
        train_batches(study, count, tell)


def planned(study: Any, dimensions: search_space.Space, method: str, trials: int | None) -> int:
    """The trials to run now: as asked (20 by default), and for a grid no more than its points not
    yet tried (all of them by default)."""
    if method != "grid":
        return trials or DEFAULT_TRIALS
    tried = sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))
    left = max(search_space.grid_size(dimensions) - tried, 0)
    return left if trials is None else min(trials, left)


def train_batches(study: Any, count: int, tell: Callable[[], None]) -> None:
    """Grid and random trials, asked ``BATCH`` at a time and trained through ``train_many`` (stacked
    when the runs allow it): each trial is reported to after every epoch, pruned by stopping its run,
    and told as soon as it ends."""
    from .many import train_many

    optuna = optuna_module()
    state = optuna.trial.TrialState
    described = description(study)
    metric, direction = described["metric"], described["direction"]
    done = 0
    while done < count:
        asked = [study.ask() for _ in range(min(BATCH, count - done))]
        done += len(asked)
        reporters, configs, told = {}, {}, set()

        def close(key: str, run: Any, status: str | None = None) -> None:
            """Tell the study how one trial ended (once)."""
            if key in told:
                return
            told.add(key)
            reporter = reporters[key]
            score = finish(reporter.trial, run, reporter, direction, status)
            if reporter.pruned:
                study.tell(reporter.trial, state=state.PRUNED)
            elif math.isnan(score):
                study.tell(reporter.trial, state=state.FAIL)
            else:
                study.tell(reporter.trial, score)
            tell()

        for trial in asked:
            try:
                configs[str(trial.number)] = trial_config(study, trial)
                reporters[str(trial.number)] = Reporter(trial, metric)
            except NbdlError as error:
                record(trial, status="refused", error=str(error))
                study.tell(trial, state=state.FAIL)

        def on_epoch(key: str, run: Any) -> None:
            reporter = reporters[key]
            if run.epoch == 1:
                reporter.on_fit_start(run)  # the metric is one the run logs
            reporter.report(run, run.history[metric][-1])
            if reporter.pruned or run.epoch >= run.config.epochs:
                close(key, run, "finished")  # its last epoch: tell now, so pruning and the table see it

        runs: dict[str, Any] = {}
        try:
            with quiet_divergence():
                runs = train_many(configs, on_epoch=on_epoch)
        finally:
            for key in configs:
                if key not in told:
                    if key in runs:
                        close(key, runs[key])
                    else:  # training failed before this run ended
                        record(reporters[key].trial, status="failed")
                        study.tell(reporters[key].trial, state=state.FAIL)
        if any(run.control.stop_requested for run in runs.values()):
            return  # Ctrl-C: the trials so far stand


def follow_workers(study: Any, storage: Any, count: int, workers: int, tell: Callable[[], None]) -> None:
    """Start ``workers`` processes on the study and follow its storage until ``count`` more trials end."""
    from . import workers as processes

    if not isinstance(storage, (str, Path)):
        raise NbdlError("worker processes open the study themselves: give the storage as a journal file's path or "
                        "a database URL (postgresql://...), not a storage object")
    before = seen = processes.finished(study)
    started = processes.spawn(study.study_name, str(storage), count=workers, trials=before + count)
    try:
        while any(worker.poll() is None for worker in started):
            time.sleep(0.5)
            now = processes.finished(study)
            if now != seen:
                seen = now
                tell()
    except KeyboardInterrupt:  # Ctrl-C: the workers stop, each failing its running trial; the trials so far stand
        processes.stop(started)
        tell()
        return
    except BaseException:
        processes.stop(started)
        raise
    processes.wait(started)  # raises with the end of a failed worker's messages
    tell()


