"""``%nbdl`` and ``%%nbdl``: parse the line, call the core, show the result. ``%load_ext nbdl``."""
from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import HTML, Image, display

from . import cli
from .core import Config, NbdlError, Network, NetworkSpec, Run
from .core.checkpoint import FILENAME as CHECKPOINT_FILE
from .core.checkpoint import Checkpoint
from .core.checkpoint import load as load_checkpoint
from .core.data import Dataset, as_dataset
from .core.datasets import NAMES as DATA_NAMES


@magics_class
class NbdlMagics(Magics):
    """The ``nbdl`` line and cell magic; each subcommand is a small method below."""

    @line_cell_magic
    def nbdl(self, line: str, cell: str | None = None) -> Any:
        try:
            command, args = cli.parse(line)
        except cli.HelpShown as shown:
            if shown.args:
                print(shown.args[0])
            return None
        except cli.CommandError as error:
            raise UsageError(str(error)) from None
        try:
            return getattr(self, f"_{command}")(args, cell)
        except NbdlError as error:
            raise UsageError(str(error)) from None

    # -- subcommands --------------------------------------------------------------------------------
    def _net(self, args, cell):
        if cell is None:
            raise UsageError("%%nbdl net NAME is a cell magic: put it on the first line and the layers below, "
                             "one per line, for example 'input 2', 'dense 16 relu', 'dense 2 softmax'")
        _check_identifier(args.name)
        network = NetworkSpec.parse(cell).build()
        self.shell.user_ns[args.name] = network
        show_network(args.name, network)

    def _train(self, args, cell):
        target = self._variable(args.name, "a network from %%nbdl net, a torch.nn.Module or a run")
        run_name = getattr(args, "run_name", "run")
        _check_identifier(run_name)
        settings = cli.config_settings(args)
        if isinstance(target, Run):  # continue it, with the settings that can change during a run
            epochs = settings.pop("epochs", None)
            if settings:
                target.update(**settings)
            run = target
        else:
            if getattr(args, "data", None) is None:
                raise UsageError(f"%nbdl train: give the data, for example --data moons ({', '.join(DATA_NAMES)}) "
                                 "or --data VARIABLE")
            network = target.spec if isinstance(target, Network) else copy.deepcopy(_as_module(target, args.name))
            data, options = self._resolve_data(args)
            config = Config(network=network, data=data, data_options=options, **settings)
            run, epochs = self._resumed(args, config, network, data) or (Run(config), None)
        self.shell.user_ns[run_name] = run
        callbacks = []
        if getattr(args, "checkpoint", None):
            callbacks.append(Checkpoint(args.checkpoint, every=getattr(args, "checkpoint_every", 1)))
        elif getattr(args, "resume", False) or getattr(args, "checkpoint_every", None):
            raise UsageError("--resume and --checkpoint-every need --checkpoint DIR")
        fit_live(run, epochs, plot=not getattr(args, "no_plot", False), run_name=run_name, callbacks=callbacks)
        return run

    def _resumed(self, args, config: Config, network, data) -> tuple[Run, int] | None:
        """With --resume and a checkpoint in --checkpoint DIR: that run, and the epochs it still has to go."""
        if not getattr(args, "resume", False) or not getattr(args, "checkpoint", None):
            return None
        path = Path(args.checkpoint) / CHECKPOINT_FILE
        if not path.exists():
            print(f"no checkpoint in {args.checkpoint} yet: starting a new run")
            return None
        run = load_checkpoint(path, data=None if isinstance(data, str) else data,
                              network=network if not isinstance(network, NetworkSpec) else None)
        if isinstance(network, NetworkSpec) and run.config.network != network:
            raise UsageError(f"the checkpoint in {args.checkpoint} is of another network; "
                             "use another --checkpoint folder or drop --resume")
        remaining = max(config.epochs - run.epoch, 0)
        print(f"resuming from {path}: epoch {run.epoch}, {remaining} to go")
        return run, remaining

    def _data(self, args, cell):
        data, options = self._resolve_data(args)
        if not isinstance(data, Dataset):
            data = as_dataset(data, seed=getattr(args, "seed", 0), **options)
        show_data(data)

    def _resolve_data(self, args) -> tuple[Any, dict[str, Any]]:
        """The data argument as the core takes it: a built-in name, or the user's object."""
        options = cli.data_options(args)
        name = args.data
        if name in self.shell.user_ns:
            value = self.shell.user_ns[name]
            y_name = getattr(args, "y", None)
            if y_name is not None:
                value = (value, self._variable(y_name, "the targets"))
            task = options.pop("task", None)
            return as_dataset(value, target=options.pop("target", None), task=task), {}
        if name.lower().replace("-", "_") in DATA_NAMES:
            return name, options
        raise UsageError(f"unknown data set or variable {name!r}; built-in sets: {', '.join(DATA_NAMES)}")

    def _dashboard(self, args, cell):
        from .widgets import Dashboard

        network = None
        if getattr(args, "name", None):
            value = self._variable(args.name, "a network from %%nbdl net")
            if not isinstance(value, Network):
                raise UsageError(f"{args.name!r} is a {type(value).__name__}; the dashboard starts from a network "
                                 "made with %%nbdl net")
            network = value.spec
        data = getattr(args, "data", None)
        if data is not None and data not in self.shell.user_ns and data.lower() not in DATA_NAMES:
            raise UsageError(f"unknown data set {data!r}; choose one of: {', '.join(DATA_NAMES)}")
        dashboard = Dashboard(network=network, data=data or "moons")
        self.shell.user_ns["dashboard"] = dashboard
        display(dashboard.widget)

    def _variable(self, name: str, what: str) -> Any:
        if name not in self.shell.user_ns:
            raise UsageError(f"no variable {name!r} in the notebook; expected {what}")
        return self.shell.user_ns[name]


