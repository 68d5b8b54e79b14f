"""Every public entry point refuses what it cannot use with one NbdlError that names it: wrong types,
paths that are not files, helpers' arguments, data the run did not train on, values no training
leaves behind. (The classes an outside review found; each case stands for its class.)"""
import json

import numpy as np
import pandas as pd
import pytest
import torch

import nbdl
from nbdl.core import checkpoint, diagnostics
from nbdl.plots.compare import compare_figure
from nbdl.plots.pictures import data_figure, forecast_figure, network_figure
from nbdl.plots.vision import feature_maps_figure, filters_figure

NET = "input 2\ndense 8 relu\ndense 2 softmax"
X = np.random.default_rng(0).normal(size=(60, 2)).astype(np.float32)
Y = (X[:, 0] > 0).astype(int)


@pytest.fixture(scope="module")
def run():
    return nbdl.train(NET, data="moons", data_options={"n": 100}, epochs=1)


CASES = {
    # wrong types where the API takes a config, a network, callbacks, a model, a path
    "a run from nothing": (lambda r: nbdl.Run(None), r"a run takes a Config \(or a dict of settings\)"),
    "a config of the wrong keys": (lambda r: nbdl.Config.from_dict({1: 2}), r"a config is a dict of settings by name"),
    "layers that are text": (lambda r: nbdl.build({"layers": "input 2\ndense 2"}), r"a network's layers are a list"),
    "layers that are None": (lambda r: nbdl.NetworkSpec(None), r"a network's layers are a list"),
    "a text form that is not text": (lambda r: nbdl.NetworkSpec.parse(5), r"the text form is a string of lines"),
    "callbacks that are not a list": (lambda r: r.fit(1, callbacks=5), r"callbacks must be a list of Callbacks"),
    "a callback of one argument": (lambda r: r.fit(1, callbacks=[lambda run: None]),
                                   r"called as fn\(run, logs\) .* '<lambda>' cannot take those two arguments"),
    "a figure that is not a number": (lambda r: r.fit(1, callbacks=[lambda run, logs: logs.__setitem__("x", "bar")]),
                                      r"a figure in the history is a number under a name, got 'x': 'bar'"),
    "freezing a string": (lambda r: nbdl.freeze("abc", "body"), r"freeze and unfreeze take a torch.nn.Module"),
    "a module on the meta device": (lambda r: nbdl.train(torch.nn.Linear(2, 2, device="meta"), data=(X, Y)),
                                    r"the model's weights are on the meta device"),
    "a module with NaN statistics": (lambda r: nbdl.train(_nan_batchnorm(), data=(X, Y)),
                                     r"the model's '1.running_var' holds NaN or infinite values"),
    "in place that is not a bool": (lambda r: nbdl.train(NET, data=(X, Y), in_place="yes"),
                                    r"in_place must be True or False, got 'yes'"),
    # paths
    "saving to a device": (lambda r: r.save("/dev/null"), r"/dev/null is not a file \(a folder, a device or a pipe\)"),
    "saving to a folder": (lambda r, tmp="/tmp": r.save(tmp), r"is not a file .* such as /tmp/run.safetensors"),
    "a path that is not text": (lambda r: r.save(None), r"the path of a checkpoint must be text or a pathlib.Path"),
    "a path of bytes": (lambda r: nbdl.load(b"/tmp/x"), r"the path of a checkpoint must be text"),
    "a file name too long": (lambda r: r.save("/tmp/" + "a" * 300), r"could not write the checkpoint .*too long"),
    "loading a name too long": (lambda r: nbdl.load("/tmp/" + "a" * 300), r"cannot read /tmp/a+: File name too long"),
    # helpers' arguments
    "a grid of no points": (lambda r: diagnostics.decision_grid(r, resolution=0), r"resolution must be a whole number in \[2, 1000\]"),
    "a grid too large": (lambda r: diagnostics.decision_grid(r, resolution=10**5), r"resolution must be .*got 100000"),
    "a grid of nothing": (lambda r: diagnostics.decision_grid(None), r"decision_grid takes a run"),
    "a negative count of samples": (lambda r: diagnostics.augmented_samples(r, count=-1), r"count must be a whole number in \[1, 256\]"),
    "a forecast of no run": (lambda r: diagnostics.forecast("run"), r"forecast takes a run"),
    "a data figure of no data": (lambda r: data_figure((X, Y)), r"data_figure takes a Dataset"),
    "a data figure of no images": (lambda r: data_figure(nbdl.data.load("digits"), limit=0), r"limit must be a whole number in \[1, 400\]"),
    "a network figure of nothing": (lambda r: network_figure(None), r"network_figure takes an nbdl network"),
    "forecasts of other lengths": (lambda r: forecast_figure(np.zeros(5), np.zeros(3)), r"as long as each other, got 5 and 3"),
    "a comparison of nothing": (lambda r: compare_figure({}), r"compare_figure takes a dict of runs by name"),
    "a comparison of figures never logged": (lambda r: compare_figure({"a": r}, metrics=("nope",)),
                                             r"none of the runs has logged these figures; they log: .*train_loss"),
    "filters of no shape": (lambda r: filters_figure(torch.zeros(3, 3)), r"must be a non-empty array of 4 dimension"),
    "feature maps of nothing": (lambda r: feature_maps_figure(None, None), r"the image must be a non-empty array of 2 or 3"),
    "classes named twice": (lambda r: nbdl.data.select(nbdl.data.load("digits"), classes=[0, 0]),
                            r"classes must name at least 2 different classes among 0..9 .*got \[0, 0\]"),
    "a class that is not a number": (lambda r: nbdl.data.select(nbdl.data.load("digits"), classes=[1.7]),
                                     r"a class of 'digits' must be a whole number in \[0, 9\], got 1.7"),
    "a data seed below 0": (lambda r: nbdl.data.load("moons", seed=-1), r"seed must be a whole number in \[0, 4294967295\]"),
    "a subsample too large": (lambda r: nbdl.data.load("iris", n=1000), r"iris n must be a whole number in \[2, 150\]"),
    # data
    "labels far apart": (lambda r: nbdl.train(NET, data=(X, np.where(Y, 10**9, 0))),
                         r"class label 1000000000 at row \d+ would need a network with 1,000,000,001 outputs"),
    "labels missing": (lambda r: nbdl.train(NET, data=(X, np.array([None, *Y[1:]], dtype=object))),
                       r"y holds 1 missing label\(s\) \(None or NaN\), the first at row 0"),
    "a nullable column with a gap": (lambda r: nbdl.train(NET, data=pd.DataFrame(
        {"a": X[:4, 0], "b": pd.array([1, None, 0, 1], dtype="Int64"), "t": [0, 1, 0, 1]}), data_options={"target": "t"}),
        r"column 'b' has 1 missing value\(s\), the first at row 1"),
    "a target column for arrays": (lambda r: nbdl.train(NET, data=(X, Y), data_options={"target": "t"}),
                                   r"target names the column of a DataFrame"),
    "a single target": (lambda r: nbdl.train(NET, data=(X, 5)), r"y must be an array with one target per sample"),
    "a value that becomes infinite in float32": (lambda r: r.predict([[1e40, 0]]), r"X holds values as large as 1e\+40"),
    "token codes beyond the vocabulary": (lambda r: nbdl.Run(nbdl.Config(
        network="input tokens\nembedding 5 4\nlstm 4 sequences\ndense 100 softmax", data="text",
        data_options={"n": 20, "seq_len": 8, "chars": 2000})), r"the samples hold token codes up to \d+ but the embedding"),
    # the text form
    "a second input line": (lambda r: nbdl.build("input 2\ninput 3\ndense 2"), r"line 2: 'input 3': only the first layer"),
    "an option given twice": (lambda r: nbdl.build("input 2\ndense 4 units=5"), r"'dense' is given units twice"),
    "a flag option given twice": (lambda r: nbdl.build("input 1x8x8\nconv 4 3 stride=1 stride=2"),
                                  r"'conv' is given stride twice"),
    "a dense layer on token codes": (lambda r: nbdl.build("input tokens\ndense 2"), r"'dense 2' cannot take token codes"),
    "too many stacked recurrent layers": (lambda r: nbdl.build("input seq 2\nrnn 4 layers=1000000000\ndense 2"),
                                          r"rnn layers must be a whole number in \[1, 100\]"),
    "an empty name": (lambda r: nbdl.Run(nbdl.Config(network=NET, data="moons", optimizer="")),
                      r"unknown optimizer ''; choose one of: adagrad"),
    "numbers that cannot be read": (lambda r: nbdl.Run(nbdl.Config(network=NET, data="moons", schedule="step(1")),
                                    r"cannot read 'step\(1'; .* 'step\(10, 0.5\)'"),
    "an unknown panel setting": (lambda r: __import__("nbdl.widgets").widgets.Dashboard(foo=1),
                                 r"unknown setting\(s\) foo"),
}


