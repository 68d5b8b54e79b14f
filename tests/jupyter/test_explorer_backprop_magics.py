"""``%nbdl activations`` and ``%nbdl backprop`` in a real kernel: the explorer's picture, the table."""
import pytest

pytestmark = pytest.mark.slow

WIDGET = "application/vnd.jupyter.widget-view+json"


def test_activations_shows_the_explorer_with_its_picture(kernel):
    result = kernel.run("%nbdl activations --slope 0.2 --alpha 0.5 --as ex")
    assert result.status == "ok", result.error
    assert result.mimes(WIDGET), "no widget shown"
    assert kernel.value("bytes(ex.image.value[:8])") == b"\x89PNG\r\n\x1a\n"
    assert kernel.value("ex.values()") == {"slope": 0.2, "alpha": 0.5, "init": 0.25}
    assert kernel.value("ex.widget.model_id") == result.mimes(WIDGET)[0]["model_id"]
    before = kernel.value("len(ex.image.value)")
    kernel.run("ex.sliders['slope'].value = 0.0")
    assert kernel.value("ex.curves['leaky_relu'].zero_gradient != []") is True
    assert kernel.value("len(ex.image.value)") != before
    only = kernel.run("%nbdl activations --only relu,tanh")
    assert only.status == "ok" and kernel.value("(explorer.curves.names, explorer.sliders)") == (["relu", "tanh"], {})


@pytest.mark.parametrize("line, message", [
    ("%nbdl activations --slope 2", "--slope must be a number in [0, 1], got 2"),
    ("%nbdl activations --alpha -1", "--alpha must be a number in [0, 100], got -1"),
    ("%nbdl activations --slope x", "--slope must be a number in [0, 1], got 'x'"),
    ("%nbdl activations --only relu,nope", "unknown activation 'nope'; choose one of:"),
    ("%nbdl backprop bpnet --data moons --samples 0", "--samples must be a whole number in [1, 256], got 0"),
    ("%nbdl backprop bpnet", "give the data, for example --data moons"),
    ("%nbdl backprop convnet --data digits_images", "line 2: 'conv 4 3 relu' is a conv layer; gradient_check"),
    ("%nbdl backprop bpnet --data moons --epochs -1", "--epochs must be a whole number in [0, 10000], got -1"),
    ("%nbdl backprop bprun --data moons", "a run brings its own data"),
    ("%nbdl backprop nothing_here --data moons", "no variable 'nothing_here'"),
])
def test_bad_lines_say_what_is_wrong(kernel, line, message):
    kernel.run("%%nbdl net bpnet\ninput 2\ndense 8 tanh\ndense 2 softmax")
    kernel.run("%%nbdl net convnet\ninput 1x8x8\nconv 4 3 relu\nflatten\ndense 10 softmax")
    kernel.run("bprun = __import__('nbdl').Run(__import__('nbdl').Config(network='input 2\\ndense 2 softmax', "
               "data='moons'))")
    result = kernel.run(line)
    assert result.status == "error" and result.error is None  # a one-line usage error, no traceback
    assert result.text.startswith("UsageError: ") and message in result.text, result.text
    assert result.text.count("\n") <= 1


def test_backprop_shows_the_table_and_the_headline(kernel):
    kernel.run("%%nbdl net bpnet\ninput 2\ndense 8 tanh\ndense 6 relu\ndense 2 softmax")
    result = kernel.run("%nbdl backprop bpnet --data moons --samples 6 --l2 0.01")
    assert result.status == "ok", result.error
    html = " ".join(result.mimes("text/html"))
    assert "largest difference hand vs autograd" in html and "they agree" in html
    for part in ("dense 8 tanh", "dense 6 relu", "dense 2 softmax", "hand vs finite", "(p - y) / N", "l2 0.01"):
        assert part in html, part
    text = " ".join(result.mimes("text/plain"))
    assert text.startswith("largest difference hand vs autograd") and "dense 6 relu" in text
    assert kernel.value("(backprop.passed, backprop.samples, backprop.l2)") == (True, 6, 0.01)
    assert kernel.value("backprop.largest_difference < 1e-12") is True


def test_backprop_of_a_trained_run_and_after_epochs(kernel):
    kernel.run("%%nbdl net bpnet\ninput 2\ndense 8 tanh\ndense 2 softmax")
    first = kernel.run("%nbdl backprop bpnet --data moons --as at_start")
    trained = kernel.run("%nbdl backprop bpnet --data moons --epochs 3 --lr 0.05 --as after")
    assert first.status == trained.status == "ok", (first.error, trained.error)
    assert kernel.value("at_start.value != after.value and after.passed") is True
    kernel.run("%nbdl train bpnet --data moons --epochs 2 --no-plot --as bprun2")
    again = kernel.run("%nbdl backprop bprun2 --samples 4 --as of_run")
    assert again.status == "ok", again.error
    assert kernel.value("(of_run.samples, of_run.passed)") == (4, True)
