"""The instruments' picture and the depth picture: produced, readable at the size shown, and
drawn from the records (one layer numbering in all panels)."""
import numpy as np

import nbdl
from nbdl.plots.instruments import InstrumentsView, instruments_figure
from nbdl.plots.pictures import PER_ROW, network_figure
from nbdl.plots.render import SMALLEST, figure_png, shown_width, text_sizes

NET = "input 2\n" + "dense 16 relu\nbatchnorm\ndropout 0.1\n" * 3 + "dense 3 softmax"


def test_the_picture_shows_every_layer_by_its_line_number_and_reads_at_12_px():
    run = nbdl.train(NET, "blobs", epochs=4, seed=0, diagnostics=True)
    figure = instruments_figure(run.instruments)
    heat, shares = figure.axes[0], figure.axes[2]  # the colour bar is the second
    names = [t.get_text() for t in heat.get_yticklabels()]
    assert names == run.instruments.layers and names[1] == "2 batchnorm"
    assert [t.get_text() for t in shares.get_yticklabels()] == [n.split()[0] for n in names]
    histogram_tags = [ax.get_ylabel() for ax in figure.axes[3:]]
    assert histogram_tags[0] == "1" and set(histogram_tags) <= {n.split()[0] for n in names}
    assert min(size for _, size in text_sizes(figure)) >= SMALLEST  # colour bar's minor ticks included
    image = heat.get_images()[0].get_array()
    assert image.shape == (len(names), 4)  # a row per layer, a column per epoch-end record
    np.testing.assert_allclose(image.T, run.instruments.figures["grad_norm"])


def test_the_live_view_draws_only_new_records():
    frames = []
    view = InstrumentsView(frames.append, min_interval=0)
    nbdl.train("input 2\ndense 8 tanh\ndense 2 softmax", "moons", epochs=3, seed=0, callbacks=[view])
    assert frames == []  # diagnostics off: nothing recorded, nothing drawn
    run = nbdl.train("input 2\ndense 8 tanh\ndense 2 softmax", "moons", epochs=3, seed=0, diagnostics=True,
                     callbacks=[view])
    assert frames and view.drawn == len(run.instruments)
    assert shown_width(frames[-1]) == shown_width(figure_png(instruments_figure(run.instruments)))


def test_a_deep_network_drawing_wraps_rather_than_shrinking():
    deep = nbdl.build("input 2\n" + "dense 32 sigmoid\n" * 10 + "dense 2 softmax")
    shallow = nbdl.build("input 2\n" + "dense 32 sigmoid\n" * 4 + "dense 2 softmax")
    wide = shown_width(figure_png(network_figure(deep)))
    assert wide == shown_width(figure_png(network_figure(shallow)))  # six boxes a row, both
    assert network_figure(deep).get_figheight() == 2 * network_figure(shallow).get_figheight()
    assert PER_ROW == 6 and min(size for _, size in text_sizes(network_figure(deep))) >= SMALLEST
