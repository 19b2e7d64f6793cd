"""Checkers of exercise set 12: backpropagation through time (12.1 ``dL/db_z`` of one step, 12.2 one
adjoint update ``delta_{t-1}``, 12.3 the whole backward recursion).

The references are :mod:`grucourse.core.bptt` (``step_backward``, ``adjoint_recursion``) on
random cases that the notebook never shows. Source convention: ``h_t = (1 - z_t) h_{t-1} +
z_t h_tilde_t``; Jacobians stored as ``J[b, i, j] = dh_t[i] / dh_{t-1}[j]``.
"""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    as_array,
    call_answer,
    incorrect,
    invalid,
    match_variants,
    need_callable,
)
from grucourse.core.bptt import adjoint_recursion, step_backward
from grucourse.core.gru import gru_forward, init_gru_params
from grucourse.core.jacobians import gru_jacobian

import numpy as np

SIZES = ((3, 5), (1, 1), (4, 2))  # (B, u) of the hidden cases


def _step_case(rng, B, u):
    """A real GRU step (source convention): params, delta, z, r, h_tilde, h_prev, J."""
    p = init_gru_params(2, u, rng, scale=1.5)
    x = rng.normal(size=(B, 2))  # (B, d)
    h_prev = rng.uniform(-1, 1, size=(B, u))  # (B, u)
    _, gates = gru_forward(x[:, None], p, h0=h_prev, return_gates=True)
    z, r, h_tilde = (gates[k][:, 0] for k in ("z", "r", "h_tilde"))  # (B, u) each
    delta = rng.normal(size=(B, u))  # (B, u): dL/dh_t
    return p, delta, z, r, h_tilde, h_prev, gru_jacobian(p, x, h_prev)


def _outputs(answer, cases, shape_of, what, shape_hint):
    got = []
    for args in cases:
        out = call_answer(answer, *(a.copy() for a in args), what=what)
        try:
            got.append(as_array(out, f"the result of {what}", shape_of(args)))
        except Verdict as v:
            raise invalid(f"{v.message} ({shape_hint})") from None
    return got


def _grade_against(got, want, variants, correct, hint):
    if all(np.allclose(g, w, atol=1e-8) for g, w in zip(got, want, strict=True)):
        raise Verdict(CORRECT, correct)
    known = match_variants(got, variants, atol=1e-8)
    if known:
        raise incorrect(known)
    worst = max(float(np.abs(g - w).max()) for g, w in zip(got, want, strict=True))
    raise incorrect(f"your result differs from the reference by up to {worst:.3g}. {hint}")


# --- Exercise 12.1: dL/db_z of one step --------------------------------------------------------


class GradBz(Exercise):
    name = "grad_b_z"
    hints = (
        "Chain rule along b_z -> a_z -> z_t -> h_t: dh_t/dz_t = h_tilde_t - h_prev (element-wise), "
        "dz/da_z = z (1 - z), and da_z/db_z = 1.",
        "delta * (h_tilde - h_prev) * z * (1 - z), then .sum(axis=0): b_z is shared by every "
        "example of the batch.",
    )
    solution_code = '''
def grad_b_z(delta, z, h_tilde, h_prev):
    d_z = delta * (h_tilde - h_prev)        # (B, u): dL/dz_t
    d_a_z = d_z * z * (1 - z)               # (B, u): through the sigmoid
    return d_a_z.sum(axis=0)                # (u,): b_z is shared by the batch
'''
    _wrong = {
        "you left out the sigmoid's derivative z (1 - z): z_t = sigmoid(a_z), so "
        "dz/da_z = z (1 - z).":
            lambda dl, z, ht, hp: (dl * (ht - hp)).sum(0),
        "your sign is flipped: in the source's convention dh_t/dz_t = h_tilde_t - h_prev "
        "(h_prev - h_tilde is Keras's convention).":
            lambda dl, z, ht, hp: (dl * (hp - ht) * z * (1 - z)).sum(0),
        "you averaged over the batch; the loss is a sum over examples, so the bias gradient is "
        "the sum (.sum(axis=0)).":
            lambda dl, z, ht, hp: (dl * (ht - hp) * z * (1 - z)).mean(0),
        "you used tanh's derivative 1 - z^2; z is a sigmoid, whose derivative is z (1 - z).":
            lambda dl, z, ht, hp: (dl * (ht - hp) * (1 - z**2)).sum(0),
        "dh_t/dz_t is h_tilde_t - h_prev, not h_tilde_t alone: z also scales h_prev by (1 - z).":
            lambda dl, z, ht, hp: (dl * ht * z * (1 - z)).sum(0),
    }

    def cases(self):
        rng = np.random.default_rng(1201)
        return [_step_case(rng, B, u) for B, u in SIZES]

    def _grade(self, answer):
        need_callable(answer, "grad_b_z")
        cases = self.cases()
        args = [(c[1], c[2], c[4], c[5]) for c in cases]  # delta, z, h_tilde, h_prev
        got = _outputs(answer, args, lambda a: (a[0].shape[1],), "grad_b_z(delta, z, h_tilde, "
                       "h_prev)", "one number per unit; sum over the batch axis 0")
        want = [step_backward(c[0], *c[1:6])["a_z"].sum(axis=0) for c in cases]  # (u,) each
        variants = {m: [f(*a) for a in args] for m, f in self._wrong.items()}
        _grade_against(got, want, variants, "your dL/db_z matches the course's step_backward on "
                       "3 hidden GRU steps.", "Write dL/dz_t first, then go through the sigmoid.")


# --- Exercise 12.2: one adjoint update --------------------------------------------------------


