"""``%nbdl runs``: this kernel's runs (the ``Run`` variables of the notebook) as a table, and
``%nbdl runs NAME NAME ... [--metric val_loss]`` those runs' curves on one picture."""
from __future__ import annotations

from html import escape
from typing import Any

from .. import cli
from ..core.errors import NbdlError
from ..plots.compare import AXES, LABELS

COLUMNS = (("name", "name"), ("data", "data"), ("network", "network"), ("optimizer", "optimizer"), ("lr", "lr"),
           ("batch_size", "batch"), ("epochs", "epochs"), ("train_loss", "train loss"), ("val_loss", "val loss"),
           ("train_acc", "train acc"), ("val_acc", "val acc"), ("status", "status"))
TEXT_COLUMNS = ("name", "data", "network", "optimizer", "status")
NETWORK_WIDTH = 40  # characters of a network's short form; a longer one loses its middle


def arguments(parser) -> None:
    parser.add_argument("names", metavar="NAME", nargs="*", help="runs to draw on one picture (none: the table of all)")
    parser.add_argument("--metric", metavar="FIGURES", help="the figures to draw, separated by commas, for example "
                        "val_loss or train_loss,val_acc (default: val_loss,val_acc)")
    parser.add_argument("--x", choices=list(AXES), help="the picture's x-axis: epoch, optimizer step, samples seen "
                        "or seconds (default: epoch)")


def runs_in(namespace: dict[str, Any]) -> dict[str, Any]:
    """The notebook's runs by variable name, in the order they were made; IPython's output history
    (``_``, ``_3``, ``Out``) and hidden names are left out."""
    from ..core import Run

    return {name: value for name, value in namespace.items() if isinstance(value, Run) and not name.startswith("_")}


def network_text(run: Any) -> str:
    """A network in a few words: ``input 2 | dense 16 relu | dense 2``, or a module's class name."""
    from ..core import Network

    model = run.model
    if isinstance(model, Network):
        text = " | ".join(layer.to_text() for layer in model.spec.layers)
    else:
        text = type(model).__name__
    half = NETWORK_WIDTH // 2 - 1
    return text if len(text) <= NETWORK_WIDTH else f"{text[:half]}…{text[-half:]}"


def row(name: str, run: Any) -> dict[str, Any]:
    """One run's line of the table: what it trained on, with what, and its last figures."""
    from ..core.compare import status

    config, history = run.config, run.history
    data = config.data if isinstance(config.data, str) else run.dataset.name
    options = ", ".join(f"{k}={v}" for k, v in config.data_options.items())
    found = {"name": name, "data": f"{data} ({options})" if options else data, "network": network_text(run),
             "optimizer": config.optimizer, "lr": run.optimizer.param_groups[0].get("lr"),
             "batch_size": run.batch_size, "epochs": run.epoch, "status": status(run)}
    for key in ("train_loss", "val_loss", "train_acc", "val_acc"):
        values = history.get(key, [])
        found[key] = float(values[-1]) if values else None
    return found


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if key == "lr" else f"{value:.4f}" if "acc" not in key else f"{value:.3f}"
    return str(value)


def table_html(rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th style='text-align:{'left' if k in TEXT_COLUMNS else 'right'}'>{escape(title)}</th>"
                   for k, title in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td style='text-align:{'left' if k in TEXT_COLUMNS else 'right'}'>"
                                    f"{escape(_shown(k, r[k]))}</td>" for k, _ in COLUMNS) + "</tr>" for r in rows)
    return f"<table class='nbdl-runs'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def table_text(rows: list[dict[str, Any]]) -> str:
    """The table in plain text, columns padded, for front ends that show no HTML."""
    cells = [[title for _, title in COLUMNS]] + [[_shown(k, r[k]) for k, _ in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if k in TEXT_COLUMNS else cell.rjust(w)
                       for cell, w, (k, _) in zip(line, widths, COLUMNS)).rstrip() for line in cells]
    return "\n".join(lines)


def metrics(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ("val_loss", "val_acc")
    names = tuple(m.strip() for m in text.split(",") if m.strip())
    if not names:
        raise NbdlError(f"--metric needs figure names, for example --metric val_loss; known: {', '.join(LABELS)}")
    return names


def run(magics, args) -> None:
    from IPython.display import Image, display

    from ..plots.compare import compare_figure
    from ..plots.render import figure_png, shown_width

    found = runs_in(magics.shell.user_ns)
    names = getattr(args, "names", [])
    if not names:
        if not found:
            print("no runs in this kernel yet; train one with %nbdl train NET --data moons (or nbdl.train(...))")
            return
        rows = [row(name, r) for name, r in found.items()]
        display({"text/html": table_html(rows), "text/plain": table_text(rows)}, raw=True)
        return
    missing = [n for n in names if n not in found]
    other = [f"{n!r} is a {type(magics.shell.user_ns[n]).__name__}" for n in missing if n in magics.shell.user_ns]
    if other:
        raise NbdlError(f"{'; '.join(other)}: %nbdl runs compares runs of %nbdl train (or nbdl.train); its runs: "
                        f"{', '.join(found) or 'none yet'}")
    if missing:
        known = ", ".join(found) or "none yet"
        raise NbdlError(f"no run named {', '.join(map(repr, missing))} in the notebook; its runs: {known}")
    if len(set(names)) < len(names):
        raise NbdlError("a run is named twice; name each once")
    chosen = {n: found[n] for n in names}
    wanted = metrics(getattr(args, "metric", None))
    logged = sorted({k for r in chosen.values() for k in r.history if k not in ("epoch", "time")})
    unlogged = [m for m in wanted if m not in logged and getattr(args, "metric", None) is not None]
    if unlogged:
        raise NbdlError(f"--metric {', '.join(unlogged)}: these runs do not log it; they log: {', '.join(logged)}")
    figure = compare_figure(chosen, wanted, getattr(args, "x", "epoch"))
    png = figure_png(figure)
    display(Image(png, width=shown_width(png)))


cli.add_command(cli.Command("runs", "A table of this notebook's runs (data, network, settings, final figures); "
                            "with run names, their curves on one picture.", arguments, run))
