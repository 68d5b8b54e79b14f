"""The loss landscape: filter normalisation, the plane's centre and the line's ends against each
run's own loss, the trajectory's PCA plane, weights restored bit for bit, clear refusals."""
import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import NbdlError
from nbdl.core import landscape

NET = "input 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax"


@pytest.fixture(scope="module")
def runs():
    trajectory = landscape.Trajectory()
    small = nbdl.train(NET, data="moons", epochs=12, lr=0.02, optimizer="adam", seed=1, batch_size=8,
                       callbacks=[trajectory])
    large = nbdl.train(NET, data="moons", epochs=12, lr=0.02, optimizer="adam", seed=1, batch_size=256)
    return small, large, trajectory


def _state(run):
    return {k: v.clone() for k, v in run.model.state_dict().items()}


def _same(before, run):
    after = run.model.state_dict()
    return before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)


def test_filter_normalised_rows_have_the_weights_row_norms():
    weights = {"conv": torch.randn(4, 3, 3, 3), "dense": torch.randn(5, 7), "bias": torch.randn(5), "norm": torch.randn(4)}
    direction = landscape.filter_normalised({k: torch.randn_like(v) * 10 for k, v in weights.items()}, weights)
    for key in ("conv", "dense"):
        rows, want = direction[key].reshape(len(weights[key]), -1), weights[key].reshape(len(weights[key]), -1)
        assert torch.allclose(rows.norm(dim=1), want.norm(dim=1), rtol=1e-5)
    assert not direction["bias"].any() and not direction["norm"].any()


def test_random_directions_follow_the_runs_weights(runs):
    small, _, _ = runs
    d1, d2 = landscape.random_directions(small, seed=3)
    for name, p in small.model.named_parameters():
        if p.dim() > 1:
            assert torch.allclose(d1[name].norm(dim=1), p.detach().norm(dim=1), rtol=1e-5)
            assert not torch.allclose(d1[name], d2[name])
        else:
            assert not d1[name].any()
    again = landscape.random_directions(small, seed=3)[0]
    assert all(torch.equal(again[k], d1[k]) for k in d1)


def test_the_planes_centre_is_the_runs_loss_and_the_weights_come_back(runs):
    _, large, _ = runs
    before = _state(large)
    plane = large.landscape(resolution=7, span=0.5)  # no trajectory on this run: random directions
    assert plane.method == "filter-normalised random directions" and plane.path is None
    assert plane.losses.shape == (7, 7) and np.isfinite(plane.losses).all()
    own = large.evaluate("train")["loss"]
    assert plane.centre_loss == pytest.approx(own, rel=1e-6)
    assert plane.losses[3, 3] == pytest.approx(own, rel=1e-6)  # a = b = 0
    assert plane.losses.max() > own  # off-centre is worse somewhere
    assert _same(before, large)
    assert large.landscape(resolution=7, span=0.5, split="val").centre_loss == pytest.approx(
        large.evaluate("val")["loss"], rel=1e-6)


def test_the_trajectory_plane_projects_the_path_on_its_principal_directions(runs):
    small, _, trajectory = runs
    before = _state(small)
    assert trajectory.epochs == list(range(13))  # the start and each of 12 epochs
    plane = small.landscape(resolution=9)  # the trajectory recorded on the run is found
    assert plane.method.startswith("PCA") and plane.path.shape == (13, 2) and plane.epochs == trajectory.epochs
    assert plane.path[-1] == pytest.approx((0, 0), abs=1e-4)  # the last snapshot is the weights now
    assert 0.5 < plane.explained[0] <= 1 and plane.explained[0] >= plane.explained[1] > 0
    assert "%" in plane.labels[0] and "%" in plane.labels[1]
    assert plane.a.min() <= plane.path[:, 0].min() and plane.a.max() >= plane.path[:, 0].max()
    assert plane.b.min() <= plane.path[:, 1].min() and plane.b.max() >= plane.path[:, 1].max()
    # The projection: the weights moved by the first start's coordinates should be in the plane.
    names, now = landscape.flat_weights(small.model)
    start = trajectory.snapshots[0].double().cpu() - now.double().cpu()  # snapshots are kept on the CPU
    directions, _, _ = landscape.pca_directions(small, trajectory)
    flat = [torch.cat([d[n].reshape(-1) for n in names]).double().cpu() for d in directions]
    assert float(flat[0] @ flat[1]) == pytest.approx(0, abs=1e-5) and float(flat[0].norm()) == pytest.approx(1, rel=1e-5)
    assert plane.path[0] == pytest.approx([float(start @ flat[0]), float(start @ flat[1])], rel=1e-4)
    assert _same(before, small)


