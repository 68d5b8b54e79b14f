"""Convolutional networks: the layers, their shapes and errors, pictures of what they learn, real accuracy."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nbdl
from nbdl.core.diagnostics import feature_maps, first_filters
from nbdl.plots.render import figure_png
from nbdl.plots.vision import feature_maps_figure, filters_figure

CNN = """
input 1x8x8
conv 16 3 relu padding=1
maxpool 2
conv 32 3 relu padding=same
batchnorm
dropout 0.1
maxpool 2
flatten
dense 64 relu
dense 10 softmax
"""


def test_image_layers_have_the_shapes_they_say():
    spec = nbdl.NetworkSpec.parse(CNN)
    assert spec.shapes() == [(1, 8, 8), (16, 8, 8), (16, 4, 4), (32, 4, 4), (32, 4, 4), (32, 4, 4), (32, 2, 2),
                             (128,), (64,), (10,)]
    assert nbdl.NetworkSpec.parse("input 3x32x32\nconv 8 5 stride=2\navgpool 3 stride=2\nglobalavgpool").shapes() == \
        [(3, 32, 32), (8, 14, 14), (8, 6, 6), (8,)]
    assert nbdl.NetworkSpec.parse(spec.to_text()) == spec
    net = spec.build().eval()
    assert net(torch.randn(5, 1, 8, 8)).shape == (5, 10)
    assert isinstance(net.layers[3], torch.nn.BatchNorm2d) and isinstance(net.layers[4], torch.nn.Dropout2d)


def test_conv_and_pooling_compute_what_torch_does():
    net = nbdl.build("input 2x6x6\nconv 3 3 stride=1 padding=1\nmaxpool 2\navgpool 3\n").eval()
    x = torch.randn(4, 2, 6, 6)
    conv = net.layers[0].conv
    expected = F.avg_pool2d(F.max_pool2d(F.conv2d(x, conv.weight, conv.bias, padding=1), 2), 3)
    torch.testing.assert_close(net(x), expected)
    pooled = nbdl.build("input 1x4x4\nmaxpool 2")(torch.arange(16.0).reshape(1, 1, 4, 4))
    assert pooled.flatten().tolist() == [5.0, 7.0, 13.0, 15.0]  # the largest of each 2x2 window


@pytest.mark.parametrize("text, message", [
    ("input 1x8x8\nconv 4 9", r"line 2: 'conv 4 9' has a 9x9 window but its input is 8x8 \(shape 1x8x8, padding 0\)"),
    ("input 1x8x8\nmaxpool 2\nmaxpool 2\nmaxpool 2\nmaxpool 2", r"line 5: 'maxpool 2' has a 2x2 window but its input is 1x1"),
    ("input 64\nconv 4 3", r"line 2: 'conv 4 3' works on images \(channels x height x width\) but gets shape 64"),
    ("input 1x8x8\nconv 4 3\ndense 10", r"line 3: 'dense 10' expects a flat vector of features but gets shape 4x6x6; add a 'flatten'"),
    ("input 1x8x8\nconv 4 3 strid=2", r"line 2: 'conv' takes no option strid=; its options: filters=, kernel=, activation=, stride=, padding="),
    ("input 1x8x8\nconv 4 2 padding=same", r"line 2: padding=same needs an odd kernel and stride 1"),
    ("input 1x8x8\nconv 4", r"line 2: write 'conv FILTERS KERNEL \[ACTIVATION\]"),
])
def test_image_shapes_that_do_not_fit_name_the_layer_and_shapes(text, message):
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.build(text)


def test_images_fed_to_an_mlp_are_refused_with_the_fix():
    with pytest.raises(nbdl.NbdlError, match=r"samples of shape 1x8x8 but the network's line 1: 'input 64' expects 64"):
        nbdl.train("input 64\ndense 10 softmax", data="digits_images", epochs=1)


@pytest.fixture(scope="module")
def cnn_run():
    return nbdl.train(CNN, data="digits_images", epochs=25, lr=3e-3, seed=0)


@pytest.mark.slow
def test_a_small_cnn_reaches_97_percent_on_digit_images(cnn_run):
    assert cnn_run.evaluate("test")["accuracy"] >= 0.97


def test_pictures_of_filters_and_feature_maps(cnn_run):
    weights = first_filters(cnn_run.model)
    assert weights.shape == (16, 1, 3, 3)
    image = cnn_run.dataset.X[5]
    maps = feature_maps(cnn_run, image)
    assert [(name, m.shape) for name, m in maps] == [
        ("conv 16 3 relu padding=1", (16, 8, 8)), ("maxpool 2", (16, 4, 4)), ("conv 32 3 relu padding=same", (32, 4, 4)),
        ("batchnorm", (32, 4, 4)), ("dropout 0.1", (32, 4, 4)), ("maxpool 2", (32, 2, 2))]
    # The first map is the first filter slid over the standardized image, then relu.
    x = cnn_run.data.transform(image[None])
    conv = cnn_run.model.layers[0].conv
    expected = torch.relu(F.conv2d(x, conv.weight, conv.bias, padding=1))[0].detach().cpu().numpy()
    np.testing.assert_allclose(maps[0][1], expected, rtol=1e-5, atol=1e-6)
    for figure in (filters_figure(weights), feature_maps_figure(image, maps)):
        assert figure_png(figure).startswith(b"\x89PNG")
    assert len(feature_maps_figure(image, maps).axes) == 1 + 8 * len(maps)
