"""Checkers of exercise set 11: DEER (one quasi-DEER iteration of a Keras GRU, written by hand)."""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    _call,
    _incorrect,
    _need_array,
    _need_callable,
    _Verdict,
)
from grucourse.core.deer import step_jacobian, step_parts
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
        _need_callable(answer, "quasi_deer_update")
        p, XW, f, D, H_prev, truth = _case(11)
        shape = (T_CHECK, U_CHECK)
        args = (f.copy(), D.copy(), H_prev.copy())
        got = _need_array(_call(answer, *args, what="quasi_deer_update(f, D, H_prev)"),
                          "the new guess", shape)
        if not np.all(np.isfinite(got)):
            raise _incorrect("the new guess contains NaN or infinity")
        want = _reference(f, D, H_prev)
        if np.allclose(got, want, atol=1e-8):
            H = H_prev
            for _ in range(T_CHECK):  # iterate the learner's update to the fixed point
                h0 = H_prev[0]
                H_in = np.concatenate([h0[None], H[:-1]])  # (T, u): guess of h_{t-1}
                H = _call(answer, step_parts(p, XW, H_in)["f"],
                          step_jacobian(p, XW, H_in, diagonal=True), H_in)
                H = np.asarray(H, dtype=float)
            gap = float(np.abs(H - truth).max())
            if gap < 1e-8:
                raise _Verdict(CORRECT, f"and iterating it {T_CHECK} times reaches the GRU's "
                                        f"states to {gap:.0e}: position t is exact after at most "
                                        "t iterations.")
            raise _incorrect("one update is right on this case, but iterating it does not reach "
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
                raise _incorrect(message)
        if np.allclose(got[0], want[0], atol=1e-8):
            raise _incorrect("row 0 is right, later rows are not: each step must use the new "
                             "h_{t-1} you just computed, not the guess.")
        raise _incorrect("compare row 0 by hand: h_1 = D[0] * H_prev[0] + (f[0] - D[0] * "
                         "H_prev[0]) = f[0].")


ex_quasi_deer_update = QuasiDeerUpdate()
