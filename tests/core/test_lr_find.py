"""The learning-rate range test (``run.lr_find``): it leaves the run exactly as it was, suggests a rate
that trains well, refuses curves that cannot be trusted, and the one-cycle schedule follows its formula."""
import math
import threading
import time

import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import lr_find
from nbdl.core.lr_find import judge, short

MOONS = "input 2\ndense 32 relu\ndropout 0.1\ndense 32 relu\ndense 2 softmax"
DIGITS = "input 64\ndense 64 relu\ndense 10 softmax"


def _strip(history):
    return {k: v for k, v in history.items() if k != "time"}


def _same_state(a, b):
    """Two runs' whole states (weights, optimizer, generators, progress) are equal, bit for bit."""
    sa, sb = a.state_dict(), b.state_dict()
    assert _strip(sa["history"]) == _strip(sb["history"])
    assert {k: v for k, v in sa["progress"].items() if k != "run"} == \
        {k: v for k, v in sb["progress"].items() if k != "run"}
    for key in sa["model"]:
        assert torch.equal(sa["model"][key], sb["model"][key]), key
    assert sa["optimizer"]["param_groups"] == sb["optimizer"]["param_groups"]
    assert sa["optimizer"]["state"].keys() == sb["optimizer"]["state"].keys()
    for index, entries in sa["optimizer"]["state"].items():
        for key, value in entries.items():
            other = sb["optimizer"]["state"][index][key]
            assert torch.equal(value, other) if torch.is_tensor(value) else value == other, key
    for key in ("shuffle", "dropout"):
        assert torch.equal(sa["generators"][key], sb["generators"][key]), key


@pytest.mark.parametrize("optimizer, settings", [
    ("adam", {}), ("momentum", {"l2": 1e-3}), ("rmsprop", {"momentum": 0.5}), ("adagrad", {}),
])
def test_a_run_fitted_after_lr_find_equals_one_fitted_without_it(optimizer, settings):
    config = nbdl.Config(network=MOONS, data="moons", optimizer=optimizer, epochs=2, seed=3, **settings)
    tested, untouched = nbdl.Run(config), nbdl.Run(config)
    tested.lr_find(steps=30)  # before any fit: the optimizer has no state yet (Adagrad's sums only), nor after
    assert len(tested.optimizer.state) == len(untouched.optimizer.state)
    assert tested.global_step == 0 and tested.status == "ready"
    _same_state(tested, untouched)
    tested.fit(), untouched.fit()
    before = tested.state_dict()
    result = tested.lr_find(steps=40)  # mid-run: optimizer state, generators and history all exist
    assert len(result.losses) > 5 and tested.status == "finished" and tested.model.training
    assert tested.global_step == before["progress"]["global_step"] and tested.optimizer.param_groups[0]["lr"] == \
        before["optimizer"]["param_groups"][0]["lr"]
    _same_state(tested, untouched)
    tested.fit(2), untouched.fit(2)
    _same_state(tested, untouched)


def test_an_interrupted_test_still_puts_the_run_back():
    run = nbdl.train(MOONS, data="moons", epochs=1, seed=1)
    twin = nbdl.train(MOONS, data="moons", epochs=1, seed=1)
    loss, calls = run.loss, []

    def breaking(logits, y):
        calls.append(1)
        if len(calls) == 12:
            raise KeyboardInterrupt
        return loss(logits, y)

    run.loss = breaking
    run.model.eval()  # the test trains in train mode; the run's own mode comes back
    with pytest.raises(KeyboardInterrupt):
        run.lr_find()
    run.loss = loss
    assert len(calls) == 12 and not any(m.training for m in run.model.modules())
    _same_state(run, twin)
    assert not run.training  # the run's fit lock is free again
    run.fit(1), twin.fit(1)
    _same_state(run, twin)


def test_a_run_training_in_another_thread_is_refused():
    run = nbdl.Run(nbdl.Config(network=MOONS, data="moons", epochs=50))
    run.step()  # its first batch, then paused: the fit holds the run
    worker = threading.Thread(target=run.fit)
    worker.start()
    deadline = time.monotonic() + 10
    while not run.control.waiting:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        with pytest.raises(nbdl.NbdlError, match="this run is training .* stop it before a learning-rate range test"):
            run.lr_find()
        assert run.global_step == 1
    finally:
        run.stop()
        worker.join(timeout=10)
    assert run.lr_find(steps=20).losses  # free again once the fit has ended


