"""Notebook 14: bring your own PyTorch model and data: modules, arrays, DataFrames, callbacks, layers,
optimizers, checkpoints, experiment files and the export as plain PyTorch."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "14_your_own.ipynb"

CELLS = [
    new_markdown_cell("""# Bring your own PyTorch model and data

Everything in the earlier notebooks works on what you already have:

- **your data**: numpy arrays `(X, y)`, torch tensors or a pandas DataFrame with a target column;
  nbdl splits them (stratified, seeded) and standardizes with the training part's statistics;
- **your network**: any `torch.nn.Module` that maps a batch of samples to one score per class
  (or one number per target); nbdl trains a copy, so your module keeps its weights;
- **your code in the loop**: callbacks of your own, new layer types and optimizers registered once;
- **your files**: a checkpoint that continues exactly where it stopped, the experiment as a JSON
  file, and the whole experiment exported as a plain PyTorch script that needs no nbdl.

Every run below has a fixed seed, and each step ends with the check a user would make."""),
    new_code_cell("""%load_ext nbdl
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from torch import nn

import nbdl

work = Path(tempfile.mkdtemp(prefix="nbdl-14-"))   # the files this notebook writes go here"""),
    new_markdown_cell("""## Data you load yourself

The Wisconsin breast cancer measurements ship with scikit-learn (nbdl also has them as
`data="breast_cancer"`; here we load them by hand, as you would your own file): 569 tumours,
30 measurements each, labelled malignant (0) or benign (1)."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
from sklearn.datasets import load_breast_cancer

bunch = load_breast_cancer()
X, y = bunch.data.astype(np.float32), bunch.target
counts = {str(name): int(count) for name, count in zip(bunch.target_names, np.bincount(y))}
print("X", X.shape, X.dtype, " y", y.shape, "classes", counts)
print("measurements range from", X.min(), "to", X.max(), "- nbdl standardizes them")
assert X.shape == (569, 30) and set(np.unique(y)) == {0, 1}"""),
    new_markdown_cell("""## A module of your own

Any `nn.Module` will do. This one has a body and a head, and returns **logits** (raw scores):
with no softmax at the end, nbdl uses cross-entropy on them directly."""),
    new_code_cell("""class TumourNet(nn.Module):
    \"\"\"Two hidden ReLU layers and a linear head: 30 measurements -> 2 class scores.\"\"\"

    def __init__(self, inputs=30, hidden=16, classes=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.body(x))


torch.manual_seed(0)
model = TumourNet()
first_head = model.head.weight.detach().clone()
print(sum(p.numel() for p in model.parameters()), "parameters")"""),
    new_markdown_cell("""## Callbacks of your own

The trainer's loop only calls hooks; a callback subclasses `nbdl.Callback` and overrides the ones
it needs. `GradientNorm` measures the gradient's size after every batch and adds the epoch's mean
to the history as `grad_norm` (`logs["name"] = value`): the run's history, `%nbdl runs` and the
plots then know it like any built-in figure. `BestEpoch` keeps state, so it gives `state_dict()` and
`load_state_dict()` and survives a checkpoint. A plain function `fn(run, logs)` is a callback too."""),
    new_code_cell("""class GradientNorm(nbdl.Callback):
    \"\"\"The mean gradient norm of each epoch's batches, logged as grad_norm.\"\"\"

    def on_epoch_start(self, run):
        self.norms = []

    def on_batch_end(self, run, logs):
        grads = [p.grad for p in run.model.parameters() if p.grad is not None]
        self.norms.append(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])).item())

    def on_epoch_end(self, run, logs):
        logs["grad_norm"] = float(np.mean(self.norms))


class BestEpoch(nbdl.Callback):
    \"\"\"The lowest validation loss so far and the epochs that set a new low.\"\"\"

    def __init__(self):
        self.best, self.lows = float("inf"), []

    @property
    def epoch(self):
        return self.lows[-1] if self.lows else None

    def on_epoch_end(self, run, logs):
        if logs["val_loss"] < self.best:
            self.best = logs["val_loss"]
            self.lows.append(run.epoch)

    def state_dict(self):
        return {"best": self.best, "lows": list(self.lows)}

    def load_state_dict(self, state, run):
        self.best, self.lows = state["best"], list(state["lows"])


printed = []
best = BestEpoch()
run = nbdl.train(model, data=(X, y), optimizer="adam", lr=1e-3, batch_size=32, epochs=20, seed=0,
                 callbacks=[GradientNorm(), best, lambda run, logs: printed.append(round(logs["val_acc"], 3))])

epochs = np.arange(1, run.epoch + 1)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
left.plot(epochs, run.history["train_loss"], label="training")
left.plot(epochs, run.history["val_loss"], label="validation")
left.set(xlabel="epoch", ylabel="cross-entropy", title="TumourNet on your arrays"); left.legend()
right.plot(epochs, run.history["grad_norm"], color="C2")
right.set(xlabel="epoch", ylabel="mean gradient norm", title="logged by GradientNorm")
plt.show()"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print("split", run.split_sizes)
print("trained a copy:", type(run.model).__name__, "- your model's weights unchanged:",
      torch.equal(model.head.weight, first_head))
test = run.evaluate("test")
print(f"test loss {test['loss']:.3f}, accuracy {test['accuracy']:.3f}")
print("figures in the history:", list(run.history))
print(f"grad_norm {run.history['grad_norm'][0]:.2f} -> {run.history['grad_norm'][-1]:.2f}; "
      f"best epoch {best.epoch}, val_loss {best.best:.4f}")
assert run.split_sizes == {"train": 341, "val": 114, "test": 114}
assert torch.equal(model.head.weight, first_head) and run.model is not model
assert test["accuracy"] > 0.93
assert printed == [round(a, 3) for a in run.history["val_acc"]]   # the plain function saw every epoch
assert best.best == min(run.history["val_loss"])"""),
    new_markdown_cell("""## A DataFrame and `--target`

A table with named columns and a text label: give the DataFrame and name the target column
(`data_options={"target": "diagnosis"}` in Python, `--target diagnosis` in a magic). The class names
come from the column. The magic trains the same module and shows the live plots."""),
    new_code_cell("""frame = pd.DataFrame(X, columns=bunch.feature_names)
frame["diagnosis"] = np.where(y == 1, "benign", "malignant")
frame.iloc[:3, [0, 1, 2, -1]].round(2)"""),
    new_code_cell("""%nbdl train model --data frame --target diagnosis --optimizer adam --lr 0.001 --batch-size 32 --epochs 20 --seed 0 --as from_frame"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print("classes", from_frame.dataset.class_names, "inputs", from_frame.dataset.sample_shape)
print("test accuracy", round(from_frame.evaluate("test")["accuracy"], 3))
assert from_frame.dataset.class_names == ["benign", "malignant"]
assert from_frame.evaluate("test")["accuracy"] > 0.93"""),
    new_markdown_cell("""## The experiment as a file

`run.config` holds every setting of the run. `run.config.save(path)` writes it as readable JSON;
`nbdl.Config.load(path)` reads it back and checks every value. Your own module and arrays are only
named in the file (`<module TumourNet>`, `<arrays>`), so give them again when loading. The same
config, the same module and data, the same seed: the same run, bit for bit."""),
    new_code_cell("""run.config.save(work / "tumour.json")
print((work / "tumour.json").read_text()[:330], "...")"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
config = nbdl.Config.load(work / "tumour.json", network=model, data=(X, y))
again = nbdl.Run(config)
again.fit()
print("optimizer", config.optimizer, "lr", config.lr, "epochs", config.epochs, "seed", config.seed)
print(f"final val_loss: first run {run.history['val_loss'][-1]:.5f}, from the file {again.history['val_loss'][-1]:.5f}")
assert again.history["train_loss"] == run.history["train_loss"]
assert again.history["val_loss"] == run.history["val_loss"]"""),
    new_markdown_cell("""## A checkpoint, saved and loaded

`run.save(path)` keeps the weights, the optimizer's state, the history, the random generators, the
config and each callback's state in one safetensors file. `nbdl.load` gives back a run that goes on
exactly as if it had never stopped; a run on your own module and arrays needs them back (a fresh
`TumourNet()` is fine: its weights are replaced), and the callbacks that keep state are given again."""),
    new_code_cell("""run.save(work / "tumour.safetensors")
loaded_best = BestEpoch()
loaded = nbdl.load(work / "tumour.safetensors", data=(X, y), network=TumourNet(), callbacks=[GradientNorm(), loaded_best])
print("loaded at epoch", loaded.epoch, "- BestEpoch remembers epoch", loaded_best.epoch)
assert loaded.epoch == 20 and loaded_best.state_dict() == best.state_dict()

run.fit(10)       # the original goes on for 10 epochs...
loaded.fit(10);   # ...and so does the copy from the file"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(f"epochs {run.epoch} and {loaded.epoch}; final val_loss {run.history['val_loss'][-1]:.5f} and "
      f"{loaded.history['val_loss'][-1]:.5f}; best epoch {best.epoch} and {loaded_best.epoch}")
print(f"epochs that set a new low: {len(best.lows)} and {len(loaded_best.lows)}, from epoch {loaded_best.lows[0]}")
assert loaded_best.state_dict() == best.state_dict() and loaded_best.lows[0] == 1   # a fresh one starts at 21
assert loaded.history["val_loss"] == run.history["val_loss"] and loaded.history["grad_norm"] == run.history["grad_norm"]
assert all(torch.equal(a, b) for a, b in zip(run.model.state_dict().values(), loaded.model.state_dict().values()))
print("same history and the same weights, to the last bit")"""),
    new_markdown_cell("""`%nbdl train net --data moons --checkpoint ckpt` saves every epoch as it trains, and after a kernel
restart the same line with `--resume` goes on from the file.

## Extending nbdl: a layer and an optimizer of your own

A new layer type is a dataclass: its name, help, an example line and its options, each declared once,
and `build(shape)` returning the torch module. From then on the text form reads it, `%nbdl net --help`
lists it and the dashboard offers it. Here: Gaussian noise on the inputs while training, a classic
regulariser, off at evaluation. An optimizer is one record: a torch class and its default settings."""),
    new_code_cell("""from dataclasses import dataclass
from typing import ClassVar


class GaussianNoise(nn.Module):
    def __init__(self, std):
        super().__init__()
        self.std = std

    def forward(self, x):
        return x + self.std * torch.randn_like(x) if self.training else x


@nbdl.register_layer(replace=True)   # replace=True: run this cell again after changing it
@dataclass
class Noise(nbdl.Layer):
    \"\"\"``noise STD``: Gaussian noise added while training.\"\"\"

    type: ClassVar[str] = "noise"
    help: ClassVar[str] = "adds Gaussian noise of standard deviation STD while training, none at evaluation"
    example: ClassVar[str] = "noise 0.1"
    std: float = nbdl.option(0.1, "the noise's standard deviation", low=0, form="positional")

    def build(self, shape):
        return GaussianNoise(self.std)


nadam = nbdl.register_optimizer(nbdl.OptimizerKind(
    "nadam", torch.optim.NAdam, {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    help="Adam with Nesterov momentum"), replace=True)"""),
    new_code_cell("""%%nbdl net noisy
input 30
noise 0.5
dense 16 relu
dense 2 softmax"""),
    new_code_cell("""%nbdl train noisy --data X --y y --optimizer nadam --epochs 20 --seed 0 --as noisy_run"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(noisy.spec.to_text())
net = noisy_run.model
sample = noisy_run.data.val.X[:4]
net.train(); noisy_a, noisy_b = net(sample), net(sample)
net.eval(); clean_a, clean_b = net(sample), net(sample)
print("optimizer", type(noisy_run.optimizer).__name__, "- test accuracy", round(noisy_run.evaluate("test")["accuracy"], 3))
assert isinstance(noisy_run.optimizer, torch.optim.NAdam)
assert not torch.equal(noisy_a, noisy_b) and torch.equal(clean_a, clean_b)   # noise while training only
assert noisy_run.evaluate("test")["accuracy"] > 0.93"""),
    new_markdown_cell("""## Export as plain PyTorch

`run.to_code(path)` writes a standalone script (torch, numpy, scikit-learn; no nbdl) that rebuilds
the split, the network and its first weights, the optimizer, schedule, L2 and early stopping, trains
and prints the final losses. Your arrays go beside it as an `.npz` file. It exports networks in the
text form made of dense, dropout and batchnorm layers (not yet a module of your own or a custom
layer: it says so), and any optimizer that is one of `torch.optim`'s, so `nadam` above goes too.
`%nbdl code RUN --to PATH` does the same from a magic."""),
    new_code_cell("""plain = nbdl.train("input 30\\ndense 16 relu\\ndense 16 relu\\ndense 2 softmax", data=(X, y), optimizer="nadam",
                   lr=1e-3, batch_size=32, epochs=25, l2=1e-3, schedule="cosine", early_stopping=3, seed=0)
script = plain.to_code(work / "tumour_experiment.py")
import textwrap
try:
    run.to_code()
except nbdl.NbdlError as error:
    print("TumourNet:", textwrap.fill(str(error), 100, subsequent_indent="    "))
print(len(script.splitlines()), "lines;", [line for line in script.splitlines() if line.startswith(("import", "from"))])"""),
    new_code_cell("""finished = subprocess.run([sys.executable, str(work / "tumour_experiment.py")], capture_output=True, text=True,
                          check=True, cwd=work)
lines = finished.stdout.splitlines()   # one line per epoch, then the final losses
print("\\n".join(lines[:2] + ["..."] + lines[-4:]))"""),
    new_code_cell("""final = dict(line.split()[1:] for line in finished.stdout.splitlines() if line.startswith("final"))
for name in ("train_loss", "val_loss"):
    ours, theirs = plain.history[name][-1], float(final[name])
    print(f"{name:10s} nbdl {ours:.6f}  plain PyTorch {theirs:.6f}  relative difference {abs(ours - theirs) / ours:.0e}")
    assert abs(ours - theirs) <= 1e-5 * ours
assert "nbdl" not in [line.split()[1] for line in script.splitlines() if line.startswith(("import", "from"))]"""),
    new_markdown_cell("""The script is yours: read it, change it, run it where nbdl is not installed. Files of this notebook
are in a temporary folder; the last cell removes it."""),
    new_code_cell("""import shutil
shutil.rmtree(work)"""),
]
