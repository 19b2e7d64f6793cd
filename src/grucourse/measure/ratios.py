"""Timing tables of interleaved repeats: each candidate's median and its ratio to a baseline.

Used by the experiments of chapters 19-21 and ``benchmarks/``. The ratio of a candidate ``a`` to
the baseline ``b`` is the geometric mean of ``t_a / t_b`` over the rounds of
:func:`grucourse.measure.timing.interleaved_times`, with its 95% interval
(:func:`grucourse.measure.stats.time_ratio`): the load of a shared machine changes from second to
second, and pairing the two timings of one round cancels most of it. :func:`max_abs_diff` is the
other number those experiments report: how far apart two candidates' outputs are.
"""

from __future__ import annotations

from collections.abc import Sequence

from grucourse.measure.stats import Ratio, time_ratio
from grucourse.measure.timing import format_seconds

import numpy as np


def max_abs_diff(a, b) -> float:
    """``max |a - b|`` in float64: do two ways of computing the same thing agree?"""
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a64.shape != b64.shape:
        raise ValueError(f"a and b must have the same shape, got {a64.shape} and {b64.shape}")
    return float(np.max(np.abs(a64 - b64)))  # () over all elements


def format_ratio(r: Ratio) -> str:
    """``Ratio(1.04, 0.98, 1.1, 10) -> '1.04 [0.98, 1.10]'``: the ratio and its 95% interval."""
    if not isinstance(r, Ratio):
        raise TypeError(f"r must be a grucourse.measure.stats.Ratio, got {type(r).__name__}")
    def num(v):  # about 3 significant digits, never "0" for a small ratio
        return f"{v:.2g}" if v < 0.1 else f"{v:.2f}" if v < 10 else f"{v:.{int(v < 100)}f}"

    return f"{num(r.ratio)} [{num(r.low)}, {num(r.high)}]"


def ratios_to(stats: dict, baseline: str, names: Sequence[str] | None = None) -> dict:
    """``{name: Ratio}``: each candidate's time over the baseline's, paired round by round.

    ``stats`` comes from :func:`grucourse.measure.timing.interleaved_times` (its ``samples``).
    """
    if not isinstance(stats, dict) or baseline not in stats:
        raise ValueError(f"baseline {baseline!r} is not among the timed candidates "
                         f"{list(stats) if isinstance(stats, dict) else stats!r}")
    names = list(stats) if names is None else list(names)
    missing = [n for n in names if n not in stats]
    if missing:
        raise ValueError(f"no timings for {missing}; timed: {list(stats)}")
    for n in names + [baseline]:
        if "samples" not in stats[n]:
            raise ValueError(f"stats[{n!r}] has no 'samples': time with interleaved_times()")
    return {n: time_ratio(stats[n]["samples"], stats[baseline]["samples"]) for n in names}


def ratio_rows(stats: dict, baseline: str, labels: dict, per: float = 1.0,
               **extra_columns: dict) -> tuple[list[dict], dict]:
    """Table rows ``{"": label, "median": ..., "/ <baseline>": "r [low, high]"}`` and the ratios.

    ``labels = {name: row label}`` picks and orders the candidates; ``per`` divides the medians
    (e.g. ``T`` for a time per step); ``extra_columns = {column: {name: value}}`` adds columns.
    """
    ratios = ratios_to(stats, baseline, list(labels))
    rows = []
    for name, text in labels.items():
        row = {"": text, "median": format_seconds(stats[name]["median"] / per),
               f"/ {baseline}": "1 (baseline)" if name == baseline else format_ratio(ratios[name])}
        for column, values in extra_columns.items():
            row[column.replace("_", " ")] = values[name]
        rows.append(row)
    return rows, ratios
