"""The training panel: a thin view of one ``Config``, and buttons that follow one state machine.

The panel holds one config; a control's change replaces that one field (``config.replace``), so
a setting, a layer option or the user's data the panel has no control for is kept as given (and
listed read-only). What each button does in each state is the table in ``buttons``; the run
trains in a thread of its own (``worker``).
"""
from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as W

from ..core import NbdlError, NetworkSpec, Run, datasets, optimizers, presets
from ..core.config import LIVE, Config, train_command
from ..core.data import Dataset
from ..core.network import as_spec
from ..core.tasks import CLASSIFICATION
from ..html import CoachNotes, Progress, error_box, figures_line
from ..plots import views
from .buttons import Buttons, state_of
from .controls import WIDE, ManyControl, style
from .layers import LayerList
from .pictures import Pictures
from .playground import Playground
from .sections import Settings, data_record, option_changed
from .static import Static, mimebundle
from .worker import Worker

PICTURES_WIDTH = 860  # px: the widest live picture (the network view) at its own size
DEFAULT_NETWORK = "input 2\ndense 8 relu\ndense 8 relu\ndense 2 softmax"
TEMPLATES = {
    "MLP": ("moons", "dense 8 relu\ndense 8 relu\ndense 2 softmax"),
    "CNN": ("digits_images", "conv 16 3 relu padding=same\nmaxpool 2\nconv 32 3 relu padding=same\nmaxpool 2\n"
                             "flatten\ndense 64 relu\ndense 10 softmax"),
    "RNN": ("sunspots", "lstm 32\ndense 1"),
    "Text": ("text", "embedding 100 16\nlstm 64 sequences\ndense 100 softmax"),
}


