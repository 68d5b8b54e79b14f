"""The layers a network spec is made of: each knows its text form, its output shape and its module."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch import nn

from . import activations
from .errors import NbdlError

Shape = tuple[int, ...]


def shape_text(shape: Shape) -> str:
    """``1x8x8``; a sequence of any length (0 steps) reads ``seq x F``."""
    if len(shape) == 2 and shape[0] == 0:
        return f"seq x {shape[1]}"
    if shape == (0,):
        return "tokens"
    return "x".join(str(s) for s in shape)


def _int(word: Any, what: str, minimum: int = 1) -> int:
    try:
        value = int(str(word))
    except ValueError:
        raise NbdlError(f"{what} must be a whole number, got {word!r}") from None
    if value < minimum:
        raise NbdlError(f"{what} must be at least {minimum}, got {value}")
    return value


def _rate(word: Any) -> float:
    try:
        rate = float(word)
    except (TypeError, ValueError):
        raise NbdlError(f"dropout rate must be a number in [0, 1), got {word!r}") from None
    if not 0.0 <= rate < 1.0:
        raise NbdlError(f"dropout rate must be in [0, 1), got {rate}")
    return rate


@dataclass
class Layer:
    """Base of all layer specs. ``line`` is the text-form line it came from, for error messages."""

    type: ClassVar[str] = ""
    line: int | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_words(cls, args: list[str], options: dict[str, str]) -> "Layer":
        """The layer from the words after its name; by default a layer takes none."""
        if args or options:
            raise NbdlError(f"'{cls.type}' takes no arguments")
        return cls()

    def words(self) -> list[str]:
        """The words after the layer's name in the text form."""
        return []

    def to_text(self) -> str:
        return " ".join([self.type, *self.words()])

    def to_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "line"}
        return {"type": self.type, **values}

    def output_shape(self, shape: Shape) -> Shape:
        return shape

    def build(self, shape: Shape) -> nn.Module:
        raise NotImplementedError

    def _needs_flat(self, shape: Shape) -> None:
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


@dataclass
class Input(Layer):
    """The shape of one sample: ``input 2`` (features) or ``input 1x8x8`` (channels x height x width)."""

    type: ClassVar[str] = "input"
    shape: Shape = ()

    def __init__(self, *size: int | str | Shape, shape: int | str | Shape | None = None, line: int | None = None):
        words = list(size) if shape is None else [shape]
        if len(words) == 1 and isinstance(words[0], (tuple, list)):
            words = list(words[0])
        if len(words) == 1 and isinstance(words[0], str):
            words = ["tokens"] if words[0].lower() == "tokens" else words[0].lower().split("x")
        if not words:
            raise NbdlError("input needs a shape, for example 'input 2', 'input 1x8x8' or 'input seq 1'")
        # Any number of steps is written 'seq' (or 'tokens' for token codes) and kept as 0.
        if words[0] in ("seq", "tokens", 0):
            if len(words) == 1 and words[0] != "seq":
                self.shape = (0,)
            elif len(words) == 2 and words[0] != "tokens":
                self.shape = (0, _int(words[1], "input features"))
            else:
                raise NbdlError("write 'input seq FEATURES' for sequences or 'input tokens' for token codes")
        else:
            self.shape = tuple(_int(w, "input size") for w in words)
        self.line = line

    @classmethod
    def from_words(cls, args, options):
        if args[:1] == ["seq"] and len(args) == 2 and not options:
            return cls("seq", args[1])
        if len(args) != 1 or options:
            raise NbdlError("write 'input N', 'input CxHxW' or 'input seq F', for example 'input 2'")
        return cls(args[0])

    def words(self):
        if self.shape == (0,):
            return ["tokens"]
        return ["seq", str(self.shape[1])] if self.sequence else [shape_text(self.shape)]

    @property
    def sequence(self) -> bool:
        return len(self.shape) == 2 and self.shape[0] == 0

    def fits(self, shape: Shape) -> bool:
        """Whether samples of ``shape`` fit: a sequence input takes any number of steps."""
        shape = tuple(shape)
        return (shape == self.shape or (self.sequence and len(shape) == 2 and shape[1] == self.shape[1])
                or (self.shape == (0,) and len(shape) == 1))

    def to_dict(self):
        return {"type": self.type, "shape": list(self.shape)}

    def build(self, shape):
        return nn.Identity()


