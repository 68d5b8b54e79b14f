"""``%nbdl draw NAME`` and ``--features`` in a real IPython kernel: the canvas is shown, NAME follows
what is drawn, and training on it (with input features) works from the magic."""
import pytest

pytestmark = pytest.mark.slow

WIDGET = "application/vnd.jupyter.widget-view+json"
DRAW = ("import numpy as np\n"
        "rng = np.random.default_rng(0)\n"
        "def stroke(label, colour, centre, batch):\n"
        "    return [dict(x=float(x), y=float(y), color=colour, label=label, batch=batch)\n"
        "            for x, y in rng.normal(centre, 30, (40, 2))]\n")


def test_draw_shows_the_canvas_and_name_follows_the_drawing(kernel):
    result = kernel.run("%nbdl draw shapes --as drawing")
    assert result.status == "ok", result.text
    assert result.mimes(WIDGET), "no widget in the output"
    assert kernel.value("type(shapes).__name__") == "tuple"  # nothing drawn yet
    assert kernel.value("type(drawing.canvas).__name__") == "ScatterWidget"
    kernel.run("%%nbdl net net\ninput 2\ndense 2 softmax")
    kernel.run(DRAW + "drawing.canvas.data = stroke('a', '#1f77b4', (250, 200), 0)")
    line = kernel.run("%nbdl train net --data shapes --epochs 1 --no-plot")
    assert line.status == "error" and "classification needs at least 2 classes" in line.text, line.text
    kernel.run("drawing.canvas.data = drawing.canvas.data + stroke('b', '#ff7f0e', (550, 200), 1)")
    assert kernel.value("repr(shapes)") == "Dataset('shapes': 80 samples of shape (2,), classification, 2 classes)"
    trained = kernel.run("%nbdl train net --data shapes --features x1^2,x2^2 --epochs 3 --no-plot --as drawn_run")
    assert trained.status == "ok", trained.text
    assert kernel.value("drawn_run.dataset.features") == ("x1^2", "x2^2")
    assert kernel.value("drawn_run.predict(shapes.X[:4]).shape") == (4,)


def test_draw_refuses_a_bad_name_and_has_help(kernel):
    result = kernel.run("%nbdl draw 1shapes")
    assert result.status == "error" and "'1shapes' is not a valid Python variable name" in result.text
    assert "--features x1^2,x2^2" in kernel.run("%nbdl draw --help").text
    assert "  draw " in kernel.run("%nbdl --help").text


def test_train_with_features_from_the_magic(kernel):
    kernel.run("%%nbdl net net\ninput 2\ndense 2 softmax")
    result = kernel.run("%nbdl train net --data circles --features x1^2,x2^2 --epochs 40 --lr 0.05 --as circled")
    assert result.status == "ok", result.text
    assert result.mimes("image/png"), "no live plot (with decision regions over the plane) in the output"
    assert kernel.value("circled.evaluate('test')['accuracy']") >= 0.95
    assert "--features LIST" in kernel.run("%nbdl train --help").text
    bad = kernel.run("%nbdl train net --data circles --features x1,x3")
    assert bad.status == "error" and "unknown input feature 'x3'; choose one of:" in bad.text
