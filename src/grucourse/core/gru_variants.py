"""The same numpy GRU computed other ways, to see where time goes (chapters/19_efficiency.ipynb).

:func:`gru_forward_per_step` does the input projection inside the time loop, one small product
per step, where :func:`grucourse.core.gru.gru_forward` does it once for all steps (Keras
convention, ``reset_after=True``; Cho et al. 2014, section 2.3); :func:`stream_cell` feeds a
sequence one step at a time, as a real-time stream would; :func:`as_float32` copies
parameters to float32, the precision Keras runs in.
"""

from __future__ import annotations

from grucourse.core.activations import sigmoid
from grucourse.core.gru import GRUParams, prepare_run

import numpy as np


def gru_forward_per_step(x, params: GRUParams, h0=None):
    """The same GRU as :func:`grucourse.core.gru.gru_forward`, with the input projection done
    step by step.

    Inside the loop each step computes ``a_t = x_t W + b`` ``(B, d) @ (d, 3u)`` before the recurrent
    product, instead of one ``(T*B, d) @ (d, 3u)`` product for all steps up front. The result is
    identical; only the number of (small) matrix products changes: ``2 T`` instead of ``T + 1``.
    Returns ``h_T`` ``(B, u)``.
    """
    x, h, W, b = prepare_run(x, params, h0)  # (B, T, d), (B, u), (d, 3u), (3u,)
    T, u, dtype = x.shape[1], params.units, h.dtype
    U = np.concatenate([params.U_z, params.U_r, params.U_h], axis=1).astype(dtype)  # (u, 3u)
    b_hh = params.b_hh.astype(dtype) if params.reset_after else None  # (u,)
    keep_old = params.convention == "keras"
    for t in range(T):
        a = x[:, t] @ W + b  # (B, d) @ (d, 3u) -> (B, 3u): this step's input projection
        z = sigmoid(a[:, :u] + h @ U[:, :u])  # (B, u)
        r = sigmoid(a[:, u : 2 * u] + h @ U[:, u : 2 * u])  # (B, u)
        if params.reset_after:
            h_tilde = np.tanh(a[:, 2 * u :] + r * (h @ U[:, 2 * u :] + b_hh))  # (B, u)
        else:
            h_tilde = np.tanh(a[:, 2 * u :] + (r * h) @ U[:, 2 * u :])  # (B, u)
        h = z * h + (1 - z) * h_tilde if keep_old else (1 - z) * h + z * h_tilde  # (B, u)
    return h


def as_float32(p: GRUParams) -> GRUParams:
    fields = {k: getattr(p, k)
              for k in ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h")}
    fields = {k: v.astype(np.float32) for k, v in fields.items()}
    b_hh = None if p.b_hh is None else p.b_hh.astype(np.float32)
    return GRUParams(**fields, b_hh=b_hh, convention=p.convention, reset_after=p.reset_after)


def stream_cell(step, x, h0):
    """Feed ``x`` ``(B, T, d)`` one step at a time through ``step(x_t, h) -> h`` and stack the
    states."""
    h, outs = h0, []
    for t in range(x.shape[1]):
        h = step(x[:, t], h)  # (B, u)
        outs.append(np.asarray(h))
    return np.stack(outs, axis=1)  # (B, T, u)
