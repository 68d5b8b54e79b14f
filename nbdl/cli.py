"""The ``%nbdl`` command line: one argparse parser per subcommand, mapped onto ``Config`` fields.

No IPython here: the magic turns ``CommandError`` into a usage error, and the dashboard uses
``magic_line`` to show the command that reproduces its settings."""
from __future__ import annotations

import argparse
import shlex
from typing import Any

from .core import optimizers
from .core.config import Config
from .core.datasets import NAMES as DATA_NAMES
from .core.losses import LOSSES


class CommandError(Exception):
    """A bad ``%nbdl`` command; the message is one line of usage."""


class HelpShown(Exception):
    """``--help`` was asked for and printed; nothing more to do."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise CommandError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None):
        if status:
            raise CommandError(message or f"{self.prog}: error")
        raise HelpShown()


def _fraction(text: str) -> float:
    return float(text)


# Flags of `train` that set a Config field of the same name (dashes become underscores).
TRAIN_FLAGS: list[tuple[str, dict[str, Any]]] = [
    ("--optimizer", {"choices": optimizers.names(), "help": "how the weights are updated"}),
    ("--lr", {"type": float, "help": "learning rate (default: the optimizer's own)"}),
    ("--momentum", {"type": float, "help": "momentum for sgd, momentum, nesterov, rmsprop"}),
    ("--betas", {"type": float, "nargs": 2, "metavar": ("B1", "B2"), "help": "Adam's betas"}),
    ("--eps", {"type": float, "help": "the optimizer's epsilon"}),
    ("--weight-decay", {"type": float, "help": "decoupled weight decay (adamw) or L2 in the optimizer"}),
    ("--epochs", {"type": int, "help": "passes over the training data (default 20)"}),
    ("--batch-size", {"type": int, "help": "samples per step (default 32; gd uses all)"}),
    ("--schedule", {"help": "learning-rate schedule: step(10,0.5), cosine, plateau(5,0.5)"}),
    ("--l1", {"type": float, "help": "L1 penalty strength"}),
    ("--l2", {"type": float, "help": "L2 penalty strength"}),
    ("--dropout", {"type": float, "help": "dropout rate after each hidden layer"}),
    ("--augment", {"help": "training batches only: flip, vflip, rotate(10), shift(1), noise(0.1), comma-separated"}),
    ("--early-stopping", {"type": int, "metavar": "PATIENCE", "help": "stop after PATIENCE epochs without improvement"}),
    ("--monitor", {"help": "what early stopping watches (default val_loss)"}),
    ("--init", {"help": "default, xavier, kaiming, normal(0.01), zeros"}),
    ("--freeze", {"help": "blocks not to train: body (all but the last), block numbers 0,1, or module names"}),
    ("--loss", {"choices": sorted(LOSSES), "help": "default: cross-entropy for classes, MSE for regression"}),
    ("--seed", {"type": int, "help": "seed of the split, the weights and the batch order"}),
    ("--val-split", {"type": _fraction, "help": "share of the data kept for validation (default 0.2)"}),
    ("--test-split", {"type": _fraction, "help": "share of the data kept for testing (default 0.2)"}),
    ("--device", {"help": "auto (CUDA when present), cpu or cuda"}),
]
DATA_FLAGS: list[tuple[str, dict[str, Any]]] = [
    ("--n", {"type": int, "help": "number of samples (toy sets) or a subsample (real sets)"}),
    ("--noise", {"type": float, "help": "noise of a toy set"}),
    ("--classes", {"type": int, "help": "classes of spiral and blobs"}),
    ("--seq-len", {"type": int, "help": "steps of each adding-problem sequence (default 50)"}),
    ("--window", {"type": int, "help": "steps of history in each co2/sunspots forecasting window"}),
    ("--target", {"help": "the target column of a DataFrame"}),
    ("--y", {"metavar": "VARIABLE", "help": "the variable holding the targets when DATA is an array"}),
    ("--task", {"choices": ["classification", "regression"], "help": "what the targets are"}),
]
DATA_HELP = f"a built-in data set ({', '.join(DATA_NAMES)}) or a variable: (X, y), a DataFrame, an array"


def _parser(prog: str, description: str) -> _Parser:
    return _Parser(prog=prog, description=description, add_help=True, argument_default=argparse.SUPPRESS, allow_abbrev=False,
                   formatter_class=argparse.RawDescriptionHelpFormatter)


def _add(parser: argparse.ArgumentParser, flags: list[tuple[str, dict[str, Any]]]) -> None:
    for flag, options in flags:
        parser.add_argument(flag, **options)


def build_parsers() -> dict[str, _Parser]:
    net = _parser("%%nbdl net", "Build a network from the cell body (one layer per line) and store it as NAME.")
    net.add_argument("name", metavar="NAME", help="the variable to store the network in")

    train = _parser("%nbdl train", "Train a network (or continue a run) with live plots in the output.")
    train.add_argument("name", metavar="NAME", help="a network from %%nbdl net, any torch.nn.Module, or a run to continue")
    train.add_argument("--data", help=DATA_HELP)
    _add(train, TRAIN_FLAGS)
    _add(train, DATA_FLAGS)
    train.add_argument("--no-restore-best", action="store_true", help="keep the last weights after early stopping")
    train.add_argument("--no-plot", action="store_true", help="no live plots, only the progress line")
    train.add_argument("--checkpoint", metavar="DIR", help="save the run to DIR/checkpoint.safetensors as it trains")
    train.add_argument("--checkpoint-every", type=int, metavar="N", help="save every N epochs (default 1)")
    train.add_argument("--resume", action="store_true",
                       help="continue from the checkpoint in --checkpoint DIR (after a kernel restart)")
    train.add_argument("--as", dest="run_name", metavar="VARIABLE", help="where to store the run (default: run)")

    data = _parser("%nbdl data", "Show a data set: a picture, its shape and its class balance.")
    data.add_argument("data", metavar="DATA", help=DATA_HELP)
    data.add_argument("--seed", type=int)
    _add(data, DATA_FLAGS)

    dashboard = _parser("%nbdl dashboard", "Open the training panel: controls, live plots, Start/Pause/Step/Stop.")
    dashboard.add_argument("name", metavar="NAME", nargs="?", help="a network to start from")
    dashboard.add_argument("--data", help=DATA_HELP)
    return {"net": net, "train": train, "data": data, "dashboard": dashboard}


PARSERS = build_parsers()
SUBCOMMANDS = sorted(PARSERS)


def usage() -> str:
    lines = ["usage: %nbdl SUBCOMMAND [options]   (%nbdl SUBCOMMAND --help for its options)", ""]
    for name in ("net", "train", "data", "dashboard"):
        lines.append(f"  {name:10s} {PARSERS[name].description}")
    return "\n".join(lines)


def parse(line: str) -> tuple[str, argparse.Namespace]:
    """Split a magic line into its subcommand and options; raises CommandError or HelpShown."""
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise CommandError(f"%nbdl: cannot read the line: {error}") from None
    if not words or words[0] in ("-h", "--help", "help"):
        raise HelpShown(usage())
    command, rest = words[0], words[1:]
    if command not in PARSERS:
        raise CommandError(f"%nbdl: unknown subcommand {command!r}; choose one of: {', '.join(SUBCOMMANDS)}")
    return command, PARSERS[command].parse_args(rest)


CONFIG_FIELDS = {flag[2:].replace("-", "_") for flag, _ in TRAIN_FLAGS}
DATA_OPTIONS = ("n", "noise", "classes", "seq_len", "window", "target", "task")


def config_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Config fields that the options set."""
    values = vars(args)
    settings = {k: v for k, v in values.items() if k in CONFIG_FIELDS}
    if "betas" in settings:
        settings["betas"] = tuple(settings["betas"])
    if values.get("no_restore_best"):
        settings["restore_best"] = False
    return settings


def data_options(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k, v in vars(args).items() if k in DATA_OPTIONS}


def magic_line(config: Config, network_name: str = "net", data_name: str | None = None) -> str:
    """The ``%nbdl train`` line that reproduces ``config`` (only settings that differ from defaults)."""
    default = Config()
    words = ["%nbdl", "train", network_name]
    data = data_name or (config.data if isinstance(config.data, str) else "DATA")
    words += ["--data", data]
    for key, value in config.data_options.items():
        if key in DATA_OPTIONS:
            words += [f"--{key}", str(value)]
    for flag, _ in TRAIN_FLAGS:
        field = flag[2:].replace("-", "_")
        value = getattr(config, field)
        if value is None or value == getattr(default, field):
            continue
        words += [flag, *(map(_number, value) if isinstance(value, (tuple, list)) else [_number(value)])]
    if not config.restore_best:
        words.append("--no-restore-best")
    return " ".join(shlex.quote(w) if w not in ("%nbdl",) else w for w in words)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
