"""How much does the final state depend on earlier states? Jacobians through time.

Two independent routes to the same quantity:

* :func:`state_jacobians` unrolls any built Keras recurrent layer (``SimpleRNN``, ``GRU``,
  ``LSTM``) cell by cell under ``tf.GradientTape`` and returns ``dh_T / ds_t`` for every step,
  where ``s_t`` is the layer's full state after step ``t`` (``h_t``; for an LSTM the pair
  ``[h_t, c_t]``). :func:`gradient_norm_vs_lag` turns it into a norm against the lag ``T - t``.
* :func:`gru_jacobian` writes the GRU's one-step Jacobian ``dh_t / dh_{t-1}`` analytically in
  numpy from :class:`grucourse.gru.GRUParams`; :func:`gru_jacobian_chain` multiplies them
  along a sequence (the chain rule) to get ``dh_T / dh_t`` without any autodiff.

Jacobians are stored as ``J[..., i, j] = d(output_i) / d(input_j)``.
"""

from __future__ import annotations

from grucourse.gru import GRUParams, gru_forward
from grucourse.validate import as_float_array, check_finite, check_sequences

import numpy as np

NORMS = ("spectral", "fro")


# --- autodiff route: any Keras recurrent layer ------------------------------------------


def _cell_of(layer):
    cell = getattr(layer, "cell", None)
    if cell is None or not hasattr(cell, "units"):
        raise TypeError(
            f"layer must be a Keras recurrent layer (SimpleRNN, GRU or LSTM), got {type(layer).__name__}"
        )
    if not layer.built:
        raise ValueError("the layer is not built yet: call it on data or build its model first")
    if getattr(layer, "go_backwards", False):
        raise ValueError("go_backwards=True is not supported: the lag is measured forwards in time")
    return cell


def _state_sizes(cell):
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)]


