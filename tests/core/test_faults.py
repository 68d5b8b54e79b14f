"""Faults lose nothing: a loss that blows up, an interrupt in the middle of a step, two fits at once."""
import math
import signal
import threading
import time

import pytest
import torch

import nbdl
from nbdl.core import limits
from nbdl.core.control import Control, stop_on_interrupt

NET = "input 2\ndense 32 relu\ndense 32 relu\ndense 2 softmax"


class Steps(nbdl.Callback):
    """Keeps the weights after every step, by step number."""

    def __init__(self):
        self.weights = {}

    def on_batch_end(self, run, logs):
        self.weights[logs["step"]] = [p.detach().clone() for p in run.model.parameters()]


def test_a_blown_up_loss_stops_at_once_and_restores_the_last_good_state():
    steps = Steps()
    # Plain SGD with a large step on a regression: the loss grows until it overflows, in epoch 30.
    # On the CPU, where every step's loss is checked (an accelerator checks every few).
    run = nbdl.Run(nbdl.Config(network="dense 32 relu\ndense 1", data="diabetes", optimizer="sgd", lr=0.3,
                               epochs=50, batch_size=8, device="cpu"), callbacks=[steps])
    with pytest.warns(RuntimeWarning, match="the loss became infinite at epoch 30"):
        run.fit()
    assert run.status == "diverged"
    assert "lower learning rate (lr=0.3 now, try 0.03)" in run.stop_reason
    assert run.epoch == 29 and 0 < run.global_step < max(steps.weights)
    params = list(run.model.parameters())
    assert all(torch.isfinite(p).all() for p in params), "weights were overwritten with NaN"
    assert all(torch.isfinite(v).all() for s in run.optimizer.state.values() for v in s.values() if torch.is_tensor(v))
    good = run.global_step  # the step whose weights were put back
    assert all(torch.equal(a, b) for a, b in zip(params, steps.weights[good]))
    assert all(math.isfinite(v) for key in ("train_loss", "val_loss") for v in run.history.get(key, []))
    assert math.isfinite(run.evaluate("val")["loss"])


def test_a_divergence_puts_back_the_optimizers_state_of_the_same_step():
    class Record(nbdl.Callback):
        """Keeps Adam's running averages after every step, and breaks a weight after step 130."""

        def __init__(self):
            self.states = {}

        def on_batch_end(self, run, logs):
            self.states[logs["step"]] = [{k: v.clone() for k, v in s.items()} for s in run.optimizer.state.values()]
            if logs["step"] == 130:
                next(run.model.parameters()).data.fill_(float("nan"))

    record = Record()
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", optimizer="adam", epochs=40, batch_size=8),
                   callbacks=[record])
    with pytest.warns(nbdl.DivergenceWarning, match="step 131"):
        run.fit()
    good = run.global_step
    assert run.status == "diverged" and 50 <= good <= 130
    restored = list(run.optimizer.state.values())
    assert all(torch.equal(state[k], saved[k]) for state, saved in zip(restored, record.states[good]) for k in saved)
    assert not torch.equal(restored[0]["exp_avg"], record.states[130][0]["exp_avg"])


def test_a_diverged_run_continues_after_lowering_the_rate():
    run = nbdl.Run(nbdl.Config(network="dense 32 relu\ndense 1", data="diabetes", optimizer="sgd", lr=2.0, epochs=5))
    with pytest.warns(RuntimeWarning):
        run.fit()
    run.update(lr=0.01)
    run.fit(3)
    assert run.status == "finished" and all(math.isfinite(v) for v in run.history["train_loss"][-3:])


def test_a_second_fit_of_the_same_run_is_refused_while_one_runs():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=100000, batch_size=4))
    worker = threading.Thread(target=run.fit)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while run.global_step == 0:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(nbdl.NbdlError, match="this run is already training"):
            run.fit(1)
    finally:
        run.stop()
        worker.join(10)
    assert run.status == "stopped"
    run.fit(1)  # free again once the first fit has ended
    assert run.status == "finished"


def test_two_runs_train_at_once_without_disturbing_each_other():
    alone = nbdl.train(NET, data="moons", epochs=3, seed=5)
    a = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=3, seed=5))
    b = nbdl.Run(nbdl.Config(network=NET, data="circles", epochs=200, seed=6))
    worker = threading.Thread(target=b.fit)
    worker.start()
    a.fit()
    b.stop()
    worker.join(10)
    assert all(torch.equal(p, q) for p, q in zip(alone.model.parameters(), a.model.parameters()))
    assert b.status == "stopped"


def test_interrupts_become_a_stop_and_a_second_one_waits_for_the_step():
    control = Control()
    with stop_on_interrupt(control):
        signal.raise_signal(signal.SIGINT)  # first: a stop request, no exception
        assert control.stop_requested and control.reason == "interrupted"
        control.in_step = True
        signal.raise_signal(signal.SIGINT)  # second, during a step: held until the step is whole
        assert control.interrupt_pending
        control.in_step = False
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # second, between steps: at once
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_during_fit_stops_between_steps_with_the_history_kept():
    class InterruptAtStep(nbdl.Callback):
        def on_batch_end(self, run, logs):
            if logs["step"] == 25:
                signal.raise_signal(signal.SIGINT)

    steps = Steps()
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=50, batch_size=8), callbacks=[steps, InterruptAtStep()])
    run.fit()
    assert run.status == "stopped" and run.stop_reason == "interrupted"
    assert run.global_step == 25 and run.epoch == 0  # 30 steps per epoch: stopped inside the first
    assert all(torch.equal(p, q) for p, q in zip(run.model.parameters(), steps.weights[25]))
    run.callbacks.clear()
    run.fit(2)
    assert run.epoch == 2


