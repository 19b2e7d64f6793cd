"""Exercise set 11 (DEER): the reference passes, known wrong answers get specific messages, the
stub is "not attempted", and wrong types or shapes get a clear message."""

from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED
from grucourse.checks.deer import QuasiDeerUpdate

import numpy as np
import pytest

ex = QuasiDeerUpdate()


def reference():
    ns = {"np": np}
    exec(ex.solution_code, ns)  # noqa: S102 - our own reference code
    return ns["quasi_deer_update"]


def stub(f, D, H_prev):
    raise NotImplementedError("write your code here")


def test_reference_passes_and_stub_is_not_attempted():
    r = ex.check(reference())
    assert r.status == CORRECT and "exact after at most" in r.message
    assert ex.check(None).status == NOT_ATTEMPTED
    assert ex.check(stub).status == NOT_ATTEMPTED
    assert ex.check(3).status == INVALID


def loop(f, D, H_prev, start, correction=True, use_guess=False):
    h, out = start, np.empty_like(f)
    for t in range(len(f)):
        prev = H_prev[t] if use_guess else h
        h = D[t] * prev + f[t] - (D[t] * H_prev[t] if correction else 0.0)
        out[t] = h
    return out


@pytest.mark.parametrize("wrong,words", [
    (lambda f, D, H: f.copy(), "fixed-point (Picard)"),
    (lambda f, D, H: loop(f, D, H, np.zeros(H.shape[1])), "h_0 = 0"),
    (lambda f, D, H: loop(f, D, H, H[0], correction=False), "dropped the correction"),
    (lambda f, D, H: loop(f, D, H, H[0]) + 0.1, "row 0"),
])
def test_wrong_answers_get_specific_messages(wrong, words):
    r = ex.check(wrong)
    assert r.status == INCORRECT and words in r.message, r.message


def test_bad_types_and_shapes():
    assert ex.check(lambda f, D, H: f.tolist()).status == INVALID
    assert ex.check(lambda f, D, H: f[:-1]).status == INVALID
    assert ex.check(lambda f, D, H: f.astype(bool)).status == INVALID
    r = ex.check(lambda f, D, H: f.T)
    assert r.status == INVALID and "shape" in r.message


def test_right_on_one_case_but_not_an_update_is_not_correct():
    calls = []

    def memorised(f, D, H_prev):
        calls.append(1)
        good = reference()(f, D, H_prev)
        return good if len(calls) == 1 else good + 0.01  # right once, wrong when iterated

    r = ex.check(memorised)
    assert r.status == INCORRECT and "iterating" in r.message
