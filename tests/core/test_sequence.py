"""Recurrent networks: layers and shapes, the adding problem (LSTM against a plain RNN), forecasts."""
import numpy as np
import pytest
import torch

import nbdl
from nbdl.core.diagnostics import forecast
from nbdl.plots.pictures import forecast_figure
from nbdl.plots.render import figure_png


def test_recurrent_layers_have_the_shapes_they_say():
    spec = nbdl.NetworkSpec.parse("input seq 2\ngru 8 sequences\nlstm 16 layers=2 bidirectional\ndense 1")
    assert spec.shapes() == [(0, 2), (0, 8), (32,), (1,)]
    assert nbdl.NetworkSpec.parse(spec.to_text()) == spec
    assert nbdl.NetworkSpec.from_dict(spec.to_dict()) == spec
    net = spec.build((30, 2))
    assert net(torch.randn(5, 30, 2)).shape == (5, 1)
    assert net(torch.randn(5, 7, 2)).shape == (5, 1)  # any number of steps


def test_last_step_outputs_are_what_the_torch_layers_give():
    net = nbdl.build("input seq 3\nlstm 4 bidirectional").eval()
    x = torch.randn(2, 6, 3)
    out, _ = net.layers[0].rnn(x)
    expected = torch.cat([out[:, -1, :4], out[:, 0, 4:]], dim=1)  # forward ends last, backward ends first
    torch.testing.assert_close(net(x), expected)


@pytest.mark.parametrize("text, data, message", [
    ("input 64\ndense 1", "adding", r"samples of shape 50x2 but the network's line 1: 'input 64' expects 64; "
                                    r"change it to 'input seq 2'"),
    ("input seq 2\ndense 1", "adding", r"the network predicts at every step of the sequence but the data has one "
                                       r"target per sample; predict from the last step"),
    ("input tokens\nembedding 100 8\nlstm 16\ndense 100 softmax", "text",
     r"the data has a target for every step of each sample .* but the network predicts one value per sample; for "
     r"sequences, end the recurrent layers with 'sequences'"),
    ("input 2\nlstm 8\ndense 2 softmax", "moons", r"line 2: 'lstm 8' works on sequences \(steps x features\) but gets shape 2"),
    ("input seq 2\nlstm 8 twoway\ndense 1", "adding", r"write 'lstm UNITS \[layers=N\] \[bidirectional\] \[sequences\]'.*got 'twoway'"),
])
def test_sequences_and_vectors_that_do_not_fit_are_named(text, data, message):
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.train(text, data=data, data_options={"n": 100} if data in ("adding", "text") else {}, epochs=1)


def test_the_adding_problem():
    data = nbdl.load_data("adding", n=2000, seq_len=30, seed=1)
    assert data.X.shape == (2000, 30, 2) and data.y.shape == (2000, 1)
    marked = data.X[:, :, 1]
    assert (marked.sum(axis=1) == 2).all() and (marked[:, :15].sum(axis=1) == 1).all()
    np.testing.assert_allclose(data.y[:, 0], (data.X[:, :, 0] * marked).sum(axis=1), rtol=1e-6)
    assert np.mean((data.y - data.y.mean()) ** 2) == pytest.approx(1 / 6, abs=0.01)  # the trivial baseline


@pytest.mark.slow
def test_an_lstm_solves_the_adding_problem_at_length_50_and_a_plain_rnn_does_not():
    def mse(kind):
        run = nbdl.train(f"input seq 2\n{kind} 32\ndense 1", data="adding", data_options={"n": 10000, "seq_len": 50},
                         optimizer="adam", lr=3e-3, batch_size=64, epochs=8, test_split=0.1, seed=0)
        return run.evaluate("test")["mse"]

    lstm, rnn = mse("lstm"), mse("rnn")
    assert lstm < 0.05, f"LSTM test MSE {lstm:.3f}"           # well under the mean's 0.167
    assert rnn > 0.12 and rnn > 5 * lstm, f"RNN test MSE {rnn:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["co2", "sunspots"])
def test_an_lstm_forecasts_real_series_better_than_the_last_value(name):
    run = nbdl.train("input seq 1\nlstm 32\ndense 1", data=name, epochs=30, lr=3e-3, seed=0)
    predicted, actual = forecast(run)
    last_value = run.dataset.offset[run.data.indices["test"]]
    assert np.abs(predicted - actual).mean() < 0.9 * np.abs(last_value - actual).mean()
    assert figure_png(forecast_figure(predicted, actual, name)).startswith(b"\x89PNG")
    with pytest.raises(nbdl.NbdlError, match=r"'adding' is not a forecasting data set"):
        forecast(nbdl.train("input seq 2\ngru 4\ndense 1", data="adding", data_options={"n": 200}, epochs=1))


def test_the_text_corpus_predicts_the_next_character_at_every_step():
    data = nbdl.load_data("text", seq_len=32, chars=20_000)
    assert data.X.shape[1] == 32 and data.y.shape == data.X.shape
    np.testing.assert_array_equal(data.X[0, 1:], data.y[0, :-1])  # y is X moved on by one character
    text = "".join(data.class_names[int(c)] for c in data.X[0])
    assert text.startswith('The "assert" statement')


@pytest.mark.slow
def test_a_character_model_learns_and_writes_text():
    from nbdl.core.diagnostics import sample_text

    data = nbdl.load_data("text", chars=60_000)
    spec = f"input tokens\nembedding {data.n_classes} 16\nlstm 96 sequences\ndense {data.n_classes} softmax"
    run = nbdl.train(spec, data=data, epochs=6, lr=3e-3, seed=0)
    assert run.split_sizes["train"] > 500 and run.model.output_shape == (64, data.n_classes)
    # Better than knowing only how often each character occurs (the unigram entropy, in nats).
    counts = np.bincount(data.y.ravel(), minlength=data.n_classes)
    p = counts[counts > 0] / counts.sum()
    assert run.history["val_loss"][-1] < -(p * np.log(p)).sum() - 0.5
    written = sample_text(run, "The ", length=120, seed=1)
    assert len(written) == 124 and written.startswith("The ") and set(written) <= set(data.class_names)
    assert written == sample_text(run, "The ", length=120, seed=1)
    with pytest.raises(nbdl.NbdlError, match=r"start with some of the corpus's characters; not in it: '€'"):
        sample_text(run, "€uro")
