"""The magics in a real IPython kernel: each subcommand, the namespace, the pictures, bad arguments."""
import base64
import time

import pytest

pytestmark = pytest.mark.slow

NET = "%%nbdl net net\ninput 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax"


def _png(data):
    return base64.b64decode(data).startswith(b"\x89PNG")


def test_help_lists_subcommands_and_options(kernel):
    result = kernel.run("%nbdl --help")
    assert result.status == "ok"
    for name in ("net", "train", "data", "dashboard"):
        assert f"  {name} " in result.text
    train_help = kernel.run("%nbdl train --help").text
    for flag in ("--data", "--optimizer", "--lr", "--momentum", "--epochs", "--batch-size", "--l1", "--l2",
                 "--dropout", "--early-stopping", "--schedule", "--init", "--seed", "--val-split"):
        assert flag in train_help


def test_net_builds_a_module_and_shows_its_summary(kernel):
    result = kernel.run(NET)
    assert result.status == "ok", result.text
    html = " ".join(result.mimes("text/html"))
    for part in ("<code>dense 16 relu</code>", "<td>16</td><td>48</td>", "<td>272</td>", "<b>net</b>", "total", "<b>354</b>"):
        assert part in html
    assert any(_png(p) for p in result.mimes("image/png"))
    assert kernel.value("isinstance(net, __import__('torch').nn.Module)") is True
    assert kernel.value("tuple(net(__import__('torch').zeros(3, 2)).shape)") == (3, 2)


def test_train_returns_the_run_and_stores_it(kernel):
    kernel.run(NET)
    result = kernel.run("r = %nbdl train net --data moons --epochs 6 --lr 0.02 --optimizer adam --seed 1")
    assert result.status == "ok", result.text
    assert kernel.value("r is run") is True
    assert kernel.value("run.epoch") == 6
    assert kernel.value("len(run.history['val_loss'])") == 6
    assert kernel.value("run.optimizer.param_groups[0]['lr']") == 0.02
    assert any(_png(p) for p in result.mimes("image/png")), "no live plot in the output"
    assert any("<progress" in h and "epoch 6/6" in h for h in result.mimes("text/html")), "no progress line"


def test_train_options_reach_the_config(kernel):
    kernel.run(NET)
    result = kernel.run("%nbdl train net --data circles --noise 0.05 --n 200 --optimizer momentum --momentum 0.8 "
                        "--epochs 3 --batch-size 20 --l2 0.001 --dropout 0.1 --schedule cosine --init xavier "
                        "--val-split 0.25 --augment 'noise(0.05)' --as other --no-plot")
    assert result.status == "ok", result.text
    config = kernel.value("{k: getattr(other.config, k) for k in ('optimizer', 'momentum', 'batch_size', 'l2', "
                          "'dropout', 'schedule', 'init', 'val_split', 'augment')}")
    assert config == {"optimizer": "momentum", "momentum": 0.8, "batch_size": 20, "l2": 0.001, "dropout": 0.1,
                      "schedule": "cosine", "init": "xavier", "val_split": 0.25, "augment": "noise(0.05)"}
    assert kernel.value("other.split_sizes['val']") == 50
    assert kernel.value("'train_penalty' in other.history") is True
    assert not result.mimes("image/png")


def test_train_on_user_arrays_and_dataframes(kernel):
    kernel.run(NET)
    kernel.run("import numpy as np, pandas as pd\n"
               "X = np.random.default_rng(0).normal(size=(100, 2)); y = (X[:, 0] > 0).astype(int)\n"
               "df = pd.DataFrame({'a': X[:, 0], 'b': X[:, 1], 'label': np.where(y, 'yes', 'no')})")
    assert kernel.run("%nbdl train net --data X --y y --epochs 2 --as a").status == "ok"
    assert kernel.value("a.split_sizes") == {"train": 60, "val": 20, "test": 20}
    assert kernel.run("%nbdl train net --data df --target label --epochs 2 --as b").status == "ok"
    assert kernel.value("b.dataset.class_names") == ["no", "yes"]