def _nan_batchnorm():
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    model[1].running_var.fill_(float("nan"))
    return model


@pytest.mark.parametrize("case", CASES)
def test_each_entry_point_refuses_what_it_cannot_use(run, case):
    attempt, message = CASES[case]
    with pytest.raises(nbdl.NbdlError, match=message):
        attempt(run)


def test_unfreeze_without_names_unfreezes_every_parameter():
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    for p in model.parameters():
        p.requires_grad_(False)
    assert all(p.requires_grad for p in nbdl.unfreeze(model).parameters())


def test_large_regression_targets_keep_their_units():
    run = nbdl.train("input 2\ndense 4 relu\ndense 1", data=(X, X[:, 0].astype(np.float64) * 1e29), epochs=2)
    figures = run.evaluate("test")
    assert np.isfinite(figures["mse"]) and np.isfinite(figures["mae"]) and figures["mae"] > 1e27
    assert np.isfinite(run.predict(X[:3])).all()


def test_a_checkpoint_is_refused_with_data_it_did_not_train_on(tmp_path):
    moons = nbdl.train(NET, data="moons", epochs=1).save(tmp_path / "moons.safetensors")
    with pytest.raises(nbdl.NbdlError, match=r"the checkpoint's data does not fit this run: the run trained on other"):
        nbdl.load(moons, data="circles")
    own = nbdl.train(NET, data=(X, Y), epochs=1).save(tmp_path / "own.safetensors")
    with pytest.raises(nbdl.NbdlError, match=r"the run trained on other data \(60 samples of shape \(2,\)\)"):
        nbdl.load(own, data=(X * 3, 1 - Y))
    assert nbdl.load(own, data=(X, Y)).epoch == 1


