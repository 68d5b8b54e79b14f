"""Network specs: the declarative list of layers, its text form, and the module built from it."""
from __future__ import annotations

import json
import re
from typing import Any, Iterable, Sequence

import torch
from torch import nn

from . import activations, limits
from .errors import NbdlError
from .layers import Activation, Dense, Dropout, Input, Layer, Shape, registry, shape_text

MAX_LAYERS = 2000  # deeper than any network a text form is written for; building more takes minutes

# Bytes a parameter costs while training: its value, its gradient, two optimizer moments, and the
# copies kept aside for a restore, in float32.
BYTES_PER_PARAMETER = 4 * 6

# A word, or a word with a parenthesised argument list that may hold spaces: "leaky_relu(0.1, 2)".
_WORD = re.compile(r"[^\s(]+\([^)]*\)|\S+")


def parse_line(text: str, line: int | None = None) -> Layer:
    """One line of the text form, such as ``dense 16 relu``, as a layer spec."""
    words = _WORD.findall(text)
    where = f"line {line}: " if line is not None else ""
    try:
        layer = registry.get(words[0]).from_words(words[1:])
    except NbdlError as error:
        detail = f" (in '{text.strip()}')" if len(words) > 1 else ""
        raise NbdlError(f"{where}{error}{detail}") from None
    layer.line = line
    return layer


