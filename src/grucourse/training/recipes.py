"""Seed-packed experiments for the training chapters: initialisations compared on delayed recall.

:func:`train_recall_inits` trains one GRU per (initialisation, seed) on delayed recall at one
lag, the single-lag protocol of chapter 1 (``grucourse.training.recall.train_recall_models``), with
all the models packed into one block-diagonal layer (see ``grucourse.training.packing``). Model
``(name, s)`` starts from the weights ``build_model`` draws after ``set_random_seed(s)``, then
``inits[name](layer, s)`` rewrites them; every model with seed ``s`` sees the same training
data, so the initialisations are compared on paired seeds.
"""

from __future__ import annotations

from grucourse.data.tasks import recall_data
from grucourse.training.initialisers import chrono_bias, set_update_gate_bias
from grucourse.training.packing import (
    block_diagonal,
    block_mask,
    build_packed,
    pack_kernels,
    pack_weights,
    unpack_into,
)
from grucourse.training.recall import model_accuracy, shuffled_batches
from grucourse.validate import check_int, check_int_list

import numpy as np


def memory_inits(keep_bias=3.0, t_max=31, matched=False):
    """The initialisations of chapters 10 and 11, as ``{name: f(layer, seed)}`` (Keras convention).

    ``"default"``: Keras's own (``b_z = 0``, so ``z = σ(·) ≈ 0.5`` at the start);
    ``"keep"``: ``b_z = keep_bias`` in every unit; ``"chrono"``: ``b_z ~ log U(1, t_max − 1)``
    drawn with ``default_rng([seed, 1])``. With ``matched=True`` a fourth start,
    ``"matched"``: ``b_z = ln(t_max − 1)`` in every unit, one forgetting time
    ``1 + e^{b_z} = t_max`` (chrono's longest), so keep and chrono can be told apart from a
    time scale matched to ``t_max``.
    """
    if matched and not float(t_max) > 2:
        raise ValueError(f"matched=True needs t_max > 2 (b_z = ln(t_max - 1) > 0), got {t_max!r}")

    def default(layer, seed):
        return None

    def keep(layer, seed):
        set_update_gate_bias(layer, keep_bias)

    def chrono(layer, seed):
        set_update_gate_bias(layer, chrono_bias(layer.units, t_max,
                                                np.random.default_rng([seed, 1])))

    def matched_keep(layer, seed):
        set_update_gate_bias(layer, float(np.log(float(t_max) - 1.0)))

    inits = {"default": default, "keep": keep, "chrono": chrono}
    return inits | {"matched": matched_keep} if matched else inits


def build_recall_models(lag, seeds, inits, units=16, n_symbols=4, learning_rate=1e-2):
    """Untrained GRU models, one per (init name, seed), in the order of ``inits`` then ``seeds``."""
    from grucourse.layers.models import build_model

    import keras

    keys, models = [], []
    for name, init in inits.items():
        for s in seeds:
            keras.utils.set_random_seed(s)
            model = build_model("GRU", units, n_symbols + 1, n_symbols, seq_len=lag + 1,
                                learning_rate=learning_rate)
            init(model.get_layer("gru"), s)
            keys.append((name, s))
            models.append(model)
    return keys, models


def train_recall_inits(lag, seeds, inits, *, units=16, n_train=1500, n_test=500, epochs=5,
                       batch_size=32, learning_rate=1e-2, n_symbols=4):
    """Test accuracy at ``lag`` for every initialisation in ``inits`` and every seed, trained
    packed.

    Returns a ``pandas.DataFrame`` with columns ``init, seed, lag, test_accuracy``.
    """
    import keras
    import pandas as pd

    lag = check_int(lag, "lag")
    seeds = check_int_list(seeds, "seeds", 0)
    if not isinstance(inits, dict) or not inits or not all(callable(f) for f in inits.values()):
        raise TypeError("inits must be a non-empty dict {name: f(layer, seed)}, "
                        "e.g. memory_inits()")
    keys, models = build_recall_models(lag, seeds, inits, units, n_symbols, learning_rate)
    data = [recall_data(lag, s, n_train, n_symbols) for _, s in keys]  # same data for every init
    X = np.concatenate([x for x, _ in data], axis=2)  # (n, T, M*f): model m reads its own block
    y = np.stack([t for _, t in data], axis=1)  # (n, M)
    packed = build_packed(models, "GRU", learning_rate)
    keras.utils.set_random_seed(seeds[0])
    packed.fit(shuffled_batches(X, y, batch_size, seeds[0]), epochs=epochs, shuffle=False,
               verbose=0)
    unpack_into(packed, models, "GRU")
    rows = []
    for (name, s), model in zip(keys, models, strict=True):
        X_test, y_test = recall_data(lag, s, n_test, n_symbols, split="test")
        rows.append({"init": name, "seed": s, "lag": lag,
                     "test_accuracy": model_accuracy(model, X_test, y_test)})
    return pd.DataFrame(rows)


