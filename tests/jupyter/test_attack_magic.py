"""``%nbdl attack`` in a real kernel: the table, the curve and the image grid it shows, the result
it stores, and what it refuses."""
import base64

import pytest

pytestmark = pytest.mark.slow


def _pngs(result):
    return [base64.b64decode(p) for p in result.mimes("image/png")]


@pytest.fixture(scope="module")
def trained(kernel):
    code = ("import nbdl\n"
            "cnn = nbdl.train('input 1x8x8\\nconv 8 3 relu padding=same\\nmaxpool 2\\nflatten\\ndense 10 softmax', "
            "data='digits_images', epochs=3, seed=0)\n"
            "mlp = nbdl.train('input 64\\ndense 32 relu\\ndense 10 softmax', data='digits', epochs=3, seed=0)\n"
            "sizes = nbdl.train('input 10\\ndense 1', data='diabetes', epochs=1)")
    assert kernel.run(code).status == "ok"
    return kernel


def test_images_show_the_table_the_curve_and_the_grid(trained):
    result = trained.run("%nbdl attack cnn --method fgsm --eps 1,2 --count 4")
    assert result.status == "ok", result.error
    pngs = _pngs(result)
    assert len(pngs) == 2 and all(p.startswith(b"\x89PNG") for p in pngs)  # the curve, the grid
    assert trained.value("[float(e) for e in attacked.eps]") == [0.0, 1.0, 2.0]
    accuracy = trained.value("[float(a) for a in attacked.accuracy]")
    assert accuracy == trained.value("[float(a) for a in nbdl.core.adversarial.attack(cnn, eps=[1, 2]).accuracy]")
    html = " ".join(result.mimes("text/html"))
    assert "cnn fgsm" in html and f"{accuracy[2]:.1%}" in html


def test_several_methods_and_runs_give_one_curve_each(trained):
    result = trained.run("%nbdl attack mlp cnn --method fgsm,pgd --eps 1 --steps 3 --as both")
    assert result.status == "ok", result.error
    assert len(_pngs(result)) == 1 + 2  # one curve picture; a grid for each image run's attack
    assert trained.value("sorted(both)") == ["cnn fgsm", "cnn pgd", "mlp fgsm", "mlp pgd"]
    assert trained.value("both['mlp pgd'].steps") == 3


@pytest.mark.parametrize("line, words", [
    ("%nbdl attack sizes --eps 1", "needs a classifier; this run does regression"),
    ("%nbdl attack mlp --method deepfool", "--method must be a comma-separated list of: fgsm, pgd"),
    ("%nbdl attack mlp --eps -1", "eps must be a number >= 0, got -1"),
    ("%nbdl attack mlp --steps 0", "--steps must be a whole number in [1, 1000], got 0"),
    ("%nbdl attack nbdl", "'nbdl' is a module, not a run"),
])
def test_what_it_refuses(trained, line, words):
    result = trained.run(line)
    assert result.status == "error" and result.error is None  # IPython shows a UsageError as one line
    assert result.text.startswith("UsageError: ") and words in result.text and result.text.count("\n") <= 1, result.text
    assert not result.mimes("image/png")
