"""Backprop by hand against autograd (to float64 rounding) and finite differences; a wrong derivative
is caught; layers the hand-written chain rule does not cover are refused by name."""
import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import backprop
from nbdl.core.backprop_report import COLUMNS
from nbdl.data import from_arrays


def _run(network, data, **settings):
    return nbdl.Run(nbdl.Config(network=network, data=data, epochs=1, **settings))


def _regression(features=3, n=60):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, features))
    y = np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2])]) if features >= 3 else X[:, :1] ** 2
    return from_arrays(X.astype(np.float32), y.astype(np.float32), task="regression")


NETWORKS = {
    "sigmoid + softmax, cross-entropy": ("input 2\ndense 8 sigmoid\ndense 2 softmax", "moons", {}),
    "tanh, relu + sigmoid, bce, l1 and l2": ("input 2\ndense 8 tanh\ndense 6 relu\ndense 1 sigmoid", "moons",
                                              {"l1": 1e-3, "l2": 1e-2}),
    "relu regression, mse": ("input 3\ndense 8 relu\ndense 2", "regression", {}),
    "leaky, elu, gelu, swish line": ("input 2\ndense 8 leaky_relu(0.1)\ndense 8 elu(0.5)\ndense 6 gelu\n"
                                     "activation swish\ndense 3 softmax", "blobs", {"l2": 1e-3}),
    "tanh regression, huber, sigmoid output": ("input 3\ndense 5 tanh\ndense 2 sigmoid", "regression",
                                               {"loss": "huber"}),
}


@pytest.mark.parametrize("name", NETWORKS)
def test_hand_equals_autograd_and_finite_differences(name):
    network, data, settings = NETWORKS[name]
    run = _run(network, _regression() if data == "regression" else data, **settings)
    run.fit(1)  # weights after a few steps, not only the first ones
    check = nbdl.gradient_check(run, samples=6)
    assert check.samples == 6 and check.passed, str(check)
    assert check.largest_difference < 1e-12
    assert check.largest_finite_difference < 1e-6
    assert check.checked == check.parameters == sum(p.numel() for p in run.model.parameters())
    assert check.forward_difference < 1e-12 and check.value == pytest.approx(check.autograd_value, abs=1e-12)
    for hand, automatic in zip(check.hand, check.autograd):
        np.testing.assert_allclose(hand, automatic, rtol=1e-10, atol=1e-13)
    # the loss is the run's own: its float32 value on the same samples (penalty included) agrees
    X, y = run.data.train.X[:6], run.data.train.y[:6]
    with torch.no_grad():
        own = run.loss(run.logits(X), y) + (run.penalty() if run.penalty() is not None else 0)
    assert check.value == pytest.approx(float(own), rel=1e-5)


def test_softmax_with_cross_entropy_sends_back_p_minus_y():
    run = _run("input 2\ndense 5 tanh\ndense 3 softmax", "blobs")
    check = nbdl.gradient_check(run, samples=4)
    X, y = run.data.train.X[:4].double(), run.data.train.y[:4]
    model = run.model.double()
    with torch.no_grad():
        p = torch.softmax(model.logits(X), dim=1)
        hidden = model.layers[0](X)
    delta = (p - torch.eye(3, dtype=torch.float64)[y]) / 4
    last = check.rows[-1]
    assert last.delta_norm == pytest.approx(float(delta.norm()), rel=1e-12)
    assert last.local is None and "p - y" in last.note
    np.testing.assert_allclose(check.hand[-2], (delta.T @ hidden).numpy(), rtol=1e-10)  # dW = delta^T a_prev
    np.testing.assert_allclose(check.hand[-1], delta.sum(0).numpy(), rtol=1e-10)


def test_the_rows_describe_each_layer():
    check = nbdl.gradient_check(_run("input 2\ndense 8 relu\ndense 2 softmax", "moons"), samples=8)
    first, last = check.rows
    assert (first.layer, first.shapes, last.shapes) == ("dense 8 relu", ((8, 2), (8,)), ((2, 8), (2,)))
    assert first.a.low == 0 and 0 < first.local.zeros < 1  # some units are off on these samples, some on
    assert first.local.mean == pytest.approx(1 - first.local.zeros)  # relu' is 1 or 0
    assert (first.local.low, first.local.high) == (0, 1)
    assert 0 <= last.a.low and last.a.high <= 1  # the output row shows probabilities


def test_a_wrong_derivative_is_caught(monkeypatch):
    run = _run("input 2\ndense 6 tanh\ndense 2 softmax", "moons")
    assert nbdl.gradient_check(run).passed
    monkeypatch.setitem(backprop.DERIVATIVES, "tanh", (np.tanh, lambda z, a: 1.0 - a))  # should be 1 - a^2
    check = nbdl.gradient_check(run)
    assert not check.passed and check.largest_difference > 1e-4
    tanh_row = check.rows[0]
    assert tanh_row.hand_vs_autograd > 1e-4 and tanh_row.hand_vs_finite > 1e-4
    assert tanh_row.autograd_vs_finite < 1e-6  # the references agree with each other: the hand one is wrong
    assert "DISAGREE" in check.headline()


def test_a_nan_gradient_does_not_pass(monkeypatch):
    run = _run("input 2\ndense 4 tanh\ndense 2 softmax", "moons")
    monkeypatch.setitem(backprop.DERIVATIVES, "tanh", (np.tanh, lambda z, a: np.full_like(z, np.nan)))
    check = nbdl.gradient_check(run)
    assert not check.passed and check.largest_difference == np.inf


