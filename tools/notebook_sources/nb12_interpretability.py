"""Notebook 12: interpretability and the coach: what a classifier gets wrong, what it looks at, and
what goes wrong inside a network while it trains."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "12_interpretability.ipynb"

CELLS = [
    new_markdown_cell("""# Seeing inside: interpretability and the coach

A trained network is a pile of numbers, and its accuracy is one number about all of them. This
notebook looks closer in two ways:

1. **What a classifier gets wrong and what it looks at**: the confusion matrix, each class's
   accuracy, the examples it is most sure of and wrong about, and *attributions*, which say how
   much each pixel moved the network's answer (saliency and integrated gradients, through captum).
2. **What goes wrong inside while it trains**: per-layer instruments (gradient norms, dead and
   saturated units) and a coach that reads them and says, in plain words, what to try."""),
    new_code_cell("%load_ext nbdl"),
    new_markdown_cell("""## 1. What a digits classifier gets wrong

A small convolutional network on the 8x8 handwritten digits, trained for three epochs: good, not
perfect, so there are mistakes to look at."""),
    new_code_cell("""import numpy as np
import torch
import nbdl

run = nbdl.train("conv 8 3 relu\\nmaxpool 2\\nflatten\\ndense 10 softmax", data="digits_images",
                 epochs=3, lr=0.01, seed=0)
run.evaluate("test")"""),
    new_markdown_cell("""`%nbdl interpret` draws the confusion matrix (rows the true digit, columns the predicted one)
beside each digit's accuracy, then the most confidently wrong test images; for each, its top three
classes, its **saliency** (the size of the gradient of the predicted class's score with respect to
each pixel) and its **integrated gradients** (the gradient averaged along the straight path from a
black image to this one, times the change of each pixel: the attributions add up to the score's
change from the black image)."""),
    new_code_cell("%nbdl interpret run --count 6 --attributions saliency,integrated_gradients"),
    new_markdown_cell("""The same in Python, with the numbers: `run.interpret()` gives the matrix, the per-class
accuracy and the mistakes; `run.attributions()` the per-pixel values."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
found = run.interpret(split="test", count=6)
print(f"test accuracy {found.accuracy:.3f}")
print("accuracy per digit:", {digit: round(float(a), 2) for digit, a in enumerate(found.per_class_accuracy)})
worst = int(np.nanargmin(found.per_class_accuracy))
confused = int(np.argsort(found.confusion[worst])[-2])   # the largest entry off the diagonal
print(f"hardest digit: {worst}, most often taken for a {confused}")
for m in found.mistakes:
    print(f"  a {m.true} read as a {m.predicted} with confidence {m.confidence:.2f}")"""),
    new_code_cell("""# The matrix agrees with the accuracy: its diagonal over its total.
confusion = found.confusion
assert np.isclose(np.trace(confusion) / confusion.sum(), found.accuracy)
assert np.allclose(np.diag(confusion) / confusion.sum(axis=1), found.per_class_accuracy)
# The mistakes shown are wrong, and sorted from the most confident down.
assert all(m.true != m.predicted for m in found.mistakes)
assert [m.confidence for m in found.mistakes] == sorted((m.confidence for m in found.mistakes), reverse=True)"""),
    new_markdown_cell("""### Do the attributions point at pixels that matter?

Two checks with plain torch. Integrated gradients should add up to the score's change from the
black image to the digit (its *completeness*). And if the pixels it ranks highest really carry the
answer, blacking out those 8 pixels (of 64) should lower the predicted class's score far more than
blacking out 8 pixels picked at random."""),
    new_code_cell("""indices = np.arange(40)            # the first 40 test digits
ig = run.attributions(indices=indices, method="integrated_gradients")
x = torch.tensor(ig.inputs, dtype=torch.float32)

def score(raw):
    \"\"\"The predicted class's score (logit) for raw images, as the network sees them (standardized).\"\"\"
    with torch.no_grad():
        logits = run.logits((raw - torch.as_tensor(run.data.mean)) / torch.as_tensor(run.data.std))
    return logits[torch.arange(len(raw)), torch.as_tensor(ig.target)].numpy()

completeness = ig.values.reshape(len(x), -1).sum(axis=1) - (score(x) - score(torch.zeros_like(x)))
flat = x.reshape(len(x), -1)
top = np.argsort(-ig.values.reshape(len(x), -1), axis=1)[:, :8]
random = np.random.default_rng(0).permuted(np.tile(np.arange(64), (len(x), 1)), axis=1)[:, :8]

def blacked(where):
    out = flat.clone()
    out[np.arange(len(x))[:, None], where] = 0.0
    return out.reshape(x.shape)

drop_top = (score(x) - score(blacked(top))).mean()
drop_random = (score(x) - score(blacked(random))).mean()
print(f"integrated gradients: largest completeness error {np.abs(completeness).max():.3f} "
      f"(scores change by {np.abs(score(x) - score(torch.zeros_like(x))).mean():.1f} on average)")
