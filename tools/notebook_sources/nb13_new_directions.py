"""Notebook 13: new directions: GELU and Swish, adversarial examples and training, meta-learning."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "13_new_directions.ipynb"

CELLS = [
    new_markdown_cell("""# New directions: smooth activations, adversarial examples, learning to learn

Three ideas from the last decade, each tried here in a few seconds on a CPU:

1. **GELU and Swish**, smooth cousins of ReLU that newer architectures (transformers) use.
2. **Adversarial examples**: a tiny, deliberate change to an input that flips a classifier's answer,
   and **adversarial training**, which trains on such changed inputs (Goodfellow et al. 2014).
3. **Meta-learning**: learning weights that adapt to a *new* task from a handful of examples in one
   gradient step, with MAML (Finn et al. 2017)."""),
    new_code_cell("%load_ext nbdl"),
    new_markdown_cell("""## 1. GELU and Swish against ReLU

ReLU is `max(0, x)`: its slope jumps from 0 to 1 at zero, and a unit stuck below zero gets no
gradient. GELU (`x` times the chance a standard normal is below `x`) and Swish (`x * sigmoid(x)`)
bend smoothly through zero and let a little negative signal through. Here each function (solid)
with its derivative (dashed); `%nbdl activations` opens the explorer with all of them."""),
    new_code_cell("""from IPython.display import Image
import nbdl
from nbdl.plots.activations import activation_figure
from nbdl.plots.render import figure_png

Image(figure_png(activation_figure(nbdl.activation_curves(only="relu,gelu,swish", low=-4, high=4))))"""),
    new_markdown_cell("""Do they train better? The same network, four hidden layers of 16 units, on the spiral data,
with three seeds per activation so the difference between activations can be set beside the
difference between seeds. Change `layers`, `data` or `epochs` and run it again."""),
    new_code_cell("""import matplotlib.pyplot as plt
import numpy as np

layers, data, epochs = 4, "spiral", 60
activations, seeds = ["relu", "gelu", "swish"], [0, 1, 2]
runs = {(act, seed): nbdl.train("input 2\\n" + f"dense 16 {act}\\n" * layers + "dense 2 softmax",
                                data=data, epochs=epochs, lr=0.01, seed=seed)
        for act in activations for seed in seeds}

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
for color, act in zip(["C0", "C1", "C2"], activations):
    for seed in seeds:
        ax.plot(runs[act, seed].history["val_loss"], color=color, alpha=0.8, label=act if seed == 0 else None)
ax.set(xlabel="epoch", ylabel="validation loss", yscale="log", title=f"{layers} x 16 units on {data}, 3 seeds each")
ax.legend()
plt.show()
final = {act: np.array([runs[act, s].evaluate("test")["accuracy"] for s in seeds]) for act in activations}
for act, accuracy in final.items():
    print(f"{act:6s} test accuracy by seed {np.round(accuracy, 3)}   mean {accuracy.mean():.3f}")"""),
    new_code_cell("""# All three learn the spiral; on a problem this small the activation matters about as much as the seed.
means = [accuracy.mean() for accuracy in final.values()]
assert min(means) > 0.9, means
assert max(means) - min(means) < 0.05, means"""),
    new_markdown_cell("""On a small task like this one, GELU and Swish are no better than ReLU: the three means lie
within a few points, about as far apart as two seeds of one activation. Their advantages reported
in the literature come from deep, large networks (transformers, large image models), where the
smooth slope near zero helps optimisation; the lesson for a small problem is that ReLU is a fine
default and the smooth variants are safe to try.

## 2. Adversarial examples

The **fast gradient sign method** (FGSM) moves every input value by `eps` in the direction that
raises the loss most: `x + eps * sign(grad_x loss)`. On the 8x8 `digits` (pixels 0-16) a change of
one or two intensity levels per pixel, which a person barely notices, is enough to fool a network.
**Adversarial training** (`adversarial="fgsm(EPS)"`) trains on batches that are half clean and half
attacked with FGSM at that eps."""),
    new_code_cell("""network = "input 64\\ndense 64 relu\\ndense 10 softmax"
plain = nbdl.train(network, data="digits", epochs=10, seed=0)
robust = nbdl.train(network, data="digits", epochs=10, seed=0, adversarial="fgsm(2)")
print(f"robust run's last epoch: val accuracy {robust.history['val_acc'][-1]:.3f}, "
      f"under FGSM at eps 2 {robust.history['val_robust_acc'][-1]:.3f}")"""),
    new_markdown_cell("""`%nbdl attack` attacks both runs on the test part at several eps (in pixel units) and draws
