"""Backpropagation through time by hand (grucourse.core.bptt) against two independent references.

- ``tf.GradientTape`` on ``keras.layers.GRU`` (``reset_after=True`` and ``False``), the weights mapped
  through ``core/gru_keras.py``: every kernel, recurrent kernel and bias entry, ``dL/dx`` and
  ``dL/dh_0``, for a loss on every state and a loss on the last state only.
- central finite differences in float64 on the numpy forward pass, for both update conventions.
- the recursion itself: one backward step equals ``J_t^T delta`` with the Jacobian of
  ``core/jacobians.py``, and with a diagonal Jacobian it is the minGRU scan's hand-written gradient.
- the comparisons can fail: a sign error planted in one term of a copy of the module is detected.
"""

from __future__ import annotations

import inspect
import types
from dataclasses import replace

import grucourse  # noqa: F401  (sets TensorFlow's logging before it is imported)
from grucourse.core import bptt
from grucourse.core.bptt import adjoint_recursion, gru_backward, keras_gradients, step_backward
from grucourse.core.gru import gru_forward, init_gru_params
from grucourse.core.gru_keras import from_keras, to_keras
from grucourse.core.jacobians import gru_jacobian

import keras
import numpy as np
import pytest
import tensorflow as tf

CASES = [(c, ra) for c in ("source", "keras") for ra in (False, True)]


def _problem(convention, reset_after, seed=0, B=2, T=5, d=3, u=4):
    rng = np.random.default_rng(seed)
    p = init_gru_params(d, u, rng, scale=1.0, convention=convention, reset_after=reset_after)
    x = rng.normal(size=(B, T, d))  # (B, T, d)
    h0 = rng.normal(size=(B, u))  # (B, u)
    G = rng.normal(size=(B, T, u))  # (B, T, u): L = sum_t <G_t, h_t>, so dL/dh_t = G_t
    return p, x, h0, G


def _loss(p, x, h0, G):
    _, gates = gru_forward(x, p, h0=h0, return_gates=True)
    return float(np.sum(G * gates["h"]))


def finite_differences(p, x, h0, G, eps=1e-6):
    """Central differences of the linear loss for every weight, ``h0`` and ``x`` (float64)."""
    out = {}
    names = [*bptt.WEIGHT_NAMES, *(["b_hh"] if p.reset_after else []), "h0", "x"]
    for name in names:
        base = {"x": x, "h0": h0}[name] if name in ("x", "h0") else getattr(p, name)
        num = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            vals = []
            for e in (eps, -eps):
                bumped = base.copy()
                bumped[i] += e
                args = {"p": p, "x": x, "h0": h0}
                if name in ("x", "h0"):
                    args[name] = bumped
                else:
                    args["p"] = replace(p, **{name: bumped})
                vals.append(_loss(G=G, **args))
            num[i] = (vals[0] - vals[1]) / (2 * eps)
        out[name] = num
    return out


def _gap(grads, reference):
    assert list(grads) == list(reference)
    return max(float(np.abs(grads[k] - reference[k]).max()) for k in reference)


@pytest.mark.parametrize("convention,reset_after", CASES)
def test_matches_finite_differences(convention, reset_after):
    p, x, h0, G = _problem(convention, reset_after)
    grads = gru_backward(x, p, G, h0=h0)
    assert grads["U_h"].shape == (4, 4) and grads["x"].shape == x.shape
    assert _gap(grads, finite_differences(p, x, h0, G)) < 1e-7


def _tape(layer, x, h0, G, last_only):
    x, h0 = tf.constant(x), tf.constant(h0)
    with tf.GradientTape() as tape:
        tape.watch([x, h0])
        h = layer(x, initial_state=h0)  # (B, T, u)
        loss = tf.reduce_sum(G[:, -1] * h[:, -1]) if last_only else tf.reduce_sum(G * h)
    cell = layer.cell
    return [g.numpy() for g in tape.gradient(
        loss, [cell.kernel, cell.recurrent_kernel, cell.bias, x, h0])]


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("last_only", [False, True])
def test_matches_gradient_tape_on_keras_gru(reset_after, last_only):
    _, x, h0, G = _problem("keras", reset_after, seed=1, T=7)
    layer = keras.layers.GRU(4, return_sequences=True, reset_after=reset_after, dtype="float64")
    layer.build((None, None, 3))
    rng = np.random.default_rng(2)
    layer.set_weights([rng.normal(0, 0.6, w.shape) for w in layer.get_weights()])
    want = _tape(layer, x, h0, G, last_only)
    p = from_keras(layer)
    grads = gru_backward(x, p, G[:, -1] if last_only else G, h0=h0)
    got = [*keras_gradients(grads, p), grads["x"], grads["h0"]]
    for name, w, g in zip(("kernel", "recurrent", "bias", "x", "h0"), want, got, strict=True):
        assert g.shape == w.shape, name
        assert np.abs(w - g).max() < 1e-12, name


@pytest.mark.parametrize("reset_after", [True, False])
def test_source_convention_through_to_keras(reset_after):
    """Source-convention weights written with to_keras: the z gradients change sign in Keras."""
    p, x, h0, G = _problem("source", reset_after, seed=3)
    layer = keras.layers.GRU(4, return_sequences=True, reset_after=reset_after)  # float32
    layer.build((None, None, 3))
    to_keras(p, layer)
    want = _tape(layer, x.astype(np.float32), h0.astype(np.float32), G.astype(np.float32), False)
    grads = gru_backward(x, p, G, h0=h0)
    got = [*keras_gradients(grads, p), grads["x"], grads["h0"]]
    for w, g in zip(want, got, strict=True):
        assert np.abs(w - g).max() < 1e-4 * max(1.0, np.abs(g).max())


