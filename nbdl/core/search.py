"""Hyperparameter search with Optuna: ``search`` runs a study's trials and gives the result.

How trials run: grid and random search (whose samplers learn nothing from earlier trials) ask a
batch of trials at once and train them through ``many.train_many``, which stacks them when it can.
TPE runs one trial at a time, each drawn knowing every finished one. ``workers > 1`` starts worker
processes that share the study through its storage (a journal file by default) and follows them.
The study (created, loaded, described) lives in ``search_study``; one trial's config, objective and
bookkeeping in ``search_trials``.
"""
from __future__ import annotations

import math
import shutil
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

from . import search_space
from .config import Config
from .errors import NbdlError, spell
from .options import INT, Option
from .search_study import METHOD, METRIC, SEED, base_config, create_study, description, load_study, temporary_storage
from .study_storage import forget_locks, optuna_module
from .search_trials import Reporter, finish, objective_for, quiet_divergence, record, trial_config

# create_study, load_study and objective_for: for callers that know them as search's (workers, tests)
__all__ = ["BATCH", "DEFAULT_TRIALS", "METHOD", "SEED", "TRIALS", "WORKERS", "OnTrial", "create_study",
           "follow_workers", "load_study", "objective_for", "planned", "result_of", "run_trials", "search",
           "train_batches"]
TRIALS = Option("trials", None, "trials to run", kind=INT, low=1, high=100_000, optional=True)
WORKERS = Option("workers", 1, "processes that run trials", kind=INT, low=1, high=256)
DEFAULT_TRIALS = 20
BATCH = 16  # grid and random trials asked at once and trained together
OnTrial = Callable[[Any], None]  # on_trial(result): called with the SearchResult as trials finish


def search(config: Config | dict, space: Mapping[str, Any], trials: int | None = None, method: str = "tpe",
           metric: str = METRIC.default, epochs: int | None = None, storage: Any = None, name: str | None = None,
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
    if on_trial is not None and not callable(on_trial):
        raise NbdlError(f"on_trial must be a function of the search's result so far, got {on_trial!r:.60}")
    dimensions = search_space.read(space)
    temporary = workers > 1 and storage is None
    if temporary:
        storage = temporary_storage()
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # the table says what each trial did
    try:
        study = create_study(config, dimensions, method=method, metric=metric, direction=direction, epochs=epochs,
                             storage=storage, name=name, seed=seed, pruning=pruning, for_workers=temporary)
        with warnings.catch_warnings():  # ask and tell on a database: this process's trials have no heartbeat
            warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
            run_trials(study, dimensions, method, trials, workers, storage, on_trial)
        if temporary:  # the workers' journal goes; the study stays, in memory
            study = optuna.load_study(study_name=study.study_name, storage=_in_memory(optuna, study.study_name, storage))
    finally:
        optuna.logging.set_verbosity(verbosity)
        if temporary:
            forget_locks(str(Path(storage).parent))
            shutil.rmtree(Path(storage).parent, ignore_errors=True)
    return result_of(study, dimensions)


def _in_memory(optuna: Any, name: str, storage: Any) -> Any:
    """A copy of the study ``name`` in ``storage`` (its trials and attributes) in memory."""
    from .search_study import storage_for

    kept = optuna.storages.InMemoryStorage()
    optuna.copy_study(from_study_name=name, from_storage=storage_for(storage), to_storage=kept)
    return kept


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


