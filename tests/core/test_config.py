"""One config describes an experiment: JSON round trip, defaults owned by each component."""
import json

import pytest

import nbdl
from nbdl import Config


def test_config_round_trips_through_json():
    config = Config(network="input 2\ndense 8 relu\ndense 2 softmax", data="circles", data_options={"noise": 0.1},
                    optimizer="adam", lr=0.02, betas=(0.8, 0.9), l2=1e-3, schedule="step(5, 0.5)",
                    early_stopping=4, init="xavier", seed=3)
    again = Config.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again.to_dict() == config.to_dict()
    assert again.betas == (0.8, 0.9)
    a, b = nbdl.Run(config).fit(3), nbdl.Run(again).fit(3)
    assert a.history["val_loss"] == b.history["val_loss"]


def test_user_data_and_modules_are_named_not_stored():
    import torch
    values = Config(network=torch.nn.Linear(2, 2), data=([[0.0, 1.0]], [0])).to_dict()
    assert values["network"] == "<module Linear>" and values["data"] == "<arrays>"


def test_optimizer_defaults_belong_to_the_optimizer():
    run = nbdl.Run(Config(network="input 2\ndense 2 softmax", data="moons", optimizer="momentum"))
    group = run.optimizer.param_groups[0]
    assert group["lr"] == 0.01 and group["momentum"] == 0.9
    assert nbdl.Run(Config(network="input 2\ndense 2 softmax", data="moons", optimizer="adam")).optimizer.param_groups[0]["lr"] == 1e-3
    assert nbdl.Run(Config(network="input 2\ndense 2 softmax", data="moons", optimizer="gd")).batch_size == 240
    assert nbdl.Run(Config(network="input 2\ndense 2 softmax", data="moons")).batch_size == 32


def test_regression_history_has_errors_in_target_units():
    run = nbdl.train("dense 8 relu\ndense 1", data="diabetes", epochs=3)
    assert {"train_loss", "val_loss", "val_mse", "val_mae"} <= set(run.history)
    assert run.history["val_mae"][-1] == pytest.approx(run.evaluate("val")["mae"], rel=1e-5)