def test_continue_a_run_with_new_settings(kernel):
    kernel.run(NET)
    kernel.run("%nbdl train net --data moons --epochs 3 --as c --no-plot")
    result = kernel.run("%nbdl train c --epochs 2 --lr 0.005 --no-plot")
    assert result.status == "ok", result.text
    assert kernel.value("c.epoch") == 5
    assert kernel.value("c.optimizer.param_groups[0]['lr']") == 0.005
    refused = kernel.run("%nbdl train c --optimizer sgd --no-plot")
    assert refused.status == "error" and "optimizer cannot change during a run; make a new run" in refused.text


@pytest.mark.parametrize("name, options, mime", [
    ("moons", "--noise 0.3 --n 100", "400"),
    ("digits_images", "", "1797"),
    ("wine", "", "178"),
    ("diabetes", "", "regression"),
])
def test_data_shows_a_picture_shape_and_balance(kernel, name, options, mime):
    result = kernel.run(f"%nbdl data {name} {options}")
    assert result.status == "ok", result.text
    html = " ".join(result.mimes("text/html"))
    assert f"<b>{name}</b>" in html
    expected = "100 samples" if name == "moons" else mime
    assert expected in html
    assert any(_png(p) for p in result.mimes("image/png"))


def test_data_of_a_user_dataframe(kernel):
    kernel.run("import pandas as pd\nframe = pd.DataFrame({'x': [1., 2, 3, 4], 'z': [0., 1, 0, 1], 'k': ['a', 'b', 'a', 'a']})")
    result = kernel.run("%nbdl data frame --target k")
    assert result.status == "ok", result.text
    assert "3 a" in " ".join(result.mimes("text/html")) or "a 3" in " ".join(result.mimes("text/html"))


@pytest.mark.parametrize("line, message", [
    ("%nbdl trian net", "unknown subcommand 'trian'; choose one of: activations, attack, backprop, code, compare, dashboard, "
                        "data, draw, gan, inspect, interpret, landscape, lr-find, meta, net, play, race, rl, "
                        "runs, train, tune"),
    ("%nbdl train net --data moons --bogus 3", "unrecognized arguments: --bogus 3"),
    ("%nbdl train net --data moons --lr 0.1 --lr 0.2", "--lr is given twice; give it once"),
    ("%nbdl train net --data moons --lr fast", "--lr must be a number > 0, got 'fast'"),
    ("%nbdl train net --data moons --optimizer adamm", "unknown optimizer 'adamm'; choose one of: adagrad, adam,"),
    ("%nbdl train net --data moons --lr inf", "--lr must be a number > 0, got inf"),
    ("%nbdl train net --data moons --schedule 'step(0)'", "schedule 'step(0)': step_size must be a whole number >= 1"),
    ("%nbdl train net --data moons --threads 1000000", "--threads must be a whole number in [1, "),
    ("%nbdl train net --data moons --n 1000000000", "would need about"),
    ("%nbdl train net --data moons --window 3", "data set 'moons' takes no --window; its options: --n, --noise"),
    ("%nbdl train net --data digits --noise 0.1", "data set 'digits' takes no --noise; its options: --n"),
    ("%nbdl train net --data moons --as __builtins__", "'__builtins__' would hide Python's or IPython's own"),
    ("%nbdl train net --data moons --as print", "'print' would hide Python's or IPython's own print"),
    ("%nbdl train net --data moons --as class", "'class' is not a valid Python variable name"),
    ("%nbdl train net --data moons --as In", "'In' would hide Python's or IPython's own In"),
    ("%nbdl train net --data frame3 --epochs 1", "a DataFrame needs --target COLUMN, the column to predict"),
    ("%nbdl train net --data array3 --epochs 1", "give the targets too: --y VARIABLE"),
    ("%nbdl train net --data array3 --y labels3 --noise 0.1", "--noise are options of the built-in data sets"),
    ("%nbdl train nosuchnet --data moons", "no variable 'nosuchnet' in the notebook"),
    ("%nbdl train net --data nosuchdata", "unknown data set or variable 'nosuchdata'"),
    ("%nbdl train net", "give the data, for example --data moons"),
    ("%nbdl train net --data moons --lr -1", "--lr must be a number > 0, got -1"),
    ("%nbdl train net --data moons --batch-size 0", "--batch-size must be a whole number >= 1, got 0"),
    ("%nbdl train net --data iris", "samples of shape 4 but the network's line 1: 'input 2' expects 2"),
    ("%nbdl net net", "%%nbdl net NAME is a cell magic"),
    ("%%nbdl net bad\ninput 2\ndense 4 relux", "line 2: unknown activation 'relux'"),
    ("%%nbdl net 1bad\ninput 2", "'1bad' is not a valid Python variable name"),
    ("%nbdl data mnist", "unknown data set or variable 'mnist'"),
    ("%nbdl dashboard --data mnist", "unknown data set or variable 'mnist'"),
    ("%nbdl dashboard --data moons --as __builtins__", "'__builtins__' would hide"),
    ("%%nbdl train net --data moons\nsomething", "%%nbdl train takes no cell body; write it as a line magic"),
    ("%nbdl train net --data moons --checkpoint ''", "the path of a checkpoint folder must be text or a pathlib.Path"),
    ("%nbdl train net --data moons --checkpoint /proc/nbdl", "--checkpoint /proc/nbdl: could not write the checkpoint"),
    ("%nbdl train net --data moons --checkpoint ck --checkpoint-every 0",
     "--checkpoint-every must be a whole number >= 1, got 0"),
    ("%nbdl train net --data moons --y labels3", "--y names the targets of your own array; the data set 'moons'"),
    ("%nbdl train net --data array3 --y five", "y must be an array with one target per sample, got the single value 5"),
    ("%nbdl train net --data moons --lr ''", "--lr needs a value: a number > 0"),
    ("%nbdl train net --data moons --n ''", "--n needs a value"),
    ("%nbdl train net --data moons --early-stopping 2 --monitor banana", "early stopping watches --monitor 'banana'"),
])
def test_bad_arguments_give_one_line_and_the_kernel_stays_usable(kernel, line, message):
    kernel.run(NET)
    kernel.run("import numpy as np, pandas as pd\narray3 = np.zeros((30, 2)); labels3 = np.arange(30) % 2\n"
               "frame3 = pd.DataFrame({'a': np.arange(30.0), 'b': np.arange(30) % 2}); five = 5")
    result = kernel.run(line)
    assert result.status == "error"
    assert result.text.startswith("UsageError: ") and message in result.text
    assert result.text.count("\n") <= 1, "more than one line: " + result.text
    assert "Traceback" not in result.text and result.error is None
    assert kernel.value("1 + 1") == 2


