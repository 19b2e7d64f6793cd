"""Exercise set 12 (backpropagation through time): each checker accepts the reference, rejects known wrong
answers with specific messages, reports the untouched stub as not attempted, and answers wrong types and
shapes clearly. The references themselves are checked against finite differences and gru_backward."""

from dataclasses import replace

from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED
from grucourse.checks.bptt import ex_adjoint_step, ex_bptt_deltas, ex_grad_b_z
from grucourse.core.bptt import gru_backward
from grucourse.core.gru import gru_forward, init_gru_params
from grucourse.core.jacobians import gru_jacobian

import check_support
import numpy as np
import pytest

NAMES = [(ex_grad_b_z, "grad_b_z"), (ex_adjoint_step, "adjoint_step"),
         (ex_bptt_deltas, "bptt_deltas")]


def reference(exercise, name):
    return check_support.reference(exercise, name, np=np)


@pytest.mark.parametrize("exercise, name", NAMES, ids=[n for _, n in NAMES])
def test_stub_reference_and_types(exercise, name, capsys):
    check_support.assert_stub_reference_and_types(exercise, reference(exercise, name), capsys)
    assert exercise.check(...).status == NOT_ATTEMPTED


def test_grad_b_z_reference_is_a_finite_difference():
    """One step, loss <delta, h_1>: dL/db_z by central differences equals the reference."""
    rng = np.random.default_rng(0)
    p = init_gru_params(2, 3, rng, scale=1.5)
    x, h0, delta = rng.normal(size=(4, 1, 2)), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _, gates = gru_forward(x, p, h0=h0, return_gates=True)
    got = reference(ex_grad_b_z, "grad_b_z")(delta, gates["z"][:, 0], gates["h_tilde"][:, 0], h0)
    num = np.zeros(3)
    for i in range(3):
        vals = []
        for e in (1e-6, -1e-6):
            b_z = p.b_z.copy()
            b_z[i] += e
            vals.append(np.sum(delta * gru_forward(x, replace(p, b_z=b_z), h0=h0)))
        num[i] = (vals[0] - vals[1]) / 2e-6
    np.testing.assert_allclose(got, num, atol=1e-8)


def test_backward_loop_reference_gives_gru_backwards_h0_gradient():
    rng = np.random.default_rng(1)
    p = init_gru_params(2, 3, rng, scale=1.5)
    x, h0, g = rng.normal(size=(2, 5, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 5, 3))
    _, gates = gru_forward(x, p, h0=h0, return_gates=True)
    h_prev = np.concatenate([h0[:, None], gates["h"][:, :-1]], axis=1)  # (B, T, u)
    J = np.stack([gru_jacobian(p, x[:, t], h_prev[:, t]) for t in range(5)], axis=1)
    delta = reference(ex_bptt_deltas, "bptt_deltas")(J, g)
    np.testing.assert_allclose(delta[:, 0], gru_backward(x, p, g, h0=h0)["h0"], atol=1e-12)


@pytest.mark.parametrize("wrong, words", [
    (lambda dl, z, ht, hp: (dl * (ht - hp)).sum(0), "sigmoid's derivative"),
    (lambda dl, z, ht, hp: (dl * (hp - ht) * z * (1 - z)).sum(0), "sign is flipped"),
    (lambda dl, z, ht, hp: (dl * (ht - hp) * z * (1 - z)).mean(0), "averaged"),
    (lambda dl, z, ht, hp: (dl * (ht - hp) * (1 - z**2)).sum(0), "tanh's derivative"),
    (lambda dl, z, ht, hp: (dl * ht * z * (1 - z)).sum(0), "not h_tilde_t alone"),
    (lambda dl, z, ht, hp: (dl * z * (1 - z)).sum(0), "differs from the reference"),
])
def test_grad_b_z_wrong_answers(wrong, words):
    r = ex_grad_b_z.check(wrong)
    assert r.status == INCORRECT and words in r.message, r.message


