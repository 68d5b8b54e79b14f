"""Transfer learning: reuse a trained network's body under a new output layer, freeze and unfreeze."""
from __future__ import annotations

from typing import Iterable

from torch import nn

from . import randomness
from .errors import NbdlError
from .layers import Dense
from .network import Network, NetworkSpec


def blocks(model: nn.Module, which: Iterable[int | str] | str | int | None = None) -> list[nn.Module]:
    """The parts of ``model`` named by ``which``: block indexes of an nbdl network (negative counts
    from the end), module names (``model.named_modules()``), ``"body"`` (all blocks but the last),
    or a comma-separated string of those. None means the body."""
    if not isinstance(model, nn.Module):
        raise NbdlError(f"freeze and unfreeze take a torch.nn.Module (a run's model), got {type(model).__name__}")
    if which is None or which == "body":
        which = ["body"]
    elif isinstance(which, (int, str)) and not isinstance(which, bool):
        which = [w.strip() for w in str(which).split(",") if w.strip()]
        if not which:
            raise NbdlError("name at least one block to freeze: block numbers such as 0,1, 'body', or module names")
    elif not isinstance(which, (list, tuple, range)) or not all(isinstance(w, (int, str)) for w in which):
        raise NbdlError(f"name the blocks to freeze with block numbers, 'body', or module names, got {which!r}")
    named = dict(model.named_modules())
    found: list[nn.Module] = []
    for item in which:
        text = str(item)
        if text == "body":
            if not isinstance(model, Network):
                raise NbdlError("'body' needs an nbdl network; name the modules to freeze instead")
            found.extend(list(model.layers)[:-1])
        elif text.lstrip("-").isdigit() and isinstance(model, Network):
            index = int(text)
            if not -len(model.layers) <= index < len(model.layers):
                raise NbdlError(f"no block {index}: the network has blocks 0..{len(model.layers) - 1}")
            found.append(model.layers[index])
        elif text in named and text:
            found.append(named[text])
        else:
            choices = ", ".join(n for n in named if n and "." not in n) or "(none)"
            raise NbdlError(f"no layer {text!r} to freeze; give block numbers, 'body', or module names such as: {choices}")
    return found


def freeze(model: nn.Module, which=None) -> nn.Module:
    """Stop training the named parts (their parameters keep their values); returns the model."""
    for part in blocks(model, which):
        for p in part.parameters():
            p.requires_grad_(False)
    return model


def unfreeze(model: nn.Module, which=None) -> nn.Module:
    """Train the named parts again; without ``which``, every parameter of the model."""
    parts = [model] if which is None and isinstance(model, nn.Module) else blocks(model, which)
    for part in parts:
        for p in part.parameters():
            p.requires_grad_(True)
    return model


def with_new_head(network: Network, outputs: int, activation: str | None = None, seed: int = 0) -> Network:
    """A copy of ``network`` whose last dense layer is new (``outputs`` units, fresh weights drawn
    from ``seed``, so the same call gives the same head) and whose other layers keep the trained weights."""
    if not isinstance(network, Network) or not isinstance(network.spec.layers[-1], Dense):
        raise NbdlError("a new head needs an nbdl network that ends in a dense layer")
    last = network.spec.layers[-1]
    spec = NetworkSpec([*network.spec.layers[:-1], Dense(outputs, activation or last.activation)])
    device = next(network.parameters()).device
    with randomness.seeded(seed):
        fresh = spec.build(network.input_shape).to(device)  # beside the trained network (a GPU run's stays there)
    body = {k: v for k, v in network.state_dict().items() if not k.startswith(f"layers.{len(network.layers) - 1}.")}
    fresh.load_state_dict(body, strict=False)
    return fresh
