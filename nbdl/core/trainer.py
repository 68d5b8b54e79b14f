"""The training loop: a run holds the model, data, optimizer and history, and speaks through callbacks."""
from __future__ import annotations

import contextlib
import threading
import uuid
import warnings
from typing import Any, Callable, Iterable, Iterator

import torch

from . import autoencode, batching, building, devices, optimizers, state
from .augment import Augmenter
from .callbacks import Callback, Clock, EarlyStopping, ScheduleStep, Scoring, as_callbacks, listens_to_batches
from .coach import Coach
from .config import DEFAULT_BATCH_SIZE, LIVE, Config, as_config, setting_named
from .control import Control, stop_on_interrupt
from .datasets import as_dataset
from .errors import NbdlError, spell
from .fast_step import FastStep
from .history import History
from .losses import Loss, choose
from .network import Network
from .options import INT, Option
from .recorder import SUMMARIES, InstrumentRecorder
from .results import Results
from .safety import DivergenceGuard
from .splits import Splits
from .tensorboard import TensorBoard
from .tasks import CLASSIFICATION

BATCHES = Option("batches", 1, "batches to run before pausing again", kind=INT, low=1, high=10**9)
STATUSES = state.STATUSES  # ready, running, finished, stopped, diverged, interrupted, failed


class DivergenceWarning(RuntimeWarning):
    """The loss became NaN or infinite; ``run.stop_reason`` says what was restored and what to try."""


