"""The loop of one stacked fit (``stacked.fit``): epochs and batches over a ``stack.Stack``, and
each run's own epoch end (history row, callbacks, divergence, stops)."""
from __future__ import annotations

import math
import time
from typing import Any

import torch

from . import building, stack, stack_grad
from .callbacks import Callback, Clock, Scoring
from .control import Control
from .safety import DivergenceGuard, advice
from .tasks import CLASSIFICATION


class StackTrainer:
    """The loop over epochs and batches of one stacked fit."""

    def __init__(self, runs: dict[str, Any], listeners: dict[str, list[Callback]], control: Control,
                 by_hand: bool = True):
        self.names = {id(run): name for name, run in runs.items()}
        self.listeners, self.control = listeners, control
        first = next(iter(runs.values()))
        self.plan = stack.layout(first.model, first.dataset.sample_shape[0])
        group = first.optimizer.param_groups[0]
        self.stack = stack.Stack(list(runs.values()), self.plan, stack.OPTIMIZERS[type(first.optimizer)],
                                 bool(group.get("decoupled_weight_decay")), bool(group.get("nesterov")))
        self.loss = stack.LOSSES[first.loss.name]
        self.loss_name, self.batches, self.device = first.loss.name, first.batches, first.device
        self.classify = first.dataset.task == CLASSIFICATION
        self.output = None if self.classify else first.model.output  # the loss folds a classifier's softmax in
        self.by_hand = by_hand and stack_grad.supports(self.plan, self.loss_name, self.output)
        self.fit_start = {id(run): run.epoch for run in runs.values()}
        self.steps_done = 0  # optimizer steps of the epoch under way
        self.gone: set[int] = set()  # rows of runs released during the epoch under way (a stop request)
        # Each run's callbacks that do something at an epoch's start, and those called at its end
        # (the guard's, Scoring's and Clock's work is done over the stack).
        self.starting = {id(run): [c for c in listeners[name] if overrides(c, "on_epoch_start")]
                         for name, run in runs.items()}
        self.ending = {id(run): [c for c in listeners[name] if not isinstance(c, (DivergenceGuard, Scoring, Clock))]
                       for name, run in runs.items()}

    def train(self) -> None:
        threads = torch.get_num_threads()
        first = self.stack.runs[0]
        torch.set_num_threads(building.threads_for(first.model, first.batch_size * self.stack.size,
                                                   first.dataset.sample_shape, self.device, first.config.threads))
        self._keep([r for r, run in enumerate(self.stack.runs) if run.epoch < run.target_epoch])
        try:
            while self.stack.size:
                self._epoch()
        finally:
            torch.set_num_threads(threads)
            self._keep([])  # an interrupt or an error: each run keeps where it got to

    def _release(self, r: int) -> None:
        """Run ``r`` leaves the stack now, with the steps it took in this epoch."""
        if r not in self.gone:
            self.stack.runs[r].global_step += self.steps_done
            self.stack.release(r, self.steps_done)
            self.gone.add(r)

    def _keep(self, rows: list[int]) -> None:
        """Release the runs not in ``rows`` and go on with the others."""
        for r in range(self.stack.size):
            if r not in rows:
                self._release(r)
        if len(rows) != self.stack.size:
            self.stack.keep(rows)
        self.gone = set()

    # -- one epoch ----------------------------------------------------------------------------------
    def _epoch(self) -> None:
        started = time.perf_counter()
        s = self.stack
        for run in s.runs:
            for c in self.starting[id(run)]:
                c.on_epoch_start(run)
        snapshot = s.snapshot()
        s.hyperparameters(len(self.batches))
        figures = self._train_epoch()
        if figures is None:  # every run stopped between two batches: the epoch gets no rows
            self._keep([])
            return
        seconds = (time.perf_counter() - started) / s.size
        keep = []
        for r, run in enumerate(s.runs):
            if r in self.gone:
                continue
            row = {k: v[r] for k, v in figures.items()}
            if self._diverged(r, run, row, snapshot):
                continue
            self._epoch_end(r, run, row, seconds)
            if not run.stop_training and run.epoch < run.target_epoch:
                keep.append(r)
        self._keep(keep)

    def _may_go_on(self) -> bool:
        """Before each batch: a stop request to the whole stack (the first Ctrl-C) stops every run; one
        to a single run (``run.stop()``) takes it out of the stack at once, as it stops alone."""
        runs = self.stack.runs
        if not self.control.wait_for_batch():
            for r, run in enumerate(runs):
                if r not in self.gone:
                    run.halt("stopped", self.control.reason)
            return False
        for r, run in enumerate(runs):
            if r not in self.gone and not run.control.wait_for_batch():
                run.halt("stopped", run.control.reason)
                self._release(r)
        return len(self.gone) < len(runs)

    def _train_epoch(self) -> dict[str, list[float]] | None:
        """Every run's training steps over one epoch; each run's figures (a list with one value per
        run under each name), or None when every run stopped before the epoch's end."""
        s, runs = self.stack, self.stack.runs
        n = len(runs[0].data.train)
        order = torch.stack([torch.randperm(n, generator=run.shuffle) for run in runs]).to(self.device)  # (runs, n)
        rows = torch.arange(len(runs), device=self.device).unsqueeze(1)
        X, y = s.data["train_X"][rows, order], s.data["train_y"][rows, order]  # (runs, n, features), (runs, n, ...)
        masks = s.masks(self.batches)
        sizes = [stop - start for start, stop in self.batches]
        losses, penalties, predictions = [], [], []
        self.steps_done = 0
        for i, (xb, yb, size) in enumerate(zip(X.split(sizes, 1), y.split(sizes, 1), sizes)):
            if not self._may_go_on():
                return None
            self.control.in_step = True  # a second Ctrl-C waits until the step is whole
            try:
                if self.by_hand:
                    loss, out = stack_grad.step(s, xb, yb, masks[i] if masks else None, self.output, self.loss_name)
                    penalty = None
                    if s.l1 is not None or s.l2 is not None:
                        with torch.no_grad():
                            penalty = s.penalty()
                else:
                    out = s.forward(xb, masks[i] if masks else None, self.output)
                    loss = self.loss(out, yb)  # each sample's
                    penalty = s.penalty()
                    s.grad.zero_()
                    # The sum over runs of each run's mean loss (and penalty): each run's gradient is its own.
                    (loss.sum() / size if penalty is None else loss.sum() / size + penalty.sum()).backward()
                s.update(i)
                self.steps_done += 1
            finally:
                self.control.in_step = False
            if self.control.interrupt_pending:
                self.control.interrupt_pending = False
                raise KeyboardInterrupt
            losses.append(loss.detach())
            if penalty is not None:
                penalties.append(penalty.detach())
            if self.classify:
                predictions.append(out.detach())
        s.stepped(self.steps_done)
        for r, run in enumerate(runs):
            if r not in self.gone:
                run.global_step += self.steps_done
        self.steps_done = 0
        return self._figures(losses, penalties, predictions, y)

    def _figures(self, losses: list[torch.Tensor], penalties: list[torch.Tensor], predictions: list[torch.Tensor],
                 y: torch.Tensor) -> dict[str, list[float]]:
        """The epoch's figures of every run, brought to the host at once."""
        n, runs = y.shape[1], y.shape[0]
        sizes = torch.tensor([stop - start for start, stop in self.batches], device=self.device).unsqueeze(1)
        each = torch.cat([loss.view(runs, -1) for loss in losses], 1)  # (runs, n): each sample's loss
        penalties = torch.stack(penalties) if penalties else None
        # Sums on the device, divided on the host in double precision, as a run alone does.
        columns = {"train_loss": each.sum(1), "n": n}
        if self.classify:
            columns["train_acc"] = (stack.predict(self.loss_name, torch.cat(predictions, 1)) == y).sum(1)
            columns["n"] = y[0].numel()
        if penalties is not None:
            columns["train_penalty"] = (penalties * sizes).sum(0)
        columns["finite"] = self.stack.finite().to(self.device)
        self.host: dict[str, list[float]] = {}  # figures computed on the host
        columns.update(self._validation())
        names = [k for k in columns if k != "n"]
        # One wait for the device; float32 holds the counts exactly.
        values = torch.stack([columns[k] if columns[k].dtype == torch.float32 else columns[k].float()
                              for k in names]).tolist()
        figures = {**dict(zip(names, values)), **self.host}
        for name, divisor in (("train_loss", n), ("train_penalty", n), ("train_acc", columns["n"])):
            if name in figures:
                figures[name] = [v / divisor for v in figures[name]]
        if not all(figures["finite"]) or not all(map(math.isfinite, figures["train_loss"] + figures.get(
                "train_penalty", []))):
            totals = torch.stack([loss.view(runs, -1).mean(1) for loss in losses])  # (steps, runs)
            totals = totals if penalties is None else totals + penalties
            figures["first_bad"] = [next(((i, v) for i, v in enumerate(column) if not math.isfinite(v)),
                                         (len(column) - 1, math.inf)) for column in totals.t().tolist()]
        return figures

    def _validation(self) -> dict[str, torch.Tensor]:
        """Each run's figures on its validation split, as ``Run.evaluate("val")`` gives them."""
        runs = self.stack.runs
        if not len(runs[0].data.val):
            return {}
        with torch.no_grad():
            X, y = self.stack.data["val_X"], self.stack.data["val_y"]
            out = self.stack.forward(X, None, self.output)
            found = {"val_loss": self.loss(out, y).view(len(runs), -1).mean(1)}
            if self.classify:
                found["val_acc"] = (stack.predict(self.loss_name, out) == y).sum(1)  # divided in _epoch_end
                return found
        # In the target's units, in double precision on the host (numpy), as Run.evaluate computes them.
        errors = [run.data.untransform_target(out[r]) - run.data.untransform_target(y[r]) for r, run in enumerate(runs)]
        self.host = {"val_mse": [float((e ** 2).mean()) for e in errors],
                     "val_mae": [float(abs(e).mean()) for e in errors]}
        return found

    def _diverged(self, r: int, run: Any, row: dict[str, Any], snapshot: Any) -> bool:
        """A run whose loss (or optimizer state) stopped being finite this epoch goes back to its
        state at the epoch's start and halts as ``diverged``, as the divergence guard does alone."""
        loss_ok = math.isfinite(row["train_loss"] + row.get("train_penalty", 0.0))
        if loss_ok and row["finite"]:
            return False
        start_step = run.global_step - len(self.batches)
        index, value = row["first_bad"]
        self.stack.restore(r, snapshot)
        run.global_step = start_step
        at_start = run.epoch == self.fit_start[id(run)]
        where = "the loss" if not loss_ok else "the optimizer's running averages of squared gradients"
        run.halt("diverged", advice(value, run, start_step + index + 1, start_step, at_start, where=where))
        run.status = "diverged"
        return True

    def _epoch_end(self, r: int, run: Any, row: dict[str, Any], seconds: float) -> None:
        """The run's own epoch end: its history row, with the figures measured over the stack
        (what Scoring and Clock log alone), then its other callbacks in their order."""
        figures = {"epoch": run.epoch + 1, **{k: row[k] for k in ("train_loss", "train_acc") if k in row}}
        if "train_penalty" in row and self.stack.penalized[r]:
            figures["train_penalty"] = row["train_penalty"]
        figures.update({k: row[k] for k in ("val_loss", "val_acc", "val_mse", "val_mae") if k in row})
        if "val_acc" in row:
            figures["val_acc"] = row["val_acc"] / run.data.val.y.numel()
        figures.update(lr=run.optimizer.param_groups[0]["lr"], time=seconds)
        with run.lock:
            logs = run.history.open_row(figures)
            try:
                for c in self.ending[id(run)]:
                    c.on_epoch_end(run, logs)
            finally:
                run.history.pad()


def overrides(callback: Callback, hook: str) -> bool:
    return getattr(type(callback), hook) is not getattr(Callback, hook)
