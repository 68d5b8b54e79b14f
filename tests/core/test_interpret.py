"""Interpreting classifiers: the confusion matrix against scikit-learn, per-class accuracy against a
hand count, the confidently wrong examples, saliency against plain autograd, integrated gradients'
completeness, and the refusals (regression, bad arguments, captum missing)."""
import io
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import confusion_matrix

import nbdl
from nbdl.core.interpret import EXTRA, Interpretation, Mistake, attributions, interpret, png

CNN = "conv 8 3 relu\nmaxpool 2\nflatten\ndense 10 softmax"


@pytest.fixture(scope="module")
def image_run():
    return nbdl.train(CNN, data="digits_images", epochs=2, lr=0.01, seed=0)


@pytest.fixture(scope="module")
def iris_run():
    return nbdl.train("input 4\ndense 8 relu\ndense 3 softmax", data="iris", epochs=5, lr=0.01, seed=0)


def _predictions(run, split):
    raw, true = run.data.raw(split)
    return run.predict(raw), true, run.predict_proba(raw)


@pytest.mark.parametrize("which, split", [("image_run", "test"), ("iris_run", "test"), ("iris_run", "val")])
def test_confusion_matrix_matches_sklearn_and_a_hand_count(which, split, request):
    run = request.getfixturevalue(which)
    found = run.interpret(split)
    predicted, true, _ = _predictions(run, split)
    k = run.dataset.n_classes
    np.testing.assert_array_equal(found.confusion, confusion_matrix(true, predicted, labels=list(range(k))))
    for c in range(k):
        mine = true == c
        assert found.per_class_count[c] == mine.sum()
        assert found.per_class_accuracy[c] == pytest.approx(sum(p == c for p in predicted[mine]) / mine.sum())
    assert found.accuracy == pytest.approx(run.evaluate(split)["accuracy"])
    assert found.class_names == [str(n) for n in (run.dataset.class_names or range(k))]
    assert found.wrong == (predicted != true).sum()


def test_mistakes_are_wrong_sorted_by_confidence_and_in_original_units(image_run):
    found = image_run.interpret("test", count=10)
    predicted, true, probabilities = _predictions(image_run, "test")
    assert found.wrong > 10 and len(found.mistakes) == 10
    confidences = [m.confidence for m in found.mistakes]
    assert confidences == sorted(confidences, reverse=True)
    wrong = np.flatnonzero(predicted != true)
    assert confidences[0] == pytest.approx(probabilities[wrong].max(axis=1).max(), abs=1e-6)
    assert confidences[-1] >= np.sort(probabilities[wrong].max(axis=1))[-10] - 1e-6  # no surer mistake left out
    for m in found.mistakes:
        assert m.true != m.predicted
        assert m.true == true[m.index] and m.predicted == predicted[m.index]
        assert m.confidence == pytest.approx(probabilities[m.index].max(), abs=1e-6)
        assert m.row == image_run.data.indices["test"][m.index]
        np.testing.assert_allclose(m.x, image_run.dataset.X[m.row], atol=1e-4)  # digits' own 0..16 values
    assert len(image_run.interpret(count=0).mistakes) == 0
    assert len(image_run.interpret(count=1000).mistakes) == found.wrong


def test_one_sigmoid_output_and_sequences_of_one_class_each():
    run = nbdl.train("input 2\ndense 8 relu\ndense 1 sigmoid", data="moons", epochs=3, lr=0.02, seed=1)
    found = run.interpret()
    predicted, true, _ = _predictions(run, "test")
    np.testing.assert_array_equal(found.confusion, confusion_matrix(true, predicted, labels=[0, 1]))
    assert all(m.confidence >= 0.5 for m in found.mistakes)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6, 1)).astype(np.float32)
    y = (X.sum(axis=(1, 2)) > 0).astype(int)
    sequences = nbdl.train("input seq 1\ngru 8\ndense 2 softmax", data=(X, y), epochs=2, seed=0)
    found = sequences.interpret()
    predicted, true, _ = _predictions(sequences, "test")
    np.testing.assert_array_equal(found.confusion, confusion_matrix(true, predicted, labels=[0, 1]))
    assert "shape 6 x 1" in found.mistakes_html() or not found.mistakes


def test_regression_and_bad_arguments_are_refused(iris_run):
    X = np.linspace(0, 1, 60, dtype=np.float32)[:, None]
    regression = nbdl.train("input 1\ndense 1", data=(X, 2 * X), epochs=1)
    with pytest.raises(nbdl.NbdlError, match="regression: measure it with run.evaluate"):
        regression.interpret()
    with pytest.raises(nbdl.NbdlError, match="classifier"):
        regression.attributions()
    with pytest.raises(nbdl.NbdlError, match=r"split must be one of: train, val, test, got 'tset'"):
        iris_run.interpret("tset")
    with pytest.raises(nbdl.NbdlError, match=r"count must be a whole number in \[0, 1000\], got -1"):
        iris_run.interpret(count=-1)
    with pytest.raises(nbdl.NbdlError, match="takes a run"):
        interpret("not a run")
    no_test = nbdl.train("input 4\ndense 3 softmax", data="iris", epochs=1, test_split=0)
    with pytest.raises(nbdl.NbdlError, match="the test split is empty"):
        no_test.interpret()
    with pytest.raises(nbdl.NbdlError, match=r"image classifiers .* shape \(4,\)"):
        iris_run.attributions()


def _scores(run, raw):
    """The logits of raw samples, written out by hand: standardize, then the network's blocks."""
    mean, std = (torch.as_tensor(v, device=run.device) for v in (run.data.mean, run.data.std))
    return run.model.logits((raw.to(run.device) - mean) / std).cpu()


