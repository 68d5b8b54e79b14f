"""Adversarial examples: FGSM and PGD against a hand-written reference, Goodfellow et al. (2014) in
small (FGSM breaks a digits classifier; adversarial training makes it robust), the run left as it
was, and the runs an attack does not fit refused."""
import numpy as np
import pytest
import torch

import nbdl
from nbdl.core.adversarial import attack, attacks, epsilons

MLP = "input 64\ndense 64 relu\ndense 10 softmax"
CNN = "input 1x8x8\nconv 8 3 relu padding=same\nmaxpool 2\nflatten\ndense 10 softmax"
EPS = [0.5, 1, 2, 3, 4, 6]


@pytest.fixture(scope="module")
def run():
    return nbdl.train(MLP, "digits", epochs=10, seed=0)


@pytest.fixture(scope="module")
def fgsm(run):
    return attack(run, "fgsm", eps=EPS)


def raw_fgsm(run, X_raw, y, eps, low=0.0, high=16.0):
    """FGSM written out in the data's units: the network sees (x - mean) / std; the step is
    eps * sign(d loss / d x) on the raw pixels, clipped to 0-16."""
    device = run.device  # the run's own (CUDA where there is one)
    mean, std = (torch.as_tensor(a, device=device) for a in (run.data.mean, run.data.std))
    x = torch.as_tensor(X_raw, dtype=torch.float32, device=device).clone().requires_grad_(True)
    run.model.eval()
    loss = torch.nn.functional.cross_entropy(run.model.logits((x - mean) / std), torch.as_tensor(y, device=device),
                                             reduction="sum")
    grad, = torch.autograd.grad(loss, x)
    run.model.train()
    return (x + eps * grad.sign()).clamp(low, high).detach().cpu().numpy()


def test_fgsm_matches_the_step_written_in_raw_units(run, fgsm):
    X_raw, y = run.data.raw("test")
    for e in (1, 4):
        reference = raw_fgsm(run, X_raw, y, e)
        k = list(fgsm.eps).index(e)
        np.testing.assert_allclose(fgsm.perturbed[k], reference[fgsm.indices], atol=1e-4)
        predicted = run.predict(reference)
        assert fgsm.accuracy[k] == pytest.approx(np.mean(predicted == y), abs=1 / len(y) + 1e-9)
        np.testing.assert_array_equal(fgsm.predicted[k], predicted[fgsm.indices])
    # Every pixel moved by eps exactly, unless the 0-16 range stopped it.
    change = np.abs(fgsm.perturbation[list(fgsm.eps).index(1)])
    assert change.max() == pytest.approx(1, abs=1e-4)
    clean = fgsm.clean
    stopped = ((clean <= 1e-4) | (clean >= 16 - 1e-4))
    assert np.allclose(change[~stopped], 1, atol=1e-4)


def test_fgsm_breaks_a_digits_classifier_as_epsilon_grows(fgsm):
    """Goodfellow et al. 2014 in small; measured: 0.933 clean, 0.51 at eps 0.5 (of 16), 0.19 at 1,
    0.095 at 2, 0.07 at 4."""
    accuracy = fgsm.by_eps()
    assert fgsm.eps[0] == 0 and accuracy[0] > 0.9
    assert np.all(np.diff(fgsm.accuracy) <= 0.02)  # falls with epsilon, within noise
    assert accuracy[1] < 0.4 and accuracy[2] < 0.2
    assert "fgsm on the test split" in repr(fgsm)


def test_pgd_stays_in_the_ball_and_beats_fgsm(run, fgsm):
    pgd = attack(run, "pgd", eps=EPS[:4], steps=10)
    for k, e in enumerate(pgd.eps):
        assert np.abs(pgd.perturbation[k]).max() <= e + 1e-4
        assert pgd.perturbed[k].min() >= -1e-4 and pgd.perturbed[k].max() <= 16 + 1e-4
        assert pgd.accuracy[k] <= fgsm.by_eps()[e] + 0.02
    assert pgd.by_eps()[2] < 0.05  # measured 0.003
    again = attack(run, "pgd", eps=EPS[:4], steps=10)  # the random start is drawn with the run's seed
    np.testing.assert_array_equal(again.accuracy, pgd.accuracy)


def test_an_attack_leaves_the_run_as_it_was(run):
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    generators = run.generator.get_state().clone(), run.shuffle.get_state().clone()
    grads = [None if p.grad is None else p.grad.clone() for p in run.params]
    history = {k: list(v) for k, v in run.history.items()}
    for mode in (True, False):
        run.model.train(mode)
        attack(run, "pgd", eps=[1], steps=3)
        assert run.model.training is mode
    for k, v in run.model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert torch.equal(run.generator.get_state(), generators[0]) and torch.equal(run.shuffle.get_state(), generators[1])
    for p, g in zip(run.params, grads):
        assert (p.grad is None and g is None) or torch.equal(p.grad, g)
    assert {k: list(v) for k, v in run.history.items()} == history


