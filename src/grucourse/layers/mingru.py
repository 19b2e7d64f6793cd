"""``MinGRU``: a Keras 3 layer (TensorFlow backend) that computes minGRU by a parallel scan.

The layer computes, in the source chapter's convention (see :mod:`grucourse.core.mingru`),
``z_t = sigmoid(x_t W_z + b_z)``, ``h_tilde_t = x_t W_h + b_h`` and
``h_t = (1 - z_t) h_{t-1} + z_t h_tilde_t``, i.e. ``h_t = a_t h_{t-1} + b_t`` with
``a = 1 - z``, ``b = z h_tilde``. Two ways to run the recurrence (``method``):

- ``"scan"`` (default): a chunked scan in linear space (:mod:`grucourse.layers.scan`, the
  algorithm chosen by measurement: the work-efficient blocked scan, sequential inside chunks of
  ``~sqrt(T)`` steps, then a scan over the chunk totals; ``chunk`` sets the chunk length of the
  older Hillis-Steele variant). Its gradient is written by hand: the backward pass of a linear
  recurrence is the same recurrence run backwards in time,
  ``lambda_t = g_t + a_{t+1} lambda_{t+1}``, ``dL/db_t = lambda_t``, ``dL/da_t = lambda_t h_{t-1}``.
- ``"loop"``: ``keras.ops.scan``, one step after the other (the sequential reference).

Why this choice (measured, see the parallel-GRU chapter): ``keras.ops.associative_scan`` fails
inside a layer under ``fit`` on these pins; the log-space form with ``cumsum`` and
``cumulative_logsumexp`` is fast but loses float32 precision over long sequences (``|a*_t|``
grows with ``t``); the linear-space scan never divides, so products that underflow do no harm.
"""

from __future__ import annotations

from grucourse.layers.scan import linear_scan, scan_with_gradient  # noqa: F401  (re-exported)

import keras
import numpy as np

METHODS = ("scan", "loop")
MASK_ERROR = ("MinGRU does not support masking: remove the Masking layer or mask_zero=True, "
              "or use sequences of equal length")


