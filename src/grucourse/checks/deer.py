"""Checkers of exercise set 11: DEER (one quasi-DEER iteration of a Keras GRU, written by hand)
and ELK (one quasi-ELK step of one unit, as a least-squares problem)."""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    call_answer,
    incorrect,
    need_array,
    need_callable,
)
from grucourse.core.deer import kalman_smoother, linear_recurrence, step_jacobian, step_parts
from grucourse.core.gru import gru_forward, init_gru_params

import numpy as np

T_CHECK, U_CHECK, D_CHECK = 12, 4, 3


def _case(seed: int):
    """A Keras-convention GRU, ``XW`` ``(T, 3u)``, a guess ``H_prev`` ``(T, u)`` with a nonzero
    ``h_0`` first, and ``f``, ``D`` at that guess; plus the true states ``(T, u)``."""
    rng = np.random.default_rng(seed)
    p = init_gru_params(D_CHECK, U_CHECK, rng, scale=1.5, convention="keras", reset_after=True)
    x = rng.normal(size=(T_CHECK, D_CHECK))  # (T, d)
    XW = x @ np.concatenate([p.W_z, p.W_r, p.W_h], axis=1) + np.concatenate(
        [p.b_z, p.b_r, p.b_h])  # (T, 3u)
    h0 = rng.uniform(-0.5, 0.5, U_CHECK)  # (u,)
    H_prev = np.concatenate([h0[None], rng.uniform(-0.5, 0.5, (T_CHECK - 1, U_CHECK))])  # (T, u)
    f = step_parts(p, XW, H_prev)["f"]  # (T, u)
    D = step_jacobian(p, XW, H_prev, diagonal=True)  # (T, u)
    _, trace = gru_forward(x[None], p, h0=h0[None], return_gates=True)
    return p, XW, f, D, H_prev, trace["h"][0]


def _variant(f, D, H_prev, start=None, correction=True):
    """The update from ``start`` (default ``h_0 = H_prev[0]``), with or without ``- D H_prev``."""
    h, out = (H_prev[0] if start is None else start), np.empty_like(f)  # (u,), (T, u)
    for t in range(len(f)):
        h = D[t] * h + f[t] - (D[t] * H_prev[t] if correction else 0.0)  # (u,)
        out[t] = h
    return out


def _reference(f, D, H_prev):
    return _variant(f, D, H_prev)


class QuasiDeerUpdate(Exercise):
    name = "quasi_deer_update"
    hints = (
        "Linearise step t at the guess: h_t ~ f_t + D_t * (h_{t-1} - H_prev[t]). Run that from "
        "h_0 = H_prev[0], one step after the other, with the NEW h_{t-1} each time.",
        "h = H_prev[0]; for t in range(T): h = D[t] * h + (f[t] - D[t] * H_prev[t]); "
        "store h in row t.",
    )
    solution_code = '''
def quasi_deer_update(f, D, H_prev):
    h = H_prev[0]                     # h_0 is known exactly
    H_new = np.empty_like(f)          # (T, u)
    for t in range(len(f)):
        h = D[t] * h + (f[t] - D[t] * H_prev[t])   # linearised step t
        H_new[t] = h
    return H_new
'''

    def _grade(self, answer):
        need_callable(answer, "quasi_deer_update")
        p, XW, f, D, H_prev, truth = _case(11)
        shape = (T_CHECK, U_CHECK)
        args = (f.copy(), D.copy(), H_prev.copy())
        got = need_array(call_answer(answer, *args, what="quasi_deer_update(f, D, H_prev)"),
                          "the new guess", shape)
        if not np.all(np.isfinite(got)):
            raise incorrect("the new guess contains NaN or infinity")
        want = _reference(f, D, H_prev)
        if np.allclose(got, want, atol=1e-8):
            H = H_prev
            for _ in range(T_CHECK):  # iterate the learner's update to the fixed point
                h0 = H_prev[0]
                H_in = np.concatenate([h0[None], H[:-1]])  # (T, u): guess of h_{t-1}
                H = call_answer(answer, step_parts(p, XW, H_in)["f"],
                          step_jacobian(p, XW, H_in, diagonal=True), H_in)
                H = np.asarray(H, dtype=float)
            gap = float(np.abs(H - truth).max())
            if gap < 1e-8:
                raise Verdict(CORRECT, f"and iterating it {T_CHECK} times reaches the GRU's "
                                        f"states to {gap:.0e}: position t is exact after at most "
                                        "t iterations.")
            raise incorrect("one update is right on this case, but iterating it does not reach "
                             f"the GRU's states (gap {gap:.1e}): does it depend on the guess only "
                             "through f, D and H_prev?")
        wrong = {
            "every row equals f: that is the fixed-point (Picard) step h_t = f(H_prev[t]), "
            "which ignores how h_t depends on the new h_{t-1}.": f,
            "you started from h_0 = 0; h_0 = H_prev[0] is known and is not zero here.":
                _variant(f, D, H_prev, start=np.zeros(U_CHECK)),
            "you dropped the correction - D_t * H_prev[t]: the linearisation is taken at the "
            "guess, h_t ~ f_t + D_t (h_{t-1} - H_prev[t]).":
                _variant(f, D, H_prev, correction=False),
        }
        for message, value in wrong.items():
            if np.allclose(got, value, atol=1e-8):
                raise incorrect(message)
        if np.allclose(got[0], want[0], atol=1e-8):
            raise incorrect("row 0 is right, later rows are not: each step must use the new "
                             "h_{t-1} you just computed, not the guess.")
        raise incorrect("compare row 0 by hand: h_1 = D[0] * H_prev[0] + (f[0] - D[0] * "
                         "H_prev[0]) = f[0].")


