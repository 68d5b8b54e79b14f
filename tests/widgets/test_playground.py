"""The Playground's controls in the panel: run until stopped (every button in every state still
does what the table says), steps per picture (counted renders), the network view's switches."""
import time

import pytest

import nbdl
from nbdl.plots.network_view import NetworkView
from nbdl.widgets import BUTTONS, STATES, Dashboard
from nbdl.widgets.playground import Pace


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Counting(nbdl.Callback):
    """A view's stand-in: counts the pictures it is asked for and at which step."""

    order = 90
    adds_figures = False

    def __init__(self):
        self.steps = []

    @property
    def renders(self):
        return len(self.steps)

    def render(self, run, final=False):
        self.steps.append(run.global_step)

    def on_epoch_end(self, run, logs):
        self.render(run)


@pytest.mark.parametrize("steps", [1, 3, 10, 500])
def test_steps_per_picture_sets_how_often_a_view_draws(steps):
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 4 relu\ndense 2 softmax", data="moons", epochs=4))
    per_epoch = len(run.batches)
    counting, view = Counting(), NetworkView(lambda png: None)
    run.fit(callbacks=[Pace([counting, view], steps)])
    # The first picture at the first epoch's end, then one after each steps-th step.
    expected = [per_epoch, *(s for s in range(per_epoch + 1, 4 * per_epoch + 1) if s % steps == 0)]
    assert counting.steps == expected
    assert view.renders == len(expected) + 1  # and the last frame when the fit ends
    assert view.error is None


def test_auto_leaves_each_view_to_its_time_budget_and_the_pace_can_change_mid_fit():
    run = nbdl.Run(nbdl.Config(network="input 2\ndense 4 relu\ndense 2 softmax", data="moons", epochs=6))
    counting = Counting()
    pace = Pace([counting], 0)

    class Switch(nbdl.Callback):
        order = 95  # after the pace has passed on the epoch's end

        def on_epoch_end(self, run, logs):
            if run.epoch == 3:
                pace.steps = 2

    run.fit(callbacks=[Switch(), pace])
    per_epoch = len(run.batches)
    assert counting.steps[:3] == [per_epoch, 2 * per_epoch, 3 * per_epoch]  # its own hook, each epoch's end
    assert counting.steps[3:] == [s for s in range(3 * per_epoch + 1, 6 * per_epoch + 1) if s % 2 == 0]


@pytest.fixture
def panel():
    d = Dashboard(epochs=2)
    yield d
    d.close()


def test_run_until_stopped_trains_past_the_epochs_then_stop_leaves_a_whole_run(panel):
    panel.playground.loop.value = True
    assert panel.buttons["start"].icon == "repeat" and panel.buttons["start"].tooltip
    panel.start()
    _wait_for(lambda: panel.run.epoch >= 8)  # the configured 2, and on
    assert panel.state == "running"
    panel.stop()
    run = panel.run
    assert panel.state == "stopped" and run.status == "stopped" and not panel.busy
    assert len(run.history["train_loss"]) == run.epoch >= 8 and run.epoch < run.target_epoch <= run.epoch + 2
    assert run.config.epochs == 2 and panel.config.epochs == 2
    assert panel.error is None
    assert f"epoch {run.epoch}/{run.target_epoch}" in panel.status.value
    panel.playground.loop.value = False
    assert panel.buttons["start"].icon == "play"
    panel.start()  # Continue, without the loop: on to the block's end
    panel.wait(30)
    assert run.status == "finished" and run.epoch == run.target_epoch and panel.state == "finished"


def test_switching_the_loop_off_while_running_ends_at_the_blocks_end(panel):
    panel.playground.loop.value = True
    panel.start()
    _wait_for(lambda: panel.run.epoch >= 5)
    panel.playground.loop.value = False
    panel.wait(30)
    assert panel.state == "finished" and panel.run.epoch == panel.run.target_epoch > 2


def _reach(state, loop):
    """A panel in ``state`` with "run until stopped" switched as ``loop`` (a run that reaches
    finished, diverged or failed is made with the loop off, as a loop never finishes)."""
    if state == "diverged":
        d = Dashboard(data="diabetes", optimizer="sgd", lr=1e6, epochs=50)
    else:
        d = Dashboard(epochs=2, batch_size=4)
    d.playground.loop.value = loop and state in ("not started", "running", "paused", "stopped")
    if state == "not started":
        return d
    d.start()
    if state in ("finished", "diverged"):
        d.wait(60)
    elif state == "failed":
        d.wait(60)

        class Broken(nbdl.Callback):
            def on_batch_end(self, run, logs):
                raise RuntimeError("boom")

        d.run.callbacks.append(Broken())
        d.start()
        d.wait(60)
        d.run.callbacks.pop()
    else:
        _wait_for(lambda: d.run.epoch >= 3 or d.run.status == "finished")
        assert d.run.epoch >= 3, "the loop did not go on"
        if state == "paused":
            d.pause()
            _wait_for(lambda: d.run.control.waiting)
        elif state == "stopped":
            d.stop()
    d.playground.loop.value = loop
    assert d.state == state, d.state
    return d


