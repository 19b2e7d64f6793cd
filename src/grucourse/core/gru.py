"""A small, readable numpy GRU that matches ``keras.layers.GRU`` exactly
(weights: :mod:`grucourse.core.gru_keras`).

Equations (the source chapter's convention, ``convention="source"``)::

    z_t       = sigmoid(x_t W_z + h_{t-1} U_z + b_z)              update gate
    r_t       = sigmoid(x_t W_r + h_{t-1} U_r + b_r)              reset gate
    h_tilde_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)         candidate state
    h_t       = (1 - z_t) * h_{t-1} + z_t * h_tilde_t             new state

Keras (``convention="keras"``) writes the last line as
``h_t = z_t * h_{t-1} + (1 - z_t) * h_tilde_t``; the two are the same model with
``z <-> 1 - z``, i.e. with ``W_z, U_z, b_z`` negated (:func:`convert_convention`).
With ``reset_after=True`` (the Keras default) the reset gate is applied after the
recurrent product and scales a second bias ``b_hh``::

    h_tilde_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b_hh))

Row-vector layout as in Keras: ``x_t`` is ``(B, d)``, ``W_*`` is ``(d, u)``,
``U_*`` is ``(u, u)``, biases are ``(u,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from grucourse.core.activations import sigmoid
from grucourse.validate import as_float_array, check_finite, check_sequences

import numpy as np

CONVENTIONS = ("source", "keras")


@dataclass(frozen=True)
class GRUParams:
    """Weights of one GRU layer, named as in the equations.

    ``b_hh`` is the recurrent candidate bias used only when ``reset_after``.
    """

    W_z: np.ndarray
    U_z: np.ndarray
    b_z: np.ndarray
    W_r: np.ndarray
    U_r: np.ndarray
    b_r: np.ndarray
    W_h: np.ndarray
    U_h: np.ndarray
    b_h: np.ndarray
    b_hh: np.ndarray | None = None
    convention: str = "source"
    reset_after: bool = False

    def __post_init__(self):
        if self.convention not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {self.convention!r}")
        d, u = np.shape(self.W_z) if np.ndim(self.W_z) == 2 else (None, None)
        if d is None:
            raise ValueError(f"W_z must be a 2-D (d, u) matrix, got shape {np.shape(self.W_z)}")
        expected = {"W": (d, u), "U": (u, u), "b": (u,)}
        for name in ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"):
            arr = as_float_array(getattr(self, name), name)
            check_finite(arr, name)
            if arr.shape != expected[name[0]]:
                raise ValueError(
                    f"{name} has shape {arr.shape}, expected {expected[name[0]]} "
                    f"for input size d={d} and u={u} units"
                )
            object.__setattr__(self, name, arr)
        if self.reset_after:
            b_hh = np.zeros(u) if self.b_hh is None else as_float_array(self.b_hh, "b_hh")
            if b_hh.shape != (u,):
                raise ValueError(f"b_hh has shape {b_hh.shape}, expected ({u},)")
            check_finite(b_hh, "b_hh")
            object.__setattr__(self, "b_hh", b_hh)
        elif self.b_hh is not None and np.any(np.asarray(self.b_hh) != 0):
            raise ValueError("b_hh is only used with reset_after=True; pass b_hh=None")

    @property
    def input_size(self) -> int:
        return self.W_z.shape[0]

    @property
    def units(self) -> int:
        return self.W_z.shape[1]


def init_gru_params(d, u, rng, scale=0.5, convention="source", reset_after=False):
    """Random GRU weights drawn from ``N(0, scale^2 / fan_in)``; ``rng`` is a numpy Generator."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    for name, n in (("d (inputs)", d), ("u (units)", u)):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"{name} must be a positive whole number, got {n!r}: "
                             "e.g. init_gru_params(3, 5, rng)")

    def mat(rows, cols):
        return rng.normal(0.0, scale / np.sqrt(rows), size=(rows, cols))  # (rows, cols)

    p = {}
    for g in "zrh":
        p[f"W_{g}"] = mat(d, u)  # (d, u)
        p[f"U_{g}"] = mat(u, u)  # (u, u)
        p[f"b_{g}"] = rng.normal(0.0, 0.1, size=u)  # (u,)
    b_hh = rng.normal(0.0, 0.1, size=u) if reset_after else None  # (u,)
    return GRUParams(**p, b_hh=b_hh, convention=convention, reset_after=reset_after)


def convert_convention(params: GRUParams, to: str) -> GRUParams:
    """Rewrite ``params`` for the other update rule by ``z -> 1 - z``.

    ``sigmoid(-a) = 1 - sigmoid(a)``, so negating ``W_z, U_z, b_z`` turns
    ``(1 - z) h_prev + z h_tilde`` into ``z' h_prev + (1 - z') h_tilde``.
    """
    if to not in CONVENTIONS:
        raise ValueError(f"to must be one of {CONVENTIONS}, got {to!r}")
    if to == params.convention:
        return params
    return replace(params, W_z=-params.W_z, U_z=-params.U_z, b_z=-params.b_z, convention=to)


