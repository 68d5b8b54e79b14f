"""%nbdl gan in a real kernel: the live picture, the stored run, the flags reaching the settings."""
import base64

import pytest

pytestmark = pytest.mark.slow

NETS = ("%%nbdl net g\ninput 2\ndense 64 relu\ndense 2", "%%nbdl net d\ninput 2\ndense 64 relu\ndense 1")


def test_gan_shows_a_picture_and_stores_the_run(kernel):
    for cell in NETS:
        assert kernel.run(cell).status == "ok"
    result = kernel.run("%nbdl gan g d --data ring --n 500 --steps 60 --every 20 --lr-g 2e-3 --betas 0.5 0.99 --as gr")
    assert result.status == "ok", result.text
    assert any(base64.b64decode(p).startswith(b"\x89PNG") for p in result.mimes("image/png"))
    assert "60 generator steps" in result.text and "of 8 modes covered" in result.text
    assert kernel.value("type(gr).__name__") == "GanRun"
    assert kernel.value("gr.history['step']") == [20.0, 40.0, 60.0]
    assert kernel.value("(gr.settings['lr_g'], gr.settings['lr_d'], gr.settings['betas'])") == (2e-3, 1e-3, (0.5, 0.99))
    assert kernel.value("gr.sample(4).shape") == (4, 2)


def test_gan_refuses_widths_and_flags_that_do_not_fit(kernel):
    kernel.run("%%nbdl net wide\ninput 2\ndense 8 relu\ndense 3")
    kernel.run(NETS[1])
    result = kernel.run("%nbdl gan wide d --steps 5 --no-plot")
    assert result.status == "error" and "generator gives 3 values" in result.text and "Traceback" not in result.text
    result = kernel.run("%nbdl gan wide d --loss hinge")
    assert result.status == "error" and "unknown GAN loss 'hinge'; choose one of: gan, wgan" in result.text
