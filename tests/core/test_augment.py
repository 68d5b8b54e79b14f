"""Data augmentation: what each transform does, training batches only, seeded, and that it helps."""
import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import augment
from nbdl.core.diagnostics import augmented_samples
from nbdl.plots.render import figure_png
from nbdl.plots.vision import augmented_figure

IMAGES = torch.randn(64, 1, 8, 8)


def _apply(spec, x=IMAGES, seed=0):
    return augment.Augmenter(spec, tuple(x.shape[1:]), seed, torch.device("cpu"))(x)


def test_flip_mirrors_about_half_of_the_images():
    out = _apply("flip")
    mirrored = [torch.equal(o, x.flip(-1)) for o, x in zip(out, IMAGES)]
    kept = [torch.equal(o, x) for o, x in zip(out, IMAGES)]
    assert all(m or k for m, k in zip(mirrored, kept))
    assert 16 <= sum(mirrored) <= 48


def test_no_rotation_and_no_shift_change_nothing():
    torch.testing.assert_close(_apply("rotate(0),shift(0)"), IMAGES, atol=1e-5, rtol=0)


def test_rotation_and_shift_move_the_pixels_but_keep_the_shape():
    out = _apply("rotate(20),shift(1)")
    assert out.shape == IMAGES.shape
    assert (out - IMAGES).abs().mean() > 0.1


def test_noise_has_the_given_spread_and_works_on_vectors_too():
    x = torch.zeros(2000, 5)
    assert _apply("noise(0.3)", x).std().item() == pytest.approx(0.3, rel=0.05)


def test_the_same_seed_draws_the_same_augmentation():
    assert torch.equal(_apply("rotate(10),noise(0.1)", seed=3), _apply("rotate(10),noise(0.1)", seed=3))
    assert not torch.equal(_apply("rotate(10),noise(0.1)", seed=3), _apply("rotate(10),noise(0.1)", seed=4))


@pytest.mark.parametrize("spec, message", [
    ("flip", r"augment 'flip' works on images, but the samples have shape 2; for vectors use 'noise\(0.1\)'"),
    ("twist", r"unknown augmentation 'twist'; choose one of: flip, noise, rotate, shift, vflip"),
    ("noise(-1)", r"augmentation 'noise\(-1\)': std must be a number in \[0, 100\], got -1"),
])
def test_bad_augmentations_are_named(spec, message):
    with pytest.raises(nbdl.NbdlError, match=message):
        nbdl.train("input 2\ndense 2 softmax", data="moons", augment=spec, epochs=1)


def test_augmentation_touches_training_batches_only_and_reproduces():
    config = nbdl.Config(network="input 1x8x8\nflatten\ndense 10 softmax", data="digits_images",
                         augment="rotate(10),noise(0.2)", epochs=2, seed=1)
    a, b = nbdl.Run(config), nbdl.Run(config)
    val_before = a.data.val.X.clone()
    a.fit(), b.fit()
    assert torch.equal(a.data.val.X, val_before)
    assert a.evaluate("val") == a.evaluate("val")
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    plain = nbdl.train(config.network, data="digits_images", epochs=2, seed=1)
    assert not all(torch.equal(p, q) for p, q in zip(a.model.parameters(), plain.model.parameters()))


@pytest.mark.slow
def test_augmentation_raises_validation_accuracy_on_200_training_digits():
    cnn = ("input 1x8x8\nconv 16 3 relu padding=1\nmaxpool 2\nconv 32 3 relu padding=1\nmaxpool 2\nflatten\n"
           "dense 64 relu\ndense 10 softmax")

    def late_val_accuracy(augmentation):
        scores = []
        for seed in range(3):
            run = nbdl.train(cnn, data="digits_images", data_options={"n": 600}, val_split=0.5, test_split=0.166,
                             epochs=60, lr=3e-3, augment=augmentation, seed=seed)
            assert run.split_sizes["train"] < 210
            scores.append(np.mean(run.history["val_acc"][-10:]))
        return np.mean(scores)

    assert late_val_accuracy("rotate(12),shift(1)") > late_val_accuracy(None) + 0.005


def test_a_picture_of_augmented_samples():
    run = nbdl.Run(nbdl.Config(network="input 1x8x8\nflatten\ndense 10 softmax", data="digits_images",
                               augment="rotate(15),shift(1)"))
    originals, versions = augmented_samples(run, count=6, draws=2)
    assert originals.shape == (6, 1, 8, 8) and len(versions) == 2
    np.testing.assert_allclose(originals, run.data.raw("train")[0][:6], rtol=1e-5)  # in the data's own units
    assert originals.max() > 10  # digits' own scale (0..16), not standardized
    figure = augmented_figure(originals, versions)
    assert len(figure.axes) == 18 and figure_png(figure).startswith(b"\x89PNG")
