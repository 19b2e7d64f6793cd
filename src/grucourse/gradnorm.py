"""Tracing gradient norms while training, to see gradients explode and what clipping does.

Keras's ``fit`` never shows the gradients, so :func:`train_with_trace` runs the same training
step by hand (one ``tf.GradientTape`` per step) for several models side by side, each with its
own optimizer and its own data, and records per step and per model:

- ``norm``: the global gradient norm before clipping, ``‖g‖ = sqrt(Σ_w Σ_i g_{w,i}²)`` over all
  trainable weights ``w`` of the model;
- ``step``: the size of the update the optimizer applied, ``‖Δθ‖ = ‖θ_after − θ_before‖``; for
  plain SGD this is ``learning_rate × ‖clipped g‖``, so it shows the clipping at work;
- ``loss``: the mini-batch loss before the update (NaN once the model has diverged).

Clipping is the optimizer's own (``keras.optimizers.SGD(..., clipnorm=c)`` clips each weight
tensor's gradient to norm ``c``; ``global_clipnorm=c`` rescales all of them together so that
``‖g‖ ≤ c``, Pascanu et al., 2013). Models are trained separately (not packed into one layer):
clipping couples the weights it clips together, so packed seeds would clip each other.
"""

from __future__ import annotations

import numpy as np


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
        raise ValueError(f"X and y must hold the same number of sequences, got {X.shape[0]} and {y.shape[0]}")
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
        raise ValueError("each model needs its own optimizer instance (an optimizer keeps per-weight state)")
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
            steps.append(tf.linalg.global_norm([v - b for v, b in zip(variables[s], before, strict=True)]))
            losses.append(loss)
        return tf.stack(losses), tf.stack(norms), tf.stack(steps)

    rngs = [np.random.default_rng([seed, s]) for s in range(S)]
    trace = {"loss": [], "norm": [], "step": []}
    for _ in range(int(epochs)):
        orders = [r.permutation(n) for r in rngs]  # (S, n)
        for start in range(0, n - batch_size + 1, batch_size):
            xs = [data[s][0][orders[s][start : start + batch_size]] for s in range(S)]  # S x (B, T, f)
            ys = [data[s][1][orders[s][start : start + batch_size]] for s in range(S)]  # S x (B, ...)
            loss, norm, size = step(xs, ys)
            trace["loss"].append(loss.numpy())
            trace["norm"].append(norm.numpy())
            trace["step"].append(size.numpy())
    return {k: np.asarray(v, dtype=np.float64) for k, v in trace.items()}  # each (steps, S)