def scaled_recurrent_regressors(seeds, gain, seq_len, units=16, n_features=2):
    """GRU regressors ``Input(seq_len, n_features) → GRU(units) → Dense(1)``, one per seed, with
    ``U × gain``.

    The recurrent kernel ``U`` (``(u, 3u)``, Keras's orthogonal default) is multiplied by
    ``gain``: large gains make the state dynamics unstable and the gradients explode.
    """
    from grucourse.layers.models import build_model

    import keras

    seeds = check_int_list(seeds, "seeds", 0)
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not gain > 0:
        raise ValueError(f"gain must be a positive number, got {gain!r}")
    models = []
    for s in seeds:
        keras.utils.set_random_seed(s)
        model = build_model("GRU", units, n_features, 1, task="regression", seq_len=seq_len)
        layer = model.get_layer("gru")
        kernel, recurrent, bias = layer.get_weights()  # (d, 3u), (u, 3u), (2, 3u)
        layer.set_weights([kernel, recurrent * gain, bias])
        models.append(model)
    return models


def reset_states_callback():
    """A Keras callback that resets every stateful RNN layer at the start of each epoch."""
    import keras

    class ResetStates(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            for layer in _rnn_layers(self.model):
                if layer.stateful:
                    layer.reset_states()

    return ResetStates()


def _rnn_layers(model):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.RNN):
            yield layer
        elif isinstance(layer, keras.Model):
            yield from _rnn_layers(layer)


def future_symbol_task(n, T, ahead, rng, n_symbols=4):
    """Label every step ``t < T − ahead`` with the symbol that arrives ``ahead`` steps *later*.

    ``X (n, T, n_symbols)`` one-hot, ``y (n, T − ahead)``: ``y[:, t] = symbol at t + ahead``.
    A unidirectional model reading left to right has not seen that symbol yet at step ``t``
    (chance ``1 / n_symbols``); a bidirectional one has.
    """
    n, T, ahead = (check_int(v, k) for v, k in ((n, "n"), (T, "T"), (ahead, "ahead")))
    if ahead >= T:
        raise ValueError(f"ahead ({ahead}) must be smaller than T ({T})")
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    s = rng.integers(0, n_symbols, size=(n, T))  # (n, T)
    X = np.eye(n_symbols, dtype=np.float32)[s]  # (n, T, n_symbols)
    return X, s[:, ahead:].astype(np.int64)  # (n, T, C), (n, T - ahead)


