"""Each unit's output over the input plane: a hand forward pass through the weights at grid points,
the grid in the data's own units, the run's standardization applied, and clear refusals."""
import time

import numpy as np
import pytest
import torch
from torch import nn

import nbdl
from nbdl.core.errors import NbdlError
from nbdl.core.neurons import columns, neurons, unsupported


@pytest.fixture(scope="module")
def run():
    return nbdl.train("input 2\ndense 5 tanh\ndense 4 relu\ndense 2 softmax", data="moons", epochs=3, lr=0.05,
                      seed=3)


def _by_hand(run, point, layers):
    """Standardize ``point`` with the training points' own mean and std (numpy, float64), then apply
    each (weight, bias, activation) with torch, from the model's state dict."""
    X = run.data.raw("train")[0].astype(np.float64)
    z = torch.tensor((point - X.mean(axis=0)) / X.std(axis=0), dtype=torch.float64)
    state = {k: v.detach().cpu().double() for k, v in run.model.state_dict().items()}
    values = [z]
    for prefix, activation in layers:
        z = activation(state[f"{prefix}.linear.weight"] @ z + state[f"{prefix}.linear.bias"])
        values.append(z)
    return values


def test_every_unit_is_a_hand_forward_pass_at_grid_points(run):
    found = neurons(run, resolution=9)
    assert [len(c) for c in found.columns] == [2, 5, 4, 2]
    assert found.inputs.shape == (2, 9, 9) and found.output.shape == (2, 9, 9)
    layers = [("layers.0", torch.tanh), ("layers.1", torch.relu), ("layers.2", lambda v: torch.softmax(v, 0))]
    for row, col in ((0, 0), (4, 7), (8, 2), (6, 6)):
        point = np.array([found.xs[col], found.ys[row]])
        z, first, second, probabilities = _by_hand(run, point, layers)
        np.testing.assert_allclose(found.inputs[:, row, col], z.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(found.hidden[0][:, row, col], first.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(found.hidden[1][:, row, col], second.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(found.output[:, row, col], probabilities.numpy(), rtol=1e-4, atol=1e-5)
    state = {k: v.detach().cpu() for k, v in run.model.state_dict().items()}
    for weights, biases, prefix in zip(found.weights, found.biases, ("layers.0", "layers.1", "layers.2")):
        np.testing.assert_array_equal(weights, state[f"{prefix}.linear.weight"].numpy())
        np.testing.assert_array_equal(biases, state[f"{prefix}.linear.bias"].numpy())
    assert found.lines == [["dense 5 tanh"], ["dense 4 relu"], ["dense 2 softmax"]]


def test_the_grid_is_in_raw_units_around_the_data(run):
    found = neurons(run, resolution=11, margin=0.5)
    low, high = run.dataset.X.min(axis=0), run.dataset.X.max(axis=0)
    pad = (high - low) * 0.5
    np.testing.assert_allclose(found.extent, (low[0] - pad[0], high[0] + pad[0], low[1] - pad[1], high[1] + pad[1]),
                               rtol=1e-6)
    np.testing.assert_allclose(found.xs, np.linspace(found.extent[0], found.extent[1], 11))
    np.testing.assert_allclose(found.ys, np.linspace(found.extent[2], found.extent[3], 11))
    # Row i is at ys[i], column j at xs[j]: the output agrees with predict_proba at those raw points.
    for row, col in ((0, 10), (10, 0), (3, 5)):
        expected = run.predict_proba([[found.xs[col], found.ys[row]]])[0]
        np.testing.assert_allclose(found.output[:, row, col], expected, rtol=1e-5, atol=1e-6)


def test_the_runs_standardization_is_applied():
    raw = nbdl.train("input 2\ndense 3 tanh\ndense 2 softmax", data="moons", epochs=1, standardize=False)
    plain = neurons(raw, resolution=5)
    np.testing.assert_allclose(plain.inputs[0], np.broadcast_to(plain.xs, (5, 5)), rtol=1e-6)
    np.testing.assert_allclose(plain.inputs[1], np.broadcast_to(plain.ys[:, None], (5, 5)), rtol=1e-6)
    scaled = nbdl.train("input 2\ndense 3 tanh\ndense 2 softmax", data="moons", epochs=1)
    found = neurons(scaled, resolution=5)
    X = scaled.data.raw("train")[0].astype(np.float64)
    np.testing.assert_allclose(found.inputs[0], (np.broadcast_to(found.xs, (5, 5)) - X[:, 0].mean()) / X[:, 0].std(),
                               rtol=1e-4, atol=1e-5)


def test_batch_norm_and_dropout_lines_belong_to_their_column_in_eval_mode():
    run = nbdl.train("input 2\ndense 4 relu\nbatchnorm\ndropout 0.5\ndense 2 softmax", data="moons", epochs=2, seed=1)
    assert run.model.training  # as a fit leaves it
    found = neurons(run, resolution=6)
    assert run.model.training, "the model's mode is given back"
    assert found.lines == [["dense 4 relu", "batchnorm", "dropout 0.5"], ["dense 2 softmax"]]
    state = {k: v.detach().cpu().double() for k, v in run.model.state_dict().items()}
    point = np.array([found.xs[2], found.ys[4]])
    z = _by_hand(run, point, [])[0]
    h = torch.relu(state["layers.0.linear.weight"] @ z + state["layers.0.linear.bias"])
    normed = (h - state["layers.1.running_mean"]) / torch.sqrt(state["layers.1.running_var"] + 1e-5) \
        * state["layers.1.weight"] + state["layers.1.bias"]  # dropout: nothing in eval mode
    np.testing.assert_allclose(found.hidden[0][:, 4, 2], normed.numpy(), rtol=1e-4, atol=1e-5)
    assert len(columns(run.model)[1]) == 2


def test_a_number_is_given_in_the_targets_units():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 2))
    y = 100 + 30 * X[:, 0] - 10 * X[:, 1]
    run = nbdl.train("input 2\ndense 6 tanh\ndense 1", data=nbdl.data.from_arrays(X, y, task="regression"),
                     epochs=5, lr=0.02)
    found = neurons(run, resolution=4)
    assert found.output.shape == (1, 4, 4)
    grid = np.array([[x, y] for y in found.ys for x in found.xs])
    np.testing.assert_allclose(found.output[0].reshape(-1), run.predict(grid)[:, 0], rtol=1e-5)


def test_input_features_are_the_input_column_over_the_plane():
    features = "x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)"
    run = nbdl.train("input 7\ndense 3 tanh\ndense 2 softmax", data="circles", data_options={"features": features},
                     epochs=2)
    found = neurons(run, resolution=5)
    assert len(found.inputs) == 7
    points = run.data.raw("train")[0]
    assert points.shape[1] == 2 and found.extent[0] < points[:, 0].min()  # the plane of the points, not features
    grid = np.array([[x, y] for y in found.ys for x in found.xs])
    np.testing.assert_allclose(np.moveaxis(found.output, 0, -1).reshape(-1, 2), run.predict_proba(grid), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("make, says", [
    (lambda: nbdl.train("input 64\ndense 8 relu\ndense 10 softmax", data="digits", epochs=1), "2-D points"),
    (lambda: nbdl.train("conv 4 3 relu\nflatten\ndense 10 softmax", data="digits_images", epochs=1), "2-D points"),
    (lambda: nbdl.train(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)), data="moons", epochs=1),
     "module of your own"),
])
def test_what_it_cannot_draw_is_refused_clearly(make, says):
    run = make()
    assert says in unsupported(run)
    with pytest.raises(NbdlError, match=says):
        neurons(run)


def test_layers_it_does_not_draw_are_named():
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 4 relu\ndense 2 softmax", data="moons"))
    assert unsupported(run) == ""
    with pytest.raises(NbdlError, match="takes a run"):
        neurons("not a run")
    with pytest.raises(NbdlError, match="resolution"):
        neurons(run, resolution=1)


def test_a_small_network_on_a_40_by_40_grid_takes_a_few_milliseconds():
    run = nbdl.train("input 2\ndense 8 relu\ndense 8 relu\ndense 2 softmax", data="moons", epochs=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in a fit of a small network
    try:
        neurons(run, resolution=40)
        times = []
        for _ in range(15):
            started = time.perf_counter()
            neurons(run, resolution=40)
            times.append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    assert np.median(times) < 0.02, times  # ~1.5 ms here when the machine is quiet