accuracy against eps, then examples: the clean digit, the change, the changed digit and what the
network now says. The results are stored in `attacked`."""),
    new_code_cell("%nbdl attack plain robust --method fgsm --eps 0.5,1,2,4"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
broken, kept = attacked["plain fgsm"].by_eps(), attacked["robust fgsm"].by_eps()
for eps in broken:
    print(f"eps {eps:3g}: plain {broken[eps]:.3f}   adversarially trained {kept[eps]:.3f}")"""),
    new_code_cell("""# FGSM breaks the plain classifier: from over 90% clean to under 25% at eps 1 and 2.
assert broken[0.0] > 0.9 and broken[1.0] < 0.25 and broken[2.0] < 0.15, broken
# Adversarial training restores much of it: at eps 1 and 2 it keeps most of its accuracy,
assert kept[1.0] > 0.75 and kept[2.0] > 0.6, kept
assert kept[2.0] - broken[2.0] > 0.5
# at a small price in clean accuracy.
assert broken[0.0] - kept[0.0] < 0.05"""),
    new_markdown_cell("""FGSM takes the plain network from 93% to 19% at eps 1 and to 9% at eps 2 (chance is 10%).
Trained against FGSM at eps 2, the same network keeps 82% and 70%, for about two points of clean
accuracy. This is robustness against *this* attack: projected gradient descent, which takes several
smaller steps, still breaks the FGSM-trained network. Try it:
`%nbdl attack robust --method fgsm,pgd --eps 1,2`.

## 3. Meta-learning: MAML on sinusoids

Each *task* is a sine wave `A sin(x - phase)` with its own amplitude (0.1 to 5) and phase
(0 to pi); the network sees only K = 10 points of a new one. **MAML** trains the starting weights so
that one SGD step on those 10 points fits the new wave. The baseline, **joint pretraining**, trains
one network on points from all tasks mixed together: it learns the average wave (about zero), and
one step from there barely moves it.

`%nbdl meta` trains MAML and, with the same network, tasks, seed and number of iterations, the
pretrained baseline, then draws the paper's figure for one new task: the true curve, the 10 shots,
and each network before adapting and after 1 and 10 steps."""),
    new_code_cell("""%%nbdl net sine
input 1
dense 40 relu
dense 40 relu
dense 1"""),
    new_code_cell("%nbdl meta sine --tasks sinusoid --method maml --shots 10 --inner-steps 1 --inner-lr 0.01 --iterations 2000 --seed 0"),
    new_markdown_cell("""The runs are stored as `meta` (MAML) and `meta_baseline` (pretrained). `evaluate_tasks` scores
each on 100 new tasks it never saw: the mean squared error on the new wave after 0, 1 and 10 SGD
steps on its 10 shots."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
maml = meta.evaluate_tasks(n=100, shots=10, steps=(0, 1, 10))
joint = meta_baseline.evaluate_tasks(n=100, shots=10, steps=(0, 1, 10))
for name, scores in [("MAML", maml), ("pretrained", joint)]:
    print(f"{name:10s} MSE before {scores[0]:.2f}, after 1 step {scores[1]:.2f}, after 10 steps {scores[10]:.2f}")"""),
    new_code_cell("""# Before adapting both are as poor as predicting zero (the mean of the tasks).
assert maml[0] > 2.5 and joint[0] > 2.5
# One step takes MAML to a third of its error; the pretrained network barely moves.
assert maml[1] < 0.4 * maml[0], maml
assert joint[1] > 0.8 * joint[0], joint
assert maml[1] < 0.5 * joint[1]
# Ten steps of MAML beat ten steps of the baseline by far.
assert maml[10] < 0.5 * joint[10]"""),
    new_markdown_cell("""MAML's one step cuts the error on a new wave from about 3.2 to about 1.0 (and to 0.4 after ten
steps); the same step from the pretrained weights leaves it near 2.9. What MAML learned is not a
wave but a starting point from which any of these waves is one step away.

To go further: `--method reptile` (a first-order method that only moves the weights toward each
task's adapted ones), `--first-order` for MAML without second derivatives, or `--tasks digits` for
few-shot classification of digits held out of meta-training."""),
]
