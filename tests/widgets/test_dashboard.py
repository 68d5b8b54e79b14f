"""The dashboard through its widget state: one config, the buttons' state machine, the training
thread, the controls derived from the declarations, and nothing of the user's dropped."""
import html
import threading
import time

import numpy as np
import pytest
import torch

import nbdl
from nbdl.core.config import train_command
from nbdl.widgets import BUTTONS, STATES, Dashboard


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _buttons_match(d):
    start, (middle, middle_on), step_on, stop_on = BUTTONS[d.state]
    assert d.buttons["start"].description == (start or "Start") and d.buttons["start"].disabled == (start is None)
    assert (d.buttons["pause"].description, d.buttons["pause"].disabled) == (middle, not middle_on)
    assert d.buttons["step"].disabled == (not step_on) and d.buttons["stop"].disabled == (not stop_on)
    assert d.status.value.startswith(f"<b>{d.state}</b>")


@pytest.fixture
def dashboard():
    d = Dashboard(epochs=5)
    yield d
    d.close()


def test_start_trains_and_shows_the_run(dashboard):
    assert dashboard.image.layout.display == "none", "an empty image shows a broken-image icon"
    dashboard.start()
    dashboard.wait(60)
    run = dashboard.run
    assert run.status == "finished" and run.epoch == 5 and dashboard.error is None
    assert bytes(dashboard.image.value).startswith(b"\x89PNG") and dashboard.image.layout.display is None
    assert dashboard.bar.value == dashboard.bar.max == 5
    assert "epoch 5/5" in dashboard.figures.value and "val acc" in dashboard.figures.value
    assert dashboard.state == "finished" and dashboard.buttons["start"].description == "Train more"
    _buttons_match(dashboard)
    dashboard.start()  # Train more: five more epochs of the same run
    dashboard.wait(60)
    assert run.epoch == 10 and dashboard.run is run


def _reach(state):
    """A dashboard in ``state``."""
    if state == "diverged":
        d = Dashboard(data="diabetes", optimizer="sgd", lr=1e6, epochs=50)
    else:
        d = Dashboard(epochs=2 if state == "finished" else 2000, batch_size=4)
    if state == "not started":
        return d
    if state == "failed":
        d.start()
        d.wait(60)

        class Broken(nbdl.Callback):
            def on_batch_end(self, run, logs):
                raise RuntimeError("boom")

        d.run.callbacks.append(Broken())
        d.start()
    else:
        d.start()
    if state in ("finished", "diverged", "failed"):
        d.wait(60)
    else:
        _wait_for(lambda: d.run.global_step > 5)
        if state == "paused":
            d.pause()
            _wait_for(lambda: d.run.control.waiting)
        elif state == "stopped":
            d.stop()
    assert d.state == state, d.state
    return d


