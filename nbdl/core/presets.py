"""Share strings and teacher presets: a dashboard's settings as a short URL-safe string, and a JSON
scenario (settings, which controls are fixed or hidden, a note for the students), both checked by
the settings' own declarations.

A share string is ``nbdl1.`` then the compact JSON of the settings that differ from the defaults
(the network as its text form), zlib-compressed and base64url-encoded without padding.
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from . import datasets
from .config import NAMES, SETTINGS, Config
from .config_files import read_json
from .errors import NbdlError, raise_all
from .network import NetworkSpec, as_spec
from .options import OBJECT

PREFIX = "nbdl1."
PRESET_KEYS = ("title", "settings", "fixed", "hidden", "note")
# Settings a preset may fix or hide: those with a control in the panel, and the network and data
# options, which the panel draws as layer rows and option controls of their own.
CONTROLLED = tuple(s.name for s in SETTINGS if not s.missing_from("panel") or s.name in ("network", "data_options"))


# -- share strings ----------------------------------------------------------------------------------
def share(config: Config) -> str:
    """``config``'s settings that differ from the defaults, with its network and data set, as a short
    URL-safe string; ``unshare`` reads it back."""
    if isinstance(config.network, nn.Module):
        raise NbdlError("a share string holds the network's text form; a torch.nn.Module of your own cannot go "
                        "into one (build the network with %%nbdl net to share it)")
    if config.data is not None and not isinstance(config.data, str):
        raise NbdlError("a share string names a built-in data set; your own data cannot go into one (share the "
                        "notebook, or save the experiment with run.config.save(PATH))")
    default, values = Config().to_dict(), config.to_dict()
    changed = {name: value for name, value in values.items() if value != default[name]}
    if config.network is not None:
        changed["network"] = as_spec(config.network).to_text()
    text = json.dumps(changed, separators=(",", ":"), sort_keys=True)
    return PREFIX + base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii").rstrip("=")


def unshare(text: Any) -> dict[str, Any]:
    """The settings a share string holds (``network`` as a NetworkSpec), each checked; a damaged or
    foreign string gives one line that says so."""
    if not isinstance(text, str) or not text.strip().startswith(PREFIX):
        shown = f"{text!r:.40}" if isinstance(text, str) else type(text).__name__
        raise NbdlError(f"{shown} is not an nbdl share string: one starts with {PREFIX!r}; copy it whole from a "
                        "dashboard's share field (or dashboard.share())")
    body = text.strip()[len(PREFIX):]
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        raise NbdlError("the share string is damaged (cut short or changed on the way); copy it again whole from "
                        "the dashboard's share field") from None
    if not isinstance(values, dict):
        raise NbdlError("the share string is damaged: it holds no settings; copy it again whole")
    problems = settings_problems(values)
    if problems:
        raise NbdlError("the share string's settings are refused (made by another nbdl version?): " + "; ".join(problems))
    return checked_settings(values)


# -- checking settings ------------------------------------------------------------------------------
def settings_problems(values: dict[str, Any]) -> list[str]:
    """Every problem of ``values`` (settings by name), each naming the setting and the value."""
    problems = []
    unknown = sorted(set(values) - set(NAMES))
    if unknown:
        problems.append(f"unknown setting(s) {', '.join(map(repr, unknown))}; the known ones are: {', '.join(NAMES)}")
    for name, value in values.items():
        if name in NAMES:
            try:
                _check(name, value, values.get("data"))
            except NbdlError as error:
                words = str(error)
                problems.append(words if words.startswith(repr(name)) else f"{name!r}: {words}")
    return problems


def checked_settings(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (already free of problems) as ``Config`` takes them."""
    return {name: _check(name, value, values.get("data")) for name, value in values.items()}


