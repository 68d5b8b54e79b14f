"""The autoencoder's pictures: reconstructions, the codes scatter, and the view a run shows."""
import io

import numpy as np
from PIL import Image

import nbdl
from nbdl.core import autoencode
from nbdl.plots import autoencode as pictures
from nbdl.plots import render, views

AE = {"task": "autoencode"}
TWO = "input 64\ndense 32 relu\ndense 2\ndense 32 relu\ndense 64"


def test_codes_scatter_has_one_point_per_test_sample(tmp_path):
    run = nbdl.train(TWO, "digits", data_options=AE, epochs=8, seed=0)
    assert run.evaluate("test")["mse"] < 0.9 * autoencode.mean_mse(run, "test")
    reconstructed, codes = pictures.autoencoder_figures(run)
    ax = codes.axes[0]
    points = np.concatenate([c.get_offsets() for c in ax.collections])
    assert len(points) == len(run.data.test)
    np.testing.assert_allclose(np.sort(points, axis=0), np.sort(autoencode.codes(run, "test"), axis=0), rtol=1e-5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [str(c) for c in range(10)]
    assert len(reconstructed.axes) == 2 * pictures.COUNT
    for name, figure in (("codes", codes), ("reconstructions", reconstructed)):
        png = render.figure_png(figure)
        (tmp_path / f"{name}.png").write_bytes(png)
        assert min(size for _, size in render.text_sizes(figure)) >= render.SMALLEST


def test_the_view_applies_to_autoencoders_and_draws_both():
    run = nbdl.train(TWO, "digits", data_options=AE, epochs=2, seed=0)
    assert "autoencoder" in [v.name for v in views.for_run(run)]
    classifier = nbdl.Run(nbdl.Config(network="input 64\ndense 10 softmax", data="digits"))
    assert "autoencoder" not in [v.name for v in views.for_run(classifier)]
    shown = []
    view = pictures.AutoencoderView(shown.append)
    view.render(run, final=True)
    assert view.error is None and len(shown) == 1
    one = Image.open(io.BytesIO(render.figure_png(pictures.autoencoder_figures(run)[0])))
    assert Image.open(io.BytesIO(shown[0])).height > one.height  # the reconstructions with the codes below


def test_images_without_a_2d_code_show_reconstructions_only():
    net = "input 1x8x8\nconv 4 3 relu padding=same\nmaxpool 2\nupsample 2\nconv 1 3 padding=same"
    run = nbdl.train(net, "digits_images", data_options=AE, epochs=1, seed=0)
    assert not pictures.has_2d_code(run) and pictures.applies(run)
    (figure,) = pictures.autoencoder_figures(run, count=4)
    assert len(figure.axes) == 8
    assert pictures.image_shape((64,)) == (8, 8) and pictures.image_shape((10,)) is None


def test_a_vae_shows_the_samples_decoded_over_its_latent_plane(tmp_path):
    run = nbdl.train("input 64\ndense 64 relu\nvae 2\ndense 64 relu\ndense 64", "digits", data_options=AE,
                     epochs=5, seed=0)
    reconstructed, codes, grid = pictures.autoencoder_figures(run)
    assert codes.axes[0].get_title(loc="left") == "test set codes ('vae 2')"
    (image,) = grid.axes[0].get_images()
    assert image.get_array().shape == (12 * 10, 12 * 10)  # 12 x 12 decoded digits of 8 pixels and a border
    (tmp_path / "latent.png").write_bytes(render.figure_png(grid))
    assert min(size for _, size in render.text_sizes(grid)) >= render.SMALLEST