class NetworkSpec:
    """An ordered list of layer specs; JSON-able, readable as text, buildable into a module."""

    def __init__(self, layers: Iterable[Layer | str | dict] = ()):
        if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, Iterable):
            raise NbdlError(f"a network's layers are a list (of layers, lines such as 'dense 16 relu', or dicts), "
                            f"got {type(layers).__name__}; for the text form use NetworkSpec.parse(text)")
        self.layers: list[Layer] = [_as_layer(layer) for layer in layers]
        if not self.layers:
            raise NbdlError("the network has no layers; start with 'input N' and add 'dense UNITS ACTIVATION' lines")
        if len(self.layers) > MAX_LAYERS:
            raise NbdlError(f"the network has {len(self.layers):,} layers; nbdl builds at most {MAX_LAYERS:,}")
        extra = [layer for layer in self.layers[1:] if isinstance(layer, Input)]
        if extra:
            raise NbdlError(f"{_where(extra[0])}'{extra[0].to_text()}': only the first layer may be an input line")

    @classmethod
    def parse(cls, text: str) -> "NetworkSpec":
        """Read the text form: one layer per line, ``#`` starts a comment, blank lines are skipped."""
        if not isinstance(text, str):
            raise NbdlError(f"the text form is a string of lines such as 'dense 16 relu', got {type(text).__name__}")
        layers = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if line:
                layers.append(parse_line(line, number))
        return cls(layers)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "NetworkSpec":
        if not isinstance(data, dict) or "layers" not in data:
            raise NbdlError("a network dict needs a 'layers' list, as written by NetworkSpec.to_dict()")
        return cls(data["layers"])

    def to_dict(self) -> dict[str, Any]:
        return {"layers": [layer.to_dict() for layer in self.layers]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def to_text(self) -> str:
        return "\n".join(layer.to_text() for layer in self.layers)

    def __repr__(self) -> str:
        return f"NetworkSpec.parse('''\n{self.to_text()}\n''')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NetworkSpec) and self.to_dict() == other.to_dict()

    def with_dropout(self, rate: float) -> "NetworkSpec":
        """This spec with every dropout layer at ``rate``; without any, one after each hidden dense layer."""
        if any(isinstance(layer, Dropout) for layer in self.layers):
            return NetworkSpec([Dropout(rate, line=l.line) if isinstance(l, Dropout) else l for l in self.layers])
        last_dense = max((i for i, l in enumerate(self.layers) if isinstance(l, Dense)), default=-1)
        layers: list[Layer] = []
        for i, layer in enumerate(self.layers):
            layers.append(layer)
            if isinstance(layer, Dense) and i != last_dense:
                layers.append(Dropout(rate))
        return NetworkSpec(layers)

    def fitted(self, sample_shape: Shape, width: int, classes: bool, tokens: bool = False) -> "NetworkSpec":
        """This spec made to take samples of ``sample_shape`` and give ``width`` outputs: its input
        line set to the data, a 'flatten' before the first dense layer after image layers, and its
        last dense layer resized (softmax for classes, linear for numbers). Every other layer and
        option stays as it was."""
        if not isinstance(sample_shape, (tuple, list)) or not all(isinstance(s, int) and s >= 0 for s in sample_shape) \
                or not isinstance(width, int) or width < 1:
            raise NbdlError(f"fitted takes a sample shape (a tuple of sizes) and an output width >= 1, got "
                            f"{sample_shape!r} and {width!r}")
        layers = [layer for layer in self.layers if not isinstance(layer, Input)]
        start = Input.for_data(sample_shape, tokens)
        if len(sample_shape) == 3:
            first_dense = next((i for i, l in enumerate(layers) if isinstance(l, Dense)), None)
            flat = any(l.type in ("flatten", "globalavgpool") for l in layers[:first_dense])
            if first_dense is not None and not flat:
                layers.insert(first_dense, registry.get("flatten")())
        if layers and isinstance(layers[-1], Dense):
            head = layers[-1]
            activation = ("softmax" if classes else "linear") if \
                activations.registry.canonical(head.activation) in (*activations.OUTPUT_ACTIVATIONS, "linear") \
                else head.activation
            layers[-1] = Dense(width, activation)
        else:
            layers.append(Dense(width, "softmax" if classes else "linear"))
        return NetworkSpec([start, *layers])

    @property
    def input_shape(self) -> Shape | None:
        first = self.layers[0]
        return first.shape if isinstance(first, Input) else None

    def shapes(self, input_shape: Shape | None = None) -> list[Shape]:
        """The output shape of every layer; a layer that does not fit raises, naming its line."""
        shape = self._start_shape(input_shape)
        result = []
        for layer in self.layers:
            try:
                shape = layer.output_shape(shape)
            except NbdlError as error:
                raise NbdlError(f"{_where(layer)}{error}") from None
            result.append(shape)
        return result

    def parameter_counts(self, input_shape: Shape | None = None) -> list[int]:
        """Parameters of each layer, counted on the meta device (nothing is allocated)."""
        shapes = self.shapes(input_shape)
        shape, counts = self._start_shape(input_shape), []
        for layer, out in zip(self.layers, shapes):
            with torch.device("meta"):
                counts.append(sum(p.numel() for p in self._make(layer, shape).parameters()))
            shape = out
        return counts

    def build(self, input_shape: Shape | None = None, device: str = "cpu") -> "Network":
        """Check every shape and that the weights fit in memory, then make the module.
        ``input_shape`` is needed without an input line."""
        counts = self.parameter_counts(input_shape)
        biggest = max(range(len(counts)), key=counts.__getitem__)
        limits.check_memory(sum(counts) * BYTES_PER_PARAMETER,
                            f"training this network ({sum(counts):,} parameters, {counts[biggest]:,} of them in "
                            f"{_where(self.layers[biggest])}'{self.layers[biggest].to_text()}')",
                            "make the layers smaller", device)
        shapes = self.shapes(input_shape)
        shape = self._start_shape(input_shape)
        blocks = []
        for layer, out in zip(self.layers, shapes):
            if not isinstance(layer, Input):
                blocks.append(self._make(layer, shape))
            shape = out
        return Network(blocks, self, self._start_shape(input_shape), shapes[-1])

    @staticmethod
    def _make(layer: Layer, shape: Shape) -> nn.Module:
        try:
            module = layer.build(shape)
        except (RuntimeError, MemoryError, TypeError, OverflowError, ValueError) as error:  # sizes beyond torch's
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise NbdlError(f"{_where(layer)}cannot make '{layer.to_text()}' for input shape "
                            f"{shape_text(shape)}: {message}") from None
        if not isinstance(module, nn.Module):
            raise NbdlError(f"{_where(layer)}layer '{layer.type}': its build() must return a torch.nn.Module, got "
                            f"{type(module).__name__}")
        return module

    def _start_shape(self, input_shape: Shape | None) -> Shape:
        own = self.input_shape
        if own is not None and input_shape is not None and not self.layers[0].fits(input_shape):
            given = tuple(input_shape)
            fix = f"seq {given[1]}" if len(given) == 2 else shape_text(given)
            raise NbdlError(
                f"the data has samples of shape {shape_text(given)} but the network's "
                f"{_where(self.layers[0])}'{self.layers[0].to_text()}' expects {shape_text(own)}; "
                f"change it to 'input {fix}'"
            )
        if own is not None and input_shape is not None:
            return tuple(input_shape)  # a sequence input takes the data's number of steps
        if own is None and input_shape is None:
            raise NbdlError("the network has no 'input N' line and no data to take the input size from")
        return tuple(own if own is not None else input_shape)


def _where(layer: Layer) -> str:
    return f"line {layer.line}: " if layer.line is not None else ""


def _as_layer(layer: Layer | str | dict) -> Layer:
    if isinstance(layer, Layer):
        return layer
    if isinstance(layer, str):
        return parse_line(layer)
    if isinstance(layer, dict):
        values = dict(layer)
        return registry.get(str(values.pop("type", None))).from_dict(values)
    raise NbdlError(f"cannot make a layer from {layer!r}; give a Layer, a line such as 'dense 16 relu', or a dict")


class Network(nn.Module):
    """A module built from a spec. ``forward`` gives what the spec says (probabilities after a
    softmax output); ``logits`` gives the values before an output softmax or sigmoid, which is
    what the loss is computed from."""

    def __init__(self, blocks: Sequence[nn.Module], spec: NetworkSpec, input_shape: Shape, output_shape: Shape):
        super().__init__()
        blocks = list(blocks)
        self.output_activation = _pop_output_activation(blocks, spec)
        self.layers = nn.Sequential(*blocks)
        self.output = activations.make(self.output_activation or "linear")
        self.spec = spec
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.layers:  # the blocks' own hooks still run; one module call fewer per step
            x = block(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.logits(x))


def _pop_output_activation(blocks: list[nn.Module], spec: NetworkSpec) -> str | None:
    """Take a final softmax or sigmoid off the blocks, so the loss can see the logits."""
    last = spec.layers[-1]
    name = None
    if isinstance(last, Dense):
        name = activations.registry.canonical(last.activation)
    elif isinstance(last, Activation):
        name = activations.registry.canonical(last.name)
    if name not in activations.OUTPUT_ACTIVATIONS:
        return None
    if isinstance(last, Dense):
        del blocks[-1].activation
    else:
        blocks.pop()
    return name


def build(network: "NetworkSpec | str | Sequence | dict", input_shape: Shape | None = None) -> Network:
    """Build a module from a spec, its text form, a list of layers or a dict."""
    return as_spec(network).build(input_shape)


def as_spec(network: "NetworkSpec | str | Sequence | dict") -> NetworkSpec:
    if isinstance(network, NetworkSpec):
        return network
    if isinstance(network, str):
        return NetworkSpec.parse(network)
    if isinstance(network, dict):
        return NetworkSpec.from_dict(network)
    if isinstance(network, (list, tuple)):
        return NetworkSpec(network)
    raise NbdlError(f"cannot read a network from {type(network).__name__}; give the text form, a NetworkSpec or a list of layers")


def text_form(network: Any, role: str = "the network", example: str = "input 2\\ndense 16 relu\\ndense 2") -> NetworkSpec:
    """The spec of a network a run builds afresh from its own seed (a GAN, an agent, a meta-learner):
    the text form, a NetworkSpec, or a built ``Network`` (its spec: the variable keeps its weights).
    A torch module of your own cannot be rebuilt that way, and is refused with an example."""
    if isinstance(network, Network):
        network = network.spec
    if isinstance(network, torch.nn.Module) or network is None:
        raise NbdlError(f"{role} is a network in the text form (or one from %%nbdl net / nbdl.build), such as "
                        f"'{example}'; got {type(network).__name__}")
    return as_spec(network)

