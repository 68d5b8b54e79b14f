"""nbdl.compare: runs from a shared base and per-run changes, their table against their histories,
and the same curve whether a run trains alone or inside a comparison."""
import sys
import warnings

import pytest

import nbdl
from nbdl.core.compare import Comparison, compare
from nbdl.core.errors import NbdlError
from nbdl.core.many import grid

NET = "input 2\ndense 16 relu\ndense 2 softmax"
BASE = {"network": NET, "data": "moons", "epochs": 6, "seed": 1}


@pytest.fixture(scope="module")
def comparison():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the huge learning rate diverges on purpose
        return compare(BASE, {"gd": {"optimizer": "gd"}, "sgd": {"optimizer": "sgd", "lr": 0.1},
                              "too fast": {"optimizer": "sgd", "lr": 50.0}})


def test_runs_come_back_by_name_in_order(comparison):
    assert isinstance(comparison, Comparison) and list(comparison) == ["gd", "sgd", "too fast"]
    assert comparison["gd"].config.optimizer == "gd" and comparison["sgd"].config.lr == 0.1
    assert comparison.changes["too fast"] == {"optimizer": "sgd", "lr": 50.0}


def test_the_table_holds_each_runs_figures(comparison):
    rows = comparison.table()
    assert [r["name"] for r in rows] == list(comparison)
    for row in rows:
        run = comparison[row["name"]]
        h = run.history
        assert row["train_loss"] == h["train_loss"][-1] and row["best_train_loss"] == min(h["train_loss"])
        assert row["val_loss"] == h["val_loss"][-1] and row["best_val_loss"] == min(h["val_loss"])
        assert row["val_acc"] == h["val_acc"][-1] and row["best_val_acc"] == max(h["val_acc"])
        assert row["epochs"] == len(h["train_loss"]) == run.epoch
        assert row["steps"] == run.epoch * len(run.batches)
        assert row["samples"] == run.epoch * len(run.data.train)
        assert row["seconds"] == pytest.approx(sum(h["time"]))
        assert "val_mae" not in row
    by_name = {r["name"]: r for r in rows}
    assert by_name["gd"]["steps"] == 6 and by_name["sgd"]["steps"] == 6 * 8  # 240 samples in batches of 32
    assert by_name["gd"]["status"] == by_name["sgd"]["status"] == "finished"
    assert comparison["too fast"].status == "diverged"
    assert by_name["too fast"]["status"] == f"diverged at epoch {comparison['too fast'].epoch + 1}"


def test_a_regression_comparison_reports_mean_absolute_error():
    found = compare({"network": "input 10\ndense 8 relu\ndense 1", "data": "diabetes", "epochs": 3},
                    {"a": {"lr": 0.01}, "b": {"lr": 0.003}})
    for row in found.table():
        mae = found[row["name"]].history["val_mae"]
        assert row["val_mae"] == mae[-1] and row["best_val_mae"] == min(mae) and "val_acc" not in row


def test_early_stopping_is_said_in_the_status():
    found = compare({**BASE, "epochs": 40}, {"patient": {"early_stopping": 1, "lr": 0.3}})
    run = found["patient"]
    assert run.status == "stopped" and run.epoch < 40
    assert found.table()[0]["status"] == f"stopped early at epoch {run.epoch}"


@pytest.mark.parametrize("runs, stack", [
    (grid(optimizer=["adam", "momentum"], lr=[0.05]), "auto"),  # different optimizers: one after the other
    (grid(optimizer=["momentum"], lr=[0.01, 0.05]), "auto"),  # differ only in numbers: stacked where it can be
    (grid(optimizer=["momentum"], lr=[0.01, 0.05]), "never"),
])
def test_a_run_gives_the_same_curve_alone_and_inside_a_comparison(runs, stack):
    alone = nbdl.train(NET, data="moons", epochs=5, seed=3, optimizer="momentum", lr=0.05, batch_size=16)
    together = compare({"network": NET, "data": "moons", "epochs": 5, "seed": 3, "batch_size": 16}, runs, stack=stack)
    run = together["optimizer=momentum, lr=0.05"]
    assert set(run.history) == set(alone.history)
    for key in alone.history:
        if key != "time":
            assert run.history[key] == pytest.approx(alone.history[key], rel=1e-5, abs=1e-7), key
    row = {r["name"]: r for r in together.table()}["optimizer=momentum, lr=0.05"]
    assert row["steps"] == 5 * 15 and row["epochs"] == 5 and row["status"] == "finished"