print(f"blacking out 8 pixels lowers the predicted score by {drop_top:.2f} (the top-ranked ones) "
      f"and by {drop_random:.2f} (random ones)")"""),
    new_code_cell("""assert np.abs(completeness).max() < 0.05 * np.abs(score(x) - score(torch.zeros_like(x))).mean()
assert drop_top > 3 * drop_random, (drop_top, drop_random)"""),
    new_markdown_cell("""The pixels integrated gradients ranks highest carry the answer: removing them costs the
predicted class several times what removing as many random pixels costs. Attributions are a
*local* explanation (this image, this class); they say where the network looked, not why.

## 2. The instruments and the coach

`--diagnostics` records, for every layer at every epoch, the gradient norm, weight norm,
update-to-weight ratio, activation mean and spread, the share of dead ReLU units and of saturated
sigmoid/tanh units. The live picture draws them as a layer-by-epoch heat map beside the loss, and
the **coach** reads them after each epoch and says once what goes wrong, with the figure behind it
and what to try.

A deep stack of sigmoid layers is the textbook case (Glorot and Bengio 2010): the sigmoid's slope is
at most 1/4, so the gradient shrinks layer after layer on its way back to the input."""),
    new_code_cell("%%nbdl net deep_sigmoid\ninput 2\n" + "dense 32 sigmoid\n" * 10 + "dense 2 softmax"),
    new_code_cell("%nbdl train deep_sigmoid --data moons --epochs 3 --diagnostics --seed 0 --as sigmoid_run"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
deep_relu = "input 2\\n" + "dense 32 relu\\n" * 10 + "dense 2 softmax"
relu_run = nbdl.train(deep_relu, "moons", epochs=3, diagnostics=True, init="kaiming", seed=0)
for name, r in [("sigmoid", sigmoid_run), ("relu + kaiming", relu_run)]:
    grads = r.instruments.figures["grad_norm"][-1]   # per layer, input side first
    print(f"{name:15s} last layer's gradient / first layer's: {grads[-1] / grads[0]:.0e}")
print()
note = sigmoid_run.notes[0]
print(f"the coach on the sigmoid net (said once, at epoch {note.epoch}: its figure is from that epoch, not the last):")
print("  " + note.message)
print("  figure:", sigmoid_run.notes[0].figure)
print("  try:", sigmoid_run.notes[0].advice)
print("the coach on the ReLU net:", [note.kind for note in relu_run.notes] or "nothing to say")"""),
    new_code_cell("""sigmoid_grads = sigmoid_run.instruments.figures["grad_norm"][-1]
relu_grads = relu_run.instruments.figures["grad_norm"][-1]
assert sigmoid_grads[-1] / sigmoid_grads[0] > 1e4        # orders of magnitude
assert relu_grads[-1] / relu_grads[0] < 1e2              # ReLU with Kaiming: no vanishing
assert sigmoid_run.notes[0].kind == "vanishing"
assert "vanishing" not in [note.kind for note in relu_run.notes]"""),
    new_markdown_cell("""### Dying ReLUs

A learning rate far too high throws ReLU units to where they never fire again: a unit whose input is
below zero for every sample gets no gradient and stays dead. Leaky ReLU and ELU keep a slope below
zero, so their units can come back. Adam at 0.3, four layers of 32 units:"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
dead = {}
for act in ["relu", "leaky_relu", "elu"]:
    r = nbdl.train("input 2\\n" + f"dense 32 {act}\\n" * 4 + "dense 2 softmax", "moons", epochs=15,
                   optimizer="adam", lr=0.3, diagnostics=True, seed=0)
    dead[act] = float(np.nanmean(r.instruments.figures["dead"][-1]))   # the output layer has none: NaN
    said = [note.message.split(":")[0] for note in r.notes]
    print(f"{act:10s} dead units {dead[act]:.0%}   val accuracy {r.history['val_acc'][-1]:.2f}   coach: {said or 'nothing'}")"""),
    new_code_cell("""assert dead["relu"] > 0.5
assert dead["leaky_relu"] < dead["relu"] - 0.2 and dead["elu"] < dead["relu"] - 0.2"""),
    new_markdown_cell("""### Before training: the signal through depth

`%nbdl inspect` sends one batch through a *fresh* network and draws each layer's activation spread
and gradient norm, for each initialisation. In a 30-layer ReLU network, Xavier's weights halve the
signal's variance at every layer, so it fades to almost nothing; Kaiming's (He et al. 2015) are
scaled for ReLU and keep it near 1 through every hidden layer."""),
    new_code_cell("""thirty = "input 2\\n" + "dense 64 relu\\n" * 30 + "dense 2 softmax"   # a network's text form in a variable
%nbdl inspect thirty --data moons --init xavier,kaiming"""),
    new_markdown_cell("""What to try next: put a `batchnorm` line between the sigmoid layers and see what the coach
says then; train the deep sigmoid net for more epochs with `--diagnostics`
and look at the saturated share; or open `%nbdl dashboard` and turn on the diagnostics switch under
"Other" in the middle of a run."""),
]
