"""nbdl.search: the grid's trials exactly, reproducible random search, pruning by per-epoch reports
against the median rule, the space's checks, and a journal study continued by a second process."""
import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from nbdl.core import search_space  # noqa: E402
from nbdl.core.config import Config  # noqa: E402
from nbdl.core.errors import NbdlError  # noqa: E402
from nbdl.core.search import create_study, load_study, objective_for, result_of, search  # noqa: E402

NET = "input 2\ndense 8 relu\ndense 2 softmax"


def base(**changes):
    return Config(**{"network": NET, "data": "moons", "data_options": {"n": 200}, "epochs": 4, **changes})


def test_a_grid_search_tries_exactly_the_grid_and_its_best_is_the_tables_best():
    result = search(base(), {"lr": (1e-3, 1e-1, "log", 3), "batch_size": [16, 32]}, method="grid", pruning=False)
    table = result.trials
    assert len(table) == 6
    tried = set(zip(table["lr"], table["batch_size"]))
    assert tried == set(itertools.product([1e-3, 1e-2, 1e-1], [16, 32]))
    assert (table["state"] == "finished").all() and (table["epochs"] == 4).all()
    best = table.loc[table["score"].idxmin()]
    assert result.best_value == best["score"] and result.best_number == best["number"]
    assert (result.best_config.lr, result.best_config.batch_size) == (best["lr"], best["batch_size"])
    assert result.best_config.data == "moons" and result.best_config.epochs == 4
    # a trial's score is the best epoch of its config trained alone
    from nbdl.core.trainer import Run
    run = Run(result.best_config)
    run.fit()
    assert min(run.history["val_loss"]) == pytest.approx(result.best_value, rel=1e-5)


def test_random_search_is_reproducible_with_a_seed():
    space = {"lr": (1e-3, 1e-1, "log"), "batch_size": [16, 32], "optimizer": ["sgd", "adam"]}
    first = search(base(), space, trials=5, method="random", seed=7).trials
    again = search(base(), space, trials=5, method="random", seed=7).trials
    other = search(base(), space, trials=5, method="random", seed=8).trials
    columns = ["lr", "batch_size", "optimizer", "score", "state"]
    assert first[columns].equals(again[columns])
    assert not first["lr"].equals(other["lr"])
    assert ((first["lr"] >= 1e-3) & (first["lr"] <= 1e-1)).all()


def test_a_range_on_a_whole_number_setting_draws_whole_numbers():
    table = search(base(), {"epochs": (2, 5)}, trials=4, method="random", pruning=False).trials
    assert all(isinstance(v, (int, np.integer)) and 2 <= v <= 5 for v in table["epochs"])
    assert list(table["epochs_trained"]) == list(table["epochs"])  # each trial trained its own epochs


def test_a_trial_far_behind_the_median_is_pruned_with_per_epoch_reports():
    study = create_study(base(epochs=6), {"lr": (1e-6, 1.0, "log")}, method="random")
    for lr in (0.05, 0.06, 0.07, 0.08, 1e-6):  # four good runs, then one that barely moves
        study.enqueue_trial({"lr": lr})
    study.optimize(objective_for(study), n_trials=5)
    states = [t.state for t in study.trials]
    assert states[:4] == [optuna.trial.TrialState.COMPLETE] * 4
    bad = study.trials[4]
    assert bad.state == optuna.trial.TrialState.PRUNED
    assert bad.user_attrs["status"] == "pruned" and bad.user_attrs["epochs"] < 6
    step = max(bad.intermediate_values)  # the median rule at the epoch it was stopped
    median = np.median([t.intermediate_values[step] for t in study.trials[:4]])
    assert bad.intermediate_values[step] > median
    assert sorted(study.trials[0].intermediate_values) == list(range(1, 7))  # one report per epoch