def packed_sequence_gru(seeds, n_features, units, n_classes, *, bidirectional=False, stateful=False,
                        batch_size=None, steps=None, crop_end=0, learning_rate=1e-2):
    """One per-step classifier ``GRU(units, return_sequences) → Dense(n_classes)`` per seed, packed
    into one model.

    Input ``(B, T, S·d)`` (seed ``s`` reads features ``s·d …``), output ``(B, T − crop_end, S, C)``
    softmax; the loss sums each seed's mean cross-entropy. Seed ``s`` starts from the weights a
    stand-alone layer draws after ``set_random_seed(s)`` (packed block-diagonally, as in
    ``grucourse.training.packing``). ``bidirectional=True`` packs ``Bidirectional(GRU(units))``
    (merge mode concat): each direction is block-diagonal and the head reads seed ``s``'s forward
    and backward states.
    """
    import keras

    seeds = check_int_list(seeds, "seeds", 0)
    S, d, u, C = len(seeds), n_features, units, n_classes
    per_seed = []
    for s in seeds:
        keras.utils.set_random_seed(s)
        layers = [keras.layers.GRU(u, return_sequences=True)
                  for _ in range(2 if bidirectional else 1)]
        for layer in layers:
            layer.build((None, None, d))
        head = keras.layers.Dense(C)
        head.build((None, len(layers) * u))
        per_seed.append(([layer.get_weights() for layer in layers], head.get_weights()))
    mask_k, mask_u = block_mask(d, u, S, 3), block_mask(u, u, S, 3)

    def packed_gru(direction, **kwargs):
        layer = keras.layers.GRU(S * u, return_sequences=True, stateful=stateful,
                                 kernel_constraint=block_diagonal(mask_k),
                                 recurrent_constraint=block_diagonal(mask_u), **kwargs)
        return layer, [w[0][direction] for w in per_seed]

    shape = (batch_size, steps, S * d)
    inputs = keras.Input(batch_shape=shape)
    fwd, fwd_w = packed_gru(0)
    if bidirectional:
        bwd, bwd_w = packed_gru(1, go_backwards=True)
        # what Bidirectional computes (it cannot clone the block-diagonal constraints):
        # (B, T, S·u), in time order
        h_bwd = keras.layers.Lambda(lambda t: keras.ops.flip(t, axis=1))(bwd(inputs))
        h = keras.layers.Concatenate()([fwd(inputs), h_bwd])  # (B, T, 2·S·u): [fwd | bwd]
    else:
        h = fwd(inputs)  # (B, T, S·u)
    if crop_end:
        h = keras.layers.Cropping1D((0, crop_end))(h)  # (B, T − crop_end, ·)
    n_dir = 2 if bidirectional else 1
    head_mask = np.vstack([block_mask(u, C, S, 1)] * n_dir)  # (n_dir·S·u, S·C)
    head = keras.layers.Dense(S * C, kernel_constraint=block_diagonal(head_mask))
    logits = head(h)  # (B, T', S·C)
    out = keras.layers.Softmax(axis=-1)(keras.layers.Reshape((-1, S, C))(logits))  # (B, T', S, C)
    model = keras.Model(inputs, out)
    fwd.set_weights(pack_weights(fwd_w, 3))
    if bidirectional:
        bwd.set_weights(pack_weights(bwd_w, 3))
    kernels = [hw[0] for _, hw in per_seed]  # S x (n_dir·u, C)
    head.set_weights([np.vstack([pack_kernels([k[i * u : (i + 1) * u] for k in kernels], 1)
                                 for i in range(n_dir)]),
                      np.concatenate([hw[1] for _, hw in per_seed])])  # (n_dir·S·u, S·C), (S·C,)

    def summed_cross_entropy(y_true, y_pred):  # (B, T', S), (B, T', S, C) -> (B, T', S)
        return S * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=summed_cross_entropy)
    return model


def train_blank_recall_inits(lag, seeds, inits, *, units=8, n_train=200, n_test=40, steps=60,
                             batch_size=10, learning_rate=0.05, n_symbols=4):
    """Test accuracy after ``steps`` Adam updates on delayed recall across ``lag`` blank steps.

    The task is :func:`grucourse.data.tasks.blank_recall_data` with ``T = lag + 1``: a
    symbol at step 0, then nothing, so the distance is the only difficulty. One GRU per
    (initialisation in ``inits``, seed) trains packed; model ``(name, s)`` trains on the data of
    ``default_rng([s, 1])`` and is tested on ``default_rng([s, 2])``, so the initialisations are
    compared on paired seeds. Returns a ``pandas.DataFrame``: ``init, seed, lag, test_accuracy``.
    """
    from grucourse.data.tasks import blank_recall_data
    from grucourse.training.mingru_packed import train_steps_and_track
    from grucourse.training.packing import pack_data

    import keras
    import pandas as pd

    lag = check_int(lag, "lag")
    seeds = check_int_list(seeds, "seeds", 0)
    if not isinstance(inits, dict) or not inits or not all(callable(f) for f in inits.values()):
        raise TypeError("inits must be a non-empty dict {name: f(layer, seed)}, "
                        "e.g. memory_inits()")
    keys, models = build_recall_models(lag, seeds, inits, units, n_symbols, learning_rate)
    train = pack_data([blank_recall_data(n_train, lag + 1, np.random.default_rng([s, 1]), n_symbols)
                       for _, s in keys])  # (n_train, T, M*(n_symbols+1)), (n_train, M)
    test = pack_data([blank_recall_data(n_test, lag + 1, np.random.default_rng([s, 2]), n_symbols)
                      for _, s in keys])  # (n_test, T, M*(n_symbols+1)), (n_test, M)
    packed = build_packed(models, "GRU", learning_rate)
    keras.utils.set_random_seed(seeds[0])
    _, acc = train_steps_and_track(packed, train, test, steps=steps, eval_every=steps,
                                   batch_size=batch_size, seed=seeds[0])  # acc: (2, M)
    return pd.DataFrame([{"init": name, "seed": s, "lag": lag, "test_accuracy": float(a)}
                         for (name, s), a in zip(keys, acc[-1], strict=True)])
