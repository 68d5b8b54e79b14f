"""``%nbdl compare NET --data DATA --vary "optimizer=gd,sgd,adam" [--vary "lr=0.01,0.1"]``: one run
per value (several ``--vary`` give every combination), the other flags the shared base; one live
picture while they train, then the results table and an x-axis switch under the picture."""
from __future__ import annotations

import time
import warnings
from typing import Any

from .. import cli
from ..core.config import NAMES, SETTINGS, setting_named
from ..core.errors import NbdlError
from ..core.options import OBJECT, PAIR, split_values
from ..plots.compare import AXES

VARIED = tuple(s.name for s in SETTINGS if s.kind != OBJECT and not s.missing_from("flag"))


def arguments(parser) -> None:
    parser.add_argument("name", metavar="NET", help="a network from %%nbdl net, or any torch.nn.Module")
    parser.add_argument("--data", help=cli.DATA_HELP)
    parser.add_argument("--vary", action="append", metavar="SETTING=VALUES",
                        help="a setting and the values to try, separated by commas (by semicolons when a value has "
                        "commas of its own: 'augment=flip;flip,noise(0.1)'); give --vary again for every "
                        "combination, for example --vary optimizer=sgd,adam --vary lr=0.01,0.1")
    parser.add_argument("--x", choices=list(AXES), help="the picture's x-axis: epoch, optimizer step, samples seen "
                        "or seconds (default: epoch; a switch under the picture changes it)")
    parser.add_argument("--name", "--as", dest="comparison_name", metavar="VARIABLE",
                        help="where to store the comparison, a dict of runs by name (default: comparison)")
    cli.add_settings(parser)
    cli.add_data_options(parser)


def varied(texts: list[str] | None) -> dict[str, list[Any]]:
    """``["optimizer=sgd,adam", "lr=0.01,0.1"]`` -> ``{"optimizer": ["sgd", "adam"], "lr": [0.01, 0.1]}``,
    each value read and checked by its setting's declaration; every problem in one error."""
    if not texts:
        raise NbdlError("give at least one --vary SETTING=VALUES, for example --vary optimizer=sgd,momentum,adam")
    found, problems = {}, []
    for text in texts:
        name, equals, values = text.partition("=")
        name = name.strip().lstrip("-").replace("-", "_")
        if not equals or not name or not values.strip():
            problems.append(f"--vary {text!r}: write SETTING=VALUES, for example --vary lr=0.01,0.1")
            continue
        if name not in NAMES or name not in VARIED:
            problems.append(f"--vary {text!r}: unknown setting {name!r}; choose from: {', '.join(VARIED)}")
            continue
        if name in found:
            problems.append(f"--vary {name} is given twice; put all its values in one --vary")
            continue
        setting = setting_named(name)
        parsed = []
        # A pair's values: "0.9,0.999" is one, several are "0.9,0.999;0.8,0.99" or "(0.9,0.999),(0.8,0.99)".
        pair = setting.kind == PAIR
        words = [values] if pair and ";" not in values and "(" not in values else split_values(values)
        for word in words:
            subject = f"{setting.flag} in --vary"
            try:
                value = setting.parse(word.strip("() ") if pair else word, subject)
            except NbdlError as error:  # a registry's own words do not name the flag: say where it was
                problems.append(str(error) if subject in str(error) else f"{subject}: {error}")
                hint = (f"each {setting.flag} value is two numbers: separate several with semicolons, for example "
                        f"--vary '{name}=0.9,0.999;0.8,0.99'")
                if pair and hint not in problems:
                    problems.append(hint)
                continue
            if value in parsed:
                problems.append(f"--vary {name}: {word} is given twice")
            parsed.append(value)
        found[name] = parsed
    if problems:
        raise NbdlError("; ".join(problems))
    return found


