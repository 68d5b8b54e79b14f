"""The layers of a feedforward network: input, dense, activation, dropout, batchnorm, flatten."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from .. import activations, randomness
from ..errors import NbdlError
from ..options import CHOICE, INT, REQUIRED, TEXT, Option, option
from .base import Layer, Shape, shape_text


def _shape_words(words: list[Any]) -> Shape:
    """``[2]``, ``["1x8x8"]``, ``[1, 8, 8]``, ``["seq", 2]`` or ``["tokens"]`` as a sample shape; any
    number of steps is kept as 0."""
    if len(words) == 1 and isinstance(words[0], (tuple, list)):
        words = list(words[0])
    if len(words) == 1 and isinstance(words[0], str):
        text = words[0].strip().lower()
        words = ["tokens"] if text == "tokens" else text.split()
        if len(words) == 1:
            words = words[0].split("x")
    if not words:
        raise NbdlError("input needs a shape, for example 'input 2', 'input 1x8x8' or 'input seq 1'")
    if words[0] in ("seq", "tokens", 0):
        if len(words) == 1 and words[0] != "seq":
            return (0,)
        if len(words) == 2 and words[0] != "tokens":
            return (0, _size(words[1], "input features"))
        raise NbdlError("write 'input seq FEATURES' for sequences or 'input tokens' for token codes")
    return tuple(_size(w, "input size") for w in words)


_SIZE = Option(kind=INT, low=1)


def _size(word: Any, what: str) -> int:
    return _SIZE.parse(word, subject=what)


@dataclass(init=False)
class Input(Layer):
    """The shape of one sample: ``input 2`` (features), ``input 1x8x8`` (channels x height x width),
    ``input seq 2`` (sequences of any length, 2 features a step) or ``input tokens`` (token codes)."""

    type: ClassVar[str] = "input"
    help: ClassVar[str] = "the shape of one sample: N features, CxHxW images, seq F sequences, or tokens"
    example: ClassVar[str] = "input 2"
    color: ClassVar[str] = "#dddddd"
    shape: Shape = option(REQUIRED, "N, CxHxW, seq F or tokens", kind=TEXT, form="positional", metavar="SHAPE")

    def __init__(self, *size: Any, shape: Any = None, line: int | None = None):
        self.shape = _shape_words(list(size) if shape is None else [shape])
        self.line = line

    @classmethod
    def from_words(cls, words):
        if any("=" in w for w in words) or not 1 <= len(words) <= 2:
            raise NbdlError("write 'input N', 'input CxHxW', 'input seq F' or 'input tokens', for example 'input 2'")
        return cls(*words)

    @classmethod
    def for_data(cls, sample_shape: Shape, tokens: bool = False) -> "Input":
        """The input line for samples of this shape: sequences take any number of steps."""
        if tokens:
            return cls("tokens")
        return cls("seq", sample_shape[1]) if len(sample_shape) == 2 else cls(tuple(sample_shape))

    def words(self):
        if self.shape == (0,):
            return ["tokens"]
        return ["seq", str(self.shape[1])] if self.sequence else [shape_text(self.shape)]

    def to_dict(self):
        return {"type": self.type, "shape": list(self.shape)}

    @classmethod
    def from_dict(cls, values):
        if set(values) != {"shape"}:
            raise NbdlError("layer 'input' has one field, 'shape', for example {'type': 'input', 'shape': [2]}")
        return cls(shape=values["shape"])

    @property
    def sequence(self) -> bool:
        return len(self.shape) == 2 and self.shape[0] == 0

    def fits(self, shape: Shape) -> bool:
        """Whether samples of ``shape`` fit: a sequence input takes any number of steps."""
        shape = tuple(shape)
        return (shape == self.shape or (self.sequence and len(shape) == 2 and shape[1] == self.shape[1])
                or (self.shape == (0,) and len(shape) == 1))

    def build(self, shape):
        return nn.Identity()


def activation_option(default: Any = "linear", form: str = "positional") -> Any:
    return option(default, "the activation after the layer", kind=CHOICE, choices=activations.registry, form=form)


@dataclass
class Dense(Layer):
    """A fully connected layer with an activation: ``dense 16 relu``."""

    type: ClassVar[str] = "dense"
    help: ClassVar[str] = "a fully connected layer of UNITS neurons, each seeing every input"
    example: ClassVar[str] = "dense 16 relu"
    color: ClassVar[str] = "#aec7e8"
    units: int = option(REQUIRED, "neurons", kind=INT, low=1, form="positional")
    activation: str = activation_option()

    def output_shape(self, shape):
        if len(shape) == 2:  # a sequence (steps, features): the same dense layer at every step
            return (shape[0], self.units)
        self.needs_flat(shape)
        return (self.units,)

    def build(self, shape):
        block = nn.Sequential()
        block.add_module("linear", nn.Linear(shape[-1], self.units))
        if not activations.is_linear(self.activation):
            block.add_module("activation", activations.make(self.activation))
        return block


@dataclass
class Activation(Layer):
    """An activation on its own line: ``activation tanh``."""

    type: ClassVar[str] = "activation"
    help: ClassVar[str] = "an activation function on its own line"
    example: ClassVar[str] = "activation tanh"
    color: ClassVar[str] = "#dbdb8d"
    name: str = activation_option(REQUIRED)

    def build(self, shape):
        return activations.make(self.name)


@dataclass
class Dropout(Layer):
    """Zeroes each value with probability ``rate`` during training: ``dropout 0.2``."""

    type: ClassVar[str] = "dropout"
    help: ClassVar[str] = "zeroes each value (each channel of an image) with probability RATE while training"
    example: ClassVar[str] = "dropout 0.2"
    color: ClassVar[str] = "#ffbb78"
    rate: float = option(0.5, "the share of values zeroed", low=0, high=1, high_open=True, form="positional")

    def words(self):
        return self.options()[0].format(self.rate)  # the rate, always written (0.5 too)

    def build(self, shape):
        # On images whole channels are dropped: neighbouring pixels are too alike for single ones to matter.
        return randomness.ChannelDropout(self.rate) if len(shape) == 3 else randomness.Dropout(self.rate)


@dataclass
class BatchNorm(Layer):
    """Normalizes each feature over the batch: ``batchnorm``."""

    type: ClassVar[str] = "batchnorm"
    help: ClassVar[str] = "normalizes each feature (each channel of an image) over the batch"
    example: ClassVar[str] = "batchnorm"
    color: ClassVar[str] = "#98df8a"

    def output_shape(self, shape):
        if len(shape) not in (1, 3):
            self.needs_flat(shape)
        return shape

    def build(self, shape):
        # Per feature for vectors; per channel (over the batch and all pixels) for images.
        return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])


@dataclass
class Flatten(Layer):
    """Turns each sample into a flat vector: ``flatten``."""

    type: ClassVar[str] = "flatten"
    help: ClassVar[str] = "turns each sample into a flat vector (after image layers)"
    example: ClassVar[str] = "flatten"
    color: ClassVar[str] = "#e5e5e5"

    def output_shape(self, shape):
        size = 1
        for s in shape:
            size *= s
        return (size,)

    def build(self, shape):
        return nn.Flatten()


BASIC_LAYERS: tuple[type[Layer], ...] = (Input, Dense, Activation, Dropout, BatchNorm, Flatten)