@pytest.mark.parametrize("where, value, message", [
    (lambda s: s["optimizer"]["state"]["0"], ("exp_avg_sq", -1.0), r"holds negative values, but it is a mean of squares"),
    (lambda s: s["model"], ("layers.0.linear.weight", 3e38), r"holds values as large as 3e\+38"),
    (lambda s: s["optimizer"]["state"]["0"], ("step", 10**400), r"optimizer state is damaged \(OverflowError"),
])
def test_values_no_training_leaves_are_refused(tmp_path, where, value, message):
    run = nbdl.train(NET, data="moons", epochs=1)
    state = run.state_dict()
    key, number = value
    target = where(state)
    target[key] = torch.full_like(target[key], number) if isinstance(number, float) else number
    path = checkpoint.write(tmp_path / "c.safetensors", json.loads(json.dumps(run.config.to_dict())), state)
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.load(path)


MORE = {
    "early stopping on a figure that is not a name": (lambda r: nbdl.EarlyStopping(monitor=5), r"monitor names a figure"),
    "early stopping with a margin of words": (lambda r: nbdl.EarlyStopping(min_delta="x"), r"min_delta must be a number"),
    "early stopping with a margin of NaN": (lambda r: nbdl.EarlyStopping(min_delta=float("nan")),
                                           r"min_delta must be a number >= 0"),
    "early stopping with a patience of True": (lambda r: nbdl.EarlyStopping(patience=True), r"patience must be"),
    "freezing by a fraction": (lambda r: nbdl.freeze(r.model, 5.5), r"name the blocks to freeze with block numbers"),
    "a subsample of nothing": (lambda r: nbdl.data.subsample(None, 5), r"subsample takes a Dataset"),
    "a subsample with a negative seed": (lambda r: nbdl.data.subsample(nbdl.data.load("iris"), 5, seed=-1),
                                         r"seed must be a whole number in \[0, 4294967295\]"),
    "a frame that is an array": (lambda r: nbdl.data.from_frame(X, "t"), r"from_frame takes a pandas DataFrame"),
    "a target that is a list": (lambda r: nbdl.data.from_frame(pd.DataFrame({"a": [1.0, 2.0]}), ["a"]),
                                r"no column \['a'\] in the DataFrame"),
    "a class count of words": (lambda r: nbdl.data.from_arrays(X, Y, n_classes="x"), r"n_classes must be a whole number"),
    "a fit to no shape": (lambda r: nbdl.NetworkSpec.parse(NET).fitted(None, 2, True), r"fitted takes a sample shape"),
    "classes written one-hot": (lambda r: nbdl.train(NET, data=(X, np.eye(2)[Y].astype(float))),
                                r"y looks like classes written one-hot \(2 columns"),
    "a history that is not one": (lambda r: setattr(r, "history", 5), r"a run's history maps figure names to lists"),
    "a step of no batches": (lambda r: r.step(0), r"batches must be a whole number in \[1, 1000000000\], got 0"),
    "a step of words": (lambda r: r.step("a"), r"batches must be a whole number"),
    "an embedding on measurements": (lambda r: nbdl.Run(nbdl.Config(network="input 3\nembedding 10 4\nflatten\ndense 1",
                                                                     data=(np.random.rand(30, 3), np.random.rand(30)))),
                                     r"an embedding reads token codes, whole numbers 0..9, but the samples hold"),
}


