"""Notebook 05: training strategies: batch size and epochs, schedules, initialisation, the LR finder."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "05_training.ipynb"

CELLS = [
    new_markdown_cell("""# Training strategies: batch size, schedules, initialisation, the learning rate

A network's architecture is half the story; the other half is **how** it is trained:

- the **batch size** sets how many examples each gradient averages (small: many noisy steps per
  epoch; large: few precise ones), and the **epochs** how many passes over the data;
- a **schedule** changes the learning rate while training, large early and small late;
- the **initialisation** sets the first weights: in a deep network they decide whether any signal
  reaches the far end at all;
- the **learning-rate finder** picks a rate from one short test instead of guesswork.

Every run below has a fixed seed, so each figure is the same every time you run it."""),
    new_code_cell("""%load_ext nbdl
import numpy as np
import matplotlib.pyplot as plt
import nbdl
from nbdl.plots.compare import comparison_figure

NET = "input 2\\ndense 32 relu\\ndense 32 relu\\ndense 2 softmax"
base = {"network": NET, "data": "moons", "data_options": {"noise": 0.2}, "seed": 0}"""),
    new_markdown_cell("""## Batch size and epochs

The same network, plain SGD at rate 0.05, 20 epochs, with mini-batches of 8, 32, 128 and the whole
training set at once. An epoch is one pass over the data, so a smaller batch takes more steps in
the same epoch."""),
    new_code_cell("""by_batch = nbdl.compare(base | {"optimizer": "sgd", "lr": 0.05, "epochs": 20},
                        {"batch 8": {"batch_size": 8}, "batch 32": {"batch_size": 32},
                         "batch 128": {"batch_size": 128}, "whole set": {"batch_size": 1000}})
comparison_figure(by_batch)"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print("training examples:", len(by_batch["batch 8"].data.train))
for name, r in by_batch.items():
    print(f"{name:10s} {len(r.batches):3d} steps an epoch   val loss after 20 epochs {r.history['val_loss'][-1]:.3f}")
final = [r.history["val_loss"][-1] for r in by_batch.values()]
assert final[0] < final[-1] and final[1] < final[-1]"""),
    new_markdown_cell("""At the same number of epochs the small batches are far ahead: they took many more steps. A large
batch's steps are cheaper per example, though (see notebook 04 for the race by wall time), and a
larger batch usually takes a larger learning rate. Try `lr` 0.5 for the big batch."""),
    new_markdown_cell("""## Learning-rate schedules

