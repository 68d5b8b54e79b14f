"""Checkpoints: a saved run continues exactly as if never stopped; files are written atomically;
a damaged or foreign file gets a clear error and never runs code."""
import os
import pickle

import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import checkpoint

NET = "input 2\ndense 16 relu\ndropout 0.2\ndense 16 relu\ndense 2 softmax"
CONFIG = dict(network=NET, data="moons", optimizer="adam", lr=0.01, schedule="step(2, 0.5)", early_stopping=50, seed=3)


def test_a_saved_run_continues_bit_for_bit(tmp_path):
    straight = nbdl.Run(nbdl.Config(**CONFIG)).fit(6)
    first = nbdl.Run(nbdl.Config(**CONFIG)).fit(3)
    path = first.save(tmp_path / "run.safetensors")
    torch.rand(100)  # other random draws in between must not matter
    resumed = nbdl.load(path)
    assert resumed.epoch == 3 and resumed.global_step == first.global_step
    assert resumed.history == first.history
    resumed.fit(3)
    assert all(torch.equal(a, b) for a, b in zip(straight.model.parameters(), resumed.model.parameters()))
    strip = lambda h: {k: v for k, v in h.items() if k != "time"}
    assert strip(resumed.history) == strip(straight.history)
    assert resumed.optimizer.param_groups[0]["lr"] == straight.optimizer.param_groups[0]["lr"]


def test_own_data_and_modules_are_passed_back_at_load(tmp_path):
    X = np.random.default_rng(0).normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    model = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    run = nbdl.train(model, data=(X, y), epochs=2)
    path = run.save(tmp_path / "own.safetensors")
    with pytest.raises(nbdl.NbdlError, match=r"trained on your own module <module Sequential>; give it again: nbdl.load\(path, network="):
        nbdl.load(path)
    fresh = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    with pytest.raises(nbdl.NbdlError, match=r"trained on your own data <arrays>; give it again: nbdl.load\(path, data=\(X, y\)\)"):
        nbdl.load(path, network=fresh)
    loaded = nbdl.load(path, network=fresh, data=(X, y))
    np.testing.assert_array_equal(loaded.predict(X), run.predict(X))


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    run = nbdl.train(NET, data="moons", epochs=1)
    path = run.save(tmp_path / "c.safetensors")
    before = path.read_bytes()
    run.fit(1)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(nbdl.NbdlError, match=r"could not write the checkpoint .*No space left on device; the previous checkpoint"):
        run.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.safetensors"]  # no partial file left behind
    assert nbdl.load(path).epoch == 1


