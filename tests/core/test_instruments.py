"""The per-layer instruments: each figure against a hand computation, the phenomena of the primer
measured (vanishing gradients, dead ReLUs), checkpoints, and that watching changes nothing."""
import math
import warnings

import numpy as np
import pytest
import torch

import nbdl
from nbdl.core.activations import SATURATION
from nbdl.core.instruments import BATCH, BINS, HISTOGRAM_VALUES, probes

MLP = "input 2\ndense 8 relu\ndense 6 tanh\ndense 2 softmax"


def deep(activation: str, layers: int = 10, width: int = 32) -> str:
    return "input 2\n" + f"dense {width} {activation}\n" * layers + "dense 2 softmax"


@pytest.fixture(scope="module")
def small():
    return nbdl.train(MLP, "moons", epochs=3, seed=1, diagnostics=True)


def test_each_layer_with_weights_or_an_activation_is_watched(small):
    record = small.instruments
    assert record.layers == ["1 dense 8 relu", "2 dense 6 tanh", "3 dense 2 softmax"]
    assert record.activations == ["relu", "tanh", None]  # the output softmax is folded into the loss
    assert record.weighted == [True, True, True]
    assert record.epochs == [1, 2, 3] and all(record.at_epoch_end)
    assert record.figures["grad_norm"].shape == (3, 3)


def test_figures_equal_a_hand_computation(small):
    run, record = small, small.instruments
    blocks = list(run.model.layers)
    # Gradients and weights: of the last step, read from the parameters themselves.
    for i, block in enumerate(blocks):
        grad = torch.sqrt(sum(p.grad.pow(2).sum() for p in block.parameters()))
        weight = torch.sqrt(sum(p.detach().pow(2).sum() for p in block.parameters()))
        assert record.figures["grad_norm"][-1, i] == pytest.approx(grad.item(), rel=1e-5)
        assert record.figures["weight_norm"][-1, i] == pytest.approx(weight.item(), rel=1e-5)
    # Outputs: on the first BATCH validation samples, in eval mode.
    X = run.data.val.X[:BATCH]
    with torch.no_grad():
        hidden1 = torch.relu(blocks[0].linear(X))
        hidden2 = torch.tanh(blocks[1].linear(hidden1))
    assert record.figures["act_mean"][-1, 0] == pytest.approx(hidden1.mean().item(), rel=1e-5)
    assert record.figures["act_std"][-1, 1] == pytest.approx(hidden2.std().item(), rel=1e-5)
    assert record.figures["dead"][-1, 0] == pytest.approx((hidden1.amax(0) <= 0).float().mean().item())
    assert math.isnan(record.figures["dead"][-1, 1]) and math.isnan(record.figures["saturated"][-1, 0])
    assert record.figures["saturated"][-1, 1] == pytest.approx(((1 - hidden2 ** 2) < SATURATION).float().mean().item())
    # Histograms: every output of a small layer counted, over its own range.
    counts, edges = record.histograms["act_hist"]
    assert counts.shape == (3, 3, BINS) and edges.shape == (3, 3, BINS + 1)
    assert counts[-1, 1].sum() == hidden2.numel() <= HISTOGRAM_VALUES
    assert edges[-1, 1, 0] == pytest.approx(hidden2.min().item(), abs=1e-6)
    assert edges[-1, 1, -1] == pytest.approx(hidden2.max().item(), abs=1e-6)
    weights, _ = record.histograms["weight_hist"]
    assert weights[-1, 0].sum() == blocks[0].linear.weight.numel()


def test_update_ratio_is_the_last_steps_relative_change():
    # Full-batch gradient descent: one step per epoch, so the last step is the whole epoch.
    config = nbdl.Config(network=MLP, data="moons", optimizer="gd", lr=0.5, epochs=1, seed=0, diagnostics=True)
    run = nbdl.Run(config)
    before = [p.detach().clone() for p in run.model.layers[0].parameters()]
    run.fit()
    after = list(run.model.layers[0].parameters())
    change = torch.sqrt(sum((a.detach() - b).pow(2).sum() for a, b in zip(after, before)))
    expected = change / torch.sqrt(sum(b.pow(2).sum() for b in before))
    assert run.instruments.figures["update_ratio"][0, 0] == pytest.approx(expected.item(), rel=1e-5)
    assert 0 < expected.item() < 1


def test_watching_changes_nothing_the_run_learns():
    plain = nbdl.train(MLP, "moons", epochs=4, seed=3, dropout=0.2)
    watched = nbdl.train(MLP, "moons", epochs=4, seed=3, dropout=0.2, diagnostics=True, diagnostics_every=5)
    assert watched.history["train_loss"] == plain.history["train_loss"]
    assert watched.history["val_loss"] == plain.history["val_loss"]
    assert len(plain.instruments) == 0 and plain.notes == []
    assert "grad_ratio" not in plain.history and len(watched.history["grad_ratio"]) == 4


