"""``%nbdl gan GENERATOR DISCRIMINATOR --data DATA``: train a GAN (``nbdl.gan``) with its live
picture (samples over the discriminator's map, both losses, the modes covered) and store the run."""
from __future__ import annotations

from .. import cli
from ..core.gan import SETTINGS, GanConfig, GanRun

DEFAULT_NAME = "gan"


def arguments(parser) -> None:
    parser.add_argument("generator", metavar="GENERATOR", help="a network from %%nbdl net (or its text form in a "
                        "variable): 'input K' (the latent size) ... 'dense WIDTH' (the data's sample width)")
    parser.add_argument("discriminator", metavar="DISCRIMINATOR", help="a network from %%nbdl net taking a sample "
                        "and giving 1 score ('dense 1')")
    parser.add_argument("--data", help=cli.DATA_HELP + " (default: ring)")
    cli.add_options(parser, SETTINGS, "gan_")
    cli.add_data_options(parser)
    parser.add_argument("--no-plot", action="store_true", help="no live picture, only the summary line")
    parser.add_argument("--as", dest="result_name", metavar="VARIABLE",
                        help=f"where to store the run (default: {DEFAULT_NAME})")


def settings(args) -> dict:
    """The GAN settings the flags give, each read by its declaration; one error lists every bad one."""
    return cli.option_values(args, SETTINGS, "gan_")


def run(magics, args):
    from IPython.display import HTML, Image, display

    from ..plots.gan import GanView, gan_png
    from ..plots.render import shown_width

    what = "a network from %%nbdl net or its text form"
    generator = magics.variable(args.generator, what)
    discriminator = magics.variable(args.discriminator, what)
    name = getattr(args, "result_name", None) or DEFAULT_NAME
    magics.check_name(name)
    if getattr(args, "data", None) is None:
        args.data = "ring"
    data, options = magics.resolve_data(args)
    gan_run = GanRun(GanConfig(generator, discriminator, data, options, **settings(args)))
    magics.shell.user_ns[name] = gan_run
    callbacks = []
    if not getattr(args, "no_plot", False):
        handle = display(HTML(""), display_id=True)
        callbacks.append(GanView(lambda png: handle.update(Image(png, width=shown_width(png)))))
    gan_run.fit(callbacks=callbacks)  # a kernel interrupt stops it between two steps
    if callbacks and callbacks[0].renders == 0:  # stopped before the first row: still show where it stands
        png = gan_png(gan_run)
        handle.update(Image(png, width=shown_width(png)))
    if callbacks and callbacks[0].error is not None:
        print(f"the GAN picture stopped ({type(callbacks[0].error).__name__}: {callbacks[0].error}); training went on")
    print(gan_run.summary() + (f" ({gan_run.stop_reason}; go on with {name}.fit())" if gan_run.stop_reason else ""))
    return None


cli.add_command(cli.Command("gan", "Train a GAN: a generator and a discriminator in turns (gan or wgan-gp loss), "
                            "with live samples, losses and mode coverage.", arguments, run, epilog=cli.data_help))
