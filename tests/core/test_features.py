"""Input features of 2-D points (``--features``): the columns against their formulas, the network's
input following them, predictions and pictures over the raw plane, checkpoints and JSON."""
import json

import numpy as np
import pytest

import nbdl
from nbdl import cli
from nbdl.core import features
from nbdl.core.config import Config, train_command
from nbdl.core.diagnostics import decision_grid
from nbdl.core.errors import spelled

ALL = "x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2)"
LINEAR = "input 2\ndense 2 softmax"  # no hidden layer: a straight boundary in the inputs it is given


def _by_hand(x1, x2):
    """The seven columns, written out independently of the registry."""
    return np.stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)


def test_the_columns_are_the_formulas_of_the_points():
    plain = nbdl.load_data("moons", n=120, noise=0.3, seed=3)
    data = nbdl.load_data("moons", n=120, noise=0.3, seed=3, features=ALL)
    assert np.array_equal(data.plane, plain.X) and np.array_equal(data.y, plain.y)
    x1, x2 = plain.X[:, 0].astype(np.float64), plain.X[:, 1].astype(np.float64)
    np.testing.assert_allclose(data.X, _by_hand(x1, x2), rtol=1e-6, atol=1e-7)
    assert data.sample_shape == (7,) and data.feature_names == ALL.split(",")
    assert data.options["features"] == ALL and data.features == tuple(ALL.split(","))
    assert [f.name for f in features.registry.records()] == ALL.split(",")
    assert all(f.help for f in features.registry.records())
    # Names are matched without case or spaces and written back as declared; the user's order is kept.
    assert nbdl.load_data("moons", features=" X2 ^ 2, x1 ").feature_names == ["x2^2", "x1"]


def test_the_default_leaves_the_data_as_it_is():
    plain = nbdl.load_data("circles")
    assert type(plain) is nbdl.Dataset and plain.options["features"] == "x1,x2" and plain.sample_shape == (2,)
    assert nbdl.load_data("circles", features="x1, x2").X is not None
    assert type(nbdl.load_data("circles", features="x1,x2")) is nbdl.Dataset


def test_squares_let_a_network_without_hidden_layer_separate_circles():
    with_squares = nbdl.train(LINEAR, "circles", data_options={"features": "x1^2,x2^2"}, epochs=40, lr=0.05, seed=0)
    plain = nbdl.train(LINEAR, "circles", epochs=40, lr=0.05, seed=0)
    squared, straight = with_squares.evaluate("test")["accuracy"], plain.evaluate("test")["accuracy"]
    print(f"circles, no hidden layer, test accuracy: x1^2,x2^2 {squared:.3f}; x1,x2 {straight:.3f}")
    assert squared >= 0.95
    assert straight <= 0.7  # a straight line through two rings: near chance (0.5)
    # Predictions on the raw 2-D points agree with the figures on the stored features.
    X, y = with_squares.data.raw("test")
    assert X.shape[1] == 2 and np.mean(with_squares.predict(X) == y) == pytest.approx(squared)


def test_the_network_input_follows_the_features():
    run = nbdl.Run(Config(network="dense 8 relu\ndense 2 softmax", data="circles",
                          data_options={"features": "x1,x2,x1^2,x2^2,x1*x2"}))
    assert run.model.layers[0][0].in_features == 5 and run.data.train.X.shape[1] == 5
    assert run.dataset.sample_shape == (5,)
    record = nbdl.data.registry.get("circles")
    assert record.shape(record.settle({"features": "x1^2,sin(x2),x1"})) == (3,)  # what the dashboard fits to
    with pytest.raises(nbdl.NbdlError, match="change it to 'input 5'"):
        nbdl.Run(Config(network="input 2\ndense 2 softmax", data="circles",
                        data_options={"features": "x1,x2,x1^2,x2^2,x1*x2"}))


def test_new_points_are_made_into_the_same_features_before_standardizing():
    run = nbdl.train("dense 2 softmax", "xor", data_options={"features": "x1*x2"}, epochs=5, seed=1)
    points = np.array([[0.5, 0.5], [-0.5, 0.5], [1.0, -2.0]], dtype=np.float32)
    expected = (points[:, :1] * points[:, 1:] - run.data.mean) / run.data.std
    np.testing.assert_allclose(run.data.transform(points).numpy(), expected, rtol=1e-5)
    assert run.predict_proba(points).shape == (3, 2)
    assert run.predict(points[0]).shape == (1,)  # one point as a flat pair
    with pytest.raises(nbdl.NbdlError, match=r"samples of shape \(1,\) do not fit.*2-D points, made into the input "
                                             r"features x1\*x2"):
        run.predict_proba(np.zeros((4, 1)))
    train_points, _ = run.data.raw("train")
    assert np.array_equal(train_points, run.dataset.plane[run.data.indices["train"]])


def test_decision_regions_are_drawn_over_the_raw_plane():
    run = nbdl.train(LINEAR, "circles", data_options={"features": "x1^2,x2^2"}, epochs=40, lr=0.05, seed=0)
    grid = decision_grid(run, resolution=41, margin=0.0)
    plane = run.dataset.plane
    assert grid.extent == pytest.approx((plane[:, 0].min(), plane[:, 0].max(), plane[:, 1].min(), plane[:, 1].max()))
    assert grid.extent[0] < 0  # the points' x1, not x1^2 (which is never below 0)
    inner = grid.probabilities[20, 20, 1]     # the centre: the small circle, class 1
    corners = grid.probabilities[[0, 0, -1, -1], [0, -1, 0, -1], 0]  # far out: the large circle's side, class 0
    assert inner > 0.9 and (corners > 0.9).all()
    # A ring boundary: class 1 inside a radius, class 0 outside it, whatever the direction.
    xs = np.linspace(grid.extent[0], grid.extent[1], 41)
    ys = np.linspace(grid.extent[2], grid.extent[3], 41)
    radius = np.hypot(*np.meshgrid(xs, ys))
    inside = grid.probabilities[..., 1] > 0.5
    assert radius[inside].max() < radius[~inside].min() + 0.15


