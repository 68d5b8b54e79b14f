"""The training loop: a run holds the model, data, optimizer and history, and speaks through events."""
from __future__ import annotations

import math
import threading
import time
import warnings
from typing import Any, Callable, Iterable

import torch
from torch import nn

from . import init as init_schemes
from . import optimizers
from .augment import Augmenter
from .callbacks import Callback, EarlyStopping, as_callback
from .config import DEFAULT_BATCH_SIZE, Config
from .control import Control, stop_on_interrupt
from .data import CLASSIFICATION, Dataset, as_dataset
from .errors import NbdlError
from .fast_step import FastStep
from .losses import Loss, choose
from .network import Network, as_spec
from .results import Results
from .safety import GoodState, divergence_message
from .splits import Splits
from .transfer import freeze

# Below this many parameter-samples per step, one torch thread beats two: splitting small matrix
# products costs more than it saves (measured on 2 cores: 1 thread wins up to ~5e6, 2 from ~1e7).
ONE_THREAD_WORK = 8e6


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise NbdlError(f"device {name!r} asked for but CUDA is not available here; use device='auto' or 'cpu'")
    return torch.device(name)


class Run(Results):
    """One experiment: built and checked in full on creation, trained by ``fit``, continued by
    calling ``fit`` again. ``history`` holds a list of plain floats per logged figure."""

    def __init__(self, config: Config, callbacks: Iterable[Callback | Callable] = ()):
        self.config = config.validate()
        self.device = resolve_device(config.device)
        seeded = {"seed": config.seed} if isinstance(config.data, str) else {}
        self.dataset: Dataset = as_dataset(config.data, **{**seeded, **config.data_options})
        self.data = Splits(self.dataset, config.val_split, config.test_split, config.seed,
                           config.standardize, self.device)
        self.model = self._build_model()
        per_step = (self._output_steps(), self.dataset.task == CLASSIFICATION and self.dataset.y.ndim == 2)
        self.loss: Loss = choose(config.loss, self.dataset.task, self._output_width(), self.dataset.target_width,
                                 per_step)
        kind = optimizers.kind(config.optimizer)
        self.batch_size = len(self.data.train) if kind.full_batch else (config.batch_size or DEFAULT_BATCH_SIZE)
        self.optimizer = optimizers.make(config.optimizer, self.model.parameters(), **config.optimizer_settings())
        self.scheduler = optimizers.make_schedule(config.schedule, self.optimizer, config.epochs)
        self.callbacks: list[Callback] = [as_callback(c) for c in callbacks]
        if config.early_stopping:
            self.callbacks.append(EarlyStopping(config.monitor, config.early_stopping, restore_best=config.restore_best))
        self.history: dict[str, list[float]] = {}
        self.epoch = 0            # completed epochs
        self.target_epoch = config.epochs  # where the current (or last) fit ends
        self.global_step = 0      # completed optimizer steps
        self.control = Control()
        self.stop_training = False
        self.stop_reason: str | None = None
        self.best_epoch: int | None = None
        self.status = "ready"     # ready, running, finished, stopped, diverged, interrupted, failed
        self.validation_seconds = 0.0  # time spent measuring the validation split
        self._shuffle = torch.Generator().manual_seed(config.seed)
        self._fitting = threading.Lock()
        self._good = GoodState()
        self._params = list(self.model.parameters())
        # Check the loss for NaN/inf every step on the CPU (reading it costs ~1 us there); on an
        # accelerator every few steps, since reading a value waits for the device.
        self._check_every = 1 if self.device.type == "cpu" else 25
        self._step = FastStep(self.optimizer)
        self._augment = Augmenter(config.augment, self.dataset.sample_shape, config.seed, self.device) \
            if config.augment else None
        self._penalized = [p for p in self._params if p.dim() > 1]  # weights, not biases or norms

    # -- building ---------------------------------------------------------------------------------
    def _build_model(self) -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.config.seed)
            if isinstance(self.config.network, nn.Module):
                model = self.config.network
                if self.config.dropout is not None:
                    _set_dropout(model, self.config.dropout)
            else:
                spec = as_spec(self.config.network)
                if self.config.dropout is not None:
                    spec = spec.with_dropout(self.config.dropout)
                model = spec.build(self.dataset.sample_shape)
            init_schemes.initialize(model, self.config.init)
            if self.config.freeze:
                freeze(model, self.config.freeze)
            # Dropout draws from the global generator: each run keeps its own state between fits.
            self._rng_state = torch.get_rng_state()
        return model.to(self.device)

    def _output_steps(self) -> bool:
        """Whether the network predicts at every step of a sequence (its output is (steps, width))."""
        return isinstance(self.model, Network) and len(self.model.output_shape) == 2

    def _output_width(self) -> int:
        if isinstance(self.model, Network):
            return self.model.output_shape[-1]
        sample = self.data.train.X[:2]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                out = self.model(sample)
        except Exception as error:  # a user module that cannot take the data: say so before training
            raise NbdlError(f"the model cannot take samples of shape {tuple(sample.shape[1:])}: {error}") from None
        finally:
            self.model.train(was_training)
        if out.dim() != 2:
            raise NbdlError(f"the model must return (batch, outputs), got shape {tuple(out.shape)}")
        return out.shape[1]

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        return self.model.logits(X) if isinstance(self.model, Network) else self.model(X)

    def penalty(self) -> torch.Tensor | None:
        """``l1 * sum|w| + l2 * sum w^2`` over the weight matrices (biases and norm scales are free)."""
        l1, l2 = self.config.l1, self.config.l2
        if not (l1 or l2) or not self._penalized:
            return None
        total = torch.zeros((), device=self.device)
        for w in self._penalized:
            if not w.requires_grad:  # a frozen weight cannot move: its penalty is a constant
                continue
            if l1:
                total = total + l1 * w.abs().sum()
            if l2:
                total = total + l2 * w.pow(2).sum()
        return total

    # -- training ---------------------------------------------------------------------------------
    @property
    def split_sizes(self) -> dict[str, int]:
        return self.data.sizes

    def fit(self, epochs: int | None = None, callbacks: Iterable[Callback | Callable] = ()) -> "Run":
        """Train ``epochs`` more epochs (the config's by default); returns the run."""
        epochs = self.config.epochs if epochs is None else epochs
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise NbdlError(f"epochs must be a whole number >= 0, got {epochs!r}")
        listeners = self.callbacks + [as_callback(c) for c in callbacks]
        batch_listeners = [c for c in listeners if _listens_to_batches(c)]
        if not self._fitting.acquire(blocking=False):
            raise NbdlError("this run is already training (in another thread, for example the dashboard); "
                            "stop it first, or make a new run")
        self.control.reset()
        self.target_epoch = self.epoch + epochs
        self.stop_training, self.stop_reason, self.status = False, None, "running"
        threads = torch.get_num_threads()
        torch.set_num_threads(self._threads())
        with torch.random.fork_rng(devices=[]), stop_on_interrupt(self.control):
            torch.set_rng_state(self._rng_state)
            try:
                for c in listeners:
                    c.on_fit_start(self)
                for _ in range(epochs):
                    logs = self._train_epoch(batch_listeners)
                    if logs is None:  # stopped or diverged mid-epoch; the status says which
                        break
                    for c in listeners:
                        c.on_epoch_end(self, logs)
                    if self.stop_training:
                        self.status = "stopped"
                        break
                else:
                    self.status = "finished"
            except KeyboardInterrupt:
                self.status, self.stop_reason = "interrupted", "interrupted"
                raise
            except BaseException:
                self.status = "failed"
                raise
            finally:
                self._rng_state = torch.get_rng_state()
                torch.set_num_threads(threads)
                self._fitting.release()
                for c in listeners:
                    c.on_fit_end(self)
        if self.status == "diverged":
            warnings.warn(self.stop_reason, RuntimeWarning, stacklevel=2)
        return self

    def _threads(self) -> int:
        if self.config.threads is not None:
            return self.config.threads
        # A recurrent network applies its weights once per step of each sequence.
        steps = self.dataset.sample_shape[0] if len(self.dataset.sample_shape) == 2 else 1
        work = sum(p.numel() for p in self.model.parameters()) * self.batch_size * steps
        return 1 if work < ONE_THREAD_WORK or self.device.type != "cpu" else torch.get_num_threads()

    def _train_epoch(self, batch_listeners: list[Callback]) -> dict[str, float] | None:
        size, n = self.batch_size, len(self.data.train)
        started = time.perf_counter()
        # One gather per epoch; the batches are then views (slices) of the shuffled tensors.
        order = torch.randperm(n, generator=self._shuffle).to(self.device)
        X, y = self.data.train.X[order], self.data.train.y[order]
        losses, penalties, predictions = [], [], []
        classify = self.dataset.task == CLASSIFICATION
        params, control, good, step = self._params, self.control, self._good, self._step
        self.model.train()
        for start in range(0, n, size):
            if not control.wait_for_batch():
                self.status, self.stop_reason = "stopped", control.reason
                return None
            xb, yb = X[start:start + size], y[start:start + size]
            if self._augment is not None:
                xb = self._augment(xb)
            logits = self.logits(xb)
            loss = self.loss(logits, yb)
            penalty = self.penalty()
            if self.global_step % self._check_every == 0:
                value = loss.item()
                if not math.isfinite(value):
                    self.status, self.stop_reason = "diverged", divergence_message(value, self, good.step)
                    good.restore(self)
                    return None
                if good.due(self.global_step):  # these weights gave a finite loss: keep them
                    good.take(self)
            control.in_step = True  # a second Ctrl-C waits until the step is whole
            for p in params:  # what zero_grad(set_to_none=True) does, without its profiling overhead
                p.grad = None
            (loss + penalty if penalty is not None else loss).backward()
            step()
            self.global_step += 1
            control.in_step = False
            if control.interrupt_pending:
                control.interrupt_pending = False
                raise KeyboardInterrupt
            # Figures stay on the device until the epoch ends: no host sync per batch.
            losses.append(loss.detach())
            if penalty is not None:
                penalties.append(penalty.detach())
            if classify:
                predictions.append(self.loss.predict(logits.detach()))
            for c in batch_listeners:
                c.on_batch_end(self, {"step": self.global_step, "loss": losses[-1], "size": len(xb)})
        sizes = torch.tensor([min(size, n - start) for start in range(0, n, size)], device=self.device)
        loss_sum = (torch.stack(losses) * sizes).sum()
        penalty_sum = (torch.stack(penalties) * sizes).sum() if penalties else None
        correct = (torch.cat(predictions) == y).sum() if classify else None
        self.epoch += 1
        logs = {"epoch": self.epoch, "train_loss": loss_sum.item() / n}
        if classify:
            logs["train_acc"] = correct.item() / y.numel()  # per sample, or per step of a sequence
        if penalty_sum is not None:
            logs["train_penalty"] = penalty_sum.item() / n
        if len(self.data.val):
            measured = time.perf_counter()
            for key, value in self._figures(self.data.val).items():
                logs["val_acc" if key == "accuracy" else f"val_{key}"] = value
            self.validation_seconds += time.perf_counter() - measured
        logs["lr"] = self.optimizer.param_groups[0]["lr"]
        logs["time"] = time.perf_counter() - started
        self._step_schedule(logs)
        for key, value in logs.items():
            # A figure that starts later (a penalty switched on mid-run) is padded with NaN, so every
            # list has one entry per epoch.
            self.history.setdefault(key, [math.nan] * (self.epoch - 1)).append(float(value))
        return logs

    def _step_schedule(self, logs: dict[str, float]) -> None:
        if self.scheduler is None:
            return
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
        else:
            self.scheduler.step()

    # -- changes between batches ------------------------------------------------------------------
    LIVE_SETTINGS = ("lr", "momentum", "betas", "eps", "weight_decay", "l1", "l2", "epochs")

    def update(self, **changes: Any) -> None:
        """Change settings that apply to the next batch (learning rate, penalties, ...), checked like a
        new config. Settings that need a new network or new data raise: make a new run for those."""
        needs_new_run = sorted(set(changes) - set(self.LIVE_SETTINGS))
        if needs_new_run:
            raise NbdlError(f"{', '.join(needs_new_run)} cannot change during a run; make a new run (Reset) "
                            f"to change them. Settings that can change: {', '.join(self.LIVE_SETTINGS)}")
        config = self.config.replace(**changes).validate()
        kind = optimizers.kind(config.optimizer)
        settings = kind.settings(**config.optimizer_settings())
        for group in self.optimizer.param_groups:
            for key in set(changes) & set(settings):
                group[key] = tuple(settings[key]) if key == "betas" else settings[key]
        self.config = config

    # -- control from any thread ------------------------------------------------------------------
    def save(self, path) -> Any:
        """Write the weights, optimizer state, history and config to ``path`` (safetensors, atomic)."""
        from .checkpoint import save

        return save(self, path)

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step(self, batches: int = 1) -> None:
        self.control.step(batches)

    def stop(self) -> None:
        self.control.stop()

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.history.items() if k in ("train_loss", "val_loss", "val_acc")}
        figures = ", ".join(f"{k} {v:.4g}" for k, v in last.items())
        return f"<Run {self.dataset.name}: {self.epoch} epochs, {self.status}{', ' + figures if figures else ''}>"


def _set_dropout(model: nn.Module, rate: float) -> None:
    layers = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    if not layers:
        raise NbdlError(f"dropout={rate} asked for but the network has no dropout layer; "
                        "add a line such as 'dropout 0.2' after a hidden layer")
    for layer in layers:
        layer.p = rate


def _listens_to_batches(callback: Callback) -> bool:
    """Only callbacks that override ``on_batch_end`` are called per batch (the hot path)."""
    return getattr(callback.on_batch_end, "__func__", None) is not Callback.on_batch_end


def train(network: Any = None, data: Any = None, *, callbacks: Iterable[Callback | Callable] = (),
          config: Config | None = None, **settings: Any) -> Run:
    """Build a run from a network and data plus any Config settings (or a whole ``config``), and fit it."""
    given = {k: v for k, v in (("network", network), ("data", data)) if v is not None}
    return Run((config or Config()).replace(**given, **settings), callbacks).fit()
