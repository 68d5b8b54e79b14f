"""``%nbdl tune`` in a real kernel: grid and random searches show the table of trials and the picture,
store the result, and bad lines are one-line usage errors."""
import base64
import pathlib

import pytest

pytest.importorskip("optuna")
pytestmark = pytest.mark.slow

OUT = pathlib.Path("/tmp/search")


@pytest.fixture(scope="module")
def tuned(kernel):
    assert kernel.run("%%nbdl net net\ninput 2\ndense 8 relu\ndense 2 softmax").status == "ok"
    return kernel


def _last_table(result):
    return [h for h in result.mimes("text/html") if "nbdl-search" in h][-1]


def test_a_grid_search_shows_its_table_and_picture(tuned):
    result = tuned.run("%nbdl tune net --data moons --n 200 --epochs 4 --search grid --lr 1e-3:1e-1:log:3 "
                       "--batch-size 16,32 --no-pruning")
    assert result.status == "ok", result.error
    table = _last_table(result)
    assert "6 trials (6 finished)" in table and table.count("<tr") == 7
    pngs = [base64.b64decode(p) for p in result.mimes("image/png")]
    assert pngs and all(p.startswith(b"\x89PNG") for p in pngs)
    OUT.mkdir(exist_ok=True)
    (OUT / "tune-grid.png").write_bytes(pngs[-1])
    assert tuned.value("len(search.trials)") == 6
    assert tuned.value("sorted(float(v) for v in set(search.trials['lr']))") == [0.001, 0.01, 0.1]
    assert tuned.value("bool(search.best_value == search.trials['score'].min())")
    assert tuned.value("search.best_config.epochs") == 4  # a single value sets every trial
    assert "best: %nbdl train net --data moons" in result.text


def test_a_random_search_into_a_variable_of_its_own(tuned):
    result = tuned.run("%nbdl tune net --data moons --n 200 --epochs 3 --search random --trials 5 --seed 3 "
                       "--lr 1e-3:1e-1:log --optimizer sgd,adam --result found")
    assert result.status == "ok", result.error
    assert "5 trials" in _last_table(result) and result.mimes("image/png")
    assert tuned.value("len(found.trials)") == 5
    assert tuned.value("set(found.trials['optimizer']) <= {'sgd', 'adam'}") is True
    assert tuned.value("found.study.user_attrs['nbdl']['seed']") == 3


@pytest.mark.parametrize("line, words", [
    ("--search grid --lr 1e-3:1e-1", "a grid search needs a number of points for the range of --lr 0.001:0.1: "
                                     "write 0.001:0.1:5 for 5 points"),
    ("--lr=-1:1", "the range -1:1 of --lr: its low end is outside what --lr allows: --lr must be a number > 0"),
    ("--batch-size 0,16", "a choice of --batch-size: --batch-size must be a whole number >= 1, got 0"),
    ("--lr 0.01", "nothing to search; give at least one setting a range or choices"),
    ("--search bayes --lr 1e-3:1e-1", "--search must be one of: grid, random, tpe, got 'bayes'"),
    ("--lr 1e-3:1e-1 --result print", "would hide Python's or IPython's own print"),
])
def test_bad_lines_are_one_line_usage_errors(tuned, line, words):
    result = tuned.run("%nbdl tune net --data moons --n 200 --epochs 2 " + line)
    assert result.status == "error" and result.error is None
    assert result.text.startswith("UsageError: ") and words in result.text and result.text.count("\n") <= 1
