"""Shared fixtures: small data sets that make tests quick and deterministic."""
import numpy as np
import pytest


@pytest.fixture
def blobs_xy():
    """120 samples, 4 features, 3 well-separated classes."""
    rng = np.random.default_rng(0)
    y = np.arange(120) % 3
    X = rng.normal(0, 1, (120, 4)) + 3 * np.eye(3, 4)[y]
    return X.astype(np.float32), y
