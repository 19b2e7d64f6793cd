"""How much does the final state depend on earlier states? The GRU's Jacobians, analytically in
numpy.

:func:`gru_jacobian` writes the GRU's one-step Jacobian ``dh_t / dh_{t-1}`` from
:class:`grucourse.core.gru.GRUParams` (source convention, reset before the product; Chung et al.
2014, eq. 5-8); :func:`gru_jacobian_chain` multiplies them along a sequence (the chain rule) to get
``dh_T / dh_t`` without any autodiff; :func:`jacobian_norms` takes their spectral or Frobenius
norms (Pascanu et al. 2013, section 2). The autodiff route for any Keras recurrent layer is
:mod:`grucourse.training.gradients`; a test checks that the two routes agree.

Jacobians are stored as ``J[..., i, j] = d(output_i) / d(input_j)``.
"""

from __future__ import annotations

from grucourse.core.activations import sigmoid
from grucourse.core.gru import GRUParams, gru_forward
from grucourse.validate import as_float_array, check_finite, check_sequences

import numpy as np

NORMS = ("spectral", "fro")


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


# --- analytic route: the GRU's Jacobian in numpy ----------------------------------------


def gru_jacobian(params: GRUParams, x_t, h_prev):
    """The one-step Jacobian ``dh_t / dh_{t-1}`` of a GRU, per example, shape ``(B, u, u)``.

    Source convention (``h_t = (1 - z) * h_prev + z * h_tilde``), row vectors, reset before the
    matrix product::

        dz/dh_prev       = diag(z (1 - z)) U_z^T
        dr/dh_prev       = diag(r (1 - r)) U_r^T
        da_h/dh_prev     = U_h^T diag(r) + U_h^T diag(h_prev) dr/dh_prev      (a_h: tanh's argument)
        dh_tilde/dh_prev = diag(1 - h_tilde^2) da_h/dh_prev
        dh_t/dh_prev     = diag(1 - z) + diag(z) dh_tilde/dh_prev
                           + diag(h_tilde - h_prev) dz/dh_prev

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
    z = sigmoid(x_t @ p.W_z + h_prev @ p.U_z + p.b_z)  # (B, u)
    r = sigmoid(x_t @ p.W_r + h_prev @ p.U_r + p.b_r)  # (B, u)
    dz = (z * (1 - z))[:, :, None] * p.U_z.T[None]  # (B, u, u): dz_i/dh_j = z_i(1-z_i) U_z[j, i]
    dr = (r * (1 - r))[:, :, None] * p.U_r.T[None]  # (B, u, u)
    if p.reset_after:
        hU = h_prev @ p.U_h + p.b_hh  # (B, u)
        a_h = x_t @ p.W_h + p.b_h + r * hU  # (B, u)
        da_h = r[:, :, None] * p.U_h.T[None] + hU[:, :, None] * dr  # (B, u, u)
    else:
        a_h = x_t @ p.W_h + (r * h_prev) @ p.U_h + p.b_h  # (B, u)
        # d/dh_j of sum_k U_h[k, i] r_k h_k = U_h[j, i] r_j + sum_k U_h[k, i] h_k dr_k/dh_j
        da_h = (p.U_h.T[None] * r[:, None, :]
                + np.einsum("ki,bk,bkj->bij", p.U_h, h_prev, dr))  # (B, u, u)
    h_tilde = np.tanh(a_h)  # (B, u)
    dh_tilde = (1 - h_tilde**2)[:, :, None] * da_h  # (B, u, u)
    eye = np.eye(p.units)[None]  # (1, u, u)
    if p.convention == "source":  # h = (1 - z) h_prev + z h_tilde
        return (eye * (1 - z)[:, :, None] + z[:, :, None] * dh_tilde
                + (h_tilde - h_prev)[:, :, None] * dz)
    return (eye * z[:, :, None] + (1 - z)[:, :, None] * dh_tilde
            + (h_prev - h_tilde)[:, :, None] * dz)  # keras


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
