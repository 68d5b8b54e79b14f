"""A run trained in a thread of its own, so the panel's buttons act within one batch.

The thread only assigns widget values (through the callbacks it is given), which reach the
browser whether the kernel is idle or busy; what went wrong is kept, not raised into whatever
cell runs next."""
from __future__ import annotations

import threading
import warnings
from typing import Any, Callable

from ..core import Run


class Worker:
    """Fits ``run`` in a daemon thread; ``on_end()`` is called in that thread when the fit returns."""

    def __init__(self, on_end: Callable[[], None]):
        self.on_end = on_end
        self.run: Run | None = None
        self.error: BaseException | None = None
        self.fitting = False  # from launch until the fit returns
        self.thread: threading.Thread | None = None

    def launch(self, run: Run, epochs: int, callbacks: list[Any]) -> None:
        self.run, self.error, self.fitting = run, None, True
        self.thread = threading.Thread(target=self._train, args=(epochs, callbacks), name="nbdl-dashboard",
                                       daemon=True)
        self.thread.start()

    def _train(self, epochs: int, callbacks: list[Any]) -> None:
        import torch

        torch.set_num_threads(1)  # a second torch thread pool in a worker thread runs several times slower
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the panel says how the fit ended
                self.run.fit(epochs, callbacks=callbacks)
        except BaseException as error:  # shown in the panel, kept for scripts
            self.error = error
        finally:
            self.fitting = False
            self.on_end()

    def stop(self) -> None:
        if self.fitting:
            self.run.stop()
            self.thread.join(timeout=30)

    def wait(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