@pytest.mark.parametrize("data, network, optimizer", [
    ("moons", MOONS, "adam"), ("moons", MOONS, "sgd"), ("digits", DIGITS, "adam"),
])
def test_the_suggestion_trains_well_and_100x_more_does_not(data, network, optimizer):
    config = nbdl.Config(network=network, data=data, optimizer=optimizer, epochs=15, seed=0)
    result = nbdl.Run(config).lr_find()
    assert result.reason is None and result.flag == f"--lr {short(result.suggestion)}"
    assert 1e-4 <= result.suggestion <= 0.5
    assert result.suggestion == pytest.approx(result.minimum / 10)
    assert result.start <= result.steepest <= result.minimum
    good = nbdl.train(config=config, lr=result.suggestion)
    bad = nbdl.train(config=config, lr=result.suggestion * 100)
    assert good.status == "finished" and all(math.isfinite(v) for v in good.history["train_loss"])
    assert good.history["train_loss"][-1] < 0.6 * good.history["train_loss"][0]
    assert good.evaluate("val")["loss"] < bad.evaluate("val")["loss"]


def test_regression_gets_a_suggestion_too():
    run = nbdl.Run(nbdl.Config(network="input 10\ndense 32 relu\ndense 1", data="diabetes", optimizer="adam"))
    result = run.lr_find()
    assert result.suggestion is not None and 1e-4 <= result.suggestion <= 0.1, result.summary()
    trained = nbdl.train(config=run.config, lr=result.suggestion, epochs=10)
    assert trained.history["val_loss"][-1] < 0.8 * trained.history["val_loss"][0]


def test_weights_that_give_nan_are_refused_at_once():
    run = nbdl.Run(nbdl.Config(network=MOONS, data="moons"))
    with torch.no_grad():
        run.model.layers[0][0].weight.fill_(float("nan"))
    result = run.lr_find()
    assert result.suggestion is None and len(result.losses) == 1
    assert result.reason.startswith("the loss was nan from step 1 (rate 1e-7): the run's weights or data give NaN")
    assert torch.isnan(run.model.layers[0][0].weight).all()  # put back as it was, NaN included


def test_a_range_that_is_all_too_high_is_refused():
    run = nbdl.Run(nbdl.Config(network=MOONS, data="moons", optimizer="sgd"))
    result = run.lr_find(start=10, end=1e5)
    assert result.suggestion is None and len(result.losses) < 100 and "exploded" in result.stopped
    # it rises at once ("did not fall before it diverged"), or after a dip in its first steps ("was lowest
    # at rate 20, so near the first rate..."), depending on the first batches: either way, start lower
    assert result.reason.startswith(("the loss did not fall before it diverged", "the loss was lowest at rate"))
    assert result.reason.endswith("give a lower start") or "give a lower start," in result.reason


def test_data_that_diverge_at_the_first_rates_are_refused():
    # Unscaled inputs of about 1e5 and plain SGD: even the first rate, 1e-7, is a thousand times past
    # the largest stable one, so the loss grows to infinity within a few steps.
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(300, 3)) * 1e5).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5], dtype=np.float32) * 1000
    run = nbdl.Run(nbdl.Config(network="input 3\ndense 1", data=(X, y), standardize=False, optimizer="sgd"))
    result = run.lr_find()
    assert result.suggestion is None and len(result.losses) < lr_find.FIRST_STEPS + 1
    assert result.stopped.startswith("the loss became inf at rate")
    assert result.reason.startswith(f"the loss was inf from step {len(result.losses)} (rate ")
    assert "give a lower start" in result.reason


def test_labels_that_cannot_be_learnt_give_no_descent():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 2)).astype(np.float32), rng.integers(0, 2, 400)
    result = nbdl.Run(nbdl.Config(network=MOONS, data=(X, y))).lr_find(end=0.1)
    assert result.suggestion is None and len(result.losses) == 100
    assert result.descent < lr_find.DESCENT * result.smoothed[0]
    assert result.reason.startswith("the loss never fell meaningfully (fell by")


def test_single_sample_batches_unsmoothed_are_too_noisy_to_call():
    run = nbdl.Run(nbdl.Config(network=MOONS, data="moons", batch_size=1, optimizer="sgd"))
    result = run.lr_find(smooth=0)
    assert result.smoothed == result.losses  # no smoothing
    assert result.suggestion is None and result.noise > lr_find.NOISE * result.descent
    assert result.reason.startswith("too noisy to call: on its way down the smoothed loss rose again by")


