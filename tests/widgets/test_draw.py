"""The drawing panel (``%nbdl draw``) through its widget state: points set on drawdata's canvas as
the browser sets them become a Dataset in the namespace that trains; and the dashboard's control
for the data option ``features``, derived from its declaration."""
import sys

import numpy as np
import pytest

import nbdl
from nbdl.widgets import Dashboard
from nbdl.widgets.draw import UNIT, DrawPanel

COLORS = {"a": "#1f77b4", "b": "#ff7f0e", "c": "#2ca02c"}


def _stroke(label, centre, count, batch, seed=0):
    """Points as drawdata's front end sends them: canvas pixels (y up), colour, class label, stroke."""
    rng = np.random.default_rng(seed)
    return [{"x": float(x), "y": float(y), "color": COLORS[label], "label": label, "batch": batch}
            for x, y in rng.normal(centre, 25, (count, 2))]


@pytest.fixture
def panel():
    namespace = {}
    p = DrawPanel("shapes", namespace)
    yield p, namespace
    p.close()


def test_drawn_points_become_a_dataset_that_trains(panel):
    p, namespace = panel
    drawn = _stroke("a", (200, 100), 40, 0) + _stroke("b", (600, 300), 30, 1, seed=1) + _stroke("c", (400, 200), 20, 2)
    p.canvas.data = drawn
    data = namespace["shapes"]
    assert isinstance(data, nbdl.Dataset) and data is p.dataset and data.name == "shapes"
    assert data.n_classes == 3 and data.class_names == ["a", "b", "c"]
    expected = np.array([[d["x"] - 400, d["y"] - 200] for d in drawn]) / UNIT  # centred, 100 px a unit
    np.testing.assert_allclose(data.X, expected, rtol=1e-6)
    np.testing.assert_array_equal(data.y, [0] * 40 + [1] * 30 + [2] * 20)
    assert "90 points (40 of class a, 30 of class b, 20 of class c), a data set of 3 classes" in p.counts.value
    assert "%nbdl train NET --data shapes" in p.counts.value
    run = nbdl.train("input 2\ndense 8 relu\ndense 3 softmax", data, epochs=30, lr=0.05)
    assert run.evaluate("test")["accuracy"] >= 0.9  # three well apart clouds
    featured = nbdl.train("input 2\ndense 3 softmax", data, data_options={"features": "x1^2,x2^2"}, epochs=2)
    assert featured.dataset.sample_shape == (2,) and featured.predict(data.X[:5]).shape == (5,)


def test_a_later_stroke_or_an_undo_updates_the_dataset(panel):
    p, namespace = panel
    first = _stroke("a", (200, 200), 10, 0) + _stroke("b", (600, 200), 10, 1)
    p.canvas.data = first
    before = namespace["shapes"]
    p.canvas.data = first + _stroke("b", (650, 250), 15, 2, seed=3)
    assert len(namespace["shapes"]) == 35 and namespace["shapes"] is not before
    p.canvas.data = first  # undo: the last stroke is gone
    assert len(namespace["shapes"]) == 20 and namespace["shapes"].class_counts() == {"a": 10, "b": 10}


def test_too_little_drawing_says_what_is_missing(panel):
    p, namespace = panel
    assert "no points yet; draw points of at least two classes" in p.counts.value
    with pytest.raises(nbdl.NbdlError, match="the data is empty"):
        nbdl.train("input 2\ndense 2 softmax", namespace["shapes"], epochs=1)
    p.canvas.data = _stroke("a", (300, 200), 12, 0)
    assert p.dataset is None and "12 of class a; draw points of another class too" in p.counts.value
    with pytest.raises(nbdl.NbdlError, match=r"classification needs at least 2 classes, but y holds only \['a'\]; "
                                             "give samples of another class too"):
        nbdl.train("input 2\ndense 2 softmax", namespace["shapes"], epochs=1)


def test_close_unhooks_the_canvas():
    namespace = {}
    p = DrawPanel("shapes", namespace)
    canvas = p.canvas
    p.close()
    canvas.data = _stroke("a", (200, 200), 5, 0) + _stroke("b", (600, 200), 5, 1)
    assert isinstance(namespace["shapes"], tuple) and len(namespace["shapes"][0]) == 0
    p.close()  # a second close does nothing


def test_without_drawdata_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "drawdata", None)  # import drawdata now raises ImportError
    with pytest.raises(nbdl.NbdlError, match=r"needs the drawdata package: pip install 'nbdl\[draw\]'"):
        DrawPanel("shapes", {})


def test_the_dashboard_shows_a_features_control_and_the_input_follows():
    d = Dashboard(data="circles")
    try:
        control = d.settings.option_controls["features"]
        toggles = dict(zip(control.names, control.parts))
        assert control.value == "x1,x2" and list(toggles)[:4] == ["x1", "x2", "x1^2", "x2^2"]
        assert [name for name, toggle in toggles.items() if toggle.value] == ["x1", "x2"]
        toggles["x1*x2"].value = True  # a switch, as in the Playground
        assert d.config.data_options == {"features": "x1,x2,x1*x2"}
        assert d.config.network.input_shape == (3,)
        assert "--features 'x1,x2,x1*x2'" in d.magic.value
        for name in ("x1", "x2", "x1*x2"):
            toggles[name].value = False
        assert "at least one input feature" in d.message.value and d.config.data_options == {"features": "x1*x2"}
        assert [name for name, toggle in toggles.items() if toggle.value] == ["x1*x2"]  # what is in use
        toggles["x1"].value = True
        toggles["x1*x2"].value = False
        toggles["x2"].value = True  # back to the default: the option is left out
        assert d.config.data_options == {} and d.config.network.input_shape == (2,)
    finally:
        d.close()
