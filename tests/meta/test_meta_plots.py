"""The meta-learning pictures: the loss of several runs on one axis, the paper's figure for sinusoids
(one panel per run, the adapted line closer to the true curve than the unadapted one, in the drawn
data), the episode figure for digits, and the live view within its budget."""
import io
import os
import time

import numpy as np
import pytest
from PIL import Image

from nbdl.core.meta import meta
from nbdl.plots.meta import AdaptationFigure, EpisodeFigure, LossFigure, MetaView, adaptation_figure, \
    adaptation_png, meta_png
from nbdl.plots.render import text_sizes

SINE = "input 1\ndense 40 relu\ndense 40 relu\ndense 1"
DIGITS = "input 64\ndense 64 relu\ndense 5"
PICTURES = os.environ.get("NBDL_PICTURES", "/tmp/meta-pics")


@pytest.fixture(scope="module")
def sine_runs():
    common = dict(tasks="sinusoid", shots=10, inner_steps=1, inner_lr=0.01, iterations=400, every=50, seed=0)
    return [meta(SINE, method="maml", **common), meta(SINE, method="pretrain", **common)]


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _save(name, png):
    os.makedirs(PICTURES, exist_ok=True)
    with open(os.path.join(PICTURES, name), "wb") as f:
        f.write(png)


def test_loss_figure_draws_every_run_and_goes_log_when_the_loss_spans_decades(sine_runs):
    figure = LossFigure()
    figure.update(sine_runs)
    assert len(figure.lines) == 2
    for line, run in zip(figure.lines, sine_runs):
        assert list(line.get_xdata()) == run.history["iteration"] and list(line.get_ydata()) == run.history["loss"]
    assert [t.get_text() for t in figure.ax.get_legend().get_texts()] == [
        "MAML: query loss after the inner steps", "pretrained: loss of one network on all tasks"]
    losses = [v for run in sine_runs for v in run.history["loss"]]
    assert figure.ax.get_yscale() == ("log" if max(losses) > 20 * min(losses) else "linear")
    low, high = figure.ax.get_ylim()
    assert low <= min(losses) and high >= max(losses)
    assert min(size for _, size in text_sizes(figure.figure)) >= 12


def test_the_papers_figure_has_a_panel_per_run_and_adapting_brings_the_line_to_the_curve(sine_runs):
    task = sine_runs[0].new_task(seed=5)
    figure = adaptation_figure(sine_runs, task)
    assert isinstance(figure, AdaptationFigure) and len(figure.axes) == 2
    assert [ax.get_title().split(":")[0] for ax in figure.axes] == ["MAML", "pretrained"]
    true = np.asarray(task.curve(figure.data["x"])).reshape(-1)
    for index, lines in enumerate(figure.lines):
        assert set(lines) == {0, 1, 10}
        drawn = {k: np.mean((line.get_ydata() - true) ** 2) for k, line in lines.items()}
        assert drawn[10] < drawn[0]  # ten steps on the shots bring the drawn line toward the true curve
        assert figure.mse(index, 10) < figure.mse(index, 0)
        assert f"10 steps {figure.mse(index, 10):.2f}" in figure.axes[index].get_title()
    assert figure.mse(0, 1) < figure.mse(1, 1)  # the paper's point: MAML after one step beats the baseline
    shots = figure.axes[0].collections[0].get_offsets()
    assert np.allclose(shots[:, 0], task.x_support.numpy().reshape(-1))
    legend = [t.get_text() for t in figure.figure.legends[0].get_texts()]
    assert legend == ["true curve", "before", "after 1 step", "after 10 steps", "10 shots"]
    assert min(size for _, size in text_sizes(figure.figure)) >= 12
    png = adaptation_png(sine_runs, task)
    _save("sinusoid.png", png)
    pixels = _pixels(png)
    assert pixels.shape[1] > 1.6 * pixels.shape[0]  # two panels side by side
    one = _pixels(adaptation_png(sine_runs[:1], task))
    assert one.shape[1] < 0.7 * pixels.shape[1]  # one run: one panel


def test_meta_png_shows_the_loss_above_the_adaptation(sine_runs):
    png = meta_png(sine_runs[0])
    _save("meta_png.png", png)
    pixels = _pixels(png)
    assert pixels.shape[0] > pixels.shape[1] * 0.7 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_digits_shows_the_support_images_and_accuracy_bars():
    common = dict(tasks="digits", ways=5, shots=5, iterations=30, every=10, seed=0)
    runs = [meta(DIGITS, method="maml", inner_lr=0.1, **common), meta(DIGITS, method="pretrain", **common)]
    task = runs[0].new_task(seed=1)
    figure = adaptation_figure(runs, task)
    assert isinstance(figure, EpisodeFigure)
    tile = figure.figure.axes[0].images[0].get_array()
    assert tile.shape == (5 * 9 - 1, 5 * 9 - 1)  # 5 classes x 5 shots of 8x8 images, 1-pixel gaps
    first = task.x_support.numpy()[task.y_support.numpy() == 0][0]
    family = runs[0].family  # drawn as the pixels were (0..16), not standardised
    assert np.allclose(tile[:8, :8], (first * family.deviation + family.mean).reshape(8, 8), atol=1e-4)
    assert [t.get_text() for t in figure.figure.axes[0].get_yticklabels()] == list(task.classes)
    bars = figure.figure.axes[1].patches
    groups = len(runs) + (figure.scratch is not None)
    assert len(bars) == 3 * groups
    assert np.isclose(bars[0].get_height(), figure.accuracy[0][0])
    assert all(0 <= acc[k] <= 1 for acc in figure.accuracy for k in (0, 1, 10))
    assert min(size for _, size in text_sizes(figure.figure)) >= 12
    png = adaptation_png(runs, task)
    _save("digits.png", png)
    assert _pixels(png).shape[1] > 600


def test_the_live_view_draws_all_runs_within_its_budget():
    frames = []
    view = MetaView(frames.append, budget=0.2, min_interval=0.0)
    started = time.monotonic()
    common = dict(iterations=300, every=10, seed=0, callbacks=[view])
    first = meta(SINE, method="maml", **common)
    second = meta(SINE, method="pretrain", **common)
    elapsed = time.monotonic() - started
    assert view.error is None and view.renders >= 3 and frames[-1].startswith(b"\x89PNG")
    assert view.runs == [first, second] and len(view.figure.lines) == 2
    assert view.seconds < 0.2 * elapsed + 2 * view.seconds / view.renders + 0.5  # ~budget, one draw's slack
    _save("live.png", frames[-1])

    def broken(png):
        raise RuntimeError("no place to show it")
    failing = MetaView(broken)
    run = meta(SINE, iterations=20, every=10, callbacks=[failing])
    assert run.status == "finished" and isinstance(failing.error, RuntimeError)


def test_the_finished_pictures_fit_jupyterlab_beside_its_file_browser(sine_runs):
    # JupyterLab 1000 px wide with its file browser open shows an output 568 px wide: a wider picture is
    # shrunk with its text (the pictures were 677 and 749 px wide, their 13 px text ~10 px there)
    from nbdl.plots.render import shown_width

    digits = meta("input 64\ndense 16 relu\ndense 5", tasks="digits", shots=2, queries=2, iterations=3,
                  meta_batch=2, every=1)
    for png in (meta_png(sine_runs), meta_png(digits)):
        assert shown_width(png) <= 620
