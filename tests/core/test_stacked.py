"""Many runs trained as one stacked model: each run's history, weights and optimizer state equal what
it gets alone (the reference: the same config trained by ``Run.fit``), within float tolerance."""
import math
import signal
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from nbdl.core import many, stacked
from nbdl.core.callbacks import Callback
from nbdl.core.config import Config
from nbdl.core.errors import NbdlError
from nbdl.core.trainer import DivergenceWarning, Run

NET = "input 2\ndense 8 relu\ndense 8 relu\ndense 2 softmax"
MOONS = dict(data="moons", data_options={"n": 120}, batch_size=16, epochs=4)


def _regression(seed=0, n=90):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = np.c_[np.sin(X[:, 0]) + X[:, 1] * X[:, 2], X[:, 0] - X[:, 2]].astype(np.float32) * 10 + 3
    return X, y


def _stack(base: Config, changes: dict) -> dict:
    configs = many.variants(base, changes)
    assert stacked.why_not([Run(c) for c in configs.values()]) is None
    return many.train_many(configs, stack="always")


def _assert_same(got: Run, alone: Run, tol: float = 2e-5) -> None:
    assert set(got.history) == set(alone.history)
    assert (got.epoch, got.global_step, got.status) == (alone.epoch, alone.global_step, alone.status)
    for key, values in alone.history.items():
        if key != "time":
            np.testing.assert_allclose(got.history[key], values, rtol=tol, atol=tol, err_msg=key)
    for a, b in zip(got.model.state_dict().values(), alone.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=tol * 10, atol=tol * 10)


def _assert_each_as_alone(base: Config, changes: dict, tol: float = 2e-5) -> dict:
    runs = _stack(base, changes)
    for name, run in runs.items():
        _assert_same(run, Run(base.replace(**changes[name])).fit(), tol)
    return runs


CASES = {
    "adam: seeds, learning rates, betas, eps, weight decay, l1, l2": (
        Config(network=NET, optimizer="adam", **MOONS),
        {"a": {}, "b": {"seed": 1, "lr": 0.02}, "c": {"seed": 2, "betas": (0.8, 0.99), "eps": 1e-6},
         "d": {"weight_decay": 0.01, "l2": 1e-3}, "e": {"seed": 3, "l1": 1e-3}}),
    "adamw: weight decay": (
        Config(network=NET, optimizer="adamw", **MOONS), {"a": {"weight_decay": 0.1}, "b": {"lr": 0.01, "seed": 4}}),
    "sgd: momentum 0 and 0.5, weight decay": (
        Config(network=NET, optimizer="sgd", lr=0.1, **MOONS),
        {"plain": {}, "heavy": {"momentum": 0.5, "seed": 1}, "decayed": {"weight_decay": 0.01, "lr": 0.3}}),
    "momentum and nesterov": (
        Config(network=NET, optimizer="nesterov", **MOONS), {"a": {"momentum": 0.8}, "b": {"lr": 0.05, "seed": 2}}),
    "full-batch gd": (
        Config(network=NET, optimizer="gd", data="moons", data_options={"n": 120}, epochs=5),
        {"a": {}, "b": {"lr": 0.5, "seed": 1}}),
    "dropout rates and initialisation": (
        Config(network="input 2\ndense 8 relu\ndropout 0.3\ndense 8 tanh\ndropout 0.1\ndense 2 softmax",
               optimizer="adam", lr=0.01, **MOONS),
        {"a": {}, "none": {"dropout": 0.0}, "half": {"dropout": 0.5, "seed": 1}, "xavier": {"init": "xavier"},
         "kaiming": {"init": "kaiming", "seed": 5}}),
    "three hidden layers, sigmoid output (bce), schedules": (
        Config(network="input 2\ndense 8 leaky_relu(0.1)\ndense 6 elu\ndense 5 sigmoid\ndense 1 sigmoid",
               optimizer="momentum", lr=0.05, **MOONS),
        {"a": {}, "stepped": {"schedule": "step(2, 0.5)", "seed": 1}, "cosine": {"schedule": "cosine"}}),
    "regression, mae, a hidden softmax (through autograd)": (
        Config(network="input 3\ndense 6 softmax\ndense 2", data=_regression(1), loss="mae", optimizer="adam",
               lr=0.05, batch_size=20, epochs=3),
        {"a": {}, "b": {"seed": 1, "l1": 1e-3}}),
    "regression, two targets, huber": (
        Config(network="input 3\ndense 8 tanh\ndense 8 gelu\ndense 2", data=_regression(), loss="huber",
               optimizer="adam", lr=0.01, batch_size=16, epochs=4),
        {"a": {}, "b": {"seed": 1, "l2": 1e-3}, "c": {"lr": 0.003, "seed": 2}}),
}


