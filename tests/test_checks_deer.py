"""Exercise set 11 (DEER): the reference passes, known wrong answers get specific messages, the
stub is "not attempted", and wrong types or shapes get a clear message."""

from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED
from grucourse.checks.deer import ElkStep, QuasiDeerUpdate

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


# --- 11.2: ELK's step for one unit -------------------------------------------------------------

elk = ElkStep()


def elk_reference():
    ns = {"np": np}
    exec(elk.solution_code, ns)  # noqa: S102 - our own reference code
    return ns["elk_step"]


def normal_equations(a, c, h0, y, lam):
    """The minimiser by its normal equations (tridiagonal), independent of both the reference's
    least-squares rows and the package's Kalman smoother."""
    T = len(c)
    D = np.eye(T) - np.diag(a[1:], -1)  # (T, T): h_t - a_t h_{t-1}
    b = c.copy()
    b[0] += a[0] * h0
    return np.linalg.solve(D.T @ D + lam * np.eye(T), D.T @ b + lam * y)


def one_unit_recurrence(a, c, h0):
    h, out = h0, np.empty_like(c)
    for t in range(len(c)):
        h = a[t] * h + c[t]
        out[t] = h
    return out


def test_elk_reference_passes_and_stub_is_not_attempted():
    r = elk.check(elk_reference())
    assert r.status == CORRECT and "Kalman smoother" in r.message
    assert elk.check(None).status == NOT_ATTEMPTED

    def elk_stub(a, c, h0, y, lam):
        raise NotImplementedError("write your code here")

    assert elk.check(elk_stub).status == NOT_ATTEMPTED


def test_an_independent_solution_is_correct():
    assert elk.check(normal_equations).status == CORRECT


@pytest.mark.parametrize("wrong,words", [
    (lambda a, c, h0, y, lam: one_unit_recurrence(a, c, h0), "quasi-DEER's step"),
    (lambda a, c, h0, y, lam: y.copy(), "returned the guess"),
    (lambda a, c, h0, y, lam: normal_equations(a, c, h0, y, lam**2), "weigh lam^2"),
    (lambda a, c, h0, y, lam: normal_equations(a, c, 0.0, y, lam), "h_0 = 0"),
    (lambda a, c, h0, y, lam: normal_equations(a, c, h0, y, lam) + 1e-3, "away from the minimiser"),
])
def test_elk_wrong_answers_get_specific_messages(wrong, words):
    r = elk.check(wrong)
    assert r.status == INCORRECT and words in r.message, r.message


def test_elk_right_only_for_one_lambda_is_not_correct():
    def first_case_only(a, c, h0, y, lam):
        return normal_equations(a, c, h0, y, 0.3)  # ignores lam: right for the first case only

    r = elk.check(first_case_only)
    assert r.status == INCORRECT, r.message


def test_elk_bad_types_and_shapes():
    assert elk.check(lambda a, c, h0, y, lam: normal_equations(a, c, h0, y, lam).tolist()).status == INVALID
    r = elk.check(lambda a, c, h0, y, lam: normal_equations(a, c, h0, y, lam)[:, None])
    assert r.status == INVALID and "shape" in r.message
    assert elk.check(lambda a, c, h0, y, lam: np.full(len(c), np.nan)).status == INCORRECT
    assert elk.check("elk").status == INVALID
