"""``%nbdl interpret RUN``: a classifier's confusion matrix, each class's accuracy, the most
confidently wrong examples, and for images saliency and integrated gradients of those examples."""
from __future__ import annotations

from .. import cli
from ..core.errors import NbdlError
from ..core.interpret import COUNT, METHOD, SPLIT
from ..core.options import CHOICE, Option

ATTRIBUTIONS = Option("attributions", None, "what each pixel of the wrong images does to the score", kind=CHOICE,
                      choices=METHOD.choices, many=True, optional=True)
EXPLAINED = 6  # wrong images explained by --attributions


def arguments(parser) -> None:
    parser.add_argument("name", metavar="RUN", help="a classification run from %%nbdl train")
    parser.add_argument("--split", metavar="{" + ",".join(SPLIT.choice_names()) + "}", help=cli.help_text(SPLIT))
    parser.add_argument("--count", metavar="N", help=cli.help_text(COUNT))
    parser.add_argument("--attributions", metavar="METHODS",
                        help=cli.help_text(ATTRIBUTIONS, "none") + f"; for images, of the {EXPLAINED} most "
                        "confidently wrong; needs captum: pip install 'nbdl[interpret]'")


def run(magics, args) -> None:
    from IPython.display import HTML, Image, display

    from ..core import Run
    from ..plots.interpret import attributions_figure, confusion_figure, mistakes_figure
    from ..plots.render import figure_png, shown_width

    target = magics.variable(args.name, "a run from %nbdl train")
    if not isinstance(target, Run):
        raise NbdlError(f"{args.name!r} is a {type(target).__name__}, not a run; train one with "
                        f"%nbdl train NETWORK --data DATA, then %nbdl interpret run")
    split = SPLIT.parse(getattr(args, "split", SPLIT.default), "--split")
    count = COUNT.parse(getattr(args, "count", str(COUNT.default)), "--count")
    methods = ATTRIBUTIONS.parse(getattr(args, "attributions", ""), "--attributions")
    found = target.interpret(split, count)
    explained = []
    if methods:  # computed before anything is shown: a run they do not fit is refused whole
        indices = [m.index for m in found.mistakes[:EXPLAINED]] or None
        explained = [target.attributions(split, indices, method) for method in dict.fromkeys(methods.split(","))]
    pictures = [confusion_figure(found)]
    if found.images and found.mistakes:
        pictures.append(mistakes_figure(found))
    display(HTML(found.summary_html()))
    for figure in pictures:
        png = figure_png(figure)
        display(Image(png, width=shown_width(png)))
    if not found.images or not found.mistakes:
        display(HTML(found.mistakes_html()))
    if explained:
        if not found.mistakes:
            print(f"--count {count}: explaining the {split} split's first samples instead" if count == 0 else
                  f"no wrong predictions on the {split} split: explaining its first samples instead")
        png = figure_png(attributions_figure(explained))
        display(Image(png, width=shown_width(png)))


def epilog() -> str:
    return ("The run's own methods give the same figures as numbers:\n"
            "  run.interpret(split='test', count=16)       confusion, per-class accuracy, mistakes\n"
            "  run.attributions(indices=[0, 1], method='integrated_gradients')   for image classifiers")


cli.add_command(cli.Command(
    "interpret", "A classifier's confusion matrix, per-class accuracy and most confidently wrong examples; "
    "saliency and integrated gradients for images.", arguments, run, epilog))
