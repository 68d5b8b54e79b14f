"""Plain name -> factory maps with one lookup that parses arguments and names unknown entries.

A registry entry is called with the positional arguments written after its name, so the strings
``"leaky_relu(0.1)"`` and ``"normal(0.05)"`` are the same in the text form, the magic's flags, the
panel's controls and a JSON config.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from .errors import NbdlError, unknown

_CALL = re.compile(r"^\s*([A-Za-z_][\w\-]*)\s*(?:\((.*)\))?\s*$")


def parse_call(text: str) -> tuple[str, list[float]]:
    """Split ``"name(1, 2.5)"`` into ``("name", [1.0, 2.5])``; a bare name has no arguments."""
    match = _CALL.match(text)
    if not match:
        raise NbdlError(f"cannot read {text!r}; write a name, optionally with numbers: 'leaky_relu(0.1)'")
    name, inner = match.group(1).lower().replace("-", "_"), match.group(2)
    args: list[float] = []
    if inner and inner.strip():
        for part in inner.split(","):
            try:
                args.append(float(part))
            except ValueError:
                raise NbdlError(f"cannot read {part.strip()!r} in {text!r}; arguments must be numbers") from None
    return name, args


class Registry:
    """A dict of factories with a ``get`` that accepts a name, a ``name(args)`` string or an object."""

    def __init__(self, kind: str, entries: dict[str, Callable[..., Any]], aliases: dict[str, str] | None = None):
        self.kind = kind
        self.entries = dict(entries)
        self.aliases = dict(aliases or {})

    def names(self) -> list[str]:
        return sorted(self.entries)

    def canonical(self, text: str) -> str:
        """The registered name for ``text`` (aliases resolved), or the standard error."""
        name, _ = parse_call(text)
        name = self.aliases.get(name, name)
        if name not in self.entries:
            raise unknown(self.kind, text, self.entries)
        return name

    def get(self, spec: Any, *extra: Any, **kwargs: Any) -> Any:
        """Build the entry ``spec`` names; a non-string is returned as it is."""
        if not isinstance(spec, str):
            return spec
        name, args = parse_call(spec)
        factory = self.entries[self.canonical(name)]
        try:
            return factory(*extra, *args, **kwargs)
        except TypeError as error:
            raise NbdlError(f"wrong arguments for {self.kind} {spec!r}: {error}") from None

    def __contains__(self, name: str) -> bool:
        try:
            self.canonical(name)
        except NbdlError:
            return False
        return True
