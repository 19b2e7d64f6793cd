"""Paired comparisons over seeds: the mean difference with its 95% interval, and timing ratios.

The course's standard for any comparison the prose states: run both models (or both settings) on
the same ≥ 10 seeds, take the per-seed differences ``d_s = a_s − b_s`` and report

    mean(d) ± t_{0.975, n−1} · sd(d) / √n,

the two-sided 95% Student-t interval of the mean paired difference. When the interval includes 0
the page says "no measurable difference". Timings use the same interval on ``log(t_a / t_b)`` over
interleaved repeats and report the ratio ``exp(·)``. A count ("solved on k of n seeds") gets the
95% Wilson interval of its rate (:func:`proportion_interval`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_SEEDS = 10


def _one_precision(values: Sequence[float], *, signed: bool, significant: int = 3) -> list[str]:
    """Format numbers that are printed together with ONE number of decimals.

    Enough decimals for ``significant`` significant digits of the largest magnitude, at least one
    significant digit of the smallest nonzero one, so that a tiny nonzero value never prints as
    ``+0`` (``[0.55, 0.514]`` becomes ``0.550, 0.514``), and two of the spread (largest − smallest
    value), so that the ends of a narrow interval differ. An exact 0 prints as ``0``. Magnitudes
    below 0.001 or from 10⁶ up need too many digits: then all are in scientific notation.
    """
    sign = "+" if signed else ""
    nonzero = [abs(v) for v in values if v != 0]
    if not nonzero:
        return ["0" for _ in values]
    top, bottom, spread = max(nonzero), min(nonzero), max(values) - min(values)
    decimals = max(0, significant - 1 - math.floor(math.log10(top)),
                   -math.floor(math.log10(bottom)),
                   1 - math.floor(math.log10(spread)) if spread > 0 else 0)
    if top < 1e-3 or top >= 1e6 or decimals > 6:
        return ["0" if v == 0 else f"{v:{sign}.{significant - 1}e}" for v in values]
    return ["0" if v == 0 else f"{v:{sign}.{decimals}f}" for v in values]


def _as_scores(name: str, values) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)  # (n,)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers (one per seed), "
                        f"got {type(values).__name__}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one number per seed), got shape {arr.shape}")
    if arr.size < 2:
        raise ValueError(f"{name} needs at least 2 seeds for an interval, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values: {arr.tolist()}")
    return arr


@dataclass(frozen=True)
class PairedDiff:
    """Mean paired difference ``a − b`` over seeds, with its 95% t interval."""

    mean: float
    low: float
    high: float
    n: int
    wins: int  # seeds where a > b
    losses: int  # seeds where a < b

    @property
    def excludes_zero(self) -> bool:
        """True when the 95% interval lies entirely above or entirely below 0."""
        return self.low > 0 or self.high < 0

    def verdict(self, a: str = "a", b: str = "b", higher: str = "higher") -> str:
        """One phrase for the prose: "<a> <higher> than <b>" or "no measurable difference"."""
        if not self.excludes_zero:
            return "no measurable difference"
        return f"{a} {higher} than {b}" if self.mean > 0 else f"{b} {higher} than {a}"

    def __str__(self) -> str:
        if self.mean == self.low == self.high == 0:
            return f"mean difference 0, 95% CI [0, 0]: the same on all {self.n} seeds"
        mean, low, high = _one_precision([self.mean, self.low, self.high], signed=True)
        ties = self.n - self.wins - self.losses
        return (f"mean difference {mean}, 95% CI [{low}, {high}], "
                f"higher in {self.wins}/{self.n} seeds" + (f", equal in {ties}" if ties else ""))


def paired_diff(a, b, *, min_seeds: int = 2) -> PairedDiff:
    """Mean of ``a_s − b_s`` over paired seeds s, with the 95% interval mean ± t·sd/√n.

    ``a`` and ``b`` hold one score per seed, in the same seed order. ``min_seeds`` lets a caller
    insist on the course's standard (``MIN_SEEDS`` = 10) for comparisons the prose states.
    """
    from scipy import stats

    a_arr, b_arr = _as_scores("a", a), _as_scores("b", b)  # (n,), (n,)
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"a and b must hold one score per seed for the same seeds: "
                         f"got {a_arr.size} and {b_arr.size} scores")
    if a_arr.size < min_seeds:
        raise ValueError(f"a paired comparison needs at least {min_seeds} seeds, got {a_arr.size}")
    d = a_arr - b_arr  # (n,)
    n = d.size
    mean = float(d.mean())
    half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n))
    return PairedDiff(mean, mean - half, mean + half, n, int((d > 0).sum()), int((d < 0).sum()))


@dataclass(frozen=True)
class Ratio:
    """Geometric-mean ratio ``t_a / t_b`` over paired repeats, with its 95% interval."""

    ratio: float
    low: float
    high: float
    n: int

    @property
    def excludes_one(self) -> bool:
        return self.low > 1 or self.high < 1

    def verdict(self, a: str = "a", b: str = "b") -> str:
        """"<a> is slower than <b>", "<a> is faster than <b>" or "no measurable difference"."""
        if not self.excludes_one:
            return "no measurable difference"
        return f"{a} is slower than {b}" if self.ratio > 1 else f"{a} is faster than {b}"

    def __str__(self) -> str:
        ratio, low, high = _one_precision([self.ratio, self.low, self.high], signed=False)
        return f"ratio {ratio}, 95% CI [{low}, {high}] over {self.n} repeats"


def time_ratio(t_a, t_b) -> Ratio:
    """Ratio of two timings taken in interleaved repeats: exp of the paired interval of
    log(t_a/t_b)."""
    a_arr, b_arr = _as_scores("t_a", t_a), _as_scores("t_b", t_b)  # (n,), (n,)
    if np.any(a_arr <= 0) or np.any(b_arr <= 0):
        raise ValueError("timings must be positive seconds")
    d = paired_diff(np.log(a_arr), np.log(b_arr))
    return Ratio(float(np.exp(d.mean)), float(np.exp(d.low)), float(np.exp(d.high)), d.n)


@dataclass(frozen=True)
class Proportion:
    """``k`` successes out of ``n`` trials, with the 95% Wilson score interval of the rate."""

    k: int
    n: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.k / self.n

    def __str__(self) -> str:
        return f"{self.k}/{self.n} [{self.low:.2f}, {self.high:.2f}]"


def proportion_interval(k, n) -> Proportion:
    """95% Wilson score interval (Wilson 1927) for a rate seen as ``k`` successes in ``n`` trials:

        (p̂ + z²/2n ± z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n),   p̂ = k/n, z = 1.96.

    Unlike p̂ ± z·√(p̂(1 − p̂)/n) it stays inside [0, 1] and is not empty at ``k = 0`` or
    ``k = n`` (10 of 10 gives [0.72, 1]), which is where "solved on every seed" needs it.
    """
    from scipy import stats

    for value, name in ((k, "k"), (n, "n")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an integer count, got {type(value).__name__}")
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1 (k successes of n trials), "
                         f"got k={k}, n={n}")
    z = float(stats.norm.ppf(0.975))
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Proportion(int(k), int(n), float(low), float(high))


def summarize(table: pd.DataFrame, by: str | Sequence[str], value: str = "val_score",
              digits: int = 3) -> pd.DataFrame:
    """Mean, sample standard deviation (``ddof=1``; 0 for a single run) and count of ``value``
    per group.

    Adds a text column ``mean ± std`` rounded to ``digits`` decimals, for printing.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    if table.empty:
        raise ValueError("table is empty: nothing to summarise")
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [*by, value] if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; its columns are {list(table.columns)}")
    if not pd.api.types.is_numeric_dtype(table[value]):
        raise TypeError(f"column {value!r} must be numeric, got dtype {table[value].dtype}")
    g = table.groupby(by, sort=False)[value]
    out = g.agg(mean="mean", std=lambda s: float(s.std(ddof=1)) if len(s) > 1 else 0.0,
                n="count").reset_index()
    out["mean ± std"] = [f"{m:.{digits}f} ± {s:.{digits}f}"
                         for m, s in zip(out["mean"], out["std"], strict=True)]
    return out