def test_adversarial_training_makes_the_classifier_robust(run, fgsm):
    """Measured: clean test accuracy 0.933 -> 0.914, under FGSM at eps 2: 0.095 -> 0.705."""
    robust = nbdl.train(MLP, "digits", epochs=10, seed=0, adversarial="fgsm(2)")
    history = robust.history
    assert len(history["val_robust_acc"]) == len(history["val_acc"]) == 10
    assert history["val_robust_acc"][-1] > history["val_robust_acc"][0] + 0.3  # measured 0.145 -> 0.727
    assert all(r <= c + 0.02 for r, c in zip(history["val_robust_acc"], history["val_acc"]))
    after = attack(robust, "fgsm", eps=EPS)
    assert after.by_eps()[2] > fgsm.by_eps()[2] + 0.4
    assert after.by_eps()[0] > fgsm.by_eps()[0] - 0.05
    assert np.all(after.accuracy[1:] > fgsm.accuracy[1:])


def test_half_of_each_training_batch_is_perturbed():
    run = nbdl.Run(nbdl.Config(network=MLP, data="digits", epochs=1, seed=0, adversarial="fgsm(2)", batch_size=8))
    change, = run.batch_changes
    X, y = run.data.train.X[:8], run.data.train.y[:8]
    mixed, targets = change(X, y)
    assert torch.equal(targets, y) and torch.equal(mixed[:4], X[:4])
    raw_change = ((mixed[4:] - X[4:]) * torch.as_tensor(run.data.std, device=X.device)).abs()
    assert raw_change.max().item() == pytest.approx(2, abs=1e-4)
    pgd = nbdl.Run(nbdl.Config(network=MLP, data="digits", epochs=1, seed=0, adversarial="pgd(1, 3)"))
    assert pgd.batch_changes[0].attack.steps == 3 and pgd.batch_changes[0].attack.random_start


def test_a_conv_classifier_is_attacked_in_pixels():
    run = nbdl.train(CNN, "digits_images", epochs=4, seed=0)
    found = attack(run, "fgsm", eps=[2], count=4)
    assert found.images and found.perturbed.shape == (2, 4, 1, 8, 8) and found.predicted.shape == (2, 4)
    assert np.abs(found.perturbation[1]).max() == pytest.approx(2, abs=1e-4)
    assert found.accuracy[1] < found.accuracy[0] - 0.2


def test_epsilon_is_in_the_data_units_whether_standardized_or_not():
    run = nbdl.train(MLP, "digits", epochs=2, seed=0, standardize=False)
    found = attack(run, "fgsm", eps="0.5", count=3)
    assert list(found.eps) == [0, 0.5]
    assert np.abs(found.perturbation[1]).max() == pytest.approx(0.5, abs=1e-5)
    assert epsilons(run, None) == pytest.approx([0, 0.8, 1.6, 2.4, 3.2, 4.8])  # shares of the range 0-16


@pytest.mark.parametrize("network, data, options, words", [
    ("input 10\ndense 1", "diabetes", {}, "needs a classifier; this run does regression"),
    ("input tokens\nembedding 54 8\nlstm 8 sequences\ndense 54 softmax", "text", {"n": 20, "chars": 2000},
     "token codes"),
    ("input 3\ndense 2 softmax", "moons", {"features": "x1,x2,x1^2"}, "features"),
])
def test_runs_an_attack_does_not_fit_are_refused(network, data, options, words):
    run = nbdl.Run(nbdl.Config(network=network, data=data, data_options=options, epochs=1))
    with pytest.raises(nbdl.NbdlError, match=words):
        attack(run, eps=[0.1])
    with pytest.raises(nbdl.NbdlError, match="adversarial training .*" + words):
        nbdl.Run(nbdl.Config(network=network, data=data, data_options=options, epochs=1, adversarial="fgsm(0.1)"))


def test_sequences_are_refused():
    X = np.random.default_rng(0).normal(size=(40, 5, 2)).astype(np.float32)
    y = np.arange(40) % 2
    run = nbdl.Run(nbdl.Config(network="input seq 2\ngru 4\ndense 2 softmax", data=(X, y), epochs=1))
    with pytest.raises(nbdl.NbdlError, match="sequences"):
        attack(run, eps=[0.1])


@pytest.mark.parametrize("text, words", [
    ("fgsm", "needs its epsilon"), ("pgd(steps=3)", "needs its epsilon"), ("fgsm(0)", "eps must be a number > 0"),
    ("fgsm(1, 2)", "at most 1 number"), ("pgd(1, 0)", "steps must be a whole number"), ("fgm(1)", "unknown attack"),
])
def test_bad_attacks_are_named(text, words):
    with pytest.raises(nbdl.NbdlError, match=words):
        attacks.check(text)


def test_bad_arguments_are_named(run):
    for kwargs, words in [({"method": "deepfool"}, "method must be one of: fgsm, pgd"), ({"eps": [-1]}, "eps must be"),
                          ({"split": "dev"}, "split must be one of"), ({"eps": [1], "clip": (3, 1)}, "low < high")]:
        with pytest.raises(nbdl.NbdlError, match=words):
            attack(run, **kwargs)
    with pytest.raises(nbdl.NbdlError, match="a run from nbdl.train"):
        attack("run", eps=[1])