def test_names_in_html_are_escaped(kernel):
    kernel.run("import numpy as np, pandas as pd\n"
               "evil = pd.DataFrame({'x': [1., 2, 3, 4, 5, 6], 't': ['<b>x</b>', '<i>y</i>'] * 3})")
    html = " ".join(kernel.run("%nbdl data evil --target t").mimes("text/html"))
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_interrupt_stops_cleanly_and_the_run_continues(kernel):
    kernel.run(NET)
    client = kernel.client
    message_id = client.execute("%nbdl train net --data moons --n 4000 --epochs 2000 --batch-size 8 --as long")
    time.sleep(6)
    kernel.manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != message_id:
        reply = client.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok"
    assert kernel.value("long.status") == "stopped"
    epochs, steps = kernel.value("long.epoch"), kernel.value("long.global_step")
    assert epochs >= 1 and steps > 0
    assert kernel.value("len(long.history['train_loss'])") == epochs
    assert kernel.value("all(__import__('torch').isfinite(p).all().item() for p in long.model.parameters())")
    assert kernel.run("%nbdl train long --epochs 1 --no-plot").status == "ok"
    assert kernel.value("long.epoch") == epochs + 1


@pytest.mark.parametrize("code, expected", [
    ("%nbdl tr", ["train"]),
    ("%nbdl train net --data mo", ["moons"]),
    ("%nbdl train net --optimizer ad", ["adagrad", "adam", "adamw"]),
    ("%nbdl train net --ep", ["--eps", "--epochs"]),
])
def test_tab_completion(kernel, code, expected):
    kernel.client.complete(code, len(code))
    reply = kernel.client.get_shell_msg(timeout=30)
    assert sorted(reply["content"]["matches"]) == sorted(expected)


