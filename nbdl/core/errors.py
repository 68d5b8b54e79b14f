"""The one error type nbdl raises for bad user input, and helpers that word it alike everywhere."""
from __future__ import annotations

from typing import Iterable


class NbdlError(ValueError):
    """Bad input to nbdl: the message names the bad value, what is allowed, and the fix."""


def unknown(kind: str, name: object, choices: Iterable[str]) -> NbdlError:
    """The standard error for a name that is not in a registry."""
    return NbdlError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(choices))}")


def raise_all(problems: list[str], what: str = "configuration") -> None:
    """Raise one error that lists every problem found, or return when there is none."""
    if len(problems) == 1:
        raise NbdlError(problems[0])
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise NbdlError(f"{len(problems)} problems in the {what}:\n{lines}")
