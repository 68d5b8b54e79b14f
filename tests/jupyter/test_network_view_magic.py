"""``%nbdl train`` in a real kernel shows the network view beside the training curves, live."""
import base64
import io

import pytest
from PIL import Image

pytestmark = pytest.mark.slow


def _images_by_display(kernel, code):
    """{display id: [PNG bytes, one per update]} for the images a cell shows under a display id."""
    found = {}

    def collect(message):
        content = message["content"]
        if message["header"]["msg_type"] in ("display_data", "update_display_data") and "image/png" in content["data"]:
            key = content.get("transient", {}).get("display_id")
            found.setdefault(key, []).append(base64.b64decode(content["data"]["image/png"]))

    reply = kernel.client.execute_interactive(code, output_hook=collect, timeout=300)
    assert reply["content"]["status"] == "ok"
    return found


def test_train_on_moons_shows_the_curves_and_the_network_view(kernel):
    kernel.run("%%nbdl net toy\ninput 2\ndense 8 relu\ndense 8 tanh\ndense 2 softmax")
    shown = _images_by_display(kernel, "%nbdl train toy --data moons --epochs 30 --lr 0.03 --as ran")
    assert len(shown) == 2 and None not in shown, list(shown)  # two live pictures, each updated in place
    curves, network = shown.values()
    assert all(png.startswith(b"\x89PNG") for png in curves + network)
    assert kernel.value("ran.epoch") == 30
    kernel.run("from nbdl.core.neurons import neurons\nfrom nbdl.plots.network_view import make_figure")
    expected = kernel.value("(lambda f: (f.width, f.height))(make_figure(ran, neurons(ran)))")
    assert Image.open(io.BytesIO(network[-1])).size == expected  # the second picture is the network view
    assert Image.open(io.BytesIO(curves[-1])).size != expected
    assert kernel.run("%%nbdl net wide\ninput 64\ndense 16 relu\ndense 10 softmax").status == "ok"
    trained = _images_by_display(kernel, "%nbdl train wide --data digits --epochs 2 --as d")
    assert len(trained) == 1, "the curves only: no network view for 64 inputs"
