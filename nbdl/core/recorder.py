"""The callback that takes the instruments' records while a run trains (``run.instruments``).

It records only while the run's ``diagnostics`` setting is on (it may be switched on and off
between two batches), at epoch ends and, with ``diagnostics_every`` N, every N steps. Epoch-end
records keep within BUDGET of the fit's wall time once they have taken GRACE seconds (the first
record of a fit, which carries one-off costs such as a GPU's warm-up, not counted): a short fit
is recorded at every epoch, while a long one of tiny epochs (milliseconds each, less than a record
costs) is recorded every few epochs, always at its first and last. Records every N steps are
taken as asked. At an
epoch's end it also adds three figures to the history: ``grad_ratio`` (the first weighted layer's
gradient norm over the last one's), ``dead_share`` (the mean share of dead units over the
ReLU-family layers) and ``saturated_share`` (the mean share of saturated outputs over the sigmoid
and tanh layers)."""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from .callbacks import SCORING, Callback
from .instruments import BATCH, Instruments, measure, probes

SUMMARIES = ("grad_ratio", "dead_share", "saturated_share")
BUDGET = 0.05  # the share of a fit's wall time epoch-end records may take ...
GRACE = 0.05  # ... once they have taken this many seconds of it


class InstrumentRecorder(Callback):
    """Takes the instruments' records into ``record`` (an ``Instruments``)."""

    order = SCORING + 5  # after the validation figures, before the schedule, the coach and the views
    adds_figures = False  # its figures are among the run's logged_figures() while diagnostics is on

    def __init__(self) -> None:
        self.record = Instruments()
        self.found = None
        self.batch: torch.Tensor | None = None
        self.before: dict[int, list[torch.Tensor]] | None = None
        self.seconds = 0.0  # spent recording, over all fits
        self._in_epoch = 0
        self._started = 0.0  # when the fit started (time.monotonic)
        self._spent = 0.0  # seconds the fit's epoch-end records took
        self._first = True  # the fit's first epoch is always recorded

    def on_fit_start(self, run):
        self._started, self._spent, self._first = time.monotonic(), 0.0, True

    @property
    def state_key(self) -> str:
        return "instruments"

    def _prepare(self, run: Any) -> None:
        if self.found is None:
            self.found = probes(run.model)
            if not self.record.layers:
                self.record = Instruments.of(self.found)
        if self.batch is None:
            part = run.data.val if len(run.data.val) else run.data.train
            self.batch = part.X[:BATCH]

    def _snapshot(self) -> None:
        self.before = {i: [p.detach().clone() for p in probe.params] for i, probe in enumerate(self.found)}

    def _take(self, run: Any, at_epoch_end: bool, epoch: int) -> Any:
        started = time.perf_counter()
        grads = [p.grad for probe in self.found for p in probe.params]  # the step just taken
        # Under the run's lock: the look in eval mode must not interleave with another thread's
        # evaluation, which saves and puts back the model's mode.
        with run.lock, torch.random.fork_rng(devices=[]):  # a model's own randomness must not move the run's draws
            found = measure(run.model, self.found, self.batch, run.logits, grads,
                            self.before if at_epoch_end else None)
        self.record.add(epoch, run.global_step, at_epoch_end, found)
        cost = time.perf_counter() - started
        self.seconds += cost
        if at_epoch_end and not self._first:  # the fit's first record carries one-off costs (a device's warm-up)
            self._spent += cost
        return found

    def on_epoch_start(self, run):
        self._in_epoch = 0  # counted whether or not diagnostics is on, so switching it on mid-epoch is exact
        if run.config.diagnostics:
            self._prepare(run)
            if len(run.batches) == 1 and self._will_record(run):  # the epoch's only step is its last
                self._snapshot()

    def on_batch_end(self, run, logs):
        self._in_epoch += 1
        if not run.config.diagnostics:
            return
        self._prepare(run)  # switched on since the epoch started
        if self._in_epoch == len(run.batches) - 1 and self._will_record(run):  # the next step is the epoch's last
            self._snapshot()
        every = run.config.diagnostics_every
        if every and not run.stop_training and logs["step"] % every == 0 and self._in_epoch < len(run.batches):
            self._take(run, False, run.epoch + 1)

    def _will_record(self, run: Any, epoch: int | None = None) -> bool:
        """Whether the epoch under way (or ``epoch``) gets an epoch-end record."""
        epoch = run.epoch + 1 if epoch is None else epoch
        allowed = max(GRACE, BUDGET * (time.monotonic() - self._started))
        return self._first or epoch >= run.target_epoch or self._spent <= allowed

    def on_epoch_end(self, run, logs):
        if not run.config.diagnostics:
            return
        self._prepare(run)
        if not self._will_record(run, logs["epoch"]):
            for name in applicable(self.record):  # a skipped epoch: its figures are not known
                logs[name] = math.nan
            return
        found = self._take(run, True, logs["epoch"])
        self._first = False
        self.before = None
        for name, value in summaries(found.figures, self.record.weighted).items():
            if name in applicable(self.record):
                logs[name] = value

    def state_dict(self):
        return self.record.state_dict() if len(self.record) else None

    def load_state_dict(self, state, run):
        self.record = Instruments.from_state(state, [probe.name for probe in probes(run.model)])


def applicable(record: Instruments) -> list[str]:
    """The history figures that this network has: a gradient ratio needs two weighted layers, a
    dead share a ReLU-family layer, a saturated share a sigmoid or tanh layer."""
    from .activations import RELU_FAMILY, SATURATING

    found = ["grad_ratio"] if sum(record.weighted) > 1 else []
    if any(a in RELU_FAMILY for a in record.activations):
        found.append("dead_share")
    if any(a in SATURATING for a in record.activations):
        found.append("saturated_share")
    return found


def summaries(figures: dict[str, list[float]], weighted: list[bool]) -> dict[str, float]:
    """The three history figures from one record (NaN where a network has no such layers)."""
    grads = [g for g, w in zip(figures["grad_norm"], weighted) if w]
    ratio = grads[0] / grads[-1] if len(grads) > 1 and grads[-1] > 0 else math.nan
    return {"grad_ratio": ratio, "dead_share": _mean(figures["dead"]), "saturated_share": _mean(figures["saturated"])}


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return float(np.mean(kept)) if kept else math.nan