# -- reading a curve: the rules on curves made by hand ----------------------------------------------
SETTINGS = {"start": 1e-6, "end": 1.0, "steps": 61}
LRS = np.geomspace(1e-6, 1.0, 61).tolist()


def _sigmoid_drop(centre: float) -> np.ndarray:
    """A loss of 1 falling to 0.2 around rate ``centre`` and rising steeply past 10x it."""
    x = np.log10(LRS)
    return 0.2 + 0.8 / (1 + np.exp(4 * (x - math.log10(centre)))) + np.maximum(x - math.log10(centre) - 1, 0) ** 2 * 3


def test_a_clean_curve_gets_a_tenth_of_its_lowest_point():
    losses = _sigmoid_drop(1e-3)
    result = judge(LRS, losses.tolist(), 5, "reached the end", "sgd", SETTINGS)
    smoothed = np.asarray(result.smoothed)
    lowest = int(np.argmin(smoothed))
    assert result.minimum == LRS[lowest] and result.suggestion == pytest.approx(LRS[lowest] / 10)
    expected = np.convolve(np.pad(losses, 2, mode="constant", constant_values=np.nan), np.ones(5) / 5, "valid")
    assert np.allclose(smoothed[2:-2], expected[2:-2])  # a centred mean of 5
    slopes = np.gradient(smoothed[:lowest + 1], np.log10(LRS[:lowest + 1]))
    assert result.steepest == LRS[int(np.argmin(slopes))] and abs(math.log10(result.steepest / 1e-3)) < 0.2
    assert result.noise == 0 and result.descent == pytest.approx(smoothed[0] - smoothed[lowest])


def _largest_rise(curve):
    return max(curve[j] - min(curve[:j + 1]) for j in range(len(curve)))


def test_noise_bigger_than_half_the_fall_is_refused_and_less_is_not():
    losses = _sigmoid_drop(1e-3)
    bump = np.exp(-((np.log10(LRS) + 4.5) / 0.5) ** 2)  # a rise and fall on the way down, before the descent
    for height, refused in ((0.2, False), (0.6, True)):
        result = judge(LRS, (losses + height * bump).tolist(), 5, "", "sgd", SETTINGS)
        lowest = int(np.argmin(result.smoothed))
        assert result.noise == pytest.approx(_largest_rise(result.smoothed[:lowest + 1]))
        assert result.noise == pytest.approx(height, rel=0.1) and result.descent == pytest.approx(0.8, rel=0.05)
        assert (result.suggestion is None) == refused
    assert result.reason.startswith(f"too noisy to call: on its way down the smoothed loss rose again by "
                                    f"{result.noise:.3g}, more than 50% of its whole fall ({result.descent:.3g})")


def test_a_curve_falling_from_the_first_rate_is_refused():
    losses = 0.2 + 0.8 * np.exp(-np.arange(61) / 1.5) + np.maximum(np.arange(61) - 6, 0) ** 2 * 0.02
    result = judge(LRS, losses.tolist(), 5, "", "sgd", SETTINGS)
    assert result.minimum / 10 < LRS[0] and result.suggestion is None
    assert result.reason.startswith(f"the loss was lowest at rate {short(result.minimum)}, so near the first rate")


def test_nan_after_a_fall_is_the_end_of_the_curve_and_nan_before_it_refuses():
    losses = _sigmoid_drop(1e-3).tolist()
    cut = losses[:45] + [float("nan")]
    result = judge(LRS[:46], cut, 5, "the loss became nan", "sgd", SETTINGS)
    assert result.suggestion is not None and math.isnan(result.smoothed[-1])
    flat = [1.0] * 20 + [float("inf")]
    result = judge(LRS[:21], flat, 5, "the loss became inf at rate 1e-4", "sgd", SETTINGS)
    assert result.suggestion is None and result.reason.startswith("the loss did not fall before it diverged")
    early = judge(LRS[:3], [1.0, 0.9, float("nan")], 5, "", "sgd", SETTINGS)
    assert early.suggestion is None and early.reason.startswith("the loss was nan from step 3 (rate ")
    exploded = judge(LRS[:2], [1.0, 5.0], 1, "the loss exploded", "sgd", SETTINGS)  # unsmoothed, two steps
    assert exploded.reason.startswith("the loss did not fall before it diverged (fell by 0% of its start; the loss "
                                      "exploded)")