@pytest.mark.parametrize("by_hand", [True, False], ids=["gradients by hand", "autograd"])
@pytest.mark.parametrize("case", CASES)
def test_each_stacked_run_gets_the_history_it_gets_alone(case, by_hand, monkeypatch):
    base, changes = CASES[case]
    monkeypatch.setattr(stacked, "BY_HAND", by_hand)
    _assert_each_as_alone(base, changes)


def test_gradients_by_hand_cover_the_registered_activations_and_losses():
    from nbdl.core import losses, stack, stack_grad
    from nbdl.core.activations import registry

    modules = [registry.make(name) for name in registry.names() if name not in ("prelu", "softmax")]
    assert all(type(m) in stack_grad.DERIVATIVES for m in modules)
    assert set(stack_grad.LOSSES) == set(stack.LOSSES) == set(losses.registry.names())


def test_regression_figures_and_different_epochs():
    base = Config(network="input 3\ndense 8 swish\ndense 2", data=_regression(), optimizer="sgd", lr=0.05,
                  momentum=0.9, batch_size=20, epochs=3)
    runs = _assert_each_as_alone(base, {"short": {"epochs": 2}, "long": {"epochs": 5, "seed": 3}})
    assert {"val_mse", "val_mae"} <= set(runs["long"].history)
    assert (runs["short"].epoch, runs["long"].epoch) == (2, 5)


def test_early_stopping_stops_each_run_where_it_stops_alone():
    base = Config(network=NET, optimizer="adam", lr=0.05, early_stopping=1, monitor="train_loss", **MOONS)
    runs = _assert_each_as_alone(base.replace(epochs=12), {"a": {}, "b": {"lr": 0.5, "seed": 2}})
    assert any(run.status == "stopped" for run in runs.values())


def test_time_is_each_runs_share_of_the_stacked_epoch():
    runs = _stack(Config(network=NET, **MOONS), {"a": {}, "b": {"seed": 1}, "c": {"seed": 2}})
    times = [run.history["time"] for run in runs.values()]
    assert times[0] == times[1] == times[2] and all(t > 0 for t in times[0])


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_a_stacked_run_continues_alone_as_a_run_trained_alone_all_along(optimizer):
    base = Config(network=NET, optimizer=optimizer, lr=0.02, **MOONS)
    runs = _stack(base, {"a": {}, "b": {"seed": 1}})
    alone = Run(base.replace(seed=1)).fit()
    runs["b"].fit(3)
    alone.fit(3)
    _assert_same(runs["b"], alone)
    state, own = runs["b"].optimizer.state_dict()["state"], alone.optimizer.state_dict()["state"]
    assert state.keys() == own.keys()
    for index in own:
        assert state[index].keys() == own[index].keys()
        for name in own[index]:
            torch.testing.assert_close(state[index][name], own[index][name], rtol=1e-4, atol=1e-5)
    runs["a"].model.layers[0].linear.weight.data += 1  # its own weights now, no view into a stack
    assert not torch.equal(runs["a"].model.layers[0].linear.weight, runs["b"].model.layers[0].linear.weight)


def test_stacked_runs_continue_stacked():
    base = Config(network=NET, optimizer="adam", **MOONS)
    configs = many.variants(base, {"a": {}, "b": {"seed": 1, "lr": 0.01}})
    runs = {name: Run(config) for name, config in configs.items()}
    stacked.fit(runs, 2, None)
    stacked.fit(runs, 3, None)
    for name, run in runs.items():
        _assert_same(run, Run(configs[name]).fit(5))


