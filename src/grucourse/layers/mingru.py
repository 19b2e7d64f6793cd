"""``MinGRU``: a Keras 3 layer (TensorFlow backend) that computes minGRU by a parallel scan.

The layer computes, in the source chapter's convention (see :mod:`grucourse.core.mingru`),
``z_t = sigmoid(x_t W_z + b_z)``, ``h_tilde_t = x_t W_h + b_h`` and
``h_t = (1 - z_t) h_{t-1} + z_t h_tilde_t``, i.e. ``h_t = a_t h_{t-1} + b_t`` with
``a = 1 - z``, ``b = z h_tilde``. Two ways to run the recurrence (``method``):

- ``"scan"`` (default): a chunked scan in linear space. Inside chunks of ``chunk`` steps a
  Hillis-Steele scan (``log2(chunk)`` levels of shifted multiply-adds); across chunks the same
  scan over the chunk totals; then one multiply-add puts each chunk's incoming state in.
  Its gradient is written by hand: the backward pass of a linear recurrence is the same
  recurrence run backwards in time, ``lambda_t = g_t + a_{t+1} lambda_{t+1}``,
  ``dL/db_t = lambda_t``, ``dL/da_t = lambda_t h_{t-1}``.
- ``"loop"``: ``keras.ops.scan``, one step after the other (the sequential reference).

Why this choice (measured, see the parallel-GRU chapter): ``keras.ops.associative_scan`` fails
inside a layer under ``fit`` on these pins; the log-space form with ``cumsum`` and
``cumulative_logsumexp`` is fast but loses float32 precision over long sequences (``|a*_t|``
grows with ``t``); the linear-space scan never divides, so products that underflow do no harm.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

METHODS = ("scan", "loop")
MASK_ERROR = ("MinGRU does not support masking: remove the Masking layer or mask_zero=True, "
              "or use sequences of equal length")


def _shift(v, k, fill, axis):
    """``v`` moved ``k`` places later along ``axis`` (the first ``k`` entries become ``fill``)."""
    n = tf.shape(v)[axis]
    head = tf.gather(v, tf.range(n - k), axis=axis)  # (..., n-k, ...)
    pad = [[0, 0]] * v.shape.rank
    pad[axis] = [k, 0]
    return tf.pad(head, pad, constant_values=fill)  # (..., n, ...)


def _hillis_steele(a, b, axis, levels=None):
    """Inclusive scan of ``h = a h_prev + b`` along ``axis``: returns ``(A, h)``, both like ``a``.

    ``levels`` (static) unrolls the loop; ``None`` runs ``ceil(log2 n)`` levels in a while loop.
    """
    if levels is not None:
        for i in range(levels):
            k = 2**i
            # combine with t - k
            a, b = a * _shift(a, k, 1.0, axis), b + a * _shift(b, k, 0.0, axis)
        return a, b
    n_static = a.shape[axis]
    if n_static is not None:  # known length: unroll ceil(log2 n) levels
        return _hillis_steele(a, b, axis, int(np.ceil(np.log2(n_static))) if n_static > 1 else 0)
    n = tf.shape(a)[axis]

    def body(k, a, b):
        return k * 2, a * _shift(a, k, 1.0, axis), b + a * _shift(b, k, 0.0, axis)

    free = tf.TensorShape([None] * a.shape.rank)
    _, a, b = tf.while_loop(lambda k, a, b: k < n, body, (tf.constant(1), a, b),
                            shape_invariants=(tf.TensorShape([]), free, free))
    return a, b


def linear_scan(a, b, chunk: int = 8):
    """All states ``h_t = a_t h_{t-1} + b_t`` (``h_{-1} = 0``) of ``a, b`` ``(B, T, u)``,
    chunked."""
    B, T, u = tf.shape(a)[0], tf.shape(a)[1], tf.shape(a)[2]
    n = (T + chunk - 1) // chunk  # number of chunks
    pad = n * chunk - T
    a_c = tf.reshape(tf.pad(a, [[0, 0], [0, pad], [0, 0]], constant_values=1.0), (B, n, chunk, u))
    b_c = tf.reshape(tf.pad(b, [[0, 0], [0, pad], [0, 0]]), (B, n, chunk, u))  # (B, n, C, u)
    levels = int(np.ceil(np.log2(chunk))) if chunk > 1 else 0
    A_loc, h_loc = _hillis_steele(a_c, b_c, axis=2, levels=levels)  # (B, n, C, u): from state 0
    _, H_end = _hillis_steele(A_loc[:, :, -1], h_loc[:, :, -1], axis=1)  # (B, n, u): end of chunk c
    H_in = _shift(H_end, 1, 0.0, axis=1)  # (B, n, u): the state entering chunk c
    h = h_loc + A_loc * H_in[:, :, None, :]  # (B, n, C, u)
    return tf.reshape(h, (B, n * chunk, u))[:, :T]  # (B, T, u)


def scan_with_gradient(a, b, chunk: int = 8):
    """:func:`linear_scan` with its backward pass as a reverse-time scan (see the module
    docstring)."""

    @tf.custom_gradient
    def run(a, b):
        h = linear_scan(a, b, chunk)  # (B, T, u)

        def grad(g):  # g = dL/dh (B, T, u)
            a_next = _shift(tf.reverse(a, [1]), 1, 0.0, axis=1)  # reversed a_{t+1}, 0 past the end
            lam = tf.reverse(linear_scan(a_next, tf.reverse(g, [1]), chunk), [1])  # (B, T, u)
            h_prev = _shift(h, 1, 0.0, axis=1)  # (B, T, u): h_{t-1}, 0 before the start
            return lam * h_prev, lam

        return h, grad

    return run(a, b)


@keras.saving.register_keras_serializable(package="grucourse")
class MinGRU(keras.layers.Layer):
    """minGRU layer: ``(B, T, d) -> (B, u)`` or ``(B, T, u)`` with ``return_sequences=True``.

    Weights (source convention): ``kernel`` ``(d, 2u)`` = ``[W_z | W_h]``, ``bias`` ``(2u,)`` =
    ``[b_z | b_h]``: ``2 u (d + 1)`` parameters. Call with ``initial_state`` ``(B, u)`` to start
    from a state other than zero (streaming: feed the last state of one chunk into the next).
    Masks are not supported: the layer raises a ``ValueError`` rather than ignore padding.
    """

    def __init__(self, units, return_sequences=False, method="scan", chunk=8, bias_z_init=0.0,
                 kernel_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
            raise ValueError(f"chunk must be a positive integer (steps per chunk), got {chunk!r}")
        self.units, self.return_sequences, self.method = int(units), bool(return_sequences), method
        self.chunk, self.bias_z_init = int(chunk), float(bias_z_init)
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
        """``a = 1 - z`` and ``b = z * h_tilde`` ``(B, T, u)`` for input ``x`` ``(B, T, d)``."""
        u = self.units
        p = keras.ops.matmul(x, self.kernel) + self.bias  # (B, T, d) @ (d, 2u) -> (B, T, 2u)
        z = keras.ops.sigmoid(p[..., :u])  # (B, T, u)
        return 1.0 - z, z * p[..., u:]  # (B, T, u) each

    def __call__(self, inputs, *args, **kwargs):
        if kwargs.get("mask") is not None or getattr(inputs, "_keras_mask", None) is not None:
            raise ValueError(MASK_ERROR)  # checked here: symbolic calls never reach call()
        return super().__call__(inputs, *args, **kwargs)

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
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint)}

    def to_params(self):
        """The weights as a :class:`grucourse.core.mingru.MinGRUParams` for the numpy reference."""
        from grucourse.core.mingru import MinGRUParams

        k, b, u = np.asarray(self.kernel.numpy()), np.asarray(self.bias.numpy()), self.units
        return MinGRUParams(W_z=k[:, :u], b_z=b[:u], W_h=k[:, u:], b_h=b[u:])
