"""The panel's settings, derived from ``Config``'s declarations: one control per setting, in the
section it declares, with its range, default and choices; the chosen data set's own options; and a
read-only line for what has no control, so nothing the config holds is ever dropped."""
from __future__ import annotations

from html import escape
from typing import Any, Callable

import ipywidgets as W

from ..core import datasets, optimizers
from ..core.config import SETTINGS, Config, Setting
from ..core.options import Option
from .controls import Control, control_for

SECTIONS = ("data", "optimizer", "regularization", "network", "other")
# Settings drawn elsewhere in the panel: the layer rows, the data chooser and its option controls.
DRAWN_ELSEWHERE = ("network", "data", "data_options")
TOGGLED = ("early_stopping", "dropout")  # off (None) or on with a value: a checkbox and the value


def panel_settings() -> list[Setting]:
    return [s for s in SETTINGS if not s.missing_from("panel") and s.name not in DRAWN_ELSEWHERE]


def shown_default(s: Setting, config: Config) -> Any:
    """What a control shows while the setting is None: the chosen optimizer's own value, or the
    effective default (32 samples per batch)."""
    if s.from_optimizer:  # (an optimizer that does not take it hides it; any optimizer's value will do)
        takers = [optimizers.kind(config.optimizer), *optimizers.registry.records()]
        return next(kind.defaults[s.name] for kind in takers if s.name in kind.defaults)
    if s.name == "batch_size":
        from ..core.config import DEFAULT_BATCH_SIZE

        return DEFAULT_BATCH_SIZE
    return None


def setting_control(s: Setting, config: Config) -> Control:
    return control_for(s, getattr(config, s.name), shown_default(s, config), toggle=s.name in TOGGLED,
                       log=s.control == "log", step=s.step)


class Settings:
    """The controls of every setting the panel shows, by section, bound to ``on_change(name)``."""

    def __init__(self, config: Config, on_change: Callable[[str], None]):
        self.on_change = on_change
        self.controls: dict[str, Control] = {}
        for s in panel_settings():
            self.controls[s.name] = setting_control(s, config).on_change(lambda name=s.name: on_change(name))
        self.data_options = W.VBox()
        self.option_controls: dict[str, Control] = {}
        self.others = W.HTML()
        self.sections = {name: W.VBox([c.widget for s, c in self._in(name)]) for name in SECTIONS}

    def _in(self, section: str):
        return [(s, self.controls[s.name]) for s in panel_settings() if s.section == section]

    def show(self, config: Config) -> None:
        """Show the config's values, and only the controls that apply to it: an optimizer's own
        hyperparameters, a batch size unless full-batch."""
        kind = optimizers.kind(config.optimizer)
        for s in panel_settings():
            control = self.controls[s.name]
            control.show(getattr(config, s.name) if getattr(config, s.name) is not None or s.name in TOGGLED
                         else shown_default(s, config))
            control.visible = (s.name in kind.defaults if s.from_optimizer else
                               not kind.full_batch if s.name == "batch_size" else True)
        self.others.value = others_line(config)

    def show_data_options(self, record: Any, given: dict[str, Any], on_change: Callable[[str], None]) -> None:
        """Controls for the chosen data set's own options (none for the user's data), at its defaults."""
        for control in self.option_controls.values():
            control.close()
        self.option_controls = {}
        for opt in getattr(record, "options", ()):
            value = given.get(opt.name, opt.default)
            control = control_for(opt, value, step=0.05 if opt.kind == "float" else None)
            self.option_controls[opt.name] = control.on_change(lambda name=opt.name: on_change(name))
        self.data_options.children = [c.widget for c in self.option_controls.values()]

    def close(self) -> None:
        for control in [*self.controls.values(), *self.option_controls.values()]:
            control.close()
        for widget in (self.data_options, self.others, *self.sections.values()):
            widget.close()


def others_line(config: Config) -> str:
    """The settings with no control of their own that differ from their defaults, read-only."""
    default = Config()
    kept = [(s, getattr(config, s.name)) for s in SETTINGS if s.missing_from("panel") and s.name not in DRAWN_ELSEWHERE
            and getattr(config, s.name) != getattr(default, s.name)]
    if not kept:
        return ""
    return "other settings, kept as given: " + ", ".join(f"<code>{escape(s.name)}={escape(repr(v))}</code>"
                                                         for s, v in kept)


def data_record(name: Any) -> Any:
    return datasets.registry.get(name) if isinstance(name, str) and name in datasets.registry else None


def option_changed(record: Any, name: str, control: Control, options: dict[str, Any]) -> dict[str, Any]:
    """The data options with ``name`` set from its control; options at the set's default are left out."""
    opt: Option = next(o for o in record.options if o.name == name)
    value = control.value
    changed = {k: v for k, v in options.items() if k != name}
    if value != opt.default:
        changed[name] = value
    return changed
