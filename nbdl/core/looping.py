"""What the runs that are not a supervised ``Run`` share (a GAN, an agent, a meta-learner): their
settings checked from one declaration, and one training loop with the supervised run's controls.

``Looping.loop(count, step, callbacks)`` calls ``step(listeners)`` up to ``count`` times. Around it:
the callbacks' ``on_fit_start`` and ``on_fit_end``; ``stop()``, ``pause()`` and ``resume()`` from
any thread, obeyed between two steps (``self.control``, as a supervised run's); the first Ctrl-C
stops between two steps, a second at once; one torch thread (these networks are small: one thread
is quicker than two, see ``building``); the fit's wall time added to ``seconds``. The status ends
"finished", "stopped", "interrupted" or "failed" (an error, raised again), and ``stop_reason`` says why it ended early."""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Iterable, Mapping

import torch

from .callbacks import as_callbacks
from .control import Control, stop_on_interrupt
from .errors import NbdlError, raise_all, spell
from .options import Option


def checked(config: Any, settings: Iterable[Option], what: str) -> dict[str, Any]:
    """Every setting of ``config`` checked by its declaration; every problem in one error."""
    values, problems = {}, []
    for opt in settings:
        try:
            values[opt.name] = opt.check(getattr(config, opt.name), subject=spell(opt.name))
        except NbdlError as error:
            problems.append(str(error))
    raise_all(problems, what)
    return values


def filled(values: dict[str, Any], *defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the settings left at None taken from the first of ``defaults`` that has them
    (a loss's, a method's, a task family's own defaults)."""
    for source in defaults:
        for name, default in source.items():
            if values.get(name) is None:
                values[name] = default
    return values


def refuse_unknown(function: str, given: Mapping[str, Any], settings: Iterable[Option]) -> None:
    """An error naming the keywords ``function`` does not take, and the settings it does."""
    names = {o.name for o in settings}
    unknown = sorted(set(given) - names)
    if unknown:
        raise NbdlError(f"{function} takes no {', '.join(unknown)}; its settings: {', '.join(sorted(names))}")


class Looping:
    """The controls and the loop of a run that trains in steps of its own (see the module)."""

    FINISHED: tuple[str, ...] = ()  # stop reasons that count as finishing (an agent that solved its task)

    def __init__(self) -> None:
        self.control = Control()
        self.status, self.stop_reason = "new", None
        self.seconds = 0.0

    def stop(self, reason: str = "stopped on request") -> None:
        """Stop after the current step (from any thread)."""
        self.control.stop(reason)

    def pause(self) -> None:
        """Hold the loop between two steps until ``resume()`` (from any thread)."""
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def diverged(self, value: float, what: str, fix: str) -> bool:
        """Stop (status "stopped", the reason saying so) when ``value`` is NaN or infinite: training
        on from there changes nothing but the weights into NaN."""
        if math.isfinite(value):
            return False
        self.control.stop(f"diverged: {what} became {value:g}; {fix}")
        return True

    def elapsed(self) -> float:
        """The run's training seconds, this fit's so far included."""
        return self._before + time.perf_counter() - self._started

    def loop(self, count: int, step: Callable[[list], bool | None], callbacks: Any = None,
             own: Iterable[Any] = (), end: Callable[[list], None] | None = None) -> None:
        """Call ``step(listeners)`` ``count`` times, or until it returns False or a stop; ``own``
        callbacks join the user's; ``end(listeners)`` runs after the last step, before
        ``on_fit_end`` (to log what a partial row holds)."""
        listeners = sorted([*as_callbacks(callbacks), *own], key=lambda c: c.order)
        self.control.reset()
        self.status, self.stop_reason = "training", None
        for c in listeners:
            c.on_fit_start(self)
        self._started, self._before = time.perf_counter(), self.seconds
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with stop_on_interrupt(self.control), torch.enable_grad():
                for _ in range(count):
                    if not self.control.wait_for_batch() or step(listeners) is False:
                        break
            reason = self.control.reason
            self.status = "interrupted" if reason == "interrupted" else \
                "finished" if reason is None or reason in self.FINISHED else "stopped"
            if reason is not None and reason not in self.FINISHED:
                self.stop_reason = self.stop_reason or ("interrupted (Ctrl-C)" if reason == "interrupted" else reason)
        except KeyboardInterrupt:
            self.status, self.stop_reason = "interrupted", "interrupted (Ctrl-C)"
        except Exception as error:  # not left "training": a save would take the model for the last weights
            self.status, self.stop_reason = "failed", f"failed: {error}"
            raise
        finally:
            torch.set_num_threads(threads)
            if end is not None:
                end(listeners)
            self.seconds = self.elapsed()
            for c in listeners:
                c.on_fit_end(self)
