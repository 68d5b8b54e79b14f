"""Every optimizer through nbdl takes the same steps as a hand-written torch.optim loop."""
import copy

import pytest
import torch
import torch.nn.functional as F

import nbdl
from nbdl.core import optimizers

NET = "input 4\ndense 8 tanh\ndense 3 softmax"

# name: (torch optimizer, its arguments written out here, batch size nbdl is given)
REFERENCE = {
    "gd": (torch.optim.SGD, {"lr": 0.1}, None),  # full batch
    "sgd": (torch.optim.SGD, {"lr": 0.01}, 1),    # one sample per step
    "momentum": (torch.optim.SGD, {"lr": 0.01, "momentum": 0.9}, 16),
    "nesterov": (torch.optim.SGD, {"lr": 0.01, "momentum": 0.9, "nesterov": True}, 16),
    "adam": (torch.optim.Adam, {"lr": 1e-3}, 16),
    "adamw": (torch.optim.AdamW, {"lr": 1e-3, "weight_decay": 0.01}, 16),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.01}, 16),
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.01}, 16),
}


def _snapshots(run):
    """Record every parameter after every step."""
    taken = []
    run.callbacks.append(nbdl.Callback())
    run.callbacks[-1].on_batch_end = lambda run, logs: taken.append([p.detach().clone() for p in run.model.parameters()])
    return taken


def flags(run):
    """The implementation flags nbdl chose (fused or foreach): the reference uses the same ones."""
    return {k: run.optimizer.defaults[k] for k in ("fused", "foreach") if run.optimizer.defaults.get(k)}


def _reference_steps(run, make_optimizer, batch_size, epochs, penalty=None):
    """A hand-written loop: same initial weights, same shuffles (a generator seeded like the run)."""
    model = copy.deepcopy(run.model)
    optimizer = make_optimizer(model.parameters())
    X, y = run.data.train.X, run.data.train.y
    shuffle = torch.Generator().manual_seed(run.config.seed)
    steps = []
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=shuffle)
        for start in range(0, len(X), batch_size):
            index = order[start:start + batch_size]
            loss = F.cross_entropy(model.logits(X[index]), y[index])
            total = loss + penalty(model) if penalty else loss
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            steps.append([p.detach().clone() for p in model.parameters()])
    return steps


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_optimizer_matches_hand_written_torch_loop(name, blobs_xy):
    cls, kwargs, batch_size = REFERENCE[name]
    run = nbdl.Run(nbdl.Config(network=NET, data=blobs_xy, optimizer=name, batch_size=batch_size,
                               epochs=2, seed=3, test_split=0.0))
    before = [p.detach().clone() for p in run.model.parameters()]
    expected = _reference_steps(run, lambda p: cls(p, **kwargs, **flags(run)), batch_size or len(run.data.train), 2)
    taken = _snapshots(run)
    run.fit()
    assert len(taken) == len(expected) == run.global_step
    for step, (ours, theirs) in enumerate(zip(taken, expected)):
        for a, b in zip(ours, theirs):
            assert torch.equal(a, b), f"{name}: parameters differ after step {step + 1}"
    assert not all(torch.equal(a, b) for a, b in zip(before, taken[-1])), "the weights never moved"


def test_hyperparameters_reach_the_optimizer(blobs_xy):
    settings = {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.001}
    run = nbdl.Run(nbdl.Config(network=NET, data=blobs_xy, optimizer="adam", batch_size=8, epochs=1, seed=0, **settings))
    expected = _reference_steps(run, lambda p: torch.optim.Adam(p, **settings, **flags(run)), 8, 1)
    run.fit()
    for a, b in zip(run.model.parameters(), expected[-1]):
        assert torch.equal(a.detach(), b)


def test_full_batch_gradient_descent_takes_one_step_per_epoch(blobs_xy):
    sizes = []
    run = nbdl.train(NET, data=blobs_xy, optimizer="gd", epochs=7,
                     callbacks=[type("Sizes", (nbdl.Callback,), {"on_batch_end": lambda self, r, logs: sizes.append(logs["size"])})()])
    assert run.global_step == 7
    assert sizes == [run.split_sizes["train"]] * 7


def test_an_optimizer_refuses_settings_it_does_not_take(blobs_xy):
    with pytest.raises(nbdl.NbdlError, match=r"optimizer 'sgd' takes no betas; it takes lr, momentum, weight_decay"):
        nbdl.Run(nbdl.Config(network=NET, data=blobs_xy, optimizer="sgd", betas=(0.9, 0.99)))


@pytest.mark.parametrize("schedule, expected", [
    ("step(2, 0.5)", [0.1, 0.1, 0.05, 0.05, 0.025]),
    ("cosine", [0.1 * (1 + torch.cos(torch.tensor(torch.pi * e / 5)).item()) / 2 for e in range(5)]),
])
def test_learning_rate_schedules(schedule, expected, blobs_xy):
    run = nbdl.train(NET, data=blobs_xy, optimizer="sgd", lr=0.1, epochs=5, schedule=schedule)
    assert run.history["lr"] == pytest.approx(expected)


def test_reduce_on_plateau_lowers_the_rate_when_validation_stalls(blobs_xy):
    # lr so small that nothing improves: the plateau schedule must halve it after `patience` epochs.
    run = nbdl.train(NET, data=blobs_xy, optimizer="sgd", lr=1e-6, epochs=6, schedule="plateau(1, 0.5)")
    assert run.history["lr"][0] == pytest.approx(1e-6)
    assert run.history["lr"][-1] < 1e-6


def test_fast_implementations_are_used():
    run = nbdl.Run(nbdl.Config(network=NET, data=(torch.randn(20, 4), torch.arange(20) % 3), optimizer="adam"))
    assert run.optimizer.defaults["fused"] is True
    run = nbdl.Run(nbdl.Config(network=NET, data=(torch.randn(20, 4), torch.arange(20) % 3), optimizer="rmsprop"))
    assert run.optimizer.defaults["foreach"] is True


def test_registry_names():
    assert optimizers.names() == ["adagrad", "adam", "adamw", "gd", "momentum", "nesterov", "rmsprop", "sgd"]


@pytest.mark.parametrize("name, change", [("adam", {"lr": 0.01, "betas": (0.8, 0.95)}), ("sgd", {"momentum": 0.9}),
                                          ("momentum", {"lr": 0.05, "momentum": 0.0}), ("adamw", {"weight_decay": 0.1})])
def test_changes_between_epochs_and_state_reloads_keep_parity(name, change, blobs_xy):
    """The direct fused-kernel path reads the settings at every step and notices a reloaded state."""
    cls, kwargs, _ = REFERENCE[name]
    run = nbdl.Run(nbdl.Config(network=NET, data=blobs_xy, optimizer=name, batch_size=16, epochs=1, seed=4))
    reference = copy.deepcopy(run.model)
    optimizer = cls(reference.parameters(), **kwargs, **flags(run))
    X, y = run.data.train.X, run.data.train.y
    shuffle = torch.Generator().manual_seed(4)

    def reference_epoch():
        order = torch.randperm(len(X), generator=shuffle)
        for start in range(0, len(X), 16):
            index = order[start:start + 16]
            loss = F.cross_entropy(reference.logits(X[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    run.fit(1)
    reference_epoch()
    run.update(**change)
    for group in optimizer.param_groups:
        group.update(change)
    run.optimizer.load_state_dict(run.optimizer.state_dict())  # as a restore or a checkpoint load does
    run.fit(2)
    reference_epoch()
    reference_epoch()
    for a, b in zip(run.model.parameters(), reference.parameters()):
        assert torch.equal(a.detach(), b.detach())
