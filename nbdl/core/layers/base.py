"""What every layer spec is: declared options, and the text form, JSON and synopsis derived from them.

A layer declares each option once, as a dataclass field made with ``option(...)``: its kind, range,
default, help and how the text form writes it (``form``: a positional word such as the 16 of
``dense 16 relu``, a ``key=value`` word such as ``stride=2``, or a bare flag such as
``bidirectional``). Reading ``dense 16 relu``, writing it back, the JSON form, the help text, the
panel's rows and the network drawing all come from that declaration.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch import nn

from ..errors import NbdlError
from ..options import BOOL, Option, declared

Shape = tuple[int, ...]


def shape_text(shape: Shape) -> str:
    """``1x8x8``; a sequence of any length (0 steps) reads ``seq x F``, token codes ``tokens``."""
    shape = tuple(shape)
    if len(shape) == 2 and shape[0] == 0:
        return f"seq x {shape[1]}"
    if shape == (0,):
        return "tokens"
    return "x".join(str(s) for s in shape)


@dataclass
class Layer:
    """Base of all layer specs. ``line`` is the text-form line it came from, for error messages.

    A subclass sets ``type`` (its name in the text form), ``help``, ``example`` and ``color`` (in
    the network drawing), declares its options with ``option(...)``, and gives ``output_shape``
    and ``build``."""

    type: ClassVar[str] = ""
    help: ClassVar[str] = ""
    example: ClassVar[str] = ""
    color: ClassVar[str] = "#e5e5e5"
    line: int | None = field(default=None, repr=False, compare=False, kw_only=True)

    def __post_init__(self) -> None:
        for opt in self.options():
            setattr(self, opt.name, opt.check(getattr(self, opt.name), subject=f"{self.type} {opt.name}"))
        self.check()

    def check(self) -> None:
        """Rules across options (``padding=same`` needs an odd kernel); raise NbdlError."""

    # -- the declaration ----------------------------------------------------------------------------
    @classmethod
    def options(cls) -> tuple[Option, ...]:
        return declared(cls)

    @classmethod
    def synopsis(cls) -> str:
        """``conv FILTERS KERNEL [ACTIVATION] [stride=S] [padding=P]``."""
        words = [cls.type]
        for opt in cls.options():
            name = opt.metavar or opt.name.upper()
            if opt.form == "positional":
                words.append(name if opt.required else f"[{name}]")
            elif opt.form == "flag":
                words.append(f"[{opt.name}]")
            else:
                words.append(f"[{opt.name}={opt.metavar or opt.name[0].upper()}]")
        return " ".join(words)

    # -- the text form ------------------------------------------------------------------------------
    @classmethod
    def from_words(cls, words: list[str]) -> "Layer":
        """The layer from the words after its name, such as ``["16", "relu"]``."""
        options = {opt.name: opt for opt in cls.options()}
        positional = [opt for opt in options.values() if opt.form == "positional"]
        flags = {opt.name for opt in options.values() if opt.form == "flag"}
        values: dict[str, Any] = {}
        loose: list[str] = []
        for word in words:
            key, _, text = word.partition("=")
            if word in flags or "=" in word:
                name = word if word in flags else key
                if name not in options:
                    named = ", ".join(f"{o}=" for o in options) or "none"
                    raise NbdlError(f"'{cls.type}' takes no option {key}=; its options: {named}")
                if name in values:
                    raise NbdlError(f"'{cls.type}' is given {name} twice")
                values[name] = True if word in flags else options[key].parse(text, subject=f"{cls.type} {key}")
            else:
                loose.append(word)
        if len(loose) > len(positional) or any(o.required and o.name not in values for o in positional[len(loose):]):
            if not cls.options():
                raise NbdlError(f"'{cls.type}' takes no arguments")
            example = f", for example '{cls.example}'" if cls.example else ""
            extra = f"; got {' '.join(loose[len(positional):])!r} too" if len(loose) > len(positional) else ""
            raise NbdlError(f"write '{cls.synopsis()}'{example}{extra}")
        for opt, word in zip(positional, loose):
            if opt.name in values:
                raise NbdlError(f"'{cls.type}' is given {opt.name} twice: as {word!r} and as {opt.name}=")
            values[opt.name] = opt.parse(word, subject=f"{cls.type} {opt.name}")
        return cls(**values)

    def words(self) -> list[str]:
        """The words after the layer's name in the text form: positional values up to the last one
        that is not at its default, then ``key=value`` options and flags that are set."""
        positional, rest = [], []
        for opt in self.options():
            value = getattr(self, opt.name)
            if opt.form == "positional":
                positional.append((opt, value))
            elif opt.form == "flag":
                rest += [opt.name] if value else []
            elif value != opt.default:
                rest.append(f"{opt.name}={' '.join(opt.format(value))}")
        while positional and not positional[-1][0].required and positional[-1][1] == positional[-1][0].default:
            positional.pop()
        return [w for opt, value in positional for w in opt.format(value)] + rest

    def to_text(self) -> str:
        return " ".join([self.type, *self.words()])

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **{opt.name: _jsonable(getattr(self, opt.name)) for opt in self.options()}}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Layer":
        names = {opt.name for opt in cls.options()}
        extra = sorted(set(values) - names)
        if extra:
            raise NbdlError(f"layer '{cls.type}' has no field {', '.join(map(repr, extra))}; "
                            f"its fields: {', '.join(sorted(names)) or 'none'}")
        missing = [opt.name for opt in cls.options() if opt.required and opt.name not in values]
        if missing:
            raise NbdlError(f"layer '{cls.type}' needs {', '.join(map(repr, missing))}: '{cls.synopsis()}'")
        return cls(**values)

    # -- what it does -------------------------------------------------------------------------------
    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def build(self, shape: Shape) -> nn.Module:
        raise NotImplementedError

    def needs_flat(self, shape: Shape) -> None:
        """Raise unless ``shape`` is a flat vector of features, saying what to add."""
        if len(shape) == 2:
            raise NbdlError(
                f"'{self.to_text()}' expects a flat vector of features but gets a sequence ({shape_text(shape)}); "
                "put a recurrent layer such as 'lstm 32' before it"
            )
        if len(shape) != 1:
            raise NbdlError(
                f"'{self.to_text()}' expects a flat vector of features but gets shape {shape_text(shape)}; "
                "add a 'flatten' layer before it"
            )
        if shape == (0,):
            raise NbdlError(f"'{self.to_text()}' cannot take token codes (names, not amounts); put "
                            "'embedding VOCABULARY DIMENSIONS' after 'input tokens'")


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def is_flag(opt: Option) -> bool:
    return opt.form == "flag" and opt.kind == BOOL


def replace(layer: Layer, **changes: Any) -> Layer:
    """A copy of ``layer`` with some options changed (checked again)."""
    return dataclasses.replace(layer, **changes)
