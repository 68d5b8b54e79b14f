"""A damaged or crafted checkpoint never crashes the process nor trains on bad state: every part is
checked against the run before any step, and the error names the part."""
import json
import struct
import subprocess
import sys
import textwrap

import pytest
import torch

import nbdl
from nbdl.core import checkpoint

NET = "input 2\ndense 16 relu\ndropout 0.2\ndense 16 relu\ndense 2 softmax"
CONFIG = dict(network=NET, data="moons", optimizer="adam", lr=0.01, schedule="step(2, 0.5)", early_stopping=50,
              seed=3)


@pytest.fixture(scope="module")
def saved():
    run = nbdl.Run(nbdl.Config(**CONFIG)).fit(3)
    return run.config.to_dict(), run.state_dict()


def _tampered(tmp_path, saved, change):
    config, state = json.loads(json.dumps(saved[0])), _copy(saved[1])
    change(config, state)
    return checkpoint.write(tmp_path / "tampered.safetensors", config, state)


def _copy(value):
    if torch.is_tensor(value):
        return value.clone()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _opt(state, key="exp_avg", index="0"):
    return state["optimizer"]["state"][index]


TAMPERING = {
    "an optimizer state of the wrong size": (
        lambda c, s: _opt(s).__setitem__("exp_avg", torch.zeros(100_000)),
        r"optimizer state does not fit this run: 'exp_avg' of weight 0 has shape \(100000,\)"),
    "an optimizer state of the wrong type": (
        lambda c, s: _opt(s).__setitem__("exp_avg_sq", _opt(s)["exp_avg_sq"].double()),
        r"optimizer state does not fit this run: 'exp_avg_sq' of weight 0 has shape .* torch.float64"),
    "a step count with a shape": (
        lambda c, s: _opt(s).__setitem__("step", torch.ones(3)),
        r"'step' of weight 0 must be a single number"),
    "a negative step count": (
        lambda c, s: _opt(s).__setitem__("step", torch.tensor(-5.0)),
        r"'step' of weight 0 must be a step count >= 0"),
    "state for a weight that is not there": (
        lambda c, s: s["optimizer"]["state"].__setitem__("99", dict(_opt(s))),
        r"it has state for weight 99, but the optimizer has 6 weights"),
    "state a foreign optimizer keeps": (
        lambda c, s: _opt(s).__setitem__("momentum_buffer", _opt(s)["exp_avg"].clone()),
        r"it has 'momentum_buffer' for weight 0; Adam keeps exp_avg, exp_avg_sq, max_exp_avg_sq, step"),
    "NaN in the optimizer state": (
        lambda c, s: _opt(s)["exp_avg"].fill_(float("nan")),
        r"'exp_avg' of weight 0 holds NaN or infinite values"),
    "a negative learning rate": (
        lambda c, s: s["optimizer"]["param_groups"][0].__setitem__("lr", -1.0),
        r"optimizer state does not fit this run: its lr must be a number > 0, got -1.0"),
    "maximize switched on": (
        lambda c, s: s["optimizer"]["param_groups"][0].__setitem__("maximize", True),
        r"it sets maximize, which this optimizer does not take from a checkpoint"),
    "betas that are not a pair": (
        lambda c, s: s["optimizer"]["param_groups"][0].__setitem__("betas", [0.9]),
        r"its betas must be two numbers, each in \[0, 1\)"),
    "a schedule setting changed": (
        lambda c, s: s["scheduler"].__setitem__("gamma", -5.0),
        r"schedule state does not fit this run: it says gamma=-5.0 but this run's schedule has gamma=0.5"),
    "a schedule progress of the wrong kind": (
        lambda c, s: s["scheduler"].__setitem__("last_epoch", "three"),
        r"schedule state does not fit this run: its last_epoch must be like 0, got .three."),
    "a weight of the wrong shape": (
        lambda c, s: s["model"].__setitem__("layers.0.linear.weight", torch.zeros(16, 3)),
        r"weights does not fit this run: weight 'layers.0.linear.weight' has shape \(16, 3\) but this network's has "
        r"\(16, 2\)"),
    "a missing weight": (
        lambda c, s: s["model"].pop("layers.0.linear.bias"),
        r"weights does not fit this run: it lacks layers.0.linear.bias"),
    "a NaN weight": (
        lambda c, s: s["model"]["layers.0.linear.bias"].fill_(float("nan")),
        r"weight 'layers.0.linear.bias' holds NaN or infinite values"),
    "a generator state of the wrong size": (
        lambda c, s: s["generators"].__setitem__("shuffle", torch.zeros(10, dtype=torch.uint8)),
        r"random generators does not fit this run: a generator state must be 5056 bytes \(uint8\), got \(10,\) torch.uint8"),
    "a history shorter than the epochs": (
        lambda c, s: s["history"].__setitem__("train_loss", [0.5]),
        r"history does not fit this run: the history's 'train_loss' must be a list of 3 numbers"),
    "a history of words": (
        lambda c, s: s["history"].__setitem__("train_loss", ["a", "b", "c"]),
        r"the history's 'train_loss' must be a list of 3 numbers"),
    "a progress that is not a number": (
        lambda c, s: s["progress"].__setitem__("global_step", "many"),
        r"progress does not fit this run: its global_step must be a whole number >= 0"),
    "an unknown status": (
        lambda c, s: s["progress"].__setitem__("status", "exploded"),
        r"its status must be one of: ready, running"),
    "a missing part": (
        lambda c, s: s.pop("progress"),
        r"the checkpoint's state does not fit this run: it lacks progress"),
    "early-stopping weights of the wrong shape": (
        lambda c, s: s["callbacks"]["early_stopping"]["best_state"].__setitem__("layers.0.linear.weight",
                                                                               torch.zeros(2, 2)),
        r"early stopping state does not fit this run: the early-stopping state's best weight 'layers.0.linear.weight'"),
    "a config of the wrong kind": (
        lambda c, s: c.__setitem__("lr", "fast"),
        r"the checkpoint's config does not fit this run: lr must be a number > 0, got 'fast'"),
    "a config with a setting nbdl does not know": (
        lambda c, s: c.__setitem__("warp", 9),
        r"the checkpoint's config does not fit this run: unknown setting\(s\) warp"),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_a_tampered_checkpoint_is_refused_naming_the_part(tmp_path, saved, case):
    change, message = TAMPERING[case]
    path = _tampered(tmp_path, saved, change)
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.load(path)


def test_a_refused_restore_changes_nothing(saved):
    run = nbdl.Run(nbdl.Config(**CONFIG))
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    state = _copy(saved[1])
    state["generators"]["shuffle"] = torch.zeros(3, dtype=torch.uint8)  # checked last: the rest was fine
    with pytest.raises(nbdl.NbdlError):
        run.load_state_dict(state)
    assert all(torch.equal(before[k], v) for k, v in run.model.state_dict().items()) and run.epoch == 0


def _rewrite_metadata(path, key, text):
    """Replace one metadata entry of a checkpoint file by ``text``, keeping the file otherwise valid."""
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    header["__metadata__"][key] = text
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    offset = 8 + size
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data[offset:])


