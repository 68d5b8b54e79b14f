"""The coach names what goes wrong, once, with the figure behind it; healthy runs get no note."""
import warnings

import pytest

import nbdl
from nbdl.core import coach


def kinds(run) -> list[str]:
    return [note.kind for note in run.notes]


def quiet_train(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbdl.train(*args, **kwargs)


@pytest.mark.parametrize("net, data, settings", [
    ("input 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax", "moons", {"epochs": 60}),
    ("input 4\ndense 16 tanh\ndense 3 softmax", "iris", {"epochs": 80}),
    ("input 10\ndense 32 relu\ndense 1", "diabetes", {"epochs": 60}),
])
def test_a_healthy_run_gets_no_note(net, data, settings):
    assert kinds(nbdl.train(net, data, diagnostics=True, seed=0, **settings)) == []


@pytest.mark.slow
def test_a_large_network_on_a_small_noisy_set_overfits_and_the_coach_says_so():
    run = nbdl.train("input 2\n" + "dense 256 relu\n" * 3 + "dense 2 softmax", "moons", epochs=150, seed=1, lr=0.01,
                     diagnostics=True, data_options={"n": 60, "noise": 0.35})
    note = next(n for n in run.notes if n.kind == "overfitting")
    val, train = run.history["val_loss"], run.history["train_loss"]
    assert val[note.epoch - 1] > min(val[:note.epoch]) * 1.05 and train[note.epoch - 1] < train[0]
    assert "gap" in note.figure and "--l2" in note.advice and "--dropout" in note.advice
    # The same network with early stopping on the same data is not left to overfit.
    stopped = nbdl.train("input 2\n" + "dense 256 relu\n" * 3 + "dense 2 softmax", "moons", epochs=150, seed=1, lr=0.01,
                         diagnostics=True, data_options={"n": 60, "noise": 0.35}, early_stopping=3)
    assert stopped.epoch < note.epoch + 3


def test_a_learning_rate_far_too_low_is_flat():
    run = nbdl.train("input 2\ndense 16 relu\ndense 2 softmax", "moons", epochs=12, lr=1e-6, optimizer="sgd",
                     diagnostics=True, seed=0)
    assert kinds(run) == ["lr_low"]
    assert "1e-05" in run.notes[0].advice  # ten times the rate it had


def test_a_learning_rate_far_too_high_jumps_around():
    run = quiet_train("input 2\ndense 32 tanh\ndense 2 softmax", "moons", epochs=15, lr=1.0, optimizer="sgd",
                      diagnostics=True, seed=0)
    assert kinds(run) == ["lr_high"]
    assert "changed direction" in run.notes[0].figure and "--lr 0.2" in run.notes[0].advice
    calm = nbdl.train("input 2\ndense 32 tanh\ndense 2 softmax", "moons", epochs=15, lr=0.1, optimizer="sgd",
                      diagnostics=True, seed=0)
    assert "lr_high" not in kinds(calm)


def test_a_divergence_is_noted_as_exploding():
    run = quiet_train("input 2\n" + "dense 32 elu\n" * 4 + "dense 2 softmax", "moons", epochs=15, lr=2.0,
                      optimizer="sgd", diagnostics=True, seed=0)
    assert run.status == "diverged" and "exploding" in kinds(run)


def test_each_finding_is_said_once_and_only_with_diagnostics():
    net = "input 2\n" + "dense 16 sigmoid\n" * 9 + "dense 2 softmax"
    run = nbdl.train(net, "moons", epochs=6, diagnostics=True, seed=0)
    run.fit(4)
    assert kinds(run).count("vanishing") == 1 and run.notes[0].epoch == 1
    assert "x smaller" in run.notes[0].message and "kaiming" in run.notes[0].advice
    assert str(run.notes[0]).startswith("vanishing gradients")
    assert nbdl.train(net, "moons", epochs=3, seed=0).notes == []


def test_thresholds_are_documented_where_they_are_declared():
    for name in ("VANISHING", "EXPLODING", "DEAD", "SATURATED", "OVERFIT_RISE", "FLAT", "WINDOW"):
        assert name in coach.__doc__


def test_the_toy_example_of_the_readme_gets_no_note():
    run = nbdl.train("input 2\ndense 8 relu\ndense 8 tanh\ndense 2 softmax", "moons", epochs=30, lr=0.03,
                     diagnostics=True)
    assert kinds(run) == []


def test_units_that_keep_a_gradient_below_zero_are_not_called_dead():
    elu = nbdl.train("input 2\n" + "dense 16 elu\n" * 3 + "dense 2 softmax", "moons", init="kaiming(bias=-3)",
                     epochs=2, diagnostics=True)
    assert elu.history["dead_share"][-1] > 0.5  # never positive on the batch (the measure) ...
    assert "dead" not in kinds(elu)  # ... but an ELU unit there still learns: no "dying ReLUs" note
    vanishing = [n for n in elu.notes if n.kind == "vanishing"]
    assert all("elu" not in n.advice.split("Try")[0] or "kaiming" in n.advice for n in vanishing)
    assert all("relu, leaky_relu or elu" not in n.advice for n in vanishing)  # it already uses elu


def test_a_gradient_that_vanishes_to_exactly_zero_is_named():
    run = nbdl.train("input 2\n" + "dense 32 sigmoid\n" * 30 + "dense 2 softmax", "moons", epochs=2, diagnostics=True)
    assert run.instruments.figures["grad_norm"][-1][0] == 0
    note = next(n for n in run.notes if n.kind == "vanishing")
    assert "exactly 0" in note.message
