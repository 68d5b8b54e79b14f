"""``%nbdl tune NET --data DATA --trials N --search random --lr 1e-3:1e-1:log --batch-size 16,32``: a
hyperparameter search (Optuna) with a live table of trials and a picture of the scores.

Any setting's flag takes a range ``LOW:HIGH[:log][:POINTS]`` or choices ``a,b,c`` to search over it;
a single plain value sets it for every trial, as in ``%nbdl train``."""
from __future__ import annotations

import argparse
import time

from .. import cli
from ..core.config import SETTINGS
from ..core.errors import NbdlError
from ..core.options import BOOL, PAIR
from ..core.search import DEFAULT_TRIALS, METHOD, TRIALS, WORKERS
from ..core.search_study import METRIC
TABLE_EVERY = 0.3  # seconds between two updates of the live table


def arguments(parser) -> None:
    parser.add_argument("name", metavar="NET", help="a network from %%nbdl net (the base of every trial)")
    parser.add_argument("--data", help=cli.DATA_HELP)
    parser.add_argument("--trials", metavar="N", help=cli.help_text(TRIALS, f"the whole grid, or {DEFAULT_TRIALS}"))
    parser.add_argument("--search", dest="method", metavar="{" + ",".join(METHOD.choice_names()) + "}", help=cli.help_text(METHOD))
    parser.add_argument("--metric", help=cli.help_text(METRIC))
    parser.add_argument("--storage", metavar="FILE_OR_URL", help="keep the study in a journal file (resumable after "
                        "a kernel restart) or a database, postgresql://... (default: in memory)")
    parser.add_argument("--name", dest="study_name", metavar="STUDY", help="the study's name in --storage; the same "
                        "name continues it")
    parser.add_argument("--workers", metavar="N", help=cli.help_text(WORKERS) + "; more than 1 starts worker "
                        "processes, one torch thread each")
    parser.add_argument("--no-pruning", action="store_true", help="train every trial to the end (by default a trial "
                        "whose score trails the median of finished ones at the same epoch is stopped)")
    parser.add_argument("--no-plot", action="store_true", help="only the table, no picture")
    parser.add_argument("--result", dest="result_name", metavar="VARIABLE", help="where to store the result "
                        "(default: search)")
    cli.add_settings(parser)
    cli.add_data_options(parser)


def epilog() -> str:
    return ("Searching a setting: give its flag a range or choices instead of one value:\n"
            "  --lr 1e-3:1e-1:log      a range on a log scale      --l2 0:1e-2:5   a range, 5 points for a grid\n"
            "  --batch-size 16,32      choices                     --epochs 30     one value: every trial\n"
            "  (settings whose value is a list, such as --augment, separate choices with ;)\n"
            "--search grid tries every combination (ranges need :POINTS); random draws; tpe learns from the\n"
            "trials so far. The result (default: search) has best_config, best_value, trials (a DataFrame) and\n"
            "study. In Python: nbdl.search(config, {'lr': (1e-3, 1e-1, 'log'), 'batch_size': [16, 32]}).\n\n"
            + cli.data_help())


def split_flags(args: argparse.Namespace) -> tuple[dict, argparse.Namespace]:
    """The settings given a range or choices (the space) and the namespace of the other flags."""
    from ..core import search_space

    space, problems, rest = {}, [], argparse.Namespace(**vars(args))
    for s in SETTINGS:
        text = getattr(args, s.name, None)
        if s.name == "data" or not isinstance(text, str) or s.kind in (BOOL, PAIR):
            continue
        try:
            found = search_space.read_text(s.name, text)
        except NbdlError as error:
            problems.append(str(error))
            continue
        if found is not None:
            space[s.name] = found
            delattr(rest, s.name)
    if problems:
        from ..core.errors import raise_all

        raise_all(problems, "search space")
    return space, rest


def run(magics, args) -> None:
    from IPython.display import HTML, Image, display

    from ..core import Config, Network
    from ..core.search import search
    from ..plots.render import shown_width

    network = magics.variable(args.name, "a network from %%nbdl net")
    network = network.spec if isinstance(network, Network) else magics.module(network, args.name)
    result_name = getattr(args, "result_name", "search")
    magics.check_name(result_name)
    if getattr(args, "data", None) is None:
        raise NbdlError("%nbdl tune: give the data, for example --data moons")
    space, fixed = split_flags(args)
    if not space:
        raise NbdlError("%nbdl tune: nothing to search; give at least one setting a range or choices, for example "
                        "--lr 1e-3:1e-1:log or --batch-size 16,32")
    data, options = magics.resolve_data(args)
    config = Config(network=network, data=data, data_options=options, **cli.config_settings(fixed))
    trials = TRIALS.parse(args.trials, "--trials") if hasattr(args, "trials") else None
    method = METHOD.parse(getattr(args, "method", METHOD.default), "--search")
    workers = WORKERS.parse(getattr(args, "workers", "1"), "--workers")
    metric = METRIC.parse(getattr(args, "metric", METRIC.default), "--metric")

    table = display(HTML("<p style='font-size:13px'>starting the search...</p>"), display_id=True)
    picture = None
    if not getattr(args, "no_plot", False):
        from ..plots.search import LiveSearch

        handle = display(HTML(""), display_id=True)
        picture = LiveSearch(lambda png: handle.update(Image(png, width=shown_width(png))))
    shown = [0.0]

    def on_trial(result, final: bool = False) -> None:
        if final or time.monotonic() - shown[0] >= TABLE_EVERY:
            table.update(HTML(result.html()))
            shown[0] = time.monotonic()
        if picture is not None:
            picture.update(result, final)

    result = search(config, space, trials=trials, method=method, metric=metric, storage=getattr(args, "storage", None),
                    name=getattr(args, "study_name", None), workers=workers, seed=config.seed,
                    pruning=not getattr(args, "no_pruning", False), on_trial=on_trial)
    on_trial(result, final=True)
    magics.shell.user_ns[result_name] = result
    if picture is not None and picture.error is not None:
        print(f"the picture stopped ({type(picture.error).__name__}: {picture.error}); the search went on")
    if result.best is not None:
        print(f"best: {result.best_command(args.name, data_name=args.data)}  (in {result_name}.best_config)")


cli.add_command(cli.Command(
    "tune", "Search hyperparameters (Optuna: grid, random or TPE, with pruning): a live table of trials and a "
    "picture of the scores.", arguments, run, epilog))
