"""Language models of any architecture trained over seeds side by side, as branches of one model.

The GRU's seeds pack into one wide block-diagonal layer (:mod:`grucourse.training.lm_packed`).
Attention mixes time steps and its LayerNorms mix units, so a Transformer's seeds do not pack
that way; here each seed stays a whole model, and the ``S`` models become the ``S`` branches of
one Keras model that reads the same ids and stacks the logits ``(B, T, S, V)``. The loss is the
sum over seeds of each model's mean cross-entropy
(:func:`grucourse.training.lm_packed.summed_lm_cross_entropy`): every branch receives exactly its
own gradient, and one ``fit`` call (one compiled graph) trains them all.
:func:`grucourse.training.lm_packed.packed_log_probs` scores the result like a packed GRU.
"""

from __future__ import annotations

import time

from grucourse.training.lm_packed import summed_lm_cross_entropy, training_windows

import numpy as np


def stack_lms(models, learning_rate: float = 1e-2):
    """One Keras model with the ``S`` ``models`` as branches: ids ``(B, T)`` -> ``(B, T, S, V)``."""
    import keras

    if not models:
        raise ValueError("models is empty: give at least one model")
    ids = keras.Input(shape=(None,), dtype="int32")
    branches = [keras.Model(m.inputs[0], m.outputs[0], name=f"seed_{i}")
                for i, m in enumerate(models)]
    logits = keras.ops.stack([b(ids) for b in branches], axis=2)  # S x (B,T,V) -> (B,T,S,V)
    stacked = keras.Model(ids, logits, name="stacked_lms")
    stacked.compile(optimizer=keras.optimizers.Adam(learning_rate),
                    loss=summed_lm_cross_entropy(len(models)))
    return stacked


def train_stacked_lms(build, seeds, train_ids, *, steps: int, batch_size: int = 32,
                      seq_len: int = 48, learning_rate: float = 1e-2, data_seed: int = 0):
    """Train ``build(seed)`` for every seed, stacked, on the batches of
    :func:`grucourse.training.lm_packed.training_windows`; returns ``(stacked, models)``."""
    import keras

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    models = [build(s) for s in seeds]
    stacked = stack_lms(models, learning_rate)
    X, Y = training_windows(train_ids, steps * batch_size, seq_len,
                            np.random.default_rng(data_seed))
    keras.utils.set_random_seed(seeds[0])
    stacked.fit(X, Y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return stacked, models


def fit_with_snapshots(model, train_ids, *, steps: int, every: int, batch_size: int = 32,
                       seq_len: int = 48, data_seed: int = 0, seed: int = 0):
    """Train a compiled (packed) LM for ``steps`` Adam updates and keep a copy of its weights
    every ``every`` updates, with the wall-clock seconds spent training so far.

    The clock starts after the first update, which also traces the graph (a one-off cost).
    Returns a list of ``(updates, seconds, weights)``; comparing models at equal seconds means
    taking each model's last snapshot within the budget.
    """
    import keras

    X, Y = training_windows(train_ids, steps * batch_size, seq_len,
                            np.random.default_rng(data_seed))
    snaps = []

    class Snapshots(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                self.t0 = time.perf_counter()
            if (batch + 1) % every == 0 or batch + 1 == steps:
                snaps.append((batch + 1, time.perf_counter() - self.t0,
                              [np.array(w) for w in self.model.get_weights()]))

    keras.utils.set_random_seed(int(seed))
    model.fit(X, Y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
              callbacks=[Snapshots()])
    return snaps