def test_damaged_and_foreign_files_get_a_clear_error(tmp_path):
    run = nbdl.train(NET, data="moons", epochs=1)
    data = run.save(tmp_path / "good.safetensors").read_bytes()
    (tmp_path / "truncated").write_bytes(data[: len(data) // 2])
    (tmp_path / "text").write_text("hello, not a checkpoint")
    from safetensors.torch import save_file
    save_file({"w": torch.zeros(3)}, str(tmp_path / "other.safetensors"))
    for name in ("truncated", "text"):
        with pytest.raises(nbdl.NbdlError, match=r"is not a readable nbdl checkpoint: it is damaged, truncated"):
            nbdl.load(tmp_path / name)
    with pytest.raises(nbdl.NbdlError, match=r"is a safetensors file but not an nbdl checkpoint"):
        nbdl.load(tmp_path / "other.safetensors")
    with pytest.raises(nbdl.NbdlError, match=r"no checkpoint at"):
        nbdl.load(tmp_path / "missing.safetensors")


class Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_loading_never_runs_code_from_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.safetensors").write_bytes(pickle.dumps(Payload()))
    torch.save({"model": Payload()}, tmp_path / "evil.pt")
    for name in ("evil.safetensors", "evil.pt"):
        with pytest.raises(nbdl.NbdlError):
            nbdl.load(tmp_path / name)
    assert not (tmp_path / "PWNED").exists()


def test_autosave_every_n_epochs(tmp_path):
    saver = nbdl.Checkpoint(tmp_path, every=2)
    run = nbdl.train(NET, data="moons", epochs=5, callbacks=[saver])
    assert saver.saves == 3  # epochs 2 and 4, and the end of the fit
    assert nbdl.load(tmp_path / checkpoint.FILENAME).epoch == 5
    assert run.epoch == 5


def test_a_folder_that_cannot_be_written_warns_and_training_goes_on(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the checkpoint folder should be")
    saver = nbdl.Checkpoint(blocker / "inside")
    with pytest.warns(checkpoint.CheckpointWarning, match=r"could not write the checkpoint .*; training goes on"):
        run = nbdl.train(NET, data="moons", epochs=3, callbacks=[saver])
    assert run.status == "finished" and run.epoch == 3 and saver.saves == 0 and saver.failures == 4


def test_a_full_disk_warns_keeps_the_last_file_and_leaves_no_partial(tmp_path, monkeypatch):
    saver = nbdl.Checkpoint(tmp_path)
    run = nbdl.train(NET, data="moons", epochs=1, callbacks=[saver])
    before = (tmp_path / checkpoint.FILENAME).read_bytes()

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.warns(checkpoint.CheckpointWarning, match="No space left on device"):
        run.fit(2)
    monkeypatch.undo()
    assert run.epoch == 3 and run.status == "finished"
    assert [p.name for p in tmp_path.iterdir()] == [checkpoint.FILENAME]
    assert (tmp_path / checkpoint.FILENAME).read_bytes() == before


def test_a_crash_mid_save_leaves_a_partial_file_the_next_save_clears(tmp_path):
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import os, nbdl
        run = nbdl.train({NET!r}, data="moons", epochs=1)
        os.fsync = lambda fd: os._exit(9)  # the process dies with the file half written
        run.save({str(tmp_path / 'c.safetensors')!r})
    """)
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 9
    leftovers = list(tmp_path.glob(".c.safetensors.*.partial"))
    assert len(leftovers) == 1
    nbdl.train(NET, data="moons", epochs=1).save(tmp_path / "c.safetensors")
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]


def test_written_files_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = nbdl.train(NET, data="moons", epochs=1).save(tmp_path / "c.safetensors")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_saving_through_a_symbolic_link_writes_its_target(tmp_path):
    target = tmp_path / "real" / "run.safetensors"
    target.parent.mkdir()
    link = tmp_path / "latest.safetensors"
    run = nbdl.train(NET, data="moons", epochs=1)
    run.save(target)
    link.symlink_to(target)
    run.fit(1)
    run.save(link)
    assert link.is_symlink() and nbdl.load(target).epoch == 2 and nbdl.load(link).epoch == 2


def test_saving_while_the_run_trains_in_another_thread_gives_consistent_files(tmp_path):
    import threading

    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=200, batch_size=4, optimizer="adam"))
    worker = threading.Thread(target=run.fit)
    worker.start()
    try:
        for i in range(15):
            path = run.save(tmp_path / f"c{i}.safetensors")
            loaded = nbdl.load(path)
            steps = {int(s["step"].item()) for s in loaded.optimizer.state_dict()["state"].values()}
            assert steps <= {loaded.global_step}  # weights, optimizer and step counter from the same step
            assert all(len(v) == loaded.epoch for v in loaded.history.values())
    finally:
        run.stop()
        worker.join(30)


def test_a_callback_of_ones_own_keeps_its_state_across_a_checkpoint(tmp_path):
    class Counter(nbdl.Callback):
        def __init__(self):
            self.epochs = 0

        def on_epoch_end(self, run, logs):
            self.epochs += 1
            logs["seen"] = self.epochs

        def state_dict(self):
            return {"epochs": self.epochs}

        def load_state_dict(self, state, run):
            if not isinstance(state.get("epochs"), int) or state["epochs"] > run.epoch:
                raise nbdl.NbdlError("its count must be a whole number of epochs the run has trained")
            self.epochs = state["epochs"]

    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=3), callbacks=[Counter()])
    path = run.fit().save(tmp_path / "c.safetensors")
    counter = Counter()
    loaded = nbdl.load(path, callbacks=[counter])
    assert counter.epochs == 3 and loaded.history["seen"] == [1.0, 2.0, 3.0]
    loaded.fit(1)
    assert loaded.history["seen"][-1] == 4.0
