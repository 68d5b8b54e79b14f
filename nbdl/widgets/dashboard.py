"""The training panel: sections of controls bound to one Config, and a view that follows the run.

Training runs in a worker thread so the buttons act within one batch; the thread only assigns
widget values (image bytes, progress, labels), which reach the browser whether the kernel is
idle or busy."""
from __future__ import annotations

import threading
from typing import Any

import ipywidgets as W

from .. import cli
from ..core import Config, NbdlError, NetworkSpec, Run, optimizers
from ..core.datasets import REGRESSION, SEQUENCES, TOY, output_width, sample_shape
from ..core.layers import Dense, Flatten, Input
from ..html import Progress, error_box, figures_line
from ..plots.live import LivePlot
from .sections import (TEMPLATES, LayerList, data_section, hidden_layers, optimizer_section,
                       regularization_section)

REGRESSION_SETS = {*REGRESSION, *SEQUENCES}
DEFAULT_NETWORK = "input 2\ndense 8 relu\ndense 8 relu\ndense 2 softmax"
LIVE = {"lr", "momentum", "beta1", "beta2", "weight_decay", "l1", "l2", "epochs"}


class Dashboard:
    """``Dashboard(network=spec, data="moons")``; ``.widget`` is what the notebook shows."""

    def __init__(self, network: NetworkSpec | str | None = None, data: str = "moons", **settings: Any):
        spec = NetworkSpec.parse(network) if isinstance(network, str) else network or NetworkSpec.parse(DEFAULT_NETWORK)
        start = Config(network=spec, data=data, **settings)
        self.run: Run | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self.layers = LayerList(hidden_layers(spec), start.init, lambda: self._changed("network", None))
        self.layers.template.observe(lambda change: self.use_template(change["new"]), names="value")
        data_box, self.data_controls = data_section(start, self._changed)
        optimizer_box, self.optimizer_controls = optimizer_section(start, self._changed)
        regularization_box, self.regularization_controls = regularization_section(start, self._changed)
        self.controls = {**self.data_controls, **self.optimizer_controls, **self.regularization_controls}
        sections = W.Accordion(children=[self.layers.widget, data_box, optimizer_box, regularization_box],
                               titles=("Network", "Data", "Optimizer", "Regularization"), selected_index=0)
        self.buttons = {name: W.Button(description=name, icon=icon, layout=W.Layout(width="92px"))
                        for name, icon in (("Start", "play"), ("Pause", "pause"), ("Step", "step-forward"),
                                           ("Stop", "stop"), ("Reset", "refresh"))}
        for name, button in self.buttons.items():
            button.on_click(lambda _, action=getattr(self, name.lower()): action())
        self.bar = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="400px"))
        self.figures = W.HTML(value="not started")
        self.message = W.HTML()
        self.image = W.Image(format="png", layout=W.Layout(max_width="720px"))
        self.magic = W.Textarea(layout=W.Layout(width="720px", height="110px"), disabled=False)
        training = W.VBox([W.HBox(list(self.buttons.values())), W.HBox([self.bar, self.figures]), self.message,
                           self.image, W.HTML("<b>copy as magic</b>"), self.magic])
        self.widget = W.HBox([W.VBox([sections], layout=W.Layout(width="390px", min_width="390px")), training])
        self.config = self.current_config()
        self._new_view()
        self._show_magic()

    # -- the config the controls describe ---------------------------------------------------------
    def current_config(self) -> Config:
        c = {name: widget.value for name, widget in self.controls.items()}
        kind = optimizers.kind(c["optimizer"])
        given = {"lr": c["lr"], "momentum": c["momentum"], "betas": (c["beta1"], c["beta2"]),
                 "weight_decay": c["weight_decay"]}
        options = {"n": c["n"], "noise": c["noise"]} if c["data"] in TOY else {}
        width = output_width(c["data"], options)
        head = Dense(width, "linear" if c["data"] in REGRESSION_SETS else "softmax")
        hidden = self.layers.layers()
        if len(sample_shape(c["data"])) == 3 and not any(isinstance(l, Flatten) for l in hidden):
            # Images reach the dense layers flattened: after the last image layer, or at the start.
            last_image = max((i for i, l in enumerate(hidden) if l.type in ("conv", "maxpool")), default=-1)
            hidden.insert(last_image + 1, Flatten())
        return Config(
            network=NetworkSpec([*hidden, head]), data=c["data"], data_options=options,
            val_split=c["val_split"], optimizer=c["optimizer"],
            **{k: v for k, v in given.items() if k in kind.defaults and _differs(v, kind.defaults[k])},
            batch_size=None if kind.full_batch else c["batch_size"], epochs=c["epochs"],
            schedule=None if c["schedule"] == "none" else c["schedule"], l1=c["l1"], l2=c["l2"],
            dropout=c["dropout"] or None, early_stopping=c["early_stopping"] or None, init=self.layers.init.value,
            augment=c["augment"].strip() or None,
        )

    def use_template(self, name: str) -> None:
        """Start from a template network (MLP, CNN) with the data it suits."""
        if name not in TEMPLATES:
            return
        data, lines = TEMPLATES[name]
        self.layers.set_layers([NetworkSpec.parse(line).layers[0] for line in lines])
        if self.controls["data"].value != data:
            self.controls["data"].value = data  # says "changed" itself
        else:
            self._changed("network", None)

    def _changed(self, field: str, value: Any) -> None:
        try:
            self.config = self.current_config().validate()
        except NbdlError as error:
            self._say(error_box(str(error)))
            return
        self._show_magic()
        if self.run is None:
            self._say("")
        elif field in LIVE:
            takes = optimizers.kind(self.run.config.optimizer).defaults
            changes = {k: getattr(self.config, k) for k in ("l1", "l2", "epochs")}
            changes.update({k: getattr(self.config, k) for k in takes if getattr(self.config, k) is not None})
            try:
                self.run.update(**changes)
            except NbdlError as error:
                self._say(error_box(str(error)))
                return
            self._say(f"{field} changed: applies from the next batch")
        else:
            self._say(f"<b>{field} changed: press Reset to start a new run with it</b>")

    def _show_magic(self) -> None:
        spec = NetworkSpec([Input(sample_shape(self.config.data)), *self.config.network.layers])
        self.magic.value = f"%%nbdl net net\n{spec.to_text()}\n\n{cli.magic_line(self.config, 'net')}"

    # -- actions ----------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Train (or go on training) for the configured epochs; a second Start while busy does nothing."""
        if self.busy:
            if self.run.control.paused:
                self.run.resume()
                self._refresh()
            else:
                self._say("already training: Pause, Step or Stop it first")
            return
        if self._ensure_run():
            self._launch()

    def pause(self) -> None:
        """Pause, or resume when paused."""
        if not self.busy:
            return
        if self.run.control.paused:
            self.run.resume()
        else:
            self.run.pause()
        self._refresh()

    def resume(self) -> None:
        if self.busy and self.run.control.paused:
            self.run.resume()
            self._refresh()

    def step(self) -> None:
        """One batch, then pause."""
        if not self.busy:
            if not self._ensure_run():
                return
            self.run.control.pause()
            self._launch()
        self.run.step()
        self._refresh()

    def stop(self) -> None:
        if self.busy:
            self.run.stop()
            self._thread.join(timeout=30)
        self._refresh()

    def reset(self) -> None:
        """Stop, forget the run, and show the settings as they are now."""
        self.stop()
        self.run, self.error = None, None
        self._new_view()
        self._say("")

    def wait(self, timeout: float | None = None) -> None:
        """Block until the training thread ends (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self) -> None:
        self.stop()
        self.widget.close()

    # -- the run and its thread -------------------------------------------------------------------
    def _ensure_run(self) -> bool:
        if self.run is not None:
            return True
        try:
            self.run = Run(self.config)
        except NbdlError as error:
            self._say(error_box(str(error)))
            return False
        self._new_view()
        return True

    def _launch(self) -> None:
        self.error = None
        self._thread = threading.Thread(target=self._train, args=(self.config.epochs,), name="nbdl-dashboard",
                                        daemon=True)
        self._thread.start()
        self._refresh()

    def _train(self, epochs: int) -> None:
        import torch

        torch.set_num_threads(1)  # a second torch thread pool in a worker thread runs several times slower
        try:
            self.run.fit(epochs, callbacks=[self.plot, self.progress])
            if self.run.status == "diverged":
                self._say(error_box(self.run.stop_reason))
        except BaseException as error:  # shown in the panel, kept for scripts
            self.error = error
            self._say(error_box(f"training failed: {type(error).__name__}: {error}"))
        finally:
            self._refresh()

    def _new_view(self) -> None:
        self.plot = LivePlot(self._show_image)
        self.progress = Progress(self._show_progress)
        self.bar.value, self.figures.value = 0, "not started"
        self.image.value = b""

    def _show_image(self, png: bytes) -> None:
        self.image.value = png

    def _show_progress(self, html: str) -> None:
        run = self.run
        if run is not None:
            self.bar.max = max(run.target_epoch, 1)
            self.bar.value = min(run.epoch, self.bar.max)
            self.figures.value = figures_line(run)

    def _say(self, html: str) -> None:
        self.message.value = html

    def _refresh(self) -> None:
        paused = self.busy and self.run.control.paused
        self.buttons["Pause"].description = "Resume" if paused else "Pause"
        self.buttons["Pause"].icon = "play" if paused else "pause"
        self.buttons["Start"].disabled = self.busy and not paused



def _differs(value: Any, default: Any) -> bool:
    """Whether a control's value is not the optimizer's own default (sliders round a little)."""
    if isinstance(default, tuple):
        return any(_differs(v, d) for v, d in zip(value, default))
    return abs(float(value) - float(default)) > 1e-9 * max(1.0, abs(float(default)))
