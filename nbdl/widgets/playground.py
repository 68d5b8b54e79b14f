"""The TensorFlow Playground's controls for the training panel: run until stopped, steps per
picture, and the network view's switches (test points, discretised output).

A toy set trains in under a second, so there is little to watch; the Playground animates until
paused. Here "run until stopped" makes Start train on (``UntilStopped`` moves the fit's end on) until
Pause or Stop, and "steps per picture" has every live view draw after each N optimizer steps (so
the picture keeps up, at the cost of speed) rather than on its own time budget."""
from __future__ import annotations

from typing import Any, Callable

import ipywidgets as W

from ..core.callbacks import VIEW, Callback, listens_to_batches
from ..core.until_stopped import UntilStopped
from .controls import style
from .static import Static, mimebundle

# Steps per picture the control offers; 0 is each view on its own time budget.
SPEEDS = (("auto", 0), ("1", 1), ("2", 2), ("5", 5), ("10", 10), ("20", 20), ("50", 50), ("100", 100), ("500", 500))
SWITCHES = ("show_test", "discrete")  # the network view's attributes the switches set


class Pace(Callback):
    """Drives live views: with ``steps`` 0 each view draws on its own time budget (the hooks are
    passed on); otherwise every view draws after each ``steps``-th optimizer step once the history
    has a row (its first picture at the first epoch's end), and at the fit's end. ``steps`` may
    change while the fit runs."""

    order = VIEW
    adds_figures = False

    def __init__(self, views: list[Any], steps: int = 0):
        self.views, self.steps = list(views), steps
        self.batch_views = [view for view in self.views if listens_to_batches(view)]

    def on_fit_start(self, run):
        for view in self.views:
            view.on_fit_start(run)

    def on_batch_end(self, run, logs):
        steps = self.steps
        if not steps:
            for view in self.batch_views:
                view.on_batch_end(run, logs)
        elif run.global_step % steps == 0 and run.history:  # views draw from the first epoch's row on
            for view in self.views:
                view.render(run)

    def on_epoch_end(self, run, logs):
        for view in self.views:
            if not self.steps:
                view.on_epoch_end(run, logs)
            elif view.renders == 0:  # the first picture at the first epoch's end, as on a time budget
                view.render(run)

    def on_fit_end(self, run):
        for view in self.views:
            view.on_fit_end(run)


class Playground(Static):
    """The controls, and the callbacks they give a fit. ``idle_run()`` is the panel's run unless it
    is training (None then): a switch changed while the run is idle or paused redraws the views at
    once; while it trains, the next picture shows it. ``changed()`` is called when "run until
    stopped" is switched (the panel's Start button shows it)."""

    def __init__(self, idle_run: Callable[[], Any], changed: Callable[[], None] = lambda: None):
        self.idle_run, self.changed = idle_run, changed
        self.until_stopped = UntilStopped(on=False)
        self.pace: Pace | None = None
        self.views: list[Any] = []
        self.loop = W.Checkbox(value=False, description="run until stopped", indent=False,
                               layout=W.Layout(width="150px"))
        self.speed = W.Dropdown(options=SPEEDS, value=0, description="steps per picture", style=style(),
                                layout=W.Layout(width="210px"))
        self.test_points = W.Checkbox(value=False, description="show test data", indent=False,
                                      layout=W.Layout(width="130px"))
        self.discrete = W.Checkbox(value=False, description="discretize output", indent=False,
                                   layout=W.Layout(width="150px"))
        self.switches = W.HBox([self.test_points, self.discrete], layout=W.Layout(display="none"))
        self.widget = W.HBox([self.loop, self.speed, self.switches], layout=W.Layout(flex_flow="row wrap"))
        self.widget.add_class("nbdl-playground")  # a name a browser test (or a user's stylesheet) can find
        self.loop.observe(self._loop_changed, names="value")
        self.speed.observe(self._speed_changed, names="value")
        for box in (self.test_points, self.discrete):
            box.observe(self._switched, names="value")

    @property
    def looping(self) -> bool:
        return self.loop.value

    def callbacks(self, views: list[Any]) -> list[Callback]:
        """What a fit gets from the controls: the views under the pace, and training until stopped."""
        self.pace = Pace(views, self.speed.value)
        return [self.pace, self.until_stopped]

    def attach(self, views: list[Any]) -> None:
        """The panel's live views (new ones after Reset): the switches reach those that have them,
        and are shown only when one does."""
        self.views = list(views)
        switched = [view for view in self.views if all(hasattr(view, name) for name in SWITCHES)]
        for view in switched:
            view.show_test, view.discrete = self.test_points.value, self.discrete.value
        self.switches.layout.display = None if switched else "none"

    def _loop_changed(self, change: dict) -> None:
        self.until_stopped.on = change["new"]  # a fit under way hears it at its next epoch's end
        self.changed()

    def _speed_changed(self, change: dict) -> None:
        if self.pace is not None:
            self.pace.steps = change["new"]

    def _switched(self, change: dict) -> None:
        self.attach(self.views)
        run = self.idle_run()
        if run is None or not run.history:
            return  # a run that is training shows it in its next picture
        for view in self.views:
            if all(hasattr(view, name) for name in SWITCHES):
                view.render(run, final=True)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live controls, and where widgets cannot run their settings in words."""
        speed = dict((value, label) for label, value in SPEEDS)[self.speed.value]
        lines = [f"run until stopped: {'on' if self.loop.value else 'off'}", f"steps per picture: {speed}",
                 f"show test data: {'on' if self.test_points.value else 'off'}",
                 f"discretize output: {'on' if self.discrete.value else 'off'}"]
        return mimebundle(self.widget, "nbdl playground controls", lines, [])

    def close(self) -> None:
        self.loop.unobserve(self._loop_changed, names="value")
        self.speed.unobserve(self._speed_changed, names="value")
        for box in (self.test_points, self.discrete):
            box.unobserve(self._switched, names="value")
        for widget in (self.loop, self.speed, self.test_points, self.discrete, self.switches, self.widget):
            widget.close()
