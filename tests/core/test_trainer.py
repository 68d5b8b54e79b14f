"""The trainer: the run contract, reproducibility, events, control from another thread, any module."""
import threading
import time

import numpy as np
import pytest
import torch
from torch import nn

import nbdl

NET = "input 2\ndense 16 relu\ndropout 0.2\ndense 2 softmax"


def test_a_run_keeps_the_contract():
    run = nbdl.train(NET, data="moons", epochs=5, lr=0.01)
    assert isinstance(run.model, nn.Module)
    assert run.split_sizes == {"train": 240, "val": 80, "test": 80}
    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        assert len(run.history[key]) == 5 and all(type(v) is float for v in run.history[key])
    figures = run.evaluate("test")
    assert set(figures) == {"loss", "accuracy"} and 0 <= figures["accuracy"] <= 1
    assert run.evaluate("val")["loss"] == pytest.approx(run.history["val_loss"][-1], rel=1e-6)
    assert run.status == "finished" and run.epoch == 5


def test_training_learns_and_continues():
    run = nbdl.train("input 2\ndense 32 relu\ndense 32 relu\ndense 2 softmax", data="moons", epochs=40, lr=0.01)
    assert run.history["train_loss"][-1] < 0.5 * run.history["train_loss"][0]
    assert run.evaluate("test")["accuracy"] >= 0.9
    run.fit(5)
    assert run.epoch == 45 and len(run.history["train_loss"]) == 45


def test_same_seed_same_run_bit_for_bit():
    a = nbdl.train(NET, data="moons", epochs=4, seed=7)
    b = nbdl.train(NET, data="moons", epochs=4, seed=7)
    c = nbdl.train(NET, data="moons", epochs=4, seed=8)
    strip = lambda h: {k: v for k, v in h.items() if k != "time"}
    assert strip(a.history) == strip(b.history)
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    assert strip(a.history) != strip(c.history)


def test_runs_do_not_disturb_each_other_through_the_global_generator():
    alone = nbdl.train(NET, data="moons", epochs=3, seed=1)
    first = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=3, seed=1))
    torch.rand(1000)  # someone else draws random numbers between building and training
    other = nbdl.train(NET, data="moons", epochs=2, seed=2)
    first.fit()
    assert other.epoch == 2
    assert all(torch.equal(p, q) for p, q in zip(alone.model.parameters(), first.model.parameters()))


class Recorder(nbdl.Callback):
    def __init__(self):
        self.events = []

    def on_fit_start(self, run):
        self.events.append("fit_start")

    def on_epoch_end(self, run, logs):
        self.events.append(("epoch", int(logs["epoch"]), len(run.history["train_loss"])))

    def on_batch_end(self, run, logs):
        self.events.append("batch")

    def on_fit_end(self, run):
        self.events.append("fit_end")


def test_events_come_in_order_and_history_is_written_before_epoch_end():
    recorder, seen = Recorder(), []
    run = nbdl.train(NET, data="moons", epochs=2, batch_size=120,
                     callbacks=[recorder, lambda run, logs: seen.append(logs["train_loss"])])
    assert recorder.events == ["fit_start", "batch", "batch", ("epoch", 1, 1), "batch", "batch", ("epoch", 2, 2), "fit_end"]
    assert seen == run.history["train_loss"]


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_pause_step_resume_and_stop_from_another_thread():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=1000, batch_size=8, lr=0.01))
    run.step()  # asked for before the fit: its first batch, then paused
    errors = []
    worker = threading.Thread(target=lambda: _capture(errors, run.fit))
    worker.start()
    _wait_for(lambda: run.global_step == 1 and run.control.waiting)
    time.sleep(0.2)
    assert run.global_step == 1 and run.status == "running"  # exactly one batch, then paused
    run.step()
    _wait_for(lambda: run.global_step == 2 and run.control.waiting)
    time.sleep(0.2)
    assert run.global_step == 2  # one more batch, then paused again
    run.step(5)
    _wait_for(lambda: run.global_step == 7 and run.control.waiting)
    time.sleep(0.1)
    assert run.global_step == 7
    run.resume()
    _wait_for(lambda: run.epoch >= 2)
    run.stop()
    stopped_at = run.global_step
    worker.join(timeout=10)
    assert not worker.is_alive() and not errors
    assert run.global_step <= stopped_at + 1  # takes effect within one batch
    assert run.status == "stopped" and run.epoch < 1000
    epochs = run.epoch
    run.fit(2)  # the same run continues
    assert run.epoch == epochs + 2 and run.status == "finished"


def test_stop_while_paused_ends_the_fit():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=5))
    run.step()
    worker = threading.Thread(target=run.fit)
    worker.start()
    _wait_for(lambda: run.control.waiting)
    run.stop()
    worker.join(timeout=5)
    assert not worker.is_alive() and run.global_step == 1 and run.status == "stopped"


def test_a_pause_left_from_before_does_not_hold_the_next_fit():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=1))
    run.pause()
    run.fit()  # in this thread: nothing could resume it
    assert run.status == "finished" and run.epoch == 1


def _capture(errors, fn):
    try:
        fn()
    except BaseException as error:  # re-raised on the main thread by the assertion on `errors`
        errors.append(error)


def test_interrupt_keeps_the_history_and_the_run_continues():
    class Interrupt(nbdl.Callback):
        def on_epoch_end(self, run, logs):
            if run.epoch == 3:
                raise KeyboardInterrupt

    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=10), callbacks=[Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        run.fit()
    assert run.status == "interrupted" and len(run.history["train_loss"]) == 3
    run.callbacks.clear()
    run.fit(2)
    assert run.epoch == 5


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x):
        return self.body(x)


