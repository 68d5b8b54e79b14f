"""Declared options: a name, a kind, a default, a range or choices and a help text, written once.

A setting of ``Config``, an option of a layer, of a data set or of a registry entry such as
``step(10, 0.5)`` is an ``Option``. Checking a value, reading it from text, writing it back,
describing what is allowed, and the flags, help and controls built from it all read this one
declaration, so they cannot drift apart.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import NbdlError, spell

INT, FLOAT, BOOL, TEXT, CHOICE, PAIR, OBJECT = "int", "float", "bool", "text", "choice", "pair", "object"
REQUIRED = dataclasses.MISSING  # an option without a default must be given
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True, eq=False)
class Option:
    """One declared option. ``choices`` is a registry (names, optionally with ``(numbers)``) or a
    tuple of words; ``words`` are words allowed besides a number (``same`` for padding);
    ``optional`` allows None (off, or "the component's own default"); ``many`` takes a
    comma-separated list of choices; ``form`` says how a layer writes it in the text form."""

    name: str = ""
    default: Any = None
    help: str = ""
    kind: str = FLOAT
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Any = None
    words: tuple[str, ...] = ()
    optional: bool = False
    many: bool = False
    label: str = ""
    metavar: str = ""
    form: str = "keyword"          # a layer's text form: "positional", "keyword" or "flag"
    check_with: Callable[[Any], Any] | None = None  # a further check that raises NbdlError

    # -- what is allowed ---------------------------------------------------------------------------
    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def range_text(self) -> str:
        low, high = self.low, self.high
        if low is not None and high is not None:
            return f"in {'(' if self.low_open else '['}{_g(low)}, {_g(high)}{')' if self.high_open else ']'}"
        if low is not None:
            return f"{'>' if self.low_open else '>='} {_g(low)}"
        if high is not None:
            return f"{'<' if self.high_open else '<='} {_g(high)}"
        return ""

    def choice_names(self) -> list[str]:
        if self.choices is None:
            return []
        return list(self.choices.names()) if hasattr(self.choices, "names") else list(self.choices)

    def describe(self) -> str:
        """What is allowed, in words: 'a whole number >= 1', 'one of: adam, sgd'."""
        bounds = self.range_text()
        if self.kind == INT:
            text = "a whole number" + (f" {bounds}" if bounds else "")
        elif self.kind == FLOAT:
            text = "a number" + (f" {bounds}" if bounds else "")
        elif self.kind == PAIR:
            text = "two numbers" + (f", each {bounds}" if bounds else "")
        elif self.kind == BOOL:
            text = "true or false"
        elif self.kind == CHOICE:
            names = self.choices.synopses() if hasattr(self.choices, "synopses") else self.choice_names()
            text = ("a comma-separated list of: " if self.many else "one of: ") + ", ".join(names)
        else:
            text = "text"
        if self.words:
            text += " or " + " or ".join(repr(w) for w in self.words)
        return text

    # -- checking and reading ----------------------------------------------------------------------
    def check(self, value: Any, subject: str | None = None) -> Any:
        """``value`` made plain (numpy numbers become Python ones), or an NbdlError that names
        ``subject`` (the option as the user writes it), the value, and what is allowed."""
        subject = subject or spell(self.name)
        if value is None and self.optional:
            return None
        if isinstance(value, str) and value.strip().lower() in self.words:
            return value.strip().lower()
        try:
            value = self._plain(value)
        except NbdlError:  # a registry's own words: unknown name (with the choices) or bad numbers
            raise
        except (TypeError, ValueError, OverflowError):
            raise NbdlError(f"{subject} must be {self.describe()}, got {_show(value)}") from None
        if self.check_with is not None:
            value = self.check_with(value)
        return value

    def _plain(self, value: Any) -> Any:
        if self.kind == OBJECT:  # checked by what takes it (a network, the data)
            return value
        if self.kind == INT:
            return self._in_range(_whole(value))
        if self.kind == FLOAT:
            return self._in_range(_number(value))
        if self.kind == PAIR:
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
                raise TypeError("not a pair")
            return tuple(self._in_range(_number(v)) for v in value)
        if self.kind == BOOL:
            if (isinstance(value, (bool, numbers.Integral)) or getattr(value, "dtype", None) == bool) and value in (0, 1):
                return bool(value)
            raise TypeError("not a bool")
        if not isinstance(value, str):
            raise TypeError("not text")
        if self.kind == CHOICE:
            return self._choice(value)
        return value

    def _in_range(self, number: float) -> Any:
        low, high = self.low, self.high
        if low is not None and (number < low or (self.low_open and number == low)):
            raise ValueError("below the range")
        if high is not None and (number > high or (self.high_open and number == high)):
            raise ValueError("above the range")
        return number

    def _choice(self, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()] if self.many else [value.strip()]
        if not parts and not self.many:
            raise ValueError("empty")
        if hasattr(self.choices, "check"):
            for part in parts:
                self.choices.check(part)  # raises the registry's own error, naming the choices
            return ",".join(parts) if self.many else parts[0]
        names = {c.lower(): c for c in self.choice_names()}
        found = [names.get(p.lower()) for p in parts]
        if any(f is None for f in found):
            raise ValueError("not a choice")
        return ",".join(found)

    def parse(self, text: Any, subject: str | None = None) -> Any:
        """A value read from text (a flag, a word of the text form, a panel's text box), checked."""
        if not isinstance(text, str):
            if self.kind == PAIR and isinstance(text, (list, tuple)):
                return self.check([read_number(t) for t in text], subject)
            return self.check(text, subject)
        word = text.strip()
        if self.optional and (word == "" or word.lower() in ("none", "off") and word.lower() not in self.choice_names()):
            return None
        if word.lower() in self.words:
            return word.lower()
        if self.kind in (INT, FLOAT):
            return self.check(read_number(word), subject)
        if self.kind == PAIR:
            return self.check([read_number(w) for w in word.replace(",", " ").split()], subject)
        if self.kind == BOOL:
            lowered = word.lower()
            return self.check(True if lowered in _TRUE else False if lowered in _FALSE else word, subject)
        return self.check(word, subject)

    def format(self, value: Any) -> list[str]:
        """The words that write ``value`` back (a flag's arguments, a layer's text form)."""
        if value is None:
            return ["none"]
        if self.kind == PAIR:
            return [_g(v) for v in value]
        if self.kind == BOOL:
            return ["true" if value else "false"]
        if isinstance(value, float):
            return [_g(value)]
        return [str(value)]

    def default_text(self) -> str:
        if self.required:
            return "required"
        return " ".join(self.format(self.default))


def _g(number: float) -> str:
    """A number as short as it reads back exactly: 0.01, 1e-08, 0.3333333333333333."""
    if not isinstance(number, float):
        return str(number)
    short = f"{number:g}"
    return short if float(short) == number else repr(number)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a bool is not a number here")
    if isinstance(value, numbers.Integral):
        return operator.index(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    raise TypeError("not a whole number")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def read_number(word: Any) -> Any:
    """A number from text: whole numbers stay ints; anything unreadable is returned as it is, to be
    named in the error."""
    if not isinstance(word, str):
        return word
    try:
        return int(word)
    except ValueError:
        try:
            return float(word)
        except ValueError:
            return word


# -- declaring options on dataclasses -----------------------------------------------------------------
def split_values(text: str, commas: bool = True) -> list[str]:
    """Several values of one setting in a line: separated by semicolons when there is one, else by
    the commas outside parentheses (``step(10, 0.5),cosine`` is two schedules). ``commas=False``
    (a setting whose one value is itself a list, such as ``flip,noise``): by semicolons only."""
    if ";" in text or not commas:
        return [part.strip() for part in text.split(";") if part.strip()]
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [part.strip() for part in [*parts, current] if part.strip()]


def option(default: Any = REQUIRED, help: str = "", **details: Any) -> Any:
    """A dataclass field that carries its ``Option`` (its name is filled in from the field)."""
    declared = Option(default=default, help=help, **details)
    if default is REQUIRED:
        return field(metadata={"option": declared})
    return field(default=default, metadata={"option": declared})


def declared(cls: type, key: str = "option") -> tuple[Option, ...]:
    """The options declared on a dataclass's fields, in field order, each with its name."""
    found = []
    for f in dataclasses.fields(cls):
        if key in f.metadata:
            found.append(dataclasses.replace(f.metadata[key], name=f.name))
    return tuple(found)
