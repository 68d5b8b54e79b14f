"""One search trial: its config, the objective that trains its run with per-epoch reports and
pruning, and the bookkeeping that records how it ended and what it scored."""
from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any, Callable, Iterator

from . import search_space
from .callbacks import USER, Callback
from .config import Config
from .errors import NbdlError
from .search_study import base_config, check_logged, description
from .study_storage import optuna_module


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
        check_logged(run, self.metric)

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
