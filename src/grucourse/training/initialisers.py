"""Initialising a Keras GRU for memory: the update-gate bias ("keep" at the start) and chrono init.

Keras's GRU (:class:`keras.layers.GRU`) updates its state as
``h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t`` with ``z_t = σ(x_t W_z + h_{t−1} U_z + b_z)``:
in **Keras's convention z ≈ 1 keeps** the old state. The source chapter writes
``h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t``, where z ≈ 0 keeps; the two are the same model with
``z ↔ 1 − z``, i.e. ``b_z(source) = −b_z(Keras)`` (and the same for ``W_z``, ``U_z``).
Every bias in this module is in the Keras convention.

With inputs and state contributing nothing to the gate, a unit keeps the fraction
``σ(b_z)`` of its state per step, so its memory half-life is ``n½ = ln ½ / ln σ(b_z)`` steps and
its characteristic forgetting time is ``1 / (1 − σ(b_z)) = 1 + e^{b_z}`` steps.

- :func:`half_life_bias`: the ``b_z`` whose half-life is a given number of steps.
- :func:`chrono_bias`: chrono initialisation (Tallec & Ollivier, 2018) carried over to the
  GRU's update gate, ``b_z = log U(1, T_max − 1)``: forgetting times ``1 + e^{b_z}`` spread
  uniformly over ``[2, T_max]``.
- :class:`UpdateGateBias`: a Keras ``bias_initializer`` that writes such a ``b_z`` (the other
  biases stay 0, as in Keras's default).
- :func:`set_update_gate_bias` / :func:`update_gate_bias`: write or read ``b_z`` of a built layer.

Keras stores the GRU bias as ``(3u,)`` (``reset_after=False``) or ``(2, 3u)``
(``reset_after=True``: row 0 is added to ``x_t W``, row 1 to ``h_{t−1} U``); the gate order is
z, r, h, so ``b_z`` is the first ``u`` columns, and with two rows the gate sees their sum.
"""

from __future__ import annotations

import keras
import numpy as np


def _check_units(units):
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    return int(units)


def half_life_bias(half_life) -> float:
    """Keras-convention ``b_z`` with ``σ(b_z) ** half_life = 1/2``:
    ``b_z = logit(2 ** (−1 / n½))``."""
    if (isinstance(half_life, bool) or not isinstance(half_life, (int, float, np.number))
            or not half_life > 0):
        raise ValueError(f"half_life must be a positive number of steps, got {half_life!r}")
    keep = 0.5 ** (1.0 / float(half_life))  # fraction of the state kept per step
    return float(np.log(keep / (1.0 - keep)))


def bias_half_life(b_z) -> np.ndarray:
    """Half-life in steps ``ln ½ / ln σ(b_z)`` of a Keras-convention update-gate bias (array in,
    array out)."""
    b = np.asarray(b_z, dtype=np.float64)  # (...,)
    keep = 1.0 / (1.0 + np.exp(-b))  # (...,) σ(b_z)
    return np.log(0.5) / np.log(keep)  # (...,)