def test_one_sequence_last_state_and_per_step():
    p, x, h0, G = _problem("source", True, seed=4, B=1)
    batched = gru_backward(x, p, G[:, -1], h0=h0)
    single = gru_backward(x[0], p, G[0, -1], h0=h0[0])
    assert single["x"].shape == x[0].shape and single["h0"].shape == (4,)
    for k in batched:
        np.testing.assert_allclose(single[k], batched[k][0] if k in ("x", "h0") else batched[k])
    full_G = np.zeros_like(G)
    full_G[:, -1] = G[:, -1]
    assert _gap(gru_backward(x, p, full_G, h0=h0), batched) == 0.0
    steps = gru_backward(x, p, G, h0=h0, per_step=True)
    total = gru_backward(x, p, G, h0=h0)
    assert steps["U_h"].shape == (5, 4, 4)
    for k in (*bptt.WEIGHT_NAMES, "b_hh"):
        np.testing.assert_allclose(steps[k].sum(axis=0), total[k], atol=1e-14)


@pytest.mark.parametrize("convention,reset_after", CASES)
def test_backward_step_is_the_transposed_jacobian(convention, reset_after):
    p, x, h0, _ = _problem(convention, reset_after, seed=5, T=1)
    _, gates = gru_forward(x, p, h0=h0, return_gates=True)
    delta = np.random.default_rng(6).normal(size=h0.shape)  # (B, u)
    out = step_backward(p, delta, *(gates[k][:, 0] for k in ("z", "r", "h_tilde")), h0)
    J = gru_jacobian(p, x[:, 0], h0)  # (B, u, u): J[b, i, j] = dh_i / dh_prev_j
    np.testing.assert_allclose(out["h_prev"], np.einsum("bij,bi->bj", J, delta), atol=1e-12)


def test_diagonal_recursion_is_the_mingru_scan_gradient():
    from grucourse.layers.mingru import scan_with_gradient

    rng = np.random.default_rng(7)
    a = rng.uniform(0.2, 0.9, (2, 19, 3))  # (B, T, u)
    b, g = rng.normal(size=(2, 19, 3)), rng.normal(size=(2, 19, 3))  # (B, T, u) each
    lam = adjoint_recursion(g, lambda t, d: a[:, t - 1] * d)  # J_t = diag(a_t)
    b_tf = tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch(b_tf)
        loss = tf.reduce_sum(g * scan_with_gradient(tf.constant(a), b_tf))
    # lam[:, t] = dL/dh_t for h_1..h_T sits at 1..T; the scan's lambda_t = dL/db_t = dL/dh_t
    np.testing.assert_allclose(tape.gradient(loss, b_tf).numpy(), lam[:, 1:], atol=1e-12)


def _mutant(old, new):
    source = inspect.getsource(bptt)
    assert source.count(old) == 1, old
    module = types.ModuleType("bptt_mutant")
    exec(compile(source.replace(old, new), "bptt_mutant.py", "exec"), module.__dict__)  # noqa: S102
    return module


@pytest.mark.parametrize("old,new", [
    ("delta * (h_tilde - h_prev)", "delta * (h_prev - h_tilde)"),  # sign of the update-gate term
    ("through_h = d_n * r", "through_h = -d_n * r"),  # sign of the path through the reset product
    ("d_a_r = d_r * r * (1 - r)", "d_a_r = -d_r * r * (1 - r)"),  # sign of the reset gate's term
])
def test_a_planted_sign_error_is_detected(old, new):
    p, x, h0, G = _problem("source", False)
    wrong = _mutant(old, new).gru_backward(x, p, G, h0=h0)
    assert _gap(wrong, finite_differences(p, x, h0, G)) > 1e-3


def test_a_planted_sign_error_in_the_reset_after_path_fails_against_keras():
    mutant = _mutant("d_r = d_a_h * n  #", "d_r = -d_a_h * n  #")
    _, x, h0, G = _problem("keras", True, seed=8)
    layer = keras.layers.GRU(4, return_sequences=True, dtype="float64")
    layer.build((None, None, 3))
    want = _tape(layer, x, h0, G, False)
    p = from_keras(layer)
    grads = mutant.gru_backward(x, p, G, h0=h0)
    got = [*mutant.keras_gradients(grads, p), grads["x"], grads["h0"]]
    assert max(np.abs(w - g).max() for w, g in zip(want, got, strict=True)) > 1e-3


def test_bad_input_is_named():
    p, x, h0, G = _problem("source", False)
    with pytest.raises(TypeError, match="GRUParams"):
        gru_backward(x, {"W_z": 1}, G)
    with pytest.raises(ValueError, match="dL_dh has shape"):
        gru_backward(x, p, G[:, :2])
    with pytest.raises(ValueError, match="dL_dh contains NaN"):
        gru_backward(x, p, np.full_like(G, np.nan))
    with pytest.raises(ValueError, match="h0 has shape"):
        gru_backward(x, p, G, h0=h0[:1])
    with pytest.raises(ValueError, match="grads lacks"):
        keras_gradients({"W_z": 0}, p)
    with pytest.raises(ValueError, match="batch, time, units"):
        adjoint_recursion(G[0], lambda t, d: d)
