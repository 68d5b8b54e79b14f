"""Notebook 00: a five-minute start."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "00_start.ipynb"

CELLS = [
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
