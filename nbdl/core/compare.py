"""Comparisons: one shared base config, several runs that each change a few settings, trained
through ``many.train_many``, and a table of their final and best figures."""
from __future__ import annotations

import math
from html import escape
from typing import Any, Mapping

from . import many, optimizers
from .config import Config, as_config
from .errors import NbdlError
from .tasks import CLASSIFICATION

# The table's columns, in order, with their headings (a regression run has val_mae in place of val_acc).
COLUMNS = (("name", "run"), ("train_loss", "train loss"), ("best_train_loss", "best train loss"),
           ("val_loss", "val loss"), ("best_val_loss", "best val loss"), ("val_acc", "val accuracy"),
           ("best_val_acc", "best val accuracy"), ("val_mae", "val MAE"), ("best_val_mae", "best val MAE"),
           ("epochs", "epochs"), ("steps", "steps"), ("samples", "samples seen"), ("seconds", "seconds"),
           ("status", "status"))
HEADINGS = dict(COLUMNS)
HIGHER_IS_BETTER = ("val_acc",)
# The most runs one comparison trains: a picture of more has no curve one can follow and a table
# one cannot read, and a grid that size is usually a typo (100 x 100 values is 10,000 runs).
MAX_RUNS = 256


class Comparison(dict):
    """Runs by name, in the order given, with ``changes`` (what each run sets on top of ``base``).
    ``table()`` gives one row of figures per run, ``frame()`` the same as a pandas DataFrame."""

    def __init__(self, runs: Mapping[str, Any], changes: Mapping[str, Mapping[str, Any]] | None = None,
                 base: Config | None = None):
        super().__init__(runs)
        self.changes = {name: dict((changes or {}).get(name, {})) for name in self}
        self.base = base

    def table(self) -> list[dict[str, Any]]:
        """One dict per run: final and best losses, accuracy (or MAE), epochs, optimizer steps,
        samples seen, seconds and how it ended; a figure the run did not log is None."""
        rows = [row(name, run) for name, run in self.items()]
        used = [key for key, _ in COLUMNS if any(r.get(key) is not None for r in rows) or key in ("name", "status")]
        return [{key: r.get(key) for key in used} for r in rows]

    def frame(self):
        """The table as a pandas DataFrame, one row per run, indexed by name."""
        try:
            import pandas as pd
        except ImportError:
            raise NbdlError("Comparison.frame() needs pandas: pip install pandas "
                            "(or use .table(), a list of plain dicts)") from None
        return pd.DataFrame(self.table(), columns=["name", "status"] if not self else None).set_index("name")

    def _repr_html_(self) -> str:
        rows = self.table()
        if not rows:
            return "<p>an empty comparison</p>"
        keys = list(rows[0])
        head = "".join(f"<th style='text-align:{'left' if k in ('name', 'status') else 'right'}'>"
                       f"{escape(HEADINGS[k])}</th>" for k in keys)
        body = "".join("<tr>" + "".join(_cell(k, r[k]) for k in keys) + "</tr>" for r in rows)
        return f"<table class='nbdl-compare'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        return f"<Comparison of {how_many(len(self))}: {', '.join(self)}>"


def how_many(count: int) -> str:
    """``1 run``, ``3 runs``."""
    return f"{count} run{'' if count == 1 else 's'}"


def _cell(key: str, value: Any) -> str:
    if key in ("name", "status"):
        return f"<td style='text-align:left'>{escape(str(value))}</td>"
    if value is None:
        return "<td style='text-align:right'>–</td>"
    if isinstance(value, float):
        text = f"{value:.2g}" if key == "seconds" and value < 1 else f"{value:.1f}" if key == "seconds" else f"{value:.4g}"
    else:
        text = f"{value:,}"
    return f"<td style='text-align:right'>{escape(text)}</td>"


def row(name: str, run: Any) -> dict[str, Any]:
    """A run's figures for the table (see ``Comparison.table``)."""
    history = run.history
    found: dict[str, Any] = {"name": name}
    metric = "val_acc" if run.dataset.task == CLASSIFICATION else "val_mae"
    for key in ("train_loss", "val_loss", metric):
        values = [v for v in history.get(key, []) if math.isfinite(v)]
        last = history.get(key, [])
        found[key] = float(last[-1]) if last else None
        pick = max if key in HIGHER_IS_BETTER else min
        found["best_" + key] = float(pick(values)) if values else None
    # Steps and samples to reach the last epoch drawn (a diverged run's weights may have gone back
    # further: its global_step says where they are, not how far it trained).
    found["epochs"] = run.epoch
    found["steps"] = run.epoch * len(run.batches)
    found["samples"] = run.epoch * len(run.data.train)
    found["seconds"] = float(sum(history.get("time", [])))
    found["status"] = status(run)
    return found


def status(run: Any) -> str:
    """How the run ended, in a few words: ``finished``, ``diverged at epoch 3``, ``stopped at epoch 7``,
    ``not trained``."""
    if run.status == "diverged":
        return f"diverged at epoch {run.epoch + 1}"  # the epoch it diverged in gets no row
    if run.status == "stopped":
        early = str(run.stop_reason or "").startswith("early stopping")
        return f"{'stopped early' if early else 'stopped'} at epoch {run.epoch}"
    if run.status == "ready":
        return "not trained"  # Ctrl-C stopped the comparison before this run's turn
    return str(run.status)


def compare(config: Config | dict, runs: Mapping[str, Mapping[str, Any]], *, epochs: int | None = None,
            stack: str = "auto", on_epoch: many.OnEpoch | None = None) -> Comparison:
    """Train one run per name: ``config`` (the shared base) with that name's changes, for example
    ``compare(base, {"sgd": {"optimizer": "sgd"}, "adam": {"optimizer": "adam"}})`` or
    ``compare(base, grid(optimizer=["sgd", "adam"], lr=[0.01, 0.1]))``. A base batch size does not
    apply to a full-batch run (``gd``) that does not set its own. ``on_epoch(name, run)`` hears each
    epoch of each run. Returns a ``Comparison``: the runs by name, in the order given."""
    base = as_config(config)
    if not isinstance(runs, Mapping) or not runs:
        raise NbdlError("give the runs as a dict of name -> changes, for example {'sgd': {'optimizer': 'sgd'}, "
                        "'adam': {'optimizer': 'adam'}}, or grid(optimizer=['sgd', 'adam'])")
    if len(runs) > MAX_RUNS:
        raise NbdlError(f"{len(runs):,} runs are too many for one comparison (at most {MAX_RUNS}): give fewer values, "
                        "or compare a few at a time")
    configs = many.variants(base, {name: _fitted(base, changes) for name, changes in runs.items()})
    if epochs == 0 or (epochs is None and not any(c.epochs for c in configs.values())):
        raise NbdlError("epochs=0: no run would train, so there is nothing to compare; give epochs=1 or more")
    trained = many.train_many(configs, epochs=epochs, on_epoch=on_epoch, stack=stack)
    return Comparison(trained, runs, base)


def _fitted(base: Config, changes: Any) -> Any:
    """The changes, with the base's batch size left out of a run whose optimizer is full-batch."""
    if not isinstance(changes, Mapping) or base.batch_size is None or "batch_size" in changes:
        return changes
    name = changes.get("optimizer", base.optimizer)
    try:
        full_batch = optimizers.kind(name).full_batch
    except NbdlError:
        return changes  # an unknown optimizer: variants names it
    return {**changes, "batch_size": None} if full_batch else changes
