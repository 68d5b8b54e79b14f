"""Several runs on one picture: the same figure of each, epoch by epoch (optimizers, regularizers,
transfer learning against training from scratch)."""
from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..core.errors import NbdlError

from .render import TEXT, class_color, new_figure, plain, readable

LABELS = {"train_loss": "training loss", "val_loss": "validation loss", "train_acc": "training accuracy",
          "val_acc": "validation accuracy", "val_mae": "validation mean abs. error"}


def compare_figure(runs: dict[str, Any], metrics: tuple[str, ...] = ("val_loss", "val_acc")) -> Figure:
    """One panel per figure in ``metrics``, one curve per run, in the order given."""
    if not isinstance(runs, dict) or not runs or not all(hasattr(r, "history") for r in runs.values()):
        raise NbdlError("compare_figure takes a dict of runs by name, for example {'adam': run1, 'sgd': run2}")
    if metrics is None:
        metrics = ("val_loss", "val_acc")
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not all(isinstance(m, str) for m in metrics):
        raise NbdlError(f"metrics are names of figures such as 'val_loss', got {metrics!r:.60}")
    metrics = tuple(m for m in metrics if any(m in run.history for run in runs.values()))
    if not metrics:
        logged = sorted({k for run in runs.values() for k in run.history if k != "epoch"})
        raise NbdlError(f"none of the runs has logged these figures; they log: {', '.join(logged) or 'nothing yet'}")
    figure, _ = new_figure(4.4 * len(metrics) + 0.4, 3.6, layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        for i, (name, run) in enumerate(runs.items()):
            values = run.history.get(metric, [])
            ax.plot(range(1, len(values) + 1), values, color=class_color(i), label=plain(name))
        ax.set_title(LABELS.get(metric, metric), loc="left")
        ax.set(xlabel="epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        readable(ax)
    # One legend for all panels (a run has one colour), above them: it covers no curve.
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside upper center", ncol=min(len(runs), 4), frameon=False, fontsize=TEXT,
                  handlelength=1.4, columnspacing=1.2)
    return figure
