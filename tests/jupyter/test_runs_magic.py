"""``%nbdl train NET --config FILE`` and ``%nbdl runs`` in a real kernel: a file's settings under the
line's flags, the table of the kernel's runs (HTML and text), their curves on one picture, and one
clear line for each mistake."""
import base64
import json

import pytest

pytestmark = pytest.mark.slow

NET = "%%nbdl net net\ninput 2\ndense 8 relu\ndense 2 softmax"


def test_a_kernel_without_runs_says_so_in_one_line(kernel):
    result = kernel.run("%nbdl runs")
    assert result.status == "ok", result.error
    assert result.text.strip() == "no runs in this kernel yet; train one with %nbdl train NET --data moons " \
                                  "(or nbdl.train(...))"
    assert not result.data


def test_train_takes_the_files_settings_and_the_lines_flags_over_them(kernel, tmp_path):
    path = tmp_path / "experiment.json"
    kernel.run(NET)
    made = kernel.run(f"import nbdl\nnbdl.Config(network=net.spec, data='moons', data_options={{'noise': 0.3}}, "
                      f"lr=0.05, epochs=3, seed=4, batch_size=16).save({str(path)!r})")
    assert made.status == "ok", made.error
    result = kernel.run(f"%nbdl train net --config {path} --epochs 2 --no-plot --as first")
    assert result.status == "ok", result.text + str(result.error)
    assert kernel.value("(first.config.data, first.config.data_options, first.config.lr, first.config.epochs, "
                        "first.config.seed, first.batch_size, first.epoch)") == \
        ("moons", {"noise": 0.3}, 0.05, 2, 4, 16, 2)
    # The same experiment through the Python API gives the same curve.
    assert kernel.value("nbdl.train(net.spec, 'moons', data_options={'noise': 0.3}, lr=0.05, epochs=2, seed=4, "
                        "batch_size=16).history['val_loss'] == first.history['val_loss']")
    # --data on the line replaces the file's data and its options; a data option flag goes over the file's.
    other = kernel.run(f"%nbdl train net --config {path} --data circles --epochs 1 --no-plot --as second")
    assert other.status == "ok", other.text + str(other.error)
    assert kernel.value("(second.config.data, second.config.data_options)") == ("circles", {})
    noisier = kernel.run(f"%nbdl train net --config {path} --noise 0.1 --n 120 --epochs 1 --no-plot --as third")
    assert noisier.status == "ok", noisier.text + str(noisier.error)
    assert kernel.value("third.config.data_options") == {"noise": 0.1, "n": 120}


def test_a_run_saved_and_trained_again_from_its_file_has_the_same_history(kernel, tmp_path):
    path = tmp_path / "saved.json"
    kernel.run(NET)
    trained = kernel.run("%nbdl train net --data moons --optimizer sgd --lr 0.1 --momentum 0.9 --epochs 3 "
                         "--seed 7 --no-plot --as original")
    assert trained.status == "ok", trained.text
    kernel.run(f"original.config.save({str(path)!r})")
    assert json.loads(path.read_text())["optimizer"] == "sgd"
    again = kernel.run(f"%nbdl train net --config {path} --no-plot --as copy")
    assert again.status == "ok", again.text + str(again.error)
    assert kernel.value("copy.history['train_loss'] == original.history['train_loss'] and "
                        "copy.history['val_acc'] == original.history['val_acc']")


def test_runs_lists_the_kernels_runs_as_a_table_with_a_text_fallback(kernel):
    kernel.run(NET)
    kernel.run("%nbdl train net --data moons --optimizer sgd --lr 0.1 --batch-size 8 --epochs 2 --no-plot --as sgd_run")
    result = kernel.run("%nbdl runs")
    assert result.status == "ok", result.text
    html = [h for h in result.mimes("text/html") if "nbdl-runs" in h]
    assert len(html) == 1
    assert "<td style='text-align:left'>sgd_run</td>" in html[0]
    assert "input 2 | dense 8 relu | dense 2 softmax" in html[0]
    text = result.mimes("text/plain")[0]
    header, *lines = text.splitlines()
    assert header.split()[:5] == ["name", "data", "network", "optimizer", "lr"]
    line = next(line for line in lines if line.startswith("sgd_run "))
    final = kernel.value("(sgd_run.history['train_loss'][-1], sgd_run.history['val_acc'][-1])")
    assert "moons" in line and " sgd " in line and " 0.1 " in line and " 8 " in line and "finished" in line
    assert f"{final[0]:.4f}" in line and f"{final[1]:.3f}" in line
    assert kernel.value("'_' not in [r for r in __import__('nbdl').commands.runs.runs_in(globals())]")


def test_runs_overlays_the_named_runs_on_one_picture(kernel):
    kernel.run(NET)
    for name, optimizer in (("a", "sgd"), ("b", "adam")):
        kernel.run(f"%nbdl train net --data moons --optimizer {optimizer} --epochs 3 --no-plot --as {name}")
    result = kernel.run("%nbdl runs a b --metric val_loss,val_acc")
    assert result.status == "ok", result.text
    pngs = result.mimes("image/png")
    assert len(pngs) == 1
    png = base64.b64decode(pngs[0])
    assert png.startswith(b"\x89PNG")
    with open("/tmp/nbdl-runs-overlay.png", "wb") as file:  # looked at by hand
        file.write(png)


@pytest.mark.parametrize("line, message", [
    ("%nbdl runs a zz", "no run named 'zz' in the notebook; its runs:"),
    ("%nbdl runs a --metric val_los", "--metric val_los: these runs do not log it; they log:"),
    ("%nbdl runs a a", "a run is named twice"),
    ("%nbdl train net --config /nonexistent/x.json", "no config file /nonexistent/x.json; save one with"),
    ("%nbdl train a --config /nonexistent/x.json", "--config starts a new run from a file"),
])
def test_mistakes_give_one_line(kernel, line, message):
    kernel.run(NET)
    kernel.run("%nbdl train net --data moons --epochs 1 --no-plot --as a")
    result = kernel.run(line)
    assert result.status == "error"
    assert result.text.startswith("UsageError: ") and message in result.text, result.text
    assert result.text.count("\n") <= 1 and "Traceback" not in result.text


def test_a_file_with_data_of_your_own_asks_for_data_and_bad_values_are_listed(kernel, tmp_path):
    path = tmp_path / "own.json"
    path.write_text(json.dumps({"data": "<arrays>", "lr": -1, "epochs": 2}))
    kernel.run(NET)
    result = kernel.run(f"%nbdl train net --config {path}")
    assert result.status == "error"
    assert f"2 problems in the config file {path}" in result.text
    assert "'lr' must be a number > 0, got -1" in result.text
    assert "the data is your own (<arrays>), which a file cannot hold; give it: --data VARIABLE" in result.text
    kernel.run("import numpy as np\nX = np.random.default_rng(0).normal(size=(50, 2)).astype('float32')\n"
               "y = (X[:, 0] > 0).astype('int64')")
    path.write_text(json.dumps({"data": "<arrays>", "lr": 0.01, "epochs": 2}))
    given = kernel.run(f"%nbdl train net --config {path} --data X --y y --no-plot --as mine")
    assert given.status == "ok", given.text + str(given.error)
    assert kernel.value("(mine.config.lr, mine.epoch, len(mine.dataset.X))") == (0.01, 2, 50)


def test_train_help_says_flags_override_the_file(kernel):
    result = kernel.run("%nbdl train --help")
    assert "--config FILE" in result.text
    assert "flags given on this line override the file's" in " ".join(result.text.split())