class Run(Results):
    """One experiment: built and checked in full on creation, trained by ``fit``, continued by
    calling ``fit`` again. ``history`` holds a list of plain floats per logged figure.

    A module given as the network is copied, so the caller's module keeps its weights;
    ``in_place=True`` trains the module itself."""

    def __init__(self, config: Config, callbacks: Iterable[Callback | Callable] = (), *, in_place: bool = False):
        if not isinstance(in_place, bool):
            raise NbdlError(f"in_place must be True or False, got {in_place!r}")
        self.config = config = as_config(config).validate()
        self.device = devices.resolve(config.device)
        self.dataset = as_dataset(config.data, seed=config.seed, **config.data_options)
        self.data = Splits(self.dataset, config.val_split, config.test_split, config.seed, config.standardize,
                           self.device)
        # Each run draws from generators of its own: batch order, dropout, augmentation.
        self.shuffle = torch.Generator().manual_seed(config.seed)
        self.generator = torch.Generator(device=self.device).manual_seed(config.seed)
        self.model = building.build_model(config, self.dataset, self.device, self.generator, in_place)
        building.check_tokens(self.model, self.dataset.X)
        self._fold = isinstance(self.model, Network) and self.dataset.task == CLASSIFICATION
        steps = isinstance(self.model, Network) and len(self.model.output_shape) == 2
        autoencode.check_output(self.model, self.dataset, self.data.train.X[:2])
        width = building.output_width(self.model, self.data.train.X[:2])
        self.loss: Loss = choose(config.loss, self.dataset.task, width, self.dataset.target_width,
                                 (steps, self.dataset.task == CLASSIFICATION and self.dataset.y.ndim == 2))
        kind = optimizers.kind(config.optimizer)
        self.batch_size = len(self.data.train) if kind.full_batch else (config.batch_size or DEFAULT_BATCH_SIZE)
        self.batches = building.batches(len(self.data.train), self.batch_size, building.has_batch_norm(self.model))
        if self.batch_size == 1 and building.has_batch_norm(self.model):
            raise NbdlError(f"batch norm needs at least 2 samples per batch; {spell('batch_size')} is 1")
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = optimizers.make(config.optimizer, self.params, **config.optimizer_settings())
        self.scheduler = optimizers.make_schedule(config.schedule, self.optimizer, config.epochs)
        self.augmenter = (Augmenter(config.augment, self.dataset.sample_shape, config.seed, self.device)
                          if config.augment else None)
        self.batch_changes = batching.for_run(self)  # plugged-in changes to training batches (batching.py)
        self.history = History()
        self.id = uuid.uuid4().hex  # which run this is, kept in its checkpoints
        self.global_step = 0       # completed optimizer steps
        self.target_epoch = config.epochs  # where the current (or last) fit ends
        self.best_epoch: int | None = None
        self.status, self.stop_reason = "ready", None
        self.stop_training = False
        self.control = Control()
        self.lock = threading.RLock()  # held for each step and each epoch's end: a save sees a whole state
        self.callbacks = self._default_callbacks() + as_callbacks(callbacks)
        self.listening: list[Callback] = []  # the callbacks of the fit under way
        if config.early_stopping and config.monitor not in self.logged_figures() \
                and not any(c.adds_figures for c in self.callbacks):
            raise NbdlError(f"early stopping watches {spell('monitor')} {config.monitor!r}, which this run does not "
                            f"log; it logs: {', '.join(sorted(self.logged_figures() - {'epoch'}))}")
        self._halted: str | None = None
        self._fitting = threading.Lock()
        self._fit_start = self._done = 0  # where the current fit started, and its epochs so far
        self._optimizer_step = FastStep(self.optimizer)
        self._penalized = [p for p in self.params if p.dim() > 1]  # weights, not biases or norms

    def _default_callbacks(self) -> list[Callback]:
        # Check the loss for NaN/inf every step on the CPU (reading it costs ~1 us there); on an
        # accelerator every few steps, since reading a value waits for the device.
        self.recorder, self.coach = InstrumentRecorder(), Coach()
        found = [DivergenceGuard(every=1 if self.device.type == "cpu" else 25), Scoring(), self.recorder, Clock(),
                 ScheduleStep(), self.coach]
        found += as_callbacks([c.on_epoch_end for c in self.batch_changes if hasattr(c, "on_epoch_end")])  # figures
        if self.config.early_stopping:
            found.append(EarlyStopping(self.config.monitor, self.config.early_stopping,
                                       restore_best=self.config.restore_best))
        if self.config.tensorboard:
            found.append(TensorBoard(self.config.tensorboard))
        return found

    def logged_figures(self) -> set[str]:
        """The figures the built-in callbacks write into each history row of this run."""
        classify = self.dataset.task == CLASSIFICATION
        found = {"epoch", "train_loss", "lr", "time", *(["train_acc"] if classify else []),
                 *(["train_penalty"] if self.config.l1 or self.config.l2 else [])}
        if len(self.data.val):
            found |= {"val_loss", *(["val_acc"] if classify else ["val_mse", "val_mae"])}
        if self.config.diagnostics:
            found |= set(SUMMARIES)
        return found

    @property
    def instruments(self):
        """The per-layer instruments' records (an ``Instruments``), taken while ``diagnostics`` is on."""
        return self.recorder.record

    @property
    def notes(self):
        """What the coach has noticed, in plain words (a list of ``Note``), with ``diagnostics`` on."""
        return self.coach.notes

    @property
    def epoch(self) -> int:
        """Completed epochs: the history's rows."""
        return self.history.epochs

    @property
    def history(self) -> History:
        """Figure name -> a list of floats, one per epoch."""
        return self._history

    @history.setter
    def history(self, value: Any) -> None:
        if not isinstance(value, History):
            if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()) \
                    or len({len(v) for v in value.values()}) > 1:
                raise NbdlError("a run's history maps figure names to lists of numbers, one per epoch (all as long)")
            value = History(value)
        self._history = value

    @property
    def split_sizes(self) -> dict[str, int]:
        return self.data.sizes

    @property
    def training(self) -> bool:
        """Whether a fit is under way (in this thread or another)."""
        return self._fitting.locked()

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        """What the loss is computed from: an nbdl network's values before its output softmax or
        sigmoid for classes (the loss folds it in); the network's own outputs for numbers."""
        return self.model.logits(X) if self._fold else self.model(X)

    def penalty(self) -> torch.Tensor | None:
        """``l1 * sum|w| + l2 * sum w^2`` over the weight matrices (biases and norm scales are free)."""
        l1, l2 = self.config.l1, self.config.l2
        if not (l1 or l2) or not self._penalized:
            return None
        total = torch.zeros((), device=self.device)
        for w in self._penalized:
            if l1:
                total = total + l1 * w.abs().sum()
            if l2:
                total = total + l2 * w.pow(2).sum()
        return total

    # -- training ---------------------------------------------------------------------------------
    def fit(self, epochs: int | None = None, callbacks: Iterable[Callback | Callable] = ()) -> "Run":
        """Train ``epochs`` more epochs (the config's by default); returns the run."""
        epochs = self.config.epochs if epochs is None else setting_named("epochs").check(epochs, "epochs")
        listeners = sorted([*self.callbacks, *as_callbacks(callbacks)], key=lambda c: c.order)
        per_batch = [c for c in listeners if listens_to_batches(c)]
        with self._fitting_session(epochs, listeners):
            while self._fit_start + self._done < self.target_epoch and not self.stop_training:
                for c in listeners:
                    c.on_epoch_start(self)
                figures = self._train_epoch(per_batch)
                if figures is None:  # halted inside the epoch: it gets no row
                    break
                with self.lock:
                    logs = self.history.open_row(figures)  # the epoch count and its row move together
                    self._done += 1
                    try:
                        for c in listeners:
                            c.on_epoch_end(self, logs)
                    finally:
                        self.history.pad()
        if self.status == "diverged":
            warnings.warn(self.stop_reason, DivergenceWarning, stacklevel=2)
        return self

    @contextlib.contextmanager
    def _fitting_session(self, epochs: int, listeners: list[Callback]) -> Iterator[None]:
        """One fit: refuse a second at once, set the status, threads and interrupt handling, and tell
        the callbacks when it starts and how it ended. A callback may refuse the fit in
        ``on_fit_start`` (an NbdlError): then nothing has changed."""
        if not self._fitting.acquire(blocking=False):
            raise NbdlError("this run is already training (in another thread, for example the dashboard); "
                            "stop it first, or make a new run")
        before = (self.status, self.stop_reason, self.target_epoch)
        self.control.reset()
        self._fit_start, self._done, self.target_epoch = self.epoch, 0, self.epoch + epochs
        self.stop_training, self.stop_reason, self._halted, self.status = False, None, None, "running"
        self.listening = listeners
        threads = torch.get_num_threads()
        torch.set_num_threads(building.threads_for(self.model, self.batch_size, self.dataset.sample_shape,
                                                   self.device, self.config.threads))
        started = False
        try:
            with stop_on_interrupt(self.control):
                try:
                    for c in listeners:
                        c.on_fit_start(self)
                except NbdlError:
                    self.status, self.stop_reason, self.target_epoch = before
                    raise
                started = True
                yield
            reached = self._fit_start + self._done
            self.target_epoch = max(self.target_epoch, reached)  # an end moved back while an epoch ran
            self.status = self._halted or ("finished" if reached >= self.target_epoch else "stopped")
        except KeyboardInterrupt:
            self.status, self.stop_reason = "interrupted", "interrupted"
            raise
        except BaseException:
            if started:
                self.status = "failed"
            raise
        finally:
            torch.set_num_threads(threads)
            self._fitting.release()
            self.listening = []
            if started:
                for c in listeners:
                    c.on_fit_end(self)

    @contextlib.contextmanager
    def session(self, epochs: int, listeners: list[Callback]) -> Iterator[None]:
        """A fit whose epochs another loop runs (``stacked`` trains many runs as one): ``fit``'s own
        bookkeeping, with the epochs done counted from the history's rows."""
        with self._fitting_session(epochs, listeners):
            yield
            self._done = self.epoch - self._fit_start

    def halt(self, status: str, reason: str) -> None:
        """End the fit between two batches as ``status`` (stopped, diverged), saying why."""
        self.stop_training, self._halted, self.stop_reason = True, status, reason

    def _train_epoch(self, listeners: list[Callback]) -> dict[str, float] | None:
        n, control = len(self.data.train), self.control
        # One gather per epoch; the batches are then views (slices) of the shuffled tensors.
        order = torch.randperm(n, generator=self.shuffle).to(self.device)
        X, y = self.data.train.X[order], self.data.train.y[order]
        losses, predictions = [], []
        penalty_sum = None  # a penalty switched on mid-epoch counts from its first batch
        classify = self.dataset.task == CLASSIFICATION
        with self.lock:  # not while another thread evaluates in eval mode (its dropout would draw)
            self.model.train()
        for start, stop in self.batches:
            if not control.wait_for_batch():
                self.halt("stopped", control.reason)
                return None
            loss, penalty, logits = self._step(X[start:stop], y[start:stop])
            # Figures stay on the device until the epoch ends: no host sync per batch.
            losses.append(loss)
            if penalty is not None:
                penalty_sum = penalty * (stop - start) + (0 if penalty_sum is None else penalty_sum)
            if classify:
                predictions.append(self.loss.predict(logits))
            logs = {"step": self.global_step, "loss": loss, "penalty": penalty, "size": stop - start}
            for c in listeners:
                c.on_batch_end(self, logs)
            if self.stop_training:
                return None
        sizes = torch.tensor([stop - start for start, stop in self.batches], device=self.device)
        figures = {"epoch": self.epoch + 1, "train_loss": (torch.stack(losses) * sizes).sum().item() / n}
        if classify:  # per sample, or per step of a sequence
            figures["train_acc"] = (torch.cat(predictions) == y).sum().item() / y.numel()
        if penalty_sum is not None:
            figures["train_penalty"] = penalty_sum.item() / n
        return figures

    def _step(self, xb: torch.Tensor, yb: torch.Tensor):
        """One optimizer step on one batch; the loss, the penalty and the logits, detached."""
        control = self.control
        with self.lock:
            control.in_step = True  # a second Ctrl-C waits until the step is whole
            try:
                if self.augmenter is not None:
                    xb = self.augmenter(xb)
                for change in self.batch_changes:
                    xb, yb = change(xb, yb)
                logits = self.logits(xb)
                loss = self.loss(logits, yb)
                penalty = self.penalty()
                for p in self.params:  # what zero_grad(set_to_none=True) does, without its overhead
                    p.grad = None
                (loss + penalty if penalty is not None else loss).backward()
                self._optimizer_step()
                self.global_step += 1
            finally:
                control.in_step = False
        if control.interrupt_pending:
            control.interrupt_pending = False
            raise KeyboardInterrupt
        return loss.detach(), None if penalty is None else penalty.detach(), logits.detach()

    def lr_find(self, **options: Any):
        """Smith's learning-rate range test from the run's current state, which is then put back
        exactly as it was; a ``RangeTest`` (options and how it suggests: ``nbdl.core.lr_find``)."""
        from .lr_find import range_test

        if not self._fitting.acquire(blocking=False):
            raise NbdlError("this run is training (in another thread, for example the dashboard); stop it before "
                            "a learning-rate range test")
        try:
            return range_test(self, **options)
        finally:
            self._fitting.release()

    # -- changes between batches ------------------------------------------------------------------
    def update(self, **changes: Any) -> None:
        """Change settings that apply from the next batch (learning rate, penalties, epochs, ...),
        checked like a new config. Settings that need a new network or new data raise: make a new
        run for those."""
        needs_new_run = sorted(set(changes) - set(LIVE))
        if needs_new_run:
            raise NbdlError(f"{', '.join(map(spell, needs_new_run))} cannot change during a run; make a new run "
                            f"(Reset) to change them. Settings that can change: {', '.join(map(spell, LIVE))}")
        config = self.config.replace(**changes).validate()
        kind = optimizers.kind(config.optimizer)
        settings = kind.settings(**config.optimizer_settings())
        with self.lock:
            for group in self.optimizer.param_groups:
                for key in set(changes) & set(settings):
                    group[key] = settings[key]
            optimizers.grow_state(self.optimizer, kind)
            if "epochs" in changes and self.training:  # the epoch under way still ends
                self.target_epoch = self._fit_start + max(config.epochs, self._done)
            self.config = config

    # -- state, for checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything a continued run needs besides its config: weights, optimizer and schedule,
        generators, history, progress and each callback's state. Taken between two steps."""
        with self.lock:
            return state.of_run(self)

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        """Take back a ``state_dict``: every part is checked against this run first (shapes, types,
        ranges), and nothing changes unless all of it fits."""
        if self.training:
            raise NbdlError("this run is training; stop it before loading a state into it")
        with self.lock:
            state.restore_run(self, saved)

    def save(self, path) -> Any:
        """Write the run to ``path`` (safetensors, atomic): see ``nbdl.load``."""
        from .checkpoint import write

        return write(path, self.config.to_dict(), self.state_dict())

    # -- control from any thread ------------------------------------------------------------------
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step(self, batches: int = 1) -> None:
        """Run ``batches`` more batches, then pause (they add up when asked for again before they ran)."""
        self.control.step(BATCHES.check(batches, "batches"))

    def stop(self) -> None:
        self.control.stop()

    def to_code(self, path=None) -> str:
        """This experiment as a standalone PyTorch script (no nbdl); with ``path``, also written there,
        with your own data beside it as an .npz file (``nbdl.core.export``)."""
        from .export import to_code

        return to_code(self, path)

    def landscape(self, other: "Run | None" = None, **options: Any):
        """The loss along the line to ``other``'s weights (a ``Line``), or over a plane around these
        weights (a ``Plane``: filter-normalised random directions, or a recorded trajectory's PCA)."""
        from .landscape import of_run

        return of_run(self, other, **options)

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.history.items() if k in ("train_loss", "val_loss", "val_acc")}
        figures = ", ".join(f"{k} {v:.4g}" for k, v in last.items())
        return f"<Run {self.dataset.name}: {self.epoch} epochs, {self.status}{', ' + figures if figures else ''}>"


def train(network: Any = None, data: Any = None, *, callbacks: Iterable[Callback | Callable] = (),
          config: Config | None = None, in_place: bool = False, **settings: Any) -> Run:
    """Build a run from a network and data plus any Config settings (or a whole ``config``), and fit it."""
    given = {k: v for k, v in (("network", network), ("data", data)) if v is not None}
    return Run(as_config(config or Config()).replace(**given, **settings), callbacks, in_place=in_place).fit()
