"""Notebook 07: hyperparameter tuning."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "07_tuning.ipynb"

CELLS = [
    new_markdown_cell("""# Hyperparameter tuning

The weights are learned; the **hyperparameters** (learning rate, batch size, momentum, penalties,
the network's size) are chosen before training, and a poor choice can waste a good network.
Tuning tries several settings and keeps the one with the best validation score. Three ways to pick
the settings to try:

- **grid search** tries every combination of a few values per setting;
- **random search** draws each trial at random from the ranges, which covers each single setting
  more densely than a grid of the same size (Bergstra and Bengio 2012);
- **TPE** (tree-structured Parzen estimators, Bergstra et al. 2011) starts at random, then draws
  more trials where the good ones were.

Here a small network on the two moons gets a bad default, plain SGD with learning rate `1e-4`,
and each search is asked to do better. Every trial is short (15 epochs of a tiny network), so all
of it runs in seconds."""),
    new_code_cell("%load_ext nbdl"),
    new_code_cell("""import nbdl

config = nbdl.Config(network="input 2\\ndense 16 relu\\ndense 2 softmax", data="moons", optimizer="sgd",
                     lr=1e-4, batch_size=32, epochs=15, seed=0)
default = nbdl.train(config=config)
default_score = min(default.history["val_loss"])
print(f"the default lr 1e-4: best validation loss {default_score:.3f}, "
      f"validation accuracy {default.history['val_acc'][-1]:.3f}")"""),
    new_markdown_cell("""## A sweep: every learning rate, three seeds, trained as one

`nbdl.grid` gives every combination of the values listed and `nbdl.compare` trains them. These 18
runs differ only in numbers, so they train together as one stacked model, about as fast as one or
two runs alone. Three seeds per rate show how much of a difference is luck. Too small a rate
barely moves in 15 epochs; too large a one jumps about and ends worse again."""),
    new_code_cell("""rates = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
sweep = nbdl.compare(config, nbdl.grid(lr=rates, seed=[0, 1, 2]))
best_val = {lr: [sweep[f"lr={lr:g}, seed={s}"].history["val_loss"] for s in range(3)] for lr in rates}
for lr in rates:
    finals = [min(h) for h in best_val[lr]]
    print(f"lr {lr:<7g} best validation loss, seeds 0-2: " + "  ".join(f"{f:.3f}" for f in finals))
mean = {lr: sum(min(h) for h in best_val[lr]) / 3 for lr in rates}
assert mean[1.0] < 0.3 * mean[1e-4] and mean[1.0] < mean[10.0]  # the best rate is inside the range"""),
    new_code_cell("""import matplotlib.pyplot as plt

fig, (curves, summary) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
for i, lr in enumerate(rates):
    for s, history in enumerate(best_val[lr]):
        curves.plot(range(1, len(history) + 1), history, color=f"C{i}", alpha=0.8,
                    label=f"lr {lr:g}" if s == 0 else None)
curves.set(xlabel="epoch", ylabel="validation loss", title="each rate, three seeds")
curves.set_ylim(0, 1.0)  # lr 10 starts far above: its first epoch is off the scale
curves.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1, 1))
for s in range(3):
    summary.plot(rates, [min(best_val[lr][s]) for lr in rates], "o-", color="gray", alpha=0.6)
summary.set(xscale="log", xlabel="learning rate", ylabel="best validation loss", title="the sweep")
plt.show()"""),
    new_markdown_cell("""## Grid, random and TPE with `nbdl.search`

`nbdl.search(config, space, trials, method)` runs an Optuna study: a range `(low, high, "log")`
is searched on a log scale (a fourth number gives a grid its points), a list is a set of choices.
Each trial is scored by its best epoch's validation loss; with any method, once four trials have
finished, a trial that trails their median at the same epoch is **pruned** (stopped early). The same seed gives the same trials."""),
    new_code_cell("""found = {
    "grid": nbdl.search(config, {"lr": (1e-4, 10.0, "log", 6)}, method="grid"),
    "random": nbdl.search(config, {"lr": (1e-4, 10.0, "log")}, trials=10, method="random"),
    "tpe": nbdl.search(config, {"lr": (1e-4, 10.0, "log")}, trials=20, method="tpe"),
}
for method, result in found.items():
    print(f"{method:6s} {len(result.trials):2d} trials: best lr {result.best_config.lr:.3g}, "
          f"best validation loss {result.best_value:.3f} (the default: {default_score:.3f})")"""),
    new_code_cell("""found["tpe"].trials.round(3)   # one row per trial"""),
    new_code_cell("""from nbdl.plots.search import search_figure

search_figure(found["tpe"])"""),
    new_markdown_cell("""Every search ends far from the default's score, with a learning rate thousands of times larger.
The check: each search's best learning rate is at least 100 times the default, and its score at
most 60% of the default's."""),
    new_code_cell("""for method, result in found.items():
    assert result.best_config.lr >= 100 * config.lr, (method, result.best_config.lr)
    assert result.best_value <= 0.6 * default_score, (method, result.best_value, default_score)
tuned = nbdl.train(config=found["tpe"].best_config)
print(f"retrained with lr {tuned.config.lr:.3g}: validation accuracy {tuned.history['val_acc'][-1]:.3f} "
      f"(default {default.history['val_acc'][-1]:.3f}), test accuracy {tuned.evaluate('test')['accuracy']:.3f}")
assert tuned.history["val_acc"][-1] > default.history["val_acc"][-1] + 0.2"""),
    new_markdown_cell("""## The same in a cell: `%nbdl tune`

A flag with a range (`LOW:HIGH[:log][:POINTS]`) or choices (`a,b`) is searched, a single value sets
every trial. The table and the picture update as the trials finish, and the result is stored as
`tuned` (`--result`). Here two settings at once: the learning rate and the batch size."""),
    new_code_cell("""%%nbdl net small
input 2
dense 16 relu
dense 2 softmax"""),
    new_code_cell("%nbdl tune small --data moons --optimizer sgd --epochs 15 --seed 0 --search grid --lr 1e-3:10:log:5 --batch-size 16,64 --result grid_result"),
    new_code_cell("""print(grid_result.summary())
assert grid_result.best_config.lr > 1e-2"""),
    new_markdown_cell("""## Try it

- Search more at once: `{"lr": (1e-4, 1.0, "log"), "momentum": (0.0, 0.95), "batch_size": [16, 32, 64]}`.
  With several settings, random search and TPE find good regions with far fewer trials than a grid.
- Raise the epochs: the best learning rate of a short run is not always the best of a long one.
- `workers=2` (or `--workers 2`) runs trials in two processes; see the README's "Search"."""),
]