@pytest.mark.parametrize("key, text, message", [
    ("state", "{not json", r"the checkpoint's state is damaged \(JSONDecodeError\)"),
    ("config", "[" * 100_000 + "]" * 100_000, r"the checkpoint's config is damaged \(RecursionError\)"),
    ("state", json.dumps({"model": {}, "optimizer": 3}), r"does not fit this run"),
    ("state", json.dumps({"model": {"__tensor__": "nowhere"}}), r"its state names a tensor 'nowhere' that the file"),
    ("state", "[]", r"the checkpoint's config and state must be JSON objects"),
    ("version", "1", r"an nbdl checkpoint of version '1'; this nbdl reads version 2"),
])
def test_damaged_metadata_gets_an_nbdl_error_never_a_parser_traceback(tmp_path, key, text, message):
    run = nbdl.train(NET, data="moons", epochs=1)
    path = run.save(tmp_path / "damaged.safetensors")
    _rewrite_metadata(path, key, text)
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.load(path)


@pytest.mark.parametrize("content", [b"", b"\x00" * 8, struct.pack("<Q", 10**15) + b"{}", b"\xff" * 100,
                                     struct.pack("<Q", 2) + b"{}"])
def test_files_that_are_not_checkpoints(tmp_path, content):
    (tmp_path / "x").write_bytes(content)
    with pytest.raises(nbdl.NbdlError, match="not a readable nbdl checkpoint|not an nbdl checkpoint"):
        nbdl.load(tmp_path / "x")
    with pytest.raises(nbdl.NbdlError, match=r"no checkpoint at .* \(it is a folder; the file inside is"):
        nbdl.load(tmp_path)


