"""Measurements for the efficiency chapter and ``benchmarks/``: robust timings, tables, FLOP counts.

A timing is the **median** of ``repeat`` runs with its spread (interquartile range and range),
never a single run: other processes share the CPU, and the median ignores the occasional slow run.
FLOPs count the matrix products of one time step (2 FLOPs per multiply-add), the part that grows
with the sizes; the element-wise gate arithmetic adds only ``O(B u)`` per step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from grucourse.kinds import N_GATES, canonical_kind
from grucourse.validate import check_int

import numpy as np


def median_time(fn: Callable[[], object], repeat: int = 7, warmup: int = 1,
                number: int = 1) -> dict:
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeat`` samples of ``number`` calls each.

    Each sample is the mean time of one call over ``number`` calls (use ``number > 1`` for calls
    shorter than a millisecond). Returns seconds: ``median``, quartiles ``q1``/``q3``,
    ``iqr = q3 - q1``, ``min``, ``max``, and the ``repeat``/``number`` used.
    """
    if not callable(fn):
        raise TypeError(f"fn must be a callable taking no arguments, got {type(fn).__name__}")
    repeat = check_int(repeat, "repeat")
    warmup = check_int(warmup, "warmup", minimum=0)
    number = check_int(number, "number")
    for _ in range(warmup):
        fn()
    samples = np.empty(repeat)  # (repeat,) seconds per call
    for i in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples[i] = (time.perf_counter() - t0) / number
    q1, median, q3 = np.percentile(samples, [25, 50, 75])
    return {
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "iqr": float(q3 - q1),
        "min": float(samples.min()),
        "max": float(samples.max()),
        "repeat": repeat,
        "number": number,
    }


def interleaved_times(fns: dict, repeat: int = 7, warmup: int = 2, number: int = 1) -> dict:
    """Time several callables round-robin and return ``{name: stats}``.

    In each of ``warmup + repeat`` rounds every callable runs once (``number`` calls per sample),
    and the callable that starts the round rotates (A, B, C; B, C, A; ...); the first ``warmup``
    rounds are not timed. On a shared CPU the load changes from second to second: interleaving
    spreads those changes over all candidates alike, so their ratio is more trustworthy than
    timing one after another. ``stats`` holds seconds per call: ``median``, ``q1``, ``q3``,
    ``iqr``, ``min``, ``max``, ``repeat``, ``number`` and ``samples`` (the ``repeat`` timings as
    a tuple in round order, so two candidates can be paired round by round, e.g. with
    :func:`grucourse.measure.stats.time_ratio`).
    """
    if not isinstance(fns, dict) or not fns:
        raise ValueError("fns must be a non-empty dict {name: callable taking no arguments}")
    for name, fn in fns.items():
        if not callable(fn):
            raise TypeError(f"fns[{name!r}] must be a callable taking no arguments, "
                            f"got {type(fn).__name__}")
    repeat = check_int(repeat, "repeat")
    warmup = check_int(warmup, "warmup", minimum=0)
    number = check_int(number, "number")
    names = list(fns)
    samples = {name: [] for name in names}  # each: repeat seconds per call
    for r in range(warmup + repeat):
        for i in range(len(names)):
            name = names[(r + i) % len(names)]
            t0 = time.perf_counter()
            for _ in range(number):
                fns[name]()
            if r >= warmup:
                samples[name].append((time.perf_counter() - t0) / number)
    out = {}
    for name in names:
        arr = np.array(samples[name])  # (repeat,)
        q1, median, q3 = np.percentile(arr, [25, 50, 75])
        out[name] = {"median": float(median), "q1": float(q1), "q3": float(q3),
                     "iqr": float(q3 - q1), "min": float(arr.min()), "max": float(arr.max()),
                     "repeat": repeat, "number": number,
                     "samples": tuple(float(v) for v in arr)}
    return out


