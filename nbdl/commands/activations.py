"""``%nbdl activations``: every activation and its derivative, with sliders for the leaky slope and
ELU's alpha (the activation explorer)."""
from __future__ import annotations

import dataclasses

from .. import cli
from ..core.curves import ALPHA, INIT, SLOPE


def arguments(parser) -> None:
    for opt, words in ((SLOPE, "leaky ReLU's slope for x < 0"), (ALPHA, "ELU's alpha: it tends to -alpha as x -> -inf"),
                       (INIT, "PReLU's starting slope for x < 0")):
        worded = dataclasses.replace(opt, help=f"{words}; the slider starts here")
        parser.add_argument(f"--{opt.name}", metavar=opt.name[0].upper(), help=cli.help_text(worded))
    parser.add_argument("--only", metavar="NAMES", help="draw only these activations, comma-separated, for example "
                        "relu,tanh (default: all of them)")
    parser.add_argument("--as", dest="explorer_name", metavar="VARIABLE",
                        help="where to store the explorer (default: explorer)")


def run(magics, args) -> None:
    from IPython.display import display

    from ..widgets.activations import ActivationExplorer

    numbers = {opt.name: opt.parse(getattr(args, opt.name), f"--{opt.name}")
               for opt in (SLOPE, ALPHA, INIT) if hasattr(args, opt.name)}
    name = getattr(args, "explorer_name", "explorer")
    magics.check_name(name)
    explorer = ActivationExplorer(**numbers, only=getattr(args, "only", None))
    magics.shell.user_ns[name] = explorer
    display(explorer)  # the live widget, with its picture where widgets cannot run


cli.add_command(cli.Command("activations", "Every activation and its derivative, with sliders for the leaky slope and "
                            "ELU's alpha; saturating regions shaded.", arguments, run))