def test_checkpoints_let_a_run_continue_after_a_kernel_restart(kernel, tmp_path):
    folder = tmp_path / "checkpoints"
    kernel.run(NET)
    result = kernel.run(f"%nbdl train net --data moons --epochs 3 --seed 2 --checkpoint {folder} --as first --no-plot")
    assert result.status == "ok", result.text
    assert (folder / "checkpoint.safetensors").exists()
    history = kernel.value("first.history['val_loss']")
    kernel.manager.restart_kernel(now=True)
    kernel.client.wait_for_ready(timeout=120)
    assert kernel.run("%load_ext nbdl").status == "ok"
    kernel.run(NET)
    result = kernel.run(f"%nbdl train net --data moons --epochs 5 --seed 2 --checkpoint {folder} --resume --no-plot")
    assert result.status == "ok", result.text
    assert "resuming from" in result.text and "epoch 3, 2 to go" in result.text
    assert kernel.value("run.epoch") == 5
    assert kernel.value("run.history['val_loss'][:3]") == history
    bad = kernel.run("%nbdl train net --data moons --resume")
    assert bad.status == "error" and "--resume and --checkpoint-every need --checkpoint DIR" in bad.text


def test_a_convolutional_network_from_the_cell_to_training(kernel):
    result = kernel.run("%%nbdl net cnn\ninput 1x8x8\nconv 8 3 relu padding=1\nmaxpool 2\nflatten\ndense 10 softmax")
    assert result.status == "ok", result.text
    html = " ".join(result.mimes("text/html"))
    assert "<code>conv 8 3 relu padding=1</code>" in html and "8 x 8 x 8" in html and "<td>80</td>" in html
    result = kernel.run("%nbdl train cnn --data digits_images --epochs 2 --as cnn_run")
    assert result.status == "ok", result.text
    assert kernel.value("cnn_run.epoch") == 2 and kernel.value("cnn_run.history['val_acc'][-1] > 0.5") is True
    bad = kernel.run("%%nbdl net bad\ninput 1x8x8\nconv 4 9")
    assert bad.status == "error" and "has a 9x9 window but its input is 8x8" in bad.text


def test_a_recurrent_network_on_a_sequence_data_set(kernel):
    result = kernel.run("%%nbdl net seq\ninput seq 2\nlstm 16\ndense 1")
    assert result.status == "ok", result.text
    assert "<code>lstm 16</code>" in " ".join(result.mimes("text/html"))
    result = kernel.run("%nbdl train seq --data adding --seq-len 20 --n 500 --epochs 2 --as seq_run --no-plot")
    assert result.status == "ok", result.text
    assert kernel.value("seq_run.dataset.X.shape") == (500, 20, 2)
    assert kernel.value("seq_run.epoch") == 2
    assert kernel.run("%nbdl data sunspots").status == "ok"


def test_a_character_model_writes_text_in_the_output(kernel):
    kernel.run("%%nbdl net chars\ninput tokens\nembedding 100 8\nlstm 32 sequences\ndense 100 softmax")
    result = kernel.run("%nbdl train chars --data text --seq-len 32 --n 300 --epochs 1 --no-plot --as chars_run")
    assert result.status == "ok", result.text
    assert "written by the model:\nThe " in result.text


def test_freeze_from_the_magic_keeps_those_weights(kernel):
    kernel.run(NET)
    result = kernel.run("%nbdl train net --data moons --freeze 0 --epochs 2 --no-plot --as frozen")
    assert result.status == "ok", result.text
    assert kernel.value("[p.requires_grad for p in frozen.model.parameters()]") == [False, False, True, True, True, True]
    # The first layer kept the weights the run started from (the same seed builds the same start).
    assert kernel.value("bool((frozen.model.layers[0].linear.weight == __import__('nbdl').Run(frozen.config)"
                        ".model.layers[0].linear.weight).all())") is True


def test_every_bad_option_of_a_line_is_named_at_once(kernel):
    kernel.run(NET)
    result = kernel.run("%nbdl train net --data moons --lr 0 --epochs -1 --momentum 2")
    assert result.status == "error" and result.text.startswith("UsageError: 3 problems in the options:")
    for part in ("--lr must be a number > 0, got 0", "--epochs must be a whole number >= 0, got -1",
                 "--momentum must be a number in [0, 1), got 2"):
        assert part in result.text


