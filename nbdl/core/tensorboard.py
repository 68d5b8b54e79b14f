"""A callback that writes a run to TensorBoard: every figure of each epoch's logs as a scalar, the
network and the config as text, and the weights as histograms every N epochs.

``tensorboard`` is optional (``pip install 'nbdl[tensorboard]'``) and imported when a fit starts.
A folder that cannot be written refuses the fit before its first step (one line saying why), so a
run never trains for an hour and then finds its logs missing."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from .callbacks import SAVING, Callback
from .errors import NbdlError

INSTALL = "pip install 'nbdl[tensorboard]'"


def summary_writer() -> Any:
    """torch's ``SummaryWriter`` class, or an NbdlError naming the extra to install."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise NbdlError(f"writing to TensorBoard needs the tensorboard package: {INSTALL}") from None
    return SummaryWriter


def unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot hold TensorBoard's files (made if missing, checked with a test file), or None."""
    if folder.exists() and not folder.is_dir():
        return "it is a file, not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


class TensorBoard(Callback):
    """``TensorBoard("runs/moons")``: each epoch's logs as scalars (the tag is the figure's name,
    the step the epoch), the network's text form and the config as text when a fit starts, and with
    ``histograms_every=N`` the weights as histograms every N epochs. View with
    ``tensorboard --logdir runs``."""

    order = SAVING  # after every callback that adds figures (scoring, instruments, coach, the user's)
    adds_figures = False

    def __init__(self, logdir: str | os.PathLike, histograms_every: int = 0):
        if not isinstance(logdir, (str, os.PathLike)) or isinstance(logdir, bytes) or not os.fspath(logdir).strip():
            raise NbdlError(f"the TensorBoard folder must be text or a pathlib.Path naming a folder, got {logdir!r:.80}")
        if not isinstance(histograms_every, int) or isinstance(histograms_every, bool) or histograms_every < 0:
            raise NbdlError(f"histograms_every must be a whole number of epochs >= 0 (0: none), got {histograms_every!r}")
        self.logdir, self.histograms_every = Path(logdir), histograms_every
        self.writer: Any = None

    def on_fit_start(self, run):
        SummaryWriter = summary_writer()
        problem = unwritable(self.logdir)
        if problem:
            raise NbdlError(f"cannot write TensorBoard logs to {str(self.logdir)!r}: {problem}; give tensorboard a "
                            "folder you can write to")
        self.writer = SummaryWriter(log_dir=str(self.logdir), flush_secs=5)
        self.writer.add_text("network", _code(network_text(run.model)), run.epoch)
        self.writer.add_text("config", _code(json.dumps(run.config.to_dict(), indent=2, default=str)), run.epoch)

    def on_epoch_end(self, run, logs):
        if self.writer is None:
            return
        epoch = int(logs["epoch"])
        for name, value in logs.items():
            if name != "epoch" and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(name, value, epoch)
        if self.histograms_every and epoch % self.histograms_every == 0:
            for name, parameter in run.model.named_parameters():
                values = parameter.detach().float().cpu()
                if values.numel() and math.isfinite(values.sum().item()):
                    self.writer.add_histogram(f"weights/{name}", values, epoch)

    def on_fit_end(self, run):
        if self.writer is not None:
            self.writer.close()  # flushes; the next fit opens a new event file in the same folder
            self.writer = None


def network_text(model: Any) -> str:
    """An nbdl network's text form, or the module's own printout."""
    spec = getattr(model, "spec", None)
    return spec.to_text() if spec is not None and hasattr(spec, "to_text") else repr(model)


def _code(text: str) -> str:
    """``text`` as a Markdown code block (TensorBoard renders text summaries as Markdown)."""
    return "\n".join("    " + line for line in text.splitlines())
