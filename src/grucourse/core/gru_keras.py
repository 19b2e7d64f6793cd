"""The numpy GRU's weights to and from ``keras.layers.GRU``, and parameter counts of recurrent
layers.

Keras stores one GRU layer as kernel ``(d, 3u)``, recurrent kernel ``(u, 3u)`` (gate order z, r, h)
and bias ``(2, 3u)`` (input row, recurrent row) with ``reset_after=True`` or ``(3u,)`` without;
:func:`from_keras` and :func:`to_keras` translate between that layout and
:class:`grucourse.core.gru.GRUParams` (Cho et al. 2014, section 2.3; the Keras convention
``h_t = z_t h_{t-1} + (1 - z_t) h~_t``).
Parameter counts (:func:`count_params`): SimpleRNN ``u(d+u+1)``; GRU ``3u(d+u+2)`` with
``reset_after`` else ``3u(d+u+1)``; LSTM ``4u(d+u+1)``.
"""

from __future__ import annotations

from grucourse.core.gru import GRUParams, convert_convention
from grucourse.kinds import canonical_kind

import numpy as np

# --- Keras interoperability ------------------------------------------------------------


def from_keras(layer) -> GRUParams:
    """Read a built ``keras.layers.GRU`` (or ``GRUCell``) into :class:`GRUParams`.

    Keras stores kernel ``(d, 3u)``, recurrent kernel ``(u, 3u)`` with gate order
    z, r, h, and bias ``(2, 3u)`` (input row, recurrent row) if ``reset_after``
    else ``(3u,)``. The result uses the Keras update convention.
    """
    cell = getattr(layer, "cell", layer)
    if not getattr(cell, "built", False):
        raise ValueError("the Keras GRU layer is not built yet: "
                         "call it on data or build a model first")
    if not cell.use_bias:
        raise ValueError("only GRU layers with use_bias=True are supported")
    kernel, recurrent, bias = (np.asarray(w, dtype=np.float64) for w in cell.get_weights())
    u = cell.units
    split = {g: slice(i * u, (i + 1) * u) for i, g in enumerate("zrh")}
    p = {}
    for g, s in split.items():
        p[f"W_{g}"] = kernel[:, s]  # (d, u)
        p[f"U_{g}"] = recurrent[:, s]  # (u, u)
    if cell.reset_after:
        b_in, b_rec = bias[0], bias[1]  # (3u,) each
        p["b_z"] = b_in[split["z"]] + b_rec[split["z"]]  # the two z biases simply add
        p["b_r"] = b_in[split["r"]] + b_rec[split["r"]]
        p["b_h"] = b_in[split["h"]]
        b_hh = b_rec[split["h"]]  # scaled by r_t, so it stays separate
    else:
        for g, s in split.items():
            p[f"b_{g}"] = bias[s]
        b_hh = None
    return GRUParams(**p, b_hh=b_hh, convention="keras", reset_after=bool(cell.reset_after))


def keras_weights(params: GRUParams):
    """The list ``[kernel, recurrent_kernel, bias]`` that ``layer.set_weights`` expects."""
    p = convert_convention(params, "keras")
    kernel = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1)  # (d, 3u)
    recurrent = np.concatenate([p.U_z, p.U_r, p.U_h], axis=1)  # (u, 3u)
    if p.reset_after:
        b_in = np.concatenate([p.b_z, p.b_r, p.b_h])  # (3u,)
        b_rec = np.concatenate([np.zeros_like(p.b_z), np.zeros_like(p.b_r), p.b_hh])  # (3u,)
        bias = np.stack([b_in, b_rec])  # (2, 3u)
    else:
        bias = np.concatenate([p.b_z, p.b_r, p.b_h])  # (3u,)
    return [kernel, recurrent, bias]


def to_keras(params: GRUParams, layer) -> None:
    """Write ``params`` into a built ``keras.layers.GRU`` with matching sizes and
    ``reset_after``."""
    cell = getattr(layer, "cell", layer)
    if not getattr(cell, "built", False):
        raise ValueError("the Keras GRU layer is not built yet: "
                         "call it on data or build a model first")
    if bool(cell.reset_after) != params.reset_after:
        raise ValueError(
            f"reset_after differs: params have {params.reset_after}, "
            f"the layer has {cell.reset_after}"
        )
    if cell.units != params.units or cell.get_weights()[0].shape[0] != params.input_size:
        raise ValueError(
            f"size mismatch: params are d={params.input_size}, u={params.units}; "
            f"the layer is d={cell.get_weights()[0].shape[0]}, u={cell.units}"
        )
    cell.set_weights(keras_weights(params))


# --- Parameter counts ------------------------------------------------------------------


def count_params(kind: str, d: int, u: int, reset_after: bool = True) -> int:
    """Trainable parameters of one recurrent layer with ``d`` inputs and ``u`` units.

    SimpleRNN ``u(d+u+1)``; GRU ``3u(d+u+2)`` with ``reset_after`` else ``3u(d+u+1)``;
    LSTM ``4u(d+u+1)``.
    """
    for name, v in (("d", d), ("u", u)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    kind = canonical_kind(kind)
    if kind == "SimpleRNN":
        return u * (d + u + 1)
    if kind == "GRU":
        return 3 * u * (d + u + (2 if reset_after else 1))
    return 4 * u * (d + u + 1)  # LSTM
