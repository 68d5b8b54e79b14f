"""``nbdl.inspect``: the signal through depth of a freshly initialised network (He et al. 2015;
Glorot and Bengio 2010), and that what it shows predicts training."""
import math

import numpy as np
import pytest

import nbdl

RELU30 = "input 2\n" + "dense 64 relu\n" * 30 + "dense 2 softmax"


@pytest.fixture(scope="module")
def relu30():
    return nbdl.inspect(RELU30, "moons", init="xavier, kaiming")


def test_thirty_relu_layers_fade_with_xavier_and_keep_their_signal_with_kaiming(relu30):
    xavier, kaiming = relu30["xavier"].figures["act_std"], relu30["kaiming"].figures["act_std"]
    assert len(xavier) == 31
    assert xavier[-2] < xavier[0] * 1e-3  # about 1/sqrt(2) per layer
    assert 0.3 < kaiming[-2] / kaiming[0] < 3
    assert min(relu30["xavier"].figures["grad_norm"]) < min(relu30["kaiming"].figures["grad_norm"]) * 1e-3
    assert "xavier" in repr(relu30) and "kaiming" in repr(relu30)


def test_ten_sigmoid_layers_vanish():
    found = nbdl.inspect("input 2\n" + "dense 32 sigmoid\n" * 10 + "dense 2 softmax", "moons")
    assert found["default"].ratio() < 1e-4


@pytest.mark.slow
def test_what_inspect_shows_predicts_training():
    losses = {}
    for init in ("xavier", "kaiming"):
        run = nbdl.train(RELU30, "moons", init=init, epochs=15, seed=0, optimizer="sgd", lr=0.01, momentum=0.9)
        losses[init] = run.history["train_loss"][-1]
    assert losses["xavier"] > 0.68  # stalled at chance: ln 2
    assert losses["kaiming"] < 0.4


def test_the_measured_batch_leaves_the_weights_as_drawn():
    first = nbdl.inspect("input 2\ndense 8 relu\ndense 2 softmax", "moons", init="kaiming", seed=4)
    again = nbdl.inspect("input 2\ndense 8 relu\ndense 2 softmax", "moons", init="kaiming", seed=4)
    np.testing.assert_equal(first["kaiming"].figures, again["kaiming"].figures)
    assert all(math.isfinite(v) for v in first["kaiming"].figures["grad_norm"])


@pytest.mark.parametrize("init, words", [
    ("", "initialisation name"), ("xavierr", "unknown initialization"), ("kaiming(bis=1)", "no number named"),
    (["kaiming", 3], "initialisation name"),
])
def test_bad_initialisations_are_refused(init, words):
    with pytest.raises(nbdl.NbdlError, match=words):
        nbdl.inspect("input 2\ndense 8 relu\ndense 2 softmax", "moons", init=init)


def test_bad_samples_are_refused():
    with pytest.raises(nbdl.NbdlError, match="samples"):
        nbdl.inspect("input 2\ndense 8 relu\ndense 2 softmax", "moons", samples=1)


def test_initialisations_with_numbers_and_names_in_any_case():
    net = "input 2\ndense 8 relu\ndense 2 softmax"
    found = nbdl.inspect(net, "moons", init="kaiming, bias=-1, normal(0.01, 0), XAVIER, kaiming")
    assert [d.init for d in found.depths] == ["kaiming, bias=-1", "normal(0.01, 0)", "XAVIER", "kaiming"]
    assert found["xavier"] is found.depths[2]
    # The same first weights (same seed), every bias at -1: the units' outputs are pushed down.
    assert found["kaiming, bias=-1"].figures["act_mean"][0] < found["kaiming"].figures["act_mean"][0]
    with pytest.raises(nbdl.NbdlError, match="has: kaiming"):
        found["he"]


@pytest.mark.parametrize("settings, words", [
    ({"init": None}, "initialisation name"), ({"init": 5}, "initialisation name"),
    ({"foo": 1}, "unknown setting"), ({"epochs": 3}, "inspect sets epochs itself"),
])
def test_bad_arguments_get_clear_errors(settings, words):
    with pytest.raises(nbdl.NbdlError, match=words):
        nbdl.inspect("input 2\ndense 8 relu\ndense 2 softmax", "moons", **settings)


def test_the_picture_marks_exact_zeros_and_keeps_text_readable():
    from nbdl.plots.instruments import depth_figure
    from nbdl.plots.render import SMALLEST, figure_png, text_sizes

    found = nbdl.inspect("input 2\n" + "dense 8 relu\n" * 3 + "dense 2 softmax", "moons",
                         init="kaiming,zeros,kaiming(bias=-1),xavier,normal(0.1),default")
    figure = depth_figure(found)
    assert figure_png(figure).startswith(b"\x89PNG")
    assert min(size for _, size in text_sizes(figure)) >= SMALLEST
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert "x: exactly 0" in texts
    legend = figure.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == [d.init for d in found.depths]