class Dashboard(Static):
    """``Dashboard(network=spec, data="moons", lr=0.01)``; ``.widget`` is what the notebook shows,
    ``.config`` the one config it edits, ``.run`` the run it trains."""

    def __init__(self, network: Any = None, data: Any = None, data_options: dict[str, Any] | None = None,
                 network_name: str = "net", data_name: str | None = None, preset: Any = None, **settings: Any):
        # A preset (a file, a dict or a Preset) gives the settings that are not given here.
        self.preset = presets.as_preset(preset) if preset is not None else presets.Preset()
        chosen = self.preset.settings
        network = network if network is not None else chosen.get("network")
        if data is None:
            data = chosen.get("data", "moons")
            if data_options is None or isinstance(data_options, dict):  # anything else: the data set says what it takes
                data_options = {**chosen.get("data_options", {}), **(data_options or {})}
        settings = {**{k: v for k, v in chosen.items() if k not in ("network", "data", "data_options")}, **settings}
        for name in (network_name, data_name):
            if name is not None and (not isinstance(name, str) or not name.isidentifier()):
                raise NbdlError(f"the panel's names of the network and data are Python names (they go into the "
                                f"copied magic), got {name!r}")
        self.user_data = data if not isinstance(data, str) else None
        self.network_name, self.data_name = network_name, data_name or ("data" if self.user_data is not None else None)
        spec = as_spec(network) if network is not None else self._fit(as_spec(DEFAULT_NETWORK), data, data_options or {})
        self.config = Config(network=spec, data=data, data_options=dict(data_options or {})).replace(**settings).validate()
        self.worker = Worker(self._fit_ended)
        self.closed = False
        self.settings = Settings(self.config, self.setting_changed)
        self.layers = LayerList(spec, self.network_changed)
        self.template = W.Dropdown(options=["(template)", *TEMPLATES], value="(template)", description="start from",
                                   style=style(), layout=W.Layout(width=WIDE))
        self.template.observe(self._template_chosen, names="value")
        self.data_choice = W.Dropdown(options=self._data_choices(), value=self._data_label(), description="data set",
                                      style=style(), layout=W.Layout(width=WIDE))
        self.data_choice.observe(self._data_chosen, names="value")
        sections = W.Accordion(children=[
            W.VBox([self.template, self.layers.widget, self.settings.sections["network"]]),
            W.VBox([self.data_choice, self.settings.data_options, self.settings.sections["data"]]),
            self.settings.sections["optimizer"], self.settings.sections["regularization"],
            W.VBox([self.settings.sections["other"], self.settings.others]),
        ], titles=("Network", "Data", "Optimizer", "Regularization", "Other"), selected_index=0)
        self.actions = Buttons({name: getattr(self, name) for name in ("start", "pause", "step", "stop", "reset")})
        self.buttons = self.actions.buttons
        self.playground = Playground(lambda: None if self.state == "running" else self.run, self._refresh)
        self.status = W.HTML()
        self.bar = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="240px"))
        self.figures = W.HTML(value="")
        self.message = W.HTML()
        self.notes = W.HTML()  # what the coach says, with diagnostics on
        self.pictures = Pictures()
        self.magic = W.Textarea(layout=W.Layout(width="calc(100% - 4px)"))  # its border inside the column
        self.share_field = W.Text(description="share", style=style(), layout=W.Layout(width="calc(100% - 4px)"))
        self.notice = W.HTML(presets_notice(self.preset), layout=W.Layout(display=None if self.preset.title or
                                                                         self.preset.note else "none"))
        for widget, name in ((self.status, "nbdl-status"), (self.magic, "nbdl-magic"), (self.share_field, "nbdl-share"),
                             (self.notice, "nbdl-notice")):
            widget.add_class(name)  # names a browser test (or a user's stylesheet) can find
        training = W.VBox([self.actions.widget, self.playground.widget, self.status, W.HBox([self.bar, self.figures]),
                           self.message, self.notes, self.pictures.widget, W.HTML("<b>copy as magic</b>"), self.magic,
                           self.share_field],
                          layout=W.Layout(flex="1 1 auto", min_width=f"min(100%, {PICTURES_WIDTH}px)"))
        # Where the pictures do not fit beside the controls at their own size, they go below them.
        self.widget = W.HBox([W.VBox([self.notice, sections], layout=W.Layout(width="420px", min_width="420px")), training],
                             layout=W.Layout(width="100%", flex_flow="row wrap"))
        self.settings.show_data_options(data_record(self.config.data), self.config.data_options, self.data_option_changed)
        self._show_settings()
        self._new_view()
        self._show_magic()
        self._refresh()

    # -- the state machine ------------------------------------------------------------------------
    @property
    def run(self) -> Run | None:
        return self.worker.run

    @property
    def error(self) -> BaseException | None:
        """What made the last fit fail, if anything."""
        return self.worker.error

    @property
    def busy(self) -> bool:
        """Whether a fit is under way (from Start or Step until the fit returns)."""
        return self.worker.fitting

    @property
    def state(self) -> str:
        return state_of(self.run, self.busy)

    def start(self) -> None:
        """Start, Train more or Continue, as the state says (see the table in ``buttons``)."""
        state = self.state
        if self.closed:
            return
        if state in ("running", "paused"):
            self._say("already training: Pause, Step or Stop it first")
        elif self._epochs_for(state) == 0:
            self._say("epochs is 0: nothing to train; set epochs above 0")
        elif self._ensure_run():
            self._launch(self._epochs_for(state))

    def pause(self) -> None:
        """The middle button: Pause while running, Resume while paused."""
        if self.state == "running":
            self.run.pause()
        elif self.state == "paused":
            self.run.resume()
        self._refresh()

    def resume(self) -> None:
        if self.state == "paused":
            self.run.resume()
        self._refresh()

    def step(self) -> None:
        """One batch, then paused (from any state)."""
        state = self.state
        if self.closed:
            return
        if state not in ("running", "paused"):
            if self._epochs_for(state) == 0:
                self._say("epochs is 0: nothing to train; set epochs above 0")
                return
            if not self._ensure_run():
                return
            self.run.step()  # asked for before the fit starts: one batch, then paused
            self._launch(self._epochs_for(state))
        else:
            self.run.step()
        self._refresh()

    def stop(self) -> None:
        self.worker.stop()
        self._refresh()

    def reset(self) -> None:
        """Stop, forget the run, and show the settings as they are now."""
        self.stop()
        self.worker = Worker(self._fit_ended)
        self._new_view()
        self._say("")
        self._refresh()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the training thread ends (for scripts and tests)."""
        self.worker.wait(timeout)

    def _epochs_for(self, state: str) -> int:
        if state in ("stopped", "diverged", "failed") and self.run.target_epoch > self.run.epoch:
            return self.run.target_epoch - self.run.epoch  # on to the last fit's end
        return self.config.epochs

    # -- the one config -----------------------------------------------------------------------------
    def setting_changed(self, name: str) -> None:
        """A setting's control changed: that one field of the config changes."""
        try:
            value = self.settings.controls[name].value
            changes = {name: value}
            if name == "optimizer":  # the new optimizer starts from its own hyperparameters (unless fixed)
                changes.update({k: None for k in optimizers.HYPERPARAMETERS if k not in self.preset.fixed})
                if optimizers.kind(value).full_batch:
                    changes["batch_size"] = None
            self._apply(self.config.replace(**changes), [name])
        except NbdlError as error:
            self._say(error_box(str(error)))

    def network_changed(self) -> None:
        try:
            self._apply(self.config.replace(network=self.layers.spec()), ["network"])
        except NbdlError as error:
            self._say(error_box(str(error)))

    def data_option_changed(self, name: str) -> None:
        record = data_record(self.config.data)
        try:
            options = option_changed(record, name, self.settings.option_controls[name], self.config.data_options)
            network = self._fit(self.config.network, self.config.data, options)
            self._apply(self.config.replace(data_options=options, network=network), [name])
            self.layers.show(network)
            self._constrain()
        except NbdlError as error:
            self._say(error_box(str(error)))
            if isinstance(self.settings.option_controls[name], ManyControl):  # switches show what is in use
                control = self.settings.option_controls[name]
                control.show(self.config.data_options.get(name, control.option.default))

    def use(self, data: Any, network: NetworkSpec | None = None) -> None:
        """Train on ``data`` (a data set's name or the user's data), with ``network`` or the current
        one made to fit it."""
        try:
            network = self._fit(network or self.config.network, data, {})
            self._apply(self.config.replace(data=data, data_options={}, network=network), ["data"])
        except NbdlError as error:
            self._say(error_box(str(error)))
            return
        self.layers.show(network)
        self.settings.show_data_options(data_record(data), {}, self.data_option_changed)
        self.data_choice.unobserve(self._data_chosen, names="value")
        self.data_choice.value = self._data_label()
        self.data_choice.observe(self._data_chosen, names="value")
        self._constrain()

    def _fit(self, network: NetworkSpec, data: Any, options: dict[str, Any]) -> NetworkSpec:
        """``network`` made to take ``data``'s samples and give its outputs."""
        record = data_record(data)
        if record is not None:
            values = record.settle(options)
            return network.fitted(record.shape(values), record.width(values), record.task == CLASSIFICATION,
                                  record.tokens)
        dataset = data if isinstance(data, Dataset) else datasets.as_dataset(data, **options)
        return network.fitted(dataset.sample_shape, dataset.target_width, dataset.task == CLASSIFICATION,
                              dataset.tokens)

    def _apply(self, config: Config, changed: list[str]) -> None:
        """Take ``config`` (the ``changed`` fields differ) and tell the run, or say it needs a new one."""
        self.config = config.validate()
        self._show_settings()
        self._show_magic()
        unfit = self._unfit()
        if self.run is None or unfit:
            self._say(error_box(unfit) if unfit else "")
            return
        names = escape(", ".join(changed))
        if any(name not in LIVE for name in changed):
            self._say(f"<b>{names} changed: press Reset to start a new run with it</b>")
            return
        self.run.update(**{name: getattr(self.config, name) for name in changed})
        self._say(f"{names} changed: " + ("applies from the next batch" if self.busy else "applies when training goes on"))
        self._refresh()

    def _unfit(self) -> str:
        """Why the network cannot take the chosen built-in data set's samples ('' when it can)."""
        record = data_record(self.config.data)
        if record is None:
            return ""
        try:
            spec = as_spec(self.config.network)
            spec.shapes(record.shape(record.settle(self.config.data_options)))
            if record.tokens and not any(layer.type == "embedding" for layer in spec.layers):
                raise NbdlError("its samples are token codes, which need an 'embedding VOCABULARY DIMENSIONS' layer "
                                "after the input")
        except NbdlError as error:
            advice = next((f"; start from the {name} template" for name, (data, _) in TEMPLATES.items()
                           if data == record.name), "")
            return f"the network does not fit {record.name}: {error}{advice}"
        return ""

    def _template_chosen(self, change: dict) -> None:
        if change["new"] in TEMPLATES:
            data, text = TEMPLATES[change["new"]]
            self.use(data, NetworkSpec.parse(text))

    def _data_choices(self) -> list[str]:
        own = [f"{self.data_name} (your data)"] if self.user_data is not None else []
        return [*own, *datasets.names()]

    def _data_label(self) -> str:
        return f"{self.data_name} (your data)" if self.config.data is self.user_data else self.config.data

    def _data_chosen(self, change: dict) -> None:
        self.use(self.user_data if change["new"].endswith("(your data)") else change["new"])

    def _show_magic(self) -> None:
        spec = as_spec(self.config.network)
        text = (f"%%nbdl net {self.network_name}\n{spec.to_text()}\n\n"
                f"{train_command(self.config, self.network_name, self.data_name)}")
        self.magic.value = text
        self.magic.rows = text.count("\n") + 3
        try:
            self.share_field.value = self.share()
        except NbdlError as error:
            self.share_field.value = f"(no share string: {error})"

    # -- share strings and presets ------------------------------------------------------------------
    def share(self) -> str:
        """A short URL-safe string of this panel's settings; ``Dashboard.from_share(text)`` or
        ``%nbdl dashboard --share TEXT`` opens a panel with the same ones."""
        return presets.share(self.config)

    @classmethod
    def from_share(cls, text: str, **given: Any) -> "Dashboard":
        """The panel a share string describes; ``given`` arguments take the place of its own."""
        return cls(**{**presets.unshare(text), **given})

    def _show_settings(self) -> None:
        self.settings.show(self.config)
        self._constrain()

    def _constrain(self) -> None:
        """The preset's fixed controls disabled, its hidden ones not shown (again after any redraw)."""
        for name in {*self.preset.fixed, *self.preset.hidden}:
            for widget in self._widgets_of(name):
                disable(widget)
                if name in self.preset.hidden:
                    widget.layout.display = "none"

    def _widgets_of(self, name: str) -> list[W.Widget]:
        drawn_elsewhere = {"network": [self.template, self.layers.widget], "data": [self.data_choice],
                           "data_options": [self.settings.data_options]}
        return drawn_elsewhere.get(name) or [self.settings.controls[name].widget]

    # -- the run and its thread -------------------------------------------------------------------
    def _ensure_run(self) -> bool:
        if self.run is not None:
            return True
        try:
            self.worker.run = Run(self.config)
        except NbdlError as error:
            self._say(error_box(str(error)))
            return False
        self.run.control.on_hold.append(self._refresh)  # the status shows the step it paused at
        self._new_view()
        return True

    def _launch(self, epochs: int) -> None:
        if self.pictures.stale(self.run):
            self._new_pictures()  # a setting switched on since (diagnostics) brings its picture
        self.worker.launch(self.run, epochs, [*self.playground.callbacks(self.pictures.live), self.progress,
                                              self.coach])
        self._refresh()

    def _fit_ended(self) -> None:
        """In the training thread, when a fit returns: say how it ended."""
        if self.error is not None:
            self._say(error_box(f"training failed: {type(self.error).__name__}: {self.error}"))
        elif self.run.status == "diverged":
            self._say(error_box(self.run.stop_reason))
        elif self.pictures.failures():
            self._say(error_box("; ".join(self.pictures.failures())))
        self._refresh()
        self.redisplay()  # the saved notebook keeps this fit's last picture

    def _new_view(self) -> None:
        self.progress = Progress(self._show_progress)
        self.coach = CoachNotes(self._show_notes, this_fit=False)
        self.notes.value = ""
        self.bar.value, self.figures.value = 0, ""
        self._new_pictures()

    def _new_pictures(self) -> None:
        self.pictures.make(self.run)
        self.playground.attach(self.pictures.live)

    @property
    def shown(self) -> list[tuple[views.View, views.LiveView, Any]]:
        """Each live view's record, callback and image."""
        return self.pictures.shown

    @property
    def plot(self) -> views.LiveView:
        """The training curves' view."""
        return self.shown[0][1]

    @property
    def image(self) -> W.Image:
        """The training curves' image."""
        return self.shown[0][2]

    def _show_progress(self, html: str) -> None:
        run = self.run
        if run is not None:
            self.bar.max = max(run.target_epoch, 1)
            self.bar.value = min(run.epoch, self.bar.max)
            self.figures.value = escape(figures_line(run))
            self._show_status()

    def _show_notes(self, html: str) -> None:
        self.notes.value = html

    def _say(self, html: str) -> None:
        self.message.value = html

    def _refresh(self) -> None:
        self.actions.show(self.state, self.playground.looping)
        self._show_status()

    def _show_status(self) -> None:
        """The state in words, where the run is, and why it stopped."""
        state, run = self.state, self.run
        if run is None:
            where = ""
        elif self.playground.looping and state in ("running", "paused"):
            where = f" · epoch {run.epoch}, until stopped · step {run.global_step}"
        else:
            where = f" · epoch {run.epoch}/{run.target_epoch} · step {run.global_step}"
        reason = f" · {escape(run.stop_reason)}" if run is not None and state == "stopped" and run.stop_reason else ""
        self.status.value = f"<b>{state}</b>{where}{reason}"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live panel, and where widgets cannot run (GitHub, nbviewer) its state, settings and
        last pictures."""
        run = self.run
        where = f"{self.state} · {figures_line(run)}" if run is not None else "not trained yet"
        pictures = [bytes(image.value) for _, _, image in self.shown if image.value]
        return mimebundle(self.widget, f"nbdl dashboard: {where}", self.magic.value.splitlines(), pictures)

    def close(self) -> None:
        """Stop training, unhook every observer and close every widget (once; again does nothing)."""
        if self.closed:
            return
        self.closed = True
        self.stop()
        self.actions.close()
        self.playground.close()
        self.template.unobserve(self._template_chosen, names="value")
        self.data_choice.unobserve(self._data_chosen, names="value")
        self.settings.close()
        self.layers.close()
        self.pictures.close()
        for widget in (self.template, self.data_choice, self.status, self.bar, self.figures,
                       self.message, self.notes, self.magic, self.share_field, self.notice, self.widget):
            widget.close()


def disable(widget: W.Widget) -> None:
    """``widget`` and every widget inside it made unchangeable."""
    if widget.has_trait("disabled"):
        widget.disabled = True
    for child in getattr(widget, "children", ()):
        disable(child)


def presets_notice(preset: presets.Preset) -> str:
    """The preset's title and note for the students, above the controls."""
    title = f"<h3 style='margin:4px 0'>{escape(preset.title)}</h3>" if preset.title else ""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in preset.note.split("\n\n") if p.strip())
    return f"<div style='max-width:410px'>{title}{paragraphs}</div>"
