"""The race drawn live and the landscape pictures: frames produced within the budget, the last one
sharp, paths where the race put them, divergence marked, every text readable (kept under /tmp/surfaces)."""
import io
import pathlib
import time

import numpy as np
import pytest
from PIL import Image

import nbdl
from nbdl.core import landscape, surfaces
from nbdl.plots.landscape import line_figure, plane_figure
from nbdl.plots.render import SMALLEST, figure_png, shown_width, text_sizes
from nbdl.plots.surfaces import RaceFigure, play, race_figure

OUT = pathlib.Path("/tmp/surfaces")


def _keep(name, png):
    OUT.mkdir(exist_ok=True)
    (OUT / name).write_bytes(png)


def test_the_race_plays_live_and_keeps_a_sharp_last_frame():
    frames = []
    started = time.monotonic()
    race, view = play(frames.append, seconds=1.0, surface="beale")
    wall = time.monotonic() - started
    _keep("race_beale.png", frames[-1])
    assert len(frames) >= 3 and view.renders == len(frames)  # drawn as it went, not only at the end
    live, last = Image.open(io.BytesIO(frames[-2])).size, Image.open(io.BytesIO(frames[-1])).size
    assert last == (2 * live[0], 2 * live[1]) and shown_width(frames[-1]) == shown_width(frames[-2])
    # Frames are spaced (at least min_interval apart, longer after a slow one): not one per step.
    assert len(frames) <= wall / view.min_interval + 2 and race.steps == 1000
    lines = view.figure.lines
    for name, path in race.paths.items():
        assert np.allclose(lines[name].get_xydata()[-1], path.points[-1])
    assert sorted(lines) == sorted(surfaces.DEFAULT_OPTIMIZERS)


def test_the_race_picture_reads_and_marks_divergence():
    race = surfaces.race("rosenbrock", "sgd,adam", steps=200, lr="sgd=0.01")
    figure = race_figure(race)
    _keep("race_diverged.png", figure_png(figure))
    assert min(size for _, size in text_sizes(figure)) >= SMALLEST
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "sgd (0.01)\ndiverged" in labels and "adam (0.05)" in labels and "minimum" in labels
    drawn = RaceFigure(race)
    drawn.update(race)
    assert len(drawn.crosses["sgd"].get_xdata()) == 1 and len(drawn.heads["sgd"].get_xdata()) == 0
    assert len(drawn.heads["adam"].get_xdata()) == 1


@pytest.mark.parametrize("name", surfaces.names())
def test_every_surface_draws_readably(name):
    figure = race_figure(surfaces.race(name, steps=20))
    _keep(f"race_{name}_start.png", figure_png(figure))
    assert min(size for _, size in text_sizes(figure)) >= SMALLEST
    x0, x1, y0, y1 = surfaces.get(name).window
    assert figure.axes[0].get_xlim() == (x0, x1) and figure.axes[0].get_ylim() == (y0, y1)


def test_landscape_pictures_read():
    trajectory = landscape.Trajectory()
    net = "input 2\ndense 16 relu\ndense 2 softmax"
    small = nbdl.train(net, data="moons", epochs=8, lr=0.02, optimizer="adam", seed=1, batch_size=8,
                       callbacks=[trajectory])
    large = nbdl.train(net, data="moons", epochs=8, lr=0.02, optimizer="adam", seed=1, batch_size=256)
    for name, figure in (("plane_pca.png", plane_figure(small.landscape(resolution=11))),
                         ("plane_random.png", plane_figure(large.landscape(resolution=11))),
                         ("line.png", line_figure(small.landscape(large), names=("batch 8", "batch 256")))):
        _keep(name, figure_png(figure))
        assert min(size for _, size in text_sizes(figure)) >= SMALLEST, name
    texts = [t.get_text() for t in plane_figure(small.landscape(resolution=5)).axes[0].texts]
    assert texts == ["epoch 0", "epoch 8"]


def _inside(figure, artist):
    figure.canvas.draw()
    box, frame = artist.get_window_extent(), figure.bbox
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def test_a_legend_of_diverged_paths_stays_inside_the_picture():
    # "nesterov (0.0005), diverged" on one line ran past the right edge of the picture.
    race = surfaces.race("rosenbrock", "sgd,momentum,nesterov,rmsprop", steps=50,
                         lr="momentum=0.0005,nesterov=0.0005,sgd=0.05,rmsprop=0.005", start="-1.5,2")
    race.paths["nesterov"].status = race.paths["momentum"].status = "diverged"
    figure = race_figure(race)
    _keep("race_diverged_legend.png", figure_png(figure))
    assert _inside(figure, figure.axes[0].get_legend())


def test_the_planes_legend_covers_neither_the_path_nor_its_labels():
    # Inside the axes (upper left) it hid the "epoch 0" label of a path that starts there.
    trajectory = landscape.Trajectory()
    run = nbdl.train("input 2\ndense 8 relu\ndense 2 softmax", data="moons", epochs=3, lr=0.05, seed=1,
                     callbacks=[trajectory])
    figure = plane_figure(run.landscape(resolution=5))
    _keep("plane_legend.png", figure_png(figure))
    legend, ax = figure.legends[0], figure.axes[0]
    assert _inside(figure, legend) and not legend.get_window_extent().overlaps(ax.get_window_extent())
    assert [t.get_text() for t in legend.get_texts()] == ["training path", "trained weights"]
