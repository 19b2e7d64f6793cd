"""Exercise set 7: each checker accepts the reference, rejects known wrong answers with specific messages,
reports the untouched stub as not attempted, and answers wrong types and shapes clearly."""

from grucourse.checks import INCORRECT, INVALID, ex_greedy_step, ex_masked_attention
from grucourse.data.seq2seq_data import EOS, PAD

import check_support
import numpy as np
import pytest


def reference(exercise, name):
    return check_support.reference(exercise, name, **{"np": np, "EOS": EOS, "PAD": PAD})


@pytest.mark.parametrize("exercise, name", [(ex_greedy_step, "greedy_step"),
                                            (ex_masked_attention, "masked_softmax")], ids=["greedy", "mask"])
def test_stub_reference_and_types(exercise, name, capsys):
    check_support.assert_stub_reference_and_types(exercise, reference(exercise, name), capsys)


def _greedy_by_hand():
    """A case small enough to write down: B = 2 rows, T' = 4 steps, V = 4 tokens (PAD, BOS, EOS, one digit)."""
    probs = np.zeros((2, 4, 4))
    probs[0, 1] = [0.1, 0.1, 0.2, 0.6]  # row 0, position 1: token 3 is most likely
    probs[1, 1] = [0.1, 0.1, 0.7, 0.1]  # row 1 would say EOS, but it has finished
    dec_in = np.array([[1, 3, 0, 0], [1, EOS, 0, 0]])
    return probs, dec_in


def test_greedy_reference_on_a_case_by_hand():
    step = reference(ex_greedy_step, "greedy_step")
    probs, dec_in = _greedy_by_hand()
    np.testing.assert_array_equal(step(probs, dec_in, 1), [[1, 3, 3, 0], [1, EOS, PAD, 0]])
    np.testing.assert_array_equal(dec_in, [[1, 3, 0, 0], [1, EOS, 0, 0]])  # the input is unchanged
    np.testing.assert_array_equal(step(probs, dec_in, 0)[:, 1], [0, 0])  # t = 0 reads BOS: never finished


def _set(d, col, v):
    out = np.array(d, copy=True)
    out[:, col] = v
    return out


@pytest.mark.parametrize("answer, words", [
    (lambda p, d, t: _set(d, t + 1, p[:, t].argmax(-1)), "finished row"),
    (lambda p, d, t: _set(d, t, p[:, t].argmax(-1)), "into column t"),
    (lambda p, d, t: _set(d, t + 1, p[:, t + 1].argmax(-1)), "position t + 1"),
    (lambda p, d, t: _set(d, t + 1, p[:, -1].argmax(-1)), "probs[:, -1]"),
    (lambda p, d, t: _set(d, t + 1, p.argmax(axis=1)[:, t]), "wrong axis"),
])
def test_greedy_wrong_answers(answer, words):
    r = ex_greedy_step.check(answer)
    assert r.status == INCORRECT and words in r.message, r.message


def test_greedy_in_place_and_shapes():
    def in_place(probs, dec_in, t):
        dec_in[:, t + 1] = probs[:, t].argmax(-1)
        return dec_in

    r = ex_greedy_step.check(in_place)
    assert r.status == INCORRECT and "changed the dec_in" in r.message
    r = ex_greedy_step.check(lambda p, d, t: p[:, t].argmax(-1))  # only the new tokens
    assert r.status == INVALID and "whole dec_in" in r.message
    r = ex_greedy_step.check(lambda p, d, t: "BOS")
    assert r.status == INVALID and "return the new dec_in" in r.message
    r = ex_greedy_step.check(lambda p, d, t: np.zeros_like(d))
    assert r.status == INCORRECT and "differ from the expected" in r.message


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_masked_reference_by_hand():
    f = reference(ex_masked_attention, "masked_softmax")
    w = f(np.array([[[0.0, np.log(3.0), 5.0]]]), np.array([[1, 1, 0]]))  # (1, 1, 3)
    np.testing.assert_allclose(w, [[[0.25, 0.75, 0.0]]])
    w = f(np.array([[[1000.0, 999.0]]]), np.array([[1, 1]]))
    np.testing.assert_allclose(w[0, 0], [1 / (1 + np.exp(-1)), 1 / (1 + np.e)])


@pytest.mark.parametrize("answer, words", [
    (lambda s, m: _softmax(s), "padded positions get weight"),
    (lambda s, m: _softmax(s) * m[:, None, :], "sum to 1"),
    (lambda s, m: _softmax(s * m[:, None, :]), "score 0, not -inf"),
    (lambda s, m: _softmax(np.where(m[:, None, :] > 0, s, -1e9), axis=1), "query axis"),
])
def test_masked_wrong_answers(answer, words):
    r = ex_masked_attention.check(answer)
    assert r.status == INCORRECT and words in r.message, r.message


def test_masked_overflow_and_shapes():
    def no_max(s, m):  # right on small scores, overflows on large ones
        e = np.where(m[:, None, :] > 0, np.exp(s), 0.0)
        return e / e.sum(-1, keepdims=True)

    def max_before_mask(s, m):  # the largest score sits on a pad in one row: 0 / 0
        e = np.exp(s - s.max(-1, keepdims=True)) * m[:, None, :]
        return e / e.sum(-1, keepdims=True)

    for f in (no_max, max_before_mask):
        r = ex_masked_attention.check(f)
        assert r.status == INCORRECT and "NaN" in r.message and "never the largest" in r.message, r.message
    r = ex_masked_attention.check(lambda s, m: _softmax(s)[:, 0])
    assert r.status == INVALID and "scores' shape" in r.message
    r = ex_masked_attention.check(lambda s, m: {"w": 1})
    assert r.status == INVALID


# --- issue 25: answers outside the task's specification are never called correct ------------


def test_greedy_float_token_ids_are_not_token_ids():
    right = reference(ex_greedy_step, "greedy_step")
    r = ex_greedy_step.check(lambda p, d, t: right(p, d, t).astype(float))
    assert r.status == INVALID and "integer" in r.message and "float" in r.message, r.message
    r = ex_greedy_step.check(lambda p, d, t: right(p, d, t).tolist())
    assert r.status == INVALID and "numpy array" in r.message, r.message


def test_masked_a_python_list_is_not_an_array():
    right = reference(ex_masked_attention, "masked_softmax")
    r = ex_masked_attention.check(lambda s, m: right(s, m).tolist())
    assert r.status == INVALID and "numpy array" in r.message and "list" in r.message, r.message


def test_masked_nan_on_ordinary_scores_gets_no_overflow_advice():
    r = ex_masked_attention.check(lambda s, m: np.full(s.shape, np.nan))
    assert r.status == INCORRECT and "NaN" in r.message, r.message
    assert "overflow" not in r.message and "largest score" not in r.message, r.message
    assert "ordinary scores" in r.message
