"""The activation explorer through its state: sliders redraw the picture, close() unhooks them."""
import io

import numpy as np
import pytest
from PIL import Image

import nbdl
from nbdl.widgets.activations import ActivationExplorer


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB")).astype(int)


@pytest.fixture(scope="module")
def explorer():
    panel = ActivationExplorer(slope=0.1, alpha=1.0, only="leaky_relu,elu,prelu,relu")
    yield panel
    panel.close()


def test_it_starts_from_the_given_numbers_with_a_slider_for_each(explorer):
    assert set(explorer.sliders) == {"slope", "alpha", "init"}
    assert explorer.sliders["slope"].value == 0.1 and explorer.values() == {"slope": 0.1, "alpha": 1.0, "init": 0.25}
    assert bytes(explorer.image.value).startswith(b"\x89PNG") and int(explorer.image.width) <= 820
    assert explorer.sliders["slope"].continuous_update is False  # one redraw when the slider is let go


def test_moving_a_slider_redraws_the_picture_with_the_new_number(explorer):
    before, before_pixels = explorer.image.value, _pixels(explorer.image.value)
    explorer.sliders["slope"].value = 0.0
    assert explorer.curves.slope == 0.0
    leaky = explorer.curves["leaky_relu"]
    assert np.all(leaky.derivative[explorer.curves.x < 0] == 0) and leaky.zero_gradient  # now a dead side
    assert explorer.image.value != before
    assert (np.abs(_pixels(explorer.image.value) - before_pixels).sum(axis=2) > 60).sum() > 500  # a visible change
    explorer.sliders["alpha"].value = 2.5
    elu = explorer.curves["elu"]
    np.testing.assert_allclose(elu.value[0], 2.5 * np.expm1(-6.0), rtol=1e-12)
    assert explorer.values()["alpha"] == 2.5


def test_alpha_slider_reaches_a_larger_starting_value_and_only_shown_activations_get_sliders():
    panel = ActivationExplorer(alpha=5.0, only="elu")
    try:
        assert set(panel.sliders) == {"alpha"} and panel.sliders["alpha"].max == 5.0
    finally:
        panel.close()
    plain = ActivationExplorer(only="relu,tanh")
    try:
        assert plain.sliders == {} and bytes(plain.image.value).startswith(b"\x89PNG")
    finally:
        plain.close()


def test_close_unhooks_the_sliders():
    panel = ActivationExplorer(only="leaky_relu")
    slider, picture = panel.sliders["slope"], panel.image.value
    panel.close()
    slider.value = 0.5
    assert panel.curves.slope == 0.01 and panel.image.value == picture
    assert slider.comm is None and panel.widget.comm is None


def test_bad_starting_numbers_are_refused():
    with pytest.raises(nbdl.NbdlError, match=r"slope must be a number in \[0, 1\], got 2"):
        ActivationExplorer(slope=2)
    with pytest.raises(nbdl.NbdlError, match=r"alpha must be a number in \[0, 100\], got -1"):
        ActivationExplorer(alpha=-1)
