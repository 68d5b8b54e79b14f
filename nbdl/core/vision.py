"""Layers for images, (channels, height, width) per sample: convolution, pooling, global pooling."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from . import activations
from .errors import NbdlError
from .layers import Layer, Shape, _int, shape_text


def _needs_image(layer: Layer, shape: Shape) -> None:
    if len(shape) != 3:
        raise NbdlError(
            f"'{layer.to_text()}' works on images (channels x height x width) but gets shape {shape_text(shape)}; "
            "start the network with 'input CxHxW', for example 'input 1x8x8', and keep dense layers after 'flatten'"
        )


def _options(layer: str, options: dict[str, str], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(options) - set(allowed))
    if extra:
        raise NbdlError(f"'{layer}' takes the options {', '.join(a + '=' for a in allowed)}; got {', '.join(extra)}")


def _window(layer: Layer, shape: Shape, kernel: int, stride: int, padding: int) -> Shape:
    """The (height, width) after a kernel x kernel window slides with this stride and padding."""
    _needs_image(layer, shape)
    height, width = shape[1] + 2 * padding, shape[2] + 2 * padding
    if kernel > min(height, width):
        raise NbdlError(
            f"'{layer.to_text()}' has a {kernel}x{kernel} window but its input is {shape[1]}x{shape[2]} "
            f"(shape {shape_text(shape)}, padding {padding}); use a smaller window or more padding"
        )
    return (height - kernel) // stride + 1, (width - kernel) // stride + 1


@dataclass
class Conv(Layer):
    """``conv FILTERS KERNEL [ACTIVATION] [stride=S] [padding=P|same]``: a 2-D convolution."""

    type: ClassVar[str] = "conv"
    filters: int = 1
    kernel: int = 3
    activation: str = "linear"
    stride: int = 1
    padding: int | str = 0

    def __post_init__(self):
        self.filters = _int(self.filters, "conv filters")
        self.kernel = _int(self.kernel, "conv kernel size")
        self.stride = _int(self.stride, "conv stride")
        if self.padding != "same":
            self.padding = _int(self.padding, "conv padding", minimum=0)
        elif self.kernel % 2 == 0 or self.stride != 1:
            raise NbdlError("padding=same needs an odd kernel and stride 1; give padding as a number instead")
        activations.registry.canonical(self.activation)

    @property
    def pad(self) -> int:
        return self.kernel // 2 if self.padding == "same" else self.padding

    @classmethod
    def from_words(cls, args, options):
        _options("conv", options, ("stride", "padding"))
        if not 2 <= len(args) <= 3:
            raise NbdlError("write 'conv FILTERS KERNEL [ACTIVATION] [stride=S] [padding=P]', for example 'conv 16 3 relu'")
        return cls(*args, stride=options.get("stride", 1), padding=options.get("padding", 0))

    def words(self):
        words = [str(self.filters), str(self.kernel)] + ([] if self.activation == "linear" else [self.activation])
        words += [f"stride={self.stride}"] if self.stride != 1 else []
        return words + ([f"padding={self.padding}"] if self.padding not in (0, "0") else [])

    def output_shape(self, shape):
        return (self.filters, *_window(self, shape, self.kernel, self.stride, self.pad))

    def build(self, shape):
        block = nn.Sequential()
        block.add_module("conv", nn.Conv2d(shape[0], self.filters, self.kernel, self.stride, self.pad))
        if activations.registry.canonical(self.activation) != "linear":
            block.add_module("activation", activations.get(self.activation))
        return block


@dataclass
class _Pool(Layer):
    size: int = 2
    stride: int | None = None

    def __post_init__(self):
        self.size = _int(self.size, f"{self.type} size")
        self.stride = _int(self.stride, f"{self.type} stride") if self.stride is not None else None

    @classmethod
    def from_words(cls, args, options):
        _options(cls.type, options, ("stride",))
        if len(args) != 1:
            raise NbdlError(f"write '{cls.type} SIZE [stride=S]', for example '{cls.type} 2'")
        return cls(args[0], options.get("stride"))

    def words(self):
        return [str(self.size)] + ([f"stride={self.stride}"] if self.stride not in (None, self.size) else [])

    def output_shape(self, shape):
        return (shape[0], *_window(self, shape, self.size, self.stride or self.size, 0))


@dataclass
class MaxPool(_Pool):
    """``maxpool SIZE``: the largest value of each SIZE x SIZE window."""

    type: ClassVar[str] = "maxpool"

    def build(self, shape):
        return nn.MaxPool2d(self.size, self.stride or self.size)


@dataclass
class AvgPool(_Pool):
    """``avgpool SIZE``: the mean of each SIZE x SIZE window."""

    type: ClassVar[str] = "avgpool"

    def build(self, shape):
        return nn.AvgPool2d(self.size, self.stride or self.size)


@dataclass
class GlobalAvgPool(Layer):
    """``globalavgpool``: the mean of each channel over the whole image, as a flat vector."""

    type: ClassVar[str] = "globalavgpool"

    def output_shape(self, shape):
        _needs_image(self, shape)
        return (shape[0],)

    def build(self, shape):
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())


IMAGE_LAYERS: tuple[type[Layer], ...] = (Conv, MaxPool, AvgPool, GlobalAvgPool)