def test_a_features_run_is_saved_and_loaded(tmp_path):
    run = nbdl.train(LINEAR, "circles", data_options={"features": "x1^2,x2^2"}, epochs=3, seed=2)
    run.save(tmp_path / "run.safetensors")
    back = nbdl.load(tmp_path / "run.safetensors")
    assert back.config.data_options == {"features": "x1^2,x2^2"} and back.dataset.features == ("x1^2", "x2^2")
    points = np.random.default_rng(0).uniform(-1.5, 1.5, (30, 2))
    np.testing.assert_array_equal(back.predict_proba(points), run.predict_proba(points))


def test_your_own_points_take_features_too(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (200, 2)).astype(np.float32)
    y = (np.hypot(X[:, 0], X[:, 1]) < 0.6).astype(int)
    run = nbdl.train(LINEAR, (X, y), data_options={"features": "x1^2,x2^2"}, epochs=3, seed=0)
    assert run.dataset.sample_shape == (2,) and np.array_equal(run.dataset.plane, X)
    run.save(tmp_path / "own.safetensors")
    back = nbdl.load(tmp_path / "own.safetensors", data=(X, y))  # the option stays with the given data
    np.testing.assert_array_equal(back.predict_proba(X[:10]), run.predict_proba(X[:10]))
    data = nbdl.data.as_dataset(nbdl.data.from_arrays(X, y), features="sin(x1)")
    assert data.sample_shape == (1,)
    again = features.apply(data, "x1*x2")  # features of featured data are made from its points anew
    np.testing.assert_allclose(again.X[:, 0], X[:, 0] * X[:, 1], rtol=1e-6)


def test_subsets_keep_the_points_with_their_features():
    data = nbdl.load_data("blobs", n=90, features="x1^2,x1*x2")
    for part in (nbdl.data.subsample(data, 30, seed=1), nbdl.data.select(data, classes=[0, 2])):
        assert isinstance(part, features.FeaturedDataset) and len(part.plane) == len(part)
        np.testing.assert_allclose(part.X, features.compute(part.features, part.plane))


def test_bad_features_are_refused_with_the_choices():
    with pytest.raises(nbdl.NbdlError, match=r"^unknown input feature 'x3'; choose one of: sin\(x1\), sin\(x2\), x1, "
                                             r"x1\*x2, x1\^2, x2, x2\^2$"):
        nbdl.load_data("circles", features="x1,x3")
    with pytest.raises(nbdl.NbdlError, match="names x1\\^2 more than once"):
        nbdl.load_data("circles", features="x1^2,X1 ^2")
    with pytest.raises(nbdl.NbdlError, match="at least one input feature"):
        nbdl.load_data("circles", features=" , ")
    with pytest.raises(nbdl.NbdlError, match="data set 'iris' takes no features"):
        nbdl.load_data("iris", features="x1^2")
    with pytest.raises(nbdl.NbdlError, match=r"from 2-D points .* samples of shape \(3,\); leave features at x1,x2"):
        nbdl.data.as_dataset((np.zeros((4, 3)), [0, 1, 0, 1]), features="x1^2")
    with pytest.raises(nbdl.NbdlError, match=r"the input features x1\^2 reach 1e\+40.*divide x1 and x2 by 1e\+20"):
        nbdl.data.as_dataset((np.full((4, 2), 1e20), [0, 1, 0, 1]), features="x1^2")


def test_json_and_the_train_line_keep_the_option():
    config = Config(network=LINEAR, data="circles", data_options={"features": "x1^2,x2^2"}).validate()
    assert Config.from_dict(json.loads(json.dumps(config.to_dict()))).data_options == {"features": "x1^2,x2^2"}
    line = train_command(config, "net")
    assert "--features 'x1^2,x2^2'" in line
    _, args = cli.parse(line[len("%nbdl "):])
    assert cli.given_data_options(args, "circles") == {"features": "x1^2,x2^2"}


def test_the_magic_parses_the_flag_and_its_help_lists_the_features():
    command, args = cli.parse("train net --data circles --features x1^2,x2^2")
    assert command == "train" and cli.given_data_options(args, "circles") == {"features": "x1^2,x2^2"}
    _, args = cli.parse("train net --data points --features sin(x1),x1*x2")
    assert cli.given_data_options(args, object()) == {"features": "sin(x1),x1*x2"}  # your own data
    assert "--features" in cli.flags("train") and "--features" in cli.flags("dashboard")
    help_text = " ".join(cli.build_parsers()["train"].format_help().split())
    assert "--features LIST input features made from 2-D points" in help_text
    assert "x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)" in help_text and "circles x1,x2" in help_text
    with spelled("magic"), pytest.raises(nbdl.NbdlError, match="^unknown input feature 'x3'"):
        cli.given_data_options(cli.parse("train net --data circles --features x3")[1], "circles")
