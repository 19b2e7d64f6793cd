"""Exercise set 6: each checker accepts the reference, rejects known wrong answers with specific messages,
reports the untouched stub as not attempted, and answers wrong types and shapes clearly."""

import math

from grucourse.checks import (
    CORRECT,
    INCORRECT,
    INVALID,
    ex_clip_from_trace,
    ex_half_life_layer,
    ex_stateful_windows,
)
from grucourse.training.initialisers import UpdateGateBias, set_update_gate_bias

import check_support
import keras
import numpy as np
import pytest


def reference(exercise, name):
    return check_support.reference(exercise, name, **{"np": np, "keras": keras, "UpdateGateBias": UpdateGateBias})


@pytest.mark.parametrize("exercise,name", [(ex_half_life_layer, "gru_with_half_life"),
                                           (ex_stateful_windows, "stateful_batches")], ids=["6.1", "6.2"])
def test_stub_reference_and_types(exercise, name, capsys):
    check_support.assert_stub_reference_and_types(exercise, reference(exercise, name), capsys)


def _layer_with(bias_of_n):
    def answer(units, half_life):
        return keras.layers.GRU(units, bias_initializer=UpdateGateBias(bias_of_n(half_life)))
    return answer


@pytest.mark.parametrize("wrong,words", [
    (lambda n: -math.log(0.5 ** (1 / n) / (1 - 0.5 ** (1 / n))), "wrong sign"),
    (lambda n: math.log(n - 1), "forgetting time"),
    (lambda n: 0.5 ** (1 / n), "logit"),
    (lambda n: math.log((1 - math.log(2) / n) / (math.log(2) / n)), "approximation"),
    (lambda n: 1.0, "instead of 0.5"),
])
def test_half_life_layer_wrong_answers(wrong, words):
    result = ex_half_life_layer.check(_layer_with(wrong))
    assert result.status == INCORRECT and words in result.message


def test_half_life_layer_default_and_types():
    default = ex_half_life_layer.check(lambda units, n: keras.layers.GRU(units))
    assert default.status == INCORRECT and "default 0" in default.message
    dense = ex_half_life_layer.check(lambda units, n: keras.layers.Dense(units))
    assert dense.status == INVALID and "keras.layers.GRU" in dense.message
    few = ex_half_life_layer.check(lambda units, n: keras.layers.GRU(1))
    assert few.status == INVALID and "units" in few.message


def test_half_life_layer_accepts_a_built_layer_set_by_hand():
    def answer(units, n):
        layer = keras.layers.GRU(units)
        layer(np.zeros((1, 2, 3), dtype=np.float32))
        keep = 0.5 ** (1 / n)
        set_update_gate_bias(layer, math.log(keep / (1 - keep)))
        return layer

    assert ex_half_life_layer.check(answer).status == CORRECT


def test_stateful_windows_wrong_answers():
    def stream_major(series, B, W):
        N, f = series.shape
        L = N // B
        K = L // W
        return series[: B * L].reshape(B, L, f)[:, : K * W].reshape(B * K, W, f)

    def consecutive(series, B, W):
        N, f = series.shape
        K = (N // B) // W
        return series[: K * B * W].reshape(K * B, W, f)

    r = ex_stateful_windows.check(stream_major)
    assert r.status == INCORRECT and "stream order" in r.message
    r = ex_stateful_windows.check(consecutive)
    assert r.status == INCORRECT and "sub-streams first" in r.message
    r = ex_stateful_windows.check(lambda s, B, W: consecutive(s, B, W)[::-1])
    assert r.status == INCORRECT and "row 0 of batch 1" in r.message
    r = ex_stateful_windows.check(lambda s, B, W: np.zeros((2, 2)))
    assert r.status == INVALID and "shape" in r.message
    r = ex_stateful_windows.check(lambda s, B, W: "windows")
    assert r.status == INVALID


def test_clip_from_trace_reference_wrong_answers_and_types(capsys):
    check_support.assert_stub_reference_and_types(ex_clip_from_trace, reference(ex_clip_from_trace,
                                                                                "clip_norm_from_trace"), capsys)

    def finite(norms):
        return norms[np.isfinite(norms)]

    for answer, words in [
        (lambda norms: float(np.percentile(norms, 90)), "NaN"),
        (lambda norms: float(finite(norms).max()), "largest norm"),
        (lambda norms: float(finite(norms).mean()), "mean norm"),
        (lambda norms: float(np.median(finite(norms))), "median"),
        (lambda norms: float(np.percentile(finite(norms), 50) * 0.5), "at most 10%"),
        (lambda norms: float(np.percentile(finite(norms), 97)), "higher than it needs"),
    ]:
        result = ex_clip_from_trace.check(answer)
        assert result.status == INCORRECT and words in result.message, (words, result.message)
    for method in ("lower", "nearest", "linear"):  # any clip that touches exactly 10% of the steps
        answer = lambda norms, m=method: float(np.percentile(finite(norms), 90, method=m))  # noqa: E731
        assert ex_clip_from_trace.check(answer).status == CORRECT
    assert ex_clip_from_trace.check(lambda norms: np.array([1.0])).status != INVALID
    listed = ex_clip_from_trace.check(lambda norms: [1.0, 2.0])
    assert listed.status == INVALID and "one number" in listed.message


# --- issue 25: answers outside the task's specification are never called correct ------------


def test_stateful_windows_a_python_list_is_not_an_array():
    right = reference(ex_stateful_windows, "stateful_batches")
    r = ex_stateful_windows.check(lambda s, B, W: right(s, B, W).tolist())
    assert r.status == INVALID and "numpy array" in r.message and "list" in r.message, r.message


def test_clip_one_rank_too_high_is_not_the_smallest():
    """np.percentile(..., method="higher") is the next norm up: it clips one step fewer than 10%."""
    def one_rank_high(norms):
        finite = np.sort(norms[np.isfinite(norms)])  # (m,)
        return float(finite[finite.size - int(0.1 * finite.size)])

    def smallest(norms):  # the exact order statistic: the smallest clip with 10% of the steps above
        finite = np.sort(norms[np.isfinite(norms)])
        return float(finite[finite.size - int(0.1 * finite.size) - 1])

    for answer in (one_rank_high, lambda n: float(np.percentile(n[np.isfinite(n)], 90, method="higher"))):
        r = ex_clip_from_trace.check(answer)
        assert r.status == INCORRECT and "smallest" in r.message, r.message
    assert ex_clip_from_trace.check(smallest).status == CORRECT