class Overflow(torch.nn.Module):
    def forward(self, x):
        return x * 1e38 * 1e38


@pytest.mark.parametrize("settings", [
    dict(init="normal(1e30)"),                            # weights so large the first loss is infinite
    dict(network=torch.nn.Sequential(torch.nn.Linear(2, 2), Overflow())),  # a module whose output is infinite
])
def test_a_loss_that_is_not_finite_at_the_first_step_is_a_divergence(settings):
    run = nbdl.Run(nbdl.Config(**{"network": NET, "data": "moons", "epochs": 3, **settings}))
    start = [p.detach().clone() for p in run.model.parameters()]
    with pytest.warns(nbdl.DivergenceWarning, match=r"at epoch 1, step 1; .* went back to where this fit started"):
        run.fit()
    assert run.status == "diverged" and run.global_step == 0 and run.epoch == 0
    assert all(torch.equal(a, b) for a, b in zip(start, run.model.parameters()))
    assert "a lower learning rate" in run.stop_reason
    if "init" in settings:  # blew up before any step went well: the first weights are named first
        assert "Try another initialization (init='normal(1e30)' now, try 'default')" in run.stop_reason


def test_divergence_advice_suggests_a_rate_that_can_work():
    run = nbdl.Run(nbdl.Config(network="dense 32 relu\ndense 1", data="diabetes", optimizer="sgd", lr=1e6, epochs=3))
    with pytest.warns(nbdl.DivergenceWarning):
        run.fit()
    assert "lr=1000000.0 now, try 0.01" in run.stop_reason  # sgd's own default, not 1e5


def test_batch_norm_with_a_last_batch_of_one_sample_trains():
    # 50 training samples in batches of 7: the last batch would hold one sample
    X = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    run = nbdl.train("input 2\ndense 8 relu\nbatchnorm\ndense 2 softmax", data=(X, (X[:, 0] > 0).long()),
                     val_split=0, test_split=0, batch_size=7, epochs=2)
    assert run.status == "finished" and run.batches[-1] == (42, 50)
    with pytest.raises(nbdl.NbdlError, match="batch norm needs at least 2 samples per batch; batch_size is 1"):
        nbdl.Run(nbdl.Config(network="input 2\nbatchnorm\ndense 2 softmax", data="moons", batch_size=1))


FREE = limits.available_memory()  # sizes below are this machine's free memory many times over


@pytest.mark.parametrize("settings, message", [
    (dict(network=f"input 2\ndense {max(FREE, 10**9)}\ndense 2 softmax"),
     r"training this network \([\d,]+ parameters, [\d,]+ of them in line 2: 'dense \d+'\) would "
     r"need about .* [GT]B of memory but .* is free"),
    (dict(data_options={"n": max(FREE, 10**9)}), r"data set 'moons' with [\d,]+ samples of shape 2 would need about"),
    (dict(network="input seq 2\nlstm 4\ndense 1", data="adding", data_options={"seq_len": max(FREE // 10_000, 10**5)}),
     r"data set 'adding' with 10,000 samples of shape \d+x2 would need about"),
    (dict(threads=10**6), r"threads must be a whole number in \[1, \d+\], got 1000000"),
])
def test_sizes_beyond_the_machine_are_refused_before_allocating(settings, message):
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.Run(nbdl.Config(**{"network": NET, "data": "moons", **settings}))


def test_an_interrupt_while_an_epoch_is_scored_keeps_the_epoch_and_its_row_together():
    class InterruptScoring(nbdl.Callback):
        order = 15  # after the validation figures, before the rest of the epoch's end

        def on_epoch_end(self, run, logs):
            if logs["epoch"] == 2:
                raise KeyboardInterrupt

    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=5), callbacks=[InterruptScoring()])
    with pytest.raises(KeyboardInterrupt):
        run.fit()
    assert run.status == "interrupted" and run.epoch == 2
    assert {len(v) for v in run.history.values()} == {2} and math.isnan(run.history["lr"][1])
    run.callbacks.pop()
    run.fit(1)
    assert run.epoch == 3 and {len(v) for v in run.history.values()} == {3}


def test_runs_with_dropout_reproduce_even_when_trained_at_once():
    net = "input 2\ndense 64 relu\ndropout 0.5\ndense 64 relu\ndropout 0.5\ndense 2 softmax"
    alone = nbdl.train(net, data="moons", epochs=4, batch_size=8, seed=1)
    runs = [nbdl.Run(nbdl.Config(network=net, data="moons", epochs=4, batch_size=8, seed=s)) for s in (1, 2, 1)]
    threads = [threading.Thread(target=r.fit) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for run in (runs[0], runs[2]):
        assert all(torch.equal(p, q) for p, q in zip(alone.model.parameters(), run.model.parameters()))
        assert run.history["train_loss"] == alone.history["train_loss"]


def test_a_users_module_keeps_its_weights_unless_trained_in_place():
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(8, 2))
    before = [p.detach().clone() for p in model.parameters()]
    first = nbdl.train(model, data="moons", epochs=2, seed=0)
    second = nbdl.train(model, data="moons", epochs=2, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), "the caller's module was trained"
    assert all(torch.equal(a, b) for a, b in zip(first.model.parameters(), second.model.parameters()))
    assert type(model[2]) is torch.nn.Dropout  # the run's copy draws dropout from the run's generator, not this
    in_place = nbdl.train(model, data="moons", epochs=2, seed=0, in_place=True)
    assert in_place.model is model and not all(torch.equal(a, b.cpu()) for a, b in zip(before, model.parameters()))
