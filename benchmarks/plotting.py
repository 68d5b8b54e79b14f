"""How much live plotting costs: share of training wall time, updates per second, memory over 1000 updates.

Run: .venv/bin/python benchmarks/plotting.py
"""
from __future__ import annotations

import base64
import os
import time

import numpy as np
import psutil

import nbdl
from nbdl.plots import LivePlot, TrainingFigure

NET = "input 2\ndense 32 relu\ndense 32 relu\ndense 2 softmax"


def train(plot: bool, epochs: int) -> tuple[float, LivePlot | None]:
    # A display sends the PNG base64-encoded, as IPython does: count that too.
    live = LivePlot(lambda png: base64.b64encode(png)) if plot else None
    started = time.perf_counter()
    nbdl.train(NET, data="moons", data_options={"n": 5000}, epochs=epochs, lr=0.01, seed=0,
               callbacks=[live] if live else [])
    return time.perf_counter() - started, live


def memory_over_updates(count: int = 1000) -> tuple[float, float, int]:
    rng = np.random.default_rng(0)
    figure = TrainingFigure(classification=True, points={
        "extent": (-2, 2, -2, 2), "train": (rng.normal(size=(300, 2)), rng.integers(0, 2, 300)),
        "val": (rng.normal(size=(100, 2)), rng.integers(0, 2, 100))})
    history = {k: [] for k in ("train_loss", "val_loss", "train_acc", "val_acc")}
    probabilities = rng.dirichlet([1, 1], size=(50, 50))
    process = psutil.Process(os.getpid())
    rss = []
    for i in range(count):
        for values in history.values():
            values.append(float(rng.uniform(0.4, 0.6)))
        figure.update(history, probabilities, epochs=count)
        figure.png()
        if i in (99, count - 1):
            rss.append(process.memory_info().rss / 2**20)
    return rss[0], rss[1], figure.full_draws


def main() -> None:
    epochs = 120
    train(True, 3)  # warm up: first imports and allocations
    plain, _ = train(False, epochs)
    live_wall, live = train(True, epochs)
    print(f"moons n=5000, MLP 2-32-32-2, {epochs} epochs, batch 32 ({os.cpu_count()} CPU cores)")
    print(f"  training without plots      {plain:6.2f} s")
    print(f"  training with live plots    {live_wall:6.2f} s  ({live_wall / plain - 1:+.1%} wall time)")
    print(f"  time spent plotting         {live.seconds:6.2f} s  = {live.seconds / live_wall:.1%} of the wall time")
    print(f"  pictures shown              {live.renders:6d}    = one every {live_wall / live.renders:.2f} s")
    first, last, draws = memory_over_updates()
    print(f"memory over 1000 figure updates: {first:.1f} MiB after 100, {last:.1f} MiB after 1000 "
          f"({last - first:+.1f} MiB), {draws} full redraws")


if __name__ == "__main__":
    main()