def _check(name: str, value: Any, data: Any) -> Any:
    by_name = {s.name: s for s in SETTINGS}
    if name == "network":
        if isinstance(value, list) and all(isinstance(line, str) for line in value):
            value = "\n".join(value)  # a preset may write the layers as a list of lines
        if isinstance(value, str):
            return NetworkSpec.parse(value)
        if isinstance(value, dict):
            return NetworkSpec.from_dict(value)
        raise NbdlError(f"must be the network's text form (a string, or a list of lines), got {value!r:.60}")
    if name == "data":
        if not isinstance(value, str) or value not in datasets.registry:
            raise NbdlError(f"must be a built-in data set's name ({', '.join(datasets.names())}), got {value!r:.60}")
        return datasets.registry.canonical(value)
    if name == "data_options":
        if not isinstance(value, dict):
            raise NbdlError(f"must be an object of a data set's options by name, such as {{\"noise\": 0.2}}, "
                            f"got {value!r:.60}")
        if isinstance(data, str) and data in datasets.registry:
            own = {o.name: o for o in datasets.registry.get(data).options}
            unknown = sorted(set(value) - set(own))
            if unknown:
                raise NbdlError(f"{data} has no option(s) {', '.join(map(repr, unknown))}; its options are: "
                                f"{', '.join(own) or 'none'}")
            return {k: own[k].check(v, repr(k)) for k, v in value.items()}
        return dict(value)
    if by_name[name].kind == OBJECT:
        return value
    return by_name[name].check(value, repr(name))


# -- presets ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    """A teacher's scenario: the settings the panel opens with, the names of the controls it fixes
    (shown, not changeable) and hides, and a note for the students."""

    title: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    note: str = ""


def read_preset(values: Any, source: str = "preset") -> Preset:
    """A ``Preset`` from a dict such as a preset file holds; one error lists every problem."""
    if not isinstance(values, dict):
        raise NbdlError(f"{source} holds a JSON {type(values).__name__}; a preset is an object with the keys "
                        f"{', '.join(PRESET_KEYS)}")
    problems = []
    unknown = sorted(set(values) - set(PRESET_KEYS))
    if unknown:
        problems.append(f"unknown key(s) {', '.join(map(repr, unknown))}; a preset has: {', '.join(PRESET_KEYS)}")
    for key in ("title", "note"):
        if not isinstance(values.get(key, ""), str):
            problems.append(f"{key!r} must be text, got {values[key]!r:.60}")
    settings = values.get("settings", {})
    if not isinstance(settings, dict):
        problems.append(f"'settings' must be an object of settings by name, such as {{\"lr\": 0.1}}, got {settings!r:.60}")
        settings = {}
    problems += [f"settings: {p}" for p in settings_problems(settings)]
    names = {}
    for key in ("fixed", "hidden"):
        given = values.get(key, [])
        if not isinstance(given, list) or not all(isinstance(n, str) for n in given):
            problems.append(f"{key!r} must be a list of setting names, such as [\"optimizer\", \"lr\"], got {given!r:.60}")
            continue
        bad = [n for n in given if n not in CONTROLLED]
        if bad:
            problems.append(f"{key}: unknown or uncontrolled setting(s) {', '.join(map(repr, bad))}; choose from: "
                            f"{', '.join(CONTROLLED)}")
        names[key] = tuple(n for n in given if n in CONTROLLED)
    if problems:
        raise_all(problems, source)
    return Preset(title=values.get("title", ""), settings=checked_settings(settings), fixed=names["fixed"],
                  hidden=names["hidden"], note=values.get("note", ""))


def load_preset(path: Any) -> Preset:
    """The preset in the JSON file ``path``, checked."""
    path = Path(path)
    values = read_json(path, "preset file", "see notebooks/presets/ for an example", "{path} is not JSON ({where})")
    return read_preset(values, f"preset {path}")


def as_preset(preset: Any) -> Preset:
    """A ``Preset``, a dict such as a preset file holds, or the path of a preset file."""
    if isinstance(preset, Preset):
        return preset
    if isinstance(preset, dict):
        return read_preset(preset)
    if isinstance(preset, (str, Path)):
        return load_preset(preset)
    raise NbdlError(f"a preset is a Preset, a dict or a JSON file's path; got {type(preset).__name__}")
