"""Notebook 01: feedforward networks, layers and neurons on 2-D data (decision boundaries, the
network view, depth and width, input features, drawn data)."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "01_first_network.ipynb"

CELLS = [
    new_markdown_cell("""# Feedforward networks: layers and neurons

A feedforward network is a stack of layers. The **input layer** holds the data (here a point of
the plane, two numbers), each **hidden layer** is a row of **neurons**, and the **output layer**
gives the prediction (one probability per class). A neuron weighs every output of the layer
before, adds a bias and passes the sum through an activation function:
`a = activation(w · x + b)`. Training nudges all the weights and biases against the gradient of
the loss.

On 2-D data everything can be seen: the decision boundary the network draws in the plane, and
what each single neuron computes over that plane. This notebook trains small networks on toy
sets, shows how depth and width change the boundaries a network can draw, how hand-made input
features let a tiny network do the job, and how to train on data you draw yourself."""),
    new_code_cell("%load_ext nbdl"),
    new_markdown_cell("""## A network, layer by layer

`%%nbdl net NAME` reads one layer per line, checks every shape and stores a real
`torch.nn.Module` as `NAME`. The table counts what each layer learns: a dense layer of `n`
neurons fed by `m` inputs has `m × n` weights and `n` biases."""),
    new_code_cell("""%%nbdl net net
input 2
dense 8 relu
dense 8 relu
dense 2 softmax"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
import torch

counts = [sum(p.numel() for p in block.parameters()) for block in net.layers]
print("parameters per layer:", counts, "total", sum(counts))
assert counts == [2 * 8 + 8, 8 * 8 + 8, 8 * 2 + 2]"""),
    new_markdown_cell("""One neuron computed by hand equals what the layer computes (the weights are fresh and random:
`%%nbdl net` draws new ones each time it runs)."""),
    new_code_cell("""# One neuron by hand: the first hidden neuron is relu(w · x + b) with its own row of weights.
linear = net.layers[0][0]
x = torch.tensor([0.5, -1.0])
by_hand = torch.relu(linear.weight[0] @ x + linear.bias[0])
print(f"neuron 1 of layer 1: by hand {by_hand.item():.6f}, the layer itself {net.layers[0](x)[0].item():.6f}")
assert torch.isclose(by_hand, net.layers[0](x)[0])"""),
    new_markdown_cell("""## The 2-D data sets

Four toy problems, each two classes of points in the plane: the two **moons**, two **circles**
(one inside the other), **xor** (opposite quadrants share a class) and the two-armed **spiral**.
None of them is split by one straight line."""),
    new_code_cell("""import matplotlib.pyplot as plt
import numpy as np

import nbdl

fig, axes = plt.subplots(1, 4, figsize=(12, 3), layout="constrained")
for ax, name in zip(axes, ["moons", "circles", "xor", "spiral"]):
    data = nbdl.load_data(name, seed=0)
    ax.scatter(data.X[:, 0], data.X[:, 1], c=data.y, cmap="coolwarm", s=8)
    ax.set_title(name, fontsize=13); ax.set_xticks([]); ax.set_yticks([])
plt.show()"""),
    new_markdown_cell("""## Training, with the network view

