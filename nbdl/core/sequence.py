"""Recurrent layers for sequences, (steps, features) per sample: rnn, lstm, gru."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from .errors import NbdlError
from .layers import Layer, _int, shape_text

FLAGS = ("bidirectional", "sequences")


class Recurrent(nn.Module):
    """An nn.RNN/LSTM/GRU over (batch, steps, features); returns the last step's output
    (batch, units x directions), or every step's (batch, steps, units x directions)."""

    def __init__(self, kind: str, features: int, units: int, layers: int, bidirectional: bool, sequences: bool):
        super().__init__()
        cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
        self.rnn = cls(features, units, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.units, self.bidirectional, self.sequences = units, bidirectional, sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (batch, steps, units x directions)
        if self.sequences:
            return out
        if self.bidirectional:  # forward direction ends at the last step, backward at the first
            return torch.cat([out[:, -1, :self.units], out[:, 0, self.units:]], dim=1)
        return out[:, -1]


@dataclass
class _RecurrentLayer(Layer):
    units: int = 1
    layers: int = 1
    bidirectional: bool = False
    sequences: bool = False

    def __post_init__(self):
        self.units = _int(self.units, f"{self.type} units")
        self.layers = _int(self.layers, f"{self.type} layers")

    @classmethod
    def from_words(cls, args, options):
        extra = sorted(set(options) - {"layers"})
        flags = [a for a in args[1:] if a in FLAGS]
        unknown = [a for a in args[1:] if a not in FLAGS]
        if len(args) < 1 or extra or unknown:
            raise NbdlError(f"write '{cls.type} UNITS [layers=N] [bidirectional] [sequences]', for example "
                            f"'{cls.type} 32'" + (f"; got {', '.join(extra + unknown)}" if extra or unknown else ""))
        return cls(args[0], options.get("layers", 1), "bidirectional" in flags, "sequences" in flags)

    def words(self):
        words = [str(self.units)] + ([f"layers={self.layers}"] if self.layers != 1 else [])
        return words + [flag for flag in FLAGS if getattr(self, flag)]

    def output_shape(self, shape):
        if len(shape) != 2:
            raise NbdlError(f"'{self.to_text()}' works on sequences (steps x features) but gets shape "
                            f"{shape_text(shape)}; start the network with 'input seq FEATURES', for example 'input seq 1'")
        width = self.units * (2 if self.bidirectional else 1)
        return (shape[0], width) if self.sequences else (width,)

    def build(self, shape):
        return Recurrent(self.type, shape[1], self.units, self.layers, self.bidirectional, self.sequences)


@dataclass
class RNN(_RecurrentLayer):
    """``rnn UNITS``: a plain (Elman) recurrent layer with tanh."""

    type: ClassVar[str] = "rnn"


@dataclass
class LSTM(_RecurrentLayer):
    """``lstm UNITS``: long short-term memory (Hochreiter and Schmidhuber, 1997)."""

    type: ClassVar[str] = "lstm"


@dataclass
class GRU(_RecurrentLayer):
    """``gru UNITS``: gated recurrent units (Cho et al., 2014)."""

    type: ClassVar[str] = "gru"


class _Embedding(nn.Embedding):
    """An embedding that takes token codes of any number type (nbdl keeps samples as floats)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.long())


@dataclass
class Embedding(Layer):
    """``embedding VOCABULARY DIMENSIONS``: a learned vector for each token code (after 'input tokens')."""

    type: ClassVar[str] = "embedding"
    vocabulary: int = 2
    dimensions: int = 16

    def __post_init__(self):
        self.vocabulary = _int(self.vocabulary, "embedding vocabulary")
        self.dimensions = _int(self.dimensions, "embedding dimensions")

    @classmethod
    def from_words(cls, args, options):
        if len(args) != 2 or options:
            raise NbdlError("write 'embedding VOCABULARY DIMENSIONS', for example 'embedding 96 16'")
        return cls(*args)

    def words(self):
        return [str(self.vocabulary), str(self.dimensions)]

    def output_shape(self, shape):
        if len(shape) != 1 or shape[0] not in (0,) and shape[0] < 1:
            raise NbdlError(f"'{self.to_text()}' takes token codes ('input tokens') but gets shape {shape_text(shape)}")
        return (shape[0], self.dimensions)

    def build(self, shape):
        return _Embedding(self.vocabulary, self.dimensions)


SEQUENCE_LAYERS: tuple[type[Layer], ...] = (RNN, LSTM, GRU, Embedding)