def chrono_bias(units, t_max, rng) -> np.ndarray:
    """Chrono initialisation of the update gate, Keras convention: ``b_z ~ log U(1, t_max − 1)``,
    shape ``(units,)``."""
    units = _check_units(units)
    if isinstance(t_max, bool) or not isinstance(t_max, (int, float, np.number)) or not t_max > 2:
        raise ValueError(f"t_max must be a number of steps > 2 (the longest dependency expected), "
                         f"got {t_max!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    return np.log(rng.uniform(1.0, float(t_max) - 1.0, size=units))  # (units,)


def _z_values(values, units):
    b = np.asarray(values, dtype=np.float64)
    if b.ndim == 0:
        b = np.full(units, float(b))  # (units,)
    if b.shape != (units,):
        raise ValueError(f"the update-gate bias must be one number or {units} numbers "
                         f"(one per unit), got shape {b.shape}")
    if not np.all(np.isfinite(b)):
        raise ValueError("the update-gate bias contains NaN or infinity")
    return b


class UpdateGateBias(keras.initializers.Initializer):
    """GRU ``bias_initializer``: ``b_z`` = ``value`` (a number or a list of ``u`` numbers), Keras
    convention.

    ``UpdateGateBias(3.0)`` starts every unit at ``z = σ(3) ≈ 0.95`` ("keep");
    ``UpdateGateBias(chrono_t_max=30, seed=0)`` draws chrono biases. Other biases are 0.
    """

    def __init__(self, value=None, chrono_t_max=None, seed=0):
        if (value is None) == (chrono_t_max is None):
            raise ValueError("give exactly one of value (the bias b_z) "
                             "or chrono_t_max (for chrono init)")
        self.value = None if value is None else np.asarray(value, dtype=np.float64).tolist()
        self.chrono_t_max = chrono_t_max
        self.seed = int(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(int(s) for s in shape)
        if len(shape) not in (1, 2) or shape[-1] % 3:
            raise ValueError(f"UpdateGateBias is a GRU bias initializer: "
                             f"expected shape (3u,) or (2, 3u), got {shape}")
        u = shape[-1] // 3
        if self.chrono_t_max is not None:
            b_z = chrono_bias(u, self.chrono_t_max, np.random.default_rng(self.seed))  # (u,)
        else:
            b_z = _z_values(self.value, u)  # (u,)
        bias = np.zeros(shape, dtype=np.float32)  # (3u,) or (2, 3u)
        if len(shape) == 1:
            bias[:u] = b_z
        else:
            bias[0, :u] = b_z  # input row; the recurrent row stays 0, so the gate sees b_z
        return keras.ops.convert_to_tensor(bias, dtype=dtype or "float32")

    def get_config(self):
        return {"value": self.value, "chrono_t_max": self.chrono_t_max, "seed": self.seed}


def _gru_bias(layer):
    if not isinstance(layer, keras.layers.GRU):
        raise TypeError(f"expected a keras.layers.GRU, got {type(layer).__name__}")
    if not layer.built:
        raise ValueError("the GRU layer is not built yet: "
                         "call it on an input (or build the model) first")
    if not layer.use_bias:
        raise ValueError("the GRU layer has use_bias=False: there is no update-gate bias to set")
    weights = layer.get_weights()  # [kernel (d, 3u), recurrent (u, 3u), bias (3u,) or (2, 3u)]
    return weights, layer.units


def set_update_gate_bias(layer, values) -> None:
    """Write the Keras-convention ``b_z`` (a number or ``u`` numbers) into a built GRU ``layer``.

    With ``reset_after=True`` the recurrent row's z part is set to 0, so the gate's total bias
    is exactly ``values``.
    """
    weights, u = _gru_bias(layer)
    b_z = _z_values(values, u)  # (u,)
    bias = weights[2].copy()
    if bias.ndim == 1:
        bias[:u] = b_z
    else:
        bias[0, :u] = b_z
        bias[1, :u] = 0.0
    layer.set_weights([weights[0], weights[1], bias])


def update_gate_bias(layer) -> np.ndarray:
    """The total Keras-convention update-gate bias ``b_z`` of a built GRU ``layer``, shape
    ``(u,)``."""
    weights, u = _gru_bias(layer)
    bias = np.asarray(weights[2], dtype=np.float64)
    return bias[:u].copy() if bias.ndim == 1 else bias[:, :u].sum(axis=0)  # (u,)


def recurrent_singular_values(layer) -> dict:
    """Singular values of each gate's block ``U_z, U_r, U_h`` ``(u, u)`` and of the whole
    ``(u, 3u)`` kernel."""
    weights, u = _gru_bias(layer) if layer.use_bias else (layer.get_weights(), layer.units)
    U = np.asarray(weights[1], dtype=np.float64)  # (u, 3u)
    out = {"U": np.linalg.svd(U, compute_uv=False)}  # (u,)
    for g, name in enumerate(("U_z", "U_r", "U_h")):
        out[name] = np.linalg.svd(U[:, g * u : (g + 1) * u], compute_uv=False)  # (u,)
    return out
