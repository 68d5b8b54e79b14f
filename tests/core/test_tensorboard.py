"""The TensorBoard callback: the event files, read back with TensorBoard's own reader, hold the
run's history figure by figure and epoch by epoch; the network and config as text; histograms
every N epochs; a missing package and an unwritable folder are one clear line."""
import json
import os
import sys

import pytest

import nbdl
from nbdl.core.tensorboard import TensorBoard

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

NET = "input 2\ndense 8 relu\ndense 2 softmax"


def read(folder):
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0, "histograms": 0})
    events.Reload()
    return events


def test_the_event_files_hold_every_figure_of_every_epoch(tmp_path):
    run = nbdl.train(NET, "moons", epochs=4, seed=1, l2=1e-4, diagnostics=True, tensorboard=str(tmp_path / "tb"))
    events = read(tmp_path / "tb")
    figures = set(run.history) - {"epoch"}
    assert {"train_loss", "val_loss", "train_acc", "val_acc", "lr", "train_penalty", "grad_ratio"} <= figures
    assert set(events.Tags()["scalars"]) == figures
    for name in figures:
        written = events.Scalars(name)
        assert [e.step for e in written] == run.history["epoch"]
        assert [e.value for e in written] == pytest.approx(run.history[name], rel=1e-6, nan_ok=True)
    texts = {tag: events.Tensors(tag)[0].tensor_proto.string_val[0].decode() for tag in events.Tags()["tensors"]
             if tag.endswith("text_summary")}
    assert "dense 8 relu" in texts["network/text_summary"]
    assert json.loads(texts["config/text_summary"].replace("\n    ", "\n"))["l2"] == 1e-4


def test_a_second_fit_goes_on_from_the_last_epoch_and_histograms_come_every_n_epochs(tmp_path):
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=2), [TensorBoard(tmp_path, histograms_every=2)])
    run.fit()
    run.fit(2)
    events = read(tmp_path)
    assert [e.step for e in events.Scalars("train_loss")] == [1, 2, 3, 4]
    assert [e.value for e in events.Scalars("train_loss")] == pytest.approx(run.history["train_loss"], rel=1e-6)
    weights = [tag for tag in events.Tags()["histograms"] if tag.startswith("weights/")]
    assert len(weights) == len(list(run.model.parameters()))
    assert [e.step for e in events.Histograms(weights[0])] == [2, 4]


def test_the_magic_flag_and_the_train_line_carry_the_folder():
    config = nbdl.Config(network=NET, data="moons", tensorboard="runs/a").validate()
    assert "--tensorboard runs/a" in nbdl.core.config.train_command(config)


def test_a_missing_package_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import raises ImportError
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=1, tensorboard=str(tmp_path)))
    with pytest.raises(nbdl.NbdlError, match=r"needs the tensorboard package: pip install 'nbdl\[tensorboard\]'"):
        run.fit()
    assert run.epoch == 0 and run.status == "ready"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_refuses_the_fit_before_it_starts(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=1, tensorboard=str(folder / "tb")))
        with pytest.raises(nbdl.NbdlError, match="cannot write TensorBoard logs to .*; give tensorboard a folder"):
            run.fit()
        assert run.epoch == 0
    finally:
        folder.chmod(0o700)


def test_a_file_where_the_folder_should_be_refuses_the_fit_in_one_line(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=1, tensorboard=str(tmp_path / "taken")))
    with pytest.raises(nbdl.NbdlError) as caught:
        run.fit()
    assert "\n" not in str(caught.value) and "taken" in str(caught.value)
    assert run.epoch == 0 and run.status == "ready"
    run.config = run.config.replace(tensorboard=None)  # the run itself still trains
    run.callbacks = [c for c in run.callbacks if not isinstance(c, TensorBoard)]
    assert run.fit().epoch == 1


def test_bad_arguments_are_refused():
    with pytest.raises(nbdl.NbdlError, match="histograms_every"):
        TensorBoard("runs", histograms_every=-1)
    with pytest.raises(nbdl.NbdlError, match="TensorBoard folder"):
        TensorBoard("  ")