def single_blas_thread():
    """Context manager that limits numpy's BLAS (OpenBLAS) to one thread inside the ``with`` block.

    A GRU step multiplies small matrices (``(64, 32) @ (32, 96)`` here); splitting such a product
    over threads costs more in synchronisation than it saves, and on a shared CPU a waiting thread
    can stall every step. TensorFlow's own thread pools are not affected.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def format_seconds(seconds: float) -> str:
    """``0.00213 -> '2.13 ms'``: three significant digits in s, ms or µs."""
    if not np.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be a finite non-negative number, got {seconds!r}")
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            return f"{seconds / scale:.3g} {unit}"
    raise AssertionError("unreachable")  # the µs branch always returns


def timing_row(label: str, stats: dict, **extra) -> dict:
    """One table row: ``label``, the median, the IQR and the [min, max] range of
    :func:`median_time` stats."""
    missing = {"median", "iqr", "min", "max", "repeat"} - set(stats)
    if missing:
        raise ValueError(f"stats must come from median_time(); missing keys {sorted(missing)}")
    row = {
        "": label,
        "median": format_seconds(stats["median"]),
        "IQR": format_seconds(stats["iqr"]),
        "range": f"{format_seconds(stats['min'])} .. {format_seconds(stats['max'])}",
        "runs": stats["repeat"],
    }
    row.update(extra)
    return row


def format_table(rows: Sequence[dict], title: str | None = None) -> str:
    """Align a list of dicts (same keys) as a plain-text table; floats get 3 significant digits."""
    if not rows:
        raise ValueError("rows is empty: pass at least one dict")
    columns = list(rows[0])
    for i, row in enumerate(rows):
        if list(row) != columns:
            raise ValueError(f"row {i} has columns {list(row)}, expected {columns} like row 0")

    def cell(v):
        if isinstance(v, (float, np.floating)):
            return f"{v:.3g}"
        return str(v)

    table = [[str(c) for c in columns]] + [[cell(row[c]) for c in columns] for row in rows]
    widths = [max(len(r[j]) for r in table) for j in range(len(columns))]
    lines = ["  ".join(v.ljust(w) if j == 0 else v.rjust(w)
                       for j, (v, w) in enumerate(zip(r, widths, strict=True)))
             for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if title:
        lines.insert(0, title)
    return "\n".join(line.rstrip() for line in lines)


# --- FLOPs per time step ---------------------------------------------------------------


def matmul_flops(m: int, k: int, n: int) -> int:
    """FLOPs of an ``(m, k) @ (k, n)`` product: ``m * n`` dot products of length ``k``, 2 FLOPs
    per multiply-add."""
    for name, v in (("m", m), ("k", k), ("n", n)):
        check_int(v, name)
    return 2 * m * k * n


def step_flops(kind: str, d: int, u: int, B: int) -> int:
    """Matrix-product FLOPs of one time step: ``2 * g * (d*u + u*u) * B`` with ``g`` gate blocks.

    ``g = 3`` for a GRU (z, r, h~), ``4`` for an LSTM (i, f, c~, o), ``1`` for a SimpleRNN:
    the input product ``x_t W`` is ``(B, d) @ (d, g u)`` and the recurrent product ``h U`` is
    ``(B, u) @ (u, g u)``.
    """
    g = N_GATES[canonical_kind(kind)]  # gate blocks of the kind
    d, u, B = (check_int(v, n) for v, n in ((d, "d"), (u, "u"), (B, "B")))
    return 2 * g * (d * u + u * u) * B


def gru_flops(d: int, u: int, B: int) -> int:
    """``2 * 3 * (d u + u^2) * B`` FLOPs per GRU step."""
    return step_flops("gru", d, u, B)


def lstm_flops(d: int, u: int, B: int) -> int:
    """``2 * 4 * (d u + u^2) * B`` FLOPs per LSTM step."""
    return step_flops("lstm", d, u, B)


def rnn_flops(d: int, u: int, B: int) -> int:
    """``2 * (d u + u^2) * B`` FLOPs per SimpleRNN step."""
    return step_flops("simple_rnn", d, u, B)

