"""The panels' static representation: beside the live widget's view, their settings and last
pictures as HTML and PNG, so GitHub and nbviewer show something where widgets cannot run; and a
dashboard trained after it was shown keeps its last picture in the saved notebook."""
import base64
import hashlib
import json
import sys

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import numpy as np

from nbdl.core.compare import compare
from nbdl.plots.pictures import data_figure
from nbdl.plots.render import figure_png
from nbdl.widgets import Dashboard
from nbdl.widgets.activations import ActivationExplorer
from nbdl.widgets.compare import ComparisonPanel
from nbdl.widgets.draw import DrawPanel
from nbdl.widgets.playground import Playground
from nbdl.widgets.static import WIDGET_VIEW

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_bundle_holds_the_widget_view_and_after_training_the_last_picture():
    d = Dashboard(epochs=3, lr=0.01)
    try:
        before = d._repr_mimebundle_()
        assert before[WIDGET_VIEW] == d.widget._repr_mimebundle_()[WIDGET_VIEW], "as ipywidgets itself writes it"
        assert "image/png" not in before, "no picture before any training"
        assert before["text/plain"].startswith("nbdl dashboard: not trained yet") and "--lr 0.01" in before["text/plain"]
        assert "--lr 0.01" in before["text/html"] and "HBox(" not in before["text/plain"]
        d.start()
        d.wait(60)
        after = d._repr_mimebundle_()
        assert after[WIDGET_VIEW] == before[WIDGET_VIEW]
        png = base64.b64decode(after["image/png"])
        assert png.startswith(PNG) and png == bytes(d.image.value), "the training curves' last frame"
        assert after["text/plain"].startswith("nbdl dashboard: finished · epoch 3/3")
        shown = [image for _, _, image in d.shown if image.value]
        assert after["text/html"].count("<img src=\"data:image/png;base64,") == len(shown) >= 1
        assert after["image/png"] in after["text/html"]
        with open("/tmp/nbdl-static-panel.html", "w") as f:  # to look at in a browser
            f.write(after["text/html"])
    finally:
        d.close()
    closed = d._repr_mimebundle_()
    assert WIDGET_VIEW not in closed and closed["text/plain"].startswith("nbdl dashboard: finished")


def _check_bundle(panel, title, words, picture):
    """``panel``'s bundle: the widget's view as ipywidgets writes it, the title and ``words`` in the
    text and the HTML, and ``picture`` (PNG bytes, or None) as image/png and in the HTML."""
    bundle = panel.bundle()
    assert bundle[WIDGET_VIEW] == panel.widget._repr_mimebundle_()[WIDGET_VIEW]
    assert bundle["text/plain"].startswith(title) and "Box(" not in bundle["text/plain"]
    for word in words:
        assert word in bundle["text/plain"] and word in bundle["text/html"], word
    if picture is None:
        assert "image/png" not in bundle and "<img" not in bundle["text/html"]
    else:
        assert base64.b64decode(bundle["image/png"]) == picture and picture.startswith(PNG)
        assert bundle["image/png"] in bundle["text/html"]
    return bundle


def test_the_activation_explorer_shows_its_current_picture_and_numbers():
    explorer = ActivationExplorer(slope=0.1, only="relu,leaky_relu,elu")
    try:
        first = bytes(explorer.image.value)
        _check_bundle(explorer, "nbdl activation explorer", ["relu, leaky_relu, elu", "slope 0.1", "alpha 1"], first)
        explorer.sliders["slope"].value = 0.3  # as the browser sets it: the picture is redrawn
        assert bytes(explorer.image.value) != first
        _check_bundle(explorer, "nbdl activation explorer", ["slope 0.3"], bytes(explorer.image.value))
    finally:
        explorer.close()


def test_the_drawing_panel_shows_its_counts_and_once_a_data_set_its_picture():
    pytest.importorskip("drawdata")
    namespace = {}
    panel = DrawPanel("shapes", namespace)
    try:
        _check_bundle(panel, "nbdl drawing: shapes", ["shapes: no points yet"], None)
        rng = np.random.default_rng(0)
        panel.canvas.data = [{"x": float(x), "y": float(y), "color": "#1f77b4", "label": label, "batch": 0}
                             for label, centre in (("a", 200), ("b", 600)) for x, y in rng.normal((centre, 200), 25, (20, 2))]
        picture = figure_png(data_figure(namespace["shapes"]))  # the picture %nbdl data draws of it
        _check_bundle(panel, "nbdl drawing: shapes", ["shapes: 40 points (20 of class a, 20 of class b)",
                                                      "--data shapes"], picture)
    finally:
        panel.close()


