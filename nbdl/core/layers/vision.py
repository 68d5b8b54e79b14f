"""Layers for images, (channels, height, width) per sample: convolution, pooling, global pooling, and
the way back up for decoders: upsampling and transposed convolution."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from .. import activations
from ..errors import NbdlError
from ..options import CHOICE, INT, REQUIRED, option
from .base import Layer, Shape, shape_text
from .basic import activation_option


def needs_image(layer: Layer, shape: Shape) -> None:
    if len(shape) != 3:
        raise NbdlError(
            f"'{layer.to_text()}' works on images (channels x height x width) but gets shape {shape_text(shape)}; "
            "start the network with 'input CxHxW', for example 'input 1x8x8', and keep dense layers after 'flatten'"
        )


def window(layer: Layer, shape: Shape, kernel: int, stride: int, padding: int) -> tuple[int, int]:
    """The (height, width) after a kernel x kernel window slides with this stride and padding."""
    needs_image(layer, shape)
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
    help: ClassVar[str] = "a 2-D convolution: FILTERS small KERNEL x KERNEL filters slid over the image"
    example: ClassVar[str] = "conv 16 3 relu padding=same"
    color: ClassVar[str] = "#c5b0d5"
    filters: int = option(REQUIRED, "filters (output channels)", kind=INT, low=1, form="positional")
    kernel: int = option(REQUIRED, "the filter's width and height", kind=INT, low=1, form="positional")
    activation: str = activation_option()
    stride: int = option(1, "pixels between two positions of the filter", kind=INT, low=1, metavar="S")
    padding: int | str = option(0, "zeros added around the image; 'same' keeps its size", kind=INT, low=0,
                                words=("same",), metavar="P")

    def check(self):
        if self.padding == "same" and (self.kernel % 2 == 0 or self.stride != 1):
            raise NbdlError("padding=same needs an odd kernel and stride 1; give padding as a number instead")

    @property
    def pad(self) -> int:
        return self.kernel // 2 if self.padding == "same" else self.padding

    def output_shape(self, shape):
        return (self.filters, *window(self, shape, self.kernel, self.stride, self.pad))

    def build(self, shape):
        block = nn.Sequential()
        block.add_module("conv", nn.Conv2d(shape[0], self.filters, self.kernel, self.stride, self.pad))
        if not activations.is_linear(self.activation):
            block.add_module("activation", activations.make(self.activation))
        return block


@dataclass
class _Pool(Layer):
    color: ClassVar[str] = "#f7b6d2"
    size: int = option(REQUIRED, "the window's width and height", kind=INT, low=1, form="positional")
    stride: int | None = option(None, "pixels between two windows (default: the size)", kind=INT, low=1, optional=True,
                                metavar="S")

    def output_shape(self, shape):
        return (shape[0], *window(self, shape, self.size, self.stride or self.size, 0))


@dataclass
class MaxPool(_Pool):
    """``maxpool SIZE``: the largest value of each SIZE x SIZE window."""

    type: ClassVar[str] = "maxpool"
    help: ClassVar[str] = "the largest value of each SIZE x SIZE window"
    example: ClassVar[str] = "maxpool 2"

    def build(self, shape):
        return nn.MaxPool2d(self.size, self.stride or self.size)


@dataclass
class AvgPool(_Pool):
    """``avgpool SIZE``: the mean of each SIZE x SIZE window."""

    type: ClassVar[str] = "avgpool"
    help: ClassVar[str] = "the mean of each SIZE x SIZE window"
    example: ClassVar[str] = "avgpool 2"

    def build(self, shape):
        return nn.AvgPool2d(self.size, self.stride or self.size)


@dataclass
class GlobalAvgPool(Layer):
    """``globalavgpool``: the mean of each channel over the whole image, as a flat vector."""

    type: ClassVar[str] = "globalavgpool"
    help: ClassVar[str] = "the mean of each channel over the whole image, as a flat vector"
    example: ClassVar[str] = "globalavgpool"
    color: ClassVar[str] = "#f7b6d2"

    def output_shape(self, shape):
        needs_image(self, shape)
        return (shape[0],)

    def build(self, shape):
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())


@dataclass
class Upsample(Layer):
    """``upsample SIZE [mode=nearest|bilinear]``: each pixel repeated (or interpolated) SIZE x SIZE times."""

    type: ClassVar[str] = "upsample"
    help: ClassVar[str] = "a larger image: each pixel made a SIZE x SIZE patch (the way back up in a decoder)"
    example: ClassVar[str] = "upsample 2"
    color: ClassVar[str] = "#f7b6d2"
    size: int = option(REQUIRED, "how many times taller and wider the image gets", kind=INT, low=1, high=64,
                       form="positional")
    mode: str = option("nearest", "nearest repeats each pixel, bilinear interpolates", kind=CHOICE,
                       choices=("nearest", "bilinear"))

    def output_shape(self, shape):
        needs_image(self, shape)
        return (shape[0], shape[1] * self.size, shape[2] * self.size)

    def build(self, shape):
        return nn.Upsample(scale_factor=self.size, mode=self.mode)


@dataclass
class ConvTranspose(Layer):
    """``convtranspose FILTERS KERNEL [ACTIVATION] [stride=S] [padding=P]``: a transposed convolution,
    which makes the image larger: (H - 1) * S - 2P + KERNEL."""

    type: ClassVar[str] = "convtranspose"
    help: ClassVar[str] = ("a transposed convolution: each pixel spread over a KERNEL x KERNEL patch, S pixels apart "
                           "(stride=2 doubles the size with KERNEL 2)")
    example: ClassVar[str] = "convtranspose 16 2 relu stride=2"
    color: ClassVar[str] = "#c5b0d5"
    filters: int = option(REQUIRED, "filters (output channels)", kind=INT, low=1, form="positional")
    kernel: int = option(REQUIRED, "the filter's width and height", kind=INT, low=1, form="positional")
    activation: str = activation_option()
    stride: int = option(1, "pixels between two patches in the output", kind=INT, low=1, metavar="S")
    padding: int = option(0, "rows and columns taken off each border of the output", kind=INT, low=0, metavar="P")

    def output_shape(self, shape):
        needs_image(self, shape)
        height, width = ((size - 1) * self.stride - 2 * self.padding + self.kernel for size in shape[1:])
        if min(height, width) < 1:
            raise NbdlError(f"'{self.to_text()}' takes {shape_text(shape)} to {height}x{width}: padding {self.padding} "
                            "takes off more than the output has; use less padding")
        return (self.filters, height, width)

    def build(self, shape):
        block = nn.Sequential()
        block.add_module("conv", nn.ConvTranspose2d(shape[0], self.filters, self.kernel, self.stride, self.padding))
        if not activations.is_linear(self.activation):
            block.add_module("activation", activations.make(self.activation))
        return block


IMAGE_LAYERS: tuple[type[Layer], ...] = (Conv, MaxPool, AvgPool, GlobalAvgPool, Upsample, ConvTranspose)
