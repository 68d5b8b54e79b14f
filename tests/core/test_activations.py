"""Each activation against its formula, values and gradients; softmax output with cross-entropy."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nbdl
from nbdl.core import activations

X = np.concatenate([np.linspace(-4, -0.05, 40), np.linspace(0.05, 4, 40)])  # no kink at 0


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _phi(x):  # standard normal CDF
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


FORMULAS = {  # name: (value, derivative)
    "linear": (lambda x: x, lambda x: np.ones_like(x)),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), lambda x: 1 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(0, x), lambda x: (x > 0).astype(float)),
    "leaky_relu(0.1)": (lambda x: np.where(x > 0, x, 0.1 * x), lambda x: np.where(x > 0, 1.0, 0.1)),
    "prelu": (lambda x: np.where(x > 0, x, 0.25 * x), lambda x: np.where(x > 0, 1.0, 0.25)),
    "elu(0.5)": (lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(x))),
    "gelu": (lambda x: x * _phi(x), lambda x: _phi(x) + x * np.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)),
    "swish": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) + x * _sigmoid(x) * (1 - _sigmoid(x))),
}


@pytest.mark.parametrize("name", FORMULAS)
def test_activation_value_and_gradient_match_formula(name):
    value, derivative = FORMULAS[name]
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    module = activations.make(name).double()
    y = module(x)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), value(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), derivative(X), rtol=1e-8, atol=1e-10)


def test_prelu_slope_is_learned():
    module = activations.make("prelu").double()
    x = torch.tensor(X, dtype=torch.float64)
    module(x).sum().backward()
    # d/da of a*x for x < 0 is x: the slope gets the sum of the negative inputs as its gradient.
    assert module.weight.grad.item() == pytest.approx(X[X < 0].sum())


def test_softmax_value_and_jacobian():
    logits = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64, requires_grad=True)
    p = activations.make("softmax")(logits)
    e = np.exp([1.0, -2.0, 0.5])
    np.testing.assert_allclose(p.detach().numpy()[0], e / e.sum())
    weights = torch.tensor([[0.3, -1.0, 2.0]], dtype=torch.float64)
    (p * weights).sum().backward()
    s, w = e / e.sum(), np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(logits.grad.numpy()[0], s * (w - (s * w).sum()))  # J^T w, J = diag(s) - s s^T


def test_aliases_and_unknown_name():
    assert isinstance(activations.make("silu"), torch.nn.SiLU)
    with pytest.raises(nbdl.NbdlError, match=r"unknown activation 'relux'; choose one of: .*elu.*gelu.*swish"):
        activations.make("relux")


def test_softmax_output_trains_on_logits_and_predicts_probabilities(blobs_xy):
    X, y = blobs_xy
    run = nbdl.train("input 4\ndense 8 tanh\ndense 3 softmax", data=(X, y), epochs=3, seed=0)
    x, target = run.data.val.X, run.data.val.y
    logits = run.model.layers(x)
    probs = run.model(x)
    torch.testing.assert_close(probs, torch.softmax(logits, dim=1))
    # The loss nbdl trains on equals CrossEntropyLoss on the logits, and -log p(y) of the output.
    expected = torch.nn.CrossEntropyLoss()(logits, target)
    torch.testing.assert_close(run.loss(run.logits(x), target), expected)
    torch.testing.assert_close(-torch.log(probs[torch.arange(len(target)), target]).mean(), expected)
    assert run.evaluate("val")["loss"] == pytest.approx(expected.item(), rel=1e-6)
    proba = run.predict_proba(X[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert (proba >= 0).all()


def test_sigmoid_output_with_one_unit_uses_binary_cross_entropy():
    X, y = nbdl.data.load("moons", n=100).X, nbdl.data.load("moons", n=100).y
    run = nbdl.train("input 2\ndense 8 relu\ndense 1 sigmoid", data=(X, y), epochs=2)
    assert run.loss.name == "bce"
    logits = run.logits(run.data.val.X)
    expected = F.binary_cross_entropy(torch.sigmoid(logits[:, 0]), run.data.val.y.float())
    assert run.evaluate("val")["loss"] == pytest.approx(expected.item(), rel=1e-5)
    assert run.predict_proba(X[:4]).shape == (4, 2)