def test_the_comparison_panel_shows_its_picture_the_runs_and_the_axis():
    runs = compare({"network": "input 2\ndense 8 relu\ndense 2 softmax", "data": "moons", "epochs": 2, "seed": 0},
                   {"gd": {"optimizer": "gd"}, "adam": {"optimizer": "adam"}})
    panel = ComparisonPanel(runs, x="step")
    try:
        _check_bundle(panel, "nbdl comparison", ["runs: gd, adam", "x-axis: optimizer step"], panel.png)
        panel.switch.value = "epoch"
        _check_bundle(panel, "nbdl comparison", ["x-axis: epoch"], panel.png)
    finally:
        panel.close()


def test_the_playground_controls_say_their_settings():
    controls = Playground(lambda: None)
    try:
        _check_bundle(controls, "nbdl playground controls", ["run until stopped: off", "steps per picture: auto"], None)
        controls.loop.value, controls.speed.value = True, 10
        _check_bundle(controls, "nbdl playground controls", ["run until stopped: on", "steps per picture: 10"], None)
    finally:
        controls.close()


def _execute(tmp_path, cells):
    """Run ``cells`` in a fresh kernel with nbclient, save the notebook, and read it back."""
    spec = tmp_path / "nbdl-test"
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nbdl test", "language": "python"}))
    notebook = new_notebook(cells=[new_code_cell(cell) for cell in cells])
    manager = KernelManager(kernel_name="nbdl-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path)]))
    NotebookClient(notebook, km=manager, timeout=300).execute()
    nbformat.write(notebook, tmp_path / "saved.ipynb")
    return nbformat.read(tmp_path / "saved.ipynb", as_version=4)


@pytest.mark.slow
def test_a_saved_notebook_keeps_a_picture_and_the_settings_beside_the_widget(tmp_path):
    saved = _execute(tmp_path, ["%load_ext nbdl", "%nbdl dashboard --epochs 3 --lr 0.02",
                                "dashboard.start()\ndashboard.wait(60)\ndashboard"])
    opened, trained = ([o["data"] for o in cell.outputs if "data" in o] for cell in saved.cells[1:])
    assert len(opened) == 1 and WIDGET_VIEW in opened[0]
    assert "--lr 0.02" in opened[0]["text/html"] and not opened[0]["text/plain"].startswith("HBox(")
    assert len(trained) == 1 and WIDGET_VIEW in trained[0]
    assert base64.b64decode(trained[0]["image/png"]).startswith(PNG)
    assert "epoch 3/3" in trained[0]["text/html"] and "<img" in trained[0]["text/html"]


@pytest.mark.slow
def test_a_dashboard_trained_by_a_click_after_it_was_shown_keeps_its_last_picture(tmp_path):
    """The fallback is sent again when a fit ends (from the training thread, by the display's id),
    so the cell that showed the panel holds the picture of the training that followed."""
    saved = _execute(tmp_path, [
        "%load_ext nbdl",
        "%nbdl dashboard --epochs 3 --lr 0.02",
        "import hashlib\n"
        "dashboard.buttons['start'].click()  # what a click in the browser calls\n"
        "dashboard.wait(60)\n"
        "print(dashboard.state, hashlib.sha256(bytes(dashboard.image.value)).hexdigest())",
    ])
    shown = [o["data"] for o in saved.cells[1].outputs if "data" in o]
    state, digest = saved.cells[2].outputs[0]["text"].split()
    assert state == "finished" and len(shown) == 1 and WIDGET_VIEW in shown[0], "still the live widget"
    png = base64.b64decode(shown[0]["image/png"])
    assert png.startswith(PNG) and hashlib.sha256(png).hexdigest() == digest, "the last frame the panel showed"
    assert "finished · epoch 3/3" in shown[0]["text/plain"] and "<img" in shown[0]["text/html"]
