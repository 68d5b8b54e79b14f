"""``%nbdl attack RUN [RUN ...] --method fgsm,pgd --eps 0.5,1,2``: a classifier's accuracy under
adversarial attack against epsilon (in the data's own units), one curve per run and method, and for
images a grid of clean images, the changes and the perturbed images with the predictions."""
from __future__ import annotations

from html import escape

from .. import cli
from ..core.adversarial import COUNT, METHOD, STEP_SIZE, STEPS, attack, epsilons
from ..core.errors import NbdlError
from ..core.interpret import SPLIT
from ..core.options import CHOICE, Option

METHODS = Option("method", "fgsm", "the attacks: fgsm (one step), pgd (steps within the eps ball)", kind=CHOICE,
                 choices=METHOD.choices, many=True)


def arguments(parser) -> None:
    parser.add_argument("names", metavar="RUN", nargs="+", help="classification runs from %%nbdl train (one curve each)")
    parser.add_argument("--method", metavar="METHODS", help=cli.help_text(METHODS))
    parser.add_argument("--eps", metavar="LIST", help="the epsilons, the largest change to each input value in the "
                        "data's own units (pixels 0-16 for digits), separated by commas; 0 (clean) is added "
                        "(default: 5%% to 30%% of the data's range)")
    parser.add_argument("--steps", metavar="N", help=cli.help_text(STEPS) + "; pgd only")
    parser.add_argument("--step-size", dest="step_size", metavar="SIZE", help=cli.help_text(STEP_SIZE))
    parser.add_argument("--split", metavar="{" + ",".join(SPLIT.choice_names()) + "}", help=cli.help_text(SPLIT))
    parser.add_argument("--count", metavar="N", help=cli.help_text(COUNT))
    parser.add_argument("--as", dest="result_name", metavar="VARIABLE", help="where to store the result: an "
                        "AttackResult, or a dict of them by 'RUN METHOD' for several (default: attacked)")


def run(magics, args) -> None:
    from IPython.display import HTML, Image, display

    from ..core import Run
    from ..plots.adversarial import accuracy_figure, examples_figure
    from ..plots.render import figure_png, shown_width

    runs = {}
    for name in args.names:
        target = magics.variable(name, "a run from %nbdl train")
        if not isinstance(target, Run):
            raise NbdlError(f"{name!r} is a {type(target).__name__}, not a run; train a classifier with "
                            f"%nbdl train NETWORK --data digits, then %nbdl attack run --eps 1,2")
        runs[name] = target
    methods = list(dict.fromkeys(METHODS.parse(getattr(args, "method", "fgsm"), "--method").split(",")))
    split = SPLIT.parse(getattr(args, "split", SPLIT.default), "--split")
    count = COUNT.parse(getattr(args, "count", str(COUNT.default)), "--count")
    steps = STEPS.parse(getattr(args, "steps", str(STEPS.default)), "--steps")
    step_size = STEP_SIZE.parse(getattr(args, "step_size", "0"), "--step-size")
    store = getattr(args, "result_name", "attacked")
    magics.check_name(store)
    found = {}
    for name, target in runs.items():
        eps = epsilons(target, getattr(args, "eps", None))
        for method in methods:
            found[f"{name} {method}"] = attack(target, method, eps, split, steps, step_size, count=count)
    magics.shell.user_ns[store] = next(iter(found.values())) if len(found) == 1 else found
    display(HTML(table_html(found)))
    png = figure_png(accuracy_figure(list(found.values()), labels=list(found)))
    display(Image(png, width=shown_width(png)))
    for result in found.values():
        if result.images and len(result.indices):
            png = figure_png(examples_figure(result))
            display(Image(png, width=shown_width(png)))


def table_html(found: dict) -> str:
    """One row per run and method: the accuracy at each epsilon."""
    eps = sorted({float(e) for r in found.values() for e in r.eps})
    head = "".join(f"<th style='text-align:right'>{e:g}</th>" for e in eps)
    rows = []
    for name, result in found.items():
        by_eps = result.by_eps()
        cells = "".join(f"<td style='text-align:right'>{by_eps[e]:.1%}</td>" if e in by_eps else "<td></td>"
                        for e in eps)
        rows.append(f"<tr><td>{escape(name)}</td>{cells}</tr>")
    return (f"<table style='font-size:13px'><tr><th style='text-align:left'>accuracy at epsilon</th>{head}</tr>"
            f"{''.join(rows)}</table>")


def epilog() -> str:
    return ("The same in Python: nbdl.attack(run, method='pgd', eps=[0.5, 1, 2], steps=10) returns an AttackResult\n"
            "(.eps, .accuracy, .clean, .perturbation, .perturbed, .predicted). Adversarial training:\n"
            "  %nbdl train NET --data digits --adversarial 'fgsm(2)'   logs val_robust_acc beside val_acc")


cli.add_command(cli.Command(
    "attack", "Adversarial examples: accuracy under FGSM or PGD against epsilon, in the data's own units, and the "
    "perturbed images.", arguments, run, epilog))
