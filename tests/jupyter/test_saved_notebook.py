"""A notebook run by nbclient keeps the last live frame as one static PNG in the saved file."""
import base64

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from kernel import Kernel

pytestmark = pytest.mark.slow


def test_last_frame_is_saved_as_a_png(tmp_path):
    Kernel.write_spec(tmp_path)
    notebook = new_notebook(cells=[
        new_code_cell("%load_ext nbdl"),
        new_code_cell("%%nbdl net net\ninput 2\ndense 8 relu\ndense 2 softmax"),
        new_code_cell("%nbdl train net --data moons --epochs 4"),
    ])
    manager = KernelManager(kernel_name="nbdl-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path)]))
    NotebookClient(notebook, km=manager, timeout=300).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(notebook, path)
    saved = nbformat.read(path, as_version=4)
    outputs = saved.cells[2].outputs
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 2, "the training curves and the network view, each one picture updated in place"
    assert base64.b64decode(pngs[0]["data"]["image/png"]).startswith(b"\x89PNG")
    progress = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("epoch 4/4" in html for html in progress)
    assert [o for o in saved.cells[1].outputs if "image/png" in o.get("data", {})], "network drawing saved"