def test_batched_trials_are_pruned_by_the_median_rule():
    # stacked, a batch of 16 trains together: its trials are pruned against the batches before it
    result = search(base(epochs=6), {"lr": (1e-5, 1e-1, "log")}, trials=24, method="random", seed=1)
    trials = result.study.trials
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned, "a random search over five decades of lr prunes something"
    for t in pruned:
        step = max(t.intermediate_values)
        earlier = [u for u in trials if u.number < t.number and u.state == optuna.trial.TrialState.COMPLETE]
        assert len(earlier) >= 4 and step >= 2 and t.user_attrs["epochs"] == step < 6
        assert t.intermediate_values[step] > np.median([u.intermediate_values[step] for u in earlier])


def test_tpe_accuracy_is_maximized_and_a_diverged_trial_fails():
    result = search(base(optimizer="sgd"), {"lr": [0.1, 1e6]}, method="grid", metric="val_acc", pruning=False)
    assert result.direction == "maximize"
    table = result.trials.set_index("lr")
    assert table.loc[1e6, "state"] == "diverged" and math.isnan(table.loc[1e6, "score"])
    assert result.best_params == {"lr": 0.1} and result.best_value == table.loc[0.1, "score"] > 0.5
    tpe = search(base(), {"lr": (1e-3, 1e-1, "log")}, trials=3, method="tpe", metric="val_acc")
    assert tpe.best_value == tpe.trials["score"].max()


@pytest.mark.parametrize("space, words", [
    ({"lr": (-1, 1)}, "the range (-1, 1) of lr: its low end is outside what lr allows: lr must be a number > 0"),
    ({"lrr": [0.1]}, "unknown setting 'lrr'; choose from: network, data"),
    ({"lr": 0.1}, "a single value belongs in the config"),
    ({"lr": (0.1, 0.01)}, "the low end must be below the high end"),
    ({"l2": (0, 1, "log")}, "a log range needs a low end above 0"),
    ({"momentum": (0, 1)}, "its high end is outside what momentum allows: momentum must be a number in [0, 1)"),
    ({"batch_size": [16, 0]}, "a choice of batch_size: batch_size must be a whole number >= 1, got 0"),
    ({"optimizer": ["sgd", "adamm"]}, "unknown optimizer 'adamm'"),
    ({"optimizer": (1, 2)}, "search it with a list of choices such as ['adagrad', 'adam', 'adamw']"),
    ({"betas": [(0.9, 0.99)]}, "betas (a pair of numbers) cannot be searched"),
    ({"lr": (1e-3, 1e-1, "log", 1)}, "the number of points must be a whole number in [2, 1000]"),
    ({"lr": (1e-3, 1e-1, "log", 10**9)}, "the number of points must be a whole number in [2, 1000], got 1000000000"),
    ({"network": ["input 2\ndense 2 softmax"]}, "network (not a number or a choice) cannot be searched"),
])
def test_bad_spaces_are_refused_naming_the_setting(space, words):
    with pytest.raises(NbdlError) as caught:
        search(base(), space, trials=1)
    assert words in str(caught.value)


def test_a_grid_needs_points_and_says_how():
    with pytest.raises(NbdlError, match=r"write \(0.0, 0.01, 5\) for 5 points, or give a list"):
        search(base(), {"l2": (0, 0.01)}, method="grid")


def test_a_grid_too_big_to_list_is_refused_before_anything_runs():
    space = {"lr": (1e-3, 1e-1, "log", 1000), "l2": (0, 1e-2, 1000)}
    with pytest.raises(NbdlError, match=r"has 1,000,000 combinations, more than 100,000; .* search at random"):
        search(base(), space, method="grid", trials=2)