`%nbdl train` trains a fresh copy of `net` and draws live pictures in the cell: the loss and
accuracy curves and the **network view**, as the TensorFlow Playground draws it. Each input and
hidden neuron is a small heat map of its output over the plane (orange negative, white 0, blue
positive); the lines are the weights (blue positive, orange negative, thicker when larger); the
large canvas on the right is the decision regions with the training points. The first layer's
neurons can only draw straight edges (a ReLU of a weighted sum is a ramp along a line); the second
layer bends them by combining the first layer's ramps."""),
    new_code_cell("%nbdl train net --data moons --epochs 30 --lr 0.03 --seed 0"),
    new_markdown_cell("""The run is in `run`: its split, its history, and figures on the test part it never trained on.
`%nbdl train run --epochs 20` would continue it."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(run.split_sizes)
test = run.evaluate("test")["accuracy"]
print(f"moons, 2-8-8-2 network: test accuracy {test:.2f}")
assert test >= 0.9  # the moons overlap a little at this noise"""),
    new_code_cell("""fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3), layout="constrained")
left.plot(run.history["train_loss"], label="train")
left.plot(run.history["val_loss"], label="validation")
left.set(xlabel="epoch", ylabel="loss"); left.legend()
right.plot(run.history["train_acc"], label="train")
right.plot(run.history["val_acc"], label="validation")
right.set(xlabel="epoch", ylabel="accuracy"); right.legend()
plt.show()"""),
    new_markdown_cell("""The pictures of single neurons are numbers you can use: `neurons(run)` gives every unit's output
over a grid of the plane, one array per layer (inputs, hidden layers, outputs)."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
from nbdl.core.neurons import neurons

units = neurons(run, resolution=40)
print([column.shape for column in units.columns])"""),
    new_markdown_cell("""## What depth and width allow

A network **without a hidden layer** is one weighted sum per class: its boundary is a straight line,
whatever it trains. On the circles it can do no better than chance. One hidden layer of a few
neurons can already close a boundary around the inner circle: each neuron contributes one straight
edge, and three of them make a triangle.

`decision_regions` below paints the class each network predicts over the plane, with the test
points on top."""),
    new_code_cell("""def decision_regions(ax, run, title):
    X, y = run.data.raw("test")
    low, high = X.min(axis=0) - 0.4, X.max(axis=0) + 0.4
    g1, g2 = np.meshgrid(np.linspace(low[0], high[0], 120), np.linspace(low[1], high[1], 120))
    grid = np.column_stack([g1.ravel(), g2.ravel()]).astype(np.float32)
    p = run.predict_proba(grid)[:, 1].reshape(g1.shape)
    ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6)
    ax.contour(g1, g2, p, levels=[0.5], colors="black", linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=10, edgecolors="white", linewidths=0.5)
    ax.set_title(title, fontsize=12); ax.set_xticks([]); ax.set_yticks([])


def accuracy(network, data, **settings):
    r = nbdl.train(network, data=data, seed=0, **settings)
    return r, r.evaluate("test")["accuracy"]


circle_runs = {}
for hidden in [0, 2, 3, 4]:
    network = "input 2\\n" + (f"dense {hidden} tanh\\n" if hidden else "") + "dense 2 softmax"
    circle_runs[hidden] = accuracy(network, "circles", epochs=40, lr=0.03)
    print(f"circles, {'no hidden layer' if not hidden else f'one hidden layer of {hidden}':26s} test accuracy {circle_runs[hidden][1]:.3f}")

fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), layout="constrained")
for ax, (hidden, (r, acc)) in zip(axes, circle_runs.items()):
    decision_regions(ax, r, f"{'no hidden layer' if not hidden else f'{hidden} hidden neurons'}: {acc:.2f}")
plt.show()"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(f"no hidden layer: {circle_runs[0][1]:.2f} (chance is 0.5); one hidden layer of 4: {circle_runs[4][1]:.2f}")
assert circle_runs[0][1] < 0.65   # a straight line: near chance
assert circle_runs[4][1] >= 0.95  # four straight edges close around the inner circle"""),
    new_markdown_cell("""The spiral asks for more. One hidden layer of 8 ReLU neurons bends the boundary at most 8 times
and misses the arms' ends; more **width** (64 neurons) or more **depth** (a second layer of 8,
which combines the first layer's edges into curves) follows the arms. The deep one does it with
a third of the wide one's parameters."""),
    new_code_cell("""spiral_runs = {}
for label, network in [("1 × 8", "input 2\\ndense 8 relu\\ndense 2 softmax"),
                       ("1 × 64", "input 2\\ndense 64 relu\\ndense 2 softmax"),
                       ("2 × 8", "input 2\\ndense 8 relu\\ndense 8 relu\\ndense 2 softmax")]:
    spiral_runs[label] = accuracy(network, "spiral", epochs=100, lr=0.03)
    size = sum(p.numel() for p in spiral_runs[label][0].model.parameters())
    print(f"spiral, hidden {label:7s} {size:4d} parameters   test accuracy {spiral_runs[label][1]:.3f}")

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), layout="constrained")
for ax, (label, (r, acc)) in zip(axes, spiral_runs.items()):
    decision_regions(ax, r, f"hidden {label}: {acc:.2f}")
plt.show()"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print({label: round(acc, 2) for label, (r, acc) in spiral_runs.items()})
assert spiral_runs["1 × 8"][1] < 0.9
assert spiral_runs["1 × 64"][1] >= 0.93 and spiral_runs["2 × 8"][1] >= 0.95"""),
    new_markdown_cell("""Watch the deeper network learn the spiral: in the network view the first layer's neurons are
ramps along straight lines, the second layer's are already curved pieces of the spiral."""),
    new_code_cell("""%%nbdl net deep
input 2
dense 8 relu
dense 8 relu
dense 2 softmax"""),
    new_code_cell("%nbdl train deep --data spiral --epochs 100 --lr 0.03 --seed 0 --as spiral_run"),
    new_markdown_cell("""## Input features

Instead of more neurons, give the network better inputs. `--features` (as in the Playground)
computes columns from the point: any of `x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)`. The sign of
`x1*x2` *is* the xor class, so a network without any hidden layer, helpless on the raw points,
solves xor with that one feature. The network's input line takes one unit per feature."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
_, raw = accuracy("input 2\\ndense 2 softmax", "xor", epochs=40, lr=0.03)
_, product = accuracy("input 1\\ndense 2 softmax", "xor", epochs=40, lr=0.03, data_options={"features": "x1*x2"})
print(f"xor, no hidden layer: x1,x2 {raw:.2f}   x1*x2 {product:.2f}")
assert raw < 0.65 and product >= 0.9"""),
    new_markdown_cell("""On the spiral, all seven features let one hidden layer of 8 tanh neurons trace the arms, which the
same network on the raw points cannot. The network view shows the features as its input column."""),
    new_code_cell("""%%nbdl net featured
input 7
dense 8 tanh
dense 2 softmax"""),
    new_code_cell("%nbdl train featured --data spiral --features x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2) --epochs 100 --lr 0.03 --seed 0 --as featured_run"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
_, plain = accuracy("input 2\\ndense 8 tanh\\ndense 2 softmax", "spiral", epochs=100, lr=0.03)
with_features = featured_run.evaluate("test")["accuracy"]
print(f"spiral, one hidden layer of 8 tanh: x1,x2 {plain:.2f}   seven features {with_features:.2f}")
assert plain < 0.85 and with_features >= 0.95"""),
    new_markdown_cell("""## Draw your own data

`%nbdl draw NAME` opens a canvas: pick a class (a colour), click or drag to draw its points, and
`NAME` holds the drawing as a data set, updated at every stroke. It needs a live notebook (and
`pip install 'nbdl[draw]'`), so run these two cells yourself:

```
%nbdl draw mine
```
```
%nbdl train net --data mine --epochs 200 --lr 0.03
```

Below, the same panel gets its strokes from code instead of the mouse (points in canvas pixels,
as the canvas records them: 800 × 400, 100 pixels a unit): a band of class `a` between two bands
of class `b`. One straight line cannot split it (at best it cuts off one band, and on the 28 test
points it does worse than chance); a hidden layer of 4 neurons can."""),
    new_code_cell("""from nbdl.widgets.draw import DrawPanel

rng = np.random.default_rng(0)


def stroke(label, y, count):
    \"\"\"A horizontal stroke across the canvas at height y (pixels, downwards), slightly shaky.\"\"\"
    xs = np.linspace(100, 700, count) + rng.normal(0, 5, count)
    return [{"x": float(x), "y": float(y + rng.normal(0, 12)), "color": "", "label": label} for x in xs]


pad = DrawPanel("drawn", get_ipython().user_ns)
pad.canvas.data = stroke("a", 200, 60) + stroke("b", 80, 40) + stroke("b", 320, 40)
pad"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
line_run, line = accuracy("input 2\\ndense 2 softmax", drawn, epochs=200, lr=0.03)
bent_run, bent = accuracy("input 2\\ndense 4 tanh\\ndense 2 softmax", drawn, epochs=200, lr=0.03)
print(f"drawn bands, test accuracy: no hidden layer {line:.2f}, one hidden layer of 4 {bent:.2f}")
assert line < 0.7 and bent >= 0.95"""),
    new_code_cell("""fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), layout="constrained")
decision_regions(axes[0], line_run, f"no hidden layer: {line:.2f}")
decision_regions(axes[1], bent_run, f"4 hidden neurons: {bent:.2f}")
plt.show()"""),
    new_markdown_cell("""## It is plain PyTorch underneath

`net` is an `nn.Module`, and `run.model` is the trained copy: use them in any PyTorch code.
`run.predict` takes raw points of the plane.

Where to go next: notebook 02 changes the activation functions, 04 races the optimizers, and 06
fights overfitting with L2, dropout and early stopping."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(isinstance(run.model, torch.nn.Module))
print(run.predict(np.array([[0.0, 0.9], [1.0, -0.4]], dtype=np.float32)))"""),
]