@pytest.mark.parametrize("case", MORE)
def test_more_entry_points_refuse_what_they_cannot_use(run, case):
    attempt, message = MORE[case]
    with pytest.raises(nbdl.NbdlError, match=message):
        attempt(run)


def test_labels_in_a_column_are_one_label_a_sample():
    run = nbdl.train(NET, data=(X, Y[:, None]), epochs=1)
    assert run.dataset.y.shape == (60,) and run.status == "finished"


def test_a_regression_network_with_an_output_activation_predicts_what_it_outputs():
    run = nbdl.train("input 2\ndense 4 relu\ndense 1 sigmoid", data=(X, np.abs(X[:, 0]) / 3), epochs=2,
                     standardize=False)
    direct = run.data.untransform_target(run.model.eval()(run.data.transform(X[:5])))
    np.testing.assert_allclose(run.predict(X[:5]), direct, rtol=1e-5)
    assert ((run.predict(X) > 0) & (run.predict(X) < 1)).all()  # what a sigmoid gives


def test_numbers_in_text_read_back_exactly():
    spec = nbdl.NetworkSpec([nbdl.Input(2), nbdl.Dropout(1 / 3), nbdl.Dense(2)])
    assert nbdl.NetworkSpec.parse(spec.to_text()) == spec
    from nbdl import cli
    from nbdl.core.config import train_command

    config = nbdl.Config(network=NET, data="moons", lr=1 / 3, val_split=1 / 7, data_options={"noise": 1 / 9})
    _, args = cli.parse(train_command(config)[len("%nbdl "):])
    assert cli.config_settings(args) == {"lr": 1 / 3, "val_split": 1 / 7}
    assert cli.given_data_options(args, "moons") == {"noise": 1 / 9}


