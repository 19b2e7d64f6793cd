"""Long streams for truncated back-propagation through time (BPTT) with a stateful GRU.

A stream of ``N`` steps is too long to back-propagate through at once. Truncated BPTT
(Williams & Peng, 1990) cuts it into windows of ``W`` steps and back-propagates inside each
window only. With ``stateful=True`` a Keras RNN keeps its final state of one batch as the
initial state of the next, *row by row*: row ``b`` of batch ``i + 1`` must continue row ``b``
of batch ``i``. :func:`stateful_windows` arranges a stream that way:

- the stream is split into ``B`` contiguous sub-streams of ``L = N // B`` steps (the last
  ``N mod B`` steps are dropped), one per batch row;
- each sub-stream is cut into ``K = L // W`` consecutive windows (its last ``L mod W`` steps
  are dropped);
- batch ``i`` holds window ``i`` of every sub-stream, so the windows are laid out
  ``(K, B, W, f)`` and flattened to ``(K·B, W, f)`` for ``fit(..., batch_size=B, shuffle=False)``.

:func:`independent_windows` cuts the same stream into windows that each start from a zero state.
Memory: back-propagating through a window keeps at least the gate values ``z, r, h̃`` and the
state ``h`` of every step, ``4·W·B·u`` floats per layer (:func:`bptt_floats`): it grows with
the window length, not with the stream length.
"""

from __future__ import annotations

from grucourse.validate import check_int

import numpy as np


def _as_stream(series, name):
    a = np.asarray(series)
    if a.ndim == 1:
        a = a[:, None]  # (N, 1)
    if a.ndim != 2:
        raise ValueError(
            f"{name} must be one stream of shape (N,) or (N, features), got shape {a.shape}"
        )
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity")
    return a


def stateful_windows(series, batch_size, window):
    """Windows ``(K·B, W, f)`` of ``series`` ``(N, f)``: row ``b`` of batch ``i+1`` continues
    row ``b`` of batch ``i``.

    Window ``k`` of sub-stream ``b`` (``series[b·L + k·W : b·L + (k+1)·W]``, ``L = N // B``)
    is row ``k·B + b``. Raises if the stream is too short for one window per row.
    """
    a = _as_stream(series, "series")
    B = check_int(batch_size, "batch_size")
    W = check_int(window, "window")
    L = a.shape[0] // B
    K = L // W
    if K == 0:
        raise ValueError(f"a stream of {a.shape[0]} steps gives each of the {B} batch rows "
                         f"{L} steps, fewer than one window of {W}: "
                         "use a smaller batch_size or window")
    sub = a[: B * L].reshape(B, L, a.shape[1])[:, : K * W]  # (B, K·W, f): one sub-stream per row
    win = sub.reshape(B, K, W, a.shape[1]).transpose(1, 0, 2, 3)  # (K, B, W, f)
    return np.ascontiguousarray(win.reshape(K * B, W, a.shape[1]))  # (K·B, W, f)


def unstateful_windows(windows, batch_size):
    """Inverse of :func:`stateful_windows`: ``(K·B, W, f)`` back to the ``B`` sub-streams
    ``(B, K·W, f)``."""
    w = np.asarray(windows)
    B = check_int(batch_size, "batch_size")
    if w.ndim != 3 or w.shape[0] % B:
        raise ValueError(f"windows must have shape (K*{B}, W, f), got {w.shape}")
    K, W, f = w.shape[0] // B, w.shape[1], w.shape[2]
    return w.reshape(K, B, W, f).transpose(1, 0, 2, 3).reshape(B, K * W, f)  # (B, K·W, f)


def independent_windows(series, window):
    """Consecutive non-overlapping windows ``(N // W, W, f)`` of ``series``; each starts from a
    zero state."""
    a = _as_stream(series, "series")
    W = check_int(window, "window")
    K = a.shape[0] // W
    if K == 0:
        raise ValueError(f"a stream of {a.shape[0]} steps is shorter than one window of {W} steps")
    return a[: K * W].reshape(K, W, a.shape[1])  # (K, W, f)


def echo_stream(n_steps, delay, rng, n_symbols=2):
    """A stream of random one-hot symbols whose target at step ``t`` is the symbol at ``t − delay``.

    Returns ``X (n_steps, n_symbols)`` float32, ``y (n_steps,)`` int (``y_t = −1`` for
    ``t < delay``, where no answer exists). Chance accuracy is ``1 / n_symbols``; a model needs
    a memory of exactly ``delay`` steps.
    """
    n_steps = check_int(n_steps, "n_steps", 2)
    delay = check_int(delay, "delay", 0)
    n_symbols = check_int(n_symbols, "n_symbols", 2)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    if delay >= n_steps:
        raise ValueError(f"delay ({delay}) must be shorter than the stream ({n_steps} steps)")
    s = rng.integers(0, n_symbols, size=n_steps)  # (N,)
    X = np.eye(n_symbols, dtype=np.float32)[s]  # (N, n_symbols)
    y = np.full(n_steps, -1, dtype=np.int64)  # (N,)
    y[delay:] = s[: n_steps - delay]
    return X, y


def run_stateful(model, windows, batch_size):
    """Predict ``windows`` ``(K·B, W, f)`` batch by batch with a stateful ``model``, state carried.

    Resets the model's states first; returns the outputs ``(K·B, ...)`` in the same row order.
    """
    import keras

    B = check_int(batch_size, "batch_size")
    w = np.asarray(windows, dtype=np.float32)
    if w.ndim != 3 or w.shape[0] % B:
        raise ValueError(f"windows must have shape (K*{B}, W, f), got {w.shape}")
    rnns = [layer for layer in model.layers if isinstance(layer, keras.layers.RNN)]
    if not rnns or not all(layer.stateful for layer in rnns):
        raise ValueError(
            "the model's recurrent layers must be built with stateful=True to carry state"
        )
    for layer in rnns:
        layer.reset_states()
    outs = [np.asarray(model(w[i : i + B], training=False))
            for i in range(0, w.shape[0], B)]  # each (B, ...)
    return np.concatenate(outs, axis=0)  # (K·B, ...)


def ordered_batches(X, y, batch_size):
    """``tf.data`` batches of ``(X, y)`` in row order (no shuffling), as a stateful layer needs."""
    import tensorflow as tf

    B = check_int(batch_size, "batch_size")
    if len(X) != len(y) or len(X) % B:
        raise ValueError("X and y must have the same number of rows, "
                         f"a multiple of batch_size={B}: "
                         f"got {len(X)} and {len(y)}")
    return tf.data.Dataset.from_tensor_slices((X, y)).batch(B)


def bptt_floats(window, batch_size, units, layers=1) -> int:
    """Floats kept for back-propagation through a GRU window: ``4·W·B·u`` per layer
    (``z, r, h̃, h``)."""
    W, B, u, n = (check_int(v, k) for v, k in ((window, "window"), (batch_size, "batch_size"),
                                                  (units, "units"), (layers, "layers")))
    return 4 * W * B * u * n
