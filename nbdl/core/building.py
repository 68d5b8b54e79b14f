"""Making a run's model from its config: the network built (or the user's module copied), its first
weights drawn from the run's seed, frozen parts set, every check done before any training step."""
from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from . import init as init_schemes
from . import randomness
from .config import Config
from .data import Dataset
from .errors import NbdlError, spell
from .network import Network, as_spec
from .transfer import freeze

# Below this many parameter-samples per step, one torch thread beats two: splitting small matrix
# products costs more than it saves (measured on 2 cores: 1 thread wins up to ~5e6, 2 from ~1e7).
ONE_THREAD_WORK = 8e6


def build_model(config: Config, dataset: Dataset, device: torch.device, generator: torch.Generator,
                in_place: bool = False) -> nn.Module:
    """The model a run trains. A module of the user's is copied (``in_place=True`` trains it as it
    is), so two runs from one module never share weights."""
    if isinstance(config.network, nn.Module):
        check_parameters(config.network, config)  # before copying: a meta module cannot be copied
    with randomness.seeded(config.seed):
        if isinstance(config.network, nn.Module):
            model = config.network if in_place else copy.deepcopy(config.network)
            if config.dropout is not None:
                set_dropout(model, config.dropout)
        else:
            spec = as_spec(config.network)
            if config.dropout is not None:
                spec = spec.with_dropout(config.dropout)
            model = spec.build(dataset.sample_shape, device=str(device))
        init_schemes.initialize(model, config.init)
        if config.freeze:
            freeze(model, config.freeze)
    check_parameters(model, config)
    randomness.adopt(model, generator)
    return model.to(device)


def check_parameters(model: nn.Module, config: Config) -> None:
    params = list(model.parameters())
    tensors = dict(model.named_parameters(), **dict(model.named_buffers()))
    if any(t.is_meta for t in tensors.values()):
        raise NbdlError("the model's weights are on the meta device (shapes without values); make them real first, "
                        "for example model.to_empty(device='cpu') and then initialize them")
    bad = [name for name, t in tensors.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise NbdlError(f"the model's {bad[0]!r} holds NaN or infinite values"
                        f"{f' (and {len(bad) - 1} more)' if len(bad) > 1 else ''}; nothing can be learned from them")
    if not params:
        raise NbdlError(f"the model {type(model).__name__} has no parameters to train; give a network with at "
                        "least one layer that learns, such as 'dense 2'")
    bad = sorted({str(p.dtype) for p in params if not p.is_floating_point() or p.is_complex()})
    if bad:
        raise NbdlError(f"the model has parameters of type {', '.join(bad)}; nbdl trains real floating-point weights")
    if not any(p.requires_grad for p in params):
        raise NbdlError(f"nothing left to train: {spell('freeze', config.freeze) if config.freeze else 'the model'} "
                        "freezes every parameter; freeze fewer blocks (for example 'body' keeps the last one trainable)")


def check_tokens(model: nn.Module, X: Any, trained: bool = False) -> None:
    """Samples an embedding reads must be token codes: whole numbers from 0 to its vocabulary - 1
    (a code beyond it fails in the middle of training, or of a prediction)."""
    embedding = next((m for m in model.modules() if isinstance(m, nn.Embedding)), None)
    X = np.asarray(X.detach().cpu() if torch.is_tensor(X) else X)
    if embedding is None or not X.size:
        return
    vocabulary, top = embedding.num_embeddings, float(X.max())
    if (X < 0).any() or not np.equal(np.mod(X, 1), 0).all():
        raise NbdlError(f"an embedding reads token codes, whole numbers 0..{vocabulary - 1}, but the samples hold "
                        f"{float(X.min()):g}..{top:g} with fractions or negatives; give codes (after 'input tokens')")
    if top >= vocabulary and trained:
        raise NbdlError(f"the samples hold token code {int(top)} but this run's embedding knows codes 0..{vocabulary - 1}")
    if top >= vocabulary:
        raise NbdlError(f"the samples hold token codes up to {int(top)} but the embedding has a vocabulary of "
                        f"{vocabulary}; make it at least {int(top) + 1} (for example "
                        f"'embedding {int(top) + 1} {embedding.embedding_dim}')")


def set_dropout(model: nn.Module, rate: float) -> None:
    layers = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    if not layers:
        raise NbdlError(f"{spell('dropout', rate)} asked for but the network has no dropout layer; "
                        "add a line such as 'dropout 0.2' after a hidden layer")
    for layer in layers:
        layer.p = rate


def check_layers(network: Network, sample: torch.Tensor) -> None:
    """Run two samples through the network block by block: each block must give the shape its layer
    declares (a layer type of one's own whose module does otherwise is named here, not mid-training)."""
    shapes = network.spec.shapes(tuple(sample.shape[1:]))
    blocks = iter(network.layers)
    x = sample
    was_training = network.training
    network.eval()
    try:
        with torch.no_grad():
            for layer, declared in zip(network.spec.layers, shapes):
                if layer.type == "input":
                    continue
                # A last 'activation softmax' line is not among the blocks: the network keeps it
                # apart (its output), so the loss can see the values before it.
                block = next(blocks, network.output)
                try:
                    x = block(x)
                except Exception as error:  # noqa: BLE001 - a module of a registered layer type
                    raise NbdlError(f"layer '{layer.to_text()}' fails on its input: {type(error).__name__}: "
                                    f"{str(error).splitlines()[0] if str(error) else ''}") from None
                if not torch.is_tensor(x) or tuple(x.shape[1:]) != tuple(declared):
                    got = tuple(x.shape[1:]) if torch.is_tensor(x) else type(x).__name__
                    raise NbdlError(f"layer '{layer.to_text()}' declares an output of shape {tuple(declared)} but its "
                                    f"module gives {got}; its output_shape and build must agree")
    finally:
        network.train(was_training)


def output_width(model: nn.Module, sample: torch.Tensor) -> int:
    """The width of the model's output for these samples (a user module is tried on two of them)."""
    if isinstance(model, Network):
        check_layers(model, sample)
        return model.output_shape[-1]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(sample)
    except Exception as error:  # a user module that cannot take the data: say so before training
        raise NbdlError(f"the model cannot take samples of shape {tuple(sample.shape[1:])}: "
                        f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") from None
    finally:
        model.train(was_training)
    if not torch.is_tensor(out) or out.dim() != 2:
        shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
        raise NbdlError(f"the model must return a tensor (batch, outputs), got {shape}")
    if not out.is_floating_point() or out.dtype != torch.float32:
        raise NbdlError(f"the model must return float32 outputs (the data are float32), got {out.dtype}")
    return out.shape[1]


def has_batch_norm(model: nn.Module) -> bool:
    return any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)) for m in model.modules())


def batches(n: int, size: int, merge_single: bool) -> list[tuple[int, int]]:
    """(start, stop) of each batch of an epoch. With ``merge_single`` a last batch of one sample
    joins the one before (batch norm cannot normalize over a single sample)."""
    bounds = [(start, min(start + size, n)) for start in range(0, n, size)]
    if merge_single and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def threads_for(model: nn.Module, batch_size: int, sample_shape: tuple[int, ...], device: torch.device,
                asked: int | None) -> int:
    """Torch threads for training: as asked, else one for small steps (a recurrent network applies
    its weights once per step of each sequence)."""
    if asked is not None:
        return asked
    steps = sample_shape[0] if len(sample_shape) == 2 else 1
    work = sum(p.numel() for p in model.parameters()) * batch_size * steps
    return 1 if work < ONE_THREAD_WORK or device.type != "cpu" else torch.get_num_threads()