ex_quasi_deer_update = QuasiDeerUpdate()


T_ELK = 8
ELK_CASES = ((21, 0.3), (22, 3.0), (23, 0.05))  # (seed, lam) of the hidden cases


def _elk_case(seed: int):
    """One unit: ``a``, ``c``, the guess ``y`` (each ``(T,)``) and a nonzero ``h0``."""
    rng = np.random.default_rng(seed)
    a, c, y = rng.uniform(-1.0, 1.0, T_ELK), rng.normal(size=T_ELK), rng.normal(size=T_ELK)
    return a, c, float(rng.uniform(0.2, 0.6)), y


def _one_unit(fn, a, c, h0, *rest):
    """``fn`` of the package (``(B, T, u)`` arrays) on one unit's ``(T,)`` arrays; ``(T,)``."""
    col = [np.asarray(v, dtype=float)[None, :, None] for v in (a, c)]  # (1, T, 1) each
    extra = [np.asarray(v, dtype=float)[None, :, None] if np.ndim(v) else v for v in rest]
    return fn(*col, np.array([[h0]]), *extra)[0, :, 0]  # (T,)


class ElkStep(Exercise):
    name = "elk_step"
    hints = (
        "Each term is a squared residual. Make one row per residual: T rows for "
        "h_t - a_t h_{t-1} - c_t (h_0 is a known number, so in the first row a[0] * h0 moves to "
        "the right-hand side) and T rows for sqrt(lam) (h_t - y_t). Then solve M h = rhs in the "
        "least-squares sense with np.linalg.lstsq(M, rhs, rcond=None)[0].",
        "M = np.zeros((2 * T, T)); rhs = np.zeros(2 * T). For each t: M[t, t] = 1, and "
        "M[t, t - 1] = -a[t] when t > 0; rhs[t] = c[t], plus a[0] * h0 when t == 0; "
        "M[T + t, t] = np.sqrt(lam); rhs[T + t] = np.sqrt(lam) * y[t].",
    )
    solution_code = '''
def elk_step(a, c, h0, y, lam):
    T = len(c)
    M = np.zeros((2 * T, T))          # one row per squared residual
    rhs = np.zeros(2 * T)
    for t in range(T):
        M[t, t] = 1.0                 # h_t - a_t h_{t-1} - c_t
        if t > 0:
            M[t, t - 1] = -a[t]
        rhs[t] = c[t] + (a[0] * h0 if t == 0 else 0.0)
        M[T + t, t] = np.sqrt(lam)    # sqrt(lam) (h_t - y_t)
        rhs[T + t] = np.sqrt(lam) * y[t]
    return np.linalg.lstsq(M, rhs, rcond=None)[0]
'''

    def _grade(self, answer):
        need_callable(answer, "elk_step")
        for seed, lam in ELK_CASES:
            a, c, h0, y = _elk_case(seed)
            got = need_array(call_answer(answer, a.copy(), c.copy(), h0, y.copy(), lam,
                                         what="elk_step(a, c, h0, y, lam)"), "h", (T_ELK,))
            if not np.all(np.isfinite(got)):
                raise incorrect("h contains NaN or infinity")
            want = _one_unit(kalman_smoother, a, c, h0, y, lam)  # (T,)
            if np.allclose(got, want, atol=1e-8):
                continue
            wrong = {
                "that is quasi-DEER's step, the recurrence h_t = a_t h_{t-1} + c_t: it ignores "
                "the penalty (ELK with lam = 0).": _one_unit(linear_recurrence, a, c, h0),
                "you returned the guess y: that is the limit lam -> infinity, where ELK never "
                "moves.": y,
                "the penalty rows carry sqrt(lam), so that their squares add up to "
                "lam (h_t - y_t)^2; yours weigh lam^2.":
                    _one_unit(kalman_smoother, a, c, h0, y, lam**2),
                "you started from h_0 = 0; h0 is given and is not zero here: in the first row "
                "a[0] * h0 moves to the right-hand side.":
                    _one_unit(kalman_smoother, a, c, 0.0, y, lam),
            }
            for message, value in wrong.items():
                if np.allclose(got, value, atol=1e-8):
                    raise incorrect(message)
            gap = float(np.abs(got - want).max())
            raise incorrect(f"for lam = {lam} your h is up to {gap:.1e} away from the minimiser; "
                            "write the objective's gradient for one h_t and check that it is zero "
                            "at your answer.")
        raise Verdict(CORRECT, f"on {len(ELK_CASES)} cases (lam from 0.05 to 3) it equals the "
                               "Kalman smoother that core.deer.kalman_smoother runs forward and "
                               "backward in time.")


ex_elk_step = ElkStep()