def test_a_pruned_or_stopped_run_trains_no_more_while_the_others_go_on():
    base = Config(network=NET, optimizer="adam", lr=0.01, **MOONS)
    changes = {"a": {}, "pruned": {"seed": 1}, "stopped": {"seed": 2}, "d": {"seed": 3}}

    def on_epoch(name, run):
        if name == "pruned" and run.epoch == 2:
            run.halt("stopped", "pruned at epoch 2")
        if name == "stopped" and run.epoch == 1:
            run.stop()  # obeyed before the next batch, as alone

    runs = many.train_many(many.variants(base, changes), on_epoch=on_epoch, stack="always")
    assert (runs["pruned"].epoch, runs["pruned"].status, runs["pruned"].stop_reason) == (2, "stopped",
                                                                                          "pruned at epoch 2")
    assert (runs["stopped"].epoch, runs["stopped"].status) == (1, "stopped")
    for name in ("a", "d"):
        _assert_same(runs[name], Run(base.replace(**changes[name])).fit())

    class Alone(Callback):  # the same, in a run trained alone
        def __init__(self, name):
            self.name = name

        def on_epoch_end(self, run, logs):
            on_epoch(self.name, run)

    for name, seed in (("pruned", 1), ("stopped", 2)):
        _assert_same(runs[name], Run(base.replace(seed=seed)).fit(callbacks=[Alone(name)]))


def test_a_diverging_run_stops_alone_and_harms_no_other():
    base = Config(network=NET, optimizer="sgd", lr=0.1, **MOONS)
    changes = {"a": {}, "boom": {"lr": 1e30, "seed": 1}, "c": {"seed": 2}}
    with pytest.warns(DivergenceWarning):
        runs = many.train_many(many.variants(base, changes), stack="always")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        alone = Run(base.replace(**changes["boom"])).fit()
    boom = runs["boom"]
    assert (boom.status, boom.epoch, boom.history.keys()) == ("diverged", alone.epoch, alone.history.keys())
    assert boom.stop_reason.split(";")[0] == alone.stop_reason.split(";")[0]  # which value, epoch and step
    assert all(torch.isfinite(p).all() for p in boom.model.parameters())
    for name in ("a", "c"):
        _assert_same(runs[name], Run(base.replace(**changes[name])).fit())


def test_an_interrupt_leaves_every_run_with_its_completed_epochs():
    base = Config(network=NET, optimizer="adam", **MOONS)
    configs = many.variants(base, {"a": {}, "b": {"seed": 1}})

    def on_epoch(name, run):
        if name == "b" and run.epoch == 2:
            raise KeyboardInterrupt

    runs = {name: Run(config) for name, config in configs.items()}
    with pytest.raises(KeyboardInterrupt):
        stacked.fit(runs, None, on_epoch)
    steps = 2 * len(runs["a"].batches)
    assert [(run.status, run.epoch, run.global_step) for run in runs.values()] == [("interrupted", 2, steps)] * 2
    for name, run in runs.items():
        run.fit(2)  # goes on alone from where it was
        _assert_same(run, Run(configs[name]).fit())


def test_the_first_ctrl_c_stops_every_run_between_two_batches_as_alone():
    base = Config(network=NET, optimizer="adam", **MOONS)

    def on_epoch(name, run):
        if name == "b" and run.epoch == 2:
            signal.raise_signal(signal.SIGINT)  # what a kernel interrupt sends

    runs = many.train_many(many.variants(base, {"a": {}, "b": {"seed": 1}}), on_epoch=on_epoch, stack="always")
    alone = Run(base.replace(seed=1)).fit(callbacks=[lambda run, logs: on_epoch("b", run)])
    assert (alone.status, alone.stop_reason, alone.epoch) == ("stopped", "interrupted", 2)
    _assert_same(runs["b"], alone)
    assert (runs["a"].status, runs["a"].epoch) == ("stopped", 2)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class _Square(nn.Module):
    def forward(self, x):
        return x * x


