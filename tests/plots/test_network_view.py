"""The network view: connections follow the weights, tiles show the units, the canvas shows the
model's classes, the switches act, and the view applies to what it can draw (and to nothing else)."""
import io

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import nbdl
from nbdl.core.neurons import neurons
from nbdl.plots import views
from nbdl.plots.network_view import (CANVAS, MAX_HIDDEN, MAX_UNITS, NEGATIVE, POSITIVE, TILE, NetworkView,
                                     applies, make_figure)
from nbdl.plots.render import SMALLEST, class_rgb, shown_width, text_sizes

NET = "input 2\ndense 8 relu\ndense 8 tanh\ndense 2 softmax"


def _image(png: bytes) -> np.ndarray:
    """The picture at the size it is shown (a sharp 2x last frame sampled at every other pixel), in 0..1."""
    from nbdl.plots.render import shown_width

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float) / 255
    scale = round(pixels.shape[1] / shown_width(png))
    return pixels[::scale, ::scale]


@pytest.fixture(scope="module")
def moons():
    frames = []
    view = NetworkView(frames.append)
    run = nbdl.train(NET, data="moons", epochs=25, lr=0.03, seed=0, callbacks=[view])
    return run, view, frames


def test_it_draws_during_the_fit_and_the_last_frame_at_its_end(moons):
    run, view, frames = moons
    assert view.error is None and view.renders == len(frames) >= 2
    assert all(f.startswith(b"\x89PNG") for f in frames)
    figure = view.figure
    assert _image(frames[-1]).shape[:2] == (figure.height, figure.width)
    assert figure.status.get_text().startswith(f"epoch {run.epoch} · step {run.global_step}")


def test_connections_follow_the_weights(moons):
    run, view, _ = moons
    figure = view.figure
    weights = [layer.linear.weight.detach().cpu().numpy() for layer in run.model.layers]
    largest = max(np.abs(w).max() for w in weights)
    blue, orange = np.array(to_rgb(POSITIVE)), np.array(to_rgb(NEGATIVE))
    assert [len(link.get_segments()) for link in figure.links] == [w.size for w in weights] == [16, 64, 16]
    for link, w in zip(figure.links, weights):
        w = w.reshape(-1)  # (target, source) row-major, as the segments are laid out
        widths, colors = np.asarray(link.get_linewidths()), np.asarray(link.get_colors())
        np.testing.assert_allclose(widths, 0.5 + 5.5 * np.abs(w) / largest, rtol=1e-6)
        np.testing.assert_allclose(colors[w >= 0, :3], np.broadcast_to(blue, (np.sum(w >= 0), 3)))
        np.testing.assert_allclose(colors[w < 0, :3], np.broadcast_to(orange, (np.sum(w < 0), 3)))
        assert np.all(np.diff(colors[np.argsort(np.abs(w)), 3]) >= 0), "a larger weight is no fainter"
    # Each segment runs from its source unit's right edge to its target unit's left edge.
    (sx, sy), (tx, ty) = figure.links[1].get_segments()[8 * 3 + 5]  # target 3 of layer 2, source 5 of layer 1
    assert (sx, sy) == (figure.places[1][5][0] + TILE, figure.places[1][5][1] + TILE / 2)
    assert (tx, ty) == (figure.places[2][3][0], figure.places[2][3][1] + TILE / 2)


def test_tiles_show_each_units_output_over_the_plane(moons):
    run, view, frames = moons
    figure, image = view.figure, _image(frames[-1])
    found = neurons(run, view.resolution)

    def tile_pixel(column, unit, row, col):  # grid row (up the plane) and col -> the PNG's pixel
        x, y = figure.places[column][unit]
        rows = np.abs(figure.pick - row).argmin()
        cols = np.abs(figure.pick - col).argmin()
        return image[y + TILE - 1 - rows, x + cols]

    def expected(values, row, col):  # each unit on its own scale: orange -1, white 0, blue +1
        row, col = (figure.pick[np.abs(figure.pick - i).argmin()] for i in (row, col))  # the point the tile shows
        t = values[row, col] / np.abs(values).max()
        end = np.array(to_rgb(POSITIVE if t > 0 else NEGATIVE))
        return 1 - abs(t) * (1 - end)

    # x1 grows to the right: orange on the tile's left, blue on its right; x2 grows upwards.
    for unit, row, col in ((0, 40, 0), (0, 40, 79), (1, 0, 40), (1, 79, 40)):
        assert np.allclose(tile_pixel(0, unit, row, col), expected(found.inputs[unit], row, col), atol=0.02)
    assert tile_pixel(0, 0, 40, 0)[0] > tile_pixel(0, 0, 40, 0)[2] and tile_pixel(0, 1, 79, 40)[2] > 0.6
    # A hidden unit: where it is largest its tile is full blue (or orange, if its largest size is negative).
    unit = found.hidden[1][2]
    row, col = np.unravel_index(np.abs(unit[figure.pick][:, figure.pick]).argmax(), (TILE, TILE))
    row, col = figure.pick[row], figure.pick[col]
    expected = POSITIVE if unit[row, col] > 0 else NEGATIVE
    assert np.allclose(tile_pixel(2, 2, row, col), to_rgb(expected), atol=0.03)
    # An output unit: class 1's probability, white where it is 0 and orange where it is 1.
    probability = found.output[1]
    low = np.unravel_index(probability.argmin(), probability.shape)
    high = np.unravel_index(probability.argmax(), probability.shape)
    assert probability[low] < 0.05 and probability[high] > 0.95
    assert np.allclose(tile_pixel(3, 1, *low), 1, atol=0.08)
    assert np.allclose(tile_pixel(3, 1, *high), class_rgb(2)[1], atol=0.08)


