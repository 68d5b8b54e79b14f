"""An experiment as a file: ``run.config.save(path)`` and ``Config.load(path)``."""
import json

import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import Config, NbdlError, Run
from nbdl.core.config import NAMES

NET = "input 2\ndense 8 relu\ndense 2"


def test_a_loaded_config_trains_the_same_history_as_the_saved_one(tmp_path):
    run = nbdl.train(NET, "moons", epochs=3, lr=0.05, seed=3, betas=(0.8, 0.95), batch_size=16, l2=1e-3,
                     data_options={"noise": 0.3, "n": 200})
    path = run.config.save(tmp_path / "experiment.json")
    loaded = Config.load(path)
    assert loaded.to_dict() == run.config.to_dict()
    assert loaded.betas == (0.8, 0.95)  # a pair comes back a tuple, as the declaration reads it
    again = Run(loaded).fit()
    assert again.history["train_loss"] == run.history["train_loss"]
    assert again.history["val_loss"] == run.history["val_loss"]
    assert again.history["val_acc"] == run.history["val_acc"]


def test_the_file_is_pretty_json_in_the_settings_order_and_the_same_each_time(tmp_path):
    config = Config(network=NET, data="circles", data_options={"noise": 0.1, "factor": 0.5}, lr=0.01)
    first = config.save(tmp_path / "a.json").read_text()
    second = config.save(tmp_path / "b.json").read_text()
    assert first == second
    assert first.startswith('{\n  "network": {')  # indented, one key a line
    saved = json.loads(first)
    assert list(saved) == list(NAMES)
    assert list(saved["data_options"]) == ["factor", "noise"]
    assert saved["lr"] == 0.01 and saved["data"] == "circles"


def test_every_bad_value_is_named_in_one_error_with_the_file_and_what_is_allowed(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"lr": -1, "optimizer": "adamm", "epochs": 2.5, "betas": [1, 2, 3], "wrong": 1,
                                "network": {"layers": [{"type": "dense", "units": "x"}]}}))
    with pytest.raises(NbdlError) as caught:
        Config.load(path)
    message = str(caught.value)
    assert message.startswith(f"6 problems in the config file {path}:")
    assert "'lr' must be a number > 0, got -1" in message
    assert "'optimizer': unknown optimizer 'adamm'; choose one of: adagrad, adam," in message
    assert "'epochs' must be a whole number >= 0, got 2.5" in message
    assert "'betas' must be two numbers, each in [0, 1), got [1, 2, 3]" in message
    assert "unknown setting(s) 'wrong'; the known ones are: network, data, data_options, val_split" in message
    assert "'network': dense units must be a whole number >= 1, got 'x'" in message


def test_one_problem_is_one_line_naming_the_file(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"val_split": 1.5}))
    with pytest.raises(NbdlError, match=rf"^config file {path}: 'val_split' must be a number in \[0, 1\), got 1.5$"):
        Config.load(path)


@pytest.mark.parametrize("text, words", [
    ('{"lr": 0.1,', "is not a JSON config (line 1, column 12"),
    ("[1, 2]", "holds a JSON list, not a config"),
    ("", "is not a JSON config (line 1, column 1"),
])
def test_a_damaged_file_says_so_in_one_line(tmp_path, text, words):
    path = tmp_path / "damaged.json"
    path.write_text(text)
    with pytest.raises(NbdlError) as caught:
        Config.load(path)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_binary_or_missing_file_or_a_folder_says_so(tmp_path):
    binary = tmp_path / "weights.bin"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(NbdlError, match="cannot read the config file"):
        Config.load(binary)
    with pytest.raises(NbdlError, match=r"no config file .*nothing.json; save one with run.config.save"):
        Config.load(tmp_path / "nothing.json")
    with pytest.raises(NbdlError, match="is a folder"):
        Config.load(tmp_path)


def test_a_network_or_data_of_your_own_is_named_and_asked_for(tmp_path):
    X = np.random.default_rng(0).normal(size=(60, 2)).astype("float32")
    y = (X[:, 0] > 0).astype("int64")
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    run = nbdl.train(model, (X, y), epochs=2, seed=0)
    path = run.config.save(tmp_path / "own.json")
    saved = json.loads(path.read_text())
    assert saved["network"] == "<module Sequential>" and saved["data"] == "<arrays>"
    with pytest.raises(NbdlError) as caught:
        Config.load(path)
    message = str(caught.value)
    assert "the network is your own torch.nn.Module (<module Sequential>), which a file cannot hold; give it: " \
           f"Config.load({str(path)!r}, network=model)" in message
    assert f"the data is your own (<arrays>), which a file cannot hold; give it: Config.load({str(path)!r}, " \
           "data=(X, y))" in message
    again = Run(Config.load(path, network=model, data=(X, y))).fit()
    assert again.history["val_loss"] == run.history["val_loss"]


def test_given_settings_replace_the_files_and_unknown_ones_are_refused(tmp_path):
    path = Config(network=NET, data="moons", lr=0.1, epochs=4).save(tmp_path / "c.json")
    assert Config.load(path, lr=0.2).lr == 0.2 and Config.load(path).epochs == 4
    with pytest.raises(NbdlError, match="unknown setting.* lrr; choose from: network"):
        Config.load(path, lrr=0.2)


def test_nbdl_config_load_is_the_same_function():
    assert nbdl.Config.load.__func__ is Config.load.__func__
