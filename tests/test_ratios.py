"""Timing tables of chapters 19-21: ratios to a baseline with 95% intervals, paired by round."""

from grucourse.measure.ratios import format_ratio, max_abs_diff, ratio_rows, ratios_to
from grucourse.measure.stats import Ratio

import numpy as np
import pytest
from scipy import stats as st


def _stats(samples):
    return {"samples": tuple(samples), "median": float(np.median(samples))}


def test_ratio_is_the_geometric_mean_paired_by_round():
    base = np.array([1.0, 2.0, 4.0, 1.5, 3.0])  # a load that changes from round to round
    factor = np.array([1.9, 2.1, 2.0, 2.05, 1.95])
    timed = {"b": _stats(base), "a": _stats(base * factor)}
    r = ratios_to(timed, "b", ["a"])["a"]
    logs = np.log(factor)  # the reference: a t interval on log ratios, computed here by hand
    half = st.t.ppf(0.975, 4) * logs.std(ddof=1) / np.sqrt(5)
    assert r.ratio == pytest.approx(np.exp(logs.mean()))
    assert (r.low, r.high) == pytest.approx((np.exp(logs.mean() - half), np.exp(logs.mean() + half)))
    assert r.excludes_one and r.verdict("a", "b") == "a is slower than b"


def test_unpaired_order_would_be_wrong_and_same_times_include_one():
    rng = np.random.default_rng(0)
    base = rng.uniform(1, 5, 10)
    same = base * rng.uniform(0.98, 1.02, 10)
    r = ratios_to({"b": _stats(base), "a": _stats(same)}, "b")["a"]
    assert r.low < 1 < r.high and r.verdict() == "no measurable difference"


def test_rows_name_the_baseline_and_carry_extra_columns():
    timed = {"x": _stats([2.0, 2.2, 2.1]), "y": _stats([1.0, 1.0, 1.1])}
    rows, ratios = ratio_rows(timed, "y", {"x": "candidate x", "y": "baseline y"}, per=2.0,
                              cell_impl={"x": 1, "y": 2})
    assert [r[""] for r in rows] == ["candidate x", "baseline y"]
    assert rows[1]["/ y"] == "1 (baseline)" and rows[0]["cell impl"] == 1
    assert rows[0]["/ y"] == format_ratio(ratios["x"]) and rows[0]["median"] == "1.05 s"


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="baseline 'z'"):
        ratios_to({"a": _stats([1.0, 2.0])}, "z")
    with pytest.raises(ValueError, match="no 'samples'"):
        ratios_to({"a": {"median": 1.0}, "b": _stats([1.0, 2.0])}, "b")
    with pytest.raises(TypeError, match="Ratio"):
        format_ratio(1.04)
    with pytest.raises(ValueError, match="same shape"):
        max_abs_diff(np.zeros(3), np.zeros(4))
    assert format_ratio(Ratio(1.04, 0.98, 1.1, 10)) == "1.04 [0.98, 1.10]"
    assert format_ratio(Ratio(0.101, 0.0001, 104.4, 3)) == "0.10 [0.0001, 104]"
    assert format_ratio(Ratio(61.96, 51.09, 75.15, 10)) == "62.0 [51.1, 75.2]"
    assert max_abs_diff([1.0, 2.0], [1.5, 2.0]) == 0.5
