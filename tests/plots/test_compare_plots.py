"""The comparison picture: one colour per run (training solid, validation dashed), x by epoch,
step, samples or seconds, a cross where a run diverged, readable at the size shown, live within
a budget, and the x-axis switch."""
import io
import pathlib
import warnings

import numpy as np
import pytest
from matplotlib.colors import to_hex
from PIL import Image

from nbdl.core.compare import compare
from nbdl.core.many import grid
from nbdl.plots.compare import ComparisonFigure, LiveComparison, comparison_figure, compare_figure, run_colors
from nbdl.plots.render import SMALLEST, figure_png, shown_width, text_sizes

OUT = pathlib.Path("/tmp/compare")
BASE = {"network": "input 2\ndense 16 relu\ndense 2 softmax", "data": "moons", "epochs": 8, "seed": 0}


@pytest.fixture(scope="module")
def runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the huge learning rate diverges on purpose
        return compare(BASE, {"gd": {"optimizer": "gd"}, "sgd": {"optimizer": "sgd", "lr": 0.1},
                              "sgd, lr=50": {"optimizer": "sgd", "lr": 50.0}})


def _save(figure, name):
    OUT.mkdir(exist_ok=True)
    png = figure_png(figure)
    (OUT / f"{name}.png").write_bytes(png)
    return png


def _lines(ax, color):
    return [line for line in ax.get_lines() if to_hex(line.get_color()) == color and line.get_marker() != "x"]


def test_each_run_has_one_colour_training_solid_validation_dashed(runs):
    figure = comparison_figure(runs)
    loss, metric = figure.axes
    colors = run_colors(len(runs))
    assert len(set(colors)) == len(runs)
    for (name, run), color in zip(runs.items(), colors):
        for ax, (solid, dashed) in ((loss, ("train_loss", "val_loss")), (metric, ("train_acc", "val_acc"))):
            styles = {line.get_linestyle(): list(line.get_ydata()) for line in _lines(ax, color)}
            assert set(styles) == {"-", "--"}, name
            for style, key in (("-", solid), ("--", dashed)):  # a value that is not finite is a gap
                want = np.asarray(run.history[key])
                assert np.allclose(styles[style], np.where(np.isfinite(want), want, np.nan), equal_nan=True)
    assert loss.get_title(loc="left").startswith("loss") and metric.get_title(loc="left") == "accuracy"


@pytest.mark.parametrize("x", ["epoch", "step", "samples", "time"])
def test_x_by_epoch_step_samples_or_seconds(runs, x):
    figure = comparison_figure(runs, x)
    _save(figure, f"x-{x}")
    gd, sgd = runs["gd"], runs["sgd"]
    epochs = np.arange(1, 9)
    expected = {"epoch": (epochs, epochs), "step": (epochs * 1, epochs * len(sgd.batches)),
                "samples": (epochs * 240, epochs * 240),
                "time": (np.cumsum(gd.history["time"]), np.cumsum(sgd.history["time"]))}[x]
    for run, want, color in zip((gd, sgd), expected, run_colors(3)):
        for line in _lines(figure.axes[0], color):
            assert np.allclose(line.get_xdata(), want)
    assert len(sgd.batches) == 8  # 240 training samples in batches of 32: 8 steps an epoch against gd's 1
    assert figure.axes[1].get_xlabel() == {"epoch": "epoch", "step": "optimizer steps", "samples": "samples seen",
                                           "time": "seconds of training"}[x]


def test_a_cross_where_a_run_diverged_and_a_log_scale_for_the_loss(runs):
    figure = comparison_figure(runs)
    loss, metric = figure.axes
    wild = runs["sgd, lr=50"]
    assert wild.status == "diverged" and wild.epoch >= 1
    color = run_colors(3)[2]
    for ax, key in ((loss, "train_loss"), (metric, "val_acc")):
        crosses = [line for line in ax.get_lines() if line.get_marker() == "x" and len(line.get_xdata())]
        assert len(crosses) == 1 and to_hex(crosses[0].get_color()) == color
        assert list(crosses[0].get_xdata()) == [wild.epoch]
        assert crosses[0].get_ydata()[0] == wild.history[key][-1]
    assert loss.get_yscale() == "log" and "log scale" in loss.get_title(loc="left")
    calm = comparison_figure({k: runs[k] for k in ("gd", "sgd")})
    assert calm.axes[0].get_yscale() == "linear" and calm.axes[0].get_ylim()[0] == 0
    assert not [line for line in calm.axes[0].get_lines() if line.get_marker() == "x" and len(line.get_xdata())]


def _hides_nothing(figure):
    renderer = figure.canvas.get_renderer()
    for legend in figure.legends:
        box = legend.get_window_extent(renderer)
        for ax in figure.axes:
            assert not box.overlaps(ax.get_window_extent(renderer))
            assert not box.overlaps(ax.title.get_window_extent(renderer))
            assert not box.overlaps(ax._left_title.get_window_extent(renderer))


