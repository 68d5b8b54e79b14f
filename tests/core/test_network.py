"""Network specs: the text form, JSON round trips, shapes checked at build time, errors naming lines."""
import json

import pytest
import torch

import nbdl
from nbdl import Dense, Dropout, Input, NbdlError, NetworkSpec

TEXT = """
input 2
dense 16 relu      # a hidden layer
dropout 0.2

dense 16 leaky_relu(0.05)
batchnorm
dense 2 softmax
"""


def test_text_form_builds_the_layers_it_says():
    net = nbdl.build(TEXT)
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(2, 16), (16, 16), (16, 2)]
    assert isinstance(net.layers[1], torch.nn.Dropout) and net.layers[1].p == 0.2
    assert isinstance(net.layers[2].activation, torch.nn.LeakyReLU) and net.layers[2].activation.negative_slope == 0.05
    assert isinstance(net.layers[3], torch.nn.BatchNorm1d)
    assert net.output_activation == "softmax"
    out = net.eval()(torch.randn(5, 2))
    assert out.shape == (5, 2)
    torch.testing.assert_close(out.sum(dim=1), torch.ones(5))


def test_spec_round_trips_through_text_and_json():
    spec = NetworkSpec.parse(TEXT)
    assert NetworkSpec.parse(spec.to_text()) == spec
    again = NetworkSpec.from_dict(json.loads(spec.to_json()))
    assert again == spec
    assert spec.to_text().splitlines() == [
        "input 2", "dense 16 relu", "dropout 0.2", "dense 16 leaky_relu(0.05)", "batchnorm", "dense 2 softmax"]


def test_python_api_builds_the_same_network():
    spec = NetworkSpec([Input(2), Dense(16, "relu"), Dropout(0.2), Dense(16, "leaky_relu(0.05)"),
                        nbdl.BatchNorm(), Dense(2, "softmax")])
    assert spec == NetworkSpec.parse(TEXT)
    assert NetworkSpec(["input 2", "dense 3 tanh", {"type": "dense", "units": 2}]).to_text() == "input 2\ndense 3 tanh\ndense 2"


def test_shapes_are_reported_per_layer():
    assert NetworkSpec.parse("input 1x8x8\nflatten\ndense 10 softmax").shapes() == [(1, 8, 8), (64,), (10,)]


def test_input_size_comes_from_data_when_no_input_line():
    net = nbdl.build("dense 4 relu\ndense 1", input_shape=(7,))
    assert net.input_shape == (7,) and net(torch.randn(3, 7)).shape == (3, 1)


@pytest.mark.parametrize("text, message", [
    ("input 2\ndens 16 relu", r"line 2: unknown layer 'dens'; choose one of: activation, avgpool, batchnorm, conv, convtranspose, dense, dropout, embedding, flatten, globalavgpool, gru, input, lstm, maxpool, rnn, upsample, vae"),
    ("input 2\ndense 16 relux", r"line 2: unknown activation 'relux'; choose one of: .*relu.*\(in 'dense 16 relux'\)"),
    ("input 2\ndense sixteen", r"line 2: dense units must be a whole number >= 1, got 'sixteen'"),
    ("input 2\ndense 0", r"line 2: dense units must be a whole number >= 1, got 0"),
    ("input 2\ndropout 1.0", r"line 2: dropout rate must be a number in \[0, 1\), got 1.0"),
    ("input 2\ndropout -0.1", r"line 2: dropout rate must be a number in \[0, 1\), got -0.1"),
    ("input 1x8x8\ndense 10", r"line 2: 'dense 10' expects a flat vector of features but gets shape 1x8x8; add a 'flatten'"),
    ("input 2\nbatchnorm 3", r"line 2: 'batchnorm' takes no arguments"),
    ("dense 3\ndense 2", r"no 'input N' line and no data"),
    ("# only a comment\n", r"the network has no layers"),
])
def test_bad_network_text_names_the_line(text, message):
    with pytest.raises(NbdlError, match=message):
        nbdl.build(text)


def test_input_that_does_not_fit_the_data_is_refused():
    with pytest.raises(NbdlError, match=r"samples of shape 4 but the network's line 1: 'input 2' expects 2; change it to 'input 4'"):
        nbdl.build("input 2\ndense 3", input_shape=(4,))
