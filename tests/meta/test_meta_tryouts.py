"""Problems found by trying nbdl.meta as an outside user: each bad input gets one clear NbdlError
naming the value and what is allowed, never a raw torch or numpy error."""
import numpy as np
import pytest
import torch

from nbdl.core.errors import NbdlError
from nbdl.core.meta import meta

SINE = "input 1\ndense 8 relu\ndense 1"
DIGITS = "input 64\ndense 8 relu\ndense 5"


@pytest.fixture(scope="module")
def sine():
    return meta(SINE, iterations=2, every=1, meta_batch=2)


@pytest.fixture(scope="module")
def digits():
    return meta(DIGITS, tasks="digits", fit=False)


@pytest.mark.parametrize("method", ["maml", "reptile", "pretrain"])
@pytest.mark.parametrize("line, words", [("dropout 0.5", "random masks"), ("batchnorm", "running statistics")])
def test_layers_torch_func_cannot_adapt_are_refused_with_their_line(method, line, words):
    with pytest.raises(NbdlError, match=f"line 3: '{line}' .*{words}.*remove the"):
        meta(f"input 1\ndense 8 relu\n{line}\ndense 1", method=method, iterations=1)


@pytest.mark.parametrize("head", ["softmax", "sigmoid"])
def test_an_output_squashing_on_regression_is_refused(head):
    with pytest.raises(NbdlError, match=f"'dense 1 {head}': sinusoid tasks are regression.*'dense 1'"):
        meta(f"input 1\ndense 8 relu\ndense 1 {head}", fit=False)
    assert meta(DIGITS + " softmax", tasks="digits", fit=False)  # classification keeps its softmax


def test_a_network_without_weights_is_refused():
    with pytest.raises(NbdlError, match="no weights to learn"):
        meta("input 1", fit=False)


def test_digits_shots_and_queries_beyond_the_smallest_class_are_refused():
    with pytest.raises(NbdlError, match=r"shots \+ queries = 100 \+ 100 = 200.*smallest class has 174"):
        meta(DIGITS, tasks="digits", shots=100, queries=100, fit=False)


@pytest.mark.parametrize("x, y, words", [
    (np.zeros((5, 2)), np.zeros(5), r"adapt's x has shape \(5, 2\).*1 number per point"),
    ("abc", [1.0], "adapt's x must be numbers.*'abc'"),
    ([], [], "got 0 inputs but 0 targets.*at least one"),
    ([1.0], [float("nan")], "adapt's y holds NaN"),
])
def test_adapt_names_bad_shots(sine, x, y, words):
    with pytest.raises(NbdlError, match=words):
        sine.adapt((x, y))


def test_adapt_takes_tensors_that_require_grad(sine):
    x = torch.linspace(-1, 1, 4, requires_grad=True).reshape(4, 1)
    assert sine.predict(x, model=sine.adapt((x, x.detach() * 2))).shape == (4,)


@pytest.mark.parametrize("y, label", [([0, 7, 1], "7"), ([0.5, 1, 2], "0.5")])
def test_adapt_names_a_label_outside_the_ways(digits, y, label):
    with pytest.raises(NbdlError, match=f"label {label}; the labels of a 5-way task are the whole numbers 0 to 4"):
        digits.adapt((np.zeros((3, 64)), y))


def test_predict_refuses_a_wrong_shape_or_model(sine, digits):
    with pytest.raises(NbdlError, match=r"predict's x has shape \(3, 2\)"):
        sine.predict(np.zeros((3, 2)))  # silently read as 6 points before
    with pytest.raises(NbdlError, match=r"predict's x has shape \(10,\).*64 numbers per point"):
        digits.predict([0.0] * 10)
    with pytest.raises(NbdlError, match="model is a network.*got str"):
        sine.predict([1.0], model="x")
    assert sine.predict([0.0, 1.0, 2.0]).shape == (3,)


@pytest.mark.parametrize("seed", [-1, "a", 1.5])
def test_seeds_are_checked(sine, seed):
    with pytest.raises(NbdlError, match="seed must be a whole number"):
        sine.new_task(seed=seed)
    with pytest.raises(NbdlError, match="seed must be a whole number"):
        sine.evaluate_tasks(n=2, seed=seed)


def test_steps_as_a_string_is_named_whole(sine):
    with pytest.raises(NbdlError, match="got '10'"):
        sine.evaluate_tasks(n=2, steps="10")