ROUND3 = {
    "a size beyond torch's": (lambda r: nbdl.build("input 99999999999999999999\ndense 2 softmax"),
                              r"line 2: cannot make 'dense 2 softmax' for input shape 99999999999999999999"),
    "data options not named by words": (lambda r: nbdl.Run(nbdl.Config(network=NET, data="moons", data_options={1: 2})),
                                        r"data_options must be a dict of options by name"),
    "a path with a null byte": (lambda r: r.save("/tmp/x\x00y.st"), r"the path of a checkpoint must be text"),
    "a figure too large for a float": (lambda r: r.fit(1, callbacks=[lambda run, logs: logs.__setitem__("big", 10**400)]),
                                       r"the figure 'big' is too large for a float"),
    "a callback order of words": (lambda r: r.fit(1, callbacks=[type("Odd", (nbdl.Callback,), {"order": "x"})()]),
                                  r"a callback's order is a number .* got 'x' in Odd"),
    "a summary of nothing": (lambda r: diagnostics.summary(None), r"summary takes an nbdl network"),
    "a temperature too low": (lambda r: diagnostics.TEMPERATURE.check(1e-300), r"temperature must be a number in \[0.01"),
    "augmented rows of other lengths": (lambda r: __import__("nbdl.plots.vision").plots.vision.augmented_figure(
        np.zeros((2, 1, 8, 8)), [np.zeros((3, 1, 8, 8))]), r"each augmented version must hold as many images"),
    "a spiral of fewer samples than classes": (lambda r: nbdl.data.load("spiral", n=10, classes=20),
                                               r"n 10 is fewer samples than classes 20"),
    "a cosine ending above the rate": (lambda r: nbdl.Run(nbdl.Config(network=NET, data="moons", schedule="cosine(1e9)")),
                                       r"schedule 'cosine\(1e\+09\)' would end at 1e\+09, not below the learning rate"),
    "options for a Dataset": (lambda r: nbdl.train(NET, data=nbdl.data.load("moons"), data_options={"n": 5}),
                              r"n are options of a data set by name; a Dataset is used as it is"),
    "class names of the wrong count": (lambda r: nbdl.data.from_arrays(X, Y, class_names=["a"]),
                                       r"class_names must name each of the 2 classes"),
    "feature names of the wrong count": (lambda r: nbdl.data.from_arrays(X, Y, feature_names=5),
                                         r"feature_names must name each of the 2 features"),
    "a freeze naming nothing": (lambda r: nbdl.train(NET, data=(X, Y), freeze=" , "), r"name at least one block"),
    "a history of uneven lists": (lambda r: setattr(r, "history", {"a": [1.0], "b": [1.0, 2.0]}),
                                  r"one per epoch \(all as long\)"),
    "a penalty beyond reason": (lambda r: nbdl.Run(nbdl.Config(network=NET, data="moons", l1=1e30)),
                                r"l1 must be a number in \[0, 1e\+06\]"),
    "a DataFrame with two columns of one name": (lambda r: nbdl.train(NET, data=pd.DataFrame(
        [[1.0, 0, 1], [2.0, 1, 0]], columns=["a", "t", "t"]), data_options={"target": "t"}),
        r"the DataFrame has columns named alike: t"),
}


@pytest.mark.parametrize("case", ROUND3)
def test_a_third_round_of_entry_points(run, case):
    attempt, message = ROUND3[case]
    with pytest.raises(nbdl.NbdlError, match=message):
        attempt(run)


