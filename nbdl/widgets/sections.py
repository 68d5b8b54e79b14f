"""The dashboard's control sections. Each control is bound to one ``Config`` field by name."""
from __future__ import annotations

from typing import Any, Callable

import ipywidgets as W

from ..core import activations, optimizers
from ..core.datasets import NAMES as DATA_NAMES
from ..core.layers import BatchNorm, Dense, Dropout, Flatten, Input, Layer
from ..core.sequence import GRU, LSTM, RNN
from ..core.vision import Conv, MaxPool

RECURRENT = {"lstm": LSTM, "gru": GRU, "rnn": RNN}

STYLE = {"description_width": "110px"}
WIDE = W.Layout(width="320px")


def bound(widget: W.Widget, field: str, on_change: Callable[[str, Any], None]) -> W.Widget:
    """Call ``on_change(field, value)`` whenever the widget's value changes."""
    widget.observe(lambda change: on_change(field, change["new"]), names="value")
    widget.nbdl_field = field
    return widget


def data_section(config, on_change) -> tuple[W.Widget, dict[str, W.Widget]]:
    options = config.data_options
    controls = {
        "data": W.Dropdown(options=DATA_NAMES, value=config.data if config.data in DATA_NAMES else "moons",
                           description="data set", style=STYLE, layout=WIDE),
        "noise": W.FloatSlider(value=options.get("noise", 0.2), min=0.0, max=1.0, step=0.05, description="noise",
                               style=STYLE, layout=WIDE),
        "n": W.IntSlider(value=options.get("n", 400), min=50, max=5000, step=50, description="samples",
                         style=STYLE, layout=WIDE),
        "val_split": W.FloatSlider(value=config.val_split, min=0.05, max=0.5, step=0.05, description="validation share",
                                   style=STYLE, layout=WIDE),
    }
    for field, widget in controls.items():
        bound(widget, field, on_change)
    return W.VBox(list(controls.values())), controls


def optimizer_section(config, on_change) -> tuple[W.Widget, dict[str, W.Widget]]:
    kind = optimizers.kind(config.optimizer)
    settings = kind.settings(**config.optimizer_settings())
    betas = settings.get("betas", (0.9, 0.999))
    controls = {
        "optimizer": W.Dropdown(options=optimizers.names(), value=config.optimizer, description="optimizer",
                                style=STYLE, layout=WIDE),
        "lr": W.FloatLogSlider(value=settings["lr"], base=10, min=-5, max=0, step=0.1, description="learning rate",
                               readout_format=".1e", style=STYLE, layout=WIDE),
        "momentum": W.FloatSlider(value=settings.get("momentum", 0.0), min=0, max=0.99, step=0.01,
                                  description="momentum", style=STYLE, layout=WIDE),
        "beta1": W.FloatSlider(value=betas[0], min=0, max=0.999, step=0.001, description="beta1",
                               readout_format=".3f", style=STYLE, layout=WIDE),
        "beta2": W.FloatSlider(value=betas[1], min=0, max=0.9999, step=0.0001, description="beta2",
                               readout_format=".4f", style=STYLE, layout=WIDE),
        "weight_decay": W.BoundedFloatText(value=settings.get("weight_decay", 0.0), min=0, max=1, step=1e-4,
                                           description="weight decay", style=STYLE, layout=WIDE),
        "batch_size": W.BoundedIntText(value=config.batch_size or 32, min=1, max=100_000, description="batch size",
                                       style=STYLE, layout=WIDE),
        "epochs": W.BoundedIntText(value=config.epochs, min=1, max=100_000, description="epochs", style=STYLE,
                                   layout=WIDE),
        "schedule": W.Dropdown(options=["none", "step", "cosine", "plateau"], value=(config.schedule or "none").split("(")[0],
                               description="lr schedule", style=STYLE, layout=WIDE),
    }
    for field, widget in controls.items():
        bound(widget, field, on_change)
    return W.VBox(list(controls.values())), controls


def regularization_section(config, on_change) -> tuple[W.Widget, dict[str, W.Widget]]:
    controls = {
        "l1": W.BoundedFloatText(value=config.l1, min=0, max=10, step=1e-4, description="L1", style=STYLE, layout=WIDE),
        "l2": W.BoundedFloatText(value=config.l2, min=0, max=10, step=1e-4, description="L2", style=STYLE, layout=WIDE),
        "dropout": W.FloatSlider(value=config.dropout or 0.0, min=0, max=0.9, step=0.05,
                                 description="dropout (hidden)", style=STYLE, layout=WIDE),
        "early_stopping": W.BoundedIntText(value=config.early_stopping or 0, min=0, max=1000,
                                           description="early stop (0=off)", style=STYLE, layout=WIDE),
        "augment": W.Text(value=config.augment or "", placeholder="e.g. rotate(10),shift(1) or noise(0.1)",
                          description="augmentation", style=STYLE, layout=WIDE, continuous_update=False),
    }
    for field, widget in controls.items():
        bound(widget, field, on_change)
    return W.VBox(list(controls.values())), controls


