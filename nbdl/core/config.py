"""One object that describes an experiment. The Python API, the magics and the panels fill it.

Each field declares itself once with ``setting(...)``: kind, default, range or choices, help, the
panel section and whether it may change between two batches of a run. The magic's flags and
help, the panel's controls, ``Run.update``'s live list, the "copy as magic" line and the JSON
round trip are all derived from these declarations (``SETTINGS``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from . import adversarial, augment, config_files, devices, limits, losses, optimizers
from . import init as init_schemes
from .data import Dataset, is_frame
from .errors import NbdlError, raise_all, spell
from .network import NetworkSpec, as_spec
from .options import BOOL, CHOICE, INT, OBJECT, PAIR, TEXT, Option

DEFAULT_BATCH_SIZE = 32
SURFACES = ("flag", "panel", "command", "json")


@dataclass(frozen=True, eq=False)
class Setting(Option):
    """A ``Config`` field's declaration. ``live``: may change between two batches (``Run.update``);
    ``section``: where the panel shows it; ``control``: ``"log"`` for a log-scale slider, else the
    panel derives the control from the kind; ``from_optimizer``: None means the optimizer's own
    default; ``absent``: surfaces (flag, panel, command, json) that deliberately do not show it,
    each with the reason."""

    live: bool = False
    default_note: str = ""  # the default in words, where None stands for one chosen elsewhere
    section: str = "other"
    control: str = ""
    step: float | None = None
    from_optimizer: bool = False
    absent: tuple[tuple[str, str], ...] = ()

    def missing_from(self, surface: str) -> str | None:
        """Why ``surface`` does not show this setting, or None when it does."""
        return dict(self.absent).get(surface)

    def default_words(self) -> str:
        """The default in words: a value, or what None stands for (the optimizer's own: adam 0.001, ...)."""
        if self.from_optimizer:
            takers = [(r.name, r.defaults[self.name]) for r in optimizers.registry.records() if self.name in r.defaults]
            return "the optimizer's own: " + ", ".join(f"{n} {' '.join(self.format(v))}" for n, v in takers)
        return self.default_note or ("" if self.default in (None, {}) else self.default_text())

    @property
    def flag(self) -> str:
        """The magic's flag: ``--batch-size``; a setting that is on by default is turned off with ``--no-...``."""
        return "--" + self.name.replace("_", "-")


def setting(default: Any, help: str, **details: Any) -> Any:
    declared = Setting(default=None if default is dict else default, help=help, **details)
    if default is dict:
        return field(default_factory=dict, metadata={"setting": declared})
    return field(default=default, metadata={"setting": declared})


_OPTIMIZER = dict(section="optimizer", optional=True, live=True, from_optimizer=True)
_NOT_A_CONTROL = "the panel keeps it as given and lists it under 'other settings'"


@dataclass
class Config:
    """Everything a run needs. ``None`` means "the chosen component's default" (for example the
    optimizer's own learning rate); every field has a best-practice default."""

    network: Any = setting(None, "the network: its text form, a NetworkSpec, a list of layers, a dict, or a "
                           "torch.nn.Module", kind=OBJECT, section="network",
                           absent=(("flag", "the magic's NAME argument names it"),
                                   ("panel", "the Network section's layer rows show it"),
                                   ("command", "the %%nbdl net cell above the line holds it")))
    data: Any = setting(None, "a built-in data set's name, or your own data: (X, y), tensors, a DataFrame "
                        "(with target), a Dataset", kind=OBJECT, section="data", metavar="DATA")
    data_options: dict[str, Any] = setting(dict, "options of a built-in data set (n, noise, ...), or target and "
                                           "task for your own data", kind=OBJECT, section="data",
                                           absent=(("flag", "each option is a flag of its own: --n, --noise, ..."),
                                                   ("panel", "the chosen data set's options are controls of their own")))
    val_split: float = setting(0.2, "share of the data kept for validation", low=0, high=1, high_open=True,
                               section="data", step=0.05, label="validation share")
    test_split: float = setting(0.2, "share of the data kept for testing", low=0, high=1, high_open=True,
                                section="data", step=0.05, label="test share")
    standardize: bool = setting(True, "scale each input feature to mean 0, standard deviation 1 (fitted on the "
                                "training part)", kind=BOOL, section="data")
    seed: int = setting(0, "seed of the data, the split, the first weights, the batch order, dropout and "
                        "augmentation", kind=INT, low=0, high=2**32 - 1, section="data")
    optimizer: str = setting("adam", "how the weights are updated", kind=CHOICE, choices=optimizers.registry,
                             section="optimizer")
    lr: float | None = setting(None, "learning rate", low=0, low_open=True,
                               control="log", label="learning rate", **_OPTIMIZER)
    momentum: float | None = setting(None, "momentum: the share of the last step kept in the next", low=0, high=1,
                                     high_open=True, step=0.01, **_OPTIMIZER)
    betas: tuple[float, float] | None = setting(None, "Adam's betas: the decay rates of its two moving averages",
                                                kind=PAIR, low=0, high=1, high_open=True, metavar="B1 B2", **_OPTIMIZER)
    eps: float | None = setting(None, "a small number added to the optimizer's denominators", low=0, low_open=True,
                                control="log",
                                label="epsilon", **_OPTIMIZER)
    weight_decay: float | None = setting(None, "weight decay inside the optimizer (decoupled for adamw)", low=0,
                                         label="weight decay", **_OPTIMIZER)
    batch_size: int | None = setting(None, "samples per step", kind=INT, low=1, optional=True, section="optimizer",
                                     label="batch size",
                                     default_note=f"{DEFAULT_BATCH_SIZE}; gd takes the whole training set")
    epochs: int = setting(20, "passes over the training data in one fit", kind=INT, low=0, live=True,
                          section="optimizer")
    schedule: str | None = setting(None, "learning-rate schedule", kind=CHOICE, choices=optimizers.schedules,
                                   optional=True, section="optimizer", label="lr schedule", metavar="SCHEDULE",
                                   default_note="none")
    l1: float = setting(0.0, "L1 penalty: l1 * sum |w| over the weight matrices, added to the loss", low=0,
                        high=1e6, live=True, section="regularization", label="L1")
    l2: float = setting(0.0, "L2 penalty: l2 * sum w^2 over the weight matrices, added to the loss", low=0,
                        high=1e6, live=True, section="regularization", label="L2")
    dropout: float | None = setting(None, "the rate of every dropout layer (a spec without one gets one after each "
                                    "hidden layer)", low=0, high=1, high_open=True, optional=True, step=0.05,
                                    section="regularization", default_note="the network's own", metavar="RATE")
    augment: str | None = setting(None, "changes to training batches only", kind=CHOICE,
                                  choices=augment.registry, many=True, optional=True, section="regularization",
                                  label="augmentation", metavar="LIST", default_note="none")
    noise_input: float = setting(0.0, "denoising: gaussian noise of this standard deviation added to each training "
                                 "input (in the units the network sees: 1 is a standardized feature's spread); the "
                                 "targets stay clean", low=0, high=100, section="regularization", label="input noise",
                                 metavar="STD")
    adversarial: str | None = setting(None, "adversarial training: the second half of each training batch perturbed "
                                      "by this attack, eps in the data's own units (pixels 0-16 for digits); logs "
                                      "val_robust_acc", kind=CHOICE, choices=adversarial.attacks, optional=True,
                                      section="regularization", metavar="ATTACK", default_note="off")
    early_stopping: int | None = setting(None, "patience: stop after this many epochs without improvement",
                                         kind=INT, low=1, optional=True, section="regularization",
                                         metavar="PATIENCE", label="early stopping", default_note="off")
    monitor: str = setting("val_loss", "the figure early stopping watches", kind=TEXT, section="regularization")
    restore_best: bool = setting(True, "after early stopping, go back to the best epoch's weights", kind=BOOL,
                                 section="regularization", label="restore best")
    init: str = setting("default", "how the first weights are drawn", kind=CHOICE, choices=init_schemes.registry,
                        section="network", label="initialization", metavar="INIT")
    freeze: str | None = setting(None, "blocks not to train: body (all but the last), block numbers 0,1, or module "
                                 "names", kind=TEXT, optional=True, section="network", default_note="none",
                                 metavar="BLOCKS")
    diagnostics: bool = setting(False, "per-layer instruments at each epoch's end (gradient and weight norms, update "
                                "ratios, activations, dead and saturated units) and a coach that says what they show",
                                kind=BOOL, live=True, section="other")
    diagnostics_every: int = setting(0, "with diagnostics, also record the instruments every N steps (0: at epoch ends "
                                     "only)", kind=INT, low=0, live=True, section="other", metavar="N",
                                     label="every N steps")
    loss: str | None = setting(None, "the loss", kind=CHOICE, choices=losses.registry, optional=True,
                               section="other", default_note="cross_entropy for classes, mse for regression")
    device: str = setting("auto", "auto (CUDA when present), cpu, cuda, cuda:N or mps", kind=TEXT,
                          check_with=devices.check, absent=(("panel", _NOT_A_CONTROL),))
    threads: int | None = setting(None, "torch threads while training", kind=INT, low=1, high=limits.cores(),
                                  optional=True, absent=(("panel", _NOT_A_CONTROL),),
                                  default_note="one for small networks, else all")
    tensorboard: str | None = setting(None, "write each epoch's figures, the network and the config to this folder "
                                      "for TensorBoard (pip install 'nbdl[tensorboard]')", kind=TEXT, optional=True,
                                      metavar="DIR", default_note="off", absent=(("panel", _NOT_A_CONTROL),))

    def replace(self, **changes: Any) -> "Config":
        unknown_fields = sorted(set(changes) - set(NAMES))
        if unknown_fields:
            raise NbdlError(f"unknown setting(s) {', '.join(unknown_fields)}; choose from: {', '.join(NAMES)}")
        return dataclasses.replace(self, **changes)

    def optimizer_settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in optimizers.HYPERPARAMETERS}

    def problems(self) -> list[str]:
        """Every problem of this config, worded for the user; empty when it is fine."""
        found: list[str] = []

        def attempt(fn, *args, **kwargs) -> Any:
            try:
                return fn(*args, **kwargs)
            except NbdlError as error:
                found.append(str(error))
                return None

        values = {s.name: attempt(s.check, getattr(self, s.name)) for s in SETTINGS}
        if self.network is None:
            found.append("no network given; write one in the text form, for example 'input 2\\ndense 16 relu\\n"
                         "dense 2 softmax'")
        elif not isinstance(self.network, nn.Module):
            attempt(as_spec, self.network)
        if self.data is None:
            found.append(f"no data given; name a data set, for example {spell('data', 'moons')}, or give your own: "
                         "data=(X, y)")
        if not isinstance(self.data_options, dict) or not all(isinstance(k, str) for k in self.data_options):
            found.append(f"data_options must be a dict of options by name such as {{'noise': 0.2}}, "
                         f"got {self.data_options!r:.60}")
        kind = optimizers.kind(values["optimizer"]) if values.get("optimizer") else None
        if kind is not None:
            attempt(kind.settings, **self.optimizer_settings())
            if kind.full_batch and values.get("batch_size") is not None:
                found.append(f"optimizer 'gd' is full-batch (one step per epoch over all training data), so "
                             f"{spell('batch_size')} {self.batch_size} does not apply; leave it unset, or use optimizer "
                             "'sgd' for mini-batches")
        split = (values.get("val_split"), values.get("test_split"))
        if None not in split and sum(split) >= 1:
            found.append(f"{spell('val_split')} + {spell('test_split')} must leave data to train on, got "
                         f"{split[0]:g} + {split[1]:g}")
        if self.early_stopping is not None and str(self.monitor).startswith("val_") and values.get("val_split") == 0:
            found.append(f"early stopping on {self.monitor!r} needs a validation split; set {spell('val_split')} above 0")
        return found

    def validate(self) -> "Config":
        """This config with its values made plain (numpy numbers as Python ones, betas a tuple), or
        one error listing every problem."""
        raise_all(self.problems())
        return dataclasses.replace(self, **{s.name: s.check(getattr(self, s.name)) for s in SETTINGS})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description; user arrays and modules are named, not stored."""
        values = {s.name: list(v) if isinstance(v := getattr(self, s.name), tuple) else v for s in SETTINGS}
        if isinstance(self.network, nn.Module):
            values["network"] = f"<module {type(self.network).__name__}>"
        elif self.network is not None:
            values["network"] = as_spec(self.network).to_dict()
        if self.data is not None and not isinstance(self.data, str):
            values["data"] = (f"<{self.data.name}>" if isinstance(self.data, Dataset) else
                              "<DataFrame>" if is_frame(self.data) else "<arrays>")
        values["data_options"] = dict(self.data_options)
        return values

    def save(self, path: Any) -> Any:
        """Write this experiment to ``path`` as JSON (what ``to_dict()`` holds); ``Config.load`` reads it."""
        return config_files.write(path, self.to_dict())

    @classmethod
    def load(cls, path: Any, **given: Any) -> "Config":
        """The experiment saved in ``path`` by ``save``, every value checked; ``given`` settings (a network
        or data of your own, which a file only names) take the place of the file's."""
        unknown_fields = sorted(set(given) - set(NAMES))
        if unknown_fields:
            raise NbdlError(f"unknown setting(s) {', '.join(unknown_fields)}; choose from: {', '.join(NAMES)}")
        return cls().replace(**config_files.read(path, SETTINGS, given))

    @classmethod
    def from_dict(cls, values: Any) -> "Config":
        """The config a ``to_dict()`` describes; unknown keys and values of the wrong kind are refused."""
        if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
            raise NbdlError(f"a config is a dict of settings by name, as written by Config.to_dict(), got {values!r:.80}")
        values = dict(values)
        if isinstance(values.get("network"), dict):
            values["network"] = NetworkSpec.from_dict(values["network"])
        config = cls().replace(**values)
        if not isinstance(config.data_options, dict) or not all(isinstance(k, str) for k in config.data_options):
            raise NbdlError(f"data_options must be a dict of options by name, got {config.data_options!r:.60}")
        by_name = {s.name: s for s in SETTINGS}
        checked = {k: by_name[k].check(v) for k, v in values.items() if by_name[k].kind != OBJECT}
        return config.replace(**checked)


