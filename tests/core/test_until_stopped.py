"""Training until stopped: the fit goes past the configured epochs until Stop, and then the run is
a whole stopped run (history, steps and the fit's end agree; its config is as before)."""
import threading
import time

import pytest

import nbdl
from nbdl.core.errors import NbdlError
from nbdl.core.until_stopped import UntilStopped

NET = "input 2\ndense 8 relu\ndense 2 softmax"


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _fit_in_thread(run, callback):
    thread = threading.Thread(target=run.fit, kwargs={"callbacks": [callback]})
    thread.start()
    return thread


def test_it_trains_past_the_configured_epochs_until_stopped():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=3))
    steps_per_epoch = len(run.batches)
    thread = _fit_in_thread(run, UntilStopped())
    _wait_for(lambda: run.epoch >= 12)
    run.stop()
    thread.join(30)
    assert run.status == "stopped" and run.stop_reason == "stopped on request"
    assert run.epoch >= 12 and len(run.history["train_loss"]) == run.epoch
    assert run.epoch * steps_per_epoch <= run.global_step < (run.epoch + 1) * steps_per_epoch
    assert run.epoch < run.target_epoch <= run.epoch + 3  # within the block (of the configured 3) under way
    assert run.config.epochs == 3, "the config's epochs are given back"
    end = run.target_epoch
    run.fit(end - run.epoch)  # as Continue does: on to the block's end, then finished
    assert run.status == "finished" and run.epoch == end == run.target_epoch


def test_a_block_of_its_own_and_switching_it_off_ends_the_fit_at_the_blocks_end():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=2))
    looping = UntilStopped(block=5)
    thread = _fit_in_thread(run, looping)
    _wait_for(lambda: run.epoch >= 8)
    looping.on = False
    thread.join(30)
    assert not thread.is_alive() and run.status == "finished"
    assert run.epoch == run.target_epoch and run.epoch in (12, 17)  # 2, then blocks of 5
    assert run.config.epochs == 2


def test_early_stopping_still_ends_it():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=2, early_stopping=2, lr=0.5, optimizer="sgd"))
    thread = _fit_in_thread(run, UntilStopped())
    thread.join(60)
    assert not thread.is_alive(), "early stopping did not end the loop"
    assert run.status == "stopped" and "early stopping" in run.stop_reason


def test_an_epochs_change_during_the_fit_is_kept():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=2))
    thread = _fit_in_thread(run, UntilStopped())
    _wait_for(lambda: run.epoch >= 4)
    run.update(epochs=50)  # as the panel's epochs control does
    run.stop()
    thread.join(30)
    assert run.config.epochs == 50


@pytest.mark.parametrize("block", [0, -1, 1.5, True, "3"])
def test_a_bad_block_is_refused(block):
    with pytest.raises(NbdlError, match="block is a number of epochs"):
        UntilStopped(block=block)


def test_epochs_set_during_the_loop_end_it_there():
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=2))
    looping = UntilStopped()

    def set_epochs(run, logs):
        if logs["epoch"] == 5:
            run.update(epochs=7)  # the fit started at epoch 0: it now ends at epoch 7

    run.fit(callbacks=[looping, set_epochs])
    assert run.status == "finished" and run.epoch == 7 and run.config.epochs == 7
