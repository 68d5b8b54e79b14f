"""The ``%nbdl`` command line: one argparse parser per subcommand, every option derived from the
declarations (``Config``'s settings, the data sets' options, the layer and data-set registries).

No IPython here: the magic turns ``CommandError`` into a usage error. Flags take text; values are
read and checked by the setting's own declaration, so ``--lr -1`` and ``lr=-1`` get the same
words. The magic sets the spelling to flags while it runs, so messages name ``--lr``."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import shlex
from dataclasses import dataclass
from typing import Any, Callable

from .core import datasets, layers
from .core.config import SETTINGS, Setting
from .core.errors import NbdlError, raise_all
from .core.options import BOOL, PAIR, Option


class CommandError(Exception):
    """A bad ``%nbdl`` command; the message is one line of usage."""


class HelpShown(Exception):
    """``--help`` was asked for and printed; nothing more to do."""


class _Once(argparse.Action):
    """Stores a flag's value, refusing a second one: argparse would keep the last silently."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, f"_given_{self.dest}", False):
            parser.error(f"{option_string} is given twice; give it once")
        setattr(namespace, f"_given_{self.dest}", True)
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    flag_names: list[str]

    def add_argument(self, *names: str, **options: Any) -> argparse.Action:
        if not hasattr(self, "flag_names"):  # argparse adds -h before __init__ returns
            self.flag_names = []
        flags = [n for n in names if n.startswith("-")]
        self.flag_names += flags
        if flags and options.get("action", "store") == "store":  # a flag that takes one value: once
            options["action"] = _Once
        return super().add_argument(*names, **options)

    def error(self, message: str):
        raise CommandError(f"{self.prog}: {message} (see {self.prog} --help)")

    def exit(self, status: int = 0, message: str | None = None):
        if status:
            raise CommandError(message or f"{self.prog}: error")
        raise HelpShown()


DATA_PREFIX = "data_option."  # argparse destinations of the data sets' options


def help_text(opt: Option, default: str | None = None) -> str:
    """``learning rate (default: the optimizer's own; a number > 0)``."""
    allowed = opt.describe() if opt.kind != BOOL else ""
    if default is None:
        default = opt.default_words() if isinstance(opt, Setting) else "" if opt.default is None else opt.default_text()
    parts = [p for p in (f"default: {default}" if default else "", allowed) if p]
    return f"{opt.help} ({'; '.join(parts)})" if parts else opt.help


def _metavar(opt: Option) -> Any:
    if opt.kind == PAIR:
        return tuple((opt.metavar or "A B").split())
    if opt.metavar:
        return opt.metavar
    names = opt.choice_names()
    if names and not opt.many and len(names) <= 12:
        return "{" + ",".join(names) + "}"
    return opt.metavar or opt.name.upper()


def add_settings(parser: _Parser, settings: tuple[Setting, ...] = SETTINGS) -> None:
    """One flag per setting that has one: ``--batch-size N``; on/off settings get ``--x/--no-x``."""
    for s in settings:
        if s.missing_from("flag") or s.name == "data":
            continue
        if s.kind == BOOL:
            parser.add_argument(s.flag, dest=s.name, action=argparse.BooleanOptionalAction, help=help_text(s))
            parser.flag_names.append("--no-" + s.flag[2:])
        else:
            parser.add_argument(s.flag, dest=s.name, metavar=_metavar(s), nargs=2 if s.kind == PAIR else None,
                                help=help_text(s))


def add_options(parser: _Parser, options: tuple[Option, ...], prefix: str) -> None:
    """One flag per declared option of a run kind of its own (a GAN's, an agent's, a meta-learner's):
    ``--inner-lr X``, on/off ones ``--x/--no-x``; argparse keeps each under ``prefix + name``."""
    for opt in options:
        flag = "--" + opt.name.replace("_", "-")
        if opt.kind == BOOL:
            parser.add_argument(flag, dest=prefix + opt.name, action=argparse.BooleanOptionalAction,
                                help=help_text(opt))
            parser.flag_names.append("--no-" + flag[2:])
        else:
            parser.add_argument(flag, dest=prefix + opt.name, metavar=_metavar(opt),
                                nargs=2 if opt.kind == PAIR else None, help=help_text(opt))


def option_values(args: argparse.Namespace, options: tuple[Option, ...], prefix: str) -> dict[str, Any]:
    """The options (``add_options``) the flags give, each read by its declaration; one error lists
    every bad value."""
    values, problems = {}, []
    for opt in options:
        if hasattr(args, prefix + opt.name):
            try:
                values[opt.name] = opt.parse(getattr(args, prefix + opt.name), "--" + opt.name.replace("_", "-"))
            except NbdlError as error:
                problems.append(str(error))
    raise_all(problems, "options")
    return values


