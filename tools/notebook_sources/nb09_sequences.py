"""Notebook 09: RNNs, LSTMs and sequences: the adding problem, forecasting, text."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "09_sequences.ipynb"

CELLS = [
    new_markdown_cell("""# RNNs, LSTMs and sequences

A **recurrent** network reads a sequence one step at a time and carries a hidden state from each
step to the next: the state is its memory of what it has seen. A plain RNN squashes the old state
and the new input through one tanh layer at every step, so the gradient that reaches an early step
is multiplied by the same weights once per step; over 50 steps it all but vanishes, and the
network cannot learn to remember.

An **LSTM** (Hochreiter and Schmidhuber 1997) keeps a separate cell state that is carried forward
by addition, with gates that decide what to write, what to forget and what to show. Along the
cell state the gradient is not squashed at every step, so it can learn to hold a value for as
long as it needs.

This notebook measures that difference on the problem made to show it, then uses an LSTM to
forecast a real series and to write text. Every run has a fixed seed."""),
    new_code_cell("""%load_ext nbdl
import numpy as np
import matplotlib.pyplot as plt
import nbdl
from nbdl.core.diagnostics import forecast, sample_text
from nbdl.plots.compare import comparison_figure
from nbdl.plots.pictures import forecast_figure"""),
    new_markdown_cell("""## The adding problem

Each sequence has 50 steps. Every step holds a random value between 0 and 1 and a marker; exactly
two steps are marked, one in each half. The target is the sum of the two marked values. To answer,
a network must notice a marker, keep its value for up to 49 steps while ignoring everything else,
and add the second one. Guessing the average sum (about 1) is the best a network can do without
memory."""),
    new_code_cell("%nbdl data adding --seq-len 50"),
    new_markdown_cell("""A plain RNN and an LSTM of 32 units each, the same data (5,000 sequences), Adam at 0.003,
8 epochs, the same seed. Only the recurrent layer differs."""),
    new_code_cell("""base = {"data": "adding", "data_options": {"seq_len": 50, "n": 5000}, "lr": 3e-3, "epochs": 8, "seed": 0}
adding = nbdl.compare(base, {"rnn": {"network": "input seq 2\\nrnn 32\\ndense 1"},
                             "lstm": {"network": "input seq 2\\nlstm 32\\ndense 1"}})
comparison_figure(adding)"""),
    new_markdown_cell("""The yardstick is the **mean predictor**: always answer the training targets' mean. Its error on
the test split is the variance of the sum, about 1/6."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
split, targets = adding["lstm"].data, adding["lstm"].dataset.y    # the sums, in their own units
y_train, y_test = targets[split.indices["train"]], targets[split.indices["test"]]
mean_mse = float(np.mean((y_test - y_train.mean()) ** 2))
mse = {name: float(run.evaluate("test")["mse"]) for name, run in adding.items()}
print(f"mean predictor  test MSE {mean_mse:.3f}")
for name, value in mse.items():
    print(f"{name:15s} test MSE {value:.4f}   ({value / mean_mse:.1%} of the mean predictor's)")
assert mse["lstm"] < 0.05 * mean_mse       # the LSTM solves it
assert mse["rnn"] > 0.8 * mean_mse         # the plain RNN stays near the mean's error"""),
    new_markdown_cell("""The LSTM's error falls to a few percent of the mean predictor's within a few epochs; the plain
RNN's stays close to it: it learned almost nothing beyond the average. Try it yourself:

- `seq_len` 10 in `base`: a plain RNN can bridge short gaps, so it begins to learn too;
- `gru 32` in place of `lstm 32`: the GRU (Cho et al. 2014) gates its state the same way;
- more epochs for the RNN: its error creeps down only slowly."""),
    new_markdown_cell("""## Forecasting a real series

statsmodels ships the yearly sunspot numbers from 1700 to 2008. Each example is a window of 20 years,
the target the next year. The windows hold values relative to each window's last year, and the
split keeps time order: the network trains on the past and is tested on the last years, which it
never saw. The honest yardstick here is **persistence**: next year will be like this year."""),
    new_code_cell("""%nbdl data sunspots"""),
    new_code_cell("""sun = nbdl.train("input seq 1\\nlstm 32\\ndense 1", data="sunspots", lr=3e-3, epochs=30, seed=0)
predicted, actual = forecast(sun)     # one step ahead over the held-out years, in sunspot units
forecast_figure(predicted, actual, "sunspots")"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
this_year = sun.dataset.offset[sun.data.indices["test"]]    # each window's last value
persistence_mse = float(np.mean((actual - this_year) ** 2))
lstm_mse = float(np.mean((predicted - actual) ** 2))
print(f"held-out years: {len(actual)}")
print(f"persistence MSE {persistence_mse:.0f}, LSTM MSE {lstm_mse:.0f} ({lstm_mse / persistence_mse:.0%} of it)")
assert lstm_mse < 0.5 * persistence_mse"""),
    new_markdown_cell("""The LSTM has learned enough of the roughly 11-year cycle to see most turns coming, which persistence
always misses by a year; it still trails the steepest rises (look at steps 4-6 and 36-38). `data="co2"` (weekly CO2 at Mauna Loa, windows of 52 weeks) works the same way."""),
    new_markdown_cell("""## Text, one character at a time

The `text` data set is Python's own documentation, cut into windows of 64 characters; at every step
the target is the next character. An `embedding` turns each character code into 16 numbers, an LSTM
with `sequences` gives its output at every step, and a softmax over the 100 or so characters
predicts the next. 1,500 windows and 10 epochs take a few seconds."""),
    new_code_cell("""chars = nbdl.train("input tokens\\nembedding 100 16\\nlstm 128 sequences\\ndense 100 softmax", data="text",
                   data_options={"n": 1500, "seq_len": 64}, lr=3e-3, epochs=10, seed=0)
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
epochs = np.arange(1, chars.epoch + 1)
ax.plot(epochs, chars.history["train_loss"], label="training")
ax.plot(epochs, chars.history["val_loss"], label="validation")
ax.set(xlabel="epoch", ylabel="cross-entropy per character (nats)", title="learning to predict the next character")
ax.legend(); plt.show()"""),
    new_markdown_cell("""The yardstick: a model that knows only how often each character occurs (its **unigram**
frequencies) and ignores what came before. Its loss is the entropy of those frequencies. (Both are in **nats**: information measured with
the natural logarithm; 1 nat is about 1.44 bits.)"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
targets = chars.dataset.y[chars.data.indices["train"]]     # the next character at every step
counts = np.bincount(np.asarray(targets).ravel(), minlength=chars.dataset.n_classes)
p = counts[counts > 0] / counts.sum()
unigram = float(-(p * np.log(p)).sum())
print(f"unigram entropy {unigram:.2f} nats; LSTM validation loss {chars.history['val_loss'][-1]:.2f}, "
      f"next character right {chars.history['val_acc'][-1]:.0%} of the time")
assert chars.history["val_loss"][-1] < unigram - 0.5"""),
    new_code_cell("""print(sample_text(chars, start="The ", length=200, temperature=0.8, seed=0))"""),
    new_markdown_cell("""After a few seconds it has learned short common words ("the", "as", "a"), word lengths, spaces and
punctuation, and nothing of meaning.
Train longer (`epochs=40`) or on more of the corpus (drop `n`), and lower `temperature` for safer
text. `%nbdl train` takes the same settings: for example
`%nbdl train net --data text --n 1500 --seq-len 64 --epochs 10`."""),
]
