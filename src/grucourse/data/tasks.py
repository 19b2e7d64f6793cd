"""Generated sequence tasks with known answers: nothing is downloaded, everything is seeded.

Each generator takes an explicit ``rng`` (``np.random.default_rng(seed)``) and returns ``(X, y)``
with ``X`` of shape ``(n, T, features)`` in float32.
"""

from __future__ import annotations

from grucourse.validate import check_int, check_rng

import numpy as np


def delayed_recall(n: int, lag: int, rng: np.random.Generator, n_symbols: int = 4):
    """Remember the first symbol for ``lag`` steps of distracting symbols.

    ``X`` has shape ``(n, lag + 1, n_symbols + 1)``: every step holds a one-hot symbol
    (``n_symbols`` channels), and the last channel marks step 0, the one to remember.
    The label ``y`` (shape ``(n,)``, ints) is the symbol at step 0; chance accuracy is
    ``1 / n_symbols``. The answer is needed only after the last step, so a model must carry
    it across ``lag`` steps.
    """
    check_int(n, "n")
    check_int(lag, "lag")
    check_int(n_symbols, "n_symbols", 2)
    check_rng(rng)
    T = lag + 1
    symbols = rng.integers(0, n_symbols, size=(n, T))  # (n, T)
    X = np.zeros((n, T, n_symbols + 1), dtype=np.float32)  # (n, T, n_symbols + 1)
    np.put_along_axis(X, symbols[:, :, None], 1.0, axis=2)  # one-hot symbols
    X[:, 0, n_symbols] = 1.0  # marker: "remember this one"
    y = symbols[:, 0].astype(np.int64)  # (n,)
    return X, y


def adding_problem(n: int, T: int, rng: np.random.Generator):
    """The adding problem of Hochreiter & Schmidhuber (1997).

    ``X`` has shape ``(n, T, 2)``: channel 0 holds values uniform in [0, 1), channel 1
    marks exactly two steps, one in each half of the sequence. ``y`` (shape ``(n,)``)
    is the sum of the two marked values. Predicting the mean (1.0) gives a mean squared
    error of 1/6 ≈ 0.167, the baseline to beat.
    """
    check_int(n, "n")
    check_int(T, "T", 2)
    check_rng(rng)
    values = rng.random((n, T)).astype(np.float32)  # (n, T)
    half = T // 2
    first = rng.integers(0, half, size=n)  # (n,)
    second = rng.integers(half, T, size=n)  # (n,)
    marks = np.zeros((n, T), dtype=np.float32)  # (n, T)
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    X = np.stack([values, marks], axis=-1)  # (n, T, 2)
    y = values[rows, first] + values[rows, second]  # (n,)
    return X, y.astype(np.float32)


def sign_of_sum(n: int, T: int, d: int, rng: np.random.Generator, feature: int = 0):
    """Is the sum of one feature over the sequence larger than its expected value?

    ``X`` is uniform in [0, 1) with shape ``(n, T, d)`` (the input shape of the source's
    example); ``y`` (shape ``(n, 1)``, 0/1) is ``sum_t X[:, t, feature] > T / 2``.
    Every step matters a little, so a model must accumulate over the whole sequence.
    """
    check_int(n, "n")
    check_int(T, "T")
    check_int(d, "d")
    check_rng(rng)
    if (isinstance(feature, bool) or not isinstance(feature, (int, np.integer))
            or not 0 <= feature < d):
        raise ValueError(f"feature must be an index in [0, {d}), got {feature!r}")
    X = rng.random((n, T, d)).astype(np.float32)  # (n, T, d)
    y = (X[:, :, feature].sum(axis=1) > T / 2).astype(np.int64)[:, None]  # (n, 1)
    return X, y


def counting_anbn(n: int, max_count: int, rng: np.random.Generator, min_count: int = 1,
                  length: int | None = None, max_miss: int = 3):
    """Has every ``a`` been matched by a ``b``? Strings ``a^k b^m`` with ``m <= k``.

    The counting language ``a^k b^k`` (Weiss, Goldberg & Yahav 2018), as a yes/no question at
    the end of the string: ``k`` is uniform in ``min_count .. max_count``; with probability 1/2
    the string is balanced (``m = k``, label 1), otherwise ``m = k - δ`` with ``δ`` uniform in
    ``1 .. max_miss`` (``m >= 0``, label 0), so a near miss differs from a balanced string by a
    single ``b``. ``X`` has shape ``(n, length, 2)``: channel 0 marks an ``a``, channel 1 a ``b``,
    and all-zero steps in front pad every string to ``length`` (default ``2 * max_count``).
    ``y`` has shape ``(n, 1)`` (0/1); chance accuracy is 1/2. Returns ``(X, y, k)``.
    """
    check_int(n, "n")
    check_int(min_count, "min_count")
    check_int(max_count, "max_count", min_count)
    check_int(max_miss, "max_miss")
    check_rng(rng)
    L = 2 * max_count if length is None else length
    check_int(L, "length", 2 * max_count)
    k = rng.integers(min_count, max_count + 1, size=n)  # (n,) number of a's
    balanced = rng.random(n) < 0.5  # (n,)
    miss = rng.integers(1, max_miss + 1, size=n)  # (n,)
    m = np.where(balanced, k, np.maximum(k - miss, 0))  # (n,) number of b's
    pos = np.arange(L)[None, :]  # (1, L)
    start = L - k - m  # (n,) first step of the string
    X = np.zeros((n, L, 2), dtype=np.float32)  # (n, L, 2)
    X[..., 0] = (pos >= start[:, None]) & (pos < (start + k)[:, None])  # the a's
    X[..., 1] = pos >= (start + k)[:, None]  # the b's, up to the last step
    y = (m == k).astype(np.int64)[:, None]  # (n, 1)
    return X, y, k


