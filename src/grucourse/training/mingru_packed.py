"""minGRU and GRU classifiers packed by seed, and training tracked update by update.

Used by chapters/23_mingru_learning.ipynb and by the lag experiment of
:mod:`grucourse.training.recipes` (chapters/11_training_memory_lags.ipynb).
minGRU (Feng et al. 2024, "Were RNNs all we needed?", section 3.2) is element-wise apart from
its input projection, so packing it (:mod:`grucourse.training.packing`) only needs its kernel
``[W_z | W_h]`` to be block-diagonal in the same gate-major layout as a Keras GRU.
:func:`train_steps_and_track` trains a packed model for a number of Adam updates and scores
every seed every ``eval_every`` updates; :func:`steps_to_target` reads off the first update at
which each seed reached a target accuracy.
"""

from __future__ import annotations

from grucourse.layers.models import build_model
from grucourse.training.packing import (
    block_diagonal,
    block_mask,
    build_packed,
    pack_kernels,
    summed_cross_entropy,
)

import numpy as np


def _glorot(rng, rows, cols):
    limit = np.sqrt(6.0 / (rows + cols))
    return rng.uniform(-limit, limit, size=(rows, cols)).astype(np.float32)  # (rows, cols)


def build_packed_mingru(seeds, d, u, n_classes, T, n_layers=1, learning_rate=1e-2, bias_z_init=0.0):
    """``len(seeds)`` minGRU classifiers (``n_layers`` stacked minGRU layers of ``u`` units, then a
    softmax head) packed into one model: input ``(T, S*d)``, output ``(S, n_classes)``.

    Model ``s`` draws its kernels (Glorot-uniform, as Keras) from ``default_rng([seed, layer])``.
    """
    from grucourse.layers.mingru import MinGRU

    import keras

    S = len(seeds)
    inputs = keras.Input((T, S * d))
    h, rows = inputs, d
    for i in range(n_layers):
        layer = MinGRU(S * u, return_sequences=i < n_layers - 1, bias_z_init=bias_z_init,
                       name=f"mingru_{i}",
                       kernel_constraint=block_diagonal(block_mask(rows, u, S, 2)))
        h = layer(h)  # (B, T, S*u) between layers, (B, S*u) after the last
        layer.kernel.assign(pack_kernels([_glorot(np.random.default_rng([s, i]), rows, 2 * u)
                                          for s in seeds], 2))
        rows = u
    head = keras.layers.Dense(S * n_classes, name="head",
                              kernel_constraint=block_diagonal(block_mask(u, n_classes, S, 1)))
    logits = keras.layers.Reshape((S, n_classes))(head(h))  # (B, S, C)
    model = keras.Model(inputs, keras.layers.Softmax(axis=-1)(logits), name="packed_mingru")
    head.kernel.assign(pack_kernels([_glorot(np.random.default_rng([s, 99]), u, n_classes)
                                     for s in seeds], 1))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=summed_cross_entropy(S))
    return model


def build_packed_gru(seeds, d, u, n_classes, T, learning_rate=1e-2, bias_keep=0.0):
    """``len(seeds)`` GRU classifiers from :func:`grucourse.layers.models.build_model`, packed.

    ``bias_keep`` is added to the update gate's input bias in Keras's convention (``z`` near 1
    keeps the past), the same keep-at-start as ``bias_z_init = -bias_keep`` for minGRU.
    """
    import keras

    models = []
    for s in seeds:
        keras.utils.set_random_seed(s)
        m = build_model("GRU", u, d, n_classes, seq_len=T, learning_rate=learning_rate)
        kernel, recurrent, bias = m.get_layer("gru").get_weights()
        bias[0, :u] += bias_keep  # (2, 3u): row 0 is the input bias, columns :u the update gate
        m.get_layer("gru").set_weights([kernel, recurrent, bias])
        models.append(m)
    return build_packed(models, "GRU", learning_rate)


def per_seed_accuracy(model, X, y, batch_size=500):
    """Accuracy of each packed model on ``X`` ``(n, T, S*d)``, ``y`` ``(n, S)``: shape ``(S,)``."""
    probs = model.predict(X, batch_size=batch_size, verbose=0)  # (n, S, C)
    return (probs.argmax(axis=-1) == y).mean(axis=0)  # (S,)


def train_steps_and_track(model, train, test, steps, eval_every, batch_size, seed=0):
    """``steps`` single-batch updates (``train_on_batch``) on shuffled mini-batches of ``train``,
    with the accuracy of every packed model on ``test`` after each ``eval_every`` updates.

    Returns ``(done (k,), acc (k, S))``: ``done[i]`` updates had been made when ``acc[i]`` was
    measured (the first row is the start, ``done[0] = 0``).
    """
    X, y = train  # (n, T, S*d), (n, S)
    for name, v in (("steps", steps), ("eval_every", eval_every), ("batch_size", batch_size)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if batch_size > len(X):
        raise ValueError(f"batch_size={batch_size} is larger than the training set "
                         f"({len(X)} sequences)")
    rng = np.random.default_rng(seed)
    order = np.zeros(0, dtype=int)
    done, acc = [0], [_accuracy_on_batch(model, *test)]
    for step in range(1, steps + 1):
        if len(order) < batch_size:  # a new epoch: a fresh permutation
            order = np.concatenate([order, rng.permutation(len(X))])
        idx, order = order[:batch_size], order[batch_size:]
        model.train_on_batch(X[idx], y[idx])  # (batch, T, S*d), (batch, S)
        if step % eval_every == 0 or step == steps:
            done.append(step)
            acc.append(_accuracy_on_batch(model, *test))
    return np.array(done), np.array(acc)


def _accuracy_on_batch(model, X, y):
    probs = np.asarray(model.predict_on_batch(X))  # (n, S, C)
    return (probs.argmax(axis=-1) == y).mean(axis=0)  # (S,)


def steps_to_target(done, acc, target):
    """Updates each seed needed before its accuracy first reached ``target``: ``(S,)`` floats,
    ``inf`` for a seed that never reached it within the measured updates."""
    done, acc = np.asarray(done), np.asarray(acc)  # (k,), (k, S)
    if acc.ndim != 2 or acc.shape[0] != done.shape[0]:
        raise ValueError(f"acc must be (len(done), S) = ({done.shape[0]}, S), "
                         f"got shape {acc.shape}")
    reached = acc >= target  # (k, S)
    first = done[reached.argmax(axis=0)].astype(float)  # (S,)
    return np.where(reached.any(axis=0), first, np.inf)  # (S,)