def test_records_every_n_steps_and_switched_on_mid_run():
    run = nbdl.Run(nbdl.Config(network=MLP, data="moons", epochs=2, seed=0, batch_size=32))
    run.fit()
    assert len(run.instruments) == 0
    run.update(diagnostics=True, diagnostics_every=4)
    run.fit(2)
    record = run.instruments
    inside = [s for s, end in zip(record.steps, record.at_epoch_end) if not end]
    assert inside and all(s % 4 == 0 for s in inside)
    assert [e for e, end in zip(record.epochs, record.at_epoch_end) if end] == [3, 4]
    assert all(not math.isnan(v) for v in record.figures["grad_norm"][:, 0])


def test_vanishing_gradients_in_a_deep_sigmoid_network_and_not_with_relu_and_kaiming():
    sigmoid = nbdl.train(deep("sigmoid"), "moons", epochs=2, seed=0, diagnostics=True)
    grads = sigmoid.instruments.figures["grad_norm"][-1]
    assert grads[0] < grads[-1] / 1e4  # first layer orders of magnitude below the last
    assert sigmoid.history["grad_ratio"][-1] < 1e-4
    assert "vanishing" in [note.kind for note in sigmoid.notes]
    relu = nbdl.train(deep("relu"), "moons", epochs=2, seed=0, diagnostics=True, init="kaiming")
    grads = relu.instruments.figures["grad_norm"][-1]
    assert grads[0] > grads[-1] / 10
    assert "vanishing" not in [note.kind for note in relu.notes]


