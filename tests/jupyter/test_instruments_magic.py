"""``--diagnostics`` and ``%nbdl inspect`` in a real kernel: the pictures and the coach's words."""
import base64

import pytest

pytestmark = pytest.mark.slow

DEEP = "%%nbdl net deep\ninput 2\n" + "dense 16 sigmoid\n" * 9 + "dense 2 softmax"


def _width(png: bytes) -> int:
    """The width a PNG is shown at: its pixels over the density it records (see nbdl.plots.render)."""
    from nbdl.plots.render import shown_width

    return shown_width(png)


def _pngs(result):
    return [base64.b64decode(p) for p in result.mimes("image/png")]


def test_diagnostics_draw_the_instruments_and_the_coach_speaks_once(kernel):
    kernel.run(DEEP)
    result = kernel.run("%nbdl train deep --data moons --epochs 6 --diagnostics --as watched")
    assert result.status == "ok", result.text
    html = " ".join(result.mimes("text/html"))
    assert html.count("vanishing gradients") == 1 and "kaiming" in html
    assert kernel.value("len(watched.instruments)") >= 2
    assert kernel.value("watched.instruments.layers[0]") == "1 dense 16 sigmoid"
    again = kernel.run("%nbdl train watched --epochs 2")
    assert "vanishing" not in " ".join(again.mimes("text/html")), "a continued fit does not say it again"
    plain = kernel.run("%nbdl train deep --data moons --epochs 2 --as plain")
    assert "nbdl-coach" not in " ".join(plain.mimes("text/html")), plain.mimes("text/html")
    instruments = kernel.value("__import__('nbdl.plots.render', fromlist=['x']).shown_width("
                               "__import__('nbdl.plots.render', fromlist=['x']).figure_png("
                               "__import__('nbdl.plots.instruments', fromlist=['x']).instruments_figure("
                               "watched.instruments)))")
    assert instruments in [_width(png) for png in _pngs(result)]
    assert instruments not in [_width(png) for png in _pngs(plain)], "no instruments picture without --diagnostics"


def test_inspect_draws_the_signal_through_depth(kernel):
    kernel.run("%%nbdl net tall\ninput 2\n" + "dense 32 relu\n" * 20 + "dense 2 softmax")
    result = kernel.run("found = %nbdl inspect tall --data moons --init xavier,kaiming")
    assert result.status == "ok", result.text
    assert len(_pngs(result)) == 1
    html = " ".join(result.mimes("text/html"))
    assert "xavier" in html and "kaiming" in html
    assert kernel.value("found['xavier'].figures['act_std'][-2] < found['kaiming'].figures['act_std'][-2] / 100")


@pytest.mark.parametrize("line, words", [
    ("%nbdl inspect tall", "give the data"),
    ("%nbdl inspect nowhere --data moons", "no variable 'nowhere'"),
    ("%nbdl inspect tall --data moons --init xavierr", "unknown initialization 'xavierr'"),
    ("%nbdl inspect tall --data moons --samples 0", "--samples"),
    ("%nbdl train tall --data moons --diagnostics-every -1", "--diagnostics-every"),
])
def test_bad_arguments_get_one_clear_line(kernel, line, words):
    kernel.run("%%nbdl net tall\ninput 2\ndense 8 relu\ndense 2 softmax")
    result = kernel.run(line)
    assert result.status == "error" and words in result.text, result.text
    assert "Traceback" not in result.text