def test_many_classes_still_get_their_share_of_validation_and_test():
    sizes = nbdl.Run(nbdl.Config(network="input 2\ndense 20 softmax", data="blobs",
                                 data_options={"n": 60, "classes": 20})).split_sizes
    assert sizes == {"train": 36, "val": 12, "test": 12}


def test_numpy_booleans_are_booleans():
    assert nbdl.Config(network=NET, data="moons", standardize=np.bool_(False)).validate().standardize is False


def test_the_optimizers_state_overflowing_is_a_divergence():
    class Overflow(nbdl.Callback):
        def on_batch_end(self, run, logs):
            if logs["step"] == 10:
                next(iter(run.optimizer.state.values()))["exp_avg_sq"].fill_(float("inf"))

    run = nbdl.Run(nbdl.Config(network=NET, data="moons", epochs=30, batch_size=4), callbacks=[Overflow()])
    with pytest.warns(nbdl.DivergenceWarning, match="the optimizer's running averages of squared gradients became"):
        run.fit()
    assert run.status == "diverged" and all(torch.isfinite(p).all() for p in run.model.parameters())


def test_a_live_plot_never_fails_a_run():
    from nbdl.plots.live import LivePlot

    plot = LivePlot(lambda png: None)
    run = nbdl.Run(nbdl.Config(network="input 10\ndense 4 relu\ndense 1", data="diabetes", data_options={"n": 60},
                               optimizer="sgd", lr=1e8, epochs=3))
    with pytest.warns(nbdl.DivergenceWarning):
        run.fit(callbacks=[plot])
    assert run.status == "diverged" and plot.error is None and plot.renders >= 1

    class Broken(LivePlot):
        def _make_figure(self, run):
            raise RuntimeError("no canvas")

    broken = Broken(lambda png: None)
    assert nbdl.train(NET, data="moons", epochs=2, callbacks=[broken]).status == "finished"
    assert isinstance(broken.error, RuntimeError)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine with CUDA can load a CUDA run")
def test_a_run_trained_on_a_gpu_loads_on_a_cpu_when_asked(tmp_path):
    run = nbdl.train(NET, data="moons", epochs=1)
    config = dict(run.config.to_dict(), device="cuda")
    path = checkpoint.write(tmp_path / "gpu.safetensors", json.loads(json.dumps(config)), run.state_dict())
    with pytest.raises(nbdl.NbdlError, match=r"trained on device 'cuda', which this machine does not have; load it "
                                             r"with nbdl.load\(path, device='cpu'\)"):
        nbdl.load(path)
    assert nbdl.load(path, device="cpu").epoch == 1


def test_a_registered_layer_whose_module_disagrees_with_its_shape_is_named(tmp_path):
    from dataclasses import dataclass
    from typing import ClassVar

    from nbdl.core import layers

    @dataclass
    class Widen(nbdl.Layer):
        type: ClassVar[str] = "widen"
        help: ClassVar[str] = "declares the same width but doubles it"
        example: ClassVar[str] = "widen"

        def build(self, shape):
            return torch.nn.Linear(shape[0], 2 * shape[0])

    nbdl.register_layer(Widen)
    try:
        with pytest.raises(nbdl.NbdlError, match=r"layer 'widen' declares an output of shape \(2,\) but its module "
                                                 r"gives \(4,\)"):
            nbdl.Run(nbdl.Config(network="input 2\nwiden\ndense 2 softmax", data="moons"))
    finally:
        layers.registry.remove("widen")


def test_a_registered_optimizer_must_take_the_trainers_steps():
    for cls in (torch.optim.LBFGS, torch.optim.SparseAdam):
        with pytest.raises(nbdl.NbdlError, match=r"cannot take the trainer's steps"):
            nbdl.register_optimizer(nbdl.OptimizerKind("odd", cls, {"lr": 0.1}))
    assert "odd" not in nbdl.core.optimizers.registry


