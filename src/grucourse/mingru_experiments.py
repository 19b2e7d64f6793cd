"""Seed-packed learning experiments of the parallel-GRU chapter: minGRU (1 or more layers) vs GRU.

As in :mod:`grucourse.experiments`, ``S`` seeds train side by side in one wide model whose
kernels are block-diagonal (a constraint keeps the off-diagonal blocks at zero), so block ``s``
computes exactly what model ``s`` alone would; the loss is the sum of the ``S`` models' losses.
minGRU is element-wise apart from its input projection, so packing it only needs its kernel
``[W_z | W_h]`` to be block-diagonal in the same gate-major layout as a Keras GRU.

Two tasks: the parity of a bit stream (:func:`parity_data`, a state-dependent transition) and
delayed recall across blank steps (:func:`blank_recall_data`, pure distance). The long-range
runs are tracked update by update (:func:`train_steps_and_track`, :func:`steps_to_target`);
the time of one update of a *single* model is measured apart (:func:`step_timer`,
:func:`paired_step_times`), because a packed update trains all seeds at once.
"""

from __future__ import annotations

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


def blank_recall_data(n: int, T: int, rng: np.random.Generator, n_symbols: int = 4):
    """Delayed recall across blank steps: ``X`` ``(n, T, n_symbols + 1)``, ``y`` ``(n,)``.

    Step 0 holds a one-hot symbol and the marker channel; steps ``1 .. T-1`` are all zero, and
    the model answers after the last one. The only difficulty is the distance: the symbol must
    survive ``T - 1`` steps of nothing. Chance accuracy is ``1 / n_symbols``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    for name, v, low in (("n", n, 1), ("T", T, 2), ("n_symbols", n_symbols, 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    y = rng.integers(0, n_symbols, size=n)  # (n,)
    X = np.zeros((n, T, n_symbols + 1), dtype=np.float32)  # (n, T, n_symbols + 1)
    X[np.arange(n), 0, y] = 1.0  # the symbol, at step 0 only
    X[:, 0, n_symbols] = 1.0  # the marker: "remember this one"
    return X, y.astype(np.int64)


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
        raise ValueError(f"batch_size={batch_size} is larger than the training set ({len(X)} sequences)")
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
        raise ValueError(f"acc must be (len(done), S) = ({done.shape[0]}, S), got shape {acc.shape}")
    reached = acc >= target  # (k, S)
    first = done[reached.argmax(axis=0)].astype(float)  # (S,)
    return np.where(reached.any(axis=0), first, np.inf)  # (S,)


def step_timer(model, batch):
    """A callable that runs one ``train_on_batch`` of ``model`` on the fixed ``batch = (X, y)``
    (called once here, so tracing stays out of any timing)."""
    X, y = batch

    def step():
        model.train_on_batch(X, y)

    step()
    return step


def paired_step_times(timers: dict, repeat: int = 7) -> dict:
    """Seconds per call of each callable in ``timers``, ``repeat`` rounds in turns: ``{name: (repeat,)}``.

    Round ``i`` times every candidate once, so sample ``i`` of two candidates forms a pair for
    :func:`grucourse.stats.time_ratio`.
    """
    from grucourse.timing import interleaved_times

    samples = {name: [] for name in timers}
    for _ in range(repeat):  # paired repeats: every candidate once per round
        stats = interleaved_times(timers, repeat=1, warmup=0)
        for name in timers:
            samples[name].append(stats[name]["median"])
    return {name: np.array(v) for name, v in samples.items()}  # each (repeat,)
