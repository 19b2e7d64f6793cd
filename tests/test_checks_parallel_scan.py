"""Exercise set 5 (the parallel scan, the scan by hand included): the reference passes, known wrong
answers get specific messages, the stub is "not attempted", and wrong types or shapes get a clear message."""

import linecache
import tempfile
from pathlib import Path

from grucourse.checks import (
    CORRECT,
    INCORRECT,
    INVALID,
    NOT_ATTEMPTED,
    ex_combine,
    ex_mingru_param_count,
    ex_scan_by_hand,
    ex_to_mingru,
)
from grucourse.checks.core import ERROR
from grucourse.core.gru import convert_convention
from grucourse.core.mingru import MinGRUParams

import numpy as np
import pytest

EXERCISES = [ex_combine, ex_to_mingru, ex_mingru_param_count]


def reference(exercise, name):
    ns = {"np": np, "convert_convention": convert_convention, "MinGRUParams": MinGRUParams}
    exec(exercise.solution_code, ns)  # noqa: S102 - our own reference code
    return ns[name]


def stub(*args):
    raise NotImplementedError("write your code here")


@pytest.mark.parametrize("exercise,name", [(ex_combine, "combine"), (ex_to_mingru, "to_mingru"),
                                           (ex_mingru_param_count, "mingru_param_count")])
def test_reference_passes_and_stubs_are_not_attempted(exercise, name):
    assert exercise.check(reference(exercise, name)).status == CORRECT
    assert exercise.check(None).status == NOT_ATTEMPTED
    assert exercise.check(stub).status == NOT_ATTEMPTED
    assert exercise.check(3).status == INVALID


def test_combine_correct_message_reports_associativity():
    assert "associative" in ex_combine.check(reference(ex_combine, "combine")).message


@pytest.mark.parametrize("wrong,words", [
    (lambda left, right: (left[0] * right[0], left[0] * right[1] + left[1]), "applies step 2 first"),
    (lambda left, right: (left[0] * right[0], left[1] + right[1]), "must decay"),
    (lambda left, right: (left[0] + right[0], right[0] * left[1] + right[1]), "multiplies them"),
])
def test_combine_wrong_answers(wrong, words):
    r = ex_combine.check(wrong)
    assert r.status == INCORRECT and words in r.message


def test_combine_wrong_type_and_shape():
    assert "a pair (a, b)" in ex_combine.check(lambda left, right: 1.0).message
    assert "shape" in ex_combine.check(lambda left, right: (np.zeros(3), np.zeros(3))).message


def test_to_mingru_wrong_answers():
    def no_flip(p):
        return MinGRUParams(W_z=p.W_z, b_z=p.b_z, W_h=p.W_h, b_h=p.b_h)

    def reset_gate(p):
        q = convert_convention(p, "source")
        return MinGRUParams(W_z=q.W_r, b_z=q.b_r, W_h=q.W_h, b_h=q.b_h)

    r = ex_to_mingru.check(no_flip)
    assert r.status == INCORRECT and "Keras's convention" in r.message
    r = ex_to_mingru.check(reset_gate)
    assert r.status == INCORRECT and "reset gate" in r.message
    assert ex_to_mingru.check(lambda p: p).status == INVALID


@pytest.mark.parametrize("wrong,words", [
    (lambda d, u: 3 * u * (d + u + 2), "GRU's count"),
    (lambda d, u: 2 * u * (d + u + 1), "recurrent matrices"),
    (lambda d, u: 2 * u * d, "biases"),
    (lambda d, u: 3 * u * (d + 1), "reset gate"),
])
def test_param_count_wrong_answers(wrong, words):
    r = ex_mingru_param_count.check(wrong)
    assert r.status == INCORRECT and words in r.message


def test_param_count_must_be_a_whole_number():
    r = ex_mingru_param_count.check(lambda d, u: 2.0 * u * (d + 1))
    assert r.status == INVALID and "whole number" in r.message


# --- 5.4 the scan by hand ---------------------------------------------------------------------

