"""Notebook 02: activation functions, vanishing gradients, dying ReLUs and softmax outputs."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "02_activations.ipynb"

CELLS = [
    new_markdown_cell("""# Activation functions

Each unit weighs its inputs, adds a bias and passes the sum through an **activation function**.
Without it a stack of layers is one linear map, however deep; with it the network can bend.
The choice matters for training too: backpropagation multiplies the activation's **derivative**
into the gradient at every layer, so where the derivative is small (sigmoid and tanh at their flat
ends) or zero (ReLU below 0), the gradient fades or stops.

This notebook draws the activations, then shows three things happening: gradients vanishing in a
deep sigmoid network, ReLU units dying at a huge learning rate, and softmax turning scores into
probabilities."""),
    new_code_cell("%load_ext nbdl"),
    new_markdown_cell("""## The explorer

Every activation with its derivative: value solid, derivative dashed (computed by autograd). The
red bands are where sigmoid and tanh saturate (the derivative below 5% of its peak); the hatched
side is where ReLU's derivative is exactly 0. The sliders set leaky ReLU's slope and ELU's alpha
(they move only in a running notebook)."""),
    new_code_cell("%nbdl activations --slope 0.1 --only sigmoid,tanh,relu,leaky_relu,elu,softmax"),
    new_markdown_cell("""The same picture without widgets, and the numbers behind it: `nbdl.activation_curves` gives each