def prepare_run(x, params: GRUParams, h0=None):
    """Check ``x`` and ``h0`` against ``params``; return ``x``, the start state and the stacked
    input weights.

    Returns ``(x, h, W, b)``: ``x`` ``(B, T, d)`` as floats, ``h`` ``(B, u)`` (zeros as in Keras,
    or a checked copy of ``h0``), ``W = [W_z | W_r | W_h]`` ``(d, 3u)`` and
    ``b = [b_z | b_r | b_h]`` ``(3u,)``, all in the common dtype of ``x`` and the weights.
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    x = check_sequences(x, params.input_size)  # (B, T, d)
    B, u = x.shape[0], params.units
    dtype = np.result_type(x.dtype, params.W_z.dtype)
    if h0 is None:
        h = np.zeros((B, u), dtype=dtype)  # (B, u)
    else:
        h = as_float_array(h0, "h0").astype(dtype, copy=True)  # (B, u)
        if h.shape != (B, u):
            raise ValueError(f"h0 has shape {h.shape}, expected (batch, units) = ({B}, {u})")
        check_finite(h, "h0")
    W = np.concatenate([params.W_z, params.W_r, params.W_h], axis=1).astype(dtype)  # (d, 3u)
    b = np.concatenate([params.b_z, params.b_r, params.b_h]).astype(dtype)  # (3u,)
    return x, h, W, b


def gru_forward(x, params: GRUParams, h0=None, return_gates=False):
    """Run the GRU over a batch ``x`` of shape ``(B, T, d)``.

    Returns the final state ``h_T`` of shape ``(B, u)``; with ``return_gates=True``
    also a dict of per-step values ``z, r, h_tilde, h``, each ``(B, T, u)``.
    The input projections ``x_t W`` of all steps are computed in one matrix product.
    """
    x, h, W, b = prepare_run(x, params, h0)  # (B, T, d), (B, u), (d, 3u), (3u,)
    B, T, _ = x.shape
    u = params.units
    dtype = h.dtype
    xs = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, B, d), time-major
    XW = xs.reshape(T * B, -1) @ W  # (T*B, 3u): every step's input projection at once
    XW += b
    XW = XW.reshape(T, B, 3 * u)  # (T, B, 3u)

    keep_old = params.convention == "keras"  # keras: h = z*h_prev + (1-z)*h_tilde
    if params.reset_after:
        U = np.concatenate([params.U_z, params.U_r, params.U_h], axis=1).astype(dtype)  # (u, 3u)
        b_rec = np.concatenate([np.zeros(2 * u), params.b_hh]).astype(dtype)  # (3u,)
        hU = np.empty((B, 3 * u), dtype=dtype)  # (B, 3u)
    else:
        U_zr = np.concatenate([params.U_z, params.U_r], axis=1).astype(dtype)  # (u, 2u)
        U_h = params.U_h.astype(dtype)  # (u, u)
        hU = np.empty((B, 2 * u), dtype=dtype)  # (B, 2u)
        rh_U = np.empty((B, u), dtype=dtype)  # (B, u)
        rh = np.empty((B, u), dtype=dtype)  # (B, u)
    zr = np.empty((B, 2 * u), dtype=dtype)  # (B, 2u): [z | r]
    h_tilde = np.empty((B, u), dtype=dtype)  # (B, u)
    if return_gates:
        trace = {k: np.empty((T, B, u), dtype=dtype) for k in ("z", "r", "h_tilde", "h")}

    for t in range(T):
        a = XW[t]  # (B, 3u)
        if params.reset_after:
            np.matmul(h, U, out=hU)  # (B, u) @ (u, 3u) -> (B, 3u)
            hU += b_rec
            np.add(a[:, : 2 * u], hU[:, : 2 * u], out=zr)  # (B, 2u)
            sigmoid(zr, zr)
            z, r = zr[:, :u], zr[:, u:]  # (B, u) each
            np.multiply(r, hU[:, 2 * u :], out=h_tilde)  # r * (h U_h + b_hh)
        else:
            np.matmul(h, U_zr, out=hU)  # (B, u) @ (u, 2u) -> (B, 2u)
            np.add(a[:, : 2 * u], hU, out=zr)  # (B, 2u)
            sigmoid(zr, zr)
            z, r = zr[:, :u], zr[:, u:]  # (B, u) each
            np.multiply(r, h, out=rh)  # (B, u): r * h_prev
            np.matmul(rh, U_h, out=rh_U)  # (B, u) @ (u, u) -> (B, u)
            np.copyto(h_tilde, rh_U)
        h_tilde += a[:, 2 * u :]
        np.tanh(h_tilde, out=h_tilde)  # (B, u)
        # h = h_prev + g * (h_tilde - h_prev), with g = z (source) or 1 - z (keras)
        if keep_old:
            h = h_tilde + z * (h - h_tilde)  # (B, u): z*h_prev + (1-z)*h_tilde
        else:
            h = h + z * (h_tilde - h)  # (B, u): (1-z)*h_prev + z*h_tilde
        if return_gates:
            trace["z"][t] = z
            trace["r"][t] = r
            trace["h_tilde"][t] = h_tilde
            trace["h"][t] = h

    if not return_gates:
        return h
    return h, {k: v.transpose(1, 0, 2) for k, v in trace.items()}  # each (B, T, u)


def gru_step(x_t, h_prev, params: GRUParams):
    """One step of the equations for ``x_t`` ``(B, d)`` and ``h_prev`` ``(B, u)``.

    Returns ``h_t`` and a dict with ``z, r, h_tilde`` (each ``(B, u)``).
    """
    x_t = as_float_array(x_t, "x_t")
    if x_t.ndim != 2:
        raise ValueError(f"x_t must have shape (batch, features), got {x_t.shape}")
    h_T, gates = gru_forward(x_t[:, None, :], params, h0=h_prev, return_gates=True)
    return h_T, {k: gates[k][:, 0] for k in ("z", "r", "h_tilde")}
