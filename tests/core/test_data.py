"""Built-in data sets, the user's arrays, DataFrames and tensors, splits and standardization."""
import numpy as np
import pandas as pd
import pytest
import torch

import nbdl
from nbdl.data import Splits, from_arrays, load


@pytest.mark.parametrize("name, classes", [("moons", 2), ("circles", 2), ("xor", 2), ("spiral", 2), ("blobs", 3)])
def test_toy_sets_have_the_asked_size_and_are_seeded(name, classes):
    data = load(name, n=150, noise=0.1, seed=4)
    assert data.X.shape == (150, 2) and data.X.dtype == np.float32
    assert data.task == "classification" and data.n_classes == classes
    assert sorted(np.unique(data.y)) == list(range(classes))
    counts = list(data.class_counts().values())
    assert min(counts) >= 0.8 * max(counts)  # balanced (xor's points are drawn at random)
    again, other = load(name, n=150, noise=0.1, seed=4), load(name, n=150, noise=0.1, seed=5)
    assert np.array_equal(again.X, data.X) and not np.array_equal(other.X, data.X)


def test_toy_set_geometry():
    circles = load("circles", n=400, noise=0.0)
    radius = np.linalg.norm(circles.X, axis=1)
    assert np.allclose(radius[circles.y == 0], 1.0) and np.allclose(radius[circles.y == 1], 0.5)
    xor = load("xor", n=400, noise=0.0)
    assert np.array_equal(xor.y, (xor.X[:, 0] * xor.X[:, 1] < 0).astype(int))
    noisy = load("moons", n=400, noise=0.5)
    assert noisy.X.std() > load("moons", n=400, noise=0.0).X.std()


@pytest.mark.parametrize("name, shape, task, classes", [
    ("digits", (1797, 64), "classification", 10),
    ("digits_images", (1797, 1, 8, 8), "classification", 10),
    ("iris", (150, 4), "classification", 3),
    ("wine", (178, 13), "classification", 3),
    ("breast_cancer", (569, 30), "classification", 2),
    ("diabetes", (442, 10), "regression", None),
])
def test_real_sets_from_scikit_learn(name, shape, task, classes):
    data = load(name)
    assert data.X.shape == shape and data.task == task and data.n_classes == classes
    if task == "regression":
        assert data.y.shape == (442, 1) and data.target_width == 1
    assert load(name, n=50).X.shape == (50, *shape[1:])


def test_split_sizes_stratification_and_seed():
    data = load("moons", n=200)
    splits = Splits(data, val=0.25, test=0.15, seed=0)
    assert splits.sizes == {"train": 120, "val": 50, "test": 30}
    for part in (splits.train, splits.val, splits.test):
        assert (part.y == 0).sum().item() == (part.y == 1).sum().item()  # classes keep their shares
    all_rows = torch.cat([splits.train.X, splits.val.X, splits.test.X])
    assert len(torch.unique(all_rows, dim=0)) == 200  # nothing lost, nothing repeated
    assert torch.equal(Splits(data, 0.25, 0.15, seed=0).val.X, splits.val.X)
    assert not torch.equal(Splits(data, 0.25, 0.15, seed=1).val.X, splits.val.X)


def test_standardization_is_fitted_on_the_training_part_only():
    rng = np.random.default_rng(0)
    X = rng.normal(5, 3, (300, 4)).astype(np.float32)
    splits = Splits(from_arrays(X, rng.normal(size=300)), val=0.2, test=0.2, seed=0)
    torch.testing.assert_close(splits.train.X.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(splits.train.X.std(0, unbiased=False), torch.ones(4), atol=1e-5, rtol=0)
    assert splits.val.X.mean(0).abs().max() > 1e-4  # val is scaled with the training figures, not its own
    # The figures are the training rows' own: undo the scaling, find those rows in X, average them.
    restored = splits.train.X.numpy() * splits.std + splits.mean
    rows = [int(np.argmin(np.abs(X - row).sum(1))) for row in restored]
    np.testing.assert_allclose(splits.mean[0], X[rows].mean(0), rtol=1e-5)
    np.testing.assert_allclose(splits.std[0], X[rows].std(0), rtol=1e-5)


def test_images_are_standardized_per_channel():
    splits = Splits(load("digits_images"), seed=0)
    assert splits.mean.shape == (1, 1, 1, 1)
    assert splits.train.X.mean().item() == pytest.approx(0, abs=1e-5)


def test_user_arrays_dataframes_and_tensors():
    X = np.arange(20, dtype=float).reshape(10, 2)
    labels = np.array(["cat", "dog"] * 5)
    data = from_arrays(X, labels)
    assert data.class_names == ["cat", "dog"] and list(data.y[:2]) == [0, 1]
    tensors = from_arrays(torch.tensor(X), torch.tensor([0, 1] * 5))
    assert tensors.task == "classification" and tensors.n_classes == 2
    assert from_arrays(X, X[:, 0] * 0.5).task == "regression"
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "kind": labels})
    from_frame = nbdl.data.as_dataset(frame, target="kind")
    assert from_frame.X.shape == (10, 2) and from_frame.feature_names == ["a", "b"] and from_frame.n_classes == 2


def test_training_on_a_dataframe_with_a_target_column():
    data = load("iris")
    frame = pd.DataFrame(data.X, columns=["sl", "sw", "pl", "pw"]).assign(species=np.array(data.class_names)[data.y])
    run = nbdl.train("dense 16 relu\ndense 3 softmax", data=frame, data_options={"target": "species"}, epochs=40, lr=0.01)
    assert run.evaluate("test")["accuracy"] >= 0.9
    assert run.dataset.class_names == ["setosa", "versicolor", "virginica"]
