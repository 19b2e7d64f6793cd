"""DEER and quasi-DEER in TensorFlow: ``keras.layers.GRU``'s states for all steps at once.

The same Newton iteration as the numpy reference :mod:`grucourse.core.deer` (equations and
Jacobian there; Lim et al. 2024, arXiv:2309.12252, section 3; Gonzalez et al. 2024,
arXiv:2407.19115, section 4.1), on the weights of a built ``keras.layers.GRU(reset_after=True)``:
each iteration evaluates ``f`` and ``J_t`` at the current guess for all ``T`` steps in one batch,
then solves the linear recurrence ``h_t = A_t h_{t-1} + c_t`` with a scan
(:func:`grucourse.layers.scan.scan` for quasi-DEER, :func:`grucourse.layers.scan.matrix_scan` for
full DEER) inside one ``tf.while_loop`` that stops when no state moves by more than ``tol``.

Gradients (:func:`deer_states`) go through the fixed point by the adjoint method (Lim et al.
2024, section 3.3): at the solution ``H* = F(H*)``, ``dL/dtheta = sum_t lambda_t . df_t/dtheta``
with ``lambda_t = g_t + J_{t+1}^T lambda_{t+1}``, a linear recurrence backwards in time. It is
solved by the same quasi-Newton splitting as the forward pass (a diagonal reverse scan plus the
exact product ``J^T lambda`` as one matrix product), then one ``GradientTape`` pass over ``F``
gives the weights' and inputs' gradients.
"""

from __future__ import annotations

from grucourse.layers.scan import DEFAULT_METHOD, matrix_scan, scan

import numpy as np
import tensorflow as tf

SOLVERS = ("quasi", "full")


def gru_weights(layer):
    """``(kernel (d, 3u), recurrent_kernel (u, 3u), bias (2, 3u))`` of a built
    ``keras.layers.GRU`` with ``reset_after=True`` and ``use_bias=True``, as tensors."""
    cell = getattr(layer, "cell", layer)
    if not getattr(cell, "built", False):
        raise ValueError("the Keras GRU layer is not built yet: call it on data first")
    if not (getattr(cell, "reset_after", False) and getattr(cell, "use_bias", False)):
        raise ValueError("DEER here needs keras.layers.GRU(reset_after=True, use_bias=True)")
    return tuple(tf.convert_to_tensor(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias))


def _projections(x, kernel, bias):
    """``x_t W + b`` ``(B, T, 3u)`` with both z and r biases folded in, and ``b_hh`` ``(u,)``."""
    u = kernel.shape[1] // 3
    fold = tf.concat([bias[1, :2 * u], tf.zeros_like(bias[1, 2 * u:])], axis=0)  # (3u,)
    return tf.matmul(x, kernel) + bias[0] + fold, bias[1, 2 * u:]  # (B, T, 3u), (u,)


def _parts(XW, H_prev, U, b_hh):
    """Gates and ``f`` of every step at the guess ``H_prev`` ``(B, T, u)`` (all ``(B, T, u)``)."""
    u = U.shape[0]
    hU = tf.matmul(H_prev, U)  # (B, T, u) @ (u, 3u) -> (B, T, 3u)
    z = tf.sigmoid(XW[..., :u] + hU[..., :u])  # (B, T, u)
    r = tf.sigmoid(XW[..., u:2 * u] + hU[..., u:2 * u])  # (B, T, u)
    q = hU[..., 2 * u:] + b_hh  # (B, T, u)
    n = tf.tanh(XW[..., 2 * u:] + r * q)  # (B, T, u)
    dn = (1.0 - z) * (1.0 - n * n)  # (B, T, u)
    coef = ((H_prev - n) * z * (1.0 - z), dn * r * (1.0 - r) * q, dn * r)  # 3 x (B, T, u)
    return z, z * H_prev + (1.0 - z) * n, coef


def _shift_in(H, h0):
    """``H_prev``: ``H`` ``(B, T, u)`` one step later, ``h0`` ``(B, u)`` first."""
    return tf.concat([h0[:, None], H[:, :-1]], axis=1)  # (B, T, u)


