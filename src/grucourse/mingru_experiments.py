"""Seed-packed learning experiments of the parallel-GRU chapter: minGRU (1 or more layers) vs GRU.

As in :mod:`grucourse.experiments`, ``S`` seeds train side by side in one wide model whose
kernels are block-diagonal (a constraint keeps the off-diagonal blocks at zero), so block ``s``
computes exactly what model ``s`` alone would; the loss is the sum of the ``S`` models' losses.
minGRU is element-wise apart from its input projection, so packing it only needs its kernel
``[W_z | W_h]`` to be block-diagonal in the same gate-major layout as a Keras GRU.
"""

from __future__ import annotations

import time

from grucourse.experiments import _mask_constraint, block_mask, build_packed, pack_kernels
from grucourse.models import build_model

import numpy as np


def parity_data(n: int, T: int, rng: np.random.Generator):
    """Bit streams ``X`` ``(n, T, 1)`` of 0/1 and their parity ``y`` ``(n,)`` (1 for an odd number of ones).

    Reading a bit flips the answer or keeps it: the state transition depends on the state
    (``h -> 1 - h``), the nonlinear kind a single minGRU layer, linear in ``h``, cannot make.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    for name, v in (("n", n), ("T", T)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    bits = rng.integers(0, 2, size=(n, T))  # (n, T)
    return bits[:, :, None].astype(np.float32), (bits.sum(axis=1) % 2).astype(np.int64)


def pack_data(parts):
    """``[(X_s (n, T, d), y_s (n,)), ...]`` -> ``X`` ``(n, T, S*d)`` (seed s in its own features), ``y`` ``(n, S)``."""
    return np.concatenate([x for x, _ in parts], axis=2), np.stack([y for _, y in parts], axis=1)


def _glorot(rng, rows, cols):
    limit = np.sqrt(6.0 / (rows + cols))
    return rng.uniform(-limit, limit, size=(rows, cols)).astype(np.float32)  # (rows, cols)


def _summed_cross_entropy(S):
    import keras

    def loss(y_true, y_pred):  # (B, S), (B, S, C) -> (B, S); the mean times S = the sum over models
        return S * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    return loss


def build_packed_mingru(seeds, d, u, n_classes, T, n_layers=1, learning_rate=1e-2, bias_z_init=0.0):
    """``len(seeds)`` minGRU classifiers (``n_layers`` stacked minGRU layers of ``u`` units, then a
    softmax head) packed into one model: input ``(T, S*d)``, output ``(S, n_classes)``.

    Model ``s`` draws its kernels (Glorot-uniform, as Keras) from ``default_rng([seed, layer])``.
    """
    from grucourse.mingru_layer import MinGRU

    import keras

    S = len(seeds)
    inputs = keras.Input((T, S * d))
    h, rows = inputs, d
    for i in range(n_layers):
        layer = MinGRU(S * u, return_sequences=i < n_layers - 1, bias_z_init=bias_z_init, name=f"mingru_{i}",
                       kernel_constraint=_mask_constraint(block_mask(rows, u, S, 2)))
        h = layer(h)  # (B, T, S*u) between layers, (B, S*u) after the last
        layer.kernel.assign(pack_kernels([_glorot(np.random.default_rng([s, i]), rows, 2 * u) for s in seeds], 2))
        rows = u
    head = keras.layers.Dense(S * n_classes, name="head",
                              kernel_constraint=_mask_constraint(block_mask(u, n_classes, S, 1)))
    logits = keras.layers.Reshape((S, n_classes))(head(h))  # (B, S, C)
    model = keras.Model(inputs, keras.layers.Softmax(axis=-1)(logits), name="packed_mingru")
    head.kernel.assign(pack_kernels([_glorot(np.random.default_rng([s, 99]), u, n_classes) for s in seeds], 1))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=_summed_cross_entropy(S))
    return model


def build_packed_gru(seeds, d, u, n_classes, T, learning_rate=1e-2, bias_keep=0.0):
    """``len(seeds)`` GRU classifiers from :func:`grucourse.models.build_model`, packed.

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


def train_and_track(model, train, test, epochs, batch_size=50):
    """Fit one epoch at a time; returns per-epoch test accuracy ``(epochs, S)`` and seconds per epoch."""
    acc, seconds = [], []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.fit(*train, epochs=1, batch_size=batch_size, verbose=0, shuffle=True)
        seconds.append(time.perf_counter() - t0)
        acc.append(per_seed_accuracy(model, *test))
    return np.array(acc), np.array(seconds)


def epochs_to_target(acc, target):
    """First epoch (1-based) at which each seed's accuracy reaches ``target``; ``epochs + 1`` if never."""
    acc = np.asarray(acc)  # (epochs, S)
    reached = acc >= target  # (epochs, S)
    return np.where(reached.any(axis=0), reached.argmax(axis=0) + 1, acc.shape[0] + 1)  # (S,)
