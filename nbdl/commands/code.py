"""``%nbdl code RUN [--to PATH]``: a run as a standalone PyTorch script (``run.to_code()``), shown in
the cell with syntax highlighting; ``--to`` also writes it (and your own data beside it, as an .npz)."""
from __future__ import annotations

from .. import cli


def arguments(parser) -> None:
    parser.add_argument("name", metavar="RUN", help="a run from %%nbdl train (or nbdl.train)")
    parser.add_argument("--to", metavar="PATH", help="write the script to this file (your own data goes beside "
                        "it as the .npz file of the same name)")


def run(magics, args):
    from IPython.display import Code, display

    from ..core import Run
    from ..core.errors import NbdlError

    target = magics.variable(args.name, "a run from %nbdl train")
    if not isinstance(target, Run):
        raise NbdlError(f"{args.name!r} is a {type(target).__name__}; %nbdl code exports a run, such as "
                        "the one %nbdl train stores in 'run'")
    path = getattr(args, "to", None)
    try:
        text = target.to_code(path)
    except OSError as error:
        raise NbdlError(f"cannot write the script to {path!r}: {error.strerror or error}") from None
    display(Code(text, language="python"))
    if path is not None:
        print(f"wrote {path}: run it with python {path}")
    return None


cli.add_command(cli.Command("code", "A run as a standalone PyTorch script that rebuilds its data split, network "
                            "and training (no nbdl needed to run it).", arguments, run))
