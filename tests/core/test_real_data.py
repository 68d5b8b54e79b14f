"""Real data that scikit-learn ships: the networks a course would use reach good test accuracy."""
import pytest

import nbdl


@pytest.mark.slow
def test_mlp_on_digits_reaches_95_percent():
    run = nbdl.train("input 64\ndense 128 relu\ndense 128 relu\ndense 10 softmax", data="digits",
                     optimizer="adam", lr=1e-3, epochs=40, batch_size=32, seed=0)
    assert run.evaluate("test")["accuracy"] >= 0.95


@pytest.mark.slow
def test_mlp_on_breast_cancer_reaches_95_percent():
    run = nbdl.train("input 30\ndense 32 relu\ndropout 0.2\ndense 2 softmax", data="breast_cancer",
                     optimizer="adam", lr=1e-3, epochs=60, seed=0)
    assert run.evaluate("test")["accuracy"] >= 0.95


@pytest.mark.slow
def test_early_stopping_on_digits_keeps_a_good_model():
    run = nbdl.train("input 64\ndense 128 relu\ndense 10 softmax", data="digits", lr=3e-3, epochs=200,
                     early_stopping=5, seed=0)
    assert run.epoch < 200 and run.evaluate("test")["accuracy"] >= 0.95
