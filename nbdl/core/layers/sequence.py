"""Layers for sequences, (steps, features) per sample: rnn, lstm, gru, and token embeddings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from ..errors import NbdlError
from ..options import BOOL, INT, REQUIRED, option
from .base import Layer, shape_text


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
    color: ClassVar[str] = "#9edae5"
    units: int = option(REQUIRED, "units of the hidden state", kind=INT, low=1, form="positional")
    layers: int = option(1, "recurrent layers stacked", kind=INT, low=1, high=100, metavar="N")
    bidirectional: bool = option(False, "read the sequence both ways", kind=BOOL, form="flag")
    sequences: bool = option(False, "output every step, not only the last", kind=BOOL, form="flag")

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
    help: ClassVar[str] = "a plain (Elman) recurrent layer with tanh"
    example: ClassVar[str] = "rnn 32"


@dataclass
class LSTM(_RecurrentLayer):
    """``lstm UNITS``: long short-term memory (Hochreiter and Schmidhuber, 1997)."""

    type: ClassVar[str] = "lstm"
    help: ClassVar[str] = "long short-term memory (Hochreiter and Schmidhuber, 1997)"
    example: ClassVar[str] = "lstm 32"


@dataclass
class GRU(_RecurrentLayer):
    """``gru UNITS``: gated recurrent units (Cho et al., 2014)."""

    type: ClassVar[str] = "gru"
    help: ClassVar[str] = "gated recurrent units (Cho et al., 2014)"
    example: ClassVar[str] = "gru 32"


class TokenEmbedding(nn.Embedding):
    """An embedding that takes token codes of any number type (nbdl keeps samples as floats)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.long())


@dataclass
class Embedding(Layer):
    """``embedding VOCABULARY DIMENSIONS``: a learned vector for each token code (after 'input tokens')."""

    type: ClassVar[str] = "embedding"
    help: ClassVar[str] = "a learned vector of DIMENSIONS numbers for each of VOCABULARY token codes"
    example: ClassVar[str] = "embedding 96 16"
    color: ClassVar[str] = "#c7c7c7"
    vocabulary: int = option(REQUIRED, "how many different tokens", kind=INT, low=1, form="positional")
    dimensions: int = option(REQUIRED, "numbers per token", kind=INT, low=1, form="positional")

    def output_shape(self, shape):
        if len(shape) != 1:
            raise NbdlError(f"'{self.to_text()}' takes token codes ('input tokens') but gets shape {shape_text(shape)}")
        return (shape[0], self.dimensions)

    def build(self, shape):
        return TokenEmbedding(self.vocabulary, self.dimensions)


SEQUENCE_LAYERS: tuple[type[Layer], ...] = (RNN, LSTM, GRU, Embedding)
