"""Notebook 03: backpropagation written by hand beside torch's autograd."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "03_backprop.ipynb"

CELLS = [
    new_markdown_cell("""# Backpropagation by hand, beside autograd

Training needs the derivative of the loss by every weight. Backpropagation gets all of them in one
pass backwards through the network, by the chain rule:

- **forward**, each dense layer computes `z = W a_prev + b` and `a = f(z)`, keeping `z` and `a`;
- **the error at the output**: for a softmax output with cross-entropy loss the two derivatives
  collapse into `delta = (p - y) / N` (p the probabilities, y the one-hot targets, N the samples);
- **backward**, layer by layer: `dW = delta^T a_prev`, `db = delta` summed over the samples, and the
  delta of the layer below is `(delta W) * f'(z_below)`: what comes back from above times the
  local derivative of the activation.

PyTorch's autograd does exactly this, recorded from the forward pass. Here we write it out in a few
lines of numpy and check that it gives the same numbers."""),
    new_code_cell("""import numpy as np
import torch
import nbdl

run = nbdl.train("input 2\\ndense 8 tanh\\ndense 3 softmax", "blobs", data_options={"classes": 3},
                 epochs=3, seed=0)
run.model"""),
    new_markdown_cell("""## The chain rule in numpy

The network's weights after three epochs, in float64, and 16 training samples. Forward, the loss,
then backward: every line is one of the formulas above."""),
    new_code_cell("""hidden, output = run.model.layers[0].linear, run.model.layers[1].linear
W1, b1, W2, b2 = [p.detach().double().numpy() for p in (hidden.weight, hidden.bias, output.weight, output.bias)]
X = run.data.train.X[:16].double().numpy()      # (16 samples, 2 inputs), standardized
y = run.data.train.y[:16].numpy()               # class indices
N = len(X)

def backprop(W1, b1, W2, b2, X, y, tanh_slope=lambda a: 1 - a ** 2):
    # forward
    z1 = X @ W1.T + b1                          # (16, 8)
    a1 = np.tanh(z1)
    z2 = a1 @ W2.T + b2                         # (16, 3) the scores
    p = np.exp(z2 - z2.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)           # softmax
    loss = -np.log(p[np.arange(len(y)), y]).mean()
    # backward
    delta2 = (p - np.eye(3)[y]) / len(y)        # softmax + cross-entropy
    dW2, db2 = delta2.T @ a1, delta2.sum(axis=0)
    delta1 = (delta2 @ W2) * tanh_slope(a1)     # tanh'(z) = 1 - tanh(z)^2
    dW1, db1 = delta1.T @ X, delta1.sum(axis=0)
    return loss, [dW1, db1, dW2, db2]

loss, by_hand = backprop(W1, b1, W2, b2, X, y)
print(f"loss by hand {loss:.10f}")"""),
    new_markdown_cell("""## The same by autograd

The same weights as torch tensors that record what is done to them, the loss by torch's own
cross-entropy, and `torch.autograd.grad` for its derivatives."""),
    new_code_cell("""parameters = [torch.tensor(w, requires_grad=True) for w in (W1, b1, W2, b2)]
scores = torch.tanh(torch.tensor(X) @ parameters[0].T + parameters[1]) @ parameters[2].T + parameters[3]
automatic_loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
automatic = [g.numpy() for g in torch.autograd.grad(automatic_loss, parameters)]

names = ["dW1", "db1", "dW2", "db2"]
for name, hand, auto in zip(names, by_hand, automatic):
    print(f"{name}: shape {str(hand.shape):7s} norm {np.linalg.norm(hand):.6f}   "
          f"largest |hand - autograd| {np.abs(hand - auto).max():.1e}")"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
largest64 = max(np.abs(h - a).max() for h, a in zip(by_hand, automatic))
assert abs(loss - automatic_loss.item()) < 1e-12
assert largest64 < 1e-12                 # float64 rounding: its epsilon is 2.2e-16
print("float64: hand and autograd agree to", "below 1e-12" if largest64 < 1e-12 else largest64)"""),
    new_markdown_cell("""In float32, the precision the network trains in, the two agree to float32's rounding instead
(its epsilon is 1.2e-7): the same computation, done in a different order, rounds differently."""),
    new_code_cell("""_, hand32 = backprop(*[w.astype(np.float32) for w in (W1, b1, W2, b2, X)], y)
parameters32 = [torch.tensor(w, dtype=torch.float32, requires_grad=True) for w in (W1, b1, W2, b2)]
scores32 = torch.tanh(torch.tensor(X, dtype=torch.float32) @ parameters32[0].T + parameters32[1]) @ parameters32[2].T + parameters32[3]
automatic32 = [g.numpy() for g in torch.autograd.grad(torch.nn.functional.cross_entropy(scores32, torch.tensor(y)), parameters32)]
largest32 = max(np.abs(h - a).max() for h, a in zip(hand32, automatic32))
scale = max(np.abs(a).max() for a in automatic32)
print(f"float32: largest |hand - autograd| {largest32:.1e}, largest gradient entry {scale:.2f}")"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
assert largest32 < 1e-6 * scale          # a few float32 epsilons of the gradients' size
print("float32: they agree to a few float32 epsilons")"""),
    new_markdown_cell("""Every entry, hand against autograd: on the diagonal. Right, how far apart they are in float64 and
