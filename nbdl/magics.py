"""``%nbdl`` and ``%%nbdl``: parse the line, call the core, show the result. ``%load_ext nbdl``.

While a magic runs, messages name flags (``--lr``), not keyword arguments (``spelled("magic")``)."""
from __future__ import annotations

import builtins
import dataclasses
import keyword
import warnings
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import HTML, Image, display

from . import cli
from .core import Config, NbdlError, Network, NetworkSpec, Run, datasets, presets
from .core.checkpoint import FILENAME as CHECKPOINT_FILE
from .core.checkpoint import Checkpoint, CheckpointWarning, run_id
from .core.config import LIVE, NAMES, flag_words, setting_named
from .core.options import INT, Option
from .core.data import Dataset
from .core.errors import spelled
from .core.resume import load as load_checkpoint
from .core.trainer import DivergenceWarning


EVERY = Option("checkpoint_every", 1, "save every N epochs", kind=INT, low=1)


@magics_class
class NbdlMagics(Magics):
    """The ``nbdl`` line and cell magic; each subcommand is a small method below."""

    @line_cell_magic
    def nbdl(self, line: str, cell: str | None = None) -> Any:
        with spelled("magic"):
            try:
                command, args = cli.parse(line)
            except cli.HelpShown as shown:
                print(shown.args[0] if shown.args else "", end="\n" if shown.args else "")
                return None
            except cli.CommandError as error:
                raise UsageError(str(error)) from None
            subcommand = {"net": self.net, "train": self.train, "data": self.data, "dashboard": self.dashboard}
            if cell is not None and command != "net":
                raise UsageError(f"%%nbdl {command} takes no cell body; write it as a line magic: %nbdl {command} ...")
            try:
                if command not in subcommand:  # one that plugs in (cli.Command)
                    return cli.command(command).run(self, args)
                return subcommand[command](args, cell)
            except NbdlError as error:
                raise UsageError(str(error)) from None

    # -- subcommands --------------------------------------------------------------------------------
    def net(self, args, cell):
        if cell is None:
            raise UsageError("%%nbdl net NAME is a cell magic: put it on the first line and the layers below, "
                             "one per line, for example 'input 2', 'dense 16 relu', 'dense 2 softmax'")
        self.check_name(args.name)
        network = NetworkSpec.parse(cell).build()
        self.shell.user_ns[args.name] = network
        show_network(args.name, network)

    def train(self, args, cell):
        target = self.variable(args.name, "a network from %%nbdl net, a torch.nn.Module or a run")
        run_name = getattr(args, "run_name", "run")
        self.check_name(run_name)
        settings = cli.config_settings(args)
        callbacks = []
        if getattr(args, "checkpoint", None) is not None:
            saver = Checkpoint(args.checkpoint, every=EVERY.parse(getattr(args, "checkpoint_every", "1"),
                                                                  "--checkpoint-every"))
            problem = saver.writable()
            if problem:
                raise UsageError(f"--checkpoint {args.checkpoint}: {problem}")
            if saver.path.exists() and not getattr(args, "resume", False):
                if not isinstance(target, Run):
                    raise UsageError(f"--checkpoint {args.checkpoint} already holds a run's checkpoint; add --resume to "
                                     "go on from it, or give another folder (a new run would overwrite it)")
                if run_id(saver.path) != target.id:
                    raise UsageError(f"--checkpoint {args.checkpoint} holds another run's checkpoint; give this run a "
                                     "folder of its own (saving here would overwrite that run)")
            callbacks.append(saver)
        elif getattr(args, "resume", False) or getattr(args, "checkpoint_every", None):
            raise UsageError("--resume and --checkpoint-every need --checkpoint DIR")
        if isinstance(target, Run):
            epochs = self.continued(target, args, settings)
            run = target
        else:
            network = target.spec if isinstance(target, Network) else self.module(target, args.name)
            saved_options = None
            if getattr(args, "config", None) is not None:
                settings, saved_options = self.config_file(args, network, settings)
            if getattr(args, "data", None) is None:
                raise UsageError(f"%nbdl train: give the data, for example --data moons ({', '.join(datasets.names())}) "
                                 "or --data VARIABLE")
            data, options = self.resolve_data(args)
            options = {**(saved_options or {}), **options}
            config = Config(network=network, data=data, data_options=options, **settings)
            run, epochs = self.resumed(args, config, network, data, settings) or (Run(config), None)
        self.shell.user_ns[run_name] = run
        fit_live(run, epochs, plot=not getattr(args, "no_plot", False), run_name=run_name, callbacks=callbacks)
        return run

    def config_file(self, args, network, settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """--config FILE: the file's settings with the line's flags over them, and the file's data
        set's options when its data is used (``args.data`` is set to it unless --data was given)."""
        given = {"network": network} if getattr(args, "data", None) is None else \
            {"network": network, "data": args.data, "data_options": {}}
        saved = Config.load(args.config, **given)
        if "data" not in given:
            args.data = saved.data
        kept = {name: getattr(saved, name) for name in NAMES if name not in ("network", "data", "data_options")}
        return {**kept, **settings}, (saved.data_options if "data" not in given else None)

    def continued(self, run: Run, args, settings: dict[str, Any]) -> int | None:
        """Check a continued run's new settings before changing anything; the epochs to go."""
        if getattr(args, "config", None) is not None:
            raise UsageError("--config starts a new run from a file; a run goes on with its own settings: "
                             "%nbdl train RUN --epochs N (or change one with its flag)")
        if run.training:
            raise UsageError("this run is already training (in the dashboard or another thread); stop it first")
        if getattr(args, "data", None) is not None or getattr(args, "y", None) is not None or cli.data_flags(args):
            raise UsageError("the data of a run cannot change; make a new run: %nbdl train NETWORK --data ...")
        epochs = settings.pop("epochs", None)
        if settings:
            run.update(**settings)
        return epochs

    def resumed(self, args, config: Config, network, data, settings) -> tuple[Run, int] | None:
        """With --resume and a checkpoint in --checkpoint DIR: that run, and the epochs it still has
        to go. Flags that differ from the checkpoint's run are applied when they may change during
        a run, and refused otherwise (a different --data, --seed or network)."""
        if not getattr(args, "resume", False) or not getattr(args, "checkpoint", None):
            return None
        path = Path(args.checkpoint) / CHECKPOINT_FILE
        if not path.exists():
            print(f"no checkpoint in {args.checkpoint} yet: starting a new run")
            return None
        run = load_checkpoint(path, data=None if isinstance(data, str) else data,
                              network=network if not isinstance(network, NetworkSpec) else None,
                              device=settings.get("device"))
        if isinstance(network, NetworkSpec) and run.config.network != network:
            raise UsageError(f"the checkpoint in {args.checkpoint} is of another network; "
                             "use another --checkpoint folder or drop --resume")
        saved, given = run.config.to_dict(), config.to_dict()
        differ = [k for k in given if k != "network" and given[k] != saved[k] and
                  (k in settings or k in ("data", "data_options"))]
        fixed = [k for k in differ if k not in LIVE]
        if fixed:
            shown = run.config
            options = []
            if "data_options" in fixed:  # name only the options that differ, as the checkpoint has them
                theirs, ours = saved["data_options"], given["data_options"]
                options = [f"--{k.replace('_', '-')} {theirs[k] if k in theirs else '(the data set default)'}"
                           for k in sorted({*theirs, *ours}) if theirs.get(k) != ours.get(k)]
                shown = dataclasses.replace(shown, data_options={})
            said = " ".join([*flag_words(shown, only=fixed), *options]) or "the data set's own options"
            if "data_options" in fixed and not run.config.data_options:
                said = f"{said} (the data set's own options)".strip()
            raise UsageError(f"the checkpoint in {args.checkpoint} was trained with {said}, which a run cannot change; "
                             "give the same flags, or another --checkpoint folder for a new run")
        live = {k: getattr(config, k) for k in differ if k in LIVE and k != "epochs"}
        if live:
            run.update(**live)
        remaining = max(config.epochs - run.epoch, 0)
        changed = f"; now with {', '.join(f'{setting_named(k).flag} {v}' for k, v in live.items())}" if live else ""
        print(f"resuming from {path}: epoch {run.epoch}, {remaining} to go{changed}")
        return run, remaining

    def data(self, args, cell):
        seed = setting_named("seed").parse(getattr(args, "seed", "0"))
        data, options = self.resolve_data(args)
        if isinstance(data, Dataset) and hasattr(args, "seed"):
            raise UsageError("--seed draws a built-in data set; your own data needs none")
        if not isinstance(data, Dataset):
            data = datasets.as_dataset(data, seed=seed, **options)
        show_data(data)

    def resolve_data(self, args) -> tuple[Any, dict[str, Any]]:
        """The data argument as the core takes it: a built-in name and its options, or the user's data."""
        name = args.data
        if name in self.shell.user_ns:
            value = self.shell.user_ns[name]
            y_name = getattr(args, "y", None)
            if y_name is not None:
                value = (value, self.variable(y_name, "the targets"))
            options = cli.given_data_options(args, value)
            return datasets.as_dataset(value, target=options.pop("target", None), task=options.pop("task", None),
                                       **options), {}
        if name in datasets.registry:
            if getattr(args, "y", None) is not None:
                raise UsageError(f"--y names the targets of your own array; the data set {name!r} has its own")
            return datasets.registry.canonical(name), cli.given_data_options(args, datasets.registry.canonical(name))
        raise UsageError(f"unknown data set or variable {name!r}; built-in sets: {', '.join(datasets.names())}")

    def dashboard(self, args, cell):
        from .widgets import Dashboard

        network, network_name = None, None
        if getattr(args, "name", None):
            value = self.variable(args.name, "a network from %%nbdl net")
            if not isinstance(value, Network):
                raise UsageError(f"{args.name!r} is a {type(value).__name__}; the dashboard starts from a network "
                                 "made with %%nbdl net")
            network, network_name = value.spec, args.name
        panel_name = getattr(args, "panel_name", "dashboard")
        self.check_name(panel_name)
        preset = presets.load_preset(args.preset) if getattr(args, "preset", None) is not None else None
        # The opening settings: the preset's, a share string's over them, then this line's flags.
        base = {**(preset.settings if preset else {}),
                **(presets.unshare(args.share) if getattr(args, "share", None) is not None else {})}
        if getattr(args, "data", None) is None:
            args.data = base.get("data", "moons")  # the panel's default; its option flags apply to it
        data, options = self.resolve_data(args)
        if isinstance(data, str) and data == base.get("data", "moons"):
            options = {**base.get("data_options", {}), **options}
        data_name = args.data if not isinstance(data, str) else None
        settings = {**{k: v for k, v in base.items() if k not in ("network", "data", "data_options")},
                    **cli.config_settings(args)}
        panel = Dashboard(network=network if network is not None else base.get("network"), data=data, data_options=options,
                          network_name=network_name or "net", data_name=data_name, preset=preset, **settings)
        self.shell.user_ns[panel_name] = panel
        # The live widget, with its settings and last picture where widgets cannot run; kept, so a fit
        # ended later sends the picture again (the saved notebook holds it).
        panel.keep(display(panel, display_id=True))

    # -- the namespace ------------------------------------------------------------------------------
    def variable(self, name: str, what: str) -> Any:
        if name not in self.shell.user_ns:
            raise UsageError(f"no variable {name!r} in the notebook; expected {what}")
        return self.shell.user_ns[name]

    def check_name(self, name: str) -> None:
        """A name the magic may store into: an identifier that is no keyword and hides nothing of
        Python's or IPython's own (``--as __builtins__`` would break every later cell)."""
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"{name!r} is not a valid Python variable name")
        if (name.startswith("__") and name.endswith("__")) or hasattr(builtins, name) \
                or name in getattr(self.shell, "user_ns_hidden", {}):
            raise UsageError(f"{name!r} would hide Python's or IPython's own {name}; choose another name")

    @staticmethod
    def module(value: Any, name: str):
        import torch

        if not isinstance(value, torch.nn.Module):
            raise UsageError(f"{name!r} is a {type(value).__name__}, not a network; build one with %%nbdl net {name}")
        return value  # the run copies it: the variable keeps its weights