def data_options() -> dict[str, list[tuple[str, Option]]]:
    """Every option name a data set takes (and the user's data's target and task), with the sets
    that take it: ``{"noise": [("moons", Option), ...]}``."""
    found: dict[str, list[tuple[str, Option]]] = {}
    for record in datasets.registry.records():
        for opt in record.options:
            found.setdefault(opt.name, []).append((record.name, opt))
    for opt in datasets.USER_OPTIONS:
        found.setdefault(opt.name, []).append(("your own data", opt))
    return found


def add_data_options(parser: _Parser) -> None:
    group = parser  # argparse's groups would bypass the flag list; the help says which sets take each
    for name, takers in data_options().items():
        helps = [opt.help for _, opt in takers]
        first = max(takers, key=lambda taker: helps.count(taker[1].help))[1]  # the most common wording
        defaults = ", ".join(f"{set_name} {opt.default_text()}" for set_name, opt in takers
                             if opt.default is not None and set_name != "your own data")
        sets = "" if defaults else "; for " + ", ".join(set_name for set_name, _ in takers)
        group.add_argument("--" + name.replace("_", "-"), dest=DATA_PREFIX + name, metavar=first.metavar or name.upper(),
                           help=help_text(first, defaults) + sets)
    group.add_argument("--y", metavar="VARIABLE", help="the variable holding the targets when DATA is an array")


def _parser(prog: str, description: str, epilog: str = "") -> _Parser:
    return _Parser(prog=prog, description=description, epilog=epilog, add_help=True,
                   argument_default=argparse.SUPPRESS, allow_abbrev=False,
                   formatter_class=argparse.RawDescriptionHelpFormatter)


def layer_help() -> str:
    """The layer vocabulary, from the layer registry: one line per layer type and its options."""
    lines = ["layers, one per line (# starts a comment):"]
    for cls in layers.registry.records():
        lines.append(f"  {cls.synopsis():52s} {cls.help}")
        for opt in cls.options():
            if opt.form != "positional" or not opt.required:
                lines.append(f"  {'':4s}{opt.name}: {help_text(opt)}")
    return "\n".join(lines)


def data_help() -> str:
    """The built-in data sets with their options and defaults, from the data-set registry."""
    lines = ["built-in data sets:"]
    for record in datasets.registry.records():
        options = ", ".join(f"{o.name}={o.default_text()}" for o in record.options) or "no options"
        lines.append(f"  {record.name:14s} {record.task}: {record.help} ({options})")
    lines.append("  or a variable: (X, y), X with --y VARIABLE, a DataFrame with --target COLUMN, a Dataset")
    return "\n".join(lines)


DATA_HELP = "a built-in data set (see the list below) or a variable: (X, y), a DataFrame, an array"


def build_parsers() -> dict[str, _Parser]:
    """The parsers, made anew so that a layer, data set or optimizer registered later is known."""
    net = _parser("%%nbdl net", "Build a network from the cell body (one layer per line) and store it as NAME.",
                  layer_help())
    net.add_argument("name", metavar="NAME", help="the variable to store the network in")

    train = _parser("%nbdl train", "Train a network (or continue a run) with live plots in the output.", data_help())
    train.add_argument("name", metavar="NAME", help="a network from %%nbdl net, any torch.nn.Module, or a run to continue")
    train.add_argument("--data", help=DATA_HELP + "; with --config, the file's unless given")
    train.add_argument("--config", metavar="FILE", help="an experiment saved with run.config.save(FILE): its settings "
                       "and data; flags given on this line override the file's")
    add_settings(train)
    add_data_options(train)
    train.add_argument("--no-plot", action="store_true", help="no live plots, only the progress line")
    train.add_argument("--checkpoint", metavar="DIR", help="save the run to DIR/checkpoint.safetensors as it trains")
    train.add_argument("--checkpoint-every", metavar="N", help="save every N epochs (default 1)")
    train.add_argument("--resume", action="store_true",
                       help="continue from the checkpoint in --checkpoint DIR (after a kernel restart)")
    train.add_argument("--as", dest="run_name", metavar="VARIABLE", help="where to store the run (default: run)")

    data = _parser("%nbdl data", "Show a data set: a picture, its shape and its class balance.", data_help())
    data.add_argument("data", metavar="DATA", help=DATA_HELP)
    data.add_argument("--seed", help=help_text(next(s for s in SETTINGS if s.name == "seed")))
    add_data_options(data)

    dashboard = _parser("%nbdl dashboard", "Open the training panel: controls, live plots, Start/Pause/Step/Stop.",
                        data_help())
    dashboard.add_argument("name", metavar="NAME", nargs="?", help="a network from %%nbdl net to start from")
    dashboard.add_argument("--data", help=DATA_HELP)
    add_settings(dashboard)
    add_data_options(dashboard)
    dashboard.add_argument("--as", dest="panel_name", metavar="VARIABLE", help="where to store the panel "
                           "(default: dashboard)")
    dashboard.add_argument("--preset", metavar="FILE", help="a teacher's scenario (JSON): its settings, the controls "
                           "it fixes and hides, a note for the students; flags on this line override its settings")
    dashboard.add_argument("--share", metavar="STRING", help="a share string from a dashboard's share field: open "
                           "with its settings")
    parsers = {"net": net, "train": train, "data": data, "dashboard": dashboard}
    for command in commands():
        parser = _parser(f"%nbdl {command.name}", command.description, command.epilog() if command.epilog else "")
        command.arguments(parser)
        parsers[command.name] = parser
    return parsers


