"""Problems found by trying the share features as an outside user: each test failed before its fix."""
import subprocess
import sys
from types import SimpleNamespace

import pytest

import nbdl
from nbdl.commands import runs
from nbdl.core.errors import NbdlError
from nbdl.core.tensorboard import unwritable

NET = "input 2\ndense 4 relu\ndense 2 softmax"


@pytest.fixture(scope="module")
def run():
    return nbdl.train(NET, "moons", epochs=1, data_options={"n": 60})


@pytest.mark.parametrize("where", ["folder", "missing", "number"])
def test_to_code_into_a_bad_path_is_one_line_naming_it(run, tmp_path, where):
    path = {"folder": tmp_path, "missing": tmp_path / "no" / "x.py", "number": 5}[where]
    with pytest.raises(NbdlError) as error:  # was IsADirectoryError, FileNotFoundError, TypeError
        run.to_code(path)
    words = str(error.value)
    assert "\n" not in words and (str(path) in words or "5" in words)


def test_the_script_of_a_run_of_no_epochs_runs_and_says_it_has_no_losses(tmp_path):
    untrained = nbdl.train(NET, "moons", epochs=0, data_options={"n": 60})
    untrained.to_code(tmp_path / "zero.py")
    done = subprocess.run([sys.executable, "-I", str(tmp_path / "zero.py")], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr  # was a NameError: train_loss is set only inside the loop
    assert done.stdout.split() == ["final", "train_loss", "nan", "final", "val_loss", "nan"]


def test_a_file_where_the_tensorboard_folder_should_be_is_called_a_file(tmp_path):
    (tmp_path / "logs").write_text("x")
    assert unwritable(tmp_path / "logs") == "it is a file, not a folder"  # was "File exists"


def test_runs_named_that_are_not_training_runs_say_what_they_are(run):
    magics = SimpleNamespace(shell=SimpleNamespace(user_ns={"first": run, "g": object()}))
    with pytest.raises(NbdlError, match="'g' is a object: %nbdl runs compares runs of %nbdl train") as error:
        runs.run(magics, SimpleNamespace(names=["g", "first"], metric=None, x="epoch"))
    assert "its runs: first" in str(error.value)  # was "no run named 'g'", though 'g' is right there
