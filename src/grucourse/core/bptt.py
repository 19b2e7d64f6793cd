"""Backpropagation through time for the GRU, by hand in numpy: ``dL/d(every weight)``, ``dL/dh_0``
and ``dL/dx`` (Werbos 1990, *Backpropagation through time: what it does and how to do it*,
section III).

Forward step (:mod:`grucourse.core.gru`, row vectors, ``a_*`` are the pre-activations)::

    a_z = x_t W_z + h_{t-1} U_z + b_z,   z_t = sigmoid(a_z)
    a_r = x_t W_r + h_{t-1} U_r + b_r,   r_t = sigmoid(a_r)
    a_h = x_t W_h + (r_t * h_{t-1}) U_h + b_h          (reset_after: x_t W_h + b_h + r_t * n_t,
                                                        n_t = h_{t-1} U_h + b_hh)
    h_tilde_t = tanh(a_h),   h_t = (1 - z_t) * h_{t-1} + z_t * h_tilde_t

Backward step, given ``delta_t = dL/dh_t`` (everything the loss receives from ``h_t``)::

    d_h_tilde = delta_t * z_t                  d_z = delta_t * (h_tilde_t - h_{t-1})
    d_a_h = d_h_tilde * (1 - h_tilde_t^2)      d_a_z = d_z * z_t (1 - z_t)
    d_r = (d_a_h U_h^T) * h_{t-1}              (reset_after: d_r = d_a_h * n_t, d_n = d_a_h * r_t)
    d_a_r = d_r * r_t (1 - r_t)

In Keras's convention (``h_t = z_t h_{t-1} + (1 - z_t) h_tilde_t``) ``z`` and ``1 - z`` swap:
``d_h_tilde = delta_t (1 - z_t)``, ``d_z = delta_t (h_{t-1} - h_tilde_t)``.
Every weight is used at every step, so its gradient is a sum over time (and over the batch)::

    dL/dW_g = sum_t x_t^T d_a_g      dL/db_g = sum_t d_a_g            for g = z, r, h
    dL/dU_z = sum_t h_{t-1}^T d_a_z  dL/dU_r = sum_t h_{t-1}^T d_a_r
    dL/dU_h = sum_t (r_t * h_{t-1})^T d_a_h
              (reset_after: dL/dU_h = sum_t h_{t-1}^T d_n,  dL/db_hh = sum_t d_n)
    dL/dx_t = d_a_z W_z^T + d_a_r W_r^T + d_a_h W_h^T

The adjoint recursion carries ``delta`` backwards, ``g_t`` being the loss's direct gradient::

    delta_T = g_T,   delta_{t-1} = (dh_t/dh_{t-1})^T delta_t + g_{t-1},   dL/dh_0 = delta_0
    (dh_t/dh_{t-1})^T delta_t = delta_t * (1 - z_t) + d_a_z U_z^T + d_a_r U_r^T
                                + (d_a_h U_h^T) * r_t            (reset_after: + d_n U_h^T)

It is the recursion of the minGRU scan's hand-written gradient (:mod:`grucourse.layers.mingru`),
``lambda_t = g_t + a_{t+1} lambda_{t+1}``, with the diagonal ``a_{t+1}`` replaced by the GRU's full
Jacobian (:func:`grucourse.core.jacobians.gru_jacobian`).
"""

from __future__ import annotations

from grucourse.core.gru import GRUParams, gru_forward, prepare_run
from grucourse.validate import as_float_array, check_finite

import numpy as np

WEIGHT_NAMES = ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h")


def adjoint_recursion(g, vjp):
    """Run ``delta_{t-1} = vjp(t, delta_t) + g_{t-1}`` from ``delta_T = g_T`` down to ``delta_0``.

    ``g`` ``(B, T, u)`` holds the loss's direct gradients ``g_1 .. g_T`` (``g[:, t-1] = g_t``);
    ``vjp(t, delta_t)`` returns ``(dh_t/dh_{t-1})^T delta_t`` ``(B, u)`` for ``t = T .. 1``.
    Returns ``delta`` ``(B, T + 1, u)`` with ``delta[:, t] = dL/dh_t`` (``delta[:, 0] = dL/dh_0``).
    For a diagonal Jacobian ``a_t`` this is the minGRU scan's backward pass,
    ``vjp = lambda t, d: a[:, t - 1] * d``.
    """
    g = as_float_array(g, "g")  # (B, T, u)
    if g.ndim != 3:
        raise ValueError(f"g must have shape (batch, time, units), got {g.shape}")
    B, T, u = g.shape
    delta = np.zeros((B, T + 1, u), dtype=g.dtype)  # (B, T+1, u)
    delta[:, T] = g[:, T - 1]  # (B, u): nothing comes back from after the last step
    for t in range(T, 0, -1):
        direct = g[:, t - 2] if t > 1 else 0.0  # (B, u): g_{t-1}; h_0 is no output
        delta[:, t - 1] = vjp(t, delta[:, t]) + direct  # (B, u)
    return delta


