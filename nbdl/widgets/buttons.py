"""The panel's buttons and the one state machine they follow: which state the panel is in, and
what each button says and allows in it. ``BUTTONS`` is the table the buttons are drawn from:

==============  =======================================  ==================  ===========================
state           Start                                    Pause / Resume      Step
==============  =======================================  ==================  ===========================
not started     Start: a new run, the configured epochs  (disabled)          a new run, one batch, paused
running         (disabled)                               Pause               pause after the next batch
paused          (disabled)                               Resume              one more batch, still paused
finished        Train more: the configured epochs again  (disabled)          one more batch, then paused
stopped         Continue: on to the fit's last epoch     (disabled)          one more batch, then paused
diverged        Continue (lower the learning rate first) (disabled)          one more batch, then paused
failed          Continue                                 (disabled)          one more batch, then paused
==============  =======================================  ==================  ===========================

Stop (running or paused) ends the fit between two batches; Reset stops and forgets the run, so the
next Start makes a new one from the controls as they are. With "run until stopped" (``playground``)
Start, Train more and Continue train on until Pause or Stop; the states and labels stay as above.
"""
from __future__ import annotations

from typing import Any, Callable

import ipywidgets as W

STATES = ("not started", "running", "paused", "finished", "stopped", "diverged", "failed")
# state: (Start's label, or None when disabled; the middle button's label and whether it is enabled;
#         Step enabled; Stop enabled). Reset is always enabled.
BUTTONS: dict[str, tuple[str | None, tuple[str, bool], bool, bool]] = {
    "not started": ("Start", ("Pause", False), True, False),
    "running": (None, ("Pause", True), True, True),
    "paused": (None, ("Resume", True), True, True),
    "finished": ("Train more", ("Pause", False), True, False),
    "stopped": ("Continue", ("Pause", False), True, False),
    "diverged": ("Continue", ("Pause", False), True, False),
    "failed": ("Continue", ("Pause", False), True, False),
}
ACTIONS = (("start", "play"), ("pause", "pause"), ("step", "step-forward"), ("stop", "stop"), ("reset", "refresh"))


def state_of(run: Any, busy: bool) -> str:
    """The panel's state from its run and whether a fit is under way."""
    if run is None:
        return "not started"
    if busy:
        return "paused" if run.control.paused else "running"
    return {"finished": "finished", "diverged": "diverged", "failed": "failed",
            "ready": "not started"}.get(run.status, "stopped")


class Buttons:
    """Start, Pause/Resume, Step, Stop and Reset, each calling ``actions[name]()``."""

    def __init__(self, actions: dict[str, Callable[[], None]]):
        # the first button says "Train more" or "Continue" at times: wider, so its label is never cut
        self.buttons = {name: W.Button(description=name.capitalize(), icon=icon,
                                       layout=W.Layout(width="124px" if i == 0 else "96px"))
                        for i, (name, icon) in enumerate(ACTIONS)}
        self._clicks = {name: (lambda _, act=actions[name]: act()) for name in self.buttons}
        for name, button in self.buttons.items():
            button.on_click(self._clicks[name])
        self.widget = W.HBox(list(self.buttons.values()))
        self.widget.add_class("nbdl-buttons")  # a name a browser test (or a user's stylesheet) can find

    def show(self, state: str, loop: bool = False) -> None:
        """The buttons as the table says for ``state``; with ``loop`` (run until stopped) Start's icon
        says that it trains on until Pause or Stop."""
        start, (middle, middle_on), step_on, stop_on = BUTTONS[state]
        buttons = self.buttons
        buttons["start"].description, buttons["start"].disabled = start or "Start", start is None
        buttons["start"].icon = "repeat" if loop else "play"
        buttons["start"].tooltip = "trains until Pause or Stop" if loop else ""
        buttons["pause"].description, buttons["pause"].disabled = middle, not middle_on
        buttons["pause"].icon = "play" if middle == "Resume" else "pause"
        buttons["step"].disabled, buttons["stop"].disabled = not step_on, not stop_on

    def close(self) -> None:
        for name, button in self.buttons.items():
            button.on_click(self._clicks[name], remove=True)
            button.close()
        self.widget.close()