# --- the experiment -------------------------------------------------------------------

TRAIN_ON = ("mixed", "each")


def _stream(seed, lag, split):
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return np.random.default_rng([seed, lag, 0 if split == "train" else 1])


def pad_front(X, length):
    """Prepend all-zero steps so that ``X`` ``(n, T, f)`` becomes ``(n, length, f)``."""
    n, T, f = X.shape
    if length < T:
        raise ValueError(f"length={length} is shorter than the sequences (T={T})")
    return np.concatenate([np.zeros((n, length - T, f), dtype=X.dtype), X],
                          axis=1)  # (n, length, f)


def recall_data(lag, seed, n, n_symbols=4, split="train", length=None):
    """Delayed-recall data at one ``lag`` from the stream of ``(seed, lag, split)``.

    Sequences have ``lag + 1`` steps, or ``length`` steps with all-zero steps in front.
    Train and test sets come from different streams, so the test set is unseen.
    """
    X, y = delayed_recall(n, lag, _stream(seed, lag, split), n_symbols=n_symbols)
    return (X if length is None else pad_front(X, length)), y


def mixed_recall_data(max_lag, seed, n, n_symbols=4, split="train"):
    """Delayed recall with a lag drawn uniformly from ``1 .. max_lag`` for every sequence.

    All sequences have ``max_lag + 1`` steps: a sequence with lag ``L`` starts with
    ``max_lag - L`` all-zero steps, then the marked symbol, then ``L`` distractors.
    Returns ``X (n, max_lag + 1, n_symbols + 1)``, ``y (n,)`` and the lags ``(n,)``.
    """
    max_lag = check_int(max_lag, "max_lag")
    rng = _stream(seed, max_lag, split)
    X, _ = delayed_recall(n, max_lag, rng, n_symbols=n_symbols)  # (n, T, f) with T = max_lag + 1
    lags = rng.integers(1, max_lag + 1, size=n)  # (n,)
    start = max_lag - lags  # (n,): the step that holds the marked symbol
    rows = np.arange(n)
    X[np.arange(max_lag + 1)[None, :] < start[:, None]] = 0.0  # blank the steps before it
    X[:, 0, n_symbols] = 0.0
    X[rows, start, n_symbols] = 1.0  # the marker moves to the new first step
    y = np.argmax(X[rows, start, :n_symbols], axis=1).astype(np.int64)  # (n,)
    return X, y, lags


def parity_data(n: int, T: int, rng: np.random.Generator):
    """Bit streams ``X`` ``(n, T, 1)`` of 0/1 and their parity ``y`` ``(n,)`` (1 for an odd
    number of ones).

    Reading a bit flips the answer or keeps it: the state transition depends on the state
    (``h -> 1 - h``), the nonlinear kind a single minGRU layer, linear in ``h``, cannot make.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    for name, v in (("n", n), ("T", T)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    bits = rng.integers(0, 2, size=(n, T))  # (n, T)
    return bits[:, :, None].astype(np.float32), (bits.sum(axis=1) % 2).astype(np.int64)


def blank_recall_data(n: int, T: int, rng: np.random.Generator, n_symbols: int = 4):
    """Delayed recall across blank steps: ``X`` ``(n, T, n_symbols + 1)``, ``y`` ``(n,)``.

    Step 0 holds a one-hot symbol and the marker channel; steps ``1 .. T-1`` are all zero, and
    the model answers after the last one. The only difficulty is the distance: the symbol must
    survive ``T - 1`` steps of nothing. Chance accuracy is ``1 / n_symbols``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    for name, v, low in (("n", n, 1), ("T", T, 2), ("n_symbols", n_symbols, 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    y = rng.integers(0, n_symbols, size=n)  # (n,)
    X = np.zeros((n, T, n_symbols + 1), dtype=np.float32)  # (n, T, n_symbols + 1)
    X[np.arange(n), 0, y] = 1.0  # the symbol, at step 0 only
    X[:, 0, n_symbols] = 1.0  # the marker: "remember this one"
    return X, y.astype(np.int64)