TEMPLATES = {
    "MLP": ("moons", ["dense 8 relu", "dense 8 relu"]),
    "CNN": ("digits_images", ["conv 16 3 relu padding=same", "maxpool 2", "conv 32 3 relu padding=same", "maxpool 2",
                              "flatten", "dense 64 relu"]),
    "RNN": ("sunspots", ["lstm 32"]),
}


class LayerList:
    """Hidden layers as rows of controls; the input and output layers come from the data."""

    KINDS = ["dense", "conv", "maxpool", "flatten", "lstm", "gru", "rnn", "dropout", "batchnorm"]

    def __init__(self, layers: list[Layer], init: str, on_change: Callable[[], None]):
        self.on_change = on_change
        self.rows = W.VBox()
        self.template = W.Dropdown(options=["(template)", *TEMPLATES], value="(template)", description="start from",
                                   style=STYLE, layout=WIDE)
        self.add_button = W.Button(description="add layer", icon="plus", layout=W.Layout(width="120px"))
        self.add_button.on_click(lambda _: self.add(Dense(8, "relu")))
        self.init = bound(W.Dropdown(options=["default", "xavier", "kaiming", "normal(0.01)", "zeros"],
                                     value=init if init in ("default", "xavier", "kaiming", "zeros") else "default",
                                     description="initialization", style=STYLE, layout=WIDE),
                          "init", lambda field, value: on_change())
        self.widget = W.VBox([self.template, self.rows, self.add_button, self.init])
        self.set_layers(layers)

    def set_layers(self, layers: list[Layer]) -> None:
        """Replace every row, then say once that the network changed."""
        self._quiet = True
        self.rows.children = []
        for layer in layers:
            self.add(layer)
        self._quiet = False

    def add(self, layer: Layer) -> None:
        kind = W.Dropdown(options=self.KINDS, value=layer.type, layout=W.Layout(width="96px"))
        units = W.BoundedIntText(value=getattr(layer, "units", getattr(layer, "filters", 8)), min=1, max=4096,
                                 tooltip="units (dense) or filters (conv)", layout=W.Layout(width="60px"))
        size = W.BoundedIntText(value=getattr(layer, "kernel", getattr(layer, "size", 3)), min=1, max=15,
                                tooltip="kernel (conv) or window (maxpool)", layout=W.Layout(width="48px"))
        activation = W.Dropdown(options=[a for a in activations.names() if a != "softmax"],
                                value=getattr(layer, "activation", "relu").split("(")[0],
                                layout=W.Layout(width="96px"))
        rate = W.BoundedFloatText(value=getattr(layer, "rate", 0.2), min=0, max=0.95, step=0.05,
                                  layout=W.Layout(width="60px"))
        remove = W.Button(icon="trash", tooltip="remove this layer", layout=W.Layout(width="34px"))
        row = W.HBox([kind, units, size, activation, rate, remove])
        row.nbdl_controls = (kind, units, size, activation, rate)
        row.nbdl_padding = getattr(layer, "padding", "same")  # no control of its own: kept as the spec had it

        def refresh(*_):
            shown = {"dense": (units, activation), "conv": (units, size, activation), "maxpool": (size,),
                     "lstm": (units,), "gru": (units,), "rnn": (units,), "dropout": (rate,)}.get(kind.value, ())
            for control in (units, size, activation, rate):
                control.layout.display = None if control in shown else "none"

        for control in (kind, units, size, activation, rate):
            control.observe(lambda change: (refresh(), self._changed()), names="value")
        remove.on_click(lambda _: self.remove(row))
        refresh()
        self.rows.children = [*self.rows.children, row]
        self._changed()

    def remove(self, row: W.Widget) -> None:
        self.rows.children = [r for r in self.rows.children if r is not row]
        self._changed()

    def _changed(self) -> None:
        if not self._quiet:
            self.on_change()

    def layers(self) -> list[Layer]:
        result: list[Layer] = []
        for row in self.rows.children:
            kind, units, size, activation, rate = (c.value for c in row.nbdl_controls)
            padding = row.nbdl_padding if row.nbdl_padding != "same" or size % 2 else 0
            if kind == "dense":
                result.append(Dense(units, activation))
            elif kind == "conv":
                result.append(Conv(units, size, activation, padding=padding))
            elif kind == "maxpool":
                result.append(MaxPool(size))
            elif kind == "flatten":
                result.append(Flatten())
            elif kind in RECURRENT:
                result.append(RECURRENT[kind](units))
            elif kind == "dropout":
                result.append(Dropout(rate))
            else:
                result.append(BatchNorm())
        return result


def hidden_layers(spec) -> list[Layer]:
    """The layers of a spec between its input line and its output layer, as the rows can show them."""
    layers = [layer for layer in spec.layers if not isinstance(layer, Input)]
    if layers and isinstance(layers[-1], Dense):
        layers = layers[:-1]
    return [layer for layer in layers if layer.type in LayerList.KINDS]