def test_a_base_batch_size_leaves_full_batch_gd_alone():
    found = compare({**BASE, "epochs": 1, "batch_size": 16}, {"gd": {"optimizer": "gd"}, "sgd": {"optimizer": "sgd"}})
    assert found["gd"].batch_size == len(found["gd"].data.train) and len(found["gd"].batches) == 1
    assert found["sgd"].batch_size == 16
    with pytest.raises(NbdlError, match=r"optimizer 'gd' is full-batch"):
        compare({**BASE, "epochs": 1}, {"gd": {"optimizer": "gd", "batch_size": 8}})


def test_the_table_as_a_data_frame_and_as_escaped_html(comparison, monkeypatch):
    frame = comparison.frame()
    assert list(frame.index) == list(comparison) and frame.loc["sgd", "steps"] == 48
    assert frame.loc["gd", "best_val_acc"] == max(comparison["gd"].history["val_acc"])
    named = Comparison({"<b>x & y</b>": comparison["gd"]})
    html = named._repr_html_()
    assert "&lt;b&gt;x &amp; y&lt;/b&gt;" in html and "<b>x" not in html
    assert "best val accuracy" in html and "samples seen" in html and "1,440" in html  # 6 epochs of 240
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(NbdlError, match=r"needs pandas: pip install pandas"):
        comparison.frame()


@pytest.mark.parametrize("runs, message", [
    ({}, r"give the runs as a dict of name -> changes"),
    ([("a", {})], r"give the runs as a dict of name -> changes"),
    ({"a": {"banana": 1}}, r"run 'a': unknown setting\(s\) banana; choose from: network"),
    ({"a": {"lr": -1}}, r"run 'a': lr must be a number > 0, got -1"),
])
def test_bad_runs_are_refused_before_training(runs, message):
    with pytest.raises(NbdlError, match=message):
        compare(BASE, runs)


def test_a_huge_grid_is_refused_at_once_with_the_count():
    with pytest.raises(NbdlError, match=r"10,000 runs are too many for one comparison \(at most 256\)"):
        compare(BASE, grid(seed=range(100), lr=[0.001 * (i + 1) for i in range(100)]))


@pytest.mark.parametrize("base, epochs", [({**BASE, "epochs": 0}, None), (BASE, 0)])
def test_zero_epochs_is_refused_rather_than_an_empty_picture(base, epochs):
    with pytest.raises(NbdlError, match=r"epochs=0: no run would train.*give epochs=1 or more"):
        compare(base, {"a": {"lr": 0.1}}, epochs=epochs)


def test_an_empty_comparison_still_gives_a_frame_and_one_run_is_singular(comparison):
    frame = Comparison({}).frame()
    assert len(frame) == 0 and frame.index.name == "name"
    assert repr(Comparison({"gd": comparison["gd"]})) == "<Comparison of 1 run: gd>"


def test_grid_takes_one_value_refuses_a_value_twice_and_loses_no_run():
    assert grid(lr=0.1) == {"lr=0.1": {"lr": 0.1}}
    with pytest.raises(NbdlError, match=r"lr: 0.1 is given twice"):
        grid(lr=[0.1, 0.1])
    close = grid(lr=[0.1, 0.10000000001], optimizer=["sgd"])  # they print alike with %g
    assert len(close) == 2 and [c["lr"] for c in close.values()] == [0.1, 0.10000000001]


def test_ctrl_c_in_runs_one_after_the_other_leaves_the_later_ones_untrained():
    def interrupt(name, run):
        if name == "adagrad" and run.epoch == 2:
            run.control.stop("interrupted")  # what the first Ctrl-C does to the run training
    found = compare(BASE, {"adagrad": {"optimizer": "adagrad"}, "adam": {"optimizer": "adam"}}, on_epoch=interrupt)
    assert [(r.epoch, r.status) for r in found.values()] == [(2, "stopped"), (0, "ready")]
    assert [row["status"] for row in found.table()] == ["stopped at epoch 2", "not trained"]


def test_on_epoch_must_be_a_function():
    with pytest.raises(NbdlError, match=r"on_epoch must be a function on_epoch\(name, run\), got 5"):
        compare(BASE, {"a": {"lr": 0.1}}, on_epoch=5)