def test_a_trajectory_keeps_a_bounded_even_spread():
    trajectory = landscape.Trajectory(most=5)
    run = nbdl.train("input 2\ndense 4 relu\ndense 2 softmax", data="moons", epochs=11, lr=0.05, seed=0,
                     callbacks=[trajectory])
    assert len(trajectory.snapshots) <= 5 and trajectory.epochs[0] == 0 and trajectory.epochs[-1] == 11
    assert trajectory.epochs == sorted(trajectory.epochs)
    assert torch.equal(trajectory.snapshots[-1], landscape.flat_weights(run.model)[1])


def test_interpolation_ends_are_each_runs_own_loss(runs):
    small, large, _ = runs
    before_a, before_b = _state(small), _state(large)
    line = small.landscape(large, alphas=[0.0, 0.5, 1.0])
    for split in ("train", "val"):
        assert line.losses[split][0] == pytest.approx(small.evaluate(split)["loss"], rel=1e-6)
        assert line.losses[split][2] == pytest.approx(large.evaluate(split)["loss"], rel=1e-5)
        assert line.accuracies[split][0] == pytest.approx(small.evaluate(split)["accuracy"])
    assert _same(before_a, small) and _same(before_b, large)
    assert len(landscape.interpolate(small, large).alphas) == 41


def test_runs_on_other_data_or_networks_are_refused(runs):
    small, _, _ = runs
    other_seed = nbdl.train(NET, data="moons", epochs=1, seed=2)
    with pytest.raises(NbdlError, match="different train data.*same seed"):
        landscape.interpolate(small, other_seed)
    wider = nbdl.train("input 2\ndense 8 relu\ndense 16 relu\ndense 2 softmax", data="moons", epochs=1, seed=1)
    with pytest.raises(NbdlError, match="networks differ"):
        landscape.interpolate(small, wider)
    with pytest.raises(NbdlError, match="not recorded on this run"):
        landscape.plane(wider, trajectory=landscape.recorded_trajectory(small))
    with pytest.raises(NbdlError, match="most must be a whole number >= 3, got 2"):
        landscape.Trajectory(most=2)
    with pytest.raises(NbdlError, match="resolution"):
        small.landscape(resolution=1)


def test_options_the_chosen_measure_does_not_take_are_refused(runs):
    small, large, _ = runs
    before = _state(small)
    with pytest.raises(NbdlError, match=r"the plane .* takes no 'foo'; it takes resolution, span, seed, split"):
        small.landscape(foo=1)
    with pytest.raises(NbdlError, match=r"the line to another run takes no 'resolution'; it takes alphas"):
        small.landscape(large, resolution=5)
    with pytest.raises(NbdlError, match="seed must be a whole number"):
        small.landscape(seed="x", resolution=3)
    with pytest.raises(NbdlError, match="trajectory takes a Trajectory.*got int"):
        small.landscape(trajectory=5, resolution=3)
    with pytest.raises(NbdlError, match="most must be a whole number"):
        landscape.Trajectory(most="x")
    assert _same(before, small)


def test_trajectory_false_gives_the_random_plane_on_a_run_that_recorded_one(runs):
    small, _, _ = runs
    plane = small.landscape(resolution=3, trajectory=False)
    assert plane.method == "filter-normalised random directions" and plane.path is None
    assert plane.a.tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize("options, message", [
    ({"alphas": "abc"}, "alphas must be a non-empty list"), ({"splits": ()}, "at least one split"),
])
def test_a_line_with_nothing_to_measure_is_refused(runs, options, message):
    small, large, _ = runs
    with pytest.raises(NbdlError, match=message):
        small.landscape(large, **options)