def test_saliency_is_the_gradient_magnitude_from_plain_autograd(image_run):
    found = image_run.attributions("test", indices=[3, 0, 7], method="saliency")
    assert found.values.shape == found.inputs.shape == (3, 1, 8, 8)
    raw = torch.tensor(image_run.data.raw("test")[0][[3, 0, 7]], requires_grad=True)  # a leaf on the CPU
    np.testing.assert_allclose(found.inputs, raw.detach().numpy())
    image_run.model.eval()
    scores = _scores(image_run, raw)
    image_run.model.train()
    predicted = scores.argmax(dim=1)
    np.testing.assert_array_equal(found.target, predicted.numpy())
    scores.gather(1, predicted[:, None]).sum().backward()
    np.testing.assert_allclose(found.values, raw.grad.abs().numpy(), rtol=1e-5, atol=1e-7)
    assert (found.values > 0).any()
    true = image_run.attributions(indices=[3, 0, 7], target="true")
    np.testing.assert_array_equal(true.target, image_run.data.test.y[[3, 0, 7]].cpu().numpy())
    assert set(image_run.attributions(indices=[1, 2], target=4).target) == {4}


def test_integrated_gradients_are_complete(image_run):
    found = image_run.attributions(indices=list(range(6)), method="integrated_gradients")
    raw = torch.tensor(found.inputs)
    with torch.no_grad():
        image_run.model.eval()
        rise = (_scores(image_run, raw) - _scores(image_run, torch.zeros_like(raw)))
        image_run.model.train()
    rise = rise[torch.arange(6), torch.as_tensor(found.target)].numpy()
    sums = found.values.reshape(6, -1).sum(axis=1)
    np.testing.assert_allclose(sums, rise, atol=0.05 * np.abs(rise).max())
    assert np.abs(found.delta).max() < 0.05 * np.abs(rise).max()
    np.testing.assert_allclose(found.delta, sums - rise, atol=1e-4)
    assert not np.allclose(found.values, image_run.attributions(indices=list(range(6))).values)


def test_attributions_leave_the_model_as_it_was(image_run):
    image_run.model.train()
    before = [p.detach().clone() for p in image_run.model.parameters()]
    for p in image_run.model.parameters():
        p.grad = None
    image_run.attributions(indices=[0], method="integrated_gradients")
    assert image_run.model.training
    assert all(p.grad is None for p in image_run.model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, image_run.model.parameters()))


def test_bad_indices_and_targets_are_named(image_run):
    size = len(image_run.data.test)
    with pytest.raises(nbdl.NbdlError, match=rf"an index of the test split \({size} samples\) must be a whole number "
                                             rf"in \[0, {size - 1}\], got {size}"):
        image_run.attributions(indices=[0, size])
    with pytest.raises(nbdl.NbdlError, match="indices must name between 1 and 256 samples"):
        image_run.attributions(indices=[])
    with pytest.raises(nbdl.NbdlError, match="target .* must be a whole number in \\[0, 9\\], got 10"):
        image_run.attributions(indices=[0], target=10)
    with pytest.raises(nbdl.NbdlError, match="method must be one of: saliency, integrated_gradients, got 'grad'"):
        image_run.attributions(method="grad")


def test_missing_captum_names_the_extra(image_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "captum", None)
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(nbdl.NbdlError) as caught:
        attributions(image_run)
    assert EXTRA in str(caught.value) and "pip install 'nbdl[interpret]'" in str(caught.value)


def test_html_shows_the_counts_and_escapes_names(image_run):
    html = image_run.interpret()._repr_html_()
    found = image_run.interpret()
    assert f"{found.accuracy:.1%}" in html and "data:image/png;base64," in html
    mistake = Mistake(0, 5, 1, 0, 0.75, np.arange(3, dtype=np.float32))
    made = Interpretation("val", ["<b>cat</b>", "dog & co"], np.array([[3, 0], [1, 2]]), np.array([1.0, 2 / 3]),
                          np.array([3, 3]), 5 / 6, [mistake], (3,), ["a<", "b", "c"])
    html = made._repr_html_()
    assert "&lt;b&gt;cat&lt;/b&gt;" in html and "dog &amp; co" in html and "<b>cat</b>" not in html
    assert "a&lt;" in html and "75.0%" in html and "66.7%" in html and "5 of 6 correct" in html
    assert repr(made) == "Interpretation(val: accuracy 0.8333 on 6 samples, 1 wrong, 2 classes)"


def test_png_thumbnails_decode_to_the_image():
    image = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    decoded = np.asarray(Image.open(io.BytesIO(png(image))))
    np.testing.assert_array_equal(decoded, 255 - np.round(255 * image[0] / 11).astype(np.uint8))
    colour = np.random.default_rng(0).uniform(size=(3, 5, 2))
    decoded = np.asarray(Image.open(io.BytesIO(png(colour))))
    assert decoded.shape == (5, 2, 3)
    scaled = (colour - colour.min()) / (colour.max() - colour.min())
    np.testing.assert_allclose(decoded, np.round(255 * scaled.transpose(1, 2, 0)), atol=1)


def test_mistakes_of_a_run_on_input_features_are_listed_by_the_plane_they_lie_in():
    run = nbdl.train("input 5\ndense 8 relu\ndense 2 softmax", "circles", epochs=2,
                     data_options={"features": "x1,x2,x1^2,x2^2,sin(x1)"})
    found = run.interpret()
    assert found.feature_names == ["x1", "x2"] and all(len(m.x) == 2 for m in found.mistakes)
