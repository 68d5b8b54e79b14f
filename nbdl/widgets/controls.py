"""Controls derived from declared options: the kind, range, default and choices of a setting, a
layer's option or a data set's option decide which widget shows it and what it may hold.

A ``Control`` wraps one or a few widgets with one ``value`` (a Python value the option checks),
``show(value)`` (display a value without calling the handler), ``on_change(handler)``, ``visible``
and ``close()`` (which unhooks every observer)."""
from __future__ import annotations

import math
from html import escape
from typing import Any, Callable

import ipywidgets as W

from ..core.errors import NbdlError
from ..core.options import BOOL, CHOICE, FLOAT, INT, PAIR, Option

LABEL_WIDTH = "118px"  # fits the longest label ("validation share") at the panel's font size
WIDE = "330px"  # a labelled control


def label_of(opt: Option) -> str:
    return opt.label or opt.name.replace("_", " ")


def style() -> dict[str, str]:
    return {"description_width": LABEL_WIDTH}


def side_label(text: str) -> W.HTML:
    """A label to the left of a group of widgets, aligned like the widgets' own descriptions."""
    return W.HTML(f"<div style='text-align:right;padding-right:8px'>{escape(text)}</div>",
                  layout=W.Layout(width=LABEL_WIDTH, min_width=LABEL_WIDTH))


class Control:
    """One option's widget(s). ``read`` turns the widget's value into the option's value."""

    def __init__(self, opt: Option, widget: W.Widget, parts: list[W.Widget] | None = None):
        self.option, self.widget = opt, widget
        self.parts = parts or [widget]
        self.handler: Callable[[], None] | None = None
        self.quiet = False
        for part in self.parts:
            part.observe(self._changed, names="value")

    # -- the value ----------------------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """The option's value the control shows, checked (NbdlError when the user typed something bad)."""
        return self.option.parse(self.read(), subject=label_of(self.option))

    def read(self) -> Any:
        return self.widget.value

    def write(self, value: Any) -> None:
        self.widget.value = value

    def show(self, value: Any) -> None:
        """Display ``value`` without calling the handler."""
        self.quiet = True
        try:
            self.write(value)
        finally:
            self.quiet = False

    def on_change(self, handler: Callable[[], None]) -> "Control":
        self.handler = handler
        return self

    def _changed(self, change: dict) -> None:
        if not self.quiet and self.handler is not None:
            self.handler()

    # -- showing ------------------------------------------------------------------------------------
    @property
    def visible(self) -> bool:
        return self.widget.layout.display != "none"

    @visible.setter
    def visible(self, shown: bool) -> None:
        self.widget.layout.display = None if shown else "none"

    def close(self) -> None:
        for part in self.parts:
            part.unobserve(self._changed, names="value")
            part.close()
        if self.widget not in self.parts:
            self.widget.close()
        self.handler = None


class TextControl(Control):
    """Free text read by the option: ``step(10, 0.5)``, ``flip,rotate(10)``, ``same``; empty is None."""

    def read(self):
        return self.widget.value

    def write(self, value):
        self.widget.value = "" if value is None else " ".join(self.option.format(value))


class ChoiceControl(Control):
    """A dropdown of names; for an optional choice the first entry, ``default``, stands for None."""

    NONE = "default"

    def read(self):
        return None if self.widget.value == self.NONE else self.widget.value

    def write(self, value):
        if value is not None and value not in self.widget.options:
            self.widget.options = [*self.widget.options, value]
        self.widget.value = self.NONE if value is None else value


class NumberControl(Control):
    """A number; a value outside a slider's range widens the range rather than being clipped."""

    def write(self, value):
        if value is None:
            return
        widget = self.widget
        if isinstance(widget, W.FloatLogSlider):
            exponent = math.log10(value) if value > 0 else widget.min
            widget.min, widget.max = min(widget.min, math.floor(exponent)), max(widget.max, math.ceil(exponent))
        elif hasattr(widget, "max") and hasattr(widget, "min"):
            widget.min, widget.max = min(widget.min, value), max(widget.max, value)
        widget.value = value


class PairControl(Control):
    """Two numbers side by side (Adam's betas)."""

    def read(self):
        return tuple(part.value for part in self.parts)

    def write(self, value):
        if value is not None:
            for part, number in zip(self.parts, value):
                part.value = number


class ManyControl(Control):
    """Several names, one toggle each, as the TensorFlow Playground switches its input features on
    and off; the value is the names switched on, in the order the choices were declared."""

    def __init__(self, opt: Option, names: list[str], labelled: bool):
        self.names = names
        toggles = [W.ToggleButton(value=False, description=name, tooltip=name,
                                  layout=W.Layout(width="auto", min_width="52px")) for name in names]
        parts = [side_label(label_of(opt))] if labelled else []
        super().__init__(opt, W.HBox([*parts, *toggles], layout=W.Layout(flex_flow="row wrap")), toggles)

    def read(self):
        return ",".join(name for name, toggle in zip(self.names, self.parts) if toggle.value)

    def write(self, value):
        picked = set(self.option.check(value).split(",")) if value else set()
        for name, toggle in zip(self.names, self.parts):
            toggle.value = name in picked


