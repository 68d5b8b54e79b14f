"""Pictures: the live training figure shows the run, regions match the model, memory stays flat,
and every picture reads at the size the notebook shows it (text, legends, axes, panel sizes)."""
import io
import tracemalloc

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.text import Text
from PIL import Image

import nbdl
from nbdl.core.diagnostics import decision_grid, summary
from nbdl.plots import LivePlot, TrainingFigure
from nbdl.plots.pictures import data_figure, network_figure
from nbdl.plots.render import SMALLEST, class_color, figure_png, shown_width, text_sizes
from nbdl.plots.training import REGION_STRENGTH


def _image(png: bytes) -> np.ndarray:
    """The picture at the size it is shown (a sharp 2x last frame sampled at every other pixel), in 0..1."""
    from nbdl.plots.render import shown_width

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float) / 255
    scale = round(pixels.shape[1] / shown_width(png))
    return pixels[::scale, ::scale]


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
    figure = plot.figure.figure
    live = Image.open(io.BytesIO(frames[-2])).size  # frames while training: 1x, cheap
    assert live == (round(figure.get_figwidth() * figure.dpi), round(figure.get_figheight() * figure.dpi))
    last = Image.open(io.BytesIO(frames[-1])).size  # the frame that stays: 2x, sharp on dense screens
    assert last == (2 * live[0], 2 * live[1])
    assert shown_width(frames[-1]) == shown_width(frames[-2]) == plot.figure.width == round(figure.get_figwidth() * 72)


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


# -- read at the size shown ---------------------------------------------------------------------------
def _shown(figure) -> float:
    """CSS pixels where the notebook shows it per pixel of the figure's canvas."""
    return 72 / figure.dpi


def _titles(ax) -> list[Text]:
    return [c for c in ax.get_children() if isinstance(c, Text) and c.get_text()
            and c.get_text() in (ax.get_title("left"), ax.get_title("center"), ax.get_title("right"))]


def _legends_hide_nothing(figure) -> None:
    """No legend overlaps the data area of an axes, nor a title, nor a point of any line."""
    renderer = figure.canvas.get_renderer()
    legends = [*figure.legends, *(ax.get_legend() for ax in figure.axes if ax.get_legend() is not None)]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for ax in figure.axes:
            if ax.axison:
                assert not box.overlaps(ax.get_window_extent(renderer)), f"a legend covers {ax.get_title('left')!r}"
            for title in _titles(ax):
                assert not box.overlaps(title.get_window_extent(renderer)), f"a legend covers {title.get_text()!r}"
            for line in ax.lines:
                points = line.get_transform().transform(np.column_stack(line.get_data()))
                assert box.count_contains(points) == 0, f"a legend covers the curve {line.get_label()!r}"


def test_training_picture_reads_at_the_size_shown(blobs_run):
    run, plot, frames = blobs_run
    figure = plot.figure.figure
    sizes = text_sizes(figure)
    assert min(size for _, size in sizes) >= SMALLEST, min(sizes, key=lambda t: t[1])
    legend = plot.figure.loss_axes.get_legend()
    assert {t.get_text() for t in legend.get_texts()} <= {text for text, _ in sizes}  # drawn, and big enough
    _legends_hide_nothing(figure)
    box = plot.figure.region_axes.get_window_extent(figure.canvas.get_renderer())
    width, height = box.width * _shown(figure), box.height * _shown(figure)
    assert width >= 300 and height >= 300 and 0.8 <= width / height <= 1.25, (width, height)


def test_axes_fit_the_data_and_a_perfect_score_is_off_the_edge():
    figure = TrainingFigure(classification=True)
    loss = [2.2, 1.6, 1.1, 0.8, 0.6, 0.5, 0.42, 0.37, 0.33, 0.3]  # a digits run's first ten epochs
    history = {"train_loss": loss, "val_loss": [v * 1.05 for v in loss],
               "train_acc": [0.3, 0.7, 0.8, 0.86, 0.9, 0.93, 0.95, 0.97, 0.99, 1.0],
               "val_acc": [0.6, 0.78, 0.84, 0.88, 0.9, 0.93, 0.95, 0.97, 1.0, 1.0]}
    figure.update(history, epochs=10)
    bottom, top = figure.loss_axes.get_ylim()
    highest = max(history["val_loss"])
    assert bottom <= min(loss) and highest < top <= 1.6 * highest, (bottom, top)
    renderer, shown = figure.canvas.get_renderer(), _shown(figure.figure)
    for ax in (figure.loss_axes, figure.metric_axes):
        box = ax.get_window_extent(renderer)
        for line in ax.lines:  # every point inside its panel, clear of the top and bottom edges
            y = line.get_transform().transform(np.column_stack(line.get_data()))[:, 1]
            assert (box.y1 - y.max()) * shown >= 3 and (y.min() - box.y0) * shown >= 3, line.get_label()
    low, high = figure.metric_axes.get_ylim()
    assert max(t for t in figure.metric_axes.get_yticks() if low <= t <= high) == pytest.approx(1.0)  # ticks end at 1.0