def test_the_canvas_shows_the_models_classes(moons):
    run, view, frames = moons
    figure, image = view.figure, _image(frames[-1])
    box = figure.output_axes.get_window_extent()
    assert round(box.width) == round(box.height) == CANVAS >= 300
    X = np.array([[-1.0, 0.5], [2.0, -0.3], [0.5, 0.9]])
    predicted = run.predict(X)
    extent = figure.region.get_extent()
    for (x, y), label in zip(X, predicted):
        px = box.x0 + (x - extent[0]) / (extent[1] - extent[0]) * box.width
        py = figure.height - (box.y0 + (y - extent[2]) / (extent[3] - extent[2]) * box.height)
        patch = image[int(py) - 12:int(py) - 6, int(px) - 12:int(px) - 6].reshape(-1, 3)  # beside any point
        tint = 1 - patch.mean(axis=0)
        other = class_rgb(2)[1 - label]
        assert np.dot(tint, 1 - class_rgb(2)[label]) > np.dot(tint, 1 - other), (x, y, label)


def test_switches_show_test_points_and_hard_classes(moons):
    run, view, _ = moons
    figure = view.figure
    view.show_test, view.discrete = False, False
    view.render(run, final=True)
    assert not figure.scatters["test"].get_visible()
    soft = figure.region.get_array().reshape(-1, 3)
    view.show_test, view.discrete = True, True
    view.render(run, final=True)
    assert figure.scatters["test"].get_visible() and figure.scatters["train"].get_visible()
    assert len(figure.scatters["test"].get_offsets()) == len(run.data.test)
    hard = figure.region.get_array().reshape(-1, 3)
    assert len(np.unique(np.round(hard, 6), axis=0)) == 2, "discretised: one colour per class"
    assert len(np.unique(np.round(soft, 6), axis=0)) > 50, "probabilities: shades"
    view.show_test, view.discrete = False, False


def test_it_applies_to_dense_networks_on_2d_data_only():
    moons = nbdl.Run(nbdl.Config(network=NET, data="moons"))
    assert applies(moons) and "network" in [v.name for v in views.for_run(moons)]
    digits = nbdl.Run(nbdl.Config(network="input 64\ndense 16 relu\ndense 10 softmax", data="digits"))
    assert not applies(digits) and "network" not in [v.name for v in views.for_run(digits)]
    deep = "input 2\n" + "dense 4 relu\n" * (MAX_HIDDEN + 1) + "dense 2 softmax"
    assert not applies(nbdl.Run(nbdl.Config(network=deep, data="moons")))
    deepest = "input 2\n" + "dense 4 relu\n" * MAX_HIDDEN + "dense 2 softmax"
    assert applies(nbdl.Run(nbdl.Config(network=deepest, data="moons")))


def test_a_wide_layer_shows_its_first_units_and_counts_the_rest():
    run = nbdl.train("input 2\ndense 20 relu\ndense 3 softmax", data="blobs", epochs=2)
    figure = make_figure(run, neurons(run, 20))
    assert figure.shown == [2, MAX_UNITS, 3]
    assert [len(link.get_segments()) for link in figure.links] == [2 * MAX_UNITS, MAX_UNITS * 3]
    texts = [t.get_text() for t in figure.figure.axes[0].texts]
    assert f"+{20 - MAX_UNITS} more" in texts and "layer 1\n20 relu" in texts
    figure.update(neurons(run, 20), False, False, "")  # the weights drawn are the first units' own


def test_a_number_and_input_features_are_drawn():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(150, 2))
    data = nbdl.data.from_arrays(X, 40 + 10 * np.sin(X[:, 0]), task="regression")
    frames = []
    nbdl.train("input 2\ndense 4 tanh\nbatchnorm\ndense 1", data=data, epochs=3, callbacks=[NetworkView(frames.append)])
    assert frames and frames[-1].startswith(b"\x89PNG")
    view = NetworkView(frames.append)
    nbdl.train("input 5\ndense 3 tanh\ndense 2 softmax", data="circles", epochs=2, callbacks=[view],
               data_options={"features": "x1,x2,x1^2,x2^2,x1*x2"})
    texts = [t.get_text() for t in view.figure.figure.axes[0].texts]
    assert {"x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "input\n5"} <= set(texts)


def test_text_is_at_least_12_pixels_where_it_is_shown(moons):
    _, view, frames = moons
    figure = view.figure.figure
    assert figure.dpi == 72 and shown_width(frames[-1]) == view.figure.width  # one image pixel a shown pixel
    sizes = text_sizes(figure)
    drawn = {text for text, _ in sizes}
    assert {"x₁", "x₂", "class 0", "class 1", "input", "layer 1", "8 relu", "output", "2 softmax"} <= drawn
    assert min(size for _, size in sizes) >= SMALLEST >= 12


def test_beside_the_network_view_the_training_picture_leaves_the_regions_to_it():
    from nbdl.plots.live import LivePlot

    run = nbdl.Run(nbdl.Config(network="input 2\ndense 4 relu\ndense 2 softmax", data="moons", epochs=1))
    pairs = [(view, view.make(lambda png: None)) for view in views.for_run(run)]
    views.shown_together(pairs)
    run.fit(callbacks=[live for _, live in pairs])
    training = dict((view.name, live) for view, live in pairs)["training"]
    assert training.covered == {"regions"} and training.figure.region_axes is None
    alone = LivePlot(lambda png: None)  # used on its own, it draws them
    nbdl.train("input 2\ndense 4 relu\ndense 2 softmax", "moons", epochs=1, callbacks=[alone])
    assert alone.figure.region_axes is not None