def test_help_is_derived_from_the_registries(kernel):
    net_help = kernel.run("%nbdl net --help").text
    for synopsis in ("dense UNITS [ACTIVATION]", "conv FILTERS KERNEL [ACTIVATION] [stride=S] [padding=P]",
                     "lstm UNITS [layers=N] [bidirectional] [sequences]", "embedding VOCABULARY DIMENSIONS"):
        assert synopsis in net_help
    data_help = kernel.run("%nbdl data --help").text
    assert "text           classification: characters of Python's own documentation" in data_help
    assert "--seq-len" in data_help and "--seed" in data_help


def test_every_flag_of_every_subcommand_has_help():
    from nbdl import cli

    for name, parser in cli.build_parsers().items():
        for action in parser._actions:
            assert action.help and len(action.help) > 8, f"{name} {action.option_strings or action.dest}"


def test_a_divergence_is_said_once_with_a_rate_that_can_work(kernel):
    kernel.run("%%nbdl net reg\ninput 10\ndense 32 relu\ndense 1")
    result = kernel.run("%nbdl train reg --data diabetes --optimizer sgd --lr 1000000 --epochs 3 --no-plot")
    assert result.status == "ok", result.text
    assert result.text.count("the loss became") == 1 and "--lr 1000000.0 now, try 0.01" in result.text
    assert "--optimizer adam" in result.text and "Warning" not in result.text
    assert kernel.value("run.status") == "diverged"


def test_a_refused_continuation_changes_nothing(kernel):
    kernel.run(NET)
    kernel.run("import threading\n%nbdl train net --data moons --epochs 1 --as busy --no-plot")
    kernel.run("busy.config = busy.config.replace(epochs=100000)\n"
               "worker = threading.Thread(target=busy.fit, kwargs={'epochs': 100000}); worker.start()\n"
               "import time\nwhile busy.global_step == 0: time.sleep(0.01)")
    result = kernel.run("%nbdl train busy --lr 0.5 --no-plot")
    assert result.status == "error" and "this run is already training" in result.text
    assert kernel.value("busy.optimizer.param_groups[0]['lr']") == 0.001
    kernel.run("busy.stop(); worker.join()")
    refused = kernel.run("%nbdl train busy --data circles --no-plot")
    assert refused.status == "error" and "the data of a run cannot change" in refused.text


def test_resume_refuses_flags_a_run_cannot_change_and_applies_the_rest(kernel, tmp_path):
    folder = tmp_path / "resume"
    kernel.run(NET)
    kernel.run(f"%nbdl train net --data moons --epochs 2 --checkpoint {folder} --as first --no-plot")
    for flags, part in (("--data circles", "trained with --data moons"), ("--seed 5", "trained with --seed 0"),
                        ("--noise 0.4", "(the data set's own options)"), ("--optimizer sgd", "with --optimizer adam")):
        result = kernel.run(f"%nbdl train net --data moons --epochs 4 {flags} --checkpoint {folder} --resume --no-plot"
                            .replace("--data moons --epochs 4 --data circles", "--data circles --epochs 4"))
        assert result.status == "error" and "which a run cannot change" in result.text and part in result.text, flags
    result = kernel.run(f"%nbdl train net --data moons --epochs 4 --lr 0.002 --checkpoint {folder} --resume --no-plot")
    assert result.status == "ok" and "now with --lr 0.002" in result.text, result.text
    assert kernel.value("run.epoch") == 4 and kernel.value("run.optimizer.param_groups[0]['lr']") == 0.002
    small = tmp_path / "small"
    kernel.run(f"%nbdl train net --data moons --n 60 --epochs 1 --checkpoint {small} --no-plot")
    result = kernel.run(f"%nbdl train net --data moons --epochs 2 --checkpoint {small} --resume --no-plot")
    assert result.status == "error" and "trained with --n 60" in result.text
    kernel.run("import numpy as np\nmine = (np.random.default_rng(0).normal(size=(50, 2)), np.arange(50) % 2)\n"
               "other = (np.random.default_rng(1).normal(size=(50, 2)), np.arange(50) % 2)")
    own = tmp_path / "own"
    kernel.run(f"%nbdl train net --data mine --epochs 1 --checkpoint {own} --no-plot")
    result = kernel.run(f"%nbdl train net --data other --epochs 2 --checkpoint {own} --resume --no-plot")
    assert result.status == "error" and "the run trained on other data" in result.text
    result = kernel.run(f"%nbdl train net --data moons --epochs 2 --checkpoint {own} --resume --no-plot")
    assert result.status == "error" and "give it again: --data VARIABLE" in result.text
    result = kernel.run(f"%nbdl train net --data mine --epochs 2 --checkpoint {own} --resume --no-plot")
    assert result.status == "ok" and "resuming from" in result.text