def test_the_picture_reads_at_the_size_shown(runs):
    many = compare({**BASE, "epochs": 2}, grid(optimizer=["gd", "sgd", "momentum", "adam", "adagrad", "rmsprop"],
                                              lr=[0.01, 0.1]))
    for name, figure in (("three", comparison_figure(runs, "step")), ("grid", comparison_figure(many, "step"))):
        png = _save(figure, f"readable-{name}")
        width = round(figure.get_figwidth() * 72)
        assert shown_width(png) == width and Image.open(io.BytesIO(png)).size[0] == 2 * width  # drawn at 2x
        assert 500 <= width <= 900, width  # fits a notebook's column
        assert min(size for _, size in text_sizes(figure)) >= SMALLEST
        drawn = {text for text, _ in text_sizes(figure)}
        assert set(figure.legends[0].get_texts()[i].get_text() for i in range(len(figure.legends[0].get_texts()))) \
            <= drawn  # every legend entry is drawn, at a readable size
        _hides_nothing(figure)
    for x in ("time", "samples"):  # long tick labels stand apart
        figure = comparison_figure(runs, x)
        renderer = figure.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in figure.axes[1].get_xticklabels() if t.get_text()]
        assert len(boxes) >= 3 and all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:])), x
    colors = run_colors(12)
    assert len(set(colors)) == 12 and len(set(run_colors(30))) == 30


def test_live_picture_keeps_a_drawing_budget_and_ends_sharp():
    frames = []
    names = list(grid(optimizer=["sgd", "adam"]))
    live = LiveComparison(names, frames.append, x="step", budget=0.05, min_interval=60)
    found = compare({**BASE, "epochs": 4}, grid(optimizer=["sgd", "adam"]), on_epoch=live.on_epoch)
    assert live.renders == 1 and len(frames) == 1  # the first epoch's picture, then nothing for a minute
    live.finish(found)
    assert len(frames) == 2 and live.error is None
    last = Image.open(io.BytesIO(frames[-1]))
    assert last.size[0] == 2 * shown_width(frames[-1])  # the frame that stays is sharp
    assert Image.open(io.BytesIO(frames[0])).size[0] == shown_width(frames[0])  # live frames at 1x: cheap
    lines = live.picture.loss_axes.get_lines()
    assert max(len(line.get_xdata()) for line in lines) == 4
    eager = LiveComparison(names, frames.append, budget=1e9, min_interval=0)
    compare({**BASE, "epochs": 3}, grid(optimizer=["sgd", "adam"]), on_epoch=eager.on_epoch)
    assert eager.renders == 6  # no wait: a picture at every epoch of every run


def test_compare_figure_keeps_its_panels_and_takes_an_x_axis(runs):
    figure = compare_figure({"gd": runs["gd"], "sgd": runs["sgd"]}, x="step")
    lines = figure.axes[1].get_lines()
    assert [line.get_label() for line in lines] == ["gd", "sgd"]
    assert list(lines[1].get_ydata()) == runs["sgd"].history["val_acc"]
    assert list(lines[1].get_xdata()) == [8.0 * e for e in range(1, 9)] and figure.axes[1].get_xlabel() == "optimizer steps"


def test_the_switch_redraws_the_picture(runs):
    from nbdl.widgets.compare import ComparisonPanel

    panel = ComparisonPanel(runs)
    first = panel.png
    assert panel.image.value == first and panel.switch.value == "epoch"
    assert [value for _, value in panel.switch.options] == ["epoch", "step", "samples", "time"]
    panel.switch.value = "samples"
    assert panel.png != first and panel.picture.metric_axes.get_xlabel() == "samples seen"
    assert panel.image.value == panel.png and panel.image.width == str(shown_width(panel.png))
    panel.close()


def test_many_runs_get_a_key_in_two_columns_and_long_names_lose_their_middle():
    names = [f"seed={s}, lr={lr}" for s in range(8) for lr in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3)]
    for count in (64, 500):
        picture = ComparisonFigure(names if count == 64 else [f"run {i}" for i in range(count)])
        legend = picture.legend
        texts = [t.get_text() for t in legend.get_texts()]
        assert legend._ncols == 2 and len(texts) <= 2 * 20  # two columns of the picture's height at most
        assert texts[0] == picture.names[0] and picture.names[-1] in texts
        assert f"({count} runs: each is in the table)" in texts
        assert 500 <= picture.figure.get_figwidth() * 72 <= 900
    long = ComparisonFigure(["x" * 100 + " lr=0.1", "lr=0.01"])
    first = long.legend.get_texts()[0].get_text()
    assert len(first) == 48 and first.startswith("xxx") and first.endswith(" lr=0.1") and "…" in first
    OUT.mkdir(exist_ok=True)
    (OUT / "legend-64.png").write_bytes(figure_png(ComparisonFigure(names).figure))
