"""Tests for grucourse.core.logistic: the numpy logistic-regression baseline and scores."""

from grucourse.core import logistic as L

import numpy as np
import pytest


def test_separable_classes_are_learned():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [4, 0], [0, 4]])
    y = rng.integers(0, 3, 300)
    X = centres[y] + 0.5 * rng.standard_normal((300, 2))
    model = L.fit_logistic(X, y)
    assert L.accuracy(y, model.predict(X)) > 0.97
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_gradient_matches_finite_differences():
    # The fitted optimum has (near) zero gradient: compare the loss around it by finite differences.
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 3))
    y = (X[:, 0] + 0.3 * rng.standard_normal(50) > 0).astype(int)
    m = L.fit_logistic(X, y, l2=0.1)
    Z = (X - m.mean) / m.std

    def loss(W, b):
        logits = Z @ W + b
        logits = logits - logits.max(1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        return -logp[np.arange(50), y].mean() + 0.05 * (W**2).sum()

    base = loss(m.W, m.b)
    for i in range(3):
        for s in (1e-3, -1e-3):
            W = m.W.copy()
            W[i, 0] += s
            assert loss(W, m.b) >= base - 1e-8


def test_confusion_matrix_and_accuracy():
    C = L.confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], 3)
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [0, 0, 1]])
    assert L.accuracy([0, 1], [0, 0]) == 0.5


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        L.fit_logistic(np.zeros(5), np.zeros(5, int))
    with pytest.raises(TypeError, match="integers"):
        L.fit_logistic(np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="NaN"):
        L.fit_logistic(np.array([[np.nan], [1.0]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="empty"):
        L.accuracy([], [])
