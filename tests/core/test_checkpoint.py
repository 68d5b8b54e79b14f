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
    with pytest.raises(nbdl.NbdlError, match=r"trained your own module <module Sequential>; pass it: nbdl.load\(path, network="):
        nbdl.load(path)
    fresh = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    with pytest.raises(nbdl.NbdlError, match=r"trained on your own data <arrays>; pass it: nbdl.load\(path, data=\(X, y\)\)"):
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
