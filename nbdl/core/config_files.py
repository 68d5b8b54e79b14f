"""An experiment as a file: ``Config.save(path)`` writes what ``to_dict()`` holds as JSON and
``Config.load(path)`` reads it back, checked by the settings' own declarations.

This module knows the file (reading, writing, the words of its errors), not the settings: the
caller passes their declarations, so ``config.py`` imports this one and not the other way round."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from .errors import NbdlError, spelling
from .network import NetworkSpec
from .options import OBJECT, Option


def write(path: Any, values: dict[str, Any]) -> Path:
    """``values`` (a ``Config.to_dict()``) as pretty JSON in ``path``, keys in the settings' order
    and a data set's options sorted, so the same experiment always writes the same file."""
    path = Path(path)
    values = dict(values, data_options=dict(sorted(values.get("data_options", {}).items())))
    try:
        path.write_text(json.dumps(values, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise NbdlError(f"cannot write the config to {path}: {error.strerror or error}") from None
    return path


def own(value: Any) -> bool:
    """A value ``to_dict`` wrote in place of the user's own object: ``<module Net>``, ``<arrays>``."""
    return isinstance(value, str) and value.startswith("<") and value.endswith(">")


def read(path: Any, settings: Iterable[Option], given: dict[str, Any]) -> dict[str, Any]:
    """The settings saved in ``path``, each checked by its declaration, with ``given`` ones in place
    of the file's; one error, naming the file, lists every problem."""
    path, settings = Path(path), {s.name: s for s in settings}
    values = _json(path)
    problems = []
    unknown = sorted(set(values) - set(settings))
    if unknown:
        problems.append(f"unknown setting(s) {', '.join(map(repr, unknown))}; the known ones are: {', '.join(settings)}")
    for name, value in values.items():
        if name in given or name not in settings:
            continue
        try:
            values[name] = _checked(settings[name], value)
        except NbdlError as error:
            words = str(error)
            problems.append(words if words.startswith(repr(name)) else f"{name!r}: {words}")
    problems += [_missing(path, name, values[name]) for name in ("network", "data")
                 if name not in given and own(values.get(name))]
    if len(problems) == 1:
        raise NbdlError(f"config file {path}: {problems[0]}")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise NbdlError(f"{len(problems)} problems in the config file {path}:\n{lines}")
    return {**values, **given}


def read_json(path: Path, what: str, missing: str, not_json: str) -> Any:
    """The JSON value in the file ``path``, or one line: ``what`` names the file ("config file"),
    ``missing`` says what to do when there is none, ``not_json`` is the message for a file that is
    not JSON, with ``{path}`` and ``{where}`` (line, column and why) filled in."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NbdlError(f"no {what} {path}; {missing}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise NbdlError(f"cannot read the {what} {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}: {error.msg}"
        raise NbdlError(not_json.format(path=path, where=where)) from None


def _json(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise NbdlError(f"{path} is a folder; give the config file in it, saved with run.config.save(PATH)")
    values = read_json(path, "config file", f"save one with run.config.save({str(path)!r})",
                       "{path} is not a JSON config ({where}); a config file is written by run.config.save(PATH)")
    if not isinstance(values, dict):
        raise NbdlError(f"{path} holds a JSON {type(values).__name__}, not a config; a config file is an object of "
                        "settings by name, written by run.config.save(PATH)")
    return values


def _checked(setting: Option, value: Any) -> Any:
    """One saved value as the Config takes it: a network dict becomes a NetworkSpec, the data is a
    data set's name, other settings are checked by their declarations."""
    name = setting.name
    if name == "network":
        if value is None or own(value):
            return value
        if isinstance(value, str):
            return NetworkSpec.parse(value)
        return NetworkSpec.from_dict(value)
    if name == "data":
        if value is None or isinstance(value, str):
            return value
        raise NbdlError(f"must be a built-in data set's name, got {value!r:.60}")
    if name == "data_options":
        if not isinstance(value, dict):
            raise NbdlError(f"must be an object of a data set's options by name, such as {{\"noise\": 0.2}}, "
                            f"got {value!r:.60}")
        return value
    if setting.kind == OBJECT:
        return value
    return setting.check(value, repr(name))


def _missing(path: Path, name: str, value: str) -> str:
    """What to give for a network or data of the user's own, which the file names but cannot hold."""
    magic = spelling() == "magic"
    if name == "network":
        what = f"the network is your own torch.nn.Module ({value})"
        fix = "give it as NET" if magic else f"give it: Config.load({str(path)!r}, network=model)"
    else:
        what = f"the data is your own ({value})"
        fix = "give it: --data VARIABLE" if magic else f"give it: Config.load({str(path)!r}, data=(X, y))"
    return f"{what}, which a file cannot hold; {fix}"