float32, entry by entry (log scale); the dashed lines are each precision's epsilon."""),
    new_code_cell("""import matplotlib.pyplot as plt

hand_all, auto_all = np.concatenate([h.ravel() for h in by_hand]), np.concatenate([a.ravel() for a in automatic])
gap64 = np.abs(hand_all - auto_all)
gap32 = np.concatenate([np.abs(h - a).ravel() for h, a in zip(hand32, automatic32)])
fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8), layout="constrained")
left.scatter(auto_all, hand_all, s=14)
low, high = auto_all.min(), auto_all.max()
left.plot([low, high], [low, high], color="gray", linewidth=1, linestyle=":")
left.set(xlabel="gradient entry by autograd", ylabel="by hand", title=f"All {hand_all.size} entries")
tiny = 1e-20  # exact agreement (a gap of 0) drawn at the bottom
right.semilogy(np.maximum(gap64, tiny), "o", markersize=3, label="float64")
right.semilogy(np.maximum(gap32, tiny), "s", markersize=3, label="float32")
right.axhline(np.finfo(np.float64).eps, color="C0", linestyle="--", linewidth=1, label="float64 epsilon")
right.axhline(np.finfo(np.float32).eps, color="C1", linestyle="--", linewidth=1, label="float32 epsilon")
right.set(xlabel="entry (dW1, db1, dW2, db2)", ylabel="|hand - autograd|", ylim=(tiny / 3, 1e-3),
          title="How far apart (0 drawn at 1e-20)")
right.legend(loc="center", ncol=2, fontsize=9)
plt.show()"""),
    new_markdown_cell("""## A wrong derivative is caught

Comparing with autograd is how a hand-written gradient is tested. Put sigmoid's slope `a (1 - a)`
in place of tanh's `1 - a^2`: the loss is unchanged (forward is still right) but the first layer's
gradients are now far off, while the output layer's, computed before the mistake, still agree."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
_, wrong = backprop(W1, b1, W2, b2, X, y, tanh_slope=lambda a: a * (1 - a))
gaps = {name: np.abs(h - a).max() for name, h, a in zip(names, wrong, automatic)}
print({name: f"{gap:.0e}" if gap > 1e-12 else "below 1e-12" for name, gap in gaps.items()})
assert gaps["dW1"] > 1e-3 and gaps["dW2"] < 1e-12"""),
    new_markdown_cell("""## nbdl's backprop explorer

`nbdl.gradient_check(run)` does all of this for any small network of dense layers and any of nbdl's
activations and losses, with the run's own L1/L2 penalty: the chain rule in numpy (float64),
autograd, and a third, independent reference, central finite differences
`(L(w + h) - L(w - h)) / 2h` for every parameter. In a notebook it shows one row per layer: the
forward values `z` and `a`, the local derivative `f'(z)`, the size of the delta coming back, the
gradients by each method and how far apart they are. Here a deeper network with three different
activations, after a few epochs:"""),
    new_code_cell("""deeper = nbdl.train("input 2\\ndense 8 tanh\\ndense 8 relu\\ndense 6 elu\\ndense 2 softmax", "moons",
                    epochs=3, seed=0, l2=1e-3)
check = nbdl.gradient_check(deeper, samples=16)
check"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(f"checked {check.checked} of {check.parameters} parameters on {check.samples} samples: passed {check.passed}")
assert check.passed
assert check.largest_difference < 1e-12        # hand vs autograd: float64 rounding
assert check.largest_finite_difference < 1e-6  # finite differences: accurate to about h^2 and rounding / h"""),
    new_markdown_cell("""Per layer, the gradient norm by each method (they coincide) and the largest differences. The
finite differences are the least precise of the three: their step `h = 1e-6` trades truncation
error (`h^2`) against rounding (`1e-16 / h`)."""),
    new_code_cell("""labels = [row.layer for row in check.rows]
at = np.arange(len(labels))
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
for offset, (method, norms) in zip([-0.27, 0, 0.27], [("by hand", [r.hand[0] for r in check.rows]),
                                                    ("autograd", [r.autograd[0] for r in check.rows]),
                                                    ("finite differences", [r.finite[0] for r in check.rows])]):
    left.bar(at + offset, norms, width=0.27, label=method)
left.set(xticks=at, ylabel="norm of dW", title="Weight gradient per layer")
left.set_xticklabels(labels, rotation=20, ha="right")
left.legend(fontsize=9)
for offset, (what, gaps) in zip([-0.2, 0.2], [("hand vs autograd", [r.hand_vs_autograd for r in check.rows]),
                                            ("hand vs finite differences", [r.hand_vs_finite for r in check.rows])]):
    right.bar(at + offset, np.maximum(gaps, 1e-20), width=0.4, label=what)
right.set(xticks=at, yscale="log", ylim=(1e-20, 1e-4), ylabel="largest difference", title="How far apart")
right.set_xticklabels(labels, rotation=20, ha="right")
right.legend(fontsize=9, loc="upper left")
plt.show()"""),
    new_markdown_cell("""The same from a magic, on a network from `%%nbdl net`: by default on its first weights (the
gradients of training's first step); `--epochs 3` trains first, `--samples` sets the batch."""),
    new_code_cell("%load_ext nbdl"),
    new_code_cell("""%%nbdl net small
input 2
dense 6 sigmoid
dense 2 softmax"""),
    new_code_cell("%nbdl backprop small --data moons --samples 8 --as small_check"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
assert small_check.passed and small_check.largest_difference < 1e-12
print(small_check.rows[0].layer, "and", small_check.rows[1].layer, "- hand and autograd agree:", small_check.passed)"""),
]
