"""L1 and L2 penalties, early stopping, dropout and batch norm, and weight initialization."""
import pytest
import torch

import nbdl
from test_optimizers import NET, _reference_steps, flags


def _weights(model):
    return [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]


@pytest.mark.parametrize("l1, l2", [(0.01, 0.0), (0.0, 0.02), (0.005, 0.01)])
def test_penalty_is_computed_exactly_and_logged_apart(l1, l2, blobs_xy):
    run = nbdl.Run(nbdl.Config(network=NET, data=blobs_xy, optimizer="sgd", lr=0.05, batch_size=16,
                               epochs=2, l1=l1, l2=l2, seed=1))
    by_hand = sum(l1 * w.abs().sum() + l2 * (w ** 2).sum() for w in _weights(run.model))
    torch.testing.assert_close(run.penalty(), by_hand)
    # Training with it follows a hand-written loop that adds the same penalty to the loss.
    expected = _reference_steps(run, lambda p: torch.optim.SGD(p, lr=0.05, **flags(run)), 16, 2,
                                penalty=lambda m: sum(l1 * w.abs().sum() + l2 * (w ** 2).sum() for w in _weights(m)))
    run.fit()
    for a, b in zip(run.model.parameters(), expected[-1]):
        torch.testing.assert_close(a.detach(), b, rtol=1e-6, atol=1e-7)
    assert len(run.history["train_penalty"]) == 2 and run.history["train_penalty"][-1] > 0
    # train_loss is the data loss alone, comparable with val_loss.
    unpenalized = nbdl.train(NET, data=blobs_xy, optimizer="sgd", lr=0.05, batch_size=16, epochs=2, seed=1)
    assert "train_penalty" not in unpenalized.history


def test_l2_shrinks_the_weights(blobs_xy):
    def norm(l2):
        run = nbdl.train(NET, data=blobs_xy, epochs=30, lr=0.01, l2=l2, seed=0)
        return sum((w ** 2).sum().item() for w in _weights(run.model))
    assert norm(0.05) < 0.5 * norm(0.0)


def test_l1_drives_weights_to_zero(blobs_xy):
    def small_share(l1):
        run = nbdl.train(NET, data=blobs_xy, epochs=60, lr=0.01, l1=l1, seed=0)
        w = torch.cat([w.flatten() for w in _weights(run.model)])
        return (w.abs() < 1e-2).float().mean().item()
    assert small_share(0.01) > small_share(0.0) + 0.2


def test_early_stopping_stops_and_restores_the_best_weights():
    # A wide network on few noisy points overfits: validation loss turns up after a while.
    run = nbdl.train("input 2\ndense 128 relu\ndense 128 relu\ndense 2 softmax", data="moons",
                     data_options={"n": 80, "noise": 0.45}, lr=0.01, epochs=400, early_stopping=5, seed=0)
    best = min(run.history["val_loss"])
    assert run.epoch < 400, "training should have stopped early"
    assert run.best_epoch == run.history["val_loss"].index(best) + 1
    assert run.epoch == run.best_epoch + 5
    assert run.evaluate("val")["loss"] == pytest.approx(best, rel=1e-6)
    assert "early stopping" in run.stop_reason


def test_early_stopping_without_restore_keeps_the_last_weights():
    run = nbdl.train("input 2\ndense 128 relu\ndense 128 relu\ndense 2 softmax", data="moons",
                     data_options={"n": 80, "noise": 0.45}, lr=0.01, epochs=400, early_stopping=5,
                     restore_best=False, seed=0)
    assert run.evaluate("val")["loss"] == pytest.approx(run.history["val_loss"][-1], rel=1e-6)
    assert run.history["val_loss"][-1] > min(run.history["val_loss"])


def test_dropout_is_on_in_training_and_off_in_evaluation():
    net = nbdl.build("input 50\ndropout 0.5")
    x = torch.ones(4, 50)
    out = net.train()(x)
    assert ((out == 0) | (out == 2)).all() and (out == 0).any()  # kept values scaled by 1 / (1 - p)
    assert torch.equal(net.eval()(x), x)


def test_batchnorm_normalizes_each_feature_over_the_batch():
    net = nbdl.build("input 3\nbatchnorm").train()
    out = net(torch.randn(64, 3) * 5 + 7)
    torch.testing.assert_close(out.mean(dim=0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(dim=0, unbiased=False), torch.ones(3), atol=1e-3, rtol=0)


def test_zeros_init_keeps_hidden_units_identical(blobs_xy):
    """The symmetry problem: units that start equal get equal gradients and never differ."""
    run = nbdl.train("input 4\ndense 6 tanh\ndense 3 softmax", data=blobs_xy, init="zeros", epochs=5, lr=0.05)
    hidden = run.model.layers[0].linear.weight
    assert torch.allclose(hidden, hidden[:1].expand_as(hidden))
    other = nbdl.train("input 4\ndense 6 tanh\ndense 3 softmax", data=blobs_xy, init="xavier", epochs=5, lr=0.05)
    assert not torch.allclose(other.model.layers[0].linear.weight, other.model.layers[0].linear.weight[:1])


@pytest.mark.parametrize("scheme, bound", [
    ("xavier", (6 / (100 + 200)) ** 0.5),   # uniform(-a, a), a = sqrt(6 / (fan_in + fan_out))
    ("kaiming", (6 / 100) ** 0.5),          # uniform(-a, a), a = sqrt(6 / fan_in) for relu
])
def test_uniform_initializations_have_their_bounds(scheme, bound):
    run = nbdl.Run(nbdl.Config(network="input 100\ndense 200\ndense 2 softmax", init=scheme,
                               data=(torch.randn(10, 100), torch.arange(10) % 2)))
    w = run.model.layers[0].linear.weight
    assert w.abs().max().item() <= bound
    assert w.abs().max().item() > 0.95 * bound
    assert w.std().item() == pytest.approx(bound / 3 ** 0.5, rel=0.05)  # std of uniform(-a, a)
    assert torch.equal(run.model.layers[0].linear.bias.cpu(), torch.zeros(200))


def test_normal_initialization_has_the_given_std():
    run = nbdl.Run(nbdl.Config(network="input 100\ndense 300\ndense 2 softmax", init="normal(0.05)",
                               data=(torch.randn(10, 100), torch.arange(10) % 2)))
    assert run.model.layers[0].linear.weight.std().item() == pytest.approx(0.05, rel=0.03)


def test_dropout_setting_adds_or_sets_dropout_layers(blobs_xy):
    run = nbdl.Run(nbdl.Config(network="input 4\ndense 8 relu\ndense 8 relu\ndense 3 softmax", data=blobs_xy, dropout=0.3))
    rates = [m.p for m in run.model.modules() if isinstance(m, torch.nn.Dropout)]
    assert rates == [0.3, 0.3]  # after each hidden layer, not after the output
    run = nbdl.Run(nbdl.Config(network="input 4\ndense 8 relu\ndropout 0.1\ndense 3 softmax", data=blobs_xy, dropout=0.5))
    assert [m.p for m in run.model.modules() if isinstance(m, torch.nn.Dropout)] == [0.5]
    with pytest.raises(nbdl.NbdlError, match=r"dropout=0.2 asked for but the network has no dropout layer"):
        nbdl.Run(nbdl.Config(network=torch.nn.Linear(4, 3), data=blobs_xy, dropout=0.2))
    with pytest.raises(nbdl.NbdlError, match=r"dropout must be a number in \[0, 1\), got 1.2"):
        nbdl.Run(nbdl.Config(network="input 4\ndense 3 softmax", data=blobs_xy, dropout=1.2))