def test_a_sequence_network_summary_says_seq(kernel):
    result = kernel.run("%%nbdl net sequence_net\ninput seq 1\nlstm 8\ndense 1")
    html = " ".join(result.mimes("text/html"))
    assert "<td>seq x 1</td>" in html and "0 x 1" not in html


def test_the_dashboard_trains_on_the_users_data_and_takes_the_train_flags(kernel):
    kernel.run(NET)
    kernel.run("import numpy as np, pandas as pd\n"
               "Xd = np.random.default_rng(1).normal(size=(90, 2)); yd = (Xd[:, 1] > 0).astype(int)\n"
               "dfd = pd.DataFrame({'a': Xd[:, 0], 'b': Xd[:, 1], 'label': yd})")
    result = kernel.run("%nbdl dashboard net --data Xd --y yd --epochs 2 --lr 0.02 --as panel")
    assert result.status == "ok", result.text
    assert kernel.value("panel.data_choice.value") == "Xd (your data)"
    assert kernel.value("(panel.config.epochs, panel.config.lr)") == (2, 0.02)
    kernel.run("panel.start(); panel.wait(60)")
    assert kernel.value("(len(panel.run.dataset), panel.run.epoch)") == (90, 2)
    assert "--data Xd" in kernel.value("panel.magic.value")
    result = kernel.run("%nbdl dashboard net --data dfd --target label --as panel2")
    assert result.status == "ok", result.text
    assert kernel.value("panel2.data_choice.value") == "dfd (your data)"
    assert kernel.value("panel2.config.network.to_text().splitlines()[0]") == "input 2"
    kernel.run("panel.close(); panel2.close()")


def test_flags_that_would_be_ignored_are_refused(kernel, tmp_path):
    kernel.run(NET)
    kernel.run("import numpy as np\nXs = np.random.default_rng(0).normal(size=(40, 2)); ys = np.arange(40) % 2")
    for line, message in (
            ("%nbdl data Xs --y ys --seed 3", "--seed draws a built-in data set; your own data needs none"),
            ("%nbdl data Xs --y ys --seed abc", "--seed must be a whole number"),
    ):
        result = kernel.run(line)
        assert result.status == "error" and message in result.text, line
    kernel.run("%nbdl train net --data moons --epochs 1 --as cont --no-plot")
    result = kernel.run("%nbdl train cont --y ys --no-plot")
    assert result.status == "error" and "the data of a run cannot change" in result.text
    folder = tmp_path / "shared"
    assert kernel.run(f"%nbdl train net --data moons --epochs 1 --checkpoint {folder} --no-plot").status == "ok"
    result = kernel.run(f"%nbdl train net --data circles --epochs 1 --checkpoint {folder} --no-plot")
    assert result.status == "error" and "already holds a run's checkpoint; add --resume" in result.text


def test_a_checkpoint_folder_belongs_to_one_run(kernel, tmp_path):
    kernel.run(NET)
    a, b = tmp_path / "a", tmp_path / "b"
    kernel.run(f"%nbdl train net --data moons --epochs 1 --checkpoint {a} --as run_a --no-plot")
    kernel.run(f"%nbdl train net --data circles --epochs 1 --checkpoint {b} --as run_b --no-plot")
    result = kernel.run(f"%nbdl train run_a --epochs 1 --checkpoint {b} --no-plot")
    assert result.status == "error" and "holds another run's checkpoint" in result.text
    assert kernel.run(f"%nbdl train run_a --epochs 1 --checkpoint {a} --no-plot").status == "ok"  # its own folder
    assert kernel.value(f"__import__('nbdl').load(r'{b}/checkpoint.safetensors').dataset.name") == "circles"


def test_the_dashboards_data_flags_apply_to_its_default_data(kernel):
    result = kernel.run("%nbdl dashboard --n 100 --as panel_n")
    assert result.status == "ok", result.text
    assert kernel.value("panel_n.config.data_options") == {"n": 100}
    bad = kernel.run("%nbdl dashboard --noise abc")
    assert bad.status == "error" and "--noise must be a number" in bad.text
    kernel.run("panel_n.close()")