def test_axes_change_rarely_while_the_loss_falls():
    figure = TrainingFigure(classification=True)
    history = {k: [] for k in ("train_loss", "val_loss", "train_acc", "val_acc")}
    rng = np.random.default_rng(0)
    for epoch in range(200):
        loss = 2.2 * np.exp(-epoch / 30) + 0.1 + rng.normal(0, 0.01)
        history["train_loss"].append(loss)
        history["val_loss"].append(loss * 1.1 + rng.normal(0, 0.02))
        history["train_acc"].append(min(1.0, 1 - loss / 2.5))
        history["val_acc"].append(min(1.0, 1 - loss / 2.4 + rng.normal(0, 0.01)))
        figure.update(history, epochs=200)
    assert figure.full_draws <= 4  # the rest were blitted
    assert figure.loss_axes.get_ylim()[0] <= min(history["train_loss"])


@pytest.mark.parametrize("options, count", [({}, 309), ({"n": 100}, 120)])
def test_a_series_is_drawn_over_time(options, count):
    from nbdl.core.series import series

    figure = data_figure(nbdl.load_data("sunspots", **options))
    line = max(figure.axes[0].lines, key=lambda line: len(line.get_xdata()))
    # The windows' values, put back together, are the series itself: the last `count` years of it.
    assert list(line.get_xdata()) == list(range(count))
    np.testing.assert_allclose(line.get_ydata(), series("sunspots")[-count:], rtol=1e-5)


def test_sequences_are_drawn_step_by_step():
    data = nbdl.load_data("adding", n=20, seq_len=30)
    figure = data_figure(data)
    assert len(figure.axes) == 3
    for i, ax in enumerate(figure.axes):
        values, markers = ax.lines[0].get_ydata(), ax.lines[1].get_ydata()
        assert len(values) == 30 and list(markers) == list(data.X[i, :, 1])
        assert f"{float(values[markers == 1].sum()):.3g}" in ax.get_title("left")  # the target: the sum of the marked


def test_text_is_shown_as_text_and_its_commonest_characters():
    from collections import Counter

    data = nbdl.load_data("text", n=200)
    figure = data_figure(data)
    excerpt = figure.axes[0].texts[0].get_text()
    text = "".join(data.class_names[int(c)] for c in data.X[:4].ravel())
    assert excerpt.split("\n")[0] == text.split("\n")[0]
    counts = Counter(data.class_names[int(c)] for c in data.y.ravel())
    labels = [t.get_text() for t in figure.axes[1].get_xticklabels()]
    assert labels[0] == "\u2423" and counts.most_common(1)[0][0] == " " and len(labels) == 30


def _static_pictures():
    from nbdl.core.diagnostics import feature_maps, first_filters
    from nbdl.plots.compare import compare_figure
    from nbdl.plots.pictures import forecast_figure
    from nbdl.plots.vision import augmented_figure, feature_maps_figure, filters_figure

    cnn = nbdl.train("input 1x8x8\nconv 8 3 relu padding=1\nmaxpool 2\nflatten\ndense 10 softmax", data="digits_images",
                     data_options={"n": 200}, epochs=1)
    mlp = nbdl.train("input 2\ndense 8 relu\ndense 2 softmax", data="moons", epochs=3)
    X = cnn.dataset.X[:5]
    steps = np.arange(40)
    return {
        **{f"data {name}": lambda name=name, options=options: data_figure(nbdl.load_data(name, **options))
           for name, options in (("moons", {}), ("blobs", {"classes": 5}), ("digits", {}), ("wine", {}),
                                 ("diabetes", {}), ("sunspots", {}), ("co2", {}), ("adding", {"n": 20}),
                                 ("text", {"n": 50}))},
        "network": lambda: network_figure(summary(cnn.model)),
        "forecast": lambda: forecast_figure(np.sin(steps / 5) + 0.1, np.sin(steps / 5), "sunspots"),
        "compare": lambda: compare_figure({"cnn": cnn, "mlp": mlp}),
        "filters": lambda: filters_figure(first_filters(cnn.model)),
        "feature maps": lambda: feature_maps_figure(X[0], feature_maps(cnn, X[0])),
        "augmented": lambda: augmented_figure(X, [np.roll(X, 1, axis=-1)]),
    }


