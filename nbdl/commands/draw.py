"""``%nbdl draw NAME``: draw a 2-D data set with the mouse, one class per colour; NAME holds it as a
Dataset that ``%nbdl train NET --data NAME`` trains on, updated as you draw."""
from __future__ import annotations

from .. import cli


def arguments(parser) -> None:
    parser.add_argument("name", metavar="NAME", help="the variable that holds the drawn data set")
    parser.add_argument("--as", dest="panel_name", metavar="VARIABLE",
                        help="where to store the drawing panel (default: none; NAME holds the data)")


def run(magics, args) -> None:
    from IPython.display import display

    from ..widgets.draw import DrawPanel

    from ..core.errors import NbdlError

    magics.check_name(args.name)
    panel_name = getattr(args, "panel_name", None)
    if panel_name is not None:
        magics.check_name(panel_name)
        if panel_name == args.name:
            raise NbdlError(f"--as {panel_name}: the panel and the data set would overwrite each other at every "
                            "stroke; give the panel another name")
    panel = DrawPanel(args.name, magics.shell.user_ns)
    if panel_name is not None:
        magics.shell.user_ns[panel_name] = panel
    display(panel)  # the live canvas, with what is drawn where widgets cannot run


def epilog() -> str:
    return ("Each colour is a class; the panel says where the canvas lies in the plane. Then:\n"
            "  %nbdl train net --data NAME --epochs 200 --lr 0.03  train on what is drawn (a few dozen points\n"
            "                                                      make one step an epoch: give it many)\n"
            "  %nbdl train net --data NAME --features x1^2,x2^2  with input features")


cli.add_command(cli.Command(
    "draw", "Draw a 2-D data set with the mouse, one class per colour; NAME holds it as a data set to train on.",
    arguments, run, epilog))
