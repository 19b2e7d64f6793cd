"""Gradients of Keras models: Jacobians through time by autodiff, and gradient norms while training.

* :func:`state_jacobians` unrolls any built Keras recurrent layer (``SimpleRNN``, ``GRU``,
  ``LSTM``) cell by cell under ``tf.GradientTape`` and returns ``dh_T / ds_t`` for every step,
  where ``s_t`` is the layer's full state after step ``t`` (``h_t``; for an LSTM the pair
  ``[h_t, c_t]``). :func:`gradient_norm_vs_lag` turns it into a norm against the lag ``T - t``
  (Bengio et al. 1994; Pascanu et al. 2013, section 2). The analytic numpy route is
  :mod:`grucourse.core.jacobians`.
* :func:`global_norm`, :func:`gradient_norm` and :func:`train_with_trace` record the global
  gradient norm at every update, to see gradients explode and what clipping does
  (Pascanu et al. 2013, section 3.2).

Jacobians are stored as ``J[..., i, j] = d(output_i) / d(input_j)``.
"""

from __future__ import annotations

from grucourse.core.jacobians import jacobian_norms
from grucourse.validate import check_sequences

import numpy as np

# --- autodiff route: any Keras recurrent layer ------------------------------------------


def _cell_of(layer):
    cell = getattr(layer, "cell", None)
    if cell is None or not hasattr(cell, "units"):
        raise TypeError(
            f"layer must be a Keras recurrent layer (SimpleRNN, GRU or LSTM), "
            f"got {type(layer).__name__}"
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
    # (u*B, u): one-hot k per copy
    probe = tf.constant(np.repeat(np.eye(u, dtype=np.float32), B, axis=0))
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


def global_norm(grads) -> float:
    """``sqrt(Σ ‖g_w‖²)`` over a list of gradient arrays (``None`` entries are skipped)."""
    total = 0.0
    for g in grads:
        if g is not None:
            a = np.asarray(g, dtype=np.float64)
            total += float(np.sum(a * a))
    return float(np.sqrt(total))


def gradient_norm(model, X, y, loss_fn) -> float:
    """Global gradient norm of ``loss_fn(y, model(X))`` with respect to the trainable weights."""
    import tensorflow as tf

    X, y = _check_xy(X, y)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(X, training=True))
    return global_norm([g.numpy() if g is not None else None
                        for g in tape.gradient(loss, model.trainable_variables)])


def _check_xy(X, y):
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    if X.ndim != 3:
        raise ValueError(f"X must have shape (n, T, features), got {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X and y must hold the same number of sequences, "
                         f"got {X.shape[0]} and {y.shape[0]}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X or y contains NaN or infinity")
    return X, y


def train_with_trace(models, data, optimizers, loss_fn, *, epochs=1, batch_size=32, seed=0):
    """Train ``models[s]`` on ``data[s] = (X_s, y_s)`` with ``optimizers[s]``; trace every step.

    All models take their steps together inside one compiled function (one step per model per
    mini-batch); model ``s`` sees only its own data, in its own seeded shuffled order.
    Returns a dict of arrays of shape ``(steps, S)``: ``"loss"``, ``"norm"`` (before clipping)
    and ``"step"`` (``‖Δθ‖``).
    """
    import tensorflow as tf

    models, optimizers, data = list(models), list(optimizers), list(data)
    S = len(models)
    if S == 0 or len(optimizers) != S or len(data) != S:
        raise ValueError(f"give one optimizer and one (X, y) per model: got {S} models, "
                         f"{len(optimizers)} optimizers and {len(data)} data sets")
    if len({id(o) for o in optimizers}) != S:
        raise ValueError("each model needs its own optimizer instance "
                         "(an optimizer keeps per-weight state)")
    data = [_check_xy(X, y) for X, y in data]
    n = data[0][0].shape[0]
    if any(X.shape != data[0][0].shape for X, _ in data):
        raise ValueError("every model's X must have the same shape (n, T, features)")
    for v, name in ((epochs, "epochs"), (batch_size, "batch_size")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    variables = [m.trainable_variables for m in models]

    @tf.function
    def step(xs, ys):
        losses, norms, steps = [], [], []
        for s in range(S):
            before = [tf.identity(v) for v in variables[s]]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(loss_fn(ys[s], models[s](xs[s], training=True)))
            grads = tape.gradient(loss, variables[s])
            norms.append(tf.linalg.global_norm(grads))
            optimizers[s].apply_gradients(zip(grads, variables[s], strict=True))
            steps.append(tf.linalg.global_norm([v - b for v, b in
                                                zip(variables[s], before, strict=True)]))
            losses.append(loss)
        return tf.stack(losses), tf.stack(norms), tf.stack(steps)

    rngs = [np.random.default_rng([seed, s]) for s in range(S)]
    trace = {"loss": [], "norm": [], "step": []}
    for _ in range(int(epochs)):
        orders = [r.permutation(n) for r in rngs]  # (S, n)
        for start in range(0, n - batch_size + 1, batch_size):
            xs = [data[s][0][orders[s][start : start + batch_size]]
                  for s in range(S)]  # S x (B, T, f)
            ys = [data[s][1][orders[s][start : start + batch_size]]
                  for s in range(S)]  # S x (B, ...)
            loss, norm, size = step(xs, ys)
            trace["loss"].append(loss.numpy())
            trace["norm"].append(norm.numpy())
            trace["step"].append(size.numpy())
    return {k: np.asarray(v, dtype=np.float64) for k, v in trace.items()}  # each (steps, S)