def solve(x, kernel, recurrent_kernel, bias, solver="quasi", tol=1e-6, max_iter=None,
          damping=0.0, scan_method=DEFAULT_METHOD):
    """(quasi-)DEER forward pass: ``(H (B, T, u), iterations)`` for ``x`` (B, T, d), ``h_0 = 0``.

    Stops when the largest change is ``<= tol`` or after ``max_iter`` (default ``T + 1``)
    iterations; iterates are clipped to ``[-1, 1]`` and the Jacobian divided by ``1 + damping``
    (the safeguards of :mod:`grucourse.core.deer`). ``T`` must be static.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    T = x.shape[1]
    if T is None:
        raise ValueError("DEER needs a static sequence length T (x of shape (B, T, d))")
    max_iter = T + 1 if max_iter is None else int(max_iter)
    u = recurrent_kernel.shape[0]
    U = recurrent_kernel
    XW, b_hh = _projections(x, kernel, bias)  # (B, T, 3u), (u,)
    h0 = tf.zeros_like(XW[:, 0, :u])  # (B, u)
    diags = [tf.linalg.diag_part(U[:, i * u:(i + 1) * u]) for i in range(3)]  # 3 x (u,)

    def body(k, H, change):
        H_prev = _shift_in(H, h0)  # (B, T, u)
        z, f, coef = _parts(XW, H_prev, U, b_hh)
        if solver == "quasi":
            A = (z + sum(c * g for c, g in zip(coef, diags, strict=True))) / (1.0 + damping)
            H_new = scan(A, f - A * H_prev, scan_method)  # (B, T, u)
        else:
            A = tf.linalg.diag(z) + sum(c[..., :, None] * tf.transpose(U[:, i * u:(i + 1) * u])
                                        for i, c in enumerate(coef))  # (B, T, u, u)
            A = A / (1.0 + damping)
            H_new = matrix_scan(A, f - tf.linalg.matvec(A, H_prev))  # (B, T, u)
        H_new = tf.clip_by_value(H_new, -1.0, 1.0)
        return k + 1, H_new, tf.reduce_max(tf.abs(H_new - H))

    start = (tf.constant(0), tf.zeros_like(XW[..., :u]), tf.constant(np.inf, XW.dtype))
    k, H, _ = tf.while_loop(lambda k, H, change: (k < max_iter) & (change > tol), body, start)
    return H, k


def _adjoint(g, XW, H, U, b_hh, tol, max_iter, scan_method):
    """``lambda`` ``(B, T, u)`` with ``lambda_t = g_t + J_{t+1}^T lambda_{t+1}`` at the solution
    ``H``, by quasi-Newton sweeps (a diagonal reverse scan plus the exact ``J^T lambda``)."""
    u = U.shape[0]
    H_prev = _shift_in(H, tf.zeros_like(H[:, 0]))  # (B, T, u)
    z, _, coef = _parts(XW, H_prev, U, b_hh)
    D = z + sum(c * tf.linalg.diag_part(U[:, i * u:(i + 1) * u]) for i, c in enumerate(coef))

    def later(v):  # v_{t+1} at t, 0 past the end
        return tf.concat([v[:, 1:], tf.zeros_like(v[:, :1])], axis=1)  # (B, T, u)

    D_next = later(D)  # (B, T, u): D_{t+1}
    scale = 1.0 + tf.reduce_max(tf.abs(g))

    def body(k, lam, change):
        JT_lam = z * lam + tf.matmul(tf.concat([c * lam for c in coef], axis=-1),
                                     U, transpose_b=True)  # (B, T, 3u) @ (3u, u): J_t^T lam_t
        b = g + later(JT_lam) - D_next * later(lam)  # (B, T, u)
        lam_new = tf.reverse(scan(tf.reverse(D_next, [1]), tf.reverse(b, [1]), scan_method), [1])
        return k + 1, lam_new, tf.reduce_max(tf.abs(lam_new - lam)) / scale

    start = (tf.constant(0), tf.zeros_like(g), tf.constant(np.inf, g.dtype))
    _, lam, _ = tf.while_loop(lambda k, lam, ch: (k < max_iter) & (ch > tol), body, start)
    return lam


def deer_states(layer_or_weights, x, solver="quasi", tol=1e-6, max_iter=None,
                scan_method=DEFAULT_METHOD):
    """All states ``(B, T, u)`` of a Keras GRU over ``x`` ``(B, T, d)`` by (quasi-)DEER, with
    gradients to ``x`` and the weights through the fixed point (module docstring).

    ``layer_or_weights``: a built ``keras.layers.GRU`` or ``(kernel, recurrent_kernel, bias)``.
    """
    weights = (gru_weights(layer_or_weights) if not isinstance(layer_or_weights, (tuple, list))
               else tuple(layer_or_weights))
    x = tf.convert_to_tensor(x, dtype=weights[0].dtype)
    T = x.shape[1]
    max_iter = (T + 1) if max_iter is None else int(max_iter)

    @tf.custom_gradient
    def run(x, kernel, recurrent_kernel, bias):
        H, _ = solve(x, kernel, recurrent_kernel, bias, solver, tol, max_iter, 0.0, scan_method)

        def grad(g):  # g = dL/dH (B, T, u)
            XW, b_hh = _projections(x, kernel, bias)
            lam = _adjoint(g, XW, H, recurrent_kernel, b_hh, tol, max_iter, scan_method)
            inputs = (x, kernel, recurrent_kernel, bias)
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                XW, b_hh = _projections(x, kernel, bias)
                H_prev = _shift_in(tf.stop_gradient(H), tf.zeros_like(H[:, 0]))  # (B, T, u)
                _, f, _ = _parts(XW, H_prev, recurrent_kernel, b_hh)  # (B, T, u)
            return tape.gradient(f, inputs, output_gradients=lam)

        return H, grad

    return run(x, *weights)