def step_backward(params: GRUParams, delta, z, r, h_tilde, h_prev):
    """One backward step: the adjoints of a GRU step's pre-activations, and ``J_t^T delta``.

    All arrays ``(B, u)``: ``delta = dL/dh_t`` and the step's ``z_t, r_t, h_tilde_t, h_{t-1}``.
    Returns a dict with ``a_z, a_r, a_h`` (``dL/da_*``), ``n`` (``dL/dn_t`` with ``reset_after``,
    else ``dL/d(r_t * h_{t-1})``) and ``h_prev`` = ``(dh_t/dh_{t-1})^T delta`` (module docstring).
    """
    p = params
    if p.convention == "source":  # h = (1 - z) h_prev + z h_tilde
        d_h_tilde, d_z, keep = delta * z, delta * (h_tilde - h_prev), 1 - z  # (B, u) each
    else:  # keras: h = z h_prev + (1 - z) h_tilde
        d_h_tilde, d_z, keep = delta * (1 - z), delta * (h_prev - h_tilde), z  # (B, u) each
    d_a_h = d_h_tilde * (1 - h_tilde**2)  # (B, u): tanh' = 1 - tanh^2
    d_a_z = d_z * z * (1 - z)  # (B, u): sigmoid' = s (1 - s)
    if p.reset_after:
        n = h_prev @ p.U_h + p.b_hh  # (B, u) @ (u, u) -> (B, u): n_t
        d_r = d_a_h * n  # (B, u)
        d_n = d_a_h * r  # (B, u)
        through_h = d_n @ p.U_h.T  # (B, u) @ (u, u) -> (B, u)
    else:
        d_n = d_a_h @ p.U_h.T  # (B, u) @ (u, u) -> (B, u): dL/d(r * h_prev)
        d_r = d_n * h_prev  # (B, u)
        through_h = d_n * r  # (B, u)
    d_a_r = d_r * r * (1 - r)  # (B, u)
    d_h_prev = (delta * keep  # (B, u): the direct path through the gate's "keep" share
                + d_a_z @ p.U_z.T  # (B, u) @ (u, u) -> (B, u)
                + d_a_r @ p.U_r.T  # (B, u) @ (u, u) -> (B, u)
                + through_h)  # (B, u)
    return {"a_z": d_a_z, "a_r": d_a_r, "a_h": d_a_h, "n": d_n, "h_prev": d_h_prev}


def _loss_gradient(dL_dh, dtype, B, T, u, unbatched):
    """``dL_dh`` as ``g`` ``(B, T, u)``: per-step gradients, or one on the last state only."""
    g_in = as_float_array(dL_dh, "dL_dh")  # (B, T, u) or (B, u), without B for one sequence
    if unbatched:
        g_in = g_in[None]  # (1, ...)
    if g_in.shape == (B, T, u):
        g = g_in.astype(dtype, copy=True)  # (B, T, u)
    elif g_in.shape == (B, u):
        g = np.zeros((B, T, u), dtype=dtype)  # (B, T, u)
        g[:, T - 1] = g_in  # a loss on h_T only
    else:
        lead = () if unbatched else (B,)
        raise ValueError(f"dL_dh has shape {np.shape(dL_dh)}, expected {lead + (T, u)} "
                         f"(dL/dh_t for every step) or {lead + (u,)} (a loss on h_T only)")
    check_finite(g, "dL_dh")
    return g