def test_large_networks_are_checked_on_a_fixed_subset_by_finite_differences():
    rng = np.random.default_rng(0)
    data = from_arrays(rng.normal(size=(80, 40)).astype(np.float32), rng.integers(0, 3, 80))
    run = _run("input 40\ndense 48 tanh\ndense 3 softmax", data)
    first, second = nbdl.gradient_check(run, samples=4), nbdl.gradient_check(run, samples=4)
    assert first.parameters == 40 * 48 + 48 + 48 * 3 + 3 > backprop.FULL_CHECK
    assert first.checked == backprop.FINITE_ENTRIES and first.passed
    assert [np.isnan(f).sum() for f in first.finite] == [np.isnan(f).sum() for f in second.finite]
    assert f"{backprop.FINITE_ENTRIES} drawn" in first.headline()


def test_the_table_explains_its_columns():
    check = nbdl.gradient_check(_run("input 2\ndense 4 sigmoid\ndense 2 softmax", "moons"))
    html = check._repr_html_()
    for name, help in COLUMNS:
        assert f">{name}</th>" in html.replace("&#x27;", "'") and name in check.__doc__ and help[:30] in check.__doc__
    assert "<code>" not in html and "dense 4 sigmoid" in html and "largest difference hand vs autograd" in html
    text = str(check)
    assert text.splitlines()[0] == check.headline() and "dense 2 softmax" in text


@pytest.mark.parametrize("network, data, words", [
    ("input 1x8x8\nconv 4 3 relu\nflatten\ndense 3 softmax", "images", ["line 2", "'conv 4 3 relu'", "conv layer",
                                                                        "input, dense, activation"]),
    ("input seq 2\nlstm 4\ndense 1", "sequences", ["line 2", "lstm layer", "input, dense, activation"]),
    ("input 2\ndense 8 relu\ndropout 0.2\ndense 2 softmax", "moons", ["line 3", "dropout layer"]),
    ("input 2\ndense 8 relu\nbatchnorm\ndense 2 softmax", "moons", ["batchnorm layer"]),
    ("input 2\ndense 8 prelu\ndense 2 softmax", "moons", ["line 2", "'prelu'", "not written out by hand", "tanh"]),
    ("input 2\ndense 8 softmax\ndense 2 softmax", "moons", ["'softmax'", "only as a classifier's output"]),
    ("input 300\ndense 400 relu\ndense 2 softmax", "wide", ["121,202 parameters", "100,000"]),
])
def test_networks_it_does_not_cover_are_refused_by_name(network, data, words):
    rng = np.random.default_rng(0)
    made = {
        "images": lambda: from_arrays(rng.normal(size=(30, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 30)),
        "sequences": lambda: from_arrays(rng.normal(size=(30, 5, 2)).astype(np.float32),
                                         rng.normal(size=(30, 1)).astype(np.float32), task="regression"),
        "wide": lambda: from_arrays(rng.normal(size=(30, 300)).astype(np.float32), rng.integers(0, 2, 30)),
    }
    run = nbdl.Run(nbdl.Config(network=network, data=made[data]() if data in made else data))
    with pytest.raises(nbdl.NbdlError) as caught:
        nbdl.gradient_check(run)
    for word in words:
        assert word in str(caught.value)


def test_bad_arguments_are_refused():
    run = _run("input 2\ndense 2 softmax", "moons")
    with pytest.raises(nbdl.NbdlError, match=r"samples must be a whole number in \[1, 256\], got 0"):
        nbdl.gradient_check(run, samples=0)
    with pytest.raises(nbdl.NbdlError, match="takes a run"):
        nbdl.gradient_check("input 2\ndense 2 softmax")
    own = nbdl.Run(nbdl.Config(network=torch.nn.Sequential(torch.nn.Linear(2, 2)), data="moons"))
    with pytest.raises(nbdl.NbdlError, match="torch module of your own"):
        nbdl.gradient_check(own)


def test_a_frozen_layer_gets_its_gradient_shown_but_no_penalty_as_in_training():
    run = _run("input 2\ndense 8 tanh\ndense 6 relu\ndense 2 softmax", "moons", freeze="0", l2=0.1)
    check = nbdl.gradient_check(run, samples=8)
    assert check.passed and check.checked == check.parameters
    X, y = run.data.train.X[:8], run.data.train.y[:8]
    with torch.no_grad():
        own = run.loss(run.logits(X), y) + run.penalty()  # the trainer's penalty skips the frozen weights
    assert check.value == pytest.approx(float(own), rel=1e-5)
    frozen = run.model.layers[0].linear.weight.detach().double()
    with_penalty = check.hand[0] - 2 * 0.1 * frozen.numpy()
    assert np.abs(with_penalty - check.autograd[0]).max() > 1e-3  # penalizing it would have shown


def test_large_gradients_are_compared_relative_to_their_size_and_no_input_line_is_needed():
    big = nbdl.gradient_check(nbdl.train("input 2\ndense 8 tanh\ndense 2 softmax", "moons", epochs=1, l2=1e6))
    assert big.scale > 1e5 and big.passed and "relative" in big.headline()
    bare = nbdl.gradient_check(nbdl.train("dense 8 relu\ndense 2 softmax", "moons", epochs=1))
    assert bare.passed and len(bare.rows) == 2
