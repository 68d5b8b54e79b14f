"""Notebook 06: overfitting and its cures."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "06_overfitting.ipynb"

CELLS = [
    new_markdown_cell("""# Overfitting and its cures

A network with far more weights than it has training samples can learn the samples by heart,
noise included: the training loss keeps falling while the loss on data it has not seen stops
falling or climbs. The distance between the two, the **train/validation gap**, is the
symptom. The primer's cures each take some freedom away from the network:

- **L2** (and **L1**) add a penalty on the size of the weights to the loss;
- **dropout** switches off a random share of the units at every training step, so no unit can
  count on another;
- **early stopping** watches the validation loss and keeps the weights of its best epoch;
- **augmentation** shows the network a slightly different version of each sample every time
  (noise for any data; flips, rotations and shifts for images);
- a **smaller model** simply has less room to memorize.

This notebook makes a net overfit on purpose and then tries each cure on it, with the same seed."""),
    new_code_cell("%load_ext nbdl"),
    new_markdown_cell("""## A net that overfits

Two hidden layers of 128 units (about 17,000 weights) on 200 noisy moons, of which 120 are for
training. With live plots, `%nbdl compare` trains the plain net and the same net with an L2
penalty side by side: training curves solid, validation dashed, so the gap shows."""),
    new_code_cell("""%%nbdl net wide
input 2
dense 128 relu
dense 128 relu
dense 2 softmax"""),
    new_code_cell("%nbdl compare wide --data moons --n 200 --noise 0.35 --vary \"l2=0,0.001\" --epochs 150 --lr 0.01 --seed 0"),
    new_markdown_cell("""## Every cure, one change each

`nbdl.compare` trains one run per entry: the shared base settings plus that entry's change. The
runs that differ only in numbers (L1, L2, dropout rate, patience) train together as one stacked
model; the augmented and the smaller one train after them.

The gap is measured on the final weights (for early stopping, the best epoch's weights it went back
to), in evaluation mode (dropout off): validation loss minus training loss."""),
    new_code_cell("""import nbdl

base = {"network": wide.spec, "data": "moons", "data_options": {"n": 200, "noise": 0.35},
        "lr": 0.01, "epochs": 150, "seed": 0}
cures = {
    "plain": {},
    "L1 1e-4": {"l1": 1e-4},
    "L2 1e-3": {"l2": 1e-3},
    "dropout 0.5": {"dropout": 0.5},
    "early stopping": {"early_stopping": 10},
    "noise augmentation": {"augment": "noise(0.3)"},
    "small net": {"network": "input 2\\ndense 8 relu\\ndense 2 softmax"},
}
runs = nbdl.compare(base, cures)


def gap(run):
    train, val = run.evaluate("train"), run.evaluate("val")
    return round(val["loss"] - train["loss"], 3) + 0.0, train, val  # + 0.0: no "-0.000"


gaps = {}
for name, run in runs.items():
    gaps[name], train, val = gap(run)
    print(f"{name:19s} train loss {train['loss']:.3f}  val loss {val['loss']:.3f}  gap {gaps[name]:.3f}  "
          f"val accuracy {val['accuracy']:.3f}  epochs {run.epoch}")"""),
    new_code_cell("""import matplotlib.pyplot as plt

fig, axes = plt.subplots(2, 4, figsize=(13, 6), layout="constrained")
for ax, (name, run) in zip(axes.flat, runs.items()):
    ax.plot(run.history["train_loss"], label="train")
    ax.plot(run.history["val_loss"], "--", label="validation")
    ax.set_title(f"{name}: gap {gaps[name]:.3f}", fontsize=11)
    ax.set_ylim(0, 0.45)
    ax.grid(alpha=0.3)
axes[0, 0].legend()
for ax in axes[1]:
    ax.set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("loss")
for ax in axes[0]:
    ax.set_xlabel("epoch")
bars = axes.flat[-1]
names = list(gaps)
bars.barh(names[::-1], [gaps[n] for n in names[::-1]], color=["tab:red" if n == "plain" else "tab:green" for n in names[::-1]])
bars.set_title("final gap", fontsize=11)
bars.set_xlabel("validation loss - training loss")
bars.tick_params(axis="y", labelleft=True, labelsize=9)
bars.set_ylim(-0.6, len(names) - 0.4)
bars.set_xlim(0, max(gaps.values()) * 1.1)
plt.show()"""),
    new_markdown_cell("""(The curves' training loss is recorded during training, with dropout on and noise added, so those
runs' curves wander; the gaps in the titles are measured afterwards on clean inputs.)

The plain net ends with the validation loss several times its training loss. Each cure
ends with a far smaller gap; the check below asks each of L2, dropout, early stopping and
augmentation for less than half the plain net's gap, and L1 (a small penalty here) and the small
net for less than the plain net's. A narrower gap is not by itself a better model: compare the
validation accuracies above too, and note that the validation part here is only 40 samples."""),
    new_code_cell("""for name in ["L2 1e-3", "dropout 0.5", "early stopping", "noise augmentation"]:
    assert gaps[name] < 0.5 * gaps["plain"], (name, gaps[name], gaps["plain"])
for name in ["L1 1e-4", "small net"]:
    assert gaps[name] < gaps["plain"], (name, gaps[name], gaps["plain"])
print(f"plain gap {gaps['plain']:.3f}; every cure's gap is smaller")"""),
    new_markdown_cell("""## Early stopping, close up

Early stopping with patience 10 stops ten epochs after the validation loss last improved and
goes back to the weights of that best epoch: the run trained only a fraction of the 150 epochs."""),
    new_code_cell("""stopped = runs["early stopping"]
print(f"best epoch {stopped.best_epoch}, stopped at epoch {stopped.epoch} of 150")
assert stopped.epoch < 150 and stopped.best_epoch <= stopped.epoch"""),
    new_markdown_cell("""## Try it

- Raise the L2 penalty to `1e-2` or the dropout rate to `0.8`: the gap closes further, and at some
  point the training loss rises so far that validation accuracy falls too (underfitting).
- Give the data more samples (`"n": 1000`): the plain net's gap shrinks by itself, since more data
  is the best cure of all.
- Images take the image augmentations: `augment="shift(1)"` or `"rotate(10),flip"` on
  `data="digits_images"` (see notebook 08). On 8x8 digits a one-pixel shift is a large change, and
  with a few hundred images the validation figures move a lot from one seed to the next."""),
]
