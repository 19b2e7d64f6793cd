"""Exercise set 9 (what linear recurrences cannot track): the reference passes, known wrong answers
fail with the first wrong length and the reason, the stub is "not attempted", and wrong types or
shapes get a clear message."""

from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED
from grucourse.checks.core import ERROR
from grucourse.checks.linear_recurrences import ex_parity_transition, ex_parity_unit

import numpy as np
import pytest


def reference(exercise, name):
    ns = {"np": np}
    exec(exercise.solution_code, ns)  # noqa: S102 - our own reference code
    return ns[name]


def stub(*args):
    raise NotImplementedError("write your code here")


@pytest.mark.parametrize("exercise,name", [(ex_parity_transition, "parity_transition"),
                                           (ex_parity_unit, "parity_unit")])
def test_reference_passes_and_stubs_are_not_attempted(exercise, name):
    r = exercise.check(reference(exercise, name))
    assert r.status == CORRECT, r.message
    assert exercise.check(None).status == NOT_ATTEMPTED
    assert exercise.check(...).status == NOT_ATTEMPTED
    assert exercise.check(stub).status == NOT_ATTEMPTED
    assert exercise.check(3).status == INVALID


def test_an_equivalent_transition_also_passes():
    # a = cos(pi x), b = x: the same numbers written another way
    r = ex_parity_transition.check(lambda x: (np.cos(np.pi * x), x.copy()))
    assert r.status == CORRECT, r.message


@pytest.mark.parametrize("wrong,length,words", [
    (lambda x: (1.0 - x, 1.0 * x), 2, "never negative"),  # a 1 resets to 1
    (lambda x: (1.0 - 2.0 * x, 0.0 * x), 1, "b = 1 there"),  # flips 0 to 0
    (lambda x: (-np.ones_like(x), 1.0 * x), 2, "keep the state"),  # flips on a 0 too
    (lambda x: (0.9 * (1.0 - 2.0 * x), 1.0 * x), None, "shrinks the gap"),  # |a| < 1
    (lambda x: (1.0 - 0.5 * x, 0.5 * x), None, "never negative"),  # a in [0, 1]
])
def test_parity_transition_wrong_answers_name_the_length_and_why(wrong, length, words):
    r = ex_parity_transition.check(wrong)
    assert r.status == INCORRECT and words in r.message, r.message
    assert "first wrong at length" in r.message
    if length is not None:
        assert f"length {length}:" in r.message, r.message


def test_the_decaying_flip_passes_short_strings_and_fails_a_longer_one():
    r = ex_parity_transition.check(lambda x: (0.9 * (1.0 - 2.0 * x), 1.0 * x))
    T = int(r.message.split("length ")[1].split(":")[0])
    assert T > 4  # right on every string a learner would try by hand


@pytest.mark.parametrize("bad,words", [
    (lambda x: 1.0 - 2.0 * x, "a pair (a, b)"),
    (lambda x: ((1.0 - 2.0 * x).tolist(), x.tolist()), "numpy array"),
    (lambda x: (1.0 - 2.0 * x[0], x[0]), "shape"),
    (lambda x: ((1.0 - 2.0 * x).astype(str), x), "expected real numbers"),
    (lambda x: (np.full(x.shape, np.nan), x), "NaN"),
])
def test_parity_transition_bad_types_and_shapes(bad, words):
    r = ex_parity_transition.check(bad)
    assert r.status == INVALID and words in r.message, r.message


def test_parity_transition_error_in_the_learners_code():
    r = ex_parity_transition.check(lambda x: (1 / 0, x))
    assert r.status == ERROR and "ZeroDivisionError" in r.message


@pytest.mark.parametrize("weights,words", [
    ((4.0, -2.0, 0.0, 1.0), "gate saturates"),  # right signs, |a| = 0.76: wears away
    ((40.0, -20.0, 0.0, 0.0), "h_tilde = 1"),  # h_tilde = 0: nothing to flip
    ((-40.0, 20.0, 0.0, 1.0), "never flips"),  # z ~ 1 - x: a >= 0 on a 1
    ((40.0, 5.0, 0.0, 1.0), "should keep"),  # z near 1 on a 0 too
])
def test_parity_unit_wrong_answers(weights, words):
    r = ex_parity_unit.check(lambda: weights)
    assert r.status == INCORRECT and words in r.message, r.message
    assert "first wrong at length" in r.message


def test_a_gate_that_is_sharp_but_not_sharp_enough_fails_late():
    r = ex_parity_unit.check(lambda: (16.0, -8.0, 0.0, 1.0))  # |a| = 1 - 2 sigmoid(-8)
    assert r.status == INCORRECT and "gate saturates" in r.message, r.message
    T = int(r.message.split("length ")[1].split(":")[0])
    assert T >= 1024  # |a| = 0.99933: the states drift to 0.5 only after about 1,000 bits


@pytest.mark.parametrize("bad,words", [
    (lambda: (40.0, -20.0, 0.0), "four numbers"),
    (lambda: np.array([40.0, -20.0, 0.0, 1.0]), "four numbers"),
    (lambda: (40.0, -20.0, 0.0, "1"), "one number"),
    (lambda: (40.0, -20.0, 0.0, True), "one number"),
    (lambda: (np.inf, -20.0, 0.0, 1.0), "finite"),
])
def test_parity_unit_bad_types(bad, words):
    r = ex_parity_unit.check(bad)
    assert r.status == INVALID and words in r.message, r.message
