"""Long runs: memory stays flat over 100,000 steps with live plots on; long curves are thinned."""
import gc

import psutil
import pytest

import nbdl
from nbdl.html import Progress
from nbdl.plots import LivePlot
from nbdl.plots.training import MAX_POINTS, TrainingFigure


class Memory(nbdl.Callback):
    """The process's resident memory at chosen steps."""

    def __init__(self, at):
        self.at, self.rss = set(at), {}

    def on_batch_end(self, run, logs):
        if logs["step"] in self.at:
            gc.collect()
            self.rss[logs["step"]] = psutil.Process().memory_info().rss


@pytest.mark.slow
def test_memory_stays_flat_over_100000_steps_with_live_plots():
    memory = Memory(at=(20_000, 100_000))
    frames = []
    # A generous budget: the picture redraws often whatever this machine's speed (the default 5%
    # gave 26 frames here and 4 on a busier CI machine), which is what the memory check needs.
    live = LivePlot(lambda png: frames.append(len(png)), budget=0.5, min_interval=0.2)
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 8 relu\ndense 2 softmax", data="moons",
                               data_options={"n": 100}, batch_size=4, epochs=10_000, seed=0))
    steps_per_epoch = -(-run.split_sizes["train"] // 4)
    run.fit(-(-100_000 // steps_per_epoch), callbacks=[memory, live, Progress(lambda html: None)])
    assert run.global_step >= 100_000 and live.renders > 10
    growth = memory.rss[100_000] - memory.rss[20_000]
    # 80,000 steps add ~5,300 epochs of history (8 floats each, ~2 MB with list overhead).
    assert growth < 20 * 2**20, f"resident memory grew by {growth / 2**20:.1f} MiB over 80,000 steps"
    assert len(live.figure.lines["train_loss"].get_xdata()) <= MAX_POINTS + 1


def test_long_curves_are_thinned_but_end_at_the_last_epoch():
    figure = TrainingFigure(classification=True)
    history = {"train_loss": [1.0 / (i + 1) for i in range(25_001)], "val_loss": [0.5] * 25_001}
    figure.update(history, epochs=25_001)
    x, y = figure.lines["train_loss"].get_data()
    assert len(x) <= MAX_POINTS + 1 and x[0] == 1 and x[-1] == 25_001 and y[-1] == history["train_loss"][-1]