REFUSED = {
    "convolution": ("input 1x4x4\nconv 2 3\nflatten\ndense 2 softmax", {}, "not flat feature vectors"),
    "batch norm": ("input 2\ndense 4 relu\nbatchnorm\ndense 2 softmax", {}, "BatchNorm1d is not a dense layer"),
    "a module of one's own": (nn.Sequential(nn.Linear(2, 2)), {}, "module of your own"),
    "prelu": ("input 2\ndense 4 prelu\ndense 2 softmax", {}, "weights of their own"),
    "augmentation": (NET, {"augment": "noise"}, "augment"),
    "diagnostics": (NET, {"diagnostics": True}, "diagnostics"),
    "frozen blocks": (NET, {"freeze": "body"}, "freeze"),
    "adagrad": (NET, {"optimizer": "adagrad"}, "'adagrad'"),
    "optimizers": (NET, {"optimizer": "sgd"}, "differ in optimizer"),
    "batch sizes": (NET, {"batch_size": 8}, "differ in batch size"),
    "losses": ("input 2\ndense 4 relu\ndense 1 sigmoid", {"loss": "bce"}, "differ in network"),
    "widths": ("input 2\ndense 5 relu\ndense 2 softmax", {}, "differ in network"),
    "activations": ("input 2\ndense 8 tanh\ndense 8 relu\ndense 2 softmax", {}, "differ in network"),
    "training sizes": (NET, {"data_options": {"n": 200}}, "differ in training samples"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_why_not_names_what_keeps_runs_from_stacking(case):
    network, changes, words = REFUSED[case]
    images = (np.random.default_rng(0).normal(size=(40, 1, 4, 4)).astype(np.float32), np.arange(40) % 2)
    data = {"data": images, "data_options": {}} if case == "convolution" else {}
    first = Config(network=NET, optimizer="adam", **MOONS)
    second = first.replace(network=network, **data, **changes)
    reason = stacked.why_not([Run(first), Run(second)] if "differ" in words else [Run(second)])
    assert reason is not None and words in reason, reason
    if "differ" in words:
        with pytest.raises(NbdlError, match="cannot train as one stacked model"):
            many.train_many({"one": first, "two": second}, stack="always")


def test_a_run_with_callbacks_of_its_own_or_training_already_is_refused():
    config = Config(network=NET, **MOONS)
    assert "callbacks of its own" in stacked.why_not([Run(config, callbacks=[lambda run, logs: None])])
    assert stacked.why_not([Run(config), Run(config.replace(seed=1))]) is None
    assert stacked.why_not([]) == "there are no runs"


def test_elementwise_activations_of_ones_own_are_checked_on_samples():
    from nbdl.core.stack import acts_per_sample

    assert acts_per_sample(_Square(), 3) and acts_per_sample(nn.Softmax(dim=-1), 3)
    assert not acts_per_sample(nn.Softmax(dim=1), 3) and not acts_per_sample(nn.PReLU(), 3)


def test_train_many_stacks_when_it_can_and_not_when_it_cannot(monkeypatch):
    called = []
    fit = stacked.fit
    monkeypatch.setattr(stacked, "fit", lambda runs, epochs, on_epoch: called.append(len(runs)) or fit(runs, epochs,
                                                                                                      on_epoch))
    base = Config(network=NET, **MOONS)
    seen = []
    runs = many.train_many(many.variants(base, {"a": {}, "b": {"lr": 0.01}}), epochs=2,
                           on_epoch=lambda name, run: seen.append((name, run.epoch)))
    assert called == [2] and sorted(seen) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    assert runs["a"].history["time"] == runs["b"].history["time"]
    many.train_many(many.variants(base, {"a": {}, "b": {"optimizer": "sgd"}}), epochs=1)
    assert called == [2]
    assert all(math.isfinite(v) for v in runs["b"].history["val_loss"])


def test_the_benchmark_reports_the_three_contenders():
    from nbdl import bench_many

    text = bench_many.report(quick=True)
    for contender in ("16 runs, one after another", "16 runs stacked", "64-run grid stacked"):
        assert text.count(f"| {contender}") == 1
    assert "Runs ended: finished." in text
