"""The one error type nbdl raises for bad user input, and helpers that word it alike everywhere.

Messages name settings the way the user wrote them: ``lr`` in the Python API, ``--lr`` in a magic.
The magic sets the spelling for the time it runs (``spelled("magic")``), so the core words each
message right the first time and nobody rewrites message text afterwards."""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Iterable, Iterator

_SPELLING: ContextVar[str] = ContextVar("nbdl_spelling", default="python")


class NbdlError(ValueError):
    """Bad input to nbdl: the message names the bad value, what is allowed, and the fix."""


@contextlib.contextmanager
def spelled(surface: str) -> Iterator[None]:
    """Word messages for ``surface``: ``"python"`` (keyword arguments) or ``"magic"`` (flags)."""
    token = _SPELLING.set(surface)
    try:
        yield
    finally:
        _SPELLING.reset(token)


def spelling() -> str:
    return _SPELLING.get()


def spell(name: str, metavar: str | None = None, data_option: bool = False) -> str:
    """How the user writes setting ``name`` (with a placeholder value ``metavar``) where they are:
    ``lr``/``--lr``, ``target='COLUMN'``/``--target COLUMN``."""
    if _SPELLING.get() == "magic":
        flag = "--" + name.replace("_", "-")
        return f"{flag} {metavar}" if metavar else flag
    if metavar is None:
        return name
    return f"data_options={{'{name}': {metavar!r}}}" if data_option else f"{name}={metavar!r}"


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