class AdjointStep(Exercise):
    name = "adjoint_step"
    hints = (
        "delta_{t-1}[j] = sum_i J[b, i, j] delta_t[i] + g_{t-1}[j]: the sum runs over the first "
        "(output) index of J, i.e. J transposed.",
        "np.einsum('bij,bi->bj', J, delta) + g_prev",
    )
    solution_code = '''
def adjoint_step(delta, J, g_prev):
    return np.einsum("bij,bi->bj", J, delta) + g_prev   # (B, u): J_t^T delta_t + g_{t-1}
'''
    _wrong = {
        "you multiplied by J, not by its transpose: h_{t-1}[j] reaches every h_t[i] through "
        "J[b, i, j], so sum over i (np.einsum('bij,bi->bj', J, delta)).":
            lambda dl, J, g: np.einsum("bij,bj->bi", J, dl) + g,
        "you forgot g_{t-1}, the gradient the loss sends to h_{t-1} directly.":
            lambda dl, J, g: np.einsum("bij,bi->bj", J, dl),
        "g_{t-1} is added, not subtracted: both paths increase the loss in the same way.":
            lambda dl, J, g: np.einsum("bij,bi->bj", J, dl) - g,
        "you multiplied element-wise by the diagonal of J only; the GRU's Jacobian is a full "
        "matrix (U_z, U_r, U_h mix the units), unlike the minGRU scan's diagonal a_t.":
            lambda dl, J, g: np.einsum("bii,bi->bi", J, dl) + g,
    }

    def cases(self):
        rng = np.random.default_rng(1202)
        out = []
        for B, u in SIZES:
            c = _step_case(rng, B, u)
            out.append((c[1], c[6], rng.normal(size=(B, u))))  # delta, J, g_prev
        return out

    def _grade(self, answer):
        need_callable(answer, "adjoint_step")
        cases = self.cases()
        got = _outputs(answer, cases, lambda a: a[0].shape, "adjoint_step(delta, J, g_prev)",
                       "one row per example, (batch, units)")
        want = [np.einsum("bij,bi->bj", J, dl) + g for dl, J, g in cases]  # (B, u) each
        variants = {m: [f(*a) for a in cases] for m, f in self._wrong.items()}
        _grade_against(got, want, variants, "your update is J_t^T delta_t + g_{t-1} on 3 hidden "
                       "GRU Jacobians.", "Check which index of J you sum over.")


# --- Exercise 12.3: the backward loop ----------------------------------------------------------


def _recursion(J, g, shift=0):
    """``adjoint_recursion`` with Jacobians ``J`` (B, T, u, u); ``shift=1`` uses ``J_{t-1}``."""
    T = g.shape[1]
    return adjoint_recursion(g, lambda t, d: np.einsum("bij,bi->bj", J[:, (t - 1 - shift) % T], d))


class BackwardLoop(Exercise):
    name = "bptt_deltas"
    hints = (
        "Start at delta_T = g_T (g[:, T - 1]); for t = T, T-1, ..., 1 compute "
        "delta_{t-1} = J_t^T delta_t + g_{t-1}, where J_t is J[:, t - 1] and g_{t-1} is "
        "g[:, t - 2] (0 for t = 1: h_0 is no output).",
        "Fill an array delta of shape (B, T + 1, u) from the end: delta[:, T] = g[:, T - 1], then "
        "delta[:, t - 1] = np.einsum('bij,bi->bj', J[:, t - 1], delta[:, t]) + (g[:, t - 2] if "
        "t > 1 else 0).",
    )
    solution_code = '''
def bptt_deltas(J, g):
    B, T, u = g.shape
    delta = np.zeros((B, T + 1, u))                        # delta[:, t] = dL/dh_t
    delta[:, T] = g[:, T - 1]                              # nothing comes back after h_T
    for t in range(T, 0, -1):
        back = np.einsum("bij,bi->bj", J[:, t - 1], delta[:, t])   # J_t^T delta_t
        delta[:, t - 1] = back + (g[:, t - 2] if t > 1 else 0)    # + g_{t-1}
    return delta
'''

    def cases(self):
        rng = np.random.default_rng(1203)
        out = []
        for (B, u), T in zip(SIZES, (6, 3, 9), strict=True):
            steps = [_step_case(rng, B, u)[6] for _ in range(T)]
            out.append((np.stack(steps, axis=1), rng.normal(size=(B, T, u))))  # J, g
        return out

    def _grade(self, answer):
        need_callable(answer, "bptt_deltas")
        cases = self.cases()
        got = _outputs(answer, cases, lambda a: (a[1].shape[0], a[1].shape[1] + 1, a[1].shape[2]),
                       "bptt_deltas(J, g)", "T + 1 adjoints per example, delta_0 .. delta_T")
        want = [_recursion(J, g) for J, g in cases]  # (B, T+1, u) each
        last_only = [np.zeros_like(g) for _, g in cases]
        for z, (_, g) in zip(last_only, cases, strict=True):
            z[:, -1] = g[:, -1]
        variants = {
            "you added only g_T; the loss also reaches each earlier h_t directly "
            "(+ g_{t-1} at every step).": [_recursion(J, z) for (J, _), z in
                                           zip(cases, last_only, strict=True)],
            "your Jacobians are one step off: delta_{t-1} uses J_t = dh_t/dh_{t-1}, "
            "stored at J[:, t - 1].": [_recursion(J, g, shift=1) for J, g in cases],
            "you multiplied by J, not by its transpose (sum over J's first index).":
                [_recursion(np.swapaxes(J, -1, -2), g) for J, g in cases],
        }
        _grade_against(got, want, variants, "delta_0 .. delta_T match the course's "
                       "adjoint_recursion on 3 hidden sequences.",
                       "Check delta[:, T] first, then one step back.")


ex_grad_b_z = GradBz()
ex_adjoint_step = AdjointStep()
ex_bptt_deltas = BackwardLoop()