# With the loop on, each button leads where the table in buttons says; what trains goes on past the
# configured epochs.
AFTER = {"start": {"not started": "running", "running": "running", "paused": "paused", "finished": "running",
                   "stopped": "running", "diverged": "running", "failed": "running"},
         "pause": {"running": "paused", "paused": "running"},
         "step": {state: "paused" for state in STATES},
         "stop": {"running": "stopped", "paused": "stopped"},
         "reset": {state: "not started" for state in STATES}}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("button", ["start", "pause", "step", "stop", "reset"])
def test_every_button_in_every_state_with_the_loop_on(state, button):
    d = _reach(state, loop=True)
    try:
        start, (middle, middle_on), step_on, stop_on = BUTTONS[state]
        assert d.buttons["start"].description == (start or "Start") and d.buttons["start"].icon == "repeat"
        if state == "diverged" and button in ("start", "step"):
            d.settings.controls["lr"].widget.value = 1e-3
        before = d.run.epoch if d.run is not None else 0
        getattr(d, button)()
        expected = AFTER[button].get(state, state)
        if expected == "paused":
            _wait_for(lambda: d.run.control.waiting)
        assert d.state == expected
        if expected == "running":  # on past the end of the block under way
            _wait_for(lambda: d.run.epoch >= max(before, d.config.epochs) + 3)
            assert d.state == "running"
        start, (middle, middle_on), step_on, stop_on = BUTTONS[d.state]
        assert d.buttons["start"].disabled == (start is None) and d.buttons["stop"].disabled == (not stop_on)
        assert (d.buttons["pause"].description, d.buttons["pause"].disabled) == (middle, not middle_on)
    finally:
        d.close()


def test_the_switches_reach_the_network_view_and_redraw_it_when_idle(panel):
    assert panel.playground.switches.layout.display == "none", "no run yet: no network view"
    panel.start()
    panel.wait(30)
    names = [view.name for view, _, _ in panel.shown]
    assert "network" in names
    _, live, image = panel.shown[names.index("network")]
    assert panel.playground.switches.layout.display is None
    shown, renders = bytes(image.value), live.renders
    panel.playground.test_points.value = True
    assert live.show_test and live.renders == renders + 1 and bytes(image.value) != shown
    assert live.figure.scatters["test"].get_visible()
    panel.playground.discrete.value = True
    assert live.discrete and live.renders == renders + 2
    panel.reset()  # a new view takes the switches as they are
    panel.start()
    panel.wait(30)
    _, fresh, _ = panel.shown[[view.name for view, _, _ in panel.shown].index("network")]
    assert fresh is not live and fresh.show_test and fresh.discrete


def test_a_switch_redraws_a_paused_run_at_once():
    d = Dashboard(epochs=2000, batch_size=4)
    try:
        d.start()
        _wait_for(lambda: d.run.epoch >= 2)
        d.pause()
        _wait_for(lambda: d.run.control.waiting)
        live = d.shown[[view.name for view, _, _ in d.shown].index("network")][1]
        _wait_for(lambda: live.renders > 0)
        renders = live.renders
        d.playground.discrete.value = True
        assert live.renders == renders + 1 and d.state == "paused"
    finally:
        d.close()


def test_steps_per_picture_in_the_panel_counts_renders(panel):
    panel.settings.controls["epochs"].widget.value = 3
    panel.playground.speed.value = 1
    panel.start()
    panel.wait(30)
    run = panel.run
    live = panel.shown[[view.name for view, _, _ in panel.shown].index("network")][1]
    first_row = len(run.batches)  # at the first epoch's end, after each step from then on, and the last
    assert live.renders == 1 + (run.global_step - first_row) + 1


def test_the_switches_are_hidden_where_no_view_has_them():
    d = Dashboard(network="input 64\ndense 16 relu\ndense 10 softmax", data="digits", epochs=1)
    try:
        d.start()
        d.wait(60)
        assert "network" not in [view.name for view, _, _ in d.shown]
        assert d.playground.switches.layout.display == "none"
    finally:
        d.close()


def test_close_unhooks_the_controls(panel):
    playground = panel.playground
    playground.callbacks([])
    refreshed = []
    playground.changed = lambda: refreshed.append(1)
    playground.idle_run = lambda: pytest.fail("a closed panel redraws nothing")
    panel.close()
    playground.loop.value = True
    playground.speed.value = 5
    playground.test_points.value = playground.discrete.value = True
    assert not playground.until_stopped.on and playground.pace.steps == 0 and refreshed == []