def run(magics, args) -> None:
    from IPython.display import HTML, Image, display

    from ..core import Config, Network, Run
    from ..core.compare import Comparison, compare, how_many
    from ..core.trainer import DivergenceWarning
    from ..core.many import grid
    from ..plots.compare import LiveComparison
    from ..plots.render import shown_width
    from ..widgets.compare import ComparisonPanel

    target = magics.variable(args.name, "a network from %%nbdl net or a torch.nn.Module")
    if isinstance(target, Run):
        raise NbdlError(f"{args.name!r} is a run; %nbdl compare starts new runs from a network: give the network "
                        "made with %%nbdl net")
    network = target.spec if isinstance(target, Network) else magics.module(target, args.name)
    if getattr(args, "data", None) is None:
        raise NbdlError("%nbdl compare: give the data, for example --data moons")
    choices = varied(getattr(args, "vary", None))
    settings = cli.config_settings(args)
    twice = [setting_named(n).flag for n in choices if n in settings]
    if twice:
        raise NbdlError(f"{', '.join(twice)} is given both as a flag and in --vary; give it once")
    name = getattr(args, "comparison_name", "comparison")
    magics.check_name(name)
    if name == args.name:
        raise NbdlError(f"--name {name} would replace the network {args.name} with the comparison; choose another name")
    x = getattr(args, "x", "epoch")
    data, options = magics.resolve_data(args)
    base = Config(network=network, data=data, data_options=options, **settings)
    runs = grid(**choices)

    progress = display(HTML(""), display_id=True)
    picture = display(HTML(""), display_id=True)
    live = LiveComparison(list(runs), lambda png: picture.update(Image(png, width=shown_width(png))), x=x)
    started, said = time.monotonic(), [0.0]

    def on_epoch(run_name: str, run: Any) -> None:
        live.on_epoch(run_name, run)
        if time.monotonic() - said[0] >= 0.25:
            said[0] = time.monotonic()
            progress.update(HTML(_progress(list(runs).index(run_name) + 1, len(runs), run_name, run)))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)  # said below, once per run, in words
            comparison = compare(base, runs, on_epoch=on_epoch)
        interrupted = [r for r in comparison.values() if r.stop_reason == "interrupted"]
        note = f"{how_many(len(runs))} trained in {time.monotonic() - started:.1f} s"
        if interrupted:  # the first Ctrl-C stops every run between two steps; compare returns them
            trained = sum(r.epoch > 0 for r in comparison.values())
            note = (f"stopped (Ctrl-C) after {time.monotonic() - started:.1f} s: {trained} of {how_many(len(runs))} "
                    "trained, each as far as the table says")
    except KeyboardInterrupt:  # a second Ctrl-C, within a step: the runs heard so far
        comparison = Comparison(live.runs, runs, base)
        note = f"stopped (Ctrl-C): {len(comparison)} of {how_many(len(runs))} trained"
    except Exception:
        if live.runs:  # a run failed mid-way: keep what trained before it
            magics.shell.user_ns[name] = Comparison(live.runs, runs, base)
        raise
    magics.shell.user_ns[name] = comparison
    progress.update(HTML(f"<div style='font-family:monospace;font-size:12px'>{note}; stored as "
                         f"<code>{name}</code></div>"))
    if not comparison:
        picture.update(HTML(""))
        return
    panel = ComparisonPanel(comparison, x)
    # The live panel, and its picture and runs where widgets cannot run (GitHub, nbviewer).
    picture.update(panel.bundle(), metadata={"image/png": {"width": shown_width(panel.png)}}, raw=True)
    display(comparison)
    for run_name, run in comparison.items():
        if run.status == "diverged":
            print(f"{run_name}: {run.stop_reason}")
    if live.error is not None:
        print(f"the live picture stopped ({type(live.error).__name__}: {live.error}); training went on")


def _progress(index: int, count: int, name: str, run: Any) -> str:
    from html import escape

    return (f"<div style='font-family:monospace;font-size:12px'>run {index} of {count}: <b>{escape(name)}</b> · "
            f"epoch {run.epoch}/{run.target_epoch}</div>")


cli.add_command(cli.Command("compare", "Train one run per value of --vary (every combination of several), the other "
                            "flags shared, on one live picture, then a table of final and best figures.",
                            arguments, run, epilog=cli.data_help))