def state_jacobians(layer, X):
    """``dh_T / ds_t`` for ``t = 0 .. T`` (``s_0`` is the zero initial state), per example.

    ``X`` has shape ``(B, T, d)``. Returns an array ``(B, T + 1, u, S)`` with
    ``J[b, t, i, j] = dh_T[i] / ds_t[j]`` for example ``b``, where ``S = u`` for SimpleRNN and
    GRU and ``S = 2u`` for LSTM (``s_t = [h_t, c_t]``). Each entry is exact: the batch is
    repeated ``u`` times and copy ``k`` back-propagates ``h_T[k]``, so one backward pass
    gives all ``u`` rows of every Jacobian.
    """
    import tensorflow as tf

    cell = _cell_of(layer)
    X = check_sequences(X, name="X")  # (B, T, d)
    B, T, d = X.shape
    expected_d = int(cell.kernel.shape[0])  # the input kernel is (d, gates * u)
    if d != expected_d:
        raise ValueError(f"X has {d} features per step, the layer expects {expected_d}")
    u = int(cell.units)
    sizes = _state_sizes(cell)  # [u] or [u, u]
    Xr = tf.constant(np.tile(X.astype(np.float32), (u, 1, 1)))  # (u*B, T, d): copy k probes h_T[k]
    probe = tf.constant(np.repeat(np.eye(u, dtype=np.float32), B, axis=0))  # (u*B, u): one-hot k per copy
    states = [tf.zeros((u * B, s)) for s in sizes]  # each (u*B, s)
    history = []
    with tf.GradientTape() as tape:
        for s in states:
            tape.watch(s)
        history.append(states)
        for t in range(T):
            _, states = cell(Xr[:, t], states, training=False)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            history.append(states)
        h_T = states[0]  # (u*B, u)
        target = tf.reduce_sum(h_T * probe)  # sum_k h_T[k] of copy k
    flat = [s for step in history for s in step]
    grads = tape.gradient(target, flat, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    n = len(sizes)
    J = np.empty((B, T + 1, u, sum(sizes)), dtype=np.float64)  # (B, T+1, u, S)
    for t in range(T + 1):
        g = np.concatenate([np.asarray(grads[t * n + i]) for i in range(n)], axis=1)  # (u*B, S)
        J[:, t] = g.reshape(u, B, -1).transpose(1, 0, 2)  # (B, u, S): row k from copy k
    return J


def jacobian_norms(J, norm="spectral"):
    """Matrix norm of each Jacobian in ``J`` (shape ``(..., m, n)``): ``"spectral"`` (largest
    singular value, the most a unit-length perturbation can grow) or ``"fro"`` (Frobenius)."""
    J = as_float_array(J, "J")
    if J.ndim < 2:
        raise ValueError(f"J must have at least 2 dimensions (..., m, n), got shape {J.shape}")
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    if norm == "fro":
        return np.sqrt(np.sum(J**2, axis=(-2, -1)))  # (...)
    return np.linalg.norm(J, ord=2, axis=(-2, -1))  # (...)


def gradient_norm_vs_lag(layer, X, norm="spectral"):
    """``||dh_T / ds_t||`` against the lag ``k = T - t`` for a Keras recurrent layer.

    Returns ``(lags, norms)``: ``lags = [0, 1, ..., T]`` and ``norms`` of shape ``(B, T + 1)``
    where ``norms[b, k]`` is the norm for example ``b`` at lag ``k`` (lag 0 is the identity,
    norm 1 in the spectral norm for SimpleRNN and GRU).
    """
    J = state_jacobians(layer, X)  # (B, T+1, u, S)
    norms = jacobian_norms(J, norm)[:, ::-1]  # (B, T+1), column k = lag k
    lags = np.arange(J.shape[1])  # (T+1,)
    return lags, np.ascontiguousarray(norms)


# --- analytic route: the GRU's Jacobian in numpy ----------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def gru_jacobian(params: GRUParams, x_t, h_prev):
    """The one-step Jacobian ``dh_t / dh_{t-1}`` of a GRU, per example, shape ``(B, u, u)``.

    Source convention (``h_t = (1 - z) * h_prev + z * h_tilde``), row vectors, reset before the
    matrix product::

        dz/dh_prev       = diag(z (1 - z)) U_z^T
        dr/dh_prev       = diag(r (1 - r)) U_r^T
        da_h/dh_prev     = U_h^T diag(r) + U_h^T diag(h_prev) dr/dh_prev      (a_h: tanh's argument)
        dh_tilde/dh_prev = diag(1 - h_tilde^2) da_h/dh_prev
        dh_t/dh_prev     = diag(1 - z) + diag(z) dh_tilde/dh_prev + diag(h_tilde - h_prev) dz/dh_prev

    With ``reset_after`` the candidate's argument is ``x W_h + b_h + r * (h_prev U_h + b_hh)``, so
    ``da_h/dh_prev = diag(r) U_h^T + diag(h_prev U_h + b_hh) dr/dh_prev``. In the Keras convention
    (``h_t = z * h_prev + (1 - z) * h_tilde``) the roles of ``z`` and ``1 - z`` swap:
    ``diag(z) + diag(1 - z) dh_tilde/dh_prev + diag(h_prev - h_tilde) dz/dh_prev``.
    Either way, a gate that keeps the old state (``z -> 0`` in the source, ``z -> 1`` in Keras)
    makes the Jacobian tend to the identity.
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    x_t = as_float_array(x_t, "x_t")
    h_prev = as_float_array(h_prev, "h_prev")
    if x_t.ndim != 2 or x_t.shape[1] != params.input_size:
        raise ValueError(f"x_t must have shape (batch, {params.input_size}), got {x_t.shape}")
    if h_prev.shape != (x_t.shape[0], params.units):
        expected = (x_t.shape[0], params.units)
        raise ValueError(f"h_prev must have shape (batch, units) = {expected}, got {h_prev.shape}")
    check_finite(x_t, "x_t")
    check_finite(h_prev, "h_prev")
    p = params
    z = _sigmoid(x_t @ p.W_z + h_prev @ p.U_z + p.b_z)  # (B, u)
    r = _sigmoid(x_t @ p.W_r + h_prev @ p.U_r + p.b_r)  # (B, u)
    dz = (z * (1 - z))[:, :, None] * p.U_z.T[None]  # (B, u, u): dz_i/dh_j = z_i(1-z_i) U_z[j, i]
    dr = (r * (1 - r))[:, :, None] * p.U_r.T[None]  # (B, u, u)
    if p.reset_after:
        hU = h_prev @ p.U_h + p.b_hh  # (B, u)
        a_h = x_t @ p.W_h + p.b_h + r * hU  # (B, u)
        da_h = r[:, :, None] * p.U_h.T[None] + hU[:, :, None] * dr  # (B, u, u)
    else:
        a_h = x_t @ p.W_h + (r * h_prev) @ p.U_h + p.b_h  # (B, u)
        # d/dh_j of sum_k U_h[k, i] r_k h_k = U_h[j, i] r_j + sum_k U_h[k, i] h_k dr_k/dh_j
        da_h = p.U_h.T[None] * r[:, None, :] + np.einsum("ki,bk,bkj->bij", p.U_h, h_prev, dr)  # (B, u, u)
    h_tilde = np.tanh(a_h)  # (B, u)
    dh_tilde = (1 - h_tilde**2)[:, :, None] * da_h  # (B, u, u)
    eye = np.eye(p.units)[None]  # (1, u, u)
    if p.convention == "source":  # h = (1 - z) h_prev + z h_tilde
        return eye * (1 - z)[:, :, None] + z[:, :, None] * dh_tilde + (h_tilde - h_prev)[:, :, None] * dz
    return eye * z[:, :, None] + (1 - z)[:, :, None] * dh_tilde + (h_prev - h_tilde)[:, :, None] * dz  # keras


def gru_jacobian_chain(params: GRUParams, x, h0=None):
    """``dh_T / dh_t`` for ``t = 0 .. T`` by the chain rule, multiplying :func:`gru_jacobian`.

    ``x`` has shape ``(B, T, d)``. Returns ``(B, T + 1, u, u)``: index ``t`` holds
    ``J_T J_{T-1} ... J_{t+1}`` with ``J_s = dh_s / dh_{s-1}`` (index ``T`` is the identity).
    Same layout as :func:`state_jacobians`, so the two routes can be compared.
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    x = check_sequences(x, params.input_size)  # (B, T, d)
    B, T, _ = x.shape
    _, gates = gru_forward(x, params, h0=h0, return_gates=True)
    h = gates["h"]  # (B, T, u): h_1 .. h_T
    h_start = np.zeros((B, params.units)) if h0 is None else as_float_array(h0, "h0")  # (B, u)
    h_prevs = np.concatenate([h_start[:, None], h[:, :-1]], axis=1)  # (B, T, u): h_0 .. h_{T-1}
    out = np.empty((B, T + 1, params.units, params.units))  # (B, T+1, u, u)
    out[:, T] = np.eye(params.units)
    for t in range(T, 0, -1):  # out[t-1] = out[t] @ J_t
        J_t = gru_jacobian(params, x[:, t - 1], h_prevs[:, t - 1])  # (B, u, u)
        out[:, t - 1] = out[:, t] @ J_t  # (B, u, u)
    return out
