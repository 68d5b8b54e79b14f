"""Faults lose nothing: a loss that blows up, an interrupt in the middle of a step, two fits at once."""
import math
import signal
import threading
import time

import pytest
import torch

import nbdl
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
    run = nbdl.Run(nbdl.Config(network="dense 32 relu\ndense 1", data="diabetes", optimizer="sgd", lr=0.3,
                               epochs=50, batch_size=8), callbacks=[steps])
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