`schedule=` changes the rate as training goes: `step(10, 0.5)` halves it every 10 epochs, `cosine`
glides it to 0 along half a cosine, `one_cycle` rises to the rate over the first 30% of the epochs
and then falls far below it (Smith's one cycle). The rate of every epoch is in the run's history."""),
    new_code_cell("""schedules = nbdl.compare(base | {"optimizer": "momentum", "lr": 0.05, "epochs": 30, "batch_size": 32},
                         {s: {"schedule": s} for s in ("none", "step(10, 0.5)", "cosine", "one_cycle")})
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
for name, r in schedules.items():
    epochs = np.arange(1, r.epoch + 1)
    left.plot(epochs, r.history["lr"], label=name)
    right.plot(epochs, r.history["val_loss"], label=name)
left.set(xlabel="epoch", ylabel="learning rate", title="the rate"); left.legend()
right.set(xlabel="epoch", ylabel="validation loss", title="the validation loss", yscale="log"); right.legend()
plt.show()
schedules"""),
    new_markdown_cell("""Measured honestly: on this small, easy problem at a modest rate the constant rate ends lowest, and
one cycle's slow start costs it the early epochs. A schedule is no free win; it is a tool for a
rate high enough that the loss bounces at the end. Try `"lr": 0.3` in the cell above and compare."""),
    new_markdown_cell("""## Initialisation: a 30-layer ReLU network (He et al. 2015)

A ReLU passes on only the positive half of its input, so it halves the signal's variance.
**Xavier** initialisation (Glorot and Bengio 2010) sizes the weights to keep the variance for tanh
and sigmoid, which do not halve it; through 30 ReLU layers the signal then shrinks by about
2³⁰ in variance. **Kaiming** (He) initialisation doubles the weights' variance to make up for it.

`%nbdl inspect` builds the network fresh with each initialisation and measures one batch through it,
before any training: the spread of every layer's activations and the gradient each layer gets."""),
    new_code_cell("""DEEP = "input 2\\n" + "dense 32 relu\\n" * 30 + "dense 2 softmax"
deep = nbdl.build(DEEP)   # 30 hidden ReLU layers of 32 units"""),
    new_code_cell("""%nbdl inspect deep --data moons --init xavier,kaiming"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
signal = nbdl.inspect(DEEP, "moons", init="xavier,kaiming", seed=0)
for init in ("xavier", "kaiming"):
    std = signal[init].figures["act_std"]
    print(f"{init:8s} activation std: first layer {std[0]:.2g}, last {std[-1]:.2g}")
assert signal["xavier"].figures["act_std"][-1] < 1e-4 < 0.1 < signal["kaiming"].figures["act_std"][-1]"""),
    new_markdown_cell("""Now train both for 15 epochs, same seed, same data, SGD with momentum at 0.01. Only the first
weights differ."""),
    new_code_cell("""inits = nbdl.compare(base | {"network": DEEP, "optimizer": "momentum", "lr": 0.01, "epochs": 15},
                     {name: {"init": name} for name in ("xavier", "kaiming")})
comparison_figure(inits)"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
for name, r in inits.items():
    print(f"{name:8s} train loss {r.history['train_loss'][0]:.3f} -> {r.history['train_loss'][-1]:.3f}, "
          f"val accuracy {r.history['val_acc'][-1]:.2f}")
xavier, kaiming = inits["xavier"].history, inits["kaiming"].history
assert abs(xavier["train_loss"][-1] - np.log(2)) < 0.01    # stalled at chance: the loss of a coin flip
assert max(xavier["val_acc"]) <= 0.6
assert kaiming["train_loss"][-1] < 0.45 and kaiming["val_acc"][-1] > 0.85"""),
    new_markdown_cell("""With Xavier the 30-layer network sits at ln 2 ≈ 0.693, the loss of guessing, for all 15 epochs:
almost no signal reaches the output, so it answers the same for every input, and the first layers'
gradients are some 10,000 times smaller than with Kaiming (the right-hand picture above). With Kaiming
the same network trains. (A shallow network forgives either; depth is what makes the choice matter.)"""),
    new_markdown_cell("""## Finding a learning rate

`run.lr_find()` runs Smith's range test: from the run's current weights it trains on mini-batches
while the rate grows from 1e-7 to 10, and suggests a tenth of the rate where the smoothed loss is
lowest. It refuses to suggest when the curve cannot be trusted. The run is left exactly as it was."""),
    new_code_cell("""run = nbdl.Run(nbdl.Config(network=NET, data="moons", data_options={"noise": 0.2}, optimizer="sgd", seed=0))
found = run.lr_find()
print(found.summary())
from nbdl.plots.lr_find import lr_find_figure
lr_find_figure(found)"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
assert found.suggestion is not None and 1e-4 < found.suggestion < 1
assert run.epoch == 0   # the test left the run untrained
print("suggested", found.flag)"""),
    new_markdown_cell("""Train with the suggestion, with the one-cycle schedule, and compare with a rate 100 times smaller.
In a cell, `%nbdl lr-find net --data moons --optimizer sgd` does the same test and draws it."""),
    new_code_cell("""tuned = nbdl.compare(base | {"optimizer": "sgd", "epochs": 20, "batch_size": 32, "schedule": "one_cycle"},
                     {"suggested": {"lr": found.suggestion}, "suggested / 100": {"lr": found.suggestion / 100}})
for name, r in tuned.items():
    print(f"{name:16s} val loss {r.history['val_loss'][-1]:.3f}, val accuracy {r.history['val_acc'][-1]:.2f}")
assert tuned["suggested"].history["val_loss"][-1] < tuned["suggested / 100"].history["val_loss"][-1]"""),
]
