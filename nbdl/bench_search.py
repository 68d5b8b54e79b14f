"""Search throughput with worker processes: ``python -m nbdl.bench_search [--trials 40 --epochs 100]``
prints a markdown table of trials per minute with one worker process and with two.

Both run the same grid (learning rate at 20 points on a log scale x batch size 16 or 32: 40 trials
of the moons MLP 2-16-16-2, Adam, no pruning) on a study kept in a journal file, started with
``workers.spawn`` as ``nbdl.search(..., workers=N)`` does. Trials per minute are counted over the
study's working span (first trial's start to last trial's end) and over the whole wall time, which
adds the workers' start (importing torch). Goal: 2 workers >= 1.7x one, on a machine with 2 free cores."""
from __future__ import annotations

import argparse
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from nbdl.core import search, workers
from nbdl.core.config import Config

NET = "input 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax"
GOAL = 1.7


def case(trials: int) -> dict:
    """A grid of exactly ``trials`` points: learning rates x batch sizes 16 and 32."""
    return {"lr": (1e-3, 1e-1, "log", max(trials // 2, 1)), "batch_size": [16, 32]}


def measure(count: int, trials: int = 40, epochs: int = 100) -> dict:
    """Run the case with ``count`` worker processes; timings from the clock and from the study."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="nbdl-bench-search-"))
    storage = str(folder / "study.journal")
    name = f"bench-{count}-workers"
    config = Config(network=NET, data="moons", epochs=epochs)
    study = search.create_study(config, case(trials), method="grid", metric="val_loss", storage=storage,
                                name=name, seed=0, pruning=False)
    started = time.perf_counter()
    workers.wait(workers.spawn(name, storage, count, trials=trials))
    wall = time.perf_counter() - started
    done = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    span = (max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)).total_seconds()
    busy = [t.duration.total_seconds() for t in done]
    shutil.rmtree(folder)
    return {"workers": count, "trials": len(done), "wall": wall, "span": span, "mean_trial": sum(busy) / len(busy),
            "per_minute": 60 * len(done) / span, "per_minute_wall": 60 * len(done) / wall}


SPIN = "import time\nstart = time.process_time()\nwhile time.process_time() - start < {seconds}: pass\n"


def free_cores(seconds: float = 1.0) -> float:
    """How many cores two busy processes get now: 2.0 on an idle 2-core machine, about 1 when
    something else keeps one core busy. It tells whether a ratio below 2 is the machine's or ours."""
    def spin(count: int) -> float:
        started = time.perf_counter()
        running = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=seconds)]) for _ in range(count)]
        for process in running:
            process.wait()
        return time.perf_counter() - started

    return 2 * spin(1) / spin(2)


def report(trials: int = 40, epochs: int = 100, repeat: int = 1) -> str:
    """The markdown section: one worker against two on the same grid (each the best of ``repeat``
    runs, alternated, so that a passing load on a shared machine spoils fewer of them)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    load_before, cores = os.getloadavg()[0], free_cores()
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(repeat):
        for count in runs:
            runs[count].append(measure(count, trials, epochs))
    one, two = (max(runs[count], key=lambda row: row["per_minute"]) for count in (1, 2))
    ratio, ratio_wall = two["per_minute"] / one["per_minute"], two["per_minute_wall"] / one["per_minute_wall"]
    lines = [
        f"### Search in worker processes: {trials} trials, moons MLP 2-16-16-2, {epochs} epochs each"
        + (f" (best of {repeat} runs)" if repeat > 1 else ""),
        "",
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}); before the run: load average "
        f"{load_before:.1f}, two busy processes got {cores:.2f} cores. A journal file shared by the workers; "
        f"one torch thread each.",
        "",
        "| workers | trials | wall s | trials/min (working span) | trials/min (wall, with start) | mean s per trial |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in (one, two):
        lines.append(f"| {row['workers']} | {row['trials']} | {row['wall']:.1f} | {row['per_minute']:.0f} | "
                     f"{row['per_minute_wall']:.0f} | {row['mean_trial']:.3f} |")
    verdict = "meets" if ratio >= GOAL else "misses"
    lines += ["", f"2 workers vs 1: **{ratio:.2f}x** trials per minute over the working span "
                  f"({ratio_wall:.2f}x over the wall time); {verdict} the {GOAL}x goal. A mean trial time that "
                  f"grows with two workers means the two cores were not free."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m nbdl.bench_search", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40, help="trials in the grid (even; default 40)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs per trial (default 100)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each, the best kept (default 1)")
    args = parser.parse_args(argv)
    print(report(args.trials, args.epochs, args.repeat))


if __name__ == "__main__":
    main()