def test_the_magic_text_forms():
    lr = search_space.read_text("lr", "1e-3:1e-1:log:3")
    assert (lr.low, lr.high, lr.log, lr.points) == (1e-3, 0.1, True, 3) and lr.grid_values() == [1e-3, 0.01, 0.1]
    assert search_space.read_text("batch_size", "16,32").choices == (16, 32)
    assert search_space.read_text("l2", "0:1e-2:5").grid_values() == [0, 0.0025, 0.005, 0.0075, 0.01]
    assert search_space.read_text("epochs", "2:10").integer
    assert search_space.read_text("dropout", "none,0.2").choices == (None, 0.2)
    assert search_space.read_text("augment", "flip;flip,shift").choices == ("flip", "flip,shift")
    assert search_space.read_text("schedule", "step(10, 0.5),cosine").choices == ("step(10, 0.5)", "cosine")
    assert search_space.read_text("lr", "0.01") is None  # one value: the base config's
    for text in ("1:2:3:4", "1e-3:", ":1", "1e-3::log"):
        with pytest.raises(NbdlError, match="a range is LOW:HIGH"):
            search_space.read_text("lr", text)


@pytest.mark.slow
def test_a_journal_study_continues_in_another_process(tmp_path):
    path = tmp_path / "study.log"
    code = ("import sys\nfrom nbdl.core.config import Config\nfrom nbdl.core.search import search\n"
            f"config = Config(network={NET!r}, data='moons', data_options={{'n': 200}}, epochs=3)\n"
            f"r = search(config, {{'lr': (1e-3, 1e-1, 'log')}}, trials=3, method='random', storage={str(path)!r}, "
            "name='moons')\nprint(len(r.trials))\n")
    for expected in ("3", "6"):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected
    study = load_study("moons", str(path))
    table = result_of(study).trials
    assert list(table["number"]) == list(range(6)) and table["state"].isin(["finished", "pruned"]).all()
    assert not set(table["lr"][:3]) & set(table["lr"][3:])  # the second process drew new values
    described = study.user_attrs["nbdl"]
    assert described["config"]["data"] == "moons" and json.dumps(described)
    with pytest.raises(NbdlError, match="was made for another search"):
        search(base(), {"lr": (1e-3, 1e-1, "log")}, trials=1, method="random", storage=str(path), name="moons")


def test_your_own_data_searches_in_memory_but_not_in_a_storage(tmp_path):
    X = np.random.default_rng(0).normal(size=(60, 2)).astype("float32")
    y = (X[:, 0] > 0).astype("int64")
    config = Config(network=NET, data=(X, y), epochs=2)
    assert len(search(config, {"lr": [0.01, 0.1]}, method="grid").trials) == 2
    with pytest.raises(NbdlError, match="its data is your own"):
        search(config, {"lr": [0.01, 0.1]}, method="grid", storage=str(tmp_path / "s.log"))


def test_a_metric_the_run_does_not_log_is_named():
    with pytest.raises(NbdlError, match="'val_mae' is not logged by this run; it logs: .*val_acc"):
        search(base(), {"lr": [0.01]}, method="grid", metric="val_mae")


def test_the_result_shows_itself():
    result = search(base(), {"lr": [0.01, 0.1]}, method="grid")
    html = result._repr_html_()
    assert "nbdl-search" in html and "2 trials" in html and html.count("<tr") == 3
    assert "%nbdl train net --data moons" in result.best_command()


@pytest.mark.slow
def test_two_worker_processes_share_the_trials(tmp_path):
    seen = []
    # trials long enough (40 epochs, no pruning) that one worker cannot run them all while the other starts
    result = search(base(epochs=40), {"lr": (1e-3, 1e-1, "log")}, trials=6, method="random", workers=2,
                    storage=str(tmp_path / "w.log"), name="w", pruning=False,
                    on_trial=lambda r: seen.append(len(r.rows)))
    table = result.trials
    assert len(table) == 6 and table["state"].isin(["finished", "pruned"]).all()
    assert len({t.user_attrs["worker_pid"] for t in result.study.trials}) == 2
    assert seen and seen[-1] == 6


