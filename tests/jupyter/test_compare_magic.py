"""%nbdl compare in a real kernel: two --vary give the grid, the live picture, the table and the
x-axis switch; bad --vary values and unknown settings give one clear line."""
import base64

import pytest

pytestmark = pytest.mark.slow

NET = "%%nbdl net net\ninput 2\ndense 16 relu\ndense 2 softmax"
WIDGET = "application/vnd.jupyter.widget-view+json"


def test_two_vary_give_the_grid_the_picture_and_the_table(kernel):
    kernel.run(NET)
    result = kernel.run('%nbdl compare net --data moons --vary "optimizer=gd,sgd" --vary "lr=0.01,0.1" '
                        "--epochs 4 --batch-size 16 --seed 2 --x step --name races")
    assert result.status == "ok", result.text + str(result.error)
    names = ["optimizer=gd, lr=0.01", "optimizer=gd, lr=0.1", "optimizer=sgd, lr=0.01", "optimizer=sgd, lr=0.1"]
    assert kernel.value("list(races)") == names
    assert kernel.value("[(r.config.optimizer, r.config.lr, r.epoch, r.config.seed) for r in races.values()]") == [
        ("gd", 0.01, 4, 2), ("gd", 0.1, 4, 2), ("sgd", 0.01, 4, 2), ("sgd", 0.1, 4, 2)]
    assert kernel.value("[len(r.batches) for r in races.values()]") == [1, 1, 15, 15]  # gd keeps full batches
    frames = [base64.b64decode(p) for p in result.mimes("image/png")]
    assert len(frames) >= 2 and all(f.startswith(b"\x89PNG") for f in frames)  # live frame(s), then the last one
    final = [d for d in result.data if WIDGET in d]
    assert len(final) == 1 and "image/png" in final[0]  # the picture with its switch; a PNG where widgets are not
    tables = [h for h in result.mimes("text/html") if "nbdl-compare" in h]
    assert len(tables) == 1 and all(name in tables[0] for name in names) and "best val accuracy" in tables[0]
    assert any("4 runs trained" in h and "races" in h for h in result.mimes("text/html"))
    steps = kernel.value("[row['steps'] for row in races.table()]")
    assert steps == [4, 4, 60, 60]
    # The panel is found among the kernel's objects (gc.get_objects meets torch's deprecated names: quiet).
    switched = kernel.run("import gc, warnings\nfrom nbdl.widgets.compare import ComparisonPanel\n"
                          "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
                          "    panel = [o for o in gc.get_objects() if isinstance(o, ComparisonPanel)][-1]\n"
                          "panel.switch.value = 'samples'")
    assert switched.status == "ok", switched.error
    assert kernel.value("panel.picture.metric_axes.get_xlabel()") == "samples seen"
    assert kernel.value("panel.picture.lines['optimizer=gd, lr=0.1']['train_loss'].get_xdata().tolist()") == \
        [240.0, 480.0, 720.0, 960.0]


@pytest.mark.parametrize("line, message", [
    ('--vary "lr=0.01,abc"', "--lr in --vary must be a number > 0, got 'abc'"),
    ('--vary "banana=1,2"', "--vary 'banana=1,2': unknown setting 'banana'; choose from: val_split"),
    ('--vary "optimizer=sgd,adamm"', "--optimizer in --vary: unknown optimizer 'adamm'; choose one of: adagrad"),
    ("--vary lr", "--vary 'lr': write SETTING=VALUES"),
    ('--vary "lr=0.1,0.1"', "--vary lr: 0.1 is given twice"),
    ('--vary "lr=0.1" --lr 0.2', "--lr is given both as a flag and in --vary; give it once"),
    ('--vary "optimizer=gd" --name print', "'print' would hide Python's or IPython's own print"),
    ("--epochs 2", "give at least one --vary SETTING=VALUES"),
    ('--vary "lr=0.1" --name net', "--name net would replace the network net with the comparison; choose another"),
    ('--vary "betas=0.9,0.99,0.8,0.9"', "each --betas value is two numbers: separate several with semicolons"),
    ('--vary "lr=0.1" --epochs 0', "epochs=0: no run would train"),
    ('--vary "seed=0:1000" --vary "lr=0.1"', "--seed in --vary must be a whole number"),
])
def test_bad_vary_gives_one_line(kernel, line, message):
    kernel.run(NET)
    result = kernel.run(f"%nbdl compare net --data moons {line}")
    assert result.status == "error"
    assert result.text.startswith("UsageError: ") and message in result.text, result.text
    assert result.text.count("\n") <= 1 and "Traceback" not in result.text
    assert kernel.value("type(net).__name__") == "Network"  # a refused comparison keeps the network


def test_a_pair_setting_varies_by_semicolons_or_parentheses():
    from nbdl.commands.compare import varied

    for text in ("betas=0.9,0.99;0.8,0.9", "betas=(0.9, 0.99),(0.8,0.9)"):
        assert varied([text]) == {"betas": [(0.9, 0.99), (0.8, 0.9)]}
    assert varied(["betas=0.9,0.99"]) == {"betas": [(0.9, 0.99)]}


@pytest.mark.parametrize("vary, stacked", [("seed=1,2", True), ("optimizer=adagrad,rmsprop", False)])
def test_ctrl_c_stops_every_run_and_says_so(kernel, vary, stacked):
    import threading

    kernel.run(NET)
    threading.Timer(2.5, kernel.manager.interrupt_kernel).start()  # once the runs are training
    result = kernel.run(f'%nbdl compare net --data moons --vary "{vary}" --epochs 100000 --name stopped')
    assert result.status == "ok", result.text + str(result.error)
    note = next(h for h in result.mimes("text/html") if "stored as" in h)
    assert "stopped (Ctrl-C) after" in note and "of 2 runs trained" in note, note
    rows = kernel.value("[(r.epoch > 0, r.stop_reason, row['status']) for r, row in "
                        "zip(stopped.values(), stopped.table())]")
    if stacked:  # both stop between two steps of the stack
        assert [(trained, reason) for trained, reason, _ in rows] == [(True, "interrupted")] * 2
    else:  # the first stops; the second's turn never comes
        assert rows[0][:2] == (True, "interrupted") and rows[1] == (False, None, "not trained")
    assert any("nbdl-compare" in h for h in result.mimes("text/html"))  # the table of what trained