curve's values and derivatives. Sigmoid's slope is at most 1/4, so ten sigmoid layers multiply the
gradient by at most (1/4)^10, about 1e-6, before the weights are even counted. Tanh's peak slope is 1,
ReLU's is 1 on its whole positive side."""),
    new_code_cell("""import nbdl
from nbdl.plots.activations import activation_figure

curves = nbdl.activation_curves(slope=0.1, only="sigmoid,tanh,relu,leaky_relu,elu,softmax")
display(activation_figure(curves))
for name in ["sigmoid", "tanh", "relu", "leaky_relu", "elu"]:
    print(f"{name:10s} largest slope {curves[name].derivative.max():.3f}   "
          f"saturates on {[(round(a, 1), round(b, 1)) for a, b in curves[name].saturated]}")"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
peak = curves["sigmoid"].derivative.max()
assert abs(peak - 0.25) < 1e-3 and abs(curves["tanh"].derivative.max() - 1) < 1e-3
print(f"sigmoid's slope peaks at {peak:.3f}; ten layers: at most {peak ** 10:.1e}")"""),
    new_markdown_cell("""## Vanishing gradients (Glorot and Bengio 2010)

Ten dense layers of 32 sigmoid units on the two moons, with per-layer instruments switched on
(`--diagnostics`). The instruments record each layer's gradient norm at every epoch end: the heat
map on the left of the picture has the input side at the top. Watch it go dark toward the input."""),
    new_code_cell("""%%nbdl net deep_sigmoid
input 2
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 32 sigmoid
dense 2 softmax"""),
    new_code_cell("%nbdl train deep_sigmoid --data moons --epochs 2 --diagnostics --seed 0 --as sigmoid_run"),
    new_markdown_cell("""The same depth with ReLU and Kaiming (He) initialisation, whose weights are scaled so each
layer's output keeps the spread of its input. Built from text in Python this time: the network
text is the same, with `relu` in place of `sigmoid`."""),
    new_code_cell("""deep = lambda activation: "input 2\\n" + f"dense 32 {activation}\\n" * 10 + "dense 2 softmax"
relu_run = nbdl.train(deep("relu"), "moons", epochs=2, seed=0, diagnostics=True, init="kaiming")

import matplotlib.pyplot as plt

sigmoid_grads = sigmoid_run.instruments.figures["grad_norm"][-1]  # per layer, input side first
relu_grads = relu_run.instruments.figures["grad_norm"][-1]
layers = range(1, len(sigmoid_grads) + 1)
plt.figure(figsize=(6.5, 3.6))
plt.semilogy(layers, sigmoid_grads, "o-", label="sigmoid, default initialisation")
plt.semilogy(layers, relu_grads, "s-", label="ReLU, Kaiming initialisation")
plt.xlabel("layer (1 = next to the input, 11 = output)"); plt.ylabel("gradient norm (log scale)")
plt.xticks(list(layers)); plt.legend(); plt.grid(alpha=0.3)
plt.title("Gradient norm per layer after 2 epochs")
plt.show()"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
sigmoid_ratio = sigmoid_grads[0] / sigmoid_grads[-1]
relu_ratio = relu_grads[0] / relu_grads[-1]
print(f"sigmoid: first layer's gradient / last layer's = {sigmoid_ratio:.0e}")
print(f"ReLU + Kaiming:                              = {relu_ratio:.2f}")
assert sigmoid_ratio < 1e-4   # orders of magnitude below
assert relu_ratio > 0.1       # the same order as the last layer"""),
    new_markdown_cell("""The sigmoid network stays at chance (validation accuracy 0.5): its first layers barely move.
The coach reads the same instruments after each epoch and says once, at the first epoch it sees the
trouble, what goes wrong, with the figure behind it and what to try:"""),
    new_code_cell("""for note in sigmoid_run.notes:
    print(note)"""),
    new_markdown_cell("""## Dying ReLUs

A ReLU unit whose input is negative for every sample outputs 0 and gets a zero gradient, so
nothing pulls it back: it is dead. One big step can push a unit's bias far negative. Four layers of
32 units on the moons, Adam at a normal (0.01) and a huge (0.3) learning rate for 15 epochs; the
instruments count a unit dead when its output is never above 0 on the validation batch. Leaky ReLU
(slope 0.01 below 0) and ELU keep a gradient below 0, so fewer of their units get stuck there, and
those that do can still come back."""),
    new_code_cell("""import warnings

four = lambda activation: "input 2\\n" + f"dense 32 {activation}\\n" * 4 + "dense 2 softmax"
dead, accuracy = {}, {}
for activation in ["relu", "leaky_relu", "elu"]:
    for lr in [0.01, 0.3]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the huge rate is the point here
            r = nbdl.train(four(activation), "moons", epochs=15, seed=0, lr=lr, diagnostics=True)
        dead[activation, lr] = r.history["dead_share"][-1]
        accuracy[activation, lr] = r.history["val_acc"][-1]

names = ["relu", "leaky_relu", "elu"]
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
for offset, lr in [(-0.2, 0.01), (0.2, 0.3)]:
    left.bar([i + offset for i in range(3)], [dead[n, lr] for n in names], width=0.4, label=f"lr {lr}")
    right.bar([i + offset for i in range(3)], [accuracy[n, lr] for n in names], width=0.4, label=f"lr {lr}")
left.set(xticks=range(3), xticklabels=names, ylabel="share of dead units", ylim=(0, 1), title="Dead units after 15 epochs")
right.set(xticks=range(3), xticklabels=names, ylabel="validation accuracy", ylim=(0, 1.2), yticks=[0, 0.25, 0.5, 0.75, 1],
          title="Validation accuracy")
left.legend(); right.legend(loc="upper center", ncol=2)
plt.show()"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
for name in names:
    print(f"{name:10s} lr 0.01: {dead[name, 0.01]:4.0%} dead   lr 0.3: {dead[name, 0.3]:4.0%} dead, "
          f"validation accuracy {accuracy[name, 0.3]:.2f}")
assert dead["relu", 0.3] > 0.5                           # most ReLU units die
assert dead["relu", 0.3] > dead["relu", 0.01] + 0.3      # and it is the learning rate that kills them
assert dead["leaky_relu", 0.3] < dead["relu", 0.3] - 0.2 and dead["elu", 0.3] < dead["relu", 0.3] - 0.2"""),
    new_markdown_cell("""The same with magics: `%nbdl train net --data moons --lr 0.3 --diagnostics` draws the dead share
of each layer live beside the loss, and the coach names dying ReLUs when it sees them. `--init
"kaiming(bias=-1)"` sets up the same trouble on purpose, without the huge learning rate.

## Softmax: scores into probabilities

A classifier's last layer gives one score (logit) per class; softmax exponentiates them and divides
by their sum, so the outputs are positive and add up to 1, and the largest score gets the largest
share. Three classes of blobs, a small network, and the probabilities it gives to a few test points:"""),
    new_code_cell("""import torch

run = nbdl.train("input 2\\ndense 16 relu\\ndense 3 softmax", "blobs", data_options={"classes": 3},
                 epochs=20, lr=0.01, seed=0)
X = run.data.test.X[:6]
with torch.no_grad():
    scores = run.model.eval().logits(X)
    probabilities = run.model(X)
by_hand = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
for s, p in zip(scores, probabilities):
    print("scores", [f"{v:6.2f}" for v in s.tolist()], "-> probabilities", [f"{v:.3f}" for v in p.tolist()])"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
assert torch.allclose(probabilities, by_hand, atol=1e-6)               # exp(score) / sum of exp(scores)
assert torch.allclose(probabilities.sum(dim=1), torch.ones(len(X)), atol=1e-6)
assert (probabilities.argmax(dim=1) == scores.argmax(dim=1)).all()     # the order of the scores is kept
print("each row sums to 1; softmax = exp(score) / sum(exp(scores)); test accuracy",
      round(run.evaluate("test")["accuracy"], 2))"""),
    new_markdown_cell("""Adding the same number to every score changes nothing (the exponentials share the factor), and
scaling the scores up makes the distribution sharper, down makes it flatter:"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
scores = torch.tensor([2.0, 1.0, 0.1])
for label, s in [("scores", scores), ("scores + 10", scores + 10), ("scores x 3", scores * 3), ("scores / 3", scores / 3)]:
    print(f"{label:12s}", [round(v, 3) for v in torch.softmax(s, dim=0).tolist()])"""),
]
