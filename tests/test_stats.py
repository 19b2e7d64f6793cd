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


def test_proportion_interval_is_wilson():
    from grucourse.measure.stats import proportion_interval

    # Wilson (1927) score interval, written out here with z = 1.959964 (two-sided 95%)
    z = 1.959964
    for k, n in ((8, 10), (3, 17), (1, 10)):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        got = proportion_interval(k, n)
        assert got.rate == p and (got.k, got.n) == (k, n)
        assert abs(got.low - (centre - half)) < 1e-6 and abs(got.high - (centre + half)) < 1e-6
    # 10 of 10 and 0 of 10 keep a non-empty interval with the closed end exact
    assert proportion_interval(10, 10).high == 1.0
    assert abs(proportion_interval(10, 10).low - 0.7225) < 1e-4
    assert proportion_interval(0, 10).low == 0.0 and abs(proportion_interval(0, 10).high - 0.2775) < 1e-4
    assert str(proportion_interval(8, 10)) == "8/10 [0.49, 0.94]"
    with pytest.raises(ValueError, match="k <= n"):
        proportion_interval(11, 10)
    with pytest.raises(ValueError, match="n >= 1"):
        proportion_interval(0, 0)
    with pytest.raises(TypeError, match="integer count"):
        proportion_interval(0.8, 10)


def test_printed_difference_never_reads_plus_zero():
    # every seed equal: the printout says so instead of "+0, 95% CI [+0, +0]"
    same = str(paired_diff([0.5] * 10, [0.5] * 10))
    assert "+0," not in same and "[+0" not in same
    assert "the same on all 10 seeds" in same
    # a tiny nonzero mean next to a wide interval keeps a significant digit: d = mean 1e-4
    d = np.array([0.3, -0.3] * 5) + 1e-4
    text = str(paired_diff(d, np.zeros(10)))
    assert text.startswith("mean difference +0.0001"), text
    # ties are counted
    assert "equal in 2" in str(paired_diff([1, 2, 3, 4], [1, 2, 2, 5]))


def test_printed_interval_has_one_precision():
    # mean 0.55 next to 0.514: all three numbers with the same number of decimals (hand-written)
    from grucourse.measure.stats import PairedDiff, Ratio

    assert str(PairedDiff(0.55, 0.514, 0.6, 10, 10, 0)).startswith(
        "mean difference +0.550, 95% CI [+0.514, +0.600]")
    assert str(Ratio(1.5, 1.2, 1.83, 10)) == "ratio 1.50, 95% CI [1.20, 1.83] over 10 repeats"
    # a narrow interval around 1 keeps its ends apart
    assert str(Ratio(0.9998, 0.9991, 1.0004, 10)).startswith("ratio 0.9998, 95% CI [0.9991, 1.0004]")