@dataclass(frozen=True)
class Command:
    """A subcommand that plugs in: ``arguments(parser)`` declares its flags (use ``add_settings``,
    ``add_data_options``); ``run(magics, args)`` carries it out in IPython (imported there, not
    here). Its module, in ``nbdl/commands/``, calls ``add_command``; every module there is found
    and imported when the parsers are first made."""

    name: str
    description: str
    arguments: Callable[[Any], None]
    run: Callable[[Any, argparse.Namespace], Any]
    epilog: Callable[[], str] | None = None


_COMMANDS: dict[str, Command] = {}


def add_command(command: Command) -> Command:
    if command.name in BUILT_IN or command.name in _COMMANDS:
        raise NbdlError(f"the subcommand {command.name!r} is already declared")
    _COMMANDS[command.name] = command
    return command


def commands() -> list[Command]:
    """The subcommands declared in ``nbdl/commands/``, by module name."""
    from . import commands as package

    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        importlib.import_module(f"{package.__name__}.{module}")
    return list(_COMMANDS.values())


BUILT_IN = ("net", "train", "data", "dashboard")


def subcommands() -> list[str]:
    return sorted([*BUILT_IN, *(c.name for c in commands())])


def command(name: str) -> Command | None:
    """A plugged-in subcommand's record (None for the built-in ones)."""
    commands()
    return _COMMANDS.get(name)


def usage() -> str:
    parsers = build_parsers()
    lines = ["usage: %nbdl SUBCOMMAND [options]   (%nbdl SUBCOMMAND --help for its options)", ""]
    for name in [*BUILT_IN, *(c.name for c in commands())]:
        lines.append(f"  {name:11s} {parsers[name].description}")
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
    if command not in subcommands():
        raise CommandError(f"%nbdl: unknown subcommand {command!r}; choose one of: {', '.join(subcommands())}")
    return command, build_parsers()[command].parse_args(rest)


def flags(command: str) -> list[str]:
    """Every flag of a subcommand, for tab completion."""
    parser = build_parsers().get(command)
    if parser is None:
        return []
    return sorted(set(parser.flag_names))


def config_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The Config settings the flags give, read and checked by each setting's declaration; one
    error lists every bad value."""
    given, settings, problems = vars(args), {}, []
    for s in SETTINGS:
        if s.name in given and s.name != "data":
            if isinstance(given[s.name], str) and not given[s.name].strip():
                problems.append(f"{s.flag} needs a value: {s.describe()}")
                continue
            try:
                settings[s.name] = s.parse(given[s.name])
            except NbdlError as error:
                problems.append(str(error))
    raise_all(problems, "options")
    return settings


def data_flags(args: argparse.Namespace) -> list[str]:
    """The data-set option flags given on the line."""
    return ["--" + k[len(DATA_PREFIX):].replace("_", "-") for k in vars(args) if k.startswith(DATA_PREFIX)]


def given_data_options(args: argparse.Namespace, data: Any) -> dict[str, Any]:
    """The data-set options the flags give, read by the chosen data set's own declarations."""
    given = {k[len(DATA_PREFIX):]: v for k, v in vars(args).items() if k.startswith(DATA_PREFIX)}
    own: dict[str, Option] = {}
    if isinstance(data, str) and data in datasets.registry:
        own = {o.name: o for o in datasets.registry.get(data).options}
    elif not isinstance(data, str):
        own = {o.name: o for o in datasets.USER_OPTIONS}
    options, problems = {}, []
    for name, text in given.items():
        if isinstance(text, str) and not text.strip():
            problems.append(f"--{name.replace('_', '-')} needs a value")
            continue
        try:
            options[name] = own[name].parse(text, subject="--" + name.replace("_", "-")) if name in own else text
        except NbdlError as error:
            problems.append(str(error))
    raise_all(problems, "options")
    return options