def test_the_crash_that_a_crafted_optimizer_state_once_caused_is_gone(tmp_path, saved):
    """In a separate process: loading the crafted file and training must end in an nbdl error, not a
    segmentation fault (the fused Adam kernel once wrote out of bounds)."""
    path = _tampered(tmp_path, saved, lambda c, s: [_opt(s, index=str(i)).update(
        exp_avg=torch.zeros(1), exp_avg_sq=torch.zeros(1)) for i in range(6)])
    code = textwrap.dedent(f"""
        import nbdl
        try:
            nbdl.load({str(path)!r}).fit(2)
        except nbdl.NbdlError as error:
            print("refused:", error)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "refused: the checkpoint's optimizer state does not fit this run" in out.stdout


def test_two_callbacks_of_one_kind_keep_their_own_states(tmp_path):
    config = nbdl.Config(network=NET, data="moons", epochs=4, early_stopping=50)
    run = nbdl.Run(config, callbacks=[nbdl.EarlyStopping("val_acc", patience=50)]).fit()
    path = run.save(tmp_path / "two.safetensors")
    again = nbdl.load(path, callbacks=[nbdl.EarlyStopping("val_acc", patience=50)])
    mine, theirs = [c for c in run.callbacks if isinstance(c, nbdl.EarlyStopping)], \
        [c for c in again.callbacks if isinstance(c, nbdl.EarlyStopping)]
    assert [c.best for c in theirs] == [c.best for c in mine] and mine[0].best != mine[1].best


def test_a_state_a_file_cannot_hold_warns_and_training_goes_on(tmp_path):
    class Odd(nbdl.Callback):
        def state_dict(self):
            return {"count": __import__("numpy").int64(3), "seen": {1, 2}}

    saver = nbdl.Checkpoint(tmp_path)
    with pytest.warns(checkpoint.CheckpointWarning, match=r"cannot save the run: a part of its state is not numbers"):
        run = nbdl.train(NET, data="moons", epochs=2, callbacks=[Odd(), saver])
    assert run.status == "finished" and run.epoch == 2


@pytest.mark.parametrize("change, message", [
    (lambda c, s: _opt(s).__setitem__("exp_avg", None), r"'exp_avg' of weight 0 is missing \(None\)"),
    (lambda c, s: c.__setitem__("val_split", 0.3), r"the data would be split or standardized otherwise than when the run trained"),
    (lambda c, s: c.__setitem__("seed", 9), r"the run trained on other data|split otherwise"),
    (lambda c, s: c.__setitem__("standardize", False), r"split or standardized otherwise"),
    (lambda c, s: _opt(s).pop("exp_avg"), r"its state for weight 0 lacks exp_avg"),
])
def test_a_state_that_would_fail_later_or_mix_the_splits_is_refused(tmp_path, saved, change, message):
    path = _tampered(tmp_path, saved, change)
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.load(path)