def dead_share(activation: str, **settings) -> tuple[float, list[str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = nbdl.train(deep(activation, layers=4), "moons", epochs=15, seed=0, diagnostics=True, **settings)
    return run.history["dead_share"][-1], [note.kind for note in run.notes]


@pytest.mark.slow
def test_a_huge_learning_rate_kills_relus_and_leaky_relu_and_elu_keep_more_alive():
    relu, notes = dead_share("relu", lr=0.3)
    assert relu > 0.5 and "dead" in notes
    for other in ("leaky_relu", "elu"):
        share, _ = dead_share(other, lr=0.3)
        assert share < relu - 0.2, other


def test_a_negative_bias_kills_relus_from_the_start():
    relu, notes = dead_share("relu", lr=0.01, init="kaiming(bias=-1)")
    assert relu > 0.5 and "dead" in notes
    assert dead_share("elu", lr=0.01, init="kaiming(bias=-1)")[0] < 0.1


def test_an_unwatched_layer_kind_and_a_plain_module():
    module = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    run = nbdl.train(module, "moons", epochs=2, diagnostics=True)
    assert run.instruments.layers == ["0", "1", "2"]
    assert run.instruments.activations == [None, "relu", None]
    figures = run.instruments.figures
    assert math.isnan(figures["grad_norm"][-1, 1]) and not math.isnan(figures["dead"][-1, 1])
    with pytest.raises(nbdl.NbdlError, match="no layer"):
        probes(torch.nn.Flatten())


def test_images_and_sequences_are_watched_per_channel_and_per_unit():
    cnn = nbdl.train("conv 4 3 relu\nmaxpool 2\nflatten\ndense 10 softmax", "digits_images", epochs=1,
                     diagnostics=True, data_options={"n": 200})
    assert cnn.instruments.layers[0] == "1 conv 4 3 relu"
    assert 0 <= cnn.instruments.figures["dead"][-1, 0] <= 1
    rnn = nbdl.train("lstm 8\ndense 1", "sunspots", epochs=1, diagnostics=True)
    assert rnn.instruments.figures["grad_norm"].shape[1] == 2 and not np.isnan(rnn.instruments.figures["act_std"]).all()


def test_records_and_notes_survive_a_checkpoint(tmp_path):
    run = nbdl.train(deep("sigmoid", layers=8), "moons", epochs=3, seed=0, diagnostics=True)
    loaded = nbdl.load(run.save(tmp_path / "run.safetensors"))
    for name, values in run.instruments.figures.items():
        np.testing.assert_array_equal(loaded.instruments.figures[name], values)
    np.testing.assert_array_equal(loaded.instruments.histograms["act_hist"][0], run.instruments.histograms["act_hist"][0])
    assert [str(n) for n in loaded.notes] == [str(n) for n in run.notes] and loaded.notes
    loaded.fit(1)
    assert len(loaded.instruments) == 4 and len([n for n in loaded.notes if n.kind == "vanishing"]) == 1


def test_damaged_records_in_a_checkpoint_are_refused(tmp_path):
    from nbdl.core import checkpoint

    run = nbdl.train(MLP, "moons", epochs=2, seed=0, diagnostics=True)
    config, state = checkpoint.read(run.save(tmp_path / "a.safetensors"))
    state["callbacks"]["instruments"]["grad_norm"] = torch.zeros(5, 1, dtype=torch.float64)
    checkpoint.write(tmp_path / "b.safetensors", config, state)
    with pytest.raises(nbdl.NbdlError, match="instruments"):
        nbdl.load(tmp_path / "b.safetensors")


def test_no_records_give_empty_arrays():
    run = nbdl.train(MLP, "moons", epochs=1)
    assert all(values.size == 0 for values in run.instruments.figures.values())
    assert run.instruments.histograms["act_hist"][0].size == 0


def test_a_run_left_training_keeps_a_bounded_number_of_records(monkeypatch):
    from nbdl.core import instruments

    monkeypatch.setattr(instruments, "MAX_RECORDS", 40)
    run = nbdl.train(MLP, "moons", epochs=12, seed=0, diagnostics=True, diagnostics_every=1)
    record = run.instruments
    assert len(record) <= 40 and record.steps[0] == 1 and record.steps[-1] == run.global_step
    assert record.steps == sorted(record.steps) and sum(record.at_epoch_end) >= 6
    assert record.figures["grad_norm"].shape == (len(record), 3)


def test_switched_on_between_two_batches_records_from_the_next_step():
    def switch(run, logs):
        if logs["step"] == 5:
            run.update(diagnostics=True, diagnostics_every=2)

    class AtStep(nbdl.Callback):
        def on_batch_end(self, run, logs):
            switch(run, logs)

    run = nbdl.Run(nbdl.Config(network=MLP, data="moons", epochs=1, seed=0, batch_size=16))
    run.fit(callbacks=[AtStep()])
    inside = [s for s, end in zip(run.instruments.steps, run.instruments.at_epoch_end) if not end]
    assert inside[0] == 6 and all(s % 2 == 0 for s in inside)


def test_early_stopping_skips_epochs_the_instruments_skipped_and_refuses_a_figure_the_network_lacks():
    with pytest.raises(nbdl.NbdlError, match="saturated_share"):
        nbdl.train(MLP.replace("tanh", "relu"), "moons", epochs=5, diagnostics=True, early_stopping=2,
                   monitor="saturated_share")
    from nbdl.core.callbacks import EarlyStopping

    stopping = EarlyStopping("dead_share", patience=1)
    run = nbdl.Run(nbdl.Config(network=MLP, data="moons", epochs=3, diagnostics=True))
    stopping.on_epoch_end(run, {"epoch": 1, "dead_share": 0.2})
    for epoch in (2, 3, 4):  # skipped by the time budget: NaN, neither better nor worse
        stopping.on_epoch_end(run, {"epoch": epoch, "dead_share": math.nan})
    assert not run.stop_training and stopping.wait == 0
    stopping.on_epoch_end(run, {"epoch": 5, "dead_share": 0.3})
    assert run.stop_training


def test_a_divergence_with_diagnostics_on_ends_as_a_divergence():
    with pytest.warns(nbdl.DivergenceWarning):
        run = nbdl.train("input 2\ndense 16 relu\ndense 16 relu\ndense 2 softmax", "moons", epochs=5,
                         diagnostics=True, diagnostics_every=1, optimizer="sgd", lr=1e10)
    assert run.status == "diverged" and len(run.instruments) >= 1


def test_records_between_steps_leave_dropout_on_while_another_thread_evaluates():
    import threading

    run = nbdl.Run(nbdl.Config(network="input 2\ndense 32 relu\ndropout 0.5\ndense 2 softmax", data="moons",
                               data_options={"n": 2000}, batch_size=4, epochs=2, diagnostics=True, diagnostics_every=1))
    dropout = run.model.layers[1]
    modes = []
    trainer = threading.Thread(target=run.fit)
    dropout.register_forward_pre_hook(
        lambda module, args: modes.append(module.training) if threading.current_thread() is trainer else None)
    trainer.start()
    while trainer.is_alive():
        run.evaluate("val")
    trainer.join()
    steps = run.global_step
    assert modes.count(True) == steps, "every training step ran with dropout on"
    assert run.model.training


def test_init_fills_recurrent_and_embedding_weights_too():
    run = nbdl.Run(nbdl.Config(network="input seq 1\nlstm 8\ndense 1", data="sunspots", init="zeros(bias=0.5)"))
    lstm = dict(run.model.named_parameters())
    weights = [p for name, p in lstm.items() if "weight" in name and "layers.0" in name]
    biases = [p for name, p in lstm.items() if "bias" in name and "layers.0" in name]
    assert weights and all(float(w.detach().abs().max()) == 0 for w in weights)
    assert biases and all(bool((b == 0.5).all()) for b in biases)
