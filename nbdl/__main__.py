"""Command line: ``python -m nbdl worker STUDY --storage URL [--trials N]`` runs trials of a search
created in a notebook (``nbdl.search(..., storage=URL)``), on this or any other machine."""
from __future__ import annotations

import argparse
import signal
import sys

from nbdl.core.study_storage import GRACE, HEARTBEAT

WORKER_EPILOG = f"""\
Start as many workers as you like, on any machines that reach the storage; each runs one trial at
a time with one torch thread, and all stop when the study holds N finished trials. A worker that
dies mid-trial has its trial failed and run again by another (database storage: after {GRACE}
heartbeats missed).

examples:
  python -m nbdl worker moons-search --storage postgresql://nbdl:secret@db.lan:5432/nbdl
  python -m nbdl worker moons-search --storage runs/moons.journal --trials 40
"""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m nbdl", description="nbdl from the command line.")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    worker = commands.add_parser(
        "worker", help="run trials of a search stored in a journal file or a database",
        description="Run trials of an nbdl search (an Optuna study) kept in shared storage.",
        epilog=WORKER_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    worker.add_argument("study", metavar="STUDY", help="the study's name, as given to nbdl.search(name=...)")
    worker.add_argument("--storage", required=True, metavar="URL",
                        help="a database URL (postgresql://user:password@host:port/database) or a journal file path")
    worker.add_argument("--trials", type=int, metavar="N",
                        help="stop when the study holds N finished trials, from all workers together "
                             "(default: run until stopped, or until a grid search has tried every point)")
    worker.add_argument("--heartbeat", type=int, default=None, metavar="SECONDS",
                        help=f"seconds between heartbeats of a running trial in a database (default: {HEARTBEAT})")
    worker.add_argument("--quiet", action="store_true", help="print only warnings and errors")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from nbdl.core import search, workers
    from nbdl.core.errors import NbdlError

    signal.signal(signal.SIGTERM, stop_as_interrupt)   # `kill PID` fails the running trial cleanly
    workers.follow_parent()
    heartbeat = {} if args.heartbeat is None else {"heartbeat": args.heartbeat}
    try:
        ran = workers.work(args.study, args.storage, args.trials, load_study=search.load_study,
                           objective_for=search.objective_for, quiet=args.quiet, **heartbeat)
    except NbdlError as error:
        print(f"python -m nbdl worker: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("python -m nbdl worker: stopped", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"worker finished: ran {ran} trial{'s' * (ran != 1)} of study {args.study!r}")
    return 0


def stop_as_interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
