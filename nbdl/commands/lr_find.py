"""``%nbdl lr-find NET --data DATA``: Smith's learning-rate range test (``run.lr_find``) with the picture
and one line: the suggested rate as a flag to copy (``--lr 5e-3``), or why there is none.

A network gets a new run made with the flags' settings, as ``%nbdl train`` would make it; a run is
tested from where it stands, and left exactly as it was."""
from __future__ import annotations

from .. import cli
from ..core import Config, Network, Run
from ..core.lr_find import OPTIONS

DEFAULT_NAME = "lr_find"


def arguments(parser) -> None:
    parser.add_argument("name", metavar="NET", help="a network from %%nbdl net, any torch.nn.Module, or a run "
                        "(tested from where it stands)")
    parser.add_argument("--data", help=cli.DATA_HELP)
    for option in OPTIONS:
        parser.add_argument("--" + option.name, dest="test_" + option.name, metavar=option.name.upper(),
                            help=cli.help_text(option))
    cli.add_settings(parser)
    cli.add_data_options(parser)
    parser.add_argument("--as", "--name", dest="result_name", metavar="VARIABLE",
                        help=f"where to store the result (default: {DEFAULT_NAME})")


def run(magics, args):
    from IPython.core.error import UsageError
    from IPython.display import Image, display

    from ..plots.lr_find import lr_find_png
    from ..plots.render import shown_width

    target = magics.variable(args.name, "a network from %%nbdl net, a torch.nn.Module or a run")
    name = getattr(args, "result_name", DEFAULT_NAME)
    magics.check_name(name)
    options = {o.name: o.parse(getattr(args, "test_" + o.name), "--" + o.name) for o in OPTIONS
               if hasattr(args, "test_" + o.name)}
    settings = cli.config_settings(args)
    if isinstance(target, Run):
        if getattr(args, "data", None) is not None or settings or cli.data_flags(args):
            flags = ", ".join("--" + o.name for o in OPTIONS)
            raise UsageError(f"a run brings its own data, settings and weights; give only the test's flags ({flags}) "
                             "and --as, or give the network and --data for a new run")
        tested = target
    else:
        if getattr(args, "data", None) is None:
            raise UsageError("%nbdl lr-find: give the data, for example --data moons")
        network = target.spec if isinstance(target, Network) else magics.module(target, args.name)
        data, data_options = magics.resolve_data(args)
        tested = Run(Config(network=network, data=data, data_options=data_options, **settings))
    result = tested.lr_find(**options)
    magics.shell.user_ns[name] = result
    png = lr_find_png(result)
    display(Image(png, width=shown_width(png)))
    print(result.summary())
    return None


cli.add_command(cli.Command("lr-find", "Learning-rate range test: the loss as the rate grows, and a rate to train "
                            "with (or why none can be trusted).", arguments, run, epilog=cli.data_help))
