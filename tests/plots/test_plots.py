"""Pictures: the live training figure shows the run, regions match the model, memory stays flat."""
import io
import tracemalloc

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import nbdl
from nbdl.core.diagnostics import decision_grid, summary
from nbdl.plots import LivePlot, TrainingFigure
from nbdl.plots.pictures import data_figure, network_figure
from nbdl.plots.render import class_color, figure_png
from nbdl.plots.training import REGION_STRENGTH


def _image(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float) / 255


@pytest.fixture(scope="module")
def blobs_run():
    frames = []
    plot = LivePlot(frames.append)
    run = nbdl.train("input 2\ndense 16 relu\ndense 3 softmax", data="blobs", data_options={"noise": 0.6},
                     epochs=15, lr=0.02, callbacks=[plot])
    return run, plot, frames


def test_live_plot_draws_the_whole_history_at_the_end(blobs_run):
    run, plot, frames = blobs_run
    assert frames and plot.renders == len(frames)
    lines = plot.figure.lines
    assert list(lines["train_loss"].get_ydata()) == run.history["train_loss"]
    assert list(lines["val_acc"].get_ydata()) == run.history["val_acc"]
    width, height = Image.open(io.BytesIO(frames[-1])).size
    assert (width, height) == (int(3 * 3.3 * 72), int(2.7 * 72))


def test_decision_regions_in_the_picture_match_the_model(blobs_run):
    run, plot, frames = blobs_run
    picture = _image(frames[-1])
    ax = plot.figure.region_axes
    grid = decision_grid(run)
    # Check pixels away from the data points: the corners of the region panel.
    (x0, x1, y0, y1) = grid.extent
    for fx, fy in ((0.04, 0.04), (0.96, 0.04), (0.04, 0.96), (0.96, 0.96), (0.5, 0.04)):
        x, y = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
        px, py = ax.transData.transform((x, y))
        pixel = picture[int(round(picture.shape[0] - py)), int(round(px))]
        predicted = int(run.predict([[x, y]])[0])
        tints = [1 - REGION_STRENGTH * (1 - np.array(to_rgb(class_color(c)))) for c in range(3)]
        nearest = int(np.argmin([np.abs(pixel - t).sum() for t in tints]))
        assert nearest == predicted, f"pixel at ({x:.1f}, {y:.1f}) shows class {nearest}, the model says {predicted}"


def test_figure_memory_stays_flat_over_many_updates():
    figure = TrainingFigure(classification=True, points={"extent": (-1, 1, -1, 1),
                                                         "train": (np.zeros((50, 2)), np.zeros(50, int)),
                                                         "val": (np.ones((10, 2)), np.ones(10, int))})
    rng = np.random.default_rng(0)
    history = {"train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
    probabilities = rng.dirichlet([1, 1], size=(50, 50))

    def updates(count):
        for _ in range(count):
            for key in history:
                history[key].append(float(rng.uniform(0.5, 0.6)))
            figure.update(history, probabilities, epochs=5000)
            figure.png()

    updates(200)  # warm-up: font caches, the first full draws
    tracemalloc.start()
    updates(100)  # tracing's own first allocations
    before, draws = tracemalloc.get_traced_memory()[0], figure.full_draws
    updates(250)
    growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    # The history and the lines' data grow by 4 x 250 floats (~80 kB), plus bounded text caches when an
    # axis grows. A leaked figure would cost megabytes, a kept PNG per update ~30 kB each (7 MB here).
    assert growth < 400_000, f"memory grew by {growth} bytes over 250 updates"
    assert figure.full_draws - draws <= 1  # the epoch axis grows in 1-2-5 steps; otherwise curves are blitted


@pytest.mark.parametrize("name, size", [("moons", None), ("digits_images", None), ("wine", None), ("diabetes", None)])
def test_data_pictures(name, size):
    png = figure_png(data_figure(nbdl.load_data(name)))
    assert _image(png).std() > 0.05  # something is drawn


def test_network_picture_has_one_box_per_layer():
    net = nbdl.build("input 2\ndense 16 relu\ndropout 0.2\ndense 2 softmax")
    figure = network_figure(summary(net))
    assert len(figure.axes[0].patches) == 4
    assert _image(figure_png(figure)).shape[1] > 300


def test_dollar_signs_in_names_draw_as_text():
    from nbdl.plots.compare import compare_figure

    X = np.random.default_rng(0).normal(size=(60, 2))
    data = nbdl.data.from_arrays(X, np.where(X[:, 0] > 0, "price $5", "$x^2$"), name="costs in $")
    figure = data_figure(data)
    figure_png(figure)  # an unbalanced '$' would be an error when drawn as math
    texts = [t.get_text() for t in figure.axes[0].get_legend().get_texts()] + [figure.axes[0].get_title()]
    assert r"\$x^2\$ (30)" in texts and r"price \$5 (30)" in texts and r"costs in \$: 60 samples" in texts
    run = nbdl.train("input 2\ndense 4 relu\ndense 2 softmax", data=data, epochs=1)
    figure_png(compare_figure({"cost $": run, "$a$": run}))


def test_layer_labels_fit_their_boxes():
    net = nbdl.build("input 1x8x8\nconv 16 3 leaky_relu(0.05) padding=same stride=1\nmaxpool 2 stride=1\nflatten\n"
                     "dense 10 softmax")
    figure = network_figure(summary(net))
    png = figure_png(figure)
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    boxes = [p.get_window_extent(renderer) for p in ax.patches]
    labels = [t for t in ax.texts if t.get_position()[1] == 0.58 and t.get_text()]  # the text inside each box
    assert len(labels) == len(boxes) == 5
    for box, label in zip(boxes, labels):
        extent = label.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, label.get_text()
    assert _image(png).shape[1] > 300
