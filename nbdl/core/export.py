"""A run as a standalone PyTorch script (``run.to_code()``): torch, numpy and scikit-learn only, no
nbdl. It rebuilds the data and its split, the network and its first weights, the optimizer, the
schedule, the penalties, dropout and early stopping, trains, and prints the final training and
validation losses; on the CPU with the same seed they are the run's to float precision.

What it cannot reproduce exactly (images, sequences, augmentation, a module of one's own, ...) is
refused with one error naming all of it. The fixed parts of the script are in ``export_text``."""
from __future__ import annotations

import inspect
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import activations, building, datasets, export_text, features, init as init_schemes, optimizers, toy
from .errors import NbdlError
from .layers import Activation, BatchNorm, Dense, Dropout, Flatten, Input
from .network import Network
from .tasks import CLASSIFICATION

TOY_HELPERS = {"ring": ("ring_centres",), "grid": ("grid_centres",)}
SKLEARN = {"digits": "load_digits", "iris": "load_iris", "wine": "load_wine",
           "breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}
LOSSES = {"cross_entropy": "F.cross_entropy(logits, y)",
          "bce": "F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))",
          "mse": "F.mse_loss(logits, y)", "mae": "F.l1_loss(logits, y)", "huber": "F.huber_loss(logits, y)"}
INITS = {"xavier": "nn.init.xavier_uniform_(layer.weight)",
         "kaiming": 'nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")',
         "normal": "nn.init.normal_(layer.weight, 0.0, {!r})", "zeros": "nn.init.zeros_(layer.weight)"}
SCHEDULES = {"step": "StepLR(optimizer, step_size={!r}, gamma={!r})",
             "cosine": "CosineAnnealingLR(optimizer, T_max={epochs}, eta_min={!r})",
             "plateau": "ReduceLROnPlateau(optimizer, patience={!r}, factor={!r})"}
MONITORS = ("val_loss", "train_loss")


def to_code(run: Any, path: str | Path | None = None) -> str:
    """The script's text; with ``path``, also written there (and the user's own data beside it, as
    the .npz file of the same name the script loads)."""
    refuse_unsupported(run)
    own_data = not _named(run)
    imports = export_text.imports(sklearn=not own_data and run.dataset.name in SKLEARN, npz=own_data,
                                  early_stopping=bool(run.config.early_stopping))
    text = "\n".join([_header(run, own_data), imports, f"SEED = {run.config.seed}",
                      _threads(run), "", _data(run, own_data), _model(run), _training(run)]) + "\n"
    if path is not None:
        if not isinstance(path, (str, Path)):
            raise NbdlError(f"run.to_code(path): the path must be text or a pathlib.Path, got {path!r:.60}")
        path = Path(path)
        try:
            path.write_text(text)
            if own_data:
                np.savez(path.with_suffix(".npz"), X=run.dataset.X, y=run.dataset.y)
        except OSError as error:
            raise NbdlError(f"cannot write the script to {str(path)!r}: {error.strerror or error}") from None
    return text


def refuse_unsupported(run: Any) -> None:
    """One error naming everything in ``run`` the export cannot reproduce exactly."""
    config, dataset, problems = run.config, run.dataset, []
    if not isinstance(run.model, Network):
        problems.append("a torch module of your own as the network (export one built from the text form)")
    else:
        unknown = sorted({layer.type for layer in run.model.spec.layers
                          if not isinstance(layer, (Input, Dense, Activation, Dropout, BatchNorm, Flatten))})
        if unknown:
            problems.append(f"layers {', '.join(unknown)} (dense networks only: dense, activation, dropout, batchnorm)")
    if len(dataset.sample_shape) != 1 or dataset.ordered or dataset.tokens:
        problems.append(f"samples of shape {dataset.sample_shape}{' in time order' if dataset.ordered else ''} "
                        "(flat feature vectors only)")
    if dataset.task not in ("classification", "regression") or (dataset.task == CLASSIFICATION and dataset.y.ndim != 1):
        problems.append(f"the task {dataset.task} (classification with one label a sample, or regression)")
    if not len(run.data.val):
        problems.append("no validation split (set val_split above 0)")
    for name in ("augment", "adversarial", "freeze", "noise_input"):
        if getattr(config, name):
            problems.append(f"{name} {getattr(config, name)!r}")
    if run.batch_changes:
        problems.append("changes to the training batches plugged in by other modules")
    kind = optimizers.kind(config.optimizer)
    if getattr(torch.optim, kind.cls.__name__, None) is not kind.cls:
        problems.append(f"the optimizer {kind.name!r} (not one of torch.optim's)")
    schedule = optimizers.schedules.parse(config.schedule or "none")[0].name
    if schedule not in (*SCHEDULES, "none"):
        problems.append(f"the schedule {schedule!r} (none, {', '.join(SCHEDULES)})")
    if config.early_stopping and config.monitor not in MONITORS:
        problems.append(f"early stopping on {config.monitor!r} ({' or '.join(MONITORS)})")
    if run.status == "diverged":
        problems.append("a run that diverged (nbdl stopped it and restored its weights)")
    if run.epoch > config.epochs:
        problems.append(f"training continued past the config's {config.epochs} epochs ({run.epoch} in all)")
    if problems:
        raise NbdlError("run.to_code() does not export these yet: " + "; ".join(problems) +
                        ". It exports dense networks on flat data (built-in tabular and 2-D sets, or your own arrays)")


def _named(run: Any) -> bool:
    """Whether the script can make the data itself: a built-in 2-D or scikit-learn set, as loaded."""
    name = run.config.data
    return (isinstance(name, str) and not isinstance(run.dataset, features.FeaturedDataset)
            and datasets.registry.canonical(name) in (*SKLEARN, "moons", "circles", "xor", "spiral", "blobs", "ring",
                                                      "grid"))


def _header(run: Any, own_data: bool) -> str:
    config, spec = run.config, run.model.spec
    data = f"the data set {run.dataset.name!r}" if not own_data else "your own data, loaded from the .npz file " \
        "of the same name beside this script"
    layers = "; ".join(layer.to_text() for layer in spec.layers)
    extras = [f"{k} {getattr(config, k)}" for k in ("l1", "l2", "dropout", "schedule") if getattr(config, k)]
    if config.early_stopping:
        extras.append(f"early stopping after {config.early_stopping} epochs without a better {config.monitor}")
    about = (f"Trains the network [{layers}] on {data} with {config.optimizer} for {config.epochs} epochs, "
             f"seed {config.seed}{'; ' + ', '.join(extras) if extras else ''}. Run on the CPU, it prints the "
             "same final training and validation losses as the nbdl run.")
    title = "An nbdl experiment as plain PyTorch (written by nbdl's run.to_code())."
    return f'"""{title}\n\n{textwrap.fill(about, 100)}\n"""'


def _threads(run: Any) -> str:
    threads = building.threads_for(run.model, run.batch_size, run.dataset.sample_shape, torch.device("cpu"),
                                   run.config.threads)
    return f"torch.set_num_threads({threads})  # as nbdl trained: a sum split over threads rounds differently"


def _data(run: Any, own_data: bool) -> str:
    dataset, config = run.dataset, run.config
    lines = ["# -- data " + "-" * 90]
    if own_data:
        lines += ['data = np.load(Path(__file__).with_suffix(".npz"))', 'X, y = data["X"], data["y"]']
    elif dataset.name in SKLEARN:
        loader = SKLEARN[dataset.name]
        target = ("bunch.target.astype(np.int64)" if dataset.task == CLASSIFICATION
                  else "bunch.target.astype(np.float32).reshape(-1, 1)")
        lines += [f"bunch = datasets.{loader}()", f"X, y = bunch.data.astype(np.float32), {target}"]
        if dataset.options.get("n") is not None:
            lines += [f"keep = np.sort(np.random.default_rng(SEED).permutation(len(X))[:{dataset.options['n']}])",
                      "X, y = X[keep], y[keep]"]
    else:
        made = [getattr(toy, name) for name in (*TOY_HELPERS.get(dataset.name, ()), dataset.name)]
        lines.append("\n\n".join([export_text.TOY_HELPERS, *map(inspect.getsource, made)]))
        options = "".join(f", {k}={v!r}" for k, v in dataset.options.items() if k != features.OPTION.name)
        lines.append(f"X, y = {dataset.name}(seed=SEED{options})")
    classify = dataset.task == CLASSIFICATION
    lines += ["\n", export_text.split(classify), f"train, val, _test = split(y, {config.val_split!r}, {config.test_split!r}, SEED)"]
    if config.standardize:
        lines.append(export_text.STANDARDIZE)
        if not classify:
            lines.append(export_text.STANDARDIZE_TARGETS)
    lines.append("X_train, y_train = torch.from_numpy(X[train]), torch.from_numpy(y[train])\n"
                 "X_val, y_val = torch.from_numpy(X[val]), torch.from_numpy(y[val])\n")
    return "\n".join(lines)


def _activation(text: str) -> str:
    record, numbers = activations.registry.parse(text)
    if record.name == "prelu":
        return f"nn.PReLU(init={numbers[0] if numbers else 0.25!r})"
    return "nn." + repr(activations.make(text))


def _modules(network: Network) -> list[str]:
    """The network's modules in the order nbdl makes them (the order its first weights are drawn in),
    without the output softmax or sigmoid, which the loss folds in."""
    spec = network.spec
    shapes = spec.shapes(network.input_shape)
    last = len(spec.layers) - 1
    made, shape = [], network.input_shape
    for i, (layer, out) in enumerate(zip(spec.layers, shapes)):
        folded = i == last and network.output_activation is not None
        if isinstance(layer, Dense):
            made.append(f"nn.Linear({shape[-1]}, {layer.units})")
            if not folded and not activations.is_linear(layer.activation):
                made.append(_activation(layer.activation))
        elif isinstance(layer, Activation) and not folded:
            made.append(_activation(layer.name))
        elif isinstance(layer, Dropout):
            made.append(f"Dropout({layer.rate!r}, masks)")
        elif isinstance(layer, BatchNorm):
            made.append(f"nn.BatchNorm1d({shape[0]})")
        elif isinstance(layer, Flatten):
            made.append("nn.Flatten()")
        shape = out
    return made


def _model(run: Any) -> str:
    network, config = run.model, run.config
    has_dropout = any(isinstance(layer, Dropout) for layer in network.spec.layers)
    lines = ["# -- model " + "-" * 89]
    if has_dropout:
        lines += [export_text.DROPOUT, "",
                  "masks = torch.Generator().manual_seed(SEED)  # dropout draws from a generator of its own"]
    lines.append("torch.manual_seed(SEED)  # the first weights: each layer draws its own as it is made")
    if network.output_activation is not None:
        lines.append(f"# The last layer gives scores: the loss applies the {network.output_activation} itself.")
    lines.append("model = nn.Sequential(\n" + "".join(f"    {m},\n" for m in _modules(network)) + ")")
    record, numbers = init_schemes.registry.parse(config.init)
    if record.name != "default":
        *weight_numbers, bias = numbers + [init_schemes.BIAS.default] * (len(record.params) - len(numbers))
        fill = INITS[record.name].format(*weight_numbers)
        lines.append(f"with torch.no_grad():  # initialization: {config.init}\n    for layer in model.modules():\n"
                     f"        if isinstance(layer, nn.Linear):\n            {fill}\n"
                     f"            layer.bias.fill_({float(bias)!r})")
    return "\n".join(lines) + "\n"


def _training(run: Any) -> str:
    config, kind = run.config, optimizers.kind(run.config.optimizer)
    settings = kind.settings(**config.optimizer_settings())
    if "betas" in settings:
        settings["betas"] = tuple(settings["betas"])
    settings.update(optimizers.implementation(kind, list(run.model.parameters())))
    arguments = "".join(f", {k}={v!r}" for k, v in settings.items())
    lines = ["# -- training " + "-" * 86,
             f"optimizer = torch.optim.{kind.cls.__name__}(model.parameters(){arguments})"]
    record, numbers = optimizers.schedules.parse(config.schedule or "none")
    if record.name != "none":
        made = SCHEDULES[record.name].format(*numbers, *[o.default for o in record.params[len(numbers):]],
                                             epochs=max(int(config.epochs), 1))
        lines.append(f"schedule = torch.optim.lr_scheduler.{made}")
    lines += [f"EPOCHS, BATCH_SIZE = {config.epochs}, {run.batch_size}\n\n",
              f"def loss_of(logits, y):\n    return {LOSSES[run.loss.name]}\n\n"]
    if config.l1 or config.l2:
        terms = "".join(f"\n        total = total + {v!r} * {f}" for v, f in
                        ((config.l1, "w.abs().sum()"), (config.l2, "w.pow(2).sum()")) if v)
        lines.append("weights = [p for p in model.parameters() if p.dim() > 1]  # biases and norm scales are free\n\n\n"
                     f"def penalty():\n    total = torch.zeros(())\n    for w in weights:{terms}\n    return total\n\n")
    lines.append(export_text.loop(penalty=bool(config.l1 or config.l2), schedule=record.name,
                                  patience=config.early_stopping, monitor=config.monitor,
                                  restore_best=config.restore_best,
                                  merge_single=building.has_batch_norm(run.model)))
    return "\n".join(lines)
