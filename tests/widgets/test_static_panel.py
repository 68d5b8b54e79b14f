"""The dashboard's static representation: beside the live widget's view, its settings and last
pictures as HTML and PNG, so GitHub and nbviewer show something where widgets cannot run."""
import base64
import json
import sys

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from nbdl.widgets import Dashboard
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


@pytest.mark.slow
def test_a_saved_notebook_keeps_a_picture_and_the_settings_beside_the_widget(tmp_path):
    spec = tmp_path / "nbdl-test"
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "nbdl test", "language": "python"}))
    notebook = new_notebook(cells=[
        new_code_cell("%load_ext nbdl"),
        new_code_cell("%nbdl dashboard --epochs 3 --lr 0.02"),
        new_code_cell("dashboard.start()\ndashboard.wait(60)\ndashboard"),
    ])
    manager = KernelManager(kernel_name="nbdl-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path)]))
    NotebookClient(notebook, km=manager, timeout=300).execute()
    nbformat.write(notebook, tmp_path / "saved.ipynb")
    saved = nbformat.read(tmp_path / "saved.ipynb", as_version=4)
    opened, trained = ([o["data"] for o in cell.outputs if "data" in o] for cell in saved.cells[1:])
    assert len(opened) == 1 and WIDGET_VIEW in opened[0]
    assert "--lr 0.02" in opened[0]["text/html"] and not opened[0]["text/plain"].startswith("HBox(")
    assert len(trained) == 1 and WIDGET_VIEW in trained[0]
    assert base64.b64decode(trained[0]["image/png"]).startswith(PNG)
    assert "epoch 3/3" in trained[0]["text/html"] and "<img" in trained[0]["text/html"]
