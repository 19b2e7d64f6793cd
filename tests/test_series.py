"""Tests for grucourse.data.series: offline loaders, splits, windows, scaling, baselines, metrics."""

from grucourse.data import series as S

import numpy as np
import pytest


def test_loaders_are_offline_and_have_expected_shapes(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    sun = S.load_sunspots()
    assert len(sun) == 309 and sun.index[0] == 1700 and sun.index[-1] == 2008
    co2 = S.load_co2()
    assert len(co2) == 2284 and not co2.isna().any()
    w = S.load_seattle_weather()
    assert w.shape == (1461, 5) and {"temp_max", "temp_min", "precipitation", "wind"} <= set(w.columns)


def test_time_split_keeps_order_and_sizes():
    x = np.arange(100.0)
    tr, va, te = S.time_split(x, 0.7, 0.15)
    assert (len(tr), len(va), len(te)) == (70, 15, 15)
    np.testing.assert_array_equal(np.concatenate([tr, va, te]), x)


def test_make_windows_matches_a_loop():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 3))
    X, y = S.make_windows(x, window=5, horizon=2, target=1)
    assert X.shape == (24, 5, 3) and y.shape == (24,)
    for i in range(24):  # independent: explicit loop over start times
        np.testing.assert_array_equal(X[i], x[i : i + 5])
        assert y[i] == x[i + 5 + 2 - 1, 1]


def test_make_windows_1d_gets_a_feature_axis():
    X, y = S.make_windows(np.arange(10.0), window=3)
    assert X.shape == (7, 3, 1)
    np.testing.assert_array_equal(y, np.arange(3.0, 10.0))


@pytest.mark.parametrize(
    "series, window, horizon, err, msg",
    [
        (np.arange(5.0), 5, 1, ValueError, "too short"),
        (np.array([1.0, np.nan, 3.0, 4.0, 5.0]), 2, 1, ValueError, "NaN"),
        (np.array([]), 2, 1, ValueError, "empty"),
        (np.arange(10.0), 0, 1, ValueError, "window must be >= 1"),
        (np.arange(10.0), 2.5, 1, TypeError, "window must be an integer"),
        (["a", "b", "c"], 1, 1, TypeError, "numbers"),
        (np.zeros((4, 2, 2)), 1, 1, ValueError, "1-D"),
    ],
)
def test_make_windows_bad_input(series, window, horizon, err, msg):
    with pytest.raises(err, match=msg):
        S.make_windows(series, window, horizon)


def test_split_windows_assigns_by_target_time():
    x = np.arange(100.0)
    parts = S.split_windows(x, window=4, horizon=1)
    (_, _, ttr), (_, _, tva), (Xte, yte, tte) = parts["train"], parts["val"], parts["test"]
    assert ttr.max() < 70 <= tva.min() and tva.max() < 85 <= tte.min()
    np.testing.assert_array_equal(yte, x[tte])
    np.testing.assert_array_equal(Xte[0, :, 0], x[tte[0] - 4 : tte[0]])  # looks back into validation


def test_scaler_uses_train_statistics_only():
    tr = np.array([1.0, 2.0, 3.0])
    sc = S.fit_scaler(tr)
    np.testing.assert_allclose(sc.transform(np.array([2.0, 100.0])), [0.0, 98.0 / np.std(tr)])
    np.testing.assert_allclose(sc.inverse(sc.transform(np.array([5.0, 7.0]))), [5.0, 7.0])
    with pytest.raises(ValueError, match="constant"):
        S.fit_scaler(np.ones(5))


def test_naive_baselines():
    x = np.arange(20.0) % 5  # period 5
    X, y = S.make_windows(x, window=6, horizon=1)
    np.testing.assert_array_equal(S.persistence_forecast(X), X[:, -1, 0])
    np.testing.assert_array_equal(S.seasonal_naive_forecast(X, season=5), y)  # exact on a periodic series
    with pytest.raises(ValueError, match="season"):
        S.seasonal_naive_forecast(X, season=7)


def test_linear_ar_recovers_known_coefficients():
    rng = np.random.default_rng(1)
    x = np.zeros(3000)
    x[:2] = rng.standard_normal(2)
    eps = rng.standard_normal(3000)
    for t in range(2, 3000):  # AR(2) with intercept 0.5
        x[t] = 0.5 + 0.6 * x[t - 1] - 0.3 * x[t - 2] + eps[t]
    X, y = S.make_windows(x, window=2)
    coef = S.fit_linear_ar(X, y)
    np.testing.assert_allclose(coef, [-0.3, 0.6, 0.5], atol=0.06)  # [w_{t-1}, w_t, b]
    np.testing.assert_allclose(S.predict_linear_ar(coef, X), X[:, :, 0] @ coef[:2] + coef[2])
    ridge = S.fit_linear_ar(X, y, ridge=1e6)
    assert np.abs(ridge[:2]).max() < 0.01  # heavy ridge shrinks the weights, not the intercept
    with pytest.raises(ValueError, match="shape"):
        S.fit_linear_ar(X, y[:-1])


def test_metrics_against_hand_values():
    assert S.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert S.rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(np.sqrt(5 / 3))
    with pytest.raises(ValueError, match="empty"):
        S.mae([], [])
    with pytest.raises(ValueError, match="NaN"):
        S.rmse([1.0, np.nan], [1.0, 2.0])
