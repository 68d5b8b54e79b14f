"""Notebook 04: optimizers, raced by epoch and by wall time, and on classic loss surfaces."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "04_optimizers.ipynb"

CELLS = [
    new_markdown_cell("""# Optimizers: by epoch, by the clock, and on a loss surface

Every optimizer moves the weights against the gradient of the loss; they differ in **which**
gradient and **how far**:

- **full-batch gradient descent** (`gd`) uses the exact gradient of the whole training set: one
  careful step per epoch;
- **stochastic gradient descent** (`sgd`) uses the gradient of a mini-batch (`batch_size=1` is the
  classic one-example SGD): many noisy, cheap steps per epoch;
- **momentum** keeps a running sum of past steps, so it speeds along a valley and damps the zig-zag;
- **Adagrad**, **RMSprop** and **Adam** give every weight its own step size, scaled by how large its
  gradients have been (Adam adds momentum to RMSprop).

Which one is "fastest" depends on what you count. An epoch of full-batch GD is one step; an epoch
of one-example SGD is as many steps as there are examples. This notebook measures both ways."""),
    new_code_cell("""%load_ext nbdl
import numpy as np
import matplotlib.pyplot as plt
import nbdl
from nbdl.plots.compare import comparison_figure"""),
    new_markdown_cell("""## The whole family on one picture

`%nbdl compare` trains one run per value of `--vary` and draws them together (training solid,
validation dashed). Here every optimizer gets 30 epochs, mini-batches of 32 (`gd` always takes the
whole training set) and one shared learning rate, 0.05, so this is also a lesson in how differently
they respond to the same rate. Change `--x epoch` to `--x step` or `--x time` and run it again."""),
    new_code_cell("""%%nbdl net net
input 2
dense 32 relu
dense 32 relu
dense 2 softmax"""),
    new_code_cell("""%nbdl compare net --data moons --noise 0.2 --vary "optimizer=gd,sgd,momentum,adam,adagrad,rmsprop" --lr 0.05 --epochs 30 --batch-size 32 --seed 0 --x epoch"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
for name, r in comparison.items():
    print(f"{name:22s} steps {r.global_step:5d}   val loss {r.history['val_loss'][-1]:.3f}")
final = {name.split("=")[1]: r.history["val_loss"][-1] for name, r in comparison.items()}
assert final["adam"] < final["gd"] and final["momentum"] < final["gd"]"""),
    new_markdown_cell("""By epoch, full-batch GD looks hopeless: 30 epochs are only 30 steps. But an epoch of GD is also
far cheaper than an epoch of mini-batch training. The fair question is: **how good is each one
after the same wall time?**

## The claim: the ranking by epoch is not the ranking by time

Three runs on 2,000 moons points (1,200 for training):

- `gd`: full batch, learning rate 0.5 (the whole-set gradient is exact, so it takes a large rate);
- `sgd`: one example per step (`batch_size=1`), learning rate 0.01: 1,200 steps an epoch;
- `adam`: mini-batches of 32, learning rate 0.01.

Each gets enough epochs to reach the same target validation loss. We then count, for each, the
epochs **and** the seconds it needed to get there."""),
    new_code_cell("""base = {"network": "input 2\\ndense 32 relu\\ndense 32 relu\\ndense 2 softmax", "data": "moons",
        "data_options": {"n": 2000, "noise": 0.2}, "seed": 0}
race3 = nbdl.compare(base, {
    "gd":   {"optimizer": "gd",   "lr": 0.5,  "epochs": 300},
    "sgd":  {"optimizer": "sgd",  "lr": 0.01, "epochs": 4, "batch_size": 1},
    "adam": {"optimizer": "adam", "lr": 0.01, "epochs": 20, "batch_size": 32},
})
race3"""),
    new_code_cell("""fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
TARGET = 0.2
for name, r in race3.items():
    loss = r.history["val_loss"]
    axes[0].plot(np.arange(1, len(loss) + 1), loss, label=name)
    axes[1].plot(np.cumsum(r.history["time"]), loss, label=name)
for ax, xlabel in zip(axes, ["epoch (log scale)", "seconds of training (log scale)"]):
    ax.axhline(TARGET, color="gray", linestyle=":", label=f"target {TARGET}")
    ax.set(xscale="log", xlabel=xlabel, ylabel="validation loss", ylim=(0, 0.7))
    ax.legend()
axes[0].set_title("by epoch"); axes[1].set_title("by wall time")
plt.show()"""),
    new_code_cell("""def first_reaching(run, target):
    \"\"\"The epochs and the seconds a run took to first bring its validation loss to ``target``.\"\"\"
    loss = np.asarray(run.history["val_loss"])
    epoch = int(np.argmax(loss <= target))
    assert loss[epoch] <= target, "this run never reached the target: give it more epochs"
    return epoch + 1, float(np.sum(run.history["time"][:epoch + 1]))

reached = {name: first_reaching(r, TARGET) for name, r in race3.items()}
for name, (epochs, seconds) in reached.items():
    print(f"{name:5s} reaches val loss {TARGET} after {epochs:3d} epochs, {seconds * 1000:6.0f} ms")
by_epoch = sorted(reached, key=lambda n: reached[n][0])
by_time = sorted(reached, key=lambda n: reached[n][1])
print("fastest first, by epoch:", by_epoch)
print("fastest first, by time: ", by_time)"""),
    new_markdown_cell("""The rankings differ. By epoch, one-example SGD beats full-batch GD many times over; by the clock,
GD is many times faster than SGD, because its one step per epoch is a single large matrix product
while SGD pays Python's per-step overhead 1,200 times. The check below asks for a factor of 3
both ways, far inside what this machine measures, so a busy machine does not flip it."""),
    new_code_cell("""(gd_epochs, gd_seconds), (sgd_epochs, sgd_seconds) = reached["gd"], reached["sgd"]
assert by_epoch != by_time
assert gd_epochs > 3 * sgd_epochs      # by epoch, GD is the slow one
assert sgd_seconds > 3 * gd_seconds    # by the clock, SGD is
print(f"GD needs {gd_epochs / sgd_epochs:.0f}x SGD's epochs but {sgd_seconds / gd_seconds:.0f}x less of its time")"""),
    new_markdown_cell("""## The race on a loss surface

A network's loss lives in thousands of dimensions; a two-parameter surface lets us **see** each
optimizer's path. `%nbdl race` runs nbdl's real torch optimizers on the Rosenbrock function, a long
curved valley: the valley is easy to find, but following its gentle floor to the minimum at (1, 1)
is slow for plain gradient descent, whose steps are sized by the steep walls. Try
`--surface ravine`, `saddle`, `beale` or `himmelblau`, or other rates with `--lr "adam=0.01"`."""),
    new_code_cell("""%nbdl race --surface rosenbrock --optimizers gd,momentum,adam,adagrad,rmsprop --seconds 0"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
distance = {row["optimizer"]: row["distance"] for row in race.table()}
print({name: f"{d:.3g}" for name, d in distance.items()})
assert race.reached("adam") is not None and race.reached("gd") is None
assert distance["gd"] > 10 * distance["momentum"] > 10 * distance["adam"]"""),
    new_markdown_cell("""Adam gets to the minimum; momentum gets close along the valley floor; plain gradient descent, at
the largest rate the walls allow, is still far from it after 2,000 steps. On the **ravine**
(`x²/2 + 10y²`), try it: plain descent zig-zags across the steep direction, momentum overshoots
along the shallow one."""),
]