@pytest.mark.parametrize("changes, words", [
    ({"seed": "x"}, "seed must be a whole number in [0, 4294967295], got 'x'"),
    ({"epochs": 0}, "a search scores each trial by its epochs, and epochs 0 trains none"),
    ({"space": {"epochs": [2, 0]}}, "epochs 0 trains none; give every trial at least 1 epoch"),
])
def test_a_seed_that_is_no_number_and_trials_of_no_epoch_are_refused(changes, words):
    space = changes.pop("space", {"lr": (1e-3, 1e-1)})
    with pytest.raises(NbdlError) as caught:
        search(base(), space, trials=2, method="random", **changes)
    assert words in str(caught.value)


def test_a_misspelt_metric_is_refused_before_the_study_is_stored(tmp_path):
    journal = str(tmp_path / "m.journal")
    with pytest.raises(NbdlError, match="metric 'val_accc' is not logged by this run; it logs: train_acc"):
        search(base(epochs=1), {"lr": (1e-3, 1e-1)}, trials=2, method="random", metric="val_accc", storage=journal,
               name="m")
    fixed = search(base(epochs=1), {"lr": (1e-3, 1e-1)}, trials=2, method="random", metric="val_acc",
                   storage=journal, name="m")  # the same name, now with the metric meant
    assert len(fixed.trials) == 2 and fixed.direction == "maximize"


def test_no_more_worker_processes_than_trials(monkeypatch, tmp_path):
    from nbdl.core import workers

    asked = []
    monkeypatch.setattr(workers, "spawn", lambda name, storage, count, trials: asked.append(count) or [])
    search(base(epochs=1), {"lr": (1e-3, 1e-1)}, trials=2, method="random", workers=100,
           storage=str(tmp_path / "w.journal"))
    assert asked == [2]


def test_a_database_study_searched_here_says_nothing_of_heartbeats(tmp_path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search(base(epochs=1), {"lr": (1e-3, 1e-1)}, trials=2, method="random",
               storage=f"sqlite:///{tmp_path / 'q.db'}")
    assert not [w for w in caught if "Heartbeat" in str(w.message)]


def test_ctrl_c_while_workers_run_stops_them_and_keeps_the_trials_so_far(monkeypatch, tmp_path):
    from nbdl.core import workers

    started = []

    def spawn(name, storage, count, trials):
        started.append(workers.Worker([sys.executable, "-c", "import time; time.sleep(60)"]))
        return started

    calls = []

    def finished(study):  # the count before the workers start, then Ctrl-C while following them
        calls.append(study)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return 0

    monkeypatch.setattr(workers, "spawn", spawn)
    monkeypatch.setattr(workers, "finished", finished)
    result = search(base(epochs=1), {"lr": (1e-3, 1e-1)}, trials=4, method="random", workers=2,
                    storage=str(tmp_path / "c.journal"), on_trial=lambda r: None)
    assert result.study.study_name and result.best is None   # a result, not an error: nothing had finished
    assert started and started[0].poll() is not None       # the worker was stopped, and reaped


@pytest.mark.slow
def test_workers_without_a_storage_leave_no_journal_behind(monkeypatch, tmp_path):
    import glob
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the search's temporary folder goes here
    result = search(base(epochs=2), {"lr": (1e-3, 1e-1, "log")}, trials=2, method="random", workers=2)
    assert len(result.trials) == 2 and result.best_value is not None   # read from the copy kept in memory
    assert glob.glob(str(tmp_path / "nbdl-search-*")) == []


def test_workers_on_your_own_data_say_to_search_in_this_process():
    own = base().replace(data=(np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 2), data_options={})
    with pytest.raises(NbdlError, match="worker processes rebuild the search from text.*search with workers 1"):
        search(own, {"lr": (1e-3, 1e-1)}, trials=2, workers=2)
    with pytest.raises(NbdlError, match="on_trial must be a function"):
        search(base(), {"lr": (1e-3, 1e-1)}, trials=2, on_trial=1)
