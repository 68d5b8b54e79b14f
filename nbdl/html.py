"""Small HTML views shared by the magics and the panels. Every name a user typed is escaped."""
from __future__ import annotations

import time
from html import escape
from typing import Any, Iterable

from .core.callbacks import VIEW, Callback
from .core.data import Dataset
from .core.diagnostics import LayerRow
from .core.tasks import CLASSIFICATION


def summary_table(name: str, rows: Iterable[LayerRow]) -> str:
    rows = list(rows)
    body = "".join(
        f"<tr><td style='text-align:left'><code>{escape(r.name)}</code></td>"
        f"<td>{escape(r.shape_text)}</td>"
        f"<td>{r.parameters:,}</td></tr>"
        for r in rows
    )
    total = sum(r.parameters for r in rows)
    return (
        f"<table class='nbdl-summary'><caption style='text-align:left'><b>{escape(name)}</b></caption>"
        "<thead><tr><th style='text-align:left'>layer</th><th>output shape</th><th>parameters</th></tr></thead>"
        f"<tbody>{body}</tbody><tfoot><tr><td style='text-align:left'><b>total</b></td><td></td>"
        f"<td><b>{total:,}</b></td></tr></tfoot></table>"
    )


FIGURES = (("train_loss", "loss"), ("val_loss", "val loss"), ("train_acc", "acc"), ("val_acc", "val acc"),
           ("val_mae", "val MAE"), ("train_penalty", "penalty"))


def figures_line(run: Any) -> str:
    """The latest figures of a run: epoch, losses, accuracy, as plain text."""
    parts = [f"epoch {run.epoch}/{run.target_epoch}"]
    for key, label in FIGURES:
        if run.history.get(key):
            parts.append(f"{label} {run.history[key][-1]:.4f}")
    return " · ".join(parts)


def progress_bar(run: Any, seconds: float, samples: int, note: str = "") -> str:
    """An HTML progress line: a bar, the latest figures and the speed."""
    done, total = run.epoch, max(run.target_epoch, 1)
    speed = f" · {samples / seconds:,.0f} samples/s" if seconds > 0 and samples else ""
    extra = f" · <b>{escape(note)}</b>" if note else ""
    return (
        f"<div style='font-family:monospace;font-size:12px'>"
        f"<progress value='{done}' max='{total}' style='width:160px;vertical-align:middle'></progress> "
        f"{escape(figures_line(run))}{speed} · {seconds:.1f} s{extra}</div>"
    )


def data_line(data: Dataset) -> str:
    """``<b>moons</b>: 400 samples of shape 2; 2 classes: 0 200, 1 200``."""
    kind = (f"{data.n_classes} classes: " + ", ".join(f"{escape(k)} {v}" for k, v in data.class_counts().items())
            if data.task == CLASSIFICATION else f"regression, {data.target_width} target(s)")
    return (f"<b>{escape(data.name)}</b>: {len(data)} samples of shape {' x '.join(map(str, data.sample_shape))}; "
            f"{kind}")


def error_box(message: str) -> str:
    return f"<div style='color:#b00020;font-family:monospace;white-space:pre-wrap'>{escape(message)}</div>"


class Progress(Callback):
    """A callback that hands ``show`` an HTML progress line at most every ``interval`` seconds,
    and always at the end of the fit (naming how it ended when it did not finish)."""

    order = VIEW
    adds_figures = False

    def __init__(self, show, interval: float = 0.25):
        self.show, self.interval = show, interval
        self.note = ""
        self._started = self._last = 0.0
        self._samples = 0

    def on_fit_start(self, run):
        self._started, self._last, self._samples = time.monotonic(), 0.0, 0
        self.note = ""
        self.show(progress_bar(run, 0.0, 0))

    def on_batch_end(self, run, logs):
        self._samples += logs["size"]
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.show(progress_bar(run, now - self._started, self._samples))

    def on_fit_end(self, run):
        note = self.note or ("" if run.status == "finished" else run.status)
        self.show(progress_bar(run, time.monotonic() - self._started, self._samples, note))


def notes_html(notes: Iterable[Any]) -> str:
    """The coach's notes as a list: what it saw in bold, the figure behind it, what to try."""
    items = "".join(
        f"<li style='margin:0.2em 0'><b>{escape(n.message)}</b><br>"
        f"<span style='color:#555'>epoch {n.epoch}: {escape(n.figure)}</span><br>try: {escape(n.advice)}</li>"
        for n in notes)
    return (f"<div class='nbdl-coach' style='border-left:4px solid #e6a700;padding:0.2em 0.8em;margin:0.4em 0'>"
            f"<b>coach</b><ul style='margin:0.2em 0;padding-left:1.2em'>{items}</ul></div>") if items else ""


class CoachNotes(Callback):
    """Hands ``show`` the coach's notes as HTML whenever a new one comes (``run.notes``). With
    ``this_fit`` (a cell's output), only the notes of this fit: a continued fit does not say again
    what an earlier one said; else all of the run's (a panel that stays)."""

    order = VIEW
    adds_figures = False

    def __init__(self, show, this_fit: bool = True):
        self.show, self.this_fit = show, this_fit
        self.start = self.shown = 0

    def on_fit_start(self, run):
        self.start = len(run.notes) if self.this_fit else 0
        self.shown = len(run.notes)

    def on_epoch_end(self, run, logs):
        if len(run.notes) != self.shown:
            self.shown = len(run.notes)
            self.show(notes_html(run.notes[self.start:]))

    def on_fit_end(self, run):
        self.on_epoch_end(run, {})