SETTINGS: tuple[Setting, ...] = tuple(dataclasses.replace(f.metadata["setting"], name=f.name, default=f.default if
                                                         f.default is not dataclasses.MISSING else {})
                                      for f in dataclasses.fields(Config))
NAMES: tuple[str, ...] = tuple(s.name for s in SETTINGS)
LIVE: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.live)


def as_config(config: Any) -> Config:
    """A Config, or a dict of settings made into one; anything else is refused."""
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return Config.from_dict(config)
    raise NbdlError(f"a run takes a Config (or a dict of settings), for example Config(network=..., data='moons'); "
                    f"got {type(config).__name__}")


def setting_named(name: str) -> Setting:
    for s in SETTINGS:
        if s.name == name:
            return s
    raise NbdlError(f"unknown setting {name!r}; choose from: {', '.join(NAMES)}")


def field_names() -> list[str]:
    return list(NAMES)


def train_command(config: Config, network_name: str = "net", data_name: str | None = None) -> str:
    """The ``%nbdl train`` line that reproduces ``config`` (settings that differ from the defaults)."""
    import shlex

    data = data_name or (config.data if isinstance(config.data, str) else "DATA")
    return " ".join(["%nbdl", "train", network_name, "--data", *map(shlex.quote, [data, *flag_words(config)])])


def flag_words(config: Config, only: list[str] | None = None) -> list[str]:
    """The magic's flags that set ``config``'s settings where they differ from the defaults (the data
    set's options included), as words: ``["--lr", "0.05", "--no-standardize"]``; with ``only``, the
    flags of those settings (``data`` and ``data_options`` included) whatever their value."""
    default, words = Config(), []
    if only is not None and "data" in only:
        words += ["--data", config.data if isinstance(config.data, str) else "VARIABLE"]
    if only is None or "data_options" in only:
        for key, value in config.data_options.items():
            words += ["--" + key.replace("_", "-"), *(Option().format(value) if not isinstance(value, str) else [value])]
    for s in SETTINGS:
        value = getattr(config, s.name)
        if only is not None:
            if s.name in only and s.kind != OBJECT and not s.missing_from("flag"):
                words += [s.flag if value or s.kind != BOOL else "--no-" + s.flag[2:]] + \
                    ([] if s.kind == BOOL else s.format(value))
            continue
        if s.missing_from("flag") or s.kind == OBJECT or value is None or value == getattr(default, s.name):
            continue
        if s.kind == BOOL:
            words.append(s.flag if value else "--no-" + s.flag[2:])
        else:
            words += [s.flag, *s.format(value)]
    return words
