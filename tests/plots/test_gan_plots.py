"""The GAN pictures: samples over the discriminator's map with losses and coverage for 2-D data, a
grid of samples for images; the live view draws within its budget and never stops training."""
import io

import numpy as np
from PIL import Image

from nbdl.core.gan import gan
from nbdl.plots.gan import GanFigure, GanView, gan_png
from nbdl.plots.render import text_sizes

G = "input 2\ndense 32 relu\ndense 2"
D = "input 2\ndense 32 relu\ndense 1"


def _image(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_two_d_picture_shows_samples_map_losses_and_coverage(tmp_path):
    run = gan(G, D, steps=60, every=20, seed=0, data_options={"n": 400})
    figure = GanFigure(run)
    figure.update(run)
    assert len(figure.fake.get_offsets()) == 600
    assert np.allclose(figure.fake.get_offsets()[:3], run.generated(run.fixed_latent[:3]))
    shown = figure.map.get_array()
    assert shown.shape == (60, 60) and np.allclose(shown.ravel(), run.critic(figure.grid), atol=1e-6)
    assert list(figure.d_line.get_xdata()) == [20.0, 40.0, 60.0]
    assert list(figure.mode_line.get_ydata()) == run.history["modes"]
    assert min(size for _, size in text_sizes(figure.figure)) >= 12
    png = gan_png(run)
    (tmp_path / "gan.png").write_bytes(png)
    pixels = _image(png)
    assert pixels.shape[1] > 2 * pixels.shape[0]  # three panels side by side
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200  # a map, points and lines, not a blank


def test_images_get_a_grid_of_samples():
    run = gan("input 4\ndense 32 relu\ndense 64", "input 1x8x8\nflatten\ndense 32 relu\ndense 1", data="digits_images",
              steps=10, every=5, fit=True)
    figure = GanFigure(run)
    figure.update(run)
    tile = figure.tile.get_array()
    assert tile.shape == (8 * 9 - 1, 8 * 9 - 1)  # 8x8 images with a 1-pixel blank line between two
    generated = run.generated(run.fixed_latent[:9]).reshape(9, 8, 8)
    assert np.allclose(tile[:8, :8], generated[0], atol=1e-5)
    assert np.allclose(tile[:8, 9:17], generated[1], atol=1e-5) and np.allclose(tile[9:17, :8], generated[8], atol=1e-5)
    assert np.all(tile[8, :] == run.dataset.X.min()) and np.all(tile[:, 8] == run.dataset.X.min())
    assert run.sample(3).shape == (3, 1, 8, 8)
    assert _image(gan_png(run)).shape[0] > 100


def test_the_live_view_draws_and_a_broken_picture_does_not_stop_training():
    frames = []
    view = GanView(frames.append, min_interval=0.0, budget=1.0)
    run = gan(G, D, steps=40, every=10, seed=0, data_options={"n": 400}, callbacks=[view])
    assert view.renders >= 2 and frames[-1].startswith(b"\x89PNG") and view.error is None

    def broken(png):
        raise RuntimeError("no place to show it")
    failing = GanView(broken)
    run = gan(G, D, steps=20, every=10, data_options={"n": 400}, callbacks=[failing])
    assert run.status == "finished" and isinstance(failing.error, RuntimeError)
