"""``%nbdl landscape RUN``: the loss over a plane around a trained run's weights (its trajectory's
PCA plane when one was recorded), or along the line to another run's weights with ``--other``."""
from __future__ import annotations

from .. import cli
from ..core.landscape import RESOLUTION, SPAN

DEFAULT_NAME = "landscape"


def arguments(parser) -> None:
    parser.add_argument("name", metavar="RUN", help="a run from %nbdl train or nbdl.train")
    parser.add_argument("--other", metavar="RUN2", help="draw the loss along the line from RUN's weights to RUN2's "
                        "(same network, same data split) instead of the plane")
    parser.add_argument("--resolution", metavar="N", help=cli.help_text(RESOLUTION))
    parser.add_argument("--span", metavar="S", help=cli.help_text(SPAN))
    parser.add_argument("--split", choices=("train", "val"), default="train", help="the data the plane's loss is "
                        "measured on (default: train; the line shows both)")
    parser.add_argument("--as", dest="result_name", metavar="VARIABLE",
                        help=f"where to store the result, a Plane or a Line (default: {DEFAULT_NAME})")


def run(magics, args):
    from IPython.display import Image, display

    from ..core.errors import NbdlError
    from ..plots.landscape import line_figure, plane_figure
    from ..plots.render import figure_png, shown_width

    first = magics.variable(args.name, "a run from %nbdl train")
    if not hasattr(first, "landscape"):
        raise NbdlError(f"{args.name!r} is a {type(first).__name__}, not a run; train one with %nbdl train")
    name = getattr(args, "result_name", None) or DEFAULT_NAME
    magics.check_name(name)
    if getattr(args, "other", None):
        if getattr(args, "resolution", None) is not None or getattr(args, "span", None) is not None:
            raise NbdlError("--resolution and --span shape the plane; the line to --other takes neither")
        result = first.landscape(magics.variable(args.other, "a second run"))
        figure = line_figure(result, names=(args.name, args.other))
    else:
        options = {opt.name: opt.parse(getattr(args, opt.name), f"--{opt.name}")
                   for opt in (RESOLUTION, SPAN) if getattr(args, opt.name, None) is not None}
        result = first.landscape(split=args.split, **options)
        figure = plane_figure(result, title=f"{args.name}'s loss landscape")
    magics.shell.user_ns[name] = result
    png = figure_png(figure)
    display(Image(png, width=shown_width(png)))


cli.add_command(cli.Command("landscape", "The loss around a trained run's weights: over a plane (filter-normalised "
                            "random directions, or its recorded trajectory's PCA) or along the line to another run.",
                            arguments, run))