def test_any_user_module_trains_with_the_same_core():
    torch.manual_seed(0)  # the module's own first weights (the run keeps them)
    run = nbdl.train(TinyNet(), data="moons", epochs=30, lr=0.01)
    assert run.evaluate("test")["accuracy"] >= 0.85
    proba = run.predict_proba(np.array([[0.0, 0.0], [1.0, -0.5]]))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    with pytest.raises(nbdl.NbdlError, match=r"the model cannot take samples of shape \(4,\)"):
        nbdl.train(TinyNet(), data="iris")


def test_regression_reports_errors_in_the_target_units():
    run = nbdl.train("dense 32 relu\ndense 1", data="diabetes", epochs=60, lr=0.01)
    figures = run.evaluate("test")
    assert set(figures) == {"loss", "mse", "mae"}
    spread = run.dataset.y.std()
    assert figures["mae"] < 0.8 * spread  # clearly better than predicting the mean (mae ~ 0.8 std)
    prediction = run.predict(run.dataset.X[:5])
    assert prediction.shape == (5, 1) and 20 < prediction.mean() < 350  # in the target's own units
    assert "train_acc" not in run.history


def test_predict_returns_labels_of_raw_samples():
    data = nbdl.data.load("blobs", n=300, noise=0.5)
    run = nbdl.train("input 2\ndense 8 relu\ndense 3 softmax", data=data, epochs=30, lr=0.01)
    assert (run.predict(data.X) == data.y).mean() >= 0.97
    assert run.predict(data.X[0]).shape == (1,)  # one sample given as a flat vector


def test_settings_changed_between_fits_apply_and_keep_the_history_aligned():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=2, lr=0.01))
    run.fit()
    run.update(lr=0.002, l2=0.01)
    assert run.optimizer.param_groups[0]["lr"] == 0.002
    run.fit(2)
    assert len(run.history["train_penalty"]) == len(run.history["train_loss"]) == 4
    assert np.isnan(run.history["train_penalty"][:2]).all() and run.history["train_penalty"][-1] > 0
    assert run.history["lr"][-1] == 0.002
    with pytest.raises(nbdl.NbdlError, match=r"optimizer cannot change during a run; make a new run \(Reset\)"):
        run.update(optimizer="sgd")
    with pytest.raises(nbdl.NbdlError, match=r"lr must be a number > 0, got -1"):
        run.update(lr=-1)


def test_live_changes_in_the_middle_of_an_epoch_apply_from_the_next_batch():
    class Switch(nbdl.Callback):
        def on_batch_end(self, run, logs):
            if logs["step"] == 10:
                run.update(l2=0.01, lr=0.002)

    run = nbdl.Run(nbdl.Config(network="input 2\ndense 8 relu\ndense 2 softmax", data="moons", epochs=3,
                               batch_size=4), callbacks=[Switch()])
    run.fit()
    assert run.status == "finished" and run.history["train_penalty"][0] < run.history["train_penalty"][1]
    assert run.optimizer.param_groups[0]["lr"] == 0.002


def test_switching_on_rmsprops_momentum_during_a_run():
    run = nbdl.train("input 2\ndense 8 relu\ndense 2 softmax", data="moons", optimizer="rmsprop", epochs=1)
    run.update(momentum=0.9)
    run.fit(2)
    assert run.status == "finished" and run.epoch == 3


def test_epochs_changed_from_inside_a_fit_end_it():
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 8 relu\ndense 2 softmax", data="moons", epochs=50))
    run.fit(callbacks=[lambda run, logs: run.update(epochs=3) if logs["epoch"] == 2 else None])
    assert run.status == "finished" and run.epoch == run.target_epoch == 3


def test_evaluating_from_another_thread_never_puts_training_steps_in_eval_mode():
    net = "input 2\ndense 64 relu\ndropout 0.5\ndense 2 softmax"
    alone = nbdl.train(net, data="moons", epochs=6, batch_size=4, seed=2)
    run = nbdl.Run(nbdl.Config(network=net, data="moons", epochs=6, batch_size=4, seed=2))
    worker = threading.Thread(target=run.fit)
    worker.start()
    while worker.is_alive():
        run.evaluate("val")
        run.predict([[0.0, 0.0]])
    assert run.history["val_loss"] == alone.history["val_loss"]


def test_a_state_cannot_be_loaded_into_a_run_that_trains():
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 8 relu\ndense 2 softmax", data="moons", epochs=10000,
                               batch_size=4))
    saved = run.state_dict()
    worker = threading.Thread(target=run.fit)
    worker.start()
    try:
        while run.global_step == 0:
            time.sleep(0.01)
        with pytest.raises(nbdl.NbdlError, match="this run is training; stop it before loading a state"):
            run.load_state_dict(saved)
    finally:
        run.stop()
        worker.join(30)


def test_steps_asked_for_before_they_ran_add_up():
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 8 relu\ndense 2 softmax", data="moons", epochs=100))
    run.step()
    worker = threading.Thread(target=run.fit)
    worker.start()
    try:
        _wait_for(lambda: run.global_step == 1 and run.control.waiting)
        for _ in range(3):
            run.step()
        deadline = time.monotonic() + 10
        while not (run.global_step == 4 and run.control.waiting) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)
        assert run.global_step == 4 and run.control.paused
    finally:
        run.stop()
        worker.join(30)
