"""The paired-difference helper against intervals worked out by hand."""

from grucourse.measure.stats import MIN_SEEDS, paired_diff, time_ratio

import numpy as np
import pytest


def test_interval_matches_hand_computation():
    # d = [1, 2, 3]: mean 2, sd 1, t_{0.975,2} = 4.302653 -> half-width 4.302653 / sqrt(3) = 2.484138
    r = paired_diff([2, 4, 6], [1, 2, 3])
    assert r.mean == pytest.approx(2.0)
    assert r.low == pytest.approx(2.0 - 2.484138, abs=1e-5)
    assert r.high == pytest.approx(2.0 + 2.484138, abs=1e-5)
    assert (r.n, r.wins, r.losses) == (3, 3, 0)
    assert not r.excludes_zero
    assert r.verdict("GRU", "LSTM") == "no measurable difference"


def test_clear_difference_and_verdict_direction():
    a = np.array([0.9, 0.91, 0.92, 0.93, 0.9, 0.94, 0.95, 0.9, 0.92, 0.91])
    b = a - 0.1
    r = paired_diff(b, a, min_seeds=MIN_SEEDS)
    assert r.excludes_zero and r.mean == pytest.approx(-0.1)
    assert r.verdict("GRU", "LSTM") == "LSTM higher than GRU"
    assert "10 seeds" in str(r) and "-0.1" in str(r)


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="same seeds"):
        paired_diff([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        paired_diff([1, float("nan")], [1, 2])
    with pytest.raises(ValueError, match="at least 10 seeds"):
        paired_diff([1, 2, 3], [0, 1, 2], min_seeds=MIN_SEEDS)
    with pytest.raises(ValueError, match="1-D"):
        paired_diff([[1, 2]], [[1, 2]])
    with pytest.raises(TypeError, match="sequence of numbers"):
        paired_diff("abc", [1, 2, 3])


def test_time_ratio_is_geometric():
    # log ratios log(2), log(2), log(2)... with tiny jitter -> ratio 2, interval excludes 1
    t_b = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
    t_a = 2 * t_b * np.array([1.01, 0.99, 1.0, 1.0, 1.0])
    r = time_ratio(t_a, t_b)
    assert r.ratio == pytest.approx(2.0, rel=0.01)
    assert r.excludes_one and r.verdict("GRU", "LSTM") == "GRU is slower than LSTM"
    same = time_ratio([1.0, 1.2, 0.9], [1.1, 1.0, 1.0])
    assert same.verdict() == "no measurable difference"
    with pytest.raises(ValueError, match="positive"):
        time_ratio([0.0, 1.0], [1.0, 1.0])
