"""``%nbdl meta NET --tasks sinusoid --method maml``: meta-train a network (``nbdl.meta``) with its
live loss picture, by default beside the baseline the paper compares with (joint pretraining),
then show both adapting to one new task and print their figures on 100 new tasks."""
from __future__ import annotations

from .. import cli
from ..core.errors import NbdlError
from ..core.meta import SETTINGS, meta
from ..core.meta_methods import methods

DEFAULT_NAME = "meta"
DEFAULT_AGAINST = {"maml": "pretrain", "reptile": "pretrain"}  # a method not named here: no baseline
EVALUATED = 100          # new tasks each run's figures are averaged over
STEPS = (0, 1, 10)       # adaptation steps the figures are given after


def arguments(parser) -> None:
    parser.add_argument("network", metavar="NET", help="a network from %%nbdl net (or its text form in a "
                        "variable): sinusoid 'input 1' ... 'dense 1'; digits 'input 64' ... 'dense WAYS'")
    cli.add_options(parser, SETTINGS, "meta_")  # --tasks, --method, --shots, --inner-steps, ...
    parser.add_argument("--against", metavar="METHOD", help="also train this method as the baseline, with the same "
                        "network, tasks, seed and iterations, and draw both side by side; 'none' for no baseline "
                        "(default: pretrain for maml and reptile, none for pretrain). The baseline is stored as "
                        "VARIABLE_baseline")
    parser.add_argument("--no-plot", action="store_true", help="no pictures, only the summary and figures lines")
    parser.add_argument("--as", dest="result_name", metavar="VARIABLE",
                        help=f"where to store the run (default: {DEFAULT_NAME}; its baseline: {DEFAULT_NAME}_baseline)")


def settings(args) -> dict:
    """The meta settings the flags give, each read by its declaration; one error lists every bad one."""
    return cli.option_values(args, SETTINGS, "meta_")


def against(method: str, given: str | None) -> str | None:
    """The baseline's method, or None: ``--against`` checked against the methods there are."""
    if given is None:
        return DEFAULT_AGAINST.get(method)
    if given.strip().lower() == "none":
        return None
    if given not in methods:
        raise NbdlError(f"unknown --against {given!r}; choose one of: {', '.join(methods.names())}, none")
    baseline = methods.get(given).name
    if baseline == method:
        raise NbdlError(f"--against {given} is the method being trained; choose another method or none")
    return baseline


def figures_lines(runs) -> list[str]:
    """A line per run, ``MAML: mean query MSE on 100 new 10-shot tasks after 0 / 1 / 10 steps: 2.91 / 0.62 /
    0.13``; for classification a last line for a network trained from scratch on the same shots."""
    from ..plots.meta import labels

    lines, scratch = [], None
    for run, label in zip(runs, labels(runs)):
        shots = run.settings["shots"]
        figures = run.evaluate_tasks(n=EVALUATED, shots=shots, steps=STEPS)
        classification = not run.regression
        shown = (lambda v: f"{v:.0%}") if classification else (lambda v: f"{v:.2f}")
        what = "query accuracy" if classification else "mean query MSE"
        head = f"on {EVALUATED} new {shots}-shot tasks after {' / '.join(map(str, STEPS))} steps"
        lines.append(f"{label}: {what} {head}: " + " / ".join(shown(figures[k]) for k in STEPS))
        scratch = scratch or figures.get("scratch")
    if scratch:  # the same tasks, shots and fresh weights for every run: shown once
        longest = max(scratch)
        lines.append(f"from scratch: query accuracy {head}: " + " / ".join(shown(scratch[k]) for k in STEPS)
                     + (f" (after {longest} steps: {shown(scratch[longest])})" if longest not in STEPS else ""))
    return lines


def run(magics, args):
    from IPython.display import HTML, Image, display

    from ..plots.meta import MetaView, meta_png
    from ..plots.render import shown_width

    network = magics.variable(args.network, "a network from %%nbdl net or its text form")
    name = getattr(args, "result_name", None) or DEFAULT_NAME
    magics.check_name(name)
    values = settings(args)
    values["method"] = methods.get(values.get("method", "maml")).name
    baseline = against(values["method"], getattr(args, "against", None))
    runs = [meta(network, fit=False, **values)]
    if baseline is not None:  # the same network, tasks, seed and iterations: only the method differs
        runs.append(meta(network, fit=False, **{**values, "method": baseline}))
    magics.shell.user_ns[name] = runs[0]
    if len(runs) > 1:
        magics.shell.user_ns[name + "_baseline"] = runs[1]
    plot = not getattr(args, "no_plot", False)
    if plot:
        handle = display(HTML(""), display_id=True)
        view = MetaView(lambda png: handle.update(Image(png, width=shown_width(png))))
    for one in runs:
        one.fit(callbacks=[view] if plot else [])  # a kernel interrupt stops it between two iterations
        if one.status != "finished":
            break
    trained = [one for one in runs if one.iteration > 0]
    if plot and trained:
        png = meta_png(trained)  # the loss stays above the adaptation: a saved notebook keeps both
        handle.update(Image(png, width=shown_width(png)))
        if view.error is not None:
            print(f"the live picture stopped ({type(view.error).__name__}: {view.error}); training went on")
    for one in runs:
        stored = name if one is runs[0] else name + "_baseline"
        if one.stop_reason:
            hint = f" ({one.stop_reason}; go on with {stored}.fit())"
        elif one.status == "new":  # the run before it stopped early
            hint = f" (not trained, as {name} stopped early; train it with {stored}.fit())"
        else:
            hint = ""
        print(f"{stored}: {one.summary()}{hint}")
    for line in figures_lines(trained):
        print(line)
    return None


cli.add_command(cli.Command("meta", "Meta-train a network on a family of small tasks (MAML, Reptile or joint "
                            "pretraining) and compare with a baseline adapting to new tasks in a few steps.",
                            arguments, run))
