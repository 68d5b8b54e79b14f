"""Write the notebooks in notebooks/ from the cells below (run: python tools/make_notebooks.py).

Keeping the source here makes the notebooks reviewable as code; nbval runs the written files.
"""
import pathlib

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = pathlib.Path(__file__).resolve().parents[1] / "notebooks"

FIRST_NETWORK = [
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


START = [
    new_markdown_cell("""# nbdl in five minutes

Load the extension, build a network in a cell, train it with one line and watch it learn, then
do the same with controls instead of code. Everything here runs on a CPU in seconds."""),
    new_code_cell("%load_ext nbdl"),
    new_markdown_cell("""## A network, one layer per line

`%%nbdl net NAME` reads the cell as layers, checks every shape, and stores a real
`torch.nn.Module` as `NAME`. The table counts the parameters each layer learns."""),
    new_code_cell("""%%nbdl net net
input 2
dense 16 relu
dense 16 relu
dense 2 softmax"""),
    new_markdown_cell("""## The data

Two interleaved half moons: no straight line separates the classes, so the network has to bend
its decision boundary."""),
    new_code_cell("%nbdl data moons --noise 0.2"),
    new_markdown_cell("""## Train with live plots

The loss and accuracy curves and the decision regions update while it trains. The stop button
(or Ctrl-C) stops between two steps and keeps everything learned so far."""),
    new_code_cell("%nbdl train net --data moons --noise 0.2 --epochs 60 --lr 0.01 --seed 0"),
    new_markdown_cell("""The run is in the variable `run`: its history, its trained model, and figures on the test
part it never trained on. `%nbdl train run --epochs 20` would continue it."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(run.split_sizes)
print(len(run.history["val_loss"]), "epochs")"""),
    new_code_cell("run.evaluate('test')"),
    new_markdown_cell("""## The same with controls

The dashboard builds the same experiment from controls: layers, data, optimizer and
regularization on the left; Start, Pause, Step, Stop and Reset on the right. Its "copy as magic"
box shows the `%nbdl train` line that reproduces what you set."""),
    new_code_cell("%nbdl dashboard net --data moons"),
    new_markdown_cell("""## It is plain PyTorch underneath

`net` is an `nn.Module` and `run.model` is the trained one: use them in any PyTorch code."""),
    new_code_cell("""import torch

probabilities = run.model.eval()(run.data.transform([[0.0, 0.5], [1.5, -0.5]]))
probabilities"""),
]


def _write(name: str, cells: list) -> None:
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    # Run it so the saved notebook shows its results (on GitHub too) and nbval has outputs to compare.
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(notebook, HERE / name)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    _write("00_start.ipynb", START)
    _write("01_first_network.ipynb", FIRST_NETWORK)


if __name__ == "__main__":
    main()
