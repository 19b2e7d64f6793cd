"""Tests for grucourse.training.early_stopping: early-stopping training and prediction with Keras."""

import numpy as np
import pytest

pytestmark = pytest.mark.keras


def test_fit_early_stopping_learns_and_restores_best():
    from grucourse.repro import seed_everything
    from grucourse.training.early_stopping import fit_early_stopping, predict

    seed_everything(0)
    import keras

    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 4, 1)).astype("float32")
    y = X[:, -1, 0]  # the last value: easy to learn
    m = keras.Sequential([keras.Input((4, 1)), keras.layers.GRU(4), keras.layers.Dense(1)])
    m.compile(keras.optimizers.Adam(0.02), "mse")
    info = fit_early_stopping(m, X[:96], y[:96], X[96:], y[96:], epochs=40, patience=3, seed=0)
    assert 1 <= info["best_epoch"] <= info["epochs"] <= 40
    val_mse = float(np.mean((predict(m, X[96:])[:, 0] - y[96:]) ** 2))
    assert val_mse == pytest.approx(info["val_loss"], rel=1e-3)  # the best weights were restored
    assert val_mse < 0.5 * np.var(y[96:])


def test_bad_input():
    from grucourse.training.early_stopping import fit_early_stopping

    with pytest.raises(ValueError, match="rows"):
        fit_early_stopping(None, np.zeros((4, 2, 1)), np.zeros(3), np.zeros((2, 2, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        fit_early_stopping(None, np.full((4, 2, 1), np.nan), np.zeros(4), np.zeros((2, 2, 1)), np.zeros(2))
