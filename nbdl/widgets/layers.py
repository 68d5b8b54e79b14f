"""The network as rows of controls, one row per layer, derived from each layer type's declared
options: a new layer type registered with ``nbdl.register_layer`` gets its row without code here."""
from __future__ import annotations

from typing import Any, Callable

import ipywidgets as W

from ..core import layers
from ..core.errors import NbdlError
from ..core.layers import Input, Layer
from ..core.layers.base import replace
from ..core.network import NetworkSpec
from ..core.options import BOOL, INT, Option
from .controls import Control, control_for

ADD = "dense 8 relu"  # the layer the 'add layer' button adds, before the output layer


def starting_layer(kind: str, previous: Layer | None = None) -> Layer:
    """A layer of type ``kind`` for a new row: its example, keeping the previous layer's options
    that the new type has too (a dense layer turned into a conv keeps its activation)."""
    cls = layers.registry.get(kind)
    layer = cls.from_words(cls.example.split()[1:]) if cls.example else cls()
    if previous is not None:
        for opt in cls.options():
            if hasattr(previous, opt.name) and opt.name != "line":
                try:
                    layer = replace(layer, **{opt.name: getattr(previous, opt.name)})
                except NbdlError:
                    pass
    return layer


def option_control(opt: Option, value: Any) -> Control:
    """A compact control for one option of a layer (no label: the placeholder and tooltip name it)."""
    width = {INT: "58px", BOOL: "112px"}.get(opt.kind, "104px")
    control = control_for(opt, value, width=width, labelled=False)
    control.widget.tooltip = f"{opt.name}: {opt.help}"
    if opt.kind == BOOL:
        control.widget.description = opt.name
    return control


class LayerRow:
    """One layer: its type and one control per declared option, then a remove button."""

    def __init__(self, layer: Layer, on_change: Callable[[], None], on_remove: Callable[["LayerRow"], None]):
        self.on_change = on_change
        self.kind = W.Dropdown(options=[n for n in layers.registry.names() if n != "input"], value=layer.type,
                               layout=W.Layout(width="112px"))
        self.kind.observe(self._kind_changed, names="value")
        self.remove = W.Button(icon="trash", tooltip="remove this layer", layout=W.Layout(width="34px"))
        self._remove = lambda _: on_remove(self)
        self.remove.on_click(self._remove)
        self.box = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.controls: dict[str, Control] = {}
        self._show(layer)

    def _show(self, layer: Layer) -> None:
        for control in self.controls.values():
            control.close()
        self.controls = {opt.name: option_control(opt, getattr(layer, opt.name)).on_change(self.on_change)
                         for opt in type(layer).options()}
        self.box.children = [self.kind, *(c.widget for c in self.controls.values()), self.remove]

    def _kind_changed(self, change: dict) -> None:
        try:
            previous = layers.registry.get(change["old"])(**{k: c.value for k, c in self.controls.items()})
        except (NbdlError, TypeError):
            previous = None
        self._show(starting_layer(change["new"], previous))
        self.on_change()

    def layer(self) -> Layer:
        """The layer the row describes, checked; an NbdlError names the bad option."""
        return layers.registry.get(self.kind.value)(**{name: c.value for name, c in self.controls.items()})

    def close(self) -> None:
        self.kind.unobserve(self._kind_changed, names="value")
        self.remove.on_click(self._remove, remove=True)
        for control in self.controls.values():
            control.close()
        for widget in (self.kind, self.remove, self.box):
            widget.close()


class LayerList:
    """The network's layers as rows; the input line comes from the data and is shown read-only."""

    def __init__(self, spec: NetworkSpec, on_change: Callable[[], None]):
        self.on_change = on_change
        self.input_line = W.HTML()
        self.rows_box = W.VBox()
        self.add_button = W.Button(description="add layer", icon="plus", layout=W.Layout(width="120px"))
        self._add = lambda _: self.add(starting_layer("dense", layers.Dense(8, "relu")))
        self.add_button.on_click(self._add)
        self.widget = W.VBox([self.input_line, self.rows_box, self.add_button])
        self.rows: list[LayerRow] = []
        self.input: Input | None = None
        self.show(spec)

    def show(self, spec: NetworkSpec) -> None:
        """Show every layer of ``spec`` (replacing the rows) without calling the handler."""
        for row in self.rows:
            row.close()
        first = spec.layers[0]
        self.input = first if isinstance(first, Input) else None
        hidden = spec.layers[1:] if self.input is not None else spec.layers
        self.input_line.value = (f"<code>{self.input.to_text()}</code> <i>(from the data)</i>" if self.input
                                 else "<i>input: from the data</i>")
        self.rows = [LayerRow(layer, self.on_change, self.remove) for layer in hidden]
        self.rows_box.children = [row.box for row in self.rows]

    def add(self, layer: Layer) -> None:
        """A new row before the output layer."""
        row = LayerRow(layer, self.on_change, self.remove)
        self.rows.insert(max(len(self.rows) - 1, 0), row)
        self.rows_box.children = [r.box for r in self.rows]
        self.on_change()

    def remove(self, row: LayerRow) -> None:
        self.rows.remove(row)
        row.close()
        self.rows_box.children = [r.box for r in self.rows]
        self.on_change()

    def spec(self) -> NetworkSpec:
        """The network the rows describe; an NbdlError names the row and option that is bad."""
        found = [self.input] if self.input is not None else []
        for number, row in enumerate(self.rows, start=1):
            try:
                found.append(row.layer())
            except NbdlError as error:
                raise NbdlError(f"layer {number} ({row.kind.value}): {error}") from None
        return NetworkSpec(found)

    def close(self) -> None:
        for row in self.rows:
            row.close()
        self.add_button.on_click(self._add, remove=True)
        for widget in (self.input_line, self.rows_box, self.add_button, self.widget):
            widget.close()