HAND = reference(ex_scan_by_hand, "levels")


def _as_lists(levels):
    return [(list(map(float, a)), list(map(float, b))) for a, b in levels]


def test_scan_by_hand_reference_is_the_loop_and_passes():
    h, loop = 0.0, []
    for b in ex_scan_by_hand.B:  # h_t = 0.5 h_(t-1) + b_t, written out
        h = 0.5 * h + b
        loop.append(h)
    np.testing.assert_allclose(HAND[-1][1], loop)
    np.testing.assert_allclose(HAND[-1][0], 0.5 ** np.arange(1, 9))
    r = ex_scan_by_hand.check(HAND)
    assert r.status == CORRECT and "3 dependent steps" in r.message
    rounded = [([round(v, 4) for v in a], b) for a, b in HAND]  # four decimals are enough
    assert ex_scan_by_hand.check(rounded).status == CORRECT


def test_scan_by_hand_stub_and_types():
    assert ex_scan_by_hand.check(None).status == NOT_ATTEMPTED
    assert ex_scan_by_hand.check(...).status == NOT_ATTEMPTED
    r = ex_scan_by_hand.check(stub)
    assert r.status == INVALID and "not a function" in r.message
    assert "list of three" in ex_scan_by_hand.check(3.0).message
    r = ex_scan_by_hand.check(HAND[:2])
    assert r.status == INVALID and "3 pairs" in r.message
    r = ex_scan_by_hand.check([(list(ex_scan_by_hand.A), list(ex_scan_by_hand.B)), *HAND])
    assert r.status == INVALID and "leave out the input" in r.message
    r = ex_scan_by_hand.check([(HAND[0][0][:7], HAND[0][1]), *HAND[1:]])
    assert r.status == INVALID and "shape (7,)" in r.message
    r = ex_scan_by_hand.check([HAND[0][1], *HAND[1:]])  # a bare list of numbers instead of a pair
    assert r.status == INVALID and "pair (a, b)" in r.message
    r = ex_scan_by_hand.check([(HAND[0][0], ["x"] * 8), *HAND[1:]])
    assert r.status == INVALID and "8 numbers" in r.message


def test_scan_by_hand_swapped_order_at_level_2():
    levels = _as_lists(HAND)
    a1, b1 = np.array(HAND[0][0], dtype=float), np.array(HAND[0][1], dtype=float)
    b_swapped = b1.copy()
    b_swapped[2:] = a1[:-2] * b1[2:] + b1[:-2]  # the later pair first, by hand
    levels[1] = (levels[1][0], list(b_swapped))
    r = ex_scan_by_hand.check(levels)
    assert r.status == INCORRECT and "level 2" in r.message and "wrong order" in r.message


def test_scan_by_hand_offset_one_at_every_level():
    a, b = np.full(8, 0.5), np.array(ex_scan_by_hand.B, dtype=float)
    levels = []
    for _ in range(3):  # a sequential-looking mistake: always the neighbour one step back
        a_new, b_new = a.copy(), b.copy()
        a_new[1:], b_new[1:] = a[:-1] * a[1:], a[1:] * b[:-1] + b[1:]
        a, b = a_new, b_new
        levels.append((a, b))
    r = ex_scan_by_hand.check(levels)
    assert r.status == INCORRECT and "level 2" in r.message and "1 place(s) earlier" in r.message


def test_scan_by_hand_skipped_level():
    r = ex_scan_by_hand.check([HAND[0], HAND[2], HAND[2]])
    assert r.status == INCORRECT and "level 2" in r.message and "skipped" in r.message


def test_scan_by_hand_a_not_updated_and_early_positions():
    levels = _as_lists(HAND)
    levels[0] = ([0.5] * 8, levels[0][1])  # b right, a left as the input
    r = ex_scan_by_hand.check(levels)
    assert r.status == INCORRECT and "a was not updated" in r.message
    levels = _as_lists(HAND)
    levels[2] = (levels[2][0], [0.0] * 4 + levels[2][1][4:])  # positions 0..3 wiped at offset 4
    r = ex_scan_by_hand.check(levels)
    assert r.status == INCORRECT and "positions t < 4" in r.message
    levels = _as_lists(HAND)
    levels[2] = (levels[2][0], levels[2][1][:7] + [9.0])  # one wrong number at the end
    r = ex_scan_by_hand.check(levels)
    assert r.status == INCORRECT and "position t = 7" in r.message