class ToggleControl(Control):
    """An option that is off (None) or on with a value: a checkbox and the value's control."""

    def __init__(self, opt: Option, inner: Control):
        self.inner = inner
        self.switch = W.Checkbox(value=False, indent=False, layout=W.Layout(width="24px"))
        box = W.HBox([side_label(label_of(opt)), self.switch, inner.widget])
        super().__init__(opt, box, [self.switch, *inner.parts])

    def read(self):
        return self.inner.read() if self.switch.value else None

    def write(self, value):
        self.switch.value = value is not None
        if value is not None:
            self.inner.write(value)
        self.inner.widget.layout.visibility = "visible" if value is not None else "hidden"

    def _changed(self, change):
        self.inner.widget.layout.visibility = "visible" if self.switch.value else "hidden"
        super()._changed(change)

    def close(self):
        super().close()
        self.inner.close()


MANY_TOGGLES = 12  # a many-choice option of at most this many names gets one toggle each


def control_for(opt: Option, value: Any, shown_default: Any = None, width: str = WIDE, labelled: bool = True,
                toggle: bool = False, log: bool = False, step: float | None = None) -> Control:
    """The control that fits ``opt``'s declaration, showing ``value`` (``shown_default`` where the
    value is None and stands for a default chosen elsewhere, such as the optimizer's own rate)."""
    if toggle:
        inner = control_for(opt, value if value is not None else _start(opt), width="140px", labelled=False,
                            step=step)
        control: Control = ToggleControl(opt, inner)
        control.show(value)
        return control
    label = {"description": label_of(opt), "style": style()} if labelled else {}
    layout = W.Layout(width=width)
    shown = value if value is not None else shown_default
    if opt.kind == BOOL:
        return Control(opt, W.Checkbox(value=bool(shown), indent=labelled, layout=layout, **label))
    if opt.kind == PAIR:
        parts = [W.FloatText(value=v, step=0.001, layout=W.Layout(width="90px")) for v in (shown or (0.0, 0.0))]
        box = W.HBox([side_label(label_of(opt)), *parts] if labelled else parts)
        return PairControl(opt, box, parts)
    if opt.kind == CHOICE and opt.many and not _takes_numbers(opt) and len(opt.choice_names()) <= MANY_TOGGLES:
        control = ManyControl(opt, _declared_order(opt), labelled)
        control.show(shown)
        return control
    if opt.kind == CHOICE and not opt.many and not _takes_numbers(opt):
        names = [*([ChoiceControl.NONE] if opt.optional else []), *opt.choice_names()]
        control = ChoiceControl(opt, W.Dropdown(options=names, layout=layout, **label))
        control.show(shown if shown is not None or opt.optional else names[0])
        return control
    if opt.kind in (INT, FLOAT) and not opt.words and shown is not None:
        widget = _number_widget(opt, shown, log, step, layout, label)
        control = NumberControl(opt, widget)
        control.show(shown)
        return control
    placeholder = {"placeholder": _placeholder(opt)}
    if opt.kind == CHOICE and not opt.many:  # names with numbers ('leaky_relu(0.1)'): type, or pick a name
        widget = W.Combobox(options=opt.choice_names(), ensure_option=False, continuous_update=False, layout=layout,
                            **placeholder, **label)
    else:
        widget = W.Text(continuous_update=False, layout=layout, **placeholder, **label)
    control = TextControl(opt, widget)
    control.show(shown)
    return control


def _start(opt: Option) -> Any:
    """A value to start from when an off option is switched on."""
    if opt.kind == INT:
        return max(int(opt.low or 1), 5)
    if opt.kind == FLOAT:
        return 0.2 if opt.high == 1 else 0.01
    return ""


def _declared_order(opt: Option) -> list[str]:
    """The choices' names as their registry declared them (x1, x2, x1^2, ...), else sorted."""
    in_order = getattr(opt.choices, "in_order", None)
    names = [getattr(record, "name", None) for record in in_order()] if in_order else []
    return names if names and all(names) else opt.choice_names()


def _takes_numbers(opt: Option) -> bool:
    return any(getattr(record, "params", ()) for record in getattr(opt.choices, "records", lambda: [])())


def _placeholder(opt: Option) -> str:
    if opt.kind == CHOICE:
        names = opt.choices.synopses() if hasattr(opt.choices, "synopses") else opt.choice_names()
        return ("e.g. " if opt.many else "") + ", ".join(names[:4])
    return "default" if opt.optional else opt.describe()


def _number_widget(opt: Option, value: Any, log: bool, step: float | None, layout: W.Layout, label: dict) -> W.Widget:
    low, high = opt.low, opt.high
    if log:
        exponent = math.log10(value) if value > 0 else -3
        return W.FloatLogSlider(value=value, base=10, min=min(-6, math.floor(exponent)), max=max(1, math.ceil(exponent)),
                                step=0.1, readout_format=".1e", layout=layout, **label)
    if opt.kind == INT:
        return W.BoundedIntText(value=value, min=int(low if low is not None else -10**9),
                                max=int(high if high is not None else 10**9), layout=layout, **label)
    if low is not None and high is not None and high - low <= 1:
        top = high - (step or 0.01) if opt.high_open else high
        return W.FloatSlider(value=value, min=low, max=top, step=step or 0.01, layout=layout, **label)
    return W.FloatText(value=value, step=step or 1e-4, layout=layout, **label)


def problem(control: Control) -> str | None:
    """The control's value, checked: None when fine, else what is wrong."""
    try:
        control.value
    except NbdlError as error:
        return str(error)
    return None
