"""``%nbdl interpret`` in a real kernel: the pictures and tables it shows, and the runs it refuses."""
import base64
import re

import pytest

pytestmark = pytest.mark.slow


def _pngs(result):
    return [base64.b64decode(p) for p in result.mimes("image/png")]


@pytest.fixture(scope="module")
def trained(kernel):
    code = ("import nbdl\n"
            "cnn = nbdl.train('conv 8 3 relu\\nmaxpool 2\\nflatten\\ndense 10 softmax', data='digits_images', "
            "epochs=2, lr=0.01, seed=0)\n"
            "flowers = nbdl.train('input 4\\ndense 8 relu\\ndense 3 softmax', data='iris', epochs=3, seed=0)\n"
            "sizes = nbdl.train('input 1\\ndense 1', data=(__import__('numpy').ones((40, 1)), "
            "__import__('numpy').ones((40, 1))), epochs=1)")
    assert kernel.run(code).status == "ok"
    return kernel


def test_images_show_the_matrix_the_wrong_images_and_attributions(trained):
    result = trained.run("%nbdl interpret cnn --count 6 --attributions saliency,integrated_gradients")
    assert result.status == "ok", result.error
    pngs = _pngs(result)
    assert len(pngs) == 3 and all(p.startswith(b"\x89PNG") for p in pngs)  # matrix, wrong images, attributions
    html = " ".join(result.mimes("text/html"))
    accuracy = trained.value("cnn.interpret().accuracy")
    wrong = trained.value("cnn.interpret().wrong")
    assert f"({accuracy:.1%}); {wrong} wrong" in html


def test_tables_for_other_samples_and_the_split_flag(trained):
    result = trained.run("%nbdl interpret flowers --split val --count 3")
    assert result.status == "ok", result.error
    assert len(_pngs(result)) == 1
    html = " ".join(result.mimes("text/html"))
    assert "<b>val split</b>" in html and "petal length (cm)" in html
    rows = re.findall(r"<tr><td", html)
    assert len(rows) == min(3, trained.value("flowers.interpret('val').wrong"))


def test_the_run_shows_itself_in_a_cell(trained):
    result = trained.run("flowers.interpret()")
    html = " ".join(result.mimes("text/html"))
    assert "nbdl-confusion" in html and "setosa" in html


@pytest.mark.parametrize("line, words", [
    ("%nbdl interpret sizes", "regression: measure it with run.evaluate"),
    ("%nbdl interpret flowers --attributions saliency", "image classifiers"),
    ("%nbdl interpret flowers --split tset", "--split must be one of: train, val, test, got 'tset'"),
    ("%nbdl interpret flowers --count -2", "--count must be a whole number in [0, 1000], got -2"),
    ("%nbdl interpret cnn --attributions sal", "--attributions must be a comma-separated list of: saliency, "
                                               "integrated_gradients, got 'sal'"),
    ("%nbdl interpret nbdl", "'nbdl' is a module, not a run"),
    ("%nbdl interpret nothing", "no variable 'nothing'"),
])
def test_bad_lines_are_one_line_usage_errors(trained, line, words):
    result = trained.run(line)
    assert result.status == "error" and result.error is None  # IPython shows a UsageError as one line
    assert result.text.startswith("UsageError: ") and words in result.text and result.text.count("\n") <= 1
    assert not result.mimes("image/png")