def test_static_pictures_read_at_the_size_shown(tmp_path):
    for name, make in _static_pictures().items():
        figure = make()
        png = figure_png(figure)
        width = round(figure.get_figwidth() * 72)
        assert shown_width(png) == width and Image.open(io.BytesIO(png)).size[0] == 2 * width, name  # drawn at 2x
        (tmp_path / f"{name}.png").write_bytes(png)
        smallest = min(text_sizes(figure), key=lambda t: t[1])
        assert smallest[1] >= SMALLEST, f"{name}: {smallest}"
        _legends_hide_nothing(figure)


def test_a_picture_shows_itself_sharp_without_pyplot():
    from IPython.core.formatters import format_display_data

    data, metadata = format_display_data(data_figure(nbdl.load_data("moons")))
    png = data["image/png"]
    png = png if isinstance(png, bytes) else __import__("base64").b64decode(png)
    assert metadata["image/png"]["width"] == shown_width(png) == Image.open(io.BytesIO(png)).size[0] // 2


def test_the_notebook_shows_pictures_at_their_drawn_size(monkeypatch):
    from IPython.core.formatters import format_display_data
    from IPython.display import Image as Shown

    from nbdl import magics

    shown = []

    class Handle:
        def update(self, value):
            shown.append(value)

    monkeypatch.setattr(magics, "display", lambda value, display_id=False: shown.append(value) or Handle())
    magics.show_data(nbdl.load_data("moons"))
    magics.show_network("net", nbdl.build("input 2\ndense 4 relu\ndense 2 softmax"))
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 4 relu\ndense 2 softmax", data="moons", epochs=2))
    magics.fit_live(run)
    images = [value for value in shown if isinstance(value, Shown)]
    assert len(images) >= 3
    for image in images:
        width = format_display_data(image)[1]["image/png"]["width"]
        assert width == image.width == shown_width(image.data)
        assert Image.open(io.BytesIO(image.data)).size[0] in (width, 2 * width)  # drawn at 1x (live) or 2x
    # The training curves without decision regions (the network view's canvas beside them shows them).
    assert 368 in [image.width for image in images] and 746 in [image.width for image in images]


def test_dashboard_shows_the_picture_at_its_drawn_size():
    from nbdl.widgets import Dashboard

    dashboard = Dashboard(epochs=2)
    try:
        dashboard.start()
        dashboard.wait(60)
        png = bytes(dashboard.image.value)
        assert dashboard.image.width == str(shown_width(png)) == str(dashboard.plot.figure.width)
        assert dashboard.image.layout.align_self == "flex-start"  # not stretched to the column's width
    finally:
        dashboard.close()


def test_a_narrow_place_gets_the_regions_below_the_curves():
    points = {"extent": (-1, 1, -1, 1), "train": (np.zeros((5, 2)), np.zeros(5, int)),
              "val": (np.ones((2, 2)), np.ones(2, int))}
    figure = TrainingFigure(classification=True, points=points, stacked=True)
    figure.update({"train_loss": [0.7, 0.5], "val_loss": [0.7, 0.6], "train_acc": [0.5, 0.8], "val_acc": [0.5, 0.7]},
                  np.full((4, 4, 2), 0.5), epochs=5)
    renderer, shown = figure.canvas.get_renderer(), _shown(figure.figure)
    regions, accuracy = figure.region_axes.get_window_extent(renderer), figure.metric_axes.get_window_extent(renderer)
    assert shown_width(figure.png()) == figure.width < 400  # fits a dashboard's column at its own size
    assert regions.width * shown >= 300 and regions.height * shown >= 300 and regions.y1 < accuracy.y0
    assert min(size for _, size in text_sizes(figure.figure)) >= SMALLEST


def test_one_epoch_shows_as_points():
    frames = []
    plot = LivePlot(frames.append)
    nbdl.train("input 2\ndense 4 relu\ndense 2 softmax", "moons", epochs=1, callbacks=[plot])
    assert plot.figure.lines["train_loss"].get_marker() == "o"
