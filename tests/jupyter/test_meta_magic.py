"""%nbdl meta in a real kernel: MAML and its pretrained baseline stored, the picture shown, the figures
line printed, bad flags refused in one line."""
import base64
import io

import pytest
from PIL import Image

pytestmark = pytest.mark.slow

NET = "%%nbdl net sine\ninput 1\ndense 40 relu\ndense 40 relu\ndense 1"


def test_meta_trains_maml_and_its_baseline_and_shows_them(kernel):
    assert kernel.run(NET).status == "ok"
    result = kernel.run("%nbdl meta sine --tasks sinusoid --method maml --shots 10 --inner-steps 1 "
                        "--inner-lr 0.01 --iterations 40 --every 10 --seed 3 --as m")
    assert result.status == "ok", result.text
    pngs = [base64.b64decode(p) for p in result.mimes("image/png")]
    assert pngs and all(p.startswith(b"\x89PNG") for p in pngs)
    last = Image.open(io.BytesIO(pngs[-1]))  # the picture left in the cell: the loss above the adaptation
    assert last.size[1] == 2 * round(8.4 * 72), last.size
    assert kernel.value("(type(m).__name__, type(m_baseline).__name__)") == ("MetaRun", "MetaRun")
    assert kernel.value("(m.settings['method'], m_baseline.settings['method'])") == ("maml", "pretrain")
    assert kernel.value("(m.iteration, m_baseline.iteration)") == (40, 40)
    assert kernel.value("(m.settings['seed'], m_baseline.settings['seed'], m.settings['inner_lr'])") == (3, 3, 0.01)
    lines = result.text.splitlines()
    maml = next(line for line in lines if line.startswith("MAML: mean query MSE on 100 new 10-shot tasks"))
    pretrained = next(line for line in lines if line.startswith("pretrained: mean query MSE"))
    for line in (maml, pretrained):  # three finite numbers after 0 / 1 / 10 steps
        figures = [float(v) for v in line.rsplit(": ", 1)[1].split(" / ")]
        assert len(figures) == 3 and all(v >= 0 for v in figures)


def test_meta_without_a_baseline_or_a_picture(kernel):
    kernel.run(NET)
    kernel.run("m2_baseline = 'untouched'")
    result = kernel.run("%nbdl meta sine --method pretrain --iterations 10 --every 5 --no-plot --as m2")
    assert result.status == "ok", result.text
    assert not result.mimes("image/png")
    assert kernel.value("(m2.settings['method'], m2.iteration, m2_baseline)") == ("pretrain", 10, "untouched")
    assert "pretrained: mean query MSE" in result.text


@pytest.mark.parametrize("line, message", [
    ("%nbdl meta sine --against bogus", "unknown --against 'bogus'; choose one of: maml, pretrain, reptile, none"),
    ("%nbdl meta sine --method bogus", "unknown meta-learning method 'bogus'; choose one of: maml, pretrain, reptile"),
    ("%nbdl meta sine --method maml --against maml", "--against maml is the method being trained"),
    ("%nbdl meta sine --shots many", "--shots must be"),
    ("%nbdl meta sine --bogus 3", "unrecognized arguments: --bogus 3"),
])
def test_bad_flags_get_one_line(kernel, line, message):
    kernel.run(NET)
    result = kernel.run(line)
    assert result.status == "error", result.text
    assert result.text.startswith("UsageError: ") and message in result.text
    assert result.text.count("\n") <= 1, "more than one line: " + result.text
    assert "Traceback" not in result.text and result.error is None


def test_digits_prints_accuracies_and_the_scratch_baseline(kernel):
    assert kernel.run("%%nbdl net dig\ninput 64\ndense 32 relu\ndense 5").status == "ok"
    result = kernel.run("%nbdl meta dig --tasks digits --shots 5 --iterations 20 --every 10 --as d")
    assert result.status == "ok", result.text
    assert result.mimes("image/png")
    assert "MAML: query accuracy on 100 new 5-shot tasks after 0 / 1 / 10 steps: " in result.text
    scratch = next(line for line in result.text.splitlines() if line.startswith("from scratch: query accuracy"))
    assert scratch.endswith("%)") and "(after 100 steps: " in scratch
    assert kernel.value("(d.settings['tasks'], d_baseline.settings['method'])") == ("digits", "pretrain")


def test_a_run_that_stops_early_leaves_its_baseline_untrained_and_says_how_to_train_it(kernel):
    kernel.run("%%nbdl net wide\ninput 1\ndense 40 relu\ndense 40 relu\ndense 1")
    result = kernel.run("%nbdl meta wide --lr 1e6 --iterations 200 --every 50 --no-plot --as blown")
    assert result.status == "ok", result.text
    assert "diverged: the meta-training loss" in result.text
    assert "blown_baseline: pretrain on sinusoid: 0 iterations" in result.text
    assert "not trained, as blown stopped early; train it with blown_baseline.fit()" in result.text