# -- showing things ---------------------------------------------------------------------------------
def show_network(name: str, network: Network) -> None:
    from .core.diagnostics import summary
    from .html import summary_table
    from .plots.pictures import network_figure
    from .plots.render import figure_png, shown_width

    rows = summary(network)
    display(HTML(summary_table(name, rows)))
    png = figure_png(network_figure(rows))
    display(Image(png, width=shown_width(png)))  # drawn at 2x: shown at its size, sharp


def show_data(data: Dataset) -> None:
    from .html import data_line
    from .plots.pictures import data_figure
    from .plots.render import figure_png, shown_width

    display(HTML(data_line(data)))
    png = figure_png(data_figure(data))
    display(Image(png, width=shown_width(png)))


def fit_live(run: Run, epochs: int | None = None, plot: bool = True, run_name: str = "run",
             callbacks: list | None = None) -> Run:
    """Fit in the foreground with a progress line and every live view that applies to the run (the
    training curves, and more as the run asks for them); Ctrl-C stops between batches. How the fit
    ended is read from the run's status and printed once."""
    from .html import CoachNotes, Progress

    progress_handle = display(HTML(""), display_id=True)
    callbacks = [Progress(lambda html: progress_handle.update(HTML(html))), *(callbacks or [])]
    if run.config.diagnostics or run.notes:
        notes_handle = display(HTML(""), display_id=True)
        callbacks.append(CoachNotes(lambda html: notes_handle.update(HTML(html))))
    shown = []
    if plot:
        from .plots import views
        from .plots.render import shown_width

        for view in views.for_run(run):
            handle = display(HTML(""), display_id=True)

            def show(png: bytes, handle=handle) -> None:  # at its intended size: a 2x PNG stays sharp
                handle.update(Image(png, width=shown_width(png)))

            shown.append((view, view.make(show)))
        views.shown_together(shown)
        callbacks += [live for _, live in shown]
    with warnings.catch_warnings(record=True) as caught:  # said below, each once, in words
        warnings.simplefilter("always", CheckpointWarning)
        warnings.simplefilter("ignore", DivergenceWarning)
        try:
            run.fit(epochs, callbacks=callbacks)  # a kernel interrupt stops it between two steps
        finally:
            for said in dict.fromkeys(str(w.message) for w in caught if w.category is CheckpointWarning):
                print(f"warning: {said}")
    for view, live in shown:
        if live.error is not None:
            print(f"the {view.title} stopped ({type(live.error).__name__}: {live.error}); training went on")
    if run.status == "stopped" and run.control.stop_requested:
        print(f"{run.stop_reason} after step {run.global_step} (epoch {run.epoch}); the weights are those of the "
              f"last step. Continue with: %nbdl train {run_name}")
    elif run.status in ("stopped", "diverged"):
        print(run.stop_reason)
    if run.dataset.tokens and run.dataset.class_names and run.epoch:
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
        return cli.subcommands()
    previous = words[-2]
    if previous == "--data" or (words[1] == "data" and len(words) == 3):
        variables = [k for k in shell.user_ns if not k.startswith("_")]
        return datasets.names() + sorted(variables)
    for s in cli.SETTINGS:
        if previous == s.flag and s.choice_names():
            return s.choice_names()
    return cli.flags(words[1])


def load(shell) -> None:
    shell.register_magics(NbdlMagics)
    shell.set_hook("complete_command", lambda _, event: complete(shell, event), str_key="%nbdl")
    shell.set_hook("complete_command", lambda _, event: complete(shell, event), str_key="%%nbdl")
