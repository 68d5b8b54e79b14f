"""Every bad input gets one clear error naming the value and what is allowed, before any training."""
import copy

import numpy as np
import pytest
import torch

import nbdl
from nbdl import NbdlError

NET = "input 2\ndense 8 relu\ndense 2 softmax"
X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
Y = np.arange(40) % 2


def _with(index, value, array=X):
    bad = array.copy()
    bad[index] = value
    return bad


CASES = {
    "unknown activation": (dict(network="input 2\ndense 8 rellu\ndense 2 softmax"),
                           r"line 2: unknown activation 'rellu'; choose one of: elu, gelu, leaky_relu, linear, prelu, relu, sigmoid, softmax, swish, tanh"),
    "unknown layer": (dict(network="input 2\nconvolution 8\ndense 2 softmax"),
                      r"line 2: unknown layer 'convolution'; choose one of: activation, avgpool, batchnorm, conv, convtranspose, dense, dropout, embedding, flatten, globalavgpool, gru, input, lstm, maxpool, rnn, upsample, vae"),
    "unknown optimizer": (dict(optimizer="adamm"),
                          r"unknown optimizer 'adamm'; choose one of: adagrad, adam, adamw, gd, momentum, nesterov, rmsprop, sgd"),
    "unknown data set": (dict(data="mnist"), r"unknown data set .mnist.; choose one of: adding, blobs, breast_cancer, circles, co2, diabetes, digits, "),
    "lr zero": (dict(lr=0), r"lr must be a number > 0, got 0"),
    "lr negative": (dict(lr=-0.1), r"lr must be a number > 0, got -0.1"),
    "batch size zero": (dict(batch_size=0), r"batch_size must be a whole number >= 1, got 0"),
    "batch size fractional": (dict(batch_size=2.5), r"batch_size must be a whole number >= 1, got 2.5"),
    "negative epochs": (dict(epochs=-1), r"epochs must be a whole number >= 0, got -1"),
    "dropout rate": (dict(network="input 2\ndense 8 relu\ndropout 1.5\ndense 2 softmax"), r"line 3: dropout rate must be a number in \[0, 1\), got 1.5"),
    "empty data": (dict(data=(np.zeros((0, 2)), np.zeros(0, dtype=int))), r"the data is empty: X has shape \(0, 2\)"),
    "NaN input": (dict(data=(_with((3, 1), np.nan), Y)), r"X holds 1 NaN and 0 inf value\(s\), the first at index \(3, 1\); drop or fill"),
    "inf input": (dict(data=(_with((5, 0), np.inf), Y)), r"X holds 0 NaN and 1 inf value\(s\), the first at index \(5, 0\)"),
    "labels not integers": (dict(data=(X, np.where(Y == 1, 0.5, 0.0)), data_options={"task": "classification"}),
                            r"class labels must be whole numbers 0..K-1, got 0.5 at row 1"),
    "negative labels": (dict(data=(X, Y - 1)), r"class labels must be in 0..K-1, got -1 at row 0"),
    "labels beyond the output": (dict(data=(X, np.arange(40) % 3)),
                                 r"the network's output has 2 unit\(s\) but the data has 3 classes; end the network with 'dense 3 softmax'"),
    "lengths differ": (dict(data=(X, Y[:30])), r"X and y have different lengths: 40 samples but 30 targets"),
    "input width": (dict(data=(np.hstack([X, X]), Y)),
                    r"the data has samples of shape 4 but the network's line 1: 'input 2' expects 2; change it to 'input 4'"),
    "unknown schedule": (dict(schedule="linear"), r"unknown schedule 'linear'; choose one of: cosine, none, one_cycle, plateau, step"),
    "unknown init": (dict(init="ones"), r"unknown initialization 'ones'; choose one of: default, kaiming, normal, xavier, zeros"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_named_before_training(case):
    settings, message = CASES[case]
    with pytest.raises(NbdlError, match=message):
        nbdl.train(**{"network": NET, "data": (X, Y), "epochs": 1, **settings})


def test_labels_out_of_range_for_a_given_class_count():
    with pytest.raises(NbdlError, match=r"class label 4 at row 4 is out of range for 3 classes \(0..2\)"):
        nbdl.data.from_arrays(X[:5], np.arange(5), n_classes=3)


def test_all_config_problems_are_reported_together():
    with pytest.raises(NbdlError) as error:
        nbdl.Config(network=NET, data="moons", optimizer="sgdd", lr=-1, batch_size=0, epochs=-2).validate()
    text = str(error.value)
    assert text.startswith("4 problems in the configuration:")
    for part in ("unknown optimizer 'sgdd'", "lr must be a number > 0", "batch_size must be", "epochs must be"):
        assert part in text


def test_unknown_setting_is_named():
    with pytest.raises(NbdlError, match=r"unknown setting\(s\) learning_rate; choose from: network, data, "):
        nbdl.train(NET, data=(X, Y), learning_rate=0.1)


def test_nothing_is_trained_when_the_input_is_bad():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 2)

        def forward(self, x):
            return self.linear(x)

    model = Net()
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(NbdlError):
        nbdl.train(model, data=(X, Y), lr=0.1, batch_size=0)
    with pytest.raises(NbdlError):
        nbdl.train(model, data=(_with((0, 0), np.nan), Y), lr=0.1)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_gd_with_a_batch_size_is_refused():
    with pytest.raises(NbdlError, match=r"optimizer 'gd' is full-batch .* use optimizer 'sgd' for mini-batches"):
        nbdl.train(NET, data=(X, Y), optimizer="gd", batch_size=16)


def test_evaluating_an_empty_split_says_how_to_keep_one():
    run = nbdl.train(NET, data=(X, Y), epochs=1, test_split=0.0)
    with pytest.raises(NbdlError, match=r"the test split is empty; set test_split above 0"):
        run.evaluate("test")
    with pytest.raises(NbdlError, match=r"unknown split 'testing'; choose one of: train, val, test"):
        run.evaluate("testing")


def test_predict_with_the_wrong_width_is_refused():
    run = nbdl.train(NET, data=(X, Y), epochs=1)
    with pytest.raises(NbdlError, match=r"samples of shape \(3,\) do not fit: the network was trained on shape \(2,\)"):
        run.predict(np.zeros((4, 3)))


MORE = {
    "schedule step(0)": (dict(schedule="step(0)"), r"schedule 'step\(0\)': step_size must be a whole number >= 1, got 0"),
    "schedule step(nan)": (dict(schedule="step(nan)"), r"schedule 'step\(nan\)': step_size must be a whole number >= 1, got nan"),
    "schedule step(1,-5)": (dict(schedule="step(1,-5)"), r"schedule 'step\(1,-5\)': gamma must be a number in \(0, 1\], got -5"),
    "schedule plateau(-1,2)": (dict(schedule="plateau(-1,2)"), r"schedule 'plateau\(-1,2\)': patience must be a whole number >= 0"),
    "schedule with too many numbers": (dict(schedule="step(1,0.5,3)"), r"takes at most 2 number\(s\): step\(step_size=10, gamma=0.5\)"),
    "eps below 0": (dict(eps=-1e-8), r"eps must be a number > 0, got -1e-08"),
    "eps of 0": (dict(eps=0), r"eps must be a number > 0, got 0"),
    "betas not a pair": (dict(betas=0.9), r"betas must be two numbers, each in \[0, 1\), got 0.9"),
    "betas of three": (dict(betas=(0.9, 0.99, 0.5)), r"betas must be two numbers, each in \[0, 1\), got \(0.9, 0.99, 0.5\)"),
    "lr infinite": (dict(lr=float("inf")), r"lr must be a number > 0, got inf"),
    "lr NaN": (dict(lr=float("nan")), r"lr must be a number > 0, got nan"),
    "seed negative": (dict(seed=-1), r"seed must be a whole number in \[0, 4294967295\], got -1"),
    "seed huge": (dict(seed=2**40), r"seed must be a whole number in \[0, 4294967295\], got 1099511627776"),
    "seed a bool": (dict(seed=True), r"seed must be a whole number in \[0, 4294967295\], got True"),
    "classes 0": (dict(data="spiral", data_options={"classes": 0}), r"spiral classes must be a whole number in \[2, 20\], got 0"),
    "an option the data set does not take": (dict(data="digits", data_options={"noise": 0.1}),
                                             r"data set 'digits' takes no noise; its options: n"),
    "device unknown": (dict(device="tpu"), r"unknown device 'tpu'; choose one of: auto, cpu, cuda, mps \(or cuda:N\)"),
    "freezing every block": (dict(freeze="0,1"), r"nothing left to train: freeze='0,1' freezes every parameter"),
    "a module without parameters": (dict(network=torch.nn.Identity()),
                                    r"the model Identity has no parameters to train"),
    "a module that cannot take the data": (dict(network=torch.nn.Linear(3, 2)),
                                           r"the model cannot take samples of shape \(2,\): RuntimeError"),
    "no data": (dict(data=None), r"no data given; name a data set, for example data='moons', or give your own"),
    "a meta tensor": (dict(data=(torch.empty(40, 2, device="meta"), Y)), r"X is a tensor on the meta device"),
    "a complex tensor": (dict(data=(torch.zeros(40, 2, dtype=torch.complex64), Y)), r"X holds complex numbers"),
    "values near the float32 limit": (dict(data=(_with((2, 0), 3e38), Y)),
                                      r"X holds values as large as 3e\+38; float32 training overflows"),
    "numbers where text is needed": (dict(monitor=3), r"monitor must be text, got 3"),
    "an activation with a bad number": (dict(network="input 2\ndense 8 elu(nan)\ndense 2 softmax"),
                                        r"activation 'elu\(nan\)': alpha must be a number in \[0, 100\], got nan"),
    "a noise augmentation of nan": (dict(augment="noise(nan)"), r"augmentation 'noise\(nan\)': std must be a number"),
}


@pytest.mark.parametrize("case", MORE)
def test_more_bad_arguments_get_one_clear_error(case):
    settings, message = MORE[case]
    with pytest.raises(NbdlError, match=message):
        nbdl.Run(nbdl.Config(**{"network": NET, "data": (X, Y), "epochs": 1, **settings}))


def test_numpy_integers_and_low_precision_tensors_are_accepted():
    run = nbdl.train(NET, data=(torch.tensor(X, dtype=torch.bfloat16), torch.tensor(Y)), seed=np.int64(3),
                     epochs=np.int32(1), batch_size=np.int64(8))
    assert run.config.seed == 3 and type(run.config.seed) is int and run.epoch == 1
    sparse = torch.tensor(X).to_sparse()
    assert nbdl.train(NET, data=(sparse, Y), epochs=1).dataset.X.shape == (40, 2)
    assert nbdl.train(NET, data=(torch.tensor(X, dtype=torch.float16), Y), epochs=1).status == "finished"


def test_predicting_no_samples_gives_no_predictions():
    run = nbdl.train(NET, data=(X, Y), epochs=1)
    assert run.predict(np.zeros((0, 2))).shape == (0,)
    assert run.predict([]).shape == (0,)
    assert run.predict_proba(np.zeros((0, 2))).shape == (0, 2)


def test_evaluate_names_its_units():
    run = nbdl.train("dense 8 relu\ndense 1", data="diabetes", epochs=2)
    figures = run.evaluate("test")
    assert figures.units == {"loss": "mse, the training loss on standardized targets", "mse": "squared target units",
                             "mae": "target units"}
    assert "(target units)" in repr(figures) and figures["mse"] > 100 * figures["loss"]
    classes = nbdl.train(NET, data=(X, Y), epochs=1).evaluate("test")
    assert classes.units["accuracy"] == "share of correct predictions"