def gru_backward(x, params: GRUParams, dL_dh, h0=None, per_step=False):
    """Backpropagation through time: the gradient of a loss with respect to every weight,
    ``h_0`` and ``x``.

    ``x`` ``(B, T, d)`` or one sequence ``(T, d)``; ``dL_dh`` is ``dL/dh_t`` for every step,
    ``(B, T, u)``, or for the last state only, ``(B, u)`` (without ``B`` for one sequence);
    ``h0`` the start state (zeros if ``None``). Returns a dict: ``W_z .. b_h`` (and ``b_hh`` with
    ``reset_after``) shaped like the weights, ``h0`` like the state and ``x`` like ``x``.
    ``per_step=True`` keeps a leading time axis on each weight's gradient (``(T, d, u)`` for
    ``W_z``): the contribution of step ``t``, whose sum over ``t`` is the gradient.
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    x_in = as_float_array(x, "x")  # (B, T, d) or (T, d)
    unbatched = x_in.ndim == 2
    if unbatched and h0 is not None:
        h0 = as_float_array(h0, "h0")[None]  # (1, u)
    x, h_0, _, _ = prepare_run(x_in[None] if unbatched else x_in, params, h0)  # (B,T,d), (B,u)
    B, T, _ = x.shape
    u = params.units
    g = _loss_gradient(dL_dh, h_0.dtype, B, T, u, unbatched)  # (B, T, u)
    _, gates = gru_forward(x, params, h0=h_0, return_gates=True)  # each (B, T, u)
    h_prev = np.concatenate([h_0[:, None], gates["h"][:, :-1]], axis=1)  # (B, T, u): h_0..h_{T-1}
    adj = {k: np.zeros((B, T, u), dtype=h_0.dtype)  # (B, T, u) each: adjoints per step
           for k in ("a_z", "a_r", "a_h", "n")}

    def vjp(t, delta_t):  # (dh_t/dh_{t-1})^T delta_t, keeping the gate adjoints of step t
        s = t - 1  # array index of step t
        out = step_backward(params, delta_t, gates["z"][:, s], gates["r"][:, s],
                            gates["h_tilde"][:, s], h_prev[:, s])
        for k in adj:
            adj[k][:, s] = out[k]  # (B, u)
        return out["h_prev"]

    delta = adjoint_recursion(g, vjp)  # (B, T+1, u)
    first_in = "btu,btv->tuv" if per_step else "btu,btv->uv"  # sum over the batch (and time)
    bias = "btu->tu" if per_step else "btu->u"
    recur_h = h_prev if params.reset_after else gates["r"] * h_prev  # (B, T, u)
    grads = {}
    for gate in "zrh":
        a = adj[f"a_{gate}"]  # (B, T, u)
        grads[f"W_{gate}"] = np.einsum(first_in, x, a)  # (d, u) or (T, d, u): sum x_t^T d_a
        grads[f"b_{gate}"] = np.einsum(bias, a)  # (u,) or (T, u)
    grads["U_z"] = np.einsum(first_in, h_prev, adj["a_z"])  # (u, u): sum h_{t-1}^T d_a_z
    grads["U_r"] = np.einsum(first_in, h_prev, adj["a_r"])  # (u, u)
    d_Uh = adj["n"] if params.reset_after else adj["a_h"]  # (B, T, u)
    grads["U_h"] = np.einsum(first_in, recur_h, d_Uh)  # (u, u)
    if params.reset_after:
        grads["b_hh"] = np.einsum(bias, adj["n"])  # (u,) or (T, u)
    grads["x"] = (adj["a_z"] @ params.W_z.T + adj["a_r"] @ params.W_r.T
                  + adj["a_h"] @ params.W_h.T)  # (B, T, u) @ (u, d) -> (B, T, d)
    grads["h0"] = delta[:, 0]  # (B, u)
    if unbatched:
        grads["x"], grads["h0"] = grads["x"][0], grads["h0"][0]  # (T, d), (u,)
    order = (*WEIGHT_NAMES, *(("b_hh",) if params.reset_after else ()), "h0", "x")
    return {k: grads[k] for k in order}


def keras_gradients(grads: dict, params: GRUParams):
    """The gradients of :func:`gru_backward` in ``keras.layers.GRU``'s layout, the list
    ``[kernel, recurrent_kernel, bias]`` (as :func:`grucourse.core.gru_keras.keras_weights`).

    Keras's update gate is ``1 - z`` of the source convention, so the ``z`` gradients change sign
    when ``params`` are in the source convention. With ``reset_after`` Keras has two ``z`` and
    two ``r`` biases that simply add (:func:`grucourse.core.gru_keras.from_keras`), so each gets
    the same gradient; the recurrent row's candidate entry is ``b_hh``.
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    missing = [k for k in WEIGHT_NAMES if k not in grads]
    if missing:
        raise ValueError(f"grads lacks {missing}: pass the dict that gru_backward returns")
    sign = -1.0 if params.convention == "source" else 1.0  # z_keras = 1 - z_source
    gz = {k: sign * grads[f"{k}_z"] for k in ("W", "U", "b")}  # (d, u), (u, u), (u,)
    kernel = np.concatenate([gz["W"], grads["W_r"], grads["W_h"]], axis=-1)  # (d, 3u)
    recurrent = np.concatenate([gz["U"], grads["U_r"], grads["U_h"]], axis=-1)  # (u, 3u)
    b_in = np.concatenate([gz["b"], grads["b_r"], grads["b_h"]], axis=-1)  # (3u,)
    if not params.reset_after:
        return [kernel, recurrent, b_in]
    b_rec = np.concatenate([gz["b"], grads["b_r"], grads["b_hh"]], axis=-1)  # (3u,)
    return [kernel, recurrent, np.stack([b_in, b_rec])]  # bias (2, 3u)
