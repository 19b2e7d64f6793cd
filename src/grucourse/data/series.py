"""Real time series that ship inside pip packages, time-ordered splits, sliding windows,
scaling fitted on the training part only, the baselines a forecaster must beat, and metrics.

Nothing here downloads: sunspots and co2 are CSV files inside statsmodels, seattle-weather is a
CSV file inside vega_datasets (read with ``local_data``, never ``vega_datasets.data``).

NaN policy: the loaders fill the gaps that a dataset is known to have (co2 has 59 missing weeks,
filled by linear interpolation in time, and say so in their docstring); every other function
refuses NaN or infinity with a ``ValueError`` that says where the first bad value is.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from grucourse.validate import as_float_array, check_finite

import numpy as np

# ---------------------------------------------------------------- loading (offline)


def load_sunspots():
    """Yearly mean sunspot number, 1700-2008 (309 values), as a ``pandas.Series`` indexed by
    year."""
    import pandas as pd
    import statsmodels.api as sm

    df = sm.datasets.sunspots.load_pandas().data  # (309, 2): YEAR, SUNACTIVITY
    return pd.Series(df["SUNACTIVITY"].to_numpy(float), index=df["YEAR"].astype(int).to_numpy(),
                     name="sunspots")


def load_co2():
    """Weekly atmospheric CO2 at Mauna Loa (ppm), 1958-03-29 to 2001-12-29 (2284 weeks).

    The raw file has 59 missing weeks; they are filled by linear interpolation in time,
    so the returned series has no NaN.
    """
    co2 = importlib.import_module("statsmodels.datasets.co2")
    s = co2.load_pandas().data["co2"]  # (2284,) with 59 NaN
    return s.interpolate(method="time").rename("co2")


def load_seattle_weather():
    """Daily Seattle weather 2012-2015 (1461 rows) from the CSV inside vega_datasets.

    Columns: ``precipitation`` (mm), ``temp_max`` and ``temp_min`` (degrees C), ``wind`` (m/s),
    ``weather`` (a label); indexed by date. The file has no missing values.
    """
    from vega_datasets import local_data

    df = local_data("seattle-weather")  # reads the packaged CSV, no network
    return df.set_index("date")


# ---------------------------------------------------------------- checks


def _check_series(series, name: str = "series") -> np.ndarray:
    """Return ``series`` as a finite float array of shape (T,) or (T, d)."""
    if hasattr(series, "to_numpy"):  # pandas Series / DataFrame
        series = series.to_numpy()
    x = as_float_array(series, name)
    if x.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (T,) or 2-D (T, features), got shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    # NaN: fill them first (e.g. pandas .interpolate()), see the module docstring
    check_finite(x, name)
    return x


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


# ---------------------------------------------------------------- split, scale, windows


def time_split(series, train: float = 0.7, val: float = 0.15):
    """Split along time into (train, validation, test), in this order, without shuffling.

    The first ``round(train*T)`` steps train, the next ``round(val*T)`` validate, the rest test.
    """
    x = _check_series(series)
    if not (0 < train < 1 and 0 < val < 1 and train + val < 1):
        raise ValueError(f"need 0 < train, val and train + val < 1, got train={train}, val={val}")
    n = x.shape[0]
    n_train, n_val = int(round(train * n)), int(round(val * n))
    if n_train < 1 or n_val < 1 or n - n_train - n_val < 1:
        raise ValueError(f"series of length {n} is too short to split into three non-empty parts")
    return x[:n_train], x[n_train : n_train + n_val], x[n_train + n_val :]


@dataclass(frozen=True)
class Scaler:
    """Standardisation ``(x - mean) / std`` with statistics from the training part only."""

    mean: np.ndarray
    std: np.ndarray

    def transform(self, x):
        return (_check_series(x, "x") - self.mean) / self.std  # (T,) or (T, d)

    def inverse(self, x_scaled):
        return as_float_array(x_scaled, "x_scaled") * self.std + self.mean


def fit_scaler(train) -> Scaler:
    """Fit a :class:`Scaler` on ``train`` (never on validation or test data: that would leak)."""
    x = _check_series(train, "train")
    if x.shape[0] < 2:
        raise ValueError("train needs at least 2 time steps to estimate a standard deviation")
    std = x.std(axis=0)  # (d,) or ()
    if np.any(std == 0):
        raise ValueError("train has a constant column (standard deviation 0); it cannot be scaled")
    return Scaler(mean=x.mean(axis=0), std=std)


def make_windows(series, window: int, horizon: int = 1, target: int = 0):
    """Cut a series into supervised pairs: inputs ``x[t-window+1 .. t]`` and target
    ``x[t+horizon]``.

    ``series`` has shape (T,) or (T, d). Returns ``X`` of shape (n, window, d) (d=1 for a 1-D
    series) and ``y`` of shape (n,), the column ``target`` ``horizon`` steps after each window,
    with ``n = T - window - horizon + 1`` windows, in time order.
    """
    x = _check_series(series)
    window = _check_positive_int(window, "window")
    horizon = _check_positive_int(horizon, "horizon")
    if x.ndim == 1:
        x = x[:, None]  # (T, 1)
    T, d = x.shape
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < d:
        raise ValueError(f"target must be a column index in [0, {d}), got {target!r}")
    n = T - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"series of length {T} is too short for window={window} and horizon={horizon}: "
            f"it needs at least window + horizon = {window + horizon} steps"
        )
    idx = np.arange(n)[:, None] + np.arange(window)[None, :]  # (n, window)
    X = x[idx]  # (n, window, d)
    y = x[window + horizon - 1 : window + horizon - 1 + n, target]  # (n,)
    return X, y


def split_windows(series, window: int, horizon: int = 1, train: float = 0.7, val: float = 0.15,
                  target: int = 0):
    """Windows of the whole series, assigned to train / validation / test by the time of their
    TARGET.

    The split points are those of :func:`time_split`. A test window may look back into validation
    data (that past is known when forecasting), but no target is ever used in two parts.
    Returns ``{"train": (X, y, t), "val": (X, y, t), "test": (X, y, t)}`` where ``t`` holds the
    index in ``series`` of each target (to plot against dates).
    """
    x = _check_series(series)
    part_train, part_val, _ = time_split(x, train, val)
    X, y = make_windows(x, window, horizon, target)  # (n, window, d), (n,)
    t = np.arange(y.shape[0]) + window + horizon - 1  # (n,) index of each target
    bounds = {"train": (0, len(part_train)),
              "val": (len(part_train), len(part_train) + len(part_val))}
    bounds["test"] = (bounds["val"][1], x.shape[0])
    out = {}
    for name, (lo, hi) in bounds.items():
        keep = (t >= lo) & (t < hi)  # (n,)
        if not keep.any():
            raise ValueError(f"no window has its target in the {name} part; "
                             "use a shorter window or a longer series")
        out[name] = (X[keep], y[keep], t[keep])
    return out


# ---------------------------------------------------------------- baselines


def _check_windows(X, name: str = "X") -> np.ndarray:
    X = as_float_array(X, name)
    if X.ndim == 2:
        X = X[:, :, None]  # (n, window) -> (n, window, 1)
    if X.ndim != 3 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be windows of shape (n, window, features) "
                         f"with n, window >= 1, got {X.shape}")
    check_finite(X, name)
    return X


def persistence_forecast(X, target: int = 0) -> np.ndarray:
    """Naive forecast: tomorrow equals today, ``y_hat = x_t`` (the window's last value).
    Shape (n,)."""
    X = _check_windows(X)
    return X[:, -1, target].copy()  # (n,)


def seasonal_naive_forecast(X, season: int, horizon: int = 1, target: int = 0) -> np.ndarray:
    """Seasonal naive forecast: ``y_hat = x_{t+horizon-season}``, the value one season before
    the target.

    Needs ``horizon <= season <= window + horizon - 1`` so that this value lies inside the window.
    """
    X = _check_windows(X)
    season = _check_positive_int(season, "season")
    horizon = _check_positive_int(horizon, "horizon")
    window = X.shape[1]
    pos = window - 1 + horizon - season  # index of x_{t+h-season} inside the window
    if season < horizon or pos < 0:
        raise ValueError(
            f"season={season} must lie in [horizon, window + horizon - 1] = "
            f"[{horizon}, {window + horizon - 1}]"
        )
    return X[:, pos, target].copy()  # (n,)


def _design(X) -> np.ndarray:
    X = _check_windows(X)
    flat = X.reshape(X.shape[0], -1)  # (n, window*d)
    return np.hstack([flat,
                      np.ones((X.shape[0], 1))])  # (n, window*d + 1): last column is the intercept


def fit_linear_ar(X, y, ridge: float = 0.0) -> np.ndarray:
    """Linear autoregression by least squares: ``y_hat = w . vec(window) + b``.

    Solves ``min ||A w - y||^2 + ridge ||w||^2`` (the intercept is not penalised) and returns
    the coefficients (window*d + 1,), intercept last.
    """
    A = _design(X)  # (n, p)
    y = as_float_array(y, "y")
    if y.ndim != 1 or y.shape[0] != A.shape[0]:
        raise ValueError(f"y must have shape ({A.shape[0]},) to match X, got {y.shape}")
    check_finite(y, "y")
    if ridge < 0:
        raise ValueError(f"ridge must be >= 0, got {ridge}")
    if ridge == 0:
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)  # (p,)
        return coef
    penalty = ridge * np.eye(A.shape[1])  # (p, p)
    penalty[-1, -1] = 0.0
    return np.linalg.solve(A.T @ A + penalty, A.T @ y)  # (p,)


def predict_linear_ar(coef, X) -> np.ndarray:
    """Apply coefficients from :func:`fit_linear_ar` to windows ``X``. Shape (n,)."""
    A = _design(X)  # (n, p)
    coef = as_float_array(coef, "coef")
    if coef.shape != (A.shape[1],):
        raise ValueError(f"coef has shape {coef.shape}, windows need ({A.shape[1]},)")
    return A @ coef  # (n,)


# ---------------------------------------------------------------- metrics


def _pair(y_true, y_pred):
    y_true = as_float_array(y_true, "y_true").ravel()
    y_pred = as_float_array(y_pred, "y_pred").ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_pred has {y_pred.size}")
    if y_true.size == 0:
        raise ValueError("cannot score empty predictions")
    check_finite(y_true, "y_true")
    check_finite(y_pred, "y_pred")
    return y_true, y_pred


def mae(y_true, y_pred) -> float:
    """Mean absolute error ``mean |y - y_hat|``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error ``sqrt(mean (y - y_hat)^2)``."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))