# --- issue 25: errors name the learner's line and the array that is wrong; one array is a form --


def _cell(src: str, **names):
    """Define the learner's function as a notebook cell does: code compiled from a file of its own."""
    ns = {"np": np, "convert_convention": convert_convention, "MinGRUParams": MinGRUParams, **names}
    name = str(Path(tempfile.gettempdir()) / "ipykernel_0" / "cell_12.py")  # where IPython puts cells
    linecache.cache[name] = (len(src), None, src.splitlines(keepends=True), name)  # as IPython does
    exec(compile(src, name, "exec"), ns)  # noqa: S102 - a learner's cell
    return ns


TRANSPOSED = '''def to_mingru(params):
    p = convert_convention(params, "source")
    return MinGRUParams(W_z=p.W_z.T, b_z=p.b_z, W_h=p.W_h, b_h=p.b_h)
'''


def test_to_mingru_error_is_on_the_learners_line_and_names_w_z():
    r = ex_to_mingru.check(_cell(TRANSPOSED)["to_mingru"])
    assert r.status == ERROR, r.message
    assert "line 3 of your code" in r.message and "return MinGRUParams" in r.message, r.message
    assert "line 7" not in r.message
    assert "W_z has shape (4, 3), expected (3, 4)" in r.message, r.message
    assert "b_z has shape" not in r.message, r.message


def test_minGRUParams_blames_the_transposed_matrix():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    for kwargs, name in (({"W_z": W.T, "b_z": b, "W_h": W, "b_h": b}, "W_z"),
                         ({"W_z": W, "b_z": b, "W_h": W.T, "b_h": b}, "W_h"),
                         ({"W_z": W, "b_z": b[:3], "W_h": W, "b_h": b}, "b_z")):
        with pytest.raises(ValueError) as err:
            MinGRUParams(**kwargs)
        assert str(err.value).startswith(f"{name} has shape"), str(err.value)


def test_an_error_inside_numpy_points_at_the_learners_line():
    ns = _cell('def to_mingru(params):\n    """Docstring."""\n    return np.concatenate([params.W_z, params.b_z])\n')
    r = ex_to_mingru.check(ns["to_mingru"])
    assert r.status == ERROR and "line 3 of your code" in r.message, r.message


def test_scan_by_hand_as_one_array():
    r = ex_scan_by_hand.check(np.array(HAND))  # (3, 2, 8): levels, (a, b), positions
    assert r.status == CORRECT, r.message
    r = ex_scan_by_hand.check(np.array(_as_lists(HAND)).tolist())  # nested lists of the same numbers
    assert r.status == CORRECT, r.message
    wrong = np.array(HAND)
    wrong[2, 1, 7] = 9.0
    r = ex_scan_by_hand.check(wrong)
    assert r.status == INCORRECT and "position t = 7" in r.message, r.message
    r = ex_scan_by_hand.check(np.array(HAND)[:, ::-1])  # (b, a) instead of (a, b)
    assert r.status != CORRECT
    r = ex_scan_by_hand.check(np.array(HAND).transpose(1, 0, 2))  # (2, 3, 8): ambiguous
    assert r.status == INVALID and "(3, 2, 8)" in r.message, r.message
    r = ex_scan_by_hand.check(np.array(HAND).reshape(3, 16))
    assert r.status == INVALID and "(3, 2, 8)" in r.message, r.message
    r = ex_scan_by_hand.check(np.concatenate([[[ex_scan_by_hand.A, ex_scan_by_hand.B]], np.array(HAND)]))
    assert r.status == INVALID and "leave out the input" in r.message, r.message
