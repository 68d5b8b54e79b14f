"""The range test's picture: loss against a log learning-rate axis, the suggestion marked with its
value or the refusal's reason written on it, every text readable."""
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.lines import Line2D

import nbdl
from nbdl.core.lr_find import judge, short
from nbdl.plots.lr_find import lr_find_figure, lr_find_png
from nbdl.plots.render import SMALLEST, shown_width, text_sizes

OUT = Path("/tmp/lrfind")
SETTINGS = {"start": 1e-6, "end": 1.0, "steps": 61}
LRS = np.geomspace(1e-6, 1.0, 61).tolist()


def _curve(noise: float = 0.0, seed: int = 0) -> list[float]:
    x = np.log10(LRS)
    clean = 0.3 + 0.6 / (1 + np.exp(4 * (x + 3))) + np.maximum(x + 2, 0) ** 2 * 2
    return (clean + noise * np.random.default_rng(seed).normal(size=len(x))).tolist()


def _save(result, name: str) -> bytes:
    """The picture as PNG, written to /tmp/lrfind to be looked at."""
    png = lr_find_png(result)
    OUT.mkdir(exist_ok=True)
    (OUT / name).write_bytes(png)
    return png


def _texts(figure) -> str:
    return " ".join(text for text, _ in text_sizes(figure))


def test_a_suggestion_is_marked_with_its_value():
    result = judge(LRS, _curve(0.01), 5, "reached the last rate, 1", "adam", SETTINGS)
    assert result.suggestion is not None
    figure = lr_find_figure(result)
    ax = figure.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    low, high = ax.get_xlim()
    assert low < LRS[0] < LRS[-1] < high < 1.5  # fitted to the rates tried
    assert all(size >= SMALLEST for _, size in text_sizes(figure))
    texts = _texts(figure)
    value = short(result.suggestion)
    for words in (f"suggested: --lr {value}", f"lr {value}", f"suggested {value}", "loss per batch", "smoothed",
                  f"lowest loss at {short(result.minimum)}", "learning rate (log scale)", "training loss"):
        assert words in texts, words
    vertical = [line for line in ax.get_lines() if list(line.get_xdata()) == [result.suggestion] * 2]
    assert len(vertical) == 1  # the line at the suggestion
    point = [line for line in ax.get_lines() if line.get_label() == f"suggested {value}"][0]
    expected = np.interp(math.log10(result.suggestion), np.log10(LRS), result.smoothed)
    assert point.get_ydata()[0] == pytest.approx(expected)  # on the smoothed curve
    png = _save(result, "suggested.png")
    assert shown_width(png) == 620


def test_a_refusal_writes_its_reason_and_marks_nothing():
    result = judge(LRS, [1.0] * 61, 5, "reached the last rate, 1", "sgd", SETTINGS)
    assert result.suggestion is None
    figure = lr_find_figure(result)
    texts = _texts(figure)
    assert "no suggestion" in texts and "No suggestion: the loss never fell meaningfully" in texts
    assert " ".join(texts.split()).count("try a wider range or another network") == 1  # wrapped, all of it
    assert all(size >= SMALLEST for _, size in text_sizes(figure))
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert not any(label.startswith(("suggested", "lowest")) for label in labels)
    _save(result, "refused.png")


def test_a_loss_that_spans_orders_of_magnitude_gets_a_log_axis_and_nan_a_cross():
    losses = (1e6 * np.exp(-np.arange(30) / 2.0) + 1.0).tolist() + [math.nan]
    result = judge(LRS[:31], losses, 3, "the loss became nan at rate 3e-3", "sgd", SETTINGS)
    figure = lr_find_figure(result)
    ax = figure.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlim()[1] < 0.01  # the test stopped early: the axis ends where it did
    cross = [line for line in ax.get_lines() if line.get_label() == "loss nan"]
    assert len(cross) == 1 and cross[0].get_xdata()[0] == LRS[30]
    _save(result, "log_axis.png")


def test_a_real_run_draws():
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 16 relu\ndense 2 softmax", data="moons", optimizer="sgd"))
    result = run.lr_find()
    figure = lr_find_figure(result)
    assert len([a for a in figure.axes[0].get_lines() if isinstance(a, Line2D)]) >= 2
    assert all(size >= SMALLEST for _, size in text_sizes(figure))
    _save(result, "moons_sgd.png")


def test_anything_else_is_refused():
    with pytest.raises(nbdl.NbdlError, match="lr_find_figure takes the result of run.lr_find\\(\\), got dict"):
        lr_find_figure({"lrs": [1]})
