"""``%nbdl lr-find`` in a real kernel: the picture, the one line with a flag to copy, the result kept
in the notebook, a run left as it was, and the lines it refuses."""
import base64

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ready(kernel):
    code = ("import nbdl, numpy as np\n"
            "net = nbdl.build('input 2\\ndense 32 relu\\ndense 32 relu\\ndense 2 softmax')\n"
            "rng = np.random.default_rng(0)\n"
            "X, y = rng.normal(size=(400, 2)).astype(np.float32), rng.integers(0, 2, 400)\n"
            "run = nbdl.train('input 2\\ndense 8 relu\\ndense 2 softmax', data='moons', epochs=2, seed=1)\n")
    assert kernel.run(code).status == "ok"
    return kernel


def _png(result) -> bytes:
    pngs = [base64.b64decode(p) for p in result.mimes("image/png")]
    assert len(pngs) == 1 and pngs[0].startswith(b"\x89PNG")
    return pngs[0]


def test_the_picture_and_a_flag_to_copy(ready):
    result = ready.run("%nbdl lr-find net --data moons --optimizer sgd")
    assert result.status == "ok", result.error
    _png(result)
    flag = ready.value("lr_find.flag")
    assert flag.startswith("--lr ") and 1e-4 <= float(flag.split()[1]) <= 1
    line = result.text.strip()
    assert line.startswith("suggested learning rate ") and line.endswith(flag) and "\n" not in line
    assert ready.value("type(lr_find).__name__") == "RangeTest" and ready.value("lr_find.optimizer") == "sgd"


def test_a_refusal_says_why_and_is_kept_under_its_name(ready):
    result = ready.run("%nbdl lr-find net --data X --y y --end 0.1 --steps 60 --as found")
    assert result.status == "ok", result.error
    _png(result)
    assert result.text.startswith("no learning rate suggested: the loss never fell meaningfully")
    assert ready.value("found.suggestion") is None and ready.value("len(found.losses)") == 60


def test_a_run_is_tested_where_it_stands_and_left_so(ready):
    before = ready.value("([p.detach().tolist() for p in run.model.parameters()], run.global_step, run.epoch)")
    result = ready.run("%nbdl lr-find run --steps 40")
    assert result.status == "ok", result.error
    _png(result)
    after = ready.value("([p.detach().tolist() for p in run.model.parameters()], run.global_step, run.epoch)")
    assert after == before and ready.value("run.status") == "finished"


@pytest.mark.parametrize("line, words", [
    ("%nbdl lr-find net", "%nbdl lr-find: give the data, for example --data moons"),
    ("%nbdl lr-find run --lr 0.1", "a run brings its own data, settings and weights"),
    ("%nbdl lr-find net --data moons --steps 5", "--steps must be a whole number in [10, 100000], got 5"),
    ("%nbdl lr-find net --data moons --start 1 --end 0.1", "--end (0.1) must be above --start (1)"),
    ("%nbdl lr-find net --data moons --as 1x", "'1x' is not a valid Python variable name"),
    ("%nbdl lr-find nope --data moons", "no variable 'nope' in the notebook"),
])
def test_bad_lines_are_one_line_errors(ready, line, words):
    result = ready.run(line)
    assert result.status == "error" and result.error is None  # UsageError: one line, no traceback
    assert result.text.startswith("UsageError: ") and words in result.text and result.text.count("\n") <= 1
