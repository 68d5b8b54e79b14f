"""``%nbdl backprop NET --data DATA``: the chain rule written out by hand for a small dense network,
layer by layer, against autograd and finite differences (``nbdl.gradient_check``).

The run is made with the flags' settings (seed 0 unless ``--seed``) and is not trained unless
``--epochs N`` asks for it: by default the gradients are those of the first weights, the ones the
first step of training takes."""
from __future__ import annotations

from .. import cli
from ..core import Config, Network, Run
from ..core.backprop import SAMPLES, gradient_check
from ..core.config import SETTINGS
from ..core.options import INT, Option

EPOCHS = Option("epochs", 0, "epochs to train before the check (0: the first weights)", kind=INT, low=0, high=10_000)


def arguments(parser) -> None:
    parser.add_argument("name", metavar="NET", help="a network from %%nbdl net, or a run (checked as it is now)")
    parser.add_argument("--data", help=cli.DATA_HELP)
    parser.add_argument("--samples", metavar="N", help=cli.help_text(SAMPLES))
    parser.add_argument("--epochs", dest="train_epochs", metavar="N", help=cli.help_text(EPOCHS))
    cli.add_settings(parser, tuple(s for s in SETTINGS if s.name != "epochs"))
    cli.add_data_options(parser)
    parser.add_argument("--as", dest="check_name", metavar="VARIABLE", help="where to store the result "
                        "(default: backprop)")


def run(magics, args) -> None:
    from IPython.core.error import UsageError
    from IPython.display import display

    target = magics.variable(args.name, "a network from %%nbdl net or a run")
    samples = SAMPLES.parse(getattr(args, "samples", "8"), "--samples")
    name = getattr(args, "check_name", "backprop")
    magics.check_name(name)
    settings = cli.config_settings(args)
    if isinstance(target, Network):
        if getattr(args, "data", None) is None:
            raise UsageError("%nbdl backprop: give the data, for example --data moons")
        epochs = EPOCHS.parse(getattr(args, "train_epochs", "0"), "--epochs")
        data, options = magics.resolve_data(args)
        run = Run(Config(network=target.spec, data=data, data_options=options, **settings,
                         **({"epochs": epochs} if epochs else {})))
        if epochs:
            run.fit()
    elif all(hasattr(target, part) for part in ("model", "data", "loss")):  # a run: checked with its own weights
        if getattr(args, "data", None) is not None or settings or hasattr(args, "train_epochs") or cli.data_flags(args):
            raise UsageError("a run brings its own data, settings and weights; give only --samples and --as, or "
                             "give the network and --data for a new run")
        run = target
    else:
        raise UsageError(f"{args.name!r} is a {type(target).__name__}; %nbdl backprop takes a network from "
                         "%%nbdl net or a run")
    result = gradient_check(run, samples)
    magics.shell.user_ns[name] = result
    display(result)


cli.add_command(cli.Command("backprop", "Backpropagation by hand for a small dense network: forward values, local "
                            "derivatives, deltas and gradients layer by layer, against autograd and finite "
                            "differences.", arguments, run))
