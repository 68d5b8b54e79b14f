"""Pause, resume, single-step and stop, requested from any thread and obeyed between batches."""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Iterator


class Control:
    """Flags the training loop checks before every batch (``wait_for_batch``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._go = threading.Event()
        self._go.set()
        self._stop = False
        self.reason: str | None = None
        self._steps_left: int | None = None  # while stepping: batches still allowed before pausing
        self._plain = True  # nothing asked for: the loop goes on without touching a lock
        self.in_step = False           # set by the loop while an optimizer step is half done
        self.interrupt_pending = False  # a hard interrupt that arrived during a step
        # Called (in the training thread) each time the loop stops between two batches to wait:
        # a panel shows the exact step it paused at.
        self.on_hold: list[Callable[[], None]] = []
        self.waiting = False  # the loop is blocked between two batches (paused, or a step done)

    @property
    def paused(self) -> bool:
        """Paused, or stepping: running a few batches and then pausing again."""
        return not self._go.is_set() or self._steps_left is not None

    @property
    def stepping(self) -> bool:
        """Running a few more batches before pausing again."""
        return self._steps_left is not None

    @property
    def stop_requested(self) -> bool:
        return self._stop

    def pause(self) -> None:
        with self._lock:
            self._steps_left = None
            self._go.clear()
            self._plain = False

    def resume(self) -> None:
        with self._lock:
            self._steps_left = None
            self._go.set()
            self._plain = not self._stop

    def step(self, batches: int = 1) -> None:
        """Run ``batches`` more batches, then pause; steps asked for before they ran add up."""
        with self._lock:
            self._steps_left = (self._steps_left or 0) + batches
            self._go.set()
            self._plain = False

    def stop(self, reason: str = "stopped on request") -> None:
        with self._lock:
            self._stop, self.reason = True, reason
            self._go.set()
            self._plain = False

    def reset(self) -> None:
        """A new fit starts: clear a stop request and a pause left from before, keeping steps asked
        for (``step()`` before a fit runs that many batches, then pauses)."""
        with self._lock:
            self._stop, self.reason = False, None
            self._go.set()
            self._plain = self._steps_left is None

    def wait_for_batch(self) -> bool:
        """Block while paused; True when the next batch may run, False when a stop was requested."""
        if self._plain:
            return True
        if not self._go.is_set():
            self.waiting = True
            for listener in self.on_hold:
                listener()
        self._go.wait()
        self.waiting = False
        with self._lock:
            if self._stop:
                return False
            if self._steps_left is not None:
                self._steps_left -= 1
                if self._steps_left <= 0:
                    self._steps_left = None
                    self._go.clear()
                    self._plain = False
            return True


@contextlib.contextmanager
def stop_on_interrupt(control: Control) -> Iterator[None]:
    """Turn the first Ctrl-C (a kernel interrupt) into a stop request, so the loop ends between
    batches with consistent weights; a second Ctrl-C interrupts at once. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if not control.stop_requested:
            control.stop("interrupted")
        elif control.in_step:
            control.interrupt_pending = True
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
