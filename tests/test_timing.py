"""Timing helpers, the table printer and the FLOP formulas (checked against hand counts)."""

from grucourse.measure.timing import (
    format_seconds,
    format_table,
    gru_flops,
    interleaved_times,
    lstm_flops,
    matmul_flops,
    median_time,
    rnn_flops,
    single_blas_thread,
    step_flops,
    timing_row,
)

import numpy as np
import pytest


def test_median_time_counts_calls_and_orders_quantiles():
    calls = []
    stats = median_time(lambda: calls.append(1), repeat=5, warmup=2, number=3)
    assert len(calls) == 2 + 5 * 3
    assert stats["min"] <= stats["q1"] <= stats["median"] <= stats["q3"] <= stats["max"]
    assert stats["iqr"] == pytest.approx(stats["q3"] - stats["q1"])
    assert (stats["repeat"], stats["number"]) == (5, 3)


@pytest.mark.parametrize("kwargs", [{"repeat": 0}, {"warmup": -1}, {"number": 0}, {"repeat": 2.5}, {"repeat": True}])
def test_median_time_rejects_bad_counts(kwargs):
    with pytest.raises(ValueError, match="must be an integer"):
        median_time(lambda: None, **kwargs)


def test_median_time_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        median_time(42)


@pytest.mark.parametrize(
    "seconds,text", [(2.0, "2 s"), (0.00213, "2.13 ms"), (0.0001234, "123 µs"), (3e-7, "0.3 µs"), (0.0, "0 µs")]
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_format_seconds_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="finite non-negative"):
        format_seconds(bad)


def test_timing_row_and_table():
    stats = {"median": 0.002, "iqr": 0.0001, "min": 0.0019, "max": 0.003, "repeat": 7}
    row = timing_row("numpy", stats, ratio=0.5)
    assert row == {"": "numpy", "median": "2 ms", "IQR": "100 µs", "range": "1.9 ms .. 3 ms", "runs": 7,
                   "ratio": 0.5}
    text = format_table([row, dict(row, **{"": "keras, longer label"})], title="T")
    lines = text.splitlines()
    assert lines[0] == "T"
    assert lines[1].split() == ["median", "IQR", "range", "runs", "ratio"]
    assert set(lines[2].replace(" ", "")) == {"-"}
    assert lines[3].startswith("numpy ") and lines[4].startswith("keras, longer label")
    assert len({len(line) for line in lines[1:]}) == 1  # aligned columns


def test_timing_row_needs_median_time_stats():
    with pytest.raises(ValueError, match="median_time"):
        timing_row("x", {"median": 1.0})


def test_format_table_rejects_empty_and_mismatched_rows():
    with pytest.raises(ValueError, match="empty"):
        format_table([])
    with pytest.raises(ValueError, match="row 1"):
        format_table([{"a": 1}, {"b": 2}])


def test_single_blas_thread_limits_and_restores():
    from threadpoolctl import threadpool_info

    before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    with single_blas_thread():
        inside = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert all(n == 1 for n in inside)
    assert [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"] == before


def test_flops_against_hand_counts():
    # d=1, u=1, B=1: a GRU step is x@W (1x1 @ 1x3: 3 MACs) and h@U (3 MACs) -> 6 MACs = 12 FLOPs
    assert gru_flops(1, 1, 1) == 12
    assert lstm_flops(1, 1, 1) == 16
    assert rnn_flops(1, 1, 1) == 4
    # the chapter's size: 2*3*(10*32 + 32*32)*64
    assert gru_flops(10, 32, 64) == 516_096
    assert lstm_flops(10, 32, 64) == 688_128
    assert rnn_flops(10, 32, 64) == 172_032


@pytest.mark.parametrize("kind,g", [("simple_rnn", 1), ("gru", 3), ("lstm", 4)])
@pytest.mark.parametrize("d,u,B", [(10, 32, 64), (3, 7, 5), (1, 256, 2)])
def test_step_flops_equals_the_matmuls_of_one_step(kind, g, d, u, B):
    # independent count: the input product (B,d)@(d,g*u) plus the recurrent product (B,u)@(u,g*u)
    assert step_flops(kind, d, u, B) == matmul_flops(B, d, g * u) + matmul_flops(B, u, g * u)
    # and by brute force on tiny sizes: every output entry of a matmul is k multiply-adds
    if d * u * B < 200:
        macs = sum(1 for _ in np.ndindex(B, g * u, d)) + sum(1 for _ in np.ndindex(B, g * u, u))
        assert step_flops(kind, d, u, B) == 2 * macs


def test_flop_ratios_are_exactly_1_3_4():
    for d, u, B in [(10, 32, 64), (5, 256, 1)]:
        assert gru_flops(d, u, B) * 4 == lstm_flops(d, u, B) * 3
        assert gru_flops(d, u, B) == 3 * rnn_flops(d, u, B)


@pytest.mark.parametrize("args", [("transformer", 1, 1, 1), ("gru", 0, 1, 1), ("gru", 1, -2, 1), ("gru", 1, 1, 1.5)])
def test_step_flops_rejects_bad_input(args):
    with pytest.raises(ValueError):
        step_flops(*args)


def test_interleaved_times_takes_turns():
    order = []
    stats = interleaved_times({"a": lambda: order.append("a"), "b": lambda: order.append("b")},
                              repeat=3, warmup=1, number=2)
    assert order == ["a", "a", "b", "b", "b", "b", "a", "a"] * 2  # warmup + 3 rounds, rotating start
    assert set(stats) == {"a", "b"}
    assert all(s["repeat"] == 3 and s["min"] <= s["median"] <= s["max"] for s in stats.values())


def test_interleaved_times_errors():
    with pytest.raises(ValueError, match="non-empty dict"):
        interleaved_times({})
    with pytest.raises(TypeError, match="callable"):
        interleaved_times({"a": 1})
    with pytest.raises(ValueError, match="repeat"):
        interleaved_times({"a": lambda: None}, repeat=0)
