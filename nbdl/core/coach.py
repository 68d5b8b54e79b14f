"""The coach: after each epoch, with ``diagnostics`` on, it reads the history and the instruments and
says in plain words what goes wrong, with the figure behind it and what to try. Each finding is
said once per run (``run.notes``).

The checks and their thresholds:
- ``vanishing``: the first weighted layer's gradient norm is VANISHING times or more below the
  last one's;
- ``exploding``: the first weighted layer's gradient norm is VANISHING times or more above the last
  one's, or any layer's is above EXPLODING; or the loss became NaN or infinite;
- ``dead``: DEAD or more of the units of the ReLU layers never fire on the fixed batch (a leaky
  ReLU's, an ELU's, a GELU's or a swish unit keeps a gradient below 0, so it is not dead);
- ``saturated``: SATURATED or more of the sigmoid and tanh outputs sit where the slope is flat;
- ``overfitting``: each of the last OVERFIT_EPOCHS validation losses is more than OVERFIT_RISE
  above the best one before them, while the training loss fell by 5% or more since that best
  epoch and the gap between the two more than doubled;
- ``lr_low``: the training loss moved less than FLAT of itself over the last WINDOW epochs while
  still above 90% of where it started;
- ``lr_high``: the training loss went up and down at least four times in the last WINDOW + 1
  epochs, by more than 5% of itself on average, while still above STUCK of its first epoch's
  value (a loss that has come far down jitters by the batches' noise alone).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .callbacks import USER, Callback

VANISHING = 100.0
EXPLODING = 1e3
DEAD = 0.5
SATURATED = 0.5
OVERFIT_RISE = 0.05
OVERFIT_EPOCHS = 3
FLAT = 0.01
WINDOW = 5
STUCK = 0.3


@dataclass
class Note:
    """One finding: what (``kind``), when (``epoch``), the figure behind it, and what to try."""

    kind: str
    epoch: int
    message: str
    figure: str
    advice: str

    def __str__(self) -> str:
        return f"{self.message} ({self.figure}). Try: {self.advice}"


class Coach(Callback):
    """Looks at each epoch's figures and the instruments; ``notes`` holds what it said."""

    order = USER - 5  # after the scoring and the instruments, before the user's callbacks and stopping
    adds_figures = False

    def __init__(self) -> None:
        self.notes: list[Note] = []
        # The best validation loss before the last OVERFIT_EPOCHS epochs, and its epoch index,
        # kept as the epochs go (looking back over the whole history each epoch would grow).
        self.best_before: tuple[float, int] | None = None
        self._seen = 0  # epochs of the history taken into best_before

    def said(self, kind: str) -> bool:
        return any(note.kind == kind for note in self.notes)

    def on_epoch_end(self, run, logs):
        if not run.config.diagnostics:
            return
        val = run.history.get("val_loss", [])
        if self._seen > len(val):  # a history given back (a loaded state): start over
            self.best_before, self._seen = None, 0
        while self._seen < len(val) - OVERFIT_EPOCHS:
            value = val[self._seen]
            if math.isfinite(value) and (self.best_before is None or value < self.best_before[0]):
                self.best_before = (value, self._seen)
            self._seen += 1
        for kinds, check in CHECKS:
            if all(self.said(kind) for kind in kinds):
                continue  # each finding is said once: no need to look again
            for note in check(self, run, logs["epoch"]):
                if not self.said(note.kind):
                    self.notes.append(note)

    def on_fit_end(self, run):
        if run.config.diagnostics and run.status == "diverged" and not self.said("exploding"):
            self.notes.append(Note("exploding", run.epoch + 1, "the loss became NaN or infinite: the steps blew up",
                                   f"learning rate {run.optimizer.param_groups[0]['lr']:.3g}",
                                   "a learning rate 10x lower, gradient-friendly initialisation (kaiming for "
                                   "ReLU, xavier for tanh), or batch norm"))

    def state_dict(self):
        return {"notes": [asdict(note) for note in self.notes]} if self.notes else None

    def load_state_dict(self, state, run):
        from .errors import NbdlError

        try:
            notes = [Note(**{k: (int(v) if k == "epoch" else str(v)) for k, v in note.items()})
                     for note in state["notes"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise NbdlError("the coach's notes in the checkpoint are damaged") from None
        self.notes = notes


def _weighted(run) -> list[int]:
    """The layers with a weight matrix, input side first."""
    return [i for i, weighted in enumerate(run.instruments.weighted) if weighted]


def _gradients(coach: Coach, run, epoch: int) -> list[Note]:
    record, layers = run.instruments, _weighted(run)
    grads = record.last("grad_norm")
    if grads is None or len(layers) < 2:
        return []
    first, last = grads[layers[0]], grads[layers[-1]]
    notes = []
    if last > 0 and (first == 0 or last / first >= VANISHING):
        size = "exactly 0" if first == 0 else f"{last / first:,.0f}x smaller than the last layer's"
        notes.append(Note("vanishing", epoch,
                          f"vanishing gradients: the first layer's gradient is {size}, so the first layers "
                          f"{'do not' if first == 0 else 'barely'} learn",
                          f"gradient norm {first:.2e} in '{record.layers[layers[0]]}' against {last:.2e} in "
                          f"'{record.layers[layers[-1]]}'",
                          _vanishing_advice(record.activations)))
    biggest = max(range(len(grads)), key=lambda i: grads[i] if math.isfinite(grads[i]) else -1)
    if (first > 0 and last > 0 and first / last >= VANISHING) or grads[biggest] > EXPLODING:
        notes.append(Note("exploding", epoch,
                          "exploding gradients: the gradients grow towards the input, so steps there are huge",
                          f"gradient norm {grads[biggest]:.2e} in '{record.layers[biggest]}'"
                          + (f", {first / last:,.0f}x the last layer's" if last > 0 else ""),
                          "a lower learning rate, --init xavier or kaiming, batch norm, or fewer layers"))
    return notes


def _vanishing_advice(activations: list[str | None]) -> str:
    """What to try, for the activations the network has (no advice to use what it already uses)."""
    from .activations import SATURATING

    if any(a in SATURATING for a in activations):
        return ("relu, leaky_relu or elu activations with --init kaiming, batch norm between the layers, "
                "or fewer layers")
    return "--init kaiming with the biases at 0, batch norm between the layers, or fewer layers"


def _shares(run, figure: str, only: tuple[str, ...] | None = None) -> tuple[float, str] | None:
    """The mean share over the layers that have one (of the activations ``only``), and the worst
    layer in words."""
    record = run.instruments
    values = record.last(figure)
    if values is None:
        return None
    kept = [(v, name) for v, name, activation in zip(values, record.layers, record.activations)
            if math.isfinite(v) and (only is None or activation in only)]
    if not kept:
        return None
    worst = max(kept)
    return sum(v for v, _ in kept) / len(kept), f"worst: '{worst[1]}' at {worst[0]:.0%}"


def _dead(coach: Coach, run, epoch: int) -> list[Note]:
    # Only plain ReLU units get no gradient at all below 0; a leaky ReLU's, an ELU's, a GELU's or a
    # swish unit that is never positive still learns, so it is not what this note is about.
    found = _shares(run, "dead", only=("relu",))
    if found is None or found[0] < DEAD:
        return []
    share, worst = found
    return [Note("dead", epoch, f"dying ReLUs: {share:.0%} of the units never fire on the validation batch; "
                                "a dead unit gets no gradient and stays dead",
                 f"dead share {share:.0%}, {worst}",
                 "a lower learning rate, leaky_relu or elu (they keep a gradient below 0), --init kaiming with "
                 "bias 0")]


def _saturated(coach: Coach, run, epoch: int) -> list[Note]:
    found = _shares(run, "saturated")
    if found is None or found[0] < SATURATED:
        return []
    share, worst = found
    return [Note("saturated", epoch, f"saturated units: {share:.0%} of the sigmoid and tanh outputs sit on their "
                                     "flat ends, where the gradient is almost 0",
                 f"saturated share {share:.0%}, {worst}",
                 "--init xavier, a lower learning rate, standardized inputs, or relu-family activations")]


def _overfitting(coach: Coach, run, epoch: int) -> list[Note]:
    train, val = run.history.get("train_loss", []), run.history.get("val_loss", [])
    if len(val) < OVERFIT_EPOCHS + 2 or not math.isfinite(val[-1]):
        return []
    # Every one of the last OVERFIT_EPOCHS validation losses clearly above the best before them,
    # the training loss still clearly falling since, and the gap between the two grown.
    recent = val[-OVERFIT_EPOCHS:]
    if coach.best_before is None or not all(math.isfinite(v) for v in recent):
        return []
    best, best_index = coach.best_before
    now, gap_then = val[-1], best - train[best_index]
    if min(recent) <= best * (1 + OVERFIT_RISE) + 1e-3 or not max(train[-OVERFIT_EPOCHS:]) < 0.95 * train[best_index] \
            or not now - train[-1] > 2 * max(gap_then, 0.0) + 1e-3:
        return []
    return [Note("overfitting", epoch, "overfitting: the validation loss rises while the training loss falls; the "
                                       "network learns the training samples rather than the pattern",
                 f"validation loss {best:.3g} at epoch {best_index + 1}, now {now:.3g}; training loss now "
                 f"{train[-1]:.3g}; gap {now - train[-1]:.3g}",
                 "--l2 1e-3, --dropout 0.2, --early-stopping 5, more data or --augment, or a smaller network")]


def _lr_low(coach: Coach, run, epoch: int) -> list[Note]:
    train = run.history.get("train_loss", [])
    if len(train) <= WINDOW or not all(math.isfinite(v) for v in (train[0], train[-1 - WINDOW], train[-1])):
        return []
    then, now = train[-1 - WINDOW], train[-1]
    if then <= 0 or abs(then - now) / then >= FLAT or now < 0.9 * train[0]:
        return []
    lr = run.optimizer.param_groups[0]["lr"]
    return [Note("lr_low", epoch, "the loss is flat: the learning rate may be too low to get anywhere",
                 f"training loss {then:.4g} -> {now:.4g} over the last {WINDOW} epochs at learning rate {lr:.3g}",
                 f"a learning rate 10x higher (--lr {lr * 10:.3g}), or adam")]


def _lr_high(coach: Coach, run, epoch: int) -> list[Note]:
    recent = [v for v in run.history.get("train_loss", [])[-(WINDOW + 2):] if math.isfinite(v)]
    if len(recent) < WINDOW + 2:
        return []
    steps = [b - a for a, b in zip(recent, recent[1:])]
    turns = sum(1 for a, b in zip(steps, steps[1:]) if a * b < 0)
    size = sum(abs(s) for s in steps) / len(steps)
    mean, first = sum(recent) / len(recent), run.history["train_loss"][0]
    # A loss that has already come far down jitters by the batches' noise, which is no sign of a
    # rate too high; one stuck high that jumps is.
    if turns < 4 or size < 0.05 * mean or not mean > STUCK * first:
        return []
    lr = run.optimizer.param_groups[0]["lr"]
    return [Note("lr_high", epoch, "the loss jumps up and down: the learning rate may be too high, so steps "
                                   "overshoot the valley",
                 f"training loss changed direction {turns} times in the last {len(steps)} epochs, by "
                 f"{size:.3g} on average, at learning rate {lr:.3g}",
                 f"a learning rate 3-10x lower (--lr {lr / 5:.3g}), or a schedule (--schedule cosine)")]


CHECKS = ((("vanishing", "exploding"), _gradients), (("dead",), _dead), (("saturated",), _saturated),
          (("overfitting",), _overfitting), (("lr_low",), _lr_low), (("lr_high",), _lr_high))


def describe(notes: list[Note]) -> list[dict[str, Any]]:
    """The notes as plain dicts (for tables and JSON)."""
    return [asdict(note) for note in notes]
