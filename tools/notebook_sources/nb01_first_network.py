"""Notebook 01: a first network in plain PyTorch underneath."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "01_first_network.ipynb"

CELLS = [
    new_markdown_cell("""# Your first network, in plain PyTorch underneath

A neural network is layers of units: each takes the outputs of the layer before, weighs them,
adds a bias and passes the sum through an **activation function**. Training nudges the weights
against the gradient of the loss. This notebook builds one with nbdl's Python API, trains it and
measures it. Every network here is a real `torch.nn.Module`."""),
    new_code_cell("""import nbdl

net = nbdl.build(\"\"\"
input 2
dense 16 relu
dense 16 relu
dense 2 softmax
\"\"\")
net"""),
    new_markdown_cell("""## Train on the two moons

`moons` is two interleaved half circles, a problem no straight line separates. The run splits the
data into training, validation and test parts (seeded), standardizes it with the training part's
figures, and records the loss and accuracy of every epoch."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
run = nbdl.train(net, data="moons", optimizer="adam", lr=0.01, epochs=40, seed=0)
print(run.split_sizes)
print("epochs trained:", run.epoch)"""),
    new_code_cell("""import matplotlib.pyplot as plt

fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3), layout="constrained")
left.plot(run.history["train_loss"], label="train")
left.plot(run.history["val_loss"], label="validation")
left.set(xlabel="epoch", ylabel="loss"); left.legend()
right.plot(run.history["train_acc"], label="train")
right.plot(run.history["val_acc"], label="validation")
right.set(xlabel="epoch", ylabel="accuracy"); right.legend()
plt.show()
run.evaluate("test")"""),
    new_markdown_cell("""## Which optimizer?

The same network and data, trained with each optimizer for the same number of epochs. Full-batch
gradient descent (`gd`) takes one step per epoch; the others take one per mini-batch of 32."""),
    new_code_cell("""for name in ["gd", "sgd", "momentum", "adam", "rmsprop"]:
    r = nbdl.train("input 2\\ndense 16 relu\\ndense 16 relu\\ndense 2 softmax", data="moons",
                   optimizer=name, epochs=30, seed=0)
    print(f"{name:9s} steps {r.global_step:5d}   val accuracy {r.history['val_acc'][-1]:.3f}")"""),
    new_markdown_cell("""## Regularization and early stopping

A wide network on a few noisy points memorizes them: training loss keeps falling while the
validation loss turns up. Early stopping watches the validation loss and gives back the weights of
the best epoch."""),
    new_code_cell("""wide = "input 2\\ndense 128 relu\\ndense 128 relu\\ndense 2 softmax"
few = {"n": 200, "noise": 0.35}
long = nbdl.train(wide, data="moons", data_options=few, lr=0.01, epochs=150, seed=0)
short = nbdl.train(wide, data="moons", data_options=few, lr=0.01, epochs=150, early_stopping=10, seed=0)
print(f"150 epochs:     train loss {long.history['train_loss'][-1]:.3f}, test accuracy {long.evaluate('test')['accuracy']:.3f}")
print(f"early stopping: best epoch {short.best_epoch} of {short.epoch}, test accuracy {short.evaluate('test')['accuracy']:.3f}")
plt.figure(figsize=(5, 3))
plt.plot(long.history["train_loss"], label="train (150 epochs)")
plt.plot(long.history["val_loss"], label="validation (150 epochs)")
plt.axvline(short.best_epoch - 1, color="gray", linestyle=":", label="early stopping's best epoch")
plt.xlabel("epoch"); plt.ylabel("loss"); plt.ylim(0, 1.5); plt.legend()
plt.show()"""),
]
