"""run.to_code(): the exported script, run in a fresh interpreter that cannot import nbdl, prints the
run's own final losses; what it cannot reproduce is refused."""
import re
import subprocess
import sys

import numpy as np
import pytest

import nbdl
from nbdl.core.errors import NbdlError

# Runs the script as __main__ (so it finds its .npz beside it) with nbdl made unimportable.
RUNNER = "import runpy, sys; sys.modules['nbdl'] = None; runpy.run_path(sys.argv[1], run_name='__main__')"


def exported_losses(run, tmp_path, name="experiment.py"):
    path = tmp_path / name
    text = run.to_code(path)
    assert path.read_text() == text
    assert not re.search(r"^\s*(import|from)\s+nbdl", text, re.M)
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = dict(re.findall(r"^final (\w+) (\S+)$", done.stdout, re.M))
    return {k: float(v) for k, v in found.items()}, done.stdout


def assert_same_losses(run, losses):
    for key in ("train_loss", "val_loss"):
        assert losses[key] == pytest.approx(run.history[key][-1], rel=1e-5), key


@pytest.mark.slow
def test_moons_adam_l2_dropout_early_stopping(tmp_path):
    run = nbdl.train("input 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax", "moons", epochs=80, lr=0.05,
                     l2=1e-3, dropout=0.2, early_stopping=3, seed=3)
    assert run.epoch < 80  # it did stop early: the script must stop at the same epoch
    losses, out = exported_losses(run, tmp_path)
    assert_same_losses(run, losses)
    assert f"best at epoch {run.best_epoch})" in out
    assert out.count("\nepoch ") + out.startswith("epoch ") == run.epoch


@pytest.mark.slow
def test_digits_momentum_step_schedule_l1(tmp_path):
    run = nbdl.train("input 64\ndense 32 tanh\ndense 10 softmax", "digits", epochs=6, optimizer="momentum",
                     lr=0.05, schedule="step(2)", l1=1e-4, init="xavier(bias=0.1)", batch_size=64, seed=1)
    losses, _ = exported_losses(run, tmp_path)
    assert_same_losses(run, losses)


@pytest.mark.slow
def test_diabetes_rmsprop_batchnorm_regression(tmp_path):
    run = nbdl.train("input 10\ndense 16 elu\nbatchnorm\ndense 1", "diabetes", epochs=5, optimizer="rmsprop",
                     lr=3e-3, schedule="cosine", seed=2, batch_size=25)
    losses, _ = exported_losses(run, tmp_path)
    assert_same_losses(run, losses)


@pytest.mark.slow
def test_own_arrays_are_saved_beside_the_script(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3)) * [1, 10, 100]
    y = np.where(X[:, 0] + X[:, 1] / 10 > 0, "yes", "no")  # text labels: encoded by nbdl, saved encoded
    run = nbdl.train("input 3\ndense 8 leaky_relu(0.1)\ndense 2 softmax", (X, y), epochs=4, optimizer="adamw",
                     init="kaiming", seed=5)
    losses, _ = exported_losses(run, tmp_path, "mine.py")
    assert (tmp_path / "mine.npz").exists()
    assert_same_losses(run, losses)


def test_the_script_is_plain_torch_with_its_sections():
    run = nbdl.train("input 2\ndense 4 relu\ndense 2 softmax", "xor", epochs=0)
    text = run.to_code()
    compile(text, "experiment.py", "exec")
    assert "nn.Linear(2, 4)" in text and "torch.optim.Adam(" in text
    for section in ("# -- data", "# -- model", "# -- training"):
        assert section in text
    assert "sklearn" not in text and "Dropout" not in text  # only what this run needs


@pytest.mark.parametrize("network, data, settings, named", [
    ("input 1x8x8\nconv 4 3 relu\nflatten\ndense 10 softmax", "digits_images", {}, "conv"),
    ("input 2\ndense 8 relu\ndense 2 softmax", "moons", {"augment": "noise"}, "augment"),
    ("input 2\ndense 8 relu\ndense 2 softmax", "moons", {"schedule": "one_cycle"}, "one_cycle"),
])
def test_what_cannot_be_reproduced_is_refused(network, data, settings, named):
    run = nbdl.train(network, data, epochs=0, **settings)
    with pytest.raises(NbdlError, match=f"does not export these yet: .*{named}"):
        run.to_code()