def _check_identifier(name: str) -> None:
    if not name.isidentifier():
        raise UsageError(f"{name!r} is not a valid Python variable name")


def _as_module(value: Any, name: str):
    import torch

    if not isinstance(value, torch.nn.Module):
        raise UsageError(f"{name!r} is a {type(value).__name__}, not a network; build one with %%nbdl net {name}")
    return value


# -- showing things ---------------------------------------------------------------------------------
def show_network(name: str, network: Network) -> None:
    from .core.diagnostics import summary
    from .html import summary_table
    from .plots.pictures import network_figure
    from .plots.render import figure_png

    rows = summary(network)
    display(HTML(summary_table(name, rows)))
    display(Image(figure_png(network_figure(rows))))


def show_data(data: Dataset) -> None:
    from html import escape

    from .plots.pictures import data_figure
    from .plots.render import figure_png

    kind = (f"{data.n_classes} classes: " + ", ".join(f"{escape(k)} {v}" for k, v in data.class_counts().items())
            if data.task == "classification" else f"regression, {data.target_width} target(s)")
    display(HTML(f"<b>{escape(data.name)}</b>: {len(data)} samples of shape "
                 f"{' x '.join(map(str, data.sample_shape))}; {kind}"))
    display(Image(figure_png(data_figure(data))))


def fit_live(run: Run, epochs: int | None = None, plot: bool = True, run_name: str = "run",
             callbacks: list | None = None) -> Run:
    """Fit in the foreground with a progress line and live plots; Ctrl-C stops between batches."""
    from .html import Progress

    progress_handle = display(HTML(""), display_id=True)
    callbacks = [Progress(lambda html: progress_handle.update(HTML(html))), *(callbacks or [])]
    if plot:
        from .plots.live import LivePlot

        image_handle = display(HTML(""), display_id=True)
        callbacks.append(LivePlot(lambda png: image_handle.update(Image(png))))
    with warnings.catch_warnings():  # a divergence is printed below, in words, once
        warnings.filterwarnings("ignore", message="the loss became", category=RuntimeWarning)
        run.fit(epochs, callbacks=callbacks)  # a kernel interrupt stops it between two steps
    if run.status == "stopped" and run.control.stop_requested:
        print(f"{run.stop_reason} after step {run.global_step} (epoch {run.epoch}); the weights are those of the "
              f"last step. Continue with: %nbdl train {run_name}")
    elif run.status == "diverged":
        print(run.stop_reason)
    if run.dataset.options.get("tokens") and run.dataset.class_names and run.epoch:
        from .core.diagnostics import sample_text

        print("written by the model:\n" + sample_text(run, start="The ", length=200))
    return run


# -- tab completion ---------------------------------------------------------------------------------
def complete(shell, event) -> list[str]:
    """Subcommands after ``%nbdl``, data set names after ``--data``, choices after their flags."""
    words = event.line.split()
    if event.line.endswith(" "):
        words.append("")
    if len(words) <= 2:
        return cli.SUBCOMMANDS
    previous = words[-2]
    if previous == "--data" or (words[1] == "data" and len(words) == 3):
        variables = [k for k in shell.user_ns if not k.startswith("_")]
        return DATA_NAMES + sorted(variables)
    if previous == "--optimizer":
        from .core import optimizers

        return optimizers.names()
    parser = cli.PARSERS.get(words[1])
    return [flag for action in parser._actions for flag in action.option_strings] if parser else []


def load(shell) -> None:
    shell.register_magics(NbdlMagics)
    shell.set_hook("complete_command", lambda _, event: complete(shell, event), str_key="%nbdl")
    shell.set_hook("complete_command", lambda _, event: complete(shell, event), str_key="%%nbdl")