class IntegerOut(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.linear(x).long()


ROUND4 = {
    "early stopping on a figure a regression never logs": (
        lambda r: nbdl.Run(nbdl.Config(network="input 10\ndense 1", data="diabetes", early_stopping=2, monitor="val_acc")),
        r"early stopping watches monitor 'val_acc', which this run does not log; it logs: lr, time, train_loss"),
    "early stopping on a figure nothing logs": (
        lambda r: nbdl.Run(nbdl.Config(network=NET, data="moons")).fit(callbacks=[nbdl.EarlyStopping("banana", 2)]),
        r"early stopping watches monitor 'banana', which this run does not log"),
    "a callback class instead of a callback": (lambda r: r.fit(1, callbacks=[nbdl.EarlyStopping]),
                                               r"give a callback object, not its class: EarlyStopping\(...\)"),
    "options that are not a dict": (lambda r: nbdl.data.from_arrays(X, Y, options="abc"), r"options must be a dict"),
    "a panel's data options that are a list": (lambda r: __import__("nbdl.widgets").widgets.Dashboard(data_options=[1]),
                                               r"the options of data set 'moons' are a dict by name"),
    "a panel named with a space": (lambda r: __import__("nbdl.widgets").widgets.Dashboard(network_name="in valid"),
                                   r"the panel's names of the network and data are Python names"),
    "a module giving whole numbers": (lambda r: nbdl.train(IntegerOut(), data=(X, Y)),
                                      r"the model must return float32 outputs .* got torch.int64"),
    "a comparison with figures of no name": (lambda r: compare_figure({"a": r}, metrics=[1]), r"metrics are names"),
    "one class selected": (lambda r: nbdl.data.select(nbdl.data.load("digits"), classes=[1]),
                           r"classes must name at least 2 different classes"),
    "replacing with a word for yes": (lambda r: nbdl.register_optimizer(
        nbdl.OptimizerKind("adam", torch.optim.SGD, {"lr": 0.1}), replace="yes"), r"replace must be True or False"),
    "a config's data options that are a list": (lambda r: nbdl.Config.from_dict({"data_options": [1, 2]}),
                                                r"data_options must be a dict of options by name"),
    "a label past int64": (lambda r: nbdl.data.from_arrays(X[:2], np.array([0, 2**63], dtype=np.uint64)),
                           r"class label 9223372036854775808 at row 1"),
}


@pytest.mark.parametrize("case", ROUND4)
def test_a_fourth_round_of_entry_points(run, case):
    attempt, message = ROUND4[case]
    with pytest.raises(nbdl.NbdlError, match=message):
        attempt(run)
    assert nbdl.core.optimizers.kind("adam").cls is torch.optim.Adam


def test_a_refused_fit_changes_nothing():
    run = nbdl.train(NET, data="moons", epochs=1)
    with pytest.raises(nbdl.NbdlError):
        run.fit(1, callbacks=[nbdl.EarlyStopping("banana", 2)])
    assert run.status == "finished" and run.epoch == 1 and not run.training


def test_a_checkpoint_of_a_dataframe_run_loads_with_the_frame(tmp_path):
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "t": Y})
    path = nbdl.train(NET, data=frame, data_options={"target": "t"}, epochs=1).save(tmp_path / "frame.safetensors")
    assert nbdl.load(path, data=frame).epoch == 1


def test_a_state_nested_too_deeply_is_damage(tmp_path):
    import struct

    path = nbdl.train(NET, data="moons", epochs=1).save(tmp_path / "deep.safetensors")
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    state = json.loads(header["__metadata__"]["state"])
    state["progress"]["stop_reason"] = json.loads("[" * 900 + "]" * 900)
    header["__metadata__"]["state"] = json.dumps(state)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data[8 + size:])
    with pytest.raises(nbdl.NbdlError, match=r"damaged \((nested too deeply|RecursionError)\)|stop reason"):
        nbdl.load(path)
