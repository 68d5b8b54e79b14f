"""Activation curves: autograd derivatives against closed forms, region ends against their formulas."""
import math

import numpy as np
import pytest

import nbdl
from nbdl.core import activations
from nbdl.core.curves import activation_curves, regions


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.fixture(scope="module")
def curves():
    return nbdl.activation_curves(slope=0.2, alpha=0.7, init=0.3, points=801)


def test_every_registered_activation_gets_a_curve_in_the_registry_order(curves):
    assert curves.names == [record.name for record in activations.registry.in_order()]
    assert curves.x[0] == -6 and curves.x[-1] == 6 and len(curves.x) == 801
    assert (curves.slope, curves.alpha, curves.init) == (0.2, 0.7, 0.3)


@pytest.mark.parametrize("name, derivative", [
    ("sigmoid", lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    ("tanh", lambda x: 1 - np.tanh(x) ** 2),
    ("relu", lambda x: (x > 0).astype(float)),
    ("leaky_relu", lambda x: np.where(x > 0, 1.0, 0.2)),
    ("prelu", lambda x: np.where(x > 0, 1.0, 0.3)),
    ("elu", lambda x: np.where(x > 0, 1.0, 0.7 * np.exp(x))),
    ("swish", lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    ("linear", lambda x: np.ones_like(x)),
])
def test_derivatives_by_autograd_match_the_closed_forms(curves, name, derivative):
    curve = curves[name]
    np.testing.assert_allclose(curve.derivative, derivative(curves.x), rtol=1e-13, atol=1e-15)


def test_the_closed_forms_in_terms_of_the_value(curves):
    s, t = curves["sigmoid"], curves["tanh"]
    np.testing.assert_allclose(s.derivative, s.value * (1 - s.value), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(t.derivative, 1 - t.value ** 2, rtol=1e-13, atol=1e-15)


def test_softmax_is_drawn_as_its_first_output_over_x_and_zero_which_is_sigmoid(curves):
    curve = curves["softmax"]
    assert curve.label == "softmax([x, 0])[0]" and "vector function" in curve.note
    np.testing.assert_allclose(curve.value, _sigmoid(curves.x), rtol=1e-14)
    np.testing.assert_allclose(curve.derivative, _sigmoid(curves.x) * (1 - _sigmoid(curves.x)), rtol=1e-12, atol=1e-16)


def test_saturating_regions_end_where_the_formula_says():
    c = activations.SATURATION  # sigmoid' = s(1 - s) = c/4 at s = (1 + sqrt(1 - c)) / 2; tanh' = 1 - t^2 = c
    s = (1 + math.sqrt(1 - c)) / 2
    sigmoid_end, tanh_end = math.log(s / (1 - s)), math.atanh(math.sqrt(1 - c))
    curves = activation_curves(only="sigmoid,tanh", points=101)  # a coarse grid: the ends come from bisection
    for name, end in (("sigmoid", sigmoid_end), ("tanh", tanh_end)):
        (left, inner_left), (inner_right, right) = curves[name].saturated
        assert (left, right) == (-6, 6)
        assert inner_left == pytest.approx(-end, abs=1e-12) and inner_right == pytest.approx(end, abs=1e-12)
    assert sigmoid_end == pytest.approx(4.3565, abs=1e-4) and tanh_end == pytest.approx(sigmoid_end / 2)


def test_only_the_relu_family_at_zero_slope_has_a_zero_gradient_side():
    curves = activation_curves(slope=0.0, alpha=0.0)
    for name in ("relu", "leaky_relu", "elu"):
        ((left, right),) = curves[name].zero_gradient
        assert left == -6 and right == pytest.approx(0, abs=1e-12)
    for name in ("prelu", "gelu", "swish", "sigmoid", "tanh", "linear"):
        assert curves[name].zero_gradient == []
    normal = activation_curves(only=["leaky_relu", "elu"])
    assert normal["leaky_relu"].zero_gradient == [] and normal["elu"].zero_gradient == []
    assert normal["leaky_relu"].saturated == []


def test_regions_are_found_to_float_precision():
    x = np.linspace(-1, 1, 7)
    assert regions(x, lambda p: p > 0.3) == [(pytest.approx(0.3, abs=1e-15), 1.0)]
    assert regions(x, lambda p: np.abs(p) > 2) == []
    assert regions(x, lambda p: p < 5) == [(-1.0, 1.0)]


def test_only_takes_names_in_the_order_given_and_aliases():
    assert activation_curves(only="tanh, silu,relu,tanh").names == ["tanh", "swish", "relu"]


@pytest.mark.parametrize("kwargs, words", [
    ({"slope": 2}, ["slope", "2", "[0, 1]"]),
    ({"slope": -0.1}, ["slope", "-0.1", "[0, 1]"]),
    ({"alpha": -1}, ["alpha", "-1", "[0, 100]"]),
    ({"init": "a"}, ["init", "'a'", "a number"]),
    ({"slope": float("nan")}, ["slope", "nan"]),
    ({"low": 3, "high": 1}, ["low", "3", "high", "1"]),
    ({"points": 2}, ["points", "2", "[3, 100000]"]),
    ({"only": "relu,nope"}, ["nope", "relu", "tanh"]),
    ({"only": ""}, ["only", "choose from"]),
])
def test_bad_values_are_refused_naming_the_value_and_the_range(kwargs, words):
    with pytest.raises(nbdl.NbdlError) as caught:
        activation_curves(**kwargs)
    for word in words:
        assert word in str(caught.value)
