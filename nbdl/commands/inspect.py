"""``%nbdl inspect NET --data DATA [--init xavier,kaiming]``: the signal through depth of a freshly
initialised network, one line per initialisation."""
from __future__ import annotations

from .. import cli


def arguments(parser) -> None:
    parser.add_argument("name", metavar="NET", help="a network from %%nbdl net (or its text form in a variable)")
    parser.add_argument("--data", help=cli.DATA_HELP)
    parser.add_argument("--init", metavar="INITS", help="initialisations to compare, separated by commas "
                        "(default: the network's default); for example xavier,kaiming or 'kaiming(bias=-1)'")
    parser.add_argument("--samples", metavar="N", help="samples in the batch (default 256)")
    parser.add_argument("--seed", help="seed of the data, the split and the first weights (default 0)")
    cli.add_data_options(parser)


def run(magics, args):
    from IPython.display import HTML, Image, display

    from ..core import Network
    from ..core.depth import SAMPLES, inspect
    from ..core.config import setting_named
    from ..core.errors import NbdlError
    from ..plots.instruments import depth_figure
    from ..plots.render import figure_png, shown_width

    network = magics.variable(args.name, "a network from %%nbdl net")
    if isinstance(network, Network):
        network = network.spec
    elif not isinstance(network, str):
        raise NbdlError(f"{args.name!r} is a {type(network).__name__}; inspect takes a network made with %%nbdl net")
    if getattr(args, "data", None) is None:
        raise NbdlError("%nbdl inspect: give the data, for example --data moons")
    data, options = magics.resolve_data(args)
    seed = setting_named("seed").parse(getattr(args, "seed", "0"))
    samples = SAMPLES.parse(getattr(args, "samples", str(SAMPLES.default)), "--samples")
    found = inspect(network, data, init=getattr(args, "init", "default"), seed=seed, samples=samples,
                    data_options=options)
    png = figure_png(depth_figure(found))
    display(Image(png, width=shown_width(png)))
    rows = "".join(f"<tr><td>{d.init}</td><td>{d.figures['act_std'][0]:.2g} → {d.figures['act_std'][-1]:.2g}</td>"
                   f"<td>{d.ratio():.2g}</td></tr>" for d in found.depths)
    display(HTML("<table><tr><th>init</th><th>activation std, first → last layer</th>"
                 f"<th>gradient norm, first / last weighted layer</th></tr>{rows}</table>"))
    return found


cli.add_command(cli.Command("inspect", "Show the signal through depth of a freshly initialised network: activation "
                            "spread and gradient norm per layer, one line per initialisation.", arguments, run,
                            epilog=cli.data_help))