@dataclass
class Dense(Layer):
    """A fully connected layer with an activation: ``dense 16 relu``."""

    type: ClassVar[str] = "dense"
    units: int = 1
    activation: str = "linear"

    def __post_init__(self):
        self.units = _int(self.units, "dense units")
        activations.registry.canonical(self.activation)

    @classmethod
    def from_words(cls, args, options):
        if not 1 <= len(args) <= 2 or options:
            raise NbdlError("write 'dense UNITS [ACTIVATION]', for example 'dense 16 relu'")
        return cls(args[0], *args[1:])

    def words(self):
        return [str(self.units)] + ([] if self.activation == "linear" else [self.activation])

    def output_shape(self, shape):
        if len(shape) == 2:  # a sequence (steps, features): the same dense layer at every step
            return (shape[0], self.units)
        self._needs_flat(shape)
        return (self.units,)

    def build(self, shape):
        block = nn.Sequential()
        block.add_module("linear", nn.Linear(shape[-1], self.units))
        if activations.registry.canonical(self.activation) != "linear":
            block.add_module("activation", activations.get(self.activation))
        return block


@dataclass
class Activation(Layer):
    """An activation on its own line: ``activation tanh``."""

    type: ClassVar[str] = "activation"
    name: str = "linear"

    def __post_init__(self):
        activations.registry.canonical(self.name)

    @classmethod
    def from_words(cls, args, options):
        if len(args) != 1 or options:
            raise NbdlError("write 'activation NAME', for example 'activation tanh'")
        return cls(args[0])

    def words(self):
        return [self.name]

    def build(self, shape):
        return activations.get(self.name)


@dataclass
class Dropout(Layer):
    """Zeroes each value with probability ``rate`` during training: ``dropout 0.2``."""

    type: ClassVar[str] = "dropout"
    rate: float = 0.5

    def __post_init__(self):
        self.rate = _rate(self.rate)

    @classmethod
    def from_words(cls, args, options):
        if len(args) != 1 or options:
            raise NbdlError("write 'dropout RATE', for example 'dropout 0.2'")
        return cls(args[0])

    def words(self):
        return [f"{self.rate:g}"]

    def build(self, shape):
        # On images whole channels are dropped: neighbouring pixels are too alike for single ones to matter.
        return nn.Dropout2d(self.rate) if len(shape) == 3 else nn.Dropout(self.rate)


@dataclass
class BatchNorm(Layer):
    """Normalizes each feature over the batch: ``batchnorm``."""

    type: ClassVar[str] = "batchnorm"

    def output_shape(self, shape):
        if len(shape) not in (1, 3):
            self._needs_flat(shape)
        return shape

    def build(self, shape):
        # Per feature for vectors; per channel (over the batch and all pixels) for images.
        return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])


@dataclass
class Flatten(Layer):
    """Turns each sample into a flat vector: ``flatten``."""

    type: ClassVar[str] = "flatten"

    def output_shape(self, shape):
        size = 1
        for s in shape:
            size *= s
        return (size,)

    def build(self, shape):
        return nn.Flatten()


LAYERS: dict[str, type[Layer]] = {cls.type: cls for cls in (Input, Dense, Activation, Dropout, BatchNorm, Flatten)}


def _register_image_layers() -> None:
    from .sequence import SEQUENCE_LAYERS
    from .vision import IMAGE_LAYERS

    LAYERS.update({cls.type: cls for cls in (*IMAGE_LAYERS, *SEQUENCE_LAYERS)})


_register_image_layers()