# After each button in each state: the state the panel is in (and for Start, what it trained).
TRANSITIONS = {
    "not started": {"start": "running", "pause": "not started", "step": "paused", "stop": "not started",
                    "reset": "not started"},
    "running": {"start": "running", "pause": "paused", "step": "paused", "stop": "stopped", "reset": "not started"},
    "paused": {"start": "paused", "pause": "running", "step": "paused", "stop": "stopped", "reset": "not started"},
    "finished": {"start": "running", "pause": "finished", "step": "paused", "stop": "finished",
                 "reset": "not started"},
    "stopped": {"start": "running", "pause": "stopped", "step": "paused", "stop": "stopped", "reset": "not started"},
    "diverged": {"start": "running", "pause": "diverged", "step": "paused", "stop": "diverged",
                 "reset": "not started"},
    "failed": {"start": "running", "pause": "failed", "step": "paused", "stop": "failed", "reset": "not started"},
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("button", ["start", "pause", "step", "stop", "reset"])
def test_every_button_in_every_state(state, button):
    d = _reach(state)
    try:
        _buttons_match(d)
        before = (d.run.epoch, d.run.target_epoch, d.run.global_step) if d.run is not None else None
        if state == "diverged" and button in ("start", "step"):
            d.settings.controls["lr"].widget.value = 1e-3  # lower the rate first, as the advice says
        if state == "failed":
            d.run.callbacks.pop()
        getattr(d, button)()
        expected = TRANSITIONS[state][button]
        if expected == "running":
            _wait_for(lambda: d.run.global_step > before[2] + 2 if before else d.run.global_step > 2)
        exact = button == "step" and state != "running"  # from running, Step pauses after the batch under way
        if expected == "paused":
            steps = (before[2] if before else 0) + 1
            _wait_for(lambda: d.run.control.waiting and (not exact or d.run.global_step == steps))
        assert d.state == expected
        _buttons_match(d)
        if button == "step":  # one batch, then paused
            held = d.run.global_step
            time.sleep(0.2)
            assert d.run.global_step == held and (not exact or held == (before[2] if before else 0) + 1)
        if button == "start" and state == "finished":  # the configured epochs again
            assert d.run.target_epoch == before[0] + d.config.epochs
        if button == "start" and state in ("stopped", "diverged", "failed"):  # on to the same end
            assert d.run.target_epoch == before[1]
        if button == "reset":
            assert d.run is None and bytes(d.image.value) == b""
    finally:
        d.close()


def test_pause_then_step_then_resume_keeps_the_labels_true():
    d = _reach("running")
    try:
        d.pause()
        d.step()
        _wait_for(lambda: d.run.control.waiting)
        assert d.state == "paused" and d.buttons["pause"].description == "Resume"
        d.pause()  # the middle button now resumes
        steps = d.run.global_step
        _wait_for(lambda: d.run.global_step > steps + 5)
        assert d.state == "running" and d.buttons["pause"].description == "Pause"
    finally:
        d.close()


def test_changing_epochs_mid_run_moves_the_end():
    d = _reach("running")
    try:
        d.settings.controls["epochs"].widget.value = 1
        d.wait(30)
        assert d.state == "finished" and d.run.epoch == d.run.target_epoch <= 2
        assert "epochs changed" in d.message.value
    finally:
        d.close()


def test_a_live_setting_reaches_the_run_while_paused():
    d = _reach("paused")
    try:
        d.settings.controls["lr"].widget.value = 0.01
        assert d.run.optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
        assert "applies from the next batch" in d.message.value
        d.settings.controls["init"].widget.value = "xavier"
        assert "press Reset" in d.message.value and d.run.config.init == "default" and d.config.init == "xavier"
    finally:
        d.close()


def test_a_second_start_while_running_does_nothing_harmful():
    d = _reach("running")
    try:
        d.start()
        assert len([t for t in threading.enumerate() if t.name == "nbdl-dashboard"]) == 1
        assert "already training" in d.message.value
    finally:
        d.close()


def test_the_users_data_is_what_it_trains_on():
    X = np.random.default_rng(0).normal(size=(120, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    d = Dashboard(data=(X, y), data_name="mine", epochs=2)
    try:
        assert d.data_choice.value == "mine (your data)" and d.config.data is not None
        assert d.config.network.to_text().splitlines()[0] == "input 3"
        assert "--data mine" in d.magic.value
        d.start()
        d.wait(60)
        assert d.run.dataset.sample_shape == (3,) and len(d.run.dataset) == 120
        d.data_choice.value = "moons"  # and back to the user's data: still there
        d.data_choice.value = "mine (your data)"
        assert d.config.network.to_text().splitlines()[0] == "input 3"
    finally:
        d.close()


def test_a_data_set_brings_its_own_options_and_defaults():
    d = Dashboard()
    try:
        d.data_choice.value = "circles"
        assert d.settings.option_controls["noise"].value == 0.1  # circles' own default, not moons' 0.2
        assert d.config.data_options == {}
        d.settings.option_controls["noise"].widget.value = 0.3
        assert d.config.data_options == {"noise": 0.3}
        d.data_choice.value = "digits"
        assert set(d.settings.option_controls) == {"n"}  # no noise for digits
        assert d.config.network.to_text().splitlines()[0] == "input 64"
        assert d.config.network.layers[-1].to_text() == "dense 10 softmax"
        d.data_choice.value = "spiral"
        d.settings.option_controls["classes"].widget.value = 4
        assert d.config.network.layers[-1].to_text() == "dense 4 softmax"
    finally:
        d.close()


def test_controls_that_do_not_apply_are_hidden():
    d = Dashboard()
    try:
        controls = d.settings.controls
        assert not controls["momentum"].visible and controls["betas"].visible  # adam
        controls["optimizer"].widget.value = "momentum"
        assert controls["momentum"].visible and not controls["betas"].visible
        assert controls["momentum"].value == 0.9 and controls["lr"].value == 0.01  # momentum's own defaults
        controls["optimizer"].widget.value = "gd"
        assert not controls["batch_size"].visible
    finally:
        d.close()


def test_nothing_the_panel_cannot_show_is_dropped():
    spec = "input seq 1\nlstm 16 layers=2 bidirectional\nactivation tanh\ndense 1"
    d = Dashboard(network=nbdl.NetworkSpec.parse(spec), data="sunspots", seed=7, test_split=0.1,
                  schedule="step(3, 0.7)", threads=1, device="cpu", epochs=2)
    try:
        assert d.config.network.to_text() == spec
        d.settings.controls["lr"].widget.value = 0.02  # another setting changes; the rest stays
        assert (d.config.seed, d.config.test_split, d.config.schedule, d.config.threads) == (7, 0.1, "step(3, 0.7)", 1)
        others = html.unescape(d.settings.others.value)
        assert "threads=1" in others and "device='cpu'" in others
        row = d.layers.rows[0]
        assert row.controls["layers"].value == 2 and row.controls["bidirectional"].value is True
        assert d.config.network.to_text() == spec
        line = d.magic.value.split("\n\n")[1]
        for part in ("--seed 7", "--test-split 0.1", "--schedule 'step(3, 0.7)'", "--threads 1", "--device cpu"):
            assert part in line
        d.start()
        d.wait(60)
        assert d.error is None and d.run.epoch == 2
    finally:
        d.close()


def test_layer_rows_edit_every_option():
    d = Dashboard(network=nbdl.NetworkSpec.parse("input 1x8x8\nconv 8 3 relu\nflatten\ndense 10 softmax"),
                  data="digits_images")
    try:
        conv = d.layers.rows[0]
        conv.controls["padding"].widget.value = "same"
        conv.controls["stride"].widget.value = 1
        assert d.config.network.layers[1].to_text() == "conv 8 3 relu padding=same"
        conv.controls["activation"].widget.value = "leaky_relu(0.1)"
        assert d.config.network.layers[1].activation == "leaky_relu(0.1)"
        conv.controls["padding"].widget.value = "wide"
        assert "padding must be" in d.message.value and d.config.network.layers[1].padding == "same"
        conv.kind.value = "maxpool"
        assert d.config.network.layers[1].to_text() == "maxpool 2"
        d.layers.add(nbdl.Dense(5, "tanh"))
        assert [l.to_text() for l in d.config.network.layers][-2:] == ["dense 5 tanh", "dense 10 softmax"]
    finally:
        d.close()


def test_copy_as_magic_reproduces_the_config():
    from nbdl import cli

    d = Dashboard(network_name="mynet")
    try:
        controls = d.settings.controls
        d.data_choice.value = "circles"
        d.settings.option_controls["noise"].widget.value = 0.15
        controls["optimizer"].widget.value = "momentum"
        controls["momentum"].widget.value = 0.8
        controls["lr"].widget.value = 0.05
        controls["l2"].widget.value = 0.001
        controls["early_stopping"].show(4)
        d.setting_changed("early_stopping")
        controls["schedule"].widget.value = "cosine"
        controls["standardize"].widget.value = False
        cell, line = d.magic.value.split("\n\n")
        assert cell.splitlines()[0] == "%%nbdl net mynet"
        assert line.startswith("%nbdl train mynet --data circles")
        spec = nbdl.NetworkSpec.parse("\n".join(cell.splitlines()[1:]))
        command, args = cli.parse(line[len("%nbdl "):])
        rebuilt = nbdl.Config(network=spec, data=args.data, data_options=cli.given_data_options(args, args.data),
                              **cli.config_settings(args))
        assert rebuilt.to_dict() == d.config.to_dict()
    finally:
        d.close()


def test_templates_build_and_train():
    d = Dashboard(epochs=2)
    try:
        d.template.value = "CNN"
        assert d.data_choice.value == "digits_images"
        assert d.config.network.to_text().splitlines()[:2] == ["input 1x8x8", "conv 16 3 relu padding=same"]
        d.start()
        d.wait(120)
        assert d.error is None and d.run.epoch == 2 and isinstance(d.run.model.layers[0].conv, torch.nn.Conv2d)
        d.reset()
        d.template.value = "RNN"
        assert d.config.network.to_text() == "input seq 1\nlstm 32\ndense 1"
        d.start()
        d.wait(120)
        assert d.error is None and "val MAE" in d.figures.value
    finally:
        d.close()


def test_errors_from_the_run_are_shown_in_the_panel():
    d = _reach("failed")
    try:
        assert isinstance(d.error, RuntimeError)
        assert "training failed: RuntimeError: boom" in d.message.value
    finally:
        d.close()


def test_a_diverged_run_says_so_with_advice():
    d = _reach("diverged")
    try:
        assert "the loss became" in d.message.value and "try 0.01" in d.message.value
        assert "<b>diverged</b>" in d.status.value
    finally:
        d.close()


def test_close_unhooks_every_observer():
    d = Dashboard()
    calls = []
    d._apply = lambda *args: calls.append(args)
    controls = [*d.settings.controls.values(), *d.settings.option_controls.values(),
                *(c for row in d.layers.rows for c in row.controls.values())]
    d.close()
    for control in controls:
        assert control.handler is None
    d.settings.controls["lr"].parts[0].value = 0.05
    d.settings.controls["optimizer"].widget.value = "sgd"
    d.data_choice.value = "circles"
    d.layers.rows[0].controls["units"].widget.value = 3
    assert calls == [] and d.config.data == "moons"


def test_the_train_line_of_a_config_round_trips():
    config = nbdl.Config(network="input 2\ndense 2 softmax", data="moons", data_options={"noise": 0.3},
                         optimizer="adamw", betas=(0.8, 0.99), standardize=False, seed=3, augment="noise(0.1)")
    from nbdl import cli

    line = train_command(config, "net")
    command, args = cli.parse(line[len("%nbdl "):])
    rebuilt = nbdl.Config(network=config.network, data=args.data, data_options=cli.given_data_options(args, "moons"),
                          **cli.config_settings(args))
    assert rebuilt.to_dict() == config.to_dict()


def test_the_readme_states_what_the_buttons_do():
    import pathlib
    import re

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = dict(re.findall(r"^\| ([a-z, ]+) \| (?:\*\*([A-Za-z ]+)\*\*|\(disabled\))", readme, flags=re.M))
    assert rows, "no state table in the README"
    for states, label in rows.items():
        for state in states.split(", "):
            assert (BUTTONS[state][0] or "") == label, state
    assert {s for states in rows for s in states.split(", ")} == set(STATES)


def test_a_closed_panel_trains_no_more():
    d = Dashboard(epochs=2)
    d.close()
    d.start()
    d.step()
    assert d.run is None and not d.busy


def test_nothing_to_train_and_a_network_that_does_not_fit_are_said_at_once():
    d = Dashboard(epochs=0)
    try:
        d.start()
        assert d.run is None and "epochs is 0: nothing to train" in d.message.value
        d.settings.controls["epochs"].widget.value = 2
        d.template.value = "RNN"
        d.data_choice.value = "digits_images"  # the lstm row stays: it cannot take images
        assert "the network does not fit digits_images" in d.message.value and "lstm 32" in d.message.value
    finally:
        d.close()


def test_closing_twice_and_the_text_data_set():
    d = Dashboard()
    d.data_choice.value = "text"
    assert "token codes, which need an &#x27;embedding" in d.message.value and "Text template" in d.message.value
    d.template.value = "Text"
    assert d.config.network.to_text().splitlines()[:2] == ["input tokens", "embedding 100 16"]
    assert d.message.value == ""
    d.close()
    d.close()  # a second close does nothing