@pytest.mark.parametrize("given, words", [
    ({"start": 0}, "start must be a number > 0, got 0"),
    ({"end": 1e-8}, "end (1e-08) must be above start (1e-07)"),
    ({"steps": 2.5}, "steps must be a whole number in [10, 100000], got 2.5"),
    ({"smooth": 0.9, "diverge": 1}, "2 problems in the range test's options:\n  - smooth must be a number in [0, 0.5], "
                                    "got 0.9\n  - diverge must be a number > 1, got 1"),
    ({"stps": 10}, "lr_find takes no 'stps'; it takes start, end, steps, smooth, diverge"),
])
def test_bad_options_are_named(given, words):
    run = nbdl.Run(nbdl.Config(network=MOONS, data="moons"))
    with pytest.raises(nbdl.NbdlError) as caught:
        run.lr_find(**given)
    assert str(caught.value) == words


@pytest.mark.parametrize("lr, text", [(5e-3, "5e-3"), (0.06, "6e-2"), (0.1, "0.1"), (0.3, "0.3"), (2.0, "2"),
                                      (40.0, "40"), (3000.0, "3e3"), (1.04e-7, "1e-7")])
def test_rates_are_written_short(lr, text):
    assert short(lr) == text


# -- the one-cycle schedule -------------------------------------------------------------------------
def _one_cycle(epoch, epochs, top, warmup=0.3, div=25.0, final_div=1e4):
    """Smith's one cycle written out: half a cosine up from top/div to top by epoch warmup*epochs - 1,
    then half a cosine down to top/(div*final_div) at the last epoch."""
    peak, last = warmup * epochs - 1, epochs - 1
    cosine = lambda a, b, share: b + (a - b) * (1 + math.cos(math.pi * share)) / 2
    if epoch <= peak:
        return cosine(top / div, top, epoch / peak)
    return cosine(top, top / (div * final_div), min((epoch - peak) / (last - peak), 1.0))


def test_one_cycle_rises_then_falls_as_its_formula_and_torch_say():
    run = nbdl.train("input 2\ndense 8 relu\ndense 2 softmax", data="moons", epochs=20, lr=0.02, optimizer="sgd",
                     schedule="one_cycle")
    lrs = run.history["lr"]
    assert lrs == pytest.approx([_one_cycle(e, 20, 0.02) for e in range(20)], rel=1e-12)
    top = int(np.argmax(lrs))
    assert top == 5 and lrs[top] == pytest.approx(0.02)  # the peak at epoch 0.3 * 20 - 1
    assert all(np.diff(lrs[:top + 1]) > 0) and all(np.diff(lrs[top:]) < 0)
    assert lrs[0] == pytest.approx(0.02 / 25) and lrs[-1] < 0.02 / 25
    # the same rates as torch's own OneCycleLR over as many steps as epochs
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.02)
    reference = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.02, total_steps=20, cycle_momentum=False)
    expected = []
    for _ in range(20):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        reference.step()
    assert lrs == pytest.approx(expected, rel=1e-12)
    run.fit(3)  # a fit that goes on stays at the last rate (torch's would raise)
    assert run.history["lr"][-3:] == pytest.approx([0.02 / 25e4] * 3, rel=1e-9)


def test_one_cycle_options_give_the_top_as_a_multiple_or_absolute():
    net = "input 2\ndense 8 relu\ndense 2 softmax"
    scaled = nbdl.train(net, data="moons", epochs=10, lr=0.01, schedule="onecycle(3, 0.5, 10)")
    assert max(scaled.history["lr"]) == pytest.approx(0.03) and np.argmax(scaled.history["lr"]) == 4
    assert scaled.history["lr"] == pytest.approx([_one_cycle(e, 10, 0.03, 0.5, 10) for e in range(10)], rel=1e-12)
    absolute = nbdl.train(net, data="moons", epochs=10, lr=0.01, schedule="one_cycle(max_lr=0.2, final_div=100)")
    assert absolute.history["lr"] == pytest.approx([_one_cycle(e, 10, 0.2, final_div=100) for e in range(10)],
                                                   rel=1e-12)
    with pytest.raises(nbdl.NbdlError, match=r"schedule 'one_cycle\(warmup=1\)': warmup must be a number in \[0, 1\)"):
        nbdl.Config(network=net, data="moons", schedule="one_cycle(warmup=1)").validate()
