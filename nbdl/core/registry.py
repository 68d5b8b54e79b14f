"""Registries: one shape for every named thing (activations, initializations, optimizers,
schedules, losses, layers, augmentations, data sets): a map from name to record, one lookup, and
the standard error for an unknown name that lists the choices.

A record that is made from a name with numbers, such as ``"leaky_relu(0.1)"`` or
``"step(10, 0.5)"``, is an ``Entry``: its factory and its declared parameters, so the numbers are
checked (range, whole or not) before anything is made. The same strings work in the text form,
the magic's flags, the panel's controls and a JSON config.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar

from .errors import NbdlError, unknown
from .options import Option, read_number

_CALL = re.compile(r"^\s*([A-Za-z_][\w\-]*)\s*(?:\((.*)\))?\s*$", re.S)
_NAME = re.compile(r"^\s*([A-Za-z_][\w\-]*)\s*(?:\(|,|$)")  # the name before any '(numbers)'
_WHOLE_NAME = re.compile(r"^[A-Za-z][\w\-]*$")
R = TypeVar("R")


_KEYWORD = re.compile(r"^([A-Za-z_]\w*)\s*=\s*(.*)$")
_LOOSE = re.compile(r"^\s*([A-Za-z_][\w\-]*)\s*,\s*([^()]*)$")  # "kaiming, bias=-1"


def parse_call(text: str, example: str = "leaky_relu(0.1)") -> tuple[str, list[Any], dict[str, Any]]:
    """Split ``"name(1, 2.5, bias=-1)"`` into ``("name", [1, 2.5], {"bias": -1})``; a bare name has
    no arguments. ``"name, bias=-1"`` reads as ``"name(bias=-1)"``."""
    loose = _LOOSE.match(str(text))
    match = _CALL.match(f"{loose.group(1)}({loose.group(2)})" if loose else str(text))
    if not match:
        raise NbdlError(f"cannot read {text!r}; write a name, optionally with numbers in brackets: {example!r}")
    name, inner = normal(match.group(1)), match.group(2)
    args: list[Any] = []
    keywords: dict[str, Any] = {}
    if inner and inner.strip():
        for part in inner.split(","):
            word, key = part.strip(), None
            keyword = _KEYWORD.match(word)
            if keyword:
                key, word = keyword.group(1).lower(), keyword.group(2).strip()
                if key in keywords:
                    raise NbdlError(f"{key} is given twice in {text!r}")
            elif keywords:
                raise NbdlError(f"in {text!r}, a number without a name ({word!r}) follows a named one; "
                                f"write the plain numbers first: {example!r}")
            value = _number(word, text)
            if key is None:
                args.append(value)
            else:
                keywords[key] = value
    return name, args, keywords


def _number(word: str, text: str) -> int | float:
    value = read_number(word)
    if isinstance(value, str):
        raise NbdlError(f"cannot read {word!r} in {text!r}; arguments must be numbers")
    return value


def normal(name: str) -> str:
    """Names are matched without case, and ``-`` reads as ``_``."""
    return str(name).strip().lower().replace("-", "_")


@dataclass(frozen=True, eq=False)
class Entry:
    """A record made by calling ``make(*extra, *numbers)``; ``params`` declares the numbers."""

    name: str
    make: Callable[..., Any]
    params: tuple[Option, ...] = ()
    help: str = ""

    def synopsis(self) -> str:
        """``leaky_relu(slope=0.01)``: the name and its numbers with their defaults."""
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{p.name}={p.default_text()}' for p in self.params)})"


class Registry(Generic[R]):
    """Name -> record. ``get`` finds a record by name (aliases resolved); ``parse`` also checks
    the numbers written after the name; ``make`` builds an ``Entry`` from such a string."""

    def __init__(self, kind: str):
        self.kind = kind
        self._records: dict[str, R] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, record: R, aliases: tuple[str, ...] = (), replace: bool = False) -> R:
        """Register ``record`` under ``name`` (and its aliases); returns the record. A name already
        taken is refused unless ``replace=True`` (a built-in is never silently overridden)."""
        if not isinstance(replace, bool):
            raise NbdlError(f"replace must be True or False, got {replace!r}")
        if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
            raise NbdlError(f"aliases of {self.kind} {name!r} must be a list of names, got {aliases!r}")
        for text in (name, *aliases):
            if not isinstance(text, str) or not _WHOLE_NAME.match(text):
                raise NbdlError(f"a {self.kind}'s name is a word of letters, digits, '_' or '-' that starts with a "
                                f"letter, got {text!r}")
        key, others = normal(name), [normal(a) for a in aliases]
        for taken in (key, *others):
            owner = self._aliases.get(taken, taken if taken in self._records else None)
            if owner is not None and not (replace and owner == key):
                raise NbdlError(f"{self.kind} {taken!r} is already registered{f' (as {owner!r})' if owner != taken else ''}"
                                f"; choose another name, or pass replace=True to replace it")
        self._records[key] = record
        for alias in others:
            self._aliases[alias] = key
        return record

    def remove(self, name: str) -> R:
        """Take a record (and its aliases) out; returns it."""
        key = self.canonical(name)
        self._aliases = {alias: target for alias, target in self._aliases.items() if target != key}
        return self._records.pop(key)

    def names(self) -> list[str]:
        return sorted(self._records)

    def records(self) -> list[R]:
        return [self._records[name] for name in self.names()]

    def in_order(self) -> list[R]:
        """The records in the order they were added."""
        return list(self._records.values())

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, name: object) -> bool:
        try:
            self.canonical(str(name))
        except NbdlError:
            return False
        return True

    def canonical(self, text: str) -> str:
        """The registered name for ``text`` (arguments ignored, aliases resolved), or the standard error."""
        match = _NAME.match(str(text))
        if not match:
            raise unknown(self.kind, text, self._records)
        name = normal(match.group(1))
        name = self._aliases.get(name, name)
        if name not in self._records:
            raise unknown(self.kind, text, self._records)
        return name

    def get(self, text: str) -> R:
        """The record ``text`` names."""
        return self._records[self.canonical(text)]

    def parse(self, text: str) -> tuple[R, list[Any]]:
        """The record and its checked numbers, for a string such as ``"step(10, 0.5)"`` or
        ``"kaiming(bias=-1)"`` (a named number; the ones it skips take their defaults)."""
        record = self.get(text)
        params: tuple[Option, ...] = getattr(record, "params", ())
        name = self.canonical(text)
        _, args, keywords = parse_call(text, f"{name}({', '.join(p.default_text() for p in params)})"
                                       if params else name)
        if len(args) > len(params):
            allowed = f"at most {len(params)} number(s): {record.synopsis()}" if params else "no numbers"
            raise NbdlError(f"{self.kind} {text.strip()!r} takes {allowed}")
        names = [p.name for p in params]
        for key in keywords:
            if key not in names:
                allowed = f"only {', '.join(names)}: {record.synopsis()}" if names else "no numbers"
                raise NbdlError(f"{self.kind} {text.strip()!r}: no number named {key!r}; it takes {allowed}")
            if names.index(key) < len(args):
                raise NbdlError(f"{self.kind} {text.strip()!r}: {key} is given twice")
        last = max([len(args)] + [names.index(k) + 1 for k in keywords])
        values = [args[i] if i < len(args) else keywords.get(names[i], params[i].default) for i in range(last)]
        return record, [p.check(a, subject=f"{self.kind} {text.strip()!r}: {p.name}") for p, a in zip(params, values)]

    def check(self, text: str) -> str:
        """``text`` when it names a record with fitting numbers; else the error saying why."""
        self.parse(text)
        return text

    def make(self, spec: Any, *extra: Any) -> Any:
        """Build the entry ``spec`` names with its numbers; a non-string is returned as it is."""
        if not isinstance(spec, str):
            return spec
        record, args = self.parse(spec)
        return record.make(*extra, *args)

    def synopses(self) -> list[str]:
        return [getattr(r, "synopsis", lambda: n)() for n, r in zip(self.names(), self.records())]