@keras.saving.register_keras_serializable(package="grucourse")
class MinGRU(keras.layers.Layer):
    """minGRU layer: ``(B, T, d) -> (B, u)`` or ``(B, T, u)`` with ``return_sequences=True``.

    Weights (source convention): ``kernel`` ``(d, 2u)`` = ``[W_z | W_h]``, ``bias`` ``(2u,)`` =
    ``[b_z | b_h]``: ``2 u (d + 1)`` parameters. Call with ``initial_state`` ``(B, u)`` to start
    from a state other than zero (streaming: feed the last state of one chunk into the next).
    Masks are not supported: the layer raises a ``ValueError`` rather than ignore padding.

    ``signed=True`` gives the negative-range minGRU of chapter 23: ``a_t = 1 - 2 z_t`` in
    ``(-1, 1)`` instead of ``1 - z_t`` in ``(0, 1)`` (Grazzi et al. 2025, section 4: the
    eigenvalue range ``[0, 1]`` stretched to ``[-1, 1]``), so a unit can flip its sign; the
    same linear-space scan runs it, since the combine never assumes ``a >= 0``.
    """

    def __init__(self, units, return_sequences=False, method="scan", chunk=8, bias_z_init=0.0,
                 kernel_constraint=None, signed=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
            raise ValueError(f"chunk must be a positive integer (steps per chunk), got {chunk!r}")
        self.units, self.return_sequences, self.method = int(units), bool(return_sequences), method
        self.chunk, self.bias_z_init, self.signed = int(chunk), float(bias_z_init), bool(signed)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.supports_masking = False

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"MinGRU expects inputs of shape (batch, time, features) with known "
                             f"features, got {tuple(input_shape)}")
        d, u = int(input_shape[-1]), self.units
        self.kernel = self.add_weight(name="kernel", shape=(d, 2 * u), initializer="glorot_uniform",
                                      constraint=self.kernel_constraint)
        init = np.concatenate([np.full(u, self.bias_z_init),
                               np.zeros(u)]).astype("float32")  # (2u,)
        self.bias = self.add_weight(name="bias", shape=(2 * u,),
                                    initializer=keras.initializers.Constant(init))

    def coefficients(self, x):
        """``a = 1 - z`` (``1 - 2 z`` if ``signed``) and ``b = z * h_tilde`` ``(B, T, u)`` for
        input ``x`` ``(B, T, d)``."""
        u = self.units
        p = keras.ops.matmul(x, self.kernel) + self.bias  # (B, T, d) @ (d, 2u) -> (B, T, 2u)
        z = keras.ops.sigmoid(p[..., :u])  # (B, T, u)
        a = 1.0 - 2.0 * z if self.signed else 1.0 - z  # (B, T, u): in (-1, 1) or (0, 1)
        return a, z * p[..., u:]  # (B, T, u) each

    def __call__(self, inputs, *args, **kwargs):
        if kwargs.get("mask") is not None or getattr(inputs, "_keras_mask", None) is not None:
            raise ValueError(MASK_ERROR)  # checked here: symbolic calls never reach call()
        self._check_shapes(inputs, kwargs.get("initial_state", args[0] if args else None))
        return super().__call__(inputs, *args, **kwargs)

    def _check_shapes(self, inputs, initial_state):
        """Clear errors for a feature count other than the built one and a wrong-width state."""
        shape = tuple(getattr(inputs, "shape", np.shape(inputs)))
        if len(shape) != 3:
            raise ValueError(f"MinGRU expects inputs of shape (batch, time, features), "
                             f"got shape {shape}")
        d = self.kernel.shape[0] if self.built else None
        if d is not None and shape[-1] is not None and shape[-1] != d:
            raise ValueError(f"MinGRU {self.name!r} was built for {d} input features, got inputs "
                             f"with {shape[-1]} features (shape {shape}); build a new layer for "
                             f"{shape[-1]} features")
        if initial_state is None:
            return
        s = tuple(getattr(initial_state, "shape", np.shape(initial_state)))
        if len(s) != 2 or (s[-1] is not None and s[-1] != self.units) or (
                None not in (s[0], shape[0]) and s[0] != shape[0]):
            raise ValueError(f"initial_state must have shape (batch, units) = ({shape[0]}, "
                             f"{self.units}), got shape {s}")

    def call(self, inputs, initial_state=None, mask=None):
        if mask is not None:
            raise ValueError(MASK_ERROR)
        a, b = self.coefficients(inputs)  # (B, T, u) each
        if initial_state is not None:
            h0 = keras.ops.cast(initial_state, a.dtype)  # (B, u)
            b = keras.ops.concatenate([b[:, :1] + a[:, :1] * h0[:, None], b[:, 1:]], axis=1)
        if self.method == "scan":
            h = scan_with_gradient(a, b, self.chunk)  # (B, T, u)
        else:
            def step(h_prev, ab):
                h_t = ab[0] * h_prev + ab[1]  # (B, u)
                return h_t, h_t

            h0 = keras.ops.zeros_like(b[:, 0])  # (B, u); h0 is already folded into b
            _, hs = keras.ops.scan(step, h0,
                                   (keras.ops.swapaxes(a, 0, 1), keras.ops.swapaxes(b, 0, 1)))
            h = keras.ops.swapaxes(hs, 0, 1)  # (T, B, u) -> (B, T, u)
        return h if self.return_sequences else h[:, -1]

    def compute_output_shape(self, input_shape):
        B, T = input_shape[0], input_shape[1]
        return (B, T, self.units) if self.return_sequences else (B, self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "return_sequences": self.return_sequences,
                "method": self.method, "chunk": self.chunk, "bias_z_init": self.bias_z_init,
                "signed": self.signed,
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint)}

    def to_params(self):
        """The weights as a :class:`grucourse.core.mingru.MinGRUParams` for the numpy reference."""
        from grucourse.core.mingru import MinGRUParams

        k, b, u = np.asarray(self.kernel.numpy()), np.asarray(self.bias.numpy()), self.units
        return MinGRUParams(W_z=k[:, :u], b_z=b[:u], W_h=k[:, u:], b_h=b[u:])
