"""What a search found: its trials as a table, the best trial's value and config, and the study itself."""
from __future__ import annotations

import math
from html import escape
from typing import Any

from . import search_space
from .config import Config
from .errors import NbdlError
from .study_storage import TUNE_EXTRA

SHOWN_ROWS = 200  # rows of the HTML table (all trials stay in ``trials``)


class SearchResult:
    """The trials of a search as they stand: ``trials`` (a pandas DataFrame: number, each parameter,
    score, state, seconds, epochs), ``best_value``, ``best_params``, ``best_config`` (the base
    config with the best trial's settings) and ``study`` (the Optuna study, to go on with it)."""

    def __init__(self, study: Any, base: Config, space: search_space.Space, metric: str, direction: str,
                 method: str = "tpe"):
        self.study, self.base, self.space = study, base, space
        self.metric, self.direction, self.method = metric, direction, method
        self.rows = [trial_row(t, space) for t in study.get_trials(deepcopy=False)]
        finished = [r for r in self.rows if r["complete"] and math.isfinite(r["score"])]
        pick = min if direction == "minimize" else max
        self.best = pick(finished, key=lambda r: r["score"]) if finished else None

    @property
    def trials(self):
        try:
            import pandas
        except ImportError:
            raise NbdlError(f"the table of trials is a pandas DataFrame: {TUNE_EXTRA}") from None
        columns = self.columns()
        return pandas.DataFrame([{c: r.get(c) for c in columns} for r in self.rows], columns=columns)

    def columns(self) -> list[str]:
        return ["number", *self.space, "score", "state", "seconds", trained_column(self.space)]

    @property
    def best_value(self) -> float | None:
        return None if self.best is None else self.best["score"]

    @property
    def best_params(self) -> dict[str, Any] | None:
        return None if self.best is None else {name: self.best[name] for name in self.space}

    @property
    def best_number(self) -> int | None:
        return None if self.best is None else self.best["number"]

    @property
    def best_config(self) -> Config | None:
        """The base config with the best trial's settings (None until a trial finishes)."""
        return None if self.best is None else self.base.replace(**self.best_params).validate()

    def best_command(self, network_name: str = "net", data_name: str | None = None) -> str | None:
        """The ``%nbdl train`` line that trains the best trial's config."""
        from .config import train_command

        return None if self.best is None else train_command(self.best_config, network_name, data_name)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in self.rows:
            found[row["state"]] = found.get(row["state"], 0) + 1
        return found

    def summary(self) -> str:
        """One line: how many trials in which states, and the best so far."""
        counts = ", ".join(f"{n} {state}" for state, n in self.counts().items())
        said = f"{len(self.rows)} trial{'s' * (len(self.rows) != 1)}" + (f" ({counts})" if counts else "")
        if self.best is None:
            return f"{said}; none finished yet"
        settings = ", ".join(f"{k}={show(v)}" for k, v in self.best_params.items())
        return f"{said}; best {self.metric} {show(self.best_value)} (trial {self.best_number}: {settings})"

    def __repr__(self) -> str:
        return f"SearchResult({self.summary()})"

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        """The summary line and the table of trials (the best row highlighted)."""
        cell = "padding:2px 8px;text-align:right;font-size:13px;font-variant-numeric:tabular-nums"
        columns = self.columns()
        head = "".join(f"<th style='{cell}'>{escape(c if c != 'score' else self.metric)}</th>" for c in columns)
        body = []
        for row in self.rows[-SHOWN_ROWS:]:
            style = " style='background:#e6f4ea;font-weight:600'" if row is self.best else ""
            cells = "".join(f"<td style='{cell}'>{escape(show(row.get(c)))}</td>" for c in columns)
            body.append(f"<tr{style}>{cells}</tr>")
        more = len(self.rows) - SHOWN_ROWS
        note = f"<p style='font-size:13px'>the last {SHOWN_ROWS} of {len(self.rows)} trials</p>" if more > 0 else ""
        return (f"<div class='nbdl-search'><p style='font-size:13px'>{escape(self.summary())}</p>{note}"
                f"<div style='max-height:360px;overflow:auto'><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table></div></div>")


def trial_row(trial: Any, space: search_space.Space) -> dict[str, Any]:
    """One trial as plain values: number, its settings, score, state, seconds, epochs."""
    attrs = trial.user_attrs
    state = trial.state.name.lower()
    said = attrs.get("status")
    if state == "running" or said is None:
        said = {"complete": "finished", "fail": "failed"}.get(state, state)
    score = last_reported(trial) if state == "pruned" else trial.value if trial.value is not None else math.nan
    return {"number": trial.number, **{name: trial.params.get(name) for name in space}, "score": score,
            "state": said, "seconds": attrs.get("seconds"), trained_column(space): attrs.get("epochs"),
            "complete": state == "complete"}


def trained_column(space: search_space.Space) -> str:
    """The column of epochs trained: ``epochs``, or ``epochs_trained`` when epochs is searched."""
    return "epochs_trained" if "epochs" in space else "epochs"


def last_reported(trial: Any) -> float:
    """A pruned trial's last report (where it stood when it was stopped)."""
    reports = trial.intermediate_values
    return reports[max(reports)] if reports else math.nan


def show(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