def test_grad_b_z_shapes():
    r = ex_grad_b_z.check(lambda dl, z, ht, hp: dl * (ht - hp) * z * (1 - z))  # not summed
    assert r.status == INVALID and "sum over the batch" in r.message
    r = ex_grad_b_z.check(lambda dl, z, ht, hp: (dl * (ht - hp) * z * (1 - z)).sum())
    assert r.status == INVALID and "shape ()" in r.message
    r = ex_grad_b_z.check(lambda dl, z, ht, hp: "dz")
    assert r.status == INVALID
    r = ex_grad_b_z.check(lambda dl, z, ht, hp: np.full(dl.shape[1], np.nan))
    assert r.status == INVALID and "NaN" in r.message


@pytest.mark.parametrize("wrong, words", [
    (lambda dl, J, g: np.einsum("bij,bj->bi", J, dl) + g, "not by its transpose"),
    (lambda dl, J, g: np.einsum("bij,bi->bj", J, dl), "forgot g_{t-1}"),
    (lambda dl, J, g: np.einsum("bij,bi->bj", J, dl) - g, "not subtracted"),
    (lambda dl, J, g: np.einsum("bii,bi->bi", J, dl) + g, "diagonal"),
    (lambda dl, J, g: dl + g, "differs from the reference"),
])
def test_adjoint_step_wrong_answers(wrong, words):
    r = ex_adjoint_step.check(wrong)
    assert r.status == INCORRECT and words in r.message, r.message


def test_adjoint_step_shapes_and_inputs_unchanged():
    r = ex_adjoint_step.check(lambda dl, J, g: np.einsum("bij,bi->j", J, dl) + g[0])
    assert r.status == INVALID and "(batch, units)" in r.message

    def in_place(dl, J, g):  # changes its inputs, still returns the right thing
        g += np.einsum("bij,bi->bj", J, dl)
        return g

    assert ex_adjoint_step.check(in_place).status == CORRECT  # each call gets its own copies


def _loop(J, g, transpose=True, every_g=True, shift=0):
    B, T, u = g.shape
    delta = np.zeros((B, T + 1, u))
    delta[:, T] = g[:, T - 1]
    for t in range(T, 0, -1):
        Jt = J[:, (t - 1 - shift) % T]
        back = np.einsum("bij,bi->bj" if transpose else "bij,bj->bi", Jt, delta[:, t])
        delta[:, t - 1] = back + (g[:, t - 2] if (t > 1 and every_g) else 0)
    return delta


@pytest.mark.parametrize("wrong, words", [
    (lambda J, g: _loop(J, g, every_g=False), "only g_T"),
    (lambda J, g: _loop(J, g, shift=1), "one step off"),
    (lambda J, g: _loop(J, g, transpose=False), "not by its transpose"),
    (lambda J, g: _loop(J, g)[:, ::-1], "differs from the reference"),
])
def test_backward_loop_wrong_answers(wrong, words):
    r = ex_bptt_deltas.check(wrong)
    assert r.status == INCORRECT and words in r.message, r.message


def test_backward_loop_shapes():
    r = ex_bptt_deltas.check(lambda J, g: _loop(J, g)[:, 1:])  # delta_0 left out
    assert r.status == INVALID and "delta_0 .. delta_T" in r.message
    assert ex_bptt_deltas.check(lambda J, g: [1, 2]).status == INVALID


@pytest.mark.parametrize("exercise", [e for e, _ in NAMES], ids=[n for _, n in NAMES])
def test_hints_solution_and_a_crashing_answer(exercise, capsys):
    exercise.hint()
    assert capsys.readouterr().out.startswith("Hint")
    exercise.hint(99)
    assert f"only {len(exercise.hints)} hint(s)" in capsys.readouterr().out
    exercise.solution()
    assert capsys.readouterr().out.startswith("Solution:")

    def broken(*args):
        raise KeyError("oops")

    r = exercise.check(broken)
    assert r.status == "error in your code" and "raised KeyError at line" in r.message
