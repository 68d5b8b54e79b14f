"""The search picture: best score so far and score against each setting (log axis for a log range,
the choices as positions), readable text, and the live redraw's time budget."""
import pathlib

import pytest

pytest.importorskip("optuna")

from nbdl.core.config import Config  # noqa: E402
from nbdl.core.search import search  # noqa: E402
from nbdl.plots.render import SMALLEST, figure_png, shown_width  # noqa: E402
from nbdl.plots.search import LiveSearch, search_figure  # noqa: E402

OUT = pathlib.Path("/tmp/search")


@pytest.fixture(scope="module")
def result():
    config = Config(network="input 2\ndense 8 relu\ndense 2 softmax", data="moons", data_options={"n": 200}, epochs=4)
    return search(config, {"lr": (1e-3, 1e-1, "log"), "batch_size": [16, 32], "l2": (0, 1e-2)}, trials=8,
                  method="random")


def test_one_panel_for_progress_and_one_per_setting(result):
    figure = search_figure(result)
    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in axes] == ["best val_loss so far", "lr", "batch_size", "l2"]
    progress, lr, batch, l2 = axes
    assert lr.get_xscale() == "log" and l2.get_xscale() == "linear"
    assert [t.get_text() for t in batch.get_xticklabels()] == ["16", "32"]
    step = progress.lines[0]  # the best-so-far line never goes up and ends at the best value
    ys = list(step.get_ydata())
    assert all(b <= a for a, b in zip(ys, ys[1:])) and ys[-1] == pytest.approx(result.best_value)
    sizes = [t.get_fontsize() for ax in axes for t in [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.xaxis.label]]
    assert min(sizes) >= SMALLEST
    OUT.mkdir(exist_ok=True)
    png = figure_png(figure)
    (OUT / "random-search.png").write_bytes(png)
    assert 700 <= shown_width(png) <= 1200


def test_the_live_picture_keeps_to_its_budget(result):
    shown = []
    live = LiveSearch(shown.append, budget=0.1, min_interval=0.5)
    for _ in range(5):
        live.update(result)
    assert len(shown) == 1 and live.error is None  # the rest came too soon
    live.update(result, final=True)
    assert len(shown) == 2 and shown[-1].startswith(b"\x89PNG")


def test_a_search_with_nothing_finished_still_draws(result):
    empty = type("Result", (), {"rows": [], "space": result.space, "metric": "val_loss", "direction": "minimize",
                                "best": None})()
    assert figure_png(search_figure(empty)).startswith(b"\x89PNG")


def test_every_mark_lies_whole_inside_its_panel(result):
    # The best trial's star is the lowest point: with matplotlib's 5 % margin it sat on the bottom spine.
    scores = [0.3092, 0.3246, 0.3599, 0.3249, 0.3046, 0.7166, 0.2756, 0.2685]
    rows = [{"number": i, "score": s, "complete": i != 5, "state": "pruned" if i == 5 else "finished",
             "lr": 10 ** (-2.9 + 0.2 * i), "batch_size": (16, 32)[i % 2], "l2": 0.001 * i} for i, s in enumerate(scores)]
    searched = type("Result", (), {"rows": rows, "space": result.space, "metric": "val_loss", "direction": "minimize",
                                   "best": rows[-1]})()
    figure = search_figure(searched)
    figure_png(figure)  # lays the figure out
    for ax in (ax for ax in figure.axes if ax.get_visible()):
        box = ax.bbox
        for points in ax.collections:
            radius = points.get_sizes().max() ** 0.5 / 2 * figure.dpi / 72
            for x, y in points.get_offset_transform().transform(points.get_offsets()):
                where = (ax.get_title(loc="left"), round(x - box.x0), round(box.x1 - x), round(y - box.y0),
                         round(box.y1 - y), round(radius))
                assert box.x0 <= x - radius and x + radius <= box.x1, where
                assert box.y0 <= y - radius and y + radius <= box.y1, where


@pytest.mark.parametrize("pruned", [True, False])
def test_the_key_names_pruned_trials_only_when_there_are_some(result, pruned):
    rows = [{"number": i, "score": 0.5 - 0.05 * i, "complete": True, "state": "pruned" if pruned and i == 1 else
             "finished", "lr": 10 ** (-2.5 + 0.5 * i), "batch_size": 16, "l2": 0.001} for i in range(3)]
    searched = type("Result", (), {"rows": rows, "space": result.space, "metric": "val_loss", "direction": "minimize",
                                   "best": rows[-1]})()
    labels = [t.get_text() for t in search_figure(searched).legends[0].get_texts()]
    assert labels == (["finished", "pruned (last report)", "best"] if pruned else ["finished", "best"])
