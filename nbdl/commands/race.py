"""``%nbdl race``: optimizers racing on a classic two-parameter surface, their paths drawn live on
its contour, then a table of where each ended."""
from __future__ import annotations

from .. import cli
from ..core import surfaces
from ..core.optimizers import names as optimizer_names


def epilog() -> str:
    lines = ["surfaces (the race's start, steps and learning rates are each surface's own):"]
    for surface in surfaces.registry.in_order():
        lrs = ", ".join(f"{name}={surface.lr(name):g}" for name in surfaces.DEFAULT_OPTIMIZERS)
        lines.append(f"  {surface.name:11s} {surface.formula}: {surface.help}")
        lines.append(f"  {'':11s} start {surface.start[0]:g},{surface.start[1]:g}; {surface.steps} steps; lr {lrs}")
    lines.append("on a surface there are no batches: sgd and gd take the same steps")
    return "\n".join(lines)


def arguments(parser) -> None:
    parser.add_argument("--surface", default="rosenbrock", choices=surfaces.names(),
                        help="the function to minimise (default: rosenbrock)")
    parser.add_argument("--optimizers", metavar="NAMES", default=",".join(surfaces.DEFAULT_OPTIMIZERS),
                        help=f"comma-separated, from {', '.join(optimizer_names())} "
                             f"(default: {','.join(surfaces.DEFAULT_OPTIMIZERS)})")
    parser.add_argument("--steps", metavar="N", help=cli.help_text(surfaces.STEPS, "the surface's own"))
    parser.add_argument("--lr", metavar="LR", help="one learning rate for all, or per optimizer: 'sgd=0.001,adam=0.05' "
                        "(the others keep the surface's race rates)")
    parser.add_argument("--start", metavar="X,Y", help="where every optimizer starts, written --start=-1.5,2 when x is negative (default: the surface's own)")
    parser.add_argument("--seconds", metavar="S", help=cli.help_text(surfaces.SECONDS))
    parser.add_argument("--as", dest="race_name", metavar="VARIABLE", help="where to store the race (default: race)")


def run(magics, args):
    from IPython.display import HTML, Image, display

    from ..plots.render import shown_width
    from ..plots.surfaces import play

    name = getattr(args, "race_name", "race")
    magics.check_name(name)
    steps = surfaces.STEPS.parse(getattr(args, "steps", None), "--steps")
    given = getattr(args, "seconds", None)
    seconds = surfaces.SECONDS.default if given is None else surfaces.SECONDS.parse(given, "--seconds")
    chosen = surfaces.read_optimizers(args.optimizers)  # every bad value said before anything is drawn
    surfaces.read_lrs(getattr(args, "lr", None), chosen)
    surfaces.start_point(args.surface, getattr(args, "start", None))
    handle = display(HTML(""), display_id=True)
    result, _ = play(lambda png: handle.update(Image(png, width=shown_width(png))), seconds=seconds,
                     surface=args.surface, optimizers=args.optimizers, steps=steps, lr=getattr(args, "lr", None),
                     start=getattr(args, "start", None))
    print(table(result))
    magics.shell.user_ns[name] = result
    return result


def table(race: surfaces.Race, tolerance: float = 1e-2) -> str:
    """One line per optimizer: its rate, final loss, distance to the nearest minimum and when it got there."""
    lines = [f"{'optimizer':10s} {'lr':>8s} {'final loss':>11s} {'distance':>9s}  reached (within {tolerance:g})"]
    for row in race.table(tolerance):
        reached = f"step {row['reached']}" if row["reached"] is not None else "no"
        if row["status"] == "diverged":
            reached = f"diverged: {row['reason']}"
        lines.append(f"{row['optimizer']:10s} {row['lr']:8.3g} {row['final_loss']:11.3g} {row['distance']:9.3g}  {reached}")
    return "\n".join(lines)


cli.add_command(cli.Command("race", "Optimizers racing on a classic surface (Rosenbrock, Beale, a saddle, ...), "
                            "their paths drawn live on its contour.", arguments, run, epilog=epilog))
