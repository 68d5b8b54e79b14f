"""The dashboard through its widget state: controls, the training thread, and the config it builds."""
import threading
import time

import pytest
import torch

import nbdl
from nbdl import cli
from nbdl.widgets import Dashboard


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def dashboard():
    d = Dashboard()
    d.controls["epochs"].value = 5
    yield d
    d.close()


def test_start_trains_and_shows_the_run(dashboard):
    dashboard.start()
    dashboard.wait(60)
    run = dashboard.run
    assert run.status == "finished" and run.epoch == 5 and dashboard.error is None
    assert bytes(dashboard.image.value).startswith(b"\x89PNG")
    assert dashboard.bar.value == dashboard.bar.max == 5
    assert "epoch 5/5" in dashboard.figures.value and "val acc" in dashboard.figures.value
    dashboard.start()  # Start again: five more epochs of the same run
    dashboard.wait(60)
    assert run.epoch == 10 and dashboard.run is run


def test_controls_pause_step_resume_stop(dashboard):
    dashboard.controls["epochs"].value = 500
    dashboard.controls["batch_size"].value = 4
    dashboard.start()
    _wait_for(lambda: dashboard.run.global_step > 10)
    dashboard.start()  # a second Start while running does nothing harmful
    assert len([t for t in threading.enumerate() if t.name == "nbdl-dashboard"]) == 1
    assert "already training" in dashboard.message.value
    dashboard.pause()
    time.sleep(0.1)
    steps = dashboard.run.global_step
    time.sleep(0.3)
    assert dashboard.run.global_step == steps and dashboard.buttons["Pause"].description == "Resume"
    dashboard.controls["lr"].value = 0.01  # applies when training continues
    assert dashboard.run.optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
    assert "applies from the next batch" in dashboard.message.value
    dashboard.step()
    _wait_for(lambda: dashboard.run.global_step == steps + 1)
    time.sleep(0.2)
    assert dashboard.run.global_step == steps + 1
    dashboard.pause()  # Resume
    _wait_for(lambda: dashboard.run.global_step > steps + 20)
    dashboard.stop()
    assert not dashboard.busy and dashboard.run.status == "stopped"


def test_step_from_idle_runs_one_batch(dashboard):
    dashboard.step()
    _wait_for(lambda: dashboard.run is not None and dashboard.run.global_step == 1)
    time.sleep(0.2)
    assert dashboard.run.global_step == 1 and dashboard.busy
    dashboard.stop()
    assert not dashboard.busy


def test_a_network_change_asks_for_reset(dashboard):
    dashboard.start()
    dashboard.wait(60)
    dashboard.layers.add(nbdl.Dense(5, "tanh"))
    assert "press Reset" in dashboard.message.value
    assert dashboard.run.model.layers[1].linear.out_features == 8  # the current run keeps its network
    dashboard.reset()
    assert dashboard.run is None and bytes(dashboard.image.value) == b""
    dashboard.start()
    dashboard.wait(60)
    assert [m.out_features for m in dashboard.run.model.modules() if hasattr(m, "out_features")] == [8, 8, 5, 2]


def test_errors_from_the_run_are_shown_in_the_panel(dashboard):
    class Broken(nbdl.Callback):
        def on_epoch_end(self, run, logs):
            raise RuntimeError("boom at epoch end")

    dashboard.start()
    dashboard.wait(60)
    dashboard.run.callbacks.append(Broken())
    dashboard.start()
    dashboard.wait(60)
    assert isinstance(dashboard.error, RuntimeError)
    assert "training failed: RuntimeError: boom at epoch end" in dashboard.message.value


def test_copy_as_magic_reproduces_the_settings(dashboard):
    controls = dashboard.controls
    controls["data"].value = "circles"
    controls["noise"].value = 0.1
    controls["optimizer"].value = "momentum"
    controls["momentum"].value = 0.8
    controls["lr"].value = 0.05
    controls["l2"].value = 0.001
    controls["early_stopping"].value = 4
    controls["schedule"].value = "cosine"
    cell, line = dashboard.magic.value.split("\n\n")
    assert cell.splitlines()[0] == "%%nbdl net net"
    spec = nbdl.NetworkSpec.parse("\n".join(cell.splitlines()[1:]))
    command, args = cli.parse(line[len("%nbdl "):])
    assert command == "train" and args.data == "circles"
    rebuilt = nbdl.Config(network=spec, data=args.data, data_options=cli.data_options(args),
                          **cli.config_settings(args))
    ours = dashboard.config
    for field in ("optimizer", "momentum", "lr", "l2", "early_stopping", "schedule", "batch_size", "epochs"):
        assert getattr(rebuilt, field) == pytest.approx(getattr(ours, field)), field
    assert rebuilt.data_options == ours.data_options
    assert [l.to_text() for l in spec.layers[1:]] == [l.to_text() for l in ours.network.layers]


def test_the_cnn_template_builds_and_trains_a_convolutional_network(dashboard):
    dashboard.layers.template.value = "CNN"
    assert dashboard.controls["data"].value == "digits_images"
    assert dashboard.config.network.to_text().splitlines()[:2] == ["conv 16 3 relu padding=same", "maxpool 2"]
    dashboard.controls["epochs"].value = 3
    dashboard.start()
    dashboard.wait(120)
    assert dashboard.error is None and dashboard.run.epoch == 3
    assert isinstance(dashboard.run.model.layers[0].conv, torch.nn.Conv2d)
    assert "%%nbdl net net\ninput 1x8x8\nconv 16 3 relu padding=same" in dashboard.magic.value


def test_a_network_from_the_magic_keeps_its_layers_in_the_panel():
    spec = "input 1x8x8\nconv 8 3 relu\nmaxpool 2\nflatten\ndense 32 tanh\ndense 10 softmax"
    d = Dashboard(network=spec, data="digits_images")
    assert d.config.network.to_text() == "\n".join(spec.splitlines()[1:])
    d.close()


def test_the_rnn_template_forecasts_a_series(dashboard):
    dashboard.layers.template.value = "RNN"
    assert dashboard.controls["data"].value == "sunspots"
    assert dashboard.config.network.to_text() == "lstm 32\ndense 1"  # a linear output for a regression
    assert "%%nbdl net net\ninput seq 1\nlstm 32\ndense 1" in dashboard.magic.value
    dashboard.start()
    dashboard.wait(120)
    assert dashboard.error is None and dashboard.run.epoch == 5 and "val MAE" in dashboard.figures.value
