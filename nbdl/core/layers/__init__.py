"""Layer specs by name: the registry the text form, the panel's rows and the drawing read.

``register(MyLayer)`` adds a layer type: a dataclass subclass of ``Layer`` with ``type``, ``help``,
its options declared with ``option(...)``, ``output_shape`` and ``build``."""
from __future__ import annotations

from ..errors import NbdlError
from ..registry import Registry
from .base import Layer, Shape, shape_text
from .basic import BASIC_LAYERS, Activation, BatchNorm, Dense, Dropout, Flatten, Input
from .latent import LATENT_LAYERS, Vae
from .sequence import GRU, LSTM, RNN, SEQUENCE_LAYERS, Embedding
from .vision import IMAGE_LAYERS, AvgPool, Conv, ConvTranspose, GlobalAvgPool, MaxPool, Upsample

registry: Registry[type[Layer]] = Registry("layer")


def register(cls: type[Layer], replace: bool = False) -> type[Layer]:
    """Add a layer type; the text form knows it from then on (``nbdl.register_layer`` checks a
    user's declaration further first)."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)) or not cls.type:
        raise NbdlError(f"a layer type is a subclass of nbdl.Layer with a 'type' name, got {cls!r}")
    return registry.add(cls.type, cls, replace=replace)


for _cls in (*BASIC_LAYERS, *IMAGE_LAYERS, *SEQUENCE_LAYERS, *LATENT_LAYERS):
    register(_cls)

__all__ = ["AvgPool", "Activation", "BatchNorm", "Conv", "ConvTranspose", "Dense", "Dropout", "Embedding", "Flatten",
           "GRU", "GlobalAvgPool", "Input", "LSTM", "Layer", "MaxPool", "RNN", "Shape", "Upsample", "Vae", "register",
           "registry", "shape_text"]
