"""Character language models trained seed-packed, and their scores on held-out text.

Seeds are trained *packed* by :mod:`grucourse.training.packing`: ``S`` models of ``u`` units are
one layer of ``S * u`` units whose recurrent kernel and head are block-diagonal (a constraint
keeps them so); all seeds read the same one-hot input, so the input kernel is packed side by side
and needs no mask. Each seed starts from the weights of its own single model
(:func:`grucourse.layers.lm.build_lm`); the seeds see the same batches.
:func:`packed_log_probs` scores every seed on long streams of held-out text.
"""

from __future__ import annotations

from grucourse.kinds import N_GATES
from grucourse.layers.lm import build_lm, one_hot_layer
from grucourse.training.packing import (
    block_diagonal,
    block_mask,
    pack_biases,
    pack_kernels,
    unpack_bias,
    unpack_kernel,
)

import numpy as np


def pack_lms(models, kind: str, learning_rate: float = 1e-2):
    """One Keras model that trains the single ``models`` side by side; output ``(B, T, S, V)``
    logits."""
    import keras

    S, G = len(models), N_GATES[kind]
    rnns = [m.get_layer(kind.lower()) for m in models]
    heads = [m.get_layer("head") for m in models]
    u, V = rnns[0].units, heads[0].units
    extra = {"reset_after": rnns[0].reset_after} if kind == "GRU" else {}
    ids = keras.Input(shape=(None,), dtype="int32")
    x = one_hot_layer(V)(ids)  # (B, T, V): every seed reads the same input
    rnn = getattr(keras.layers, kind)(S * u, return_sequences=True, name=kind.lower(),
                                      recurrent_constraint=block_diagonal(block_mask(u, u, S, G)),
                                      **extra)
    h = rnn(x)  # (B, T, S*u)
    head = keras.layers.Dense(S * V, name="head",
                              kernel_constraint=block_diagonal(block_mask(u, V, S, 1)))
    logits = keras.layers.Reshape((-1, S, V))(head(h))  # (B, T, S, V)
    packed = keras.Model(ids, logits, name=f"packed_{kind.lower()}_lm")
    w = [r.get_weights() for r in rnns]
    rnn.set_weights([pack_biases([k[0] for k in w], G),  # (V, G*S*u): columns side by side
                     pack_kernels([k[1] for k in w], G),  # (S*u, G*S*u) block-diagonal
                     pack_biases([k[2] for k in w], G)])
    head.set_weights([pack_kernels([hd.get_weights()[0] for hd in heads], 1),  # (S*u, S*V)
                      pack_biases([hd.get_weights()[1] for hd in heads], 1)])  # (S*V,)

    packed.compile(optimizer=keras.optimizers.Adam(learning_rate),
                   loss=summed_lm_cross_entropy(S))
    return packed


def summed_lm_cross_entropy(S: int):
    """The loss of ``S`` seeds' logits ``(B, T, S, V)`` against targets ``(B, T)``: the sum over
    seeds of each seed's cross-entropy, so each seed's weights get exactly their own gradient."""
    import keras

    def summed_cross_entropy(y_true, y_pred):  # (B, T), (B, T, S, V) -> (B, T): sum over seeds
        y = keras.ops.repeat(keras.ops.expand_dims(keras.ops.cast(y_true, "int32"), -1), S,
                             axis=-1)  # (B,T,S)
        return keras.ops.sum(
            keras.losses.sparse_categorical_crossentropy(y, y_pred, from_logits=True), axis=-1)

    return summed_cross_entropy


def unpack_lms(packed, models, kind: str) -> None:
    """Copy each seed's block of the trained ``packed`` model back into its single model."""
    S, G = len(models), N_GATES[kind]
    kernel, recurrent, bias = packed.get_layer(kind.lower()).get_weights()
    parts = zip(unpack_bias(kernel, S, G), unpack_kernel(recurrent, S, G), unpack_bias(bias, S, G),
                strict=True)
    hk, hb = packed.get_layer("head").get_weights()
    heads = zip(unpack_kernel(hk, S, 1), unpack_bias(hb, S, 1), strict=True)
    for m, w, hw in zip(models, parts, heads, strict=True):
        m.get_layer(kind.lower()).set_weights(list(w))
        m.get_layer("head").set_weights(list(hw))


def training_windows(ids, n: int, seq_len: int, rng):
    """``n`` random windows of the text: inputs ``(n, T)`` and targets shifted by one ``(n, T)``."""
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size <= seq_len + 1:
        raise ValueError(f"ids must be a 1-D text longer than seq_len + 1 = {seq_len + 1} "
                         "characters")
    starts = rng.integers(0, ids.size - seq_len - 1, size=n)  # (n,)
    w = ids[starts[:, None] + np.arange(seq_len + 1)[None, :]]  # (n, T+1)
    return w[:, :-1], w[:, 1:]  # (n, T), (n, T): c_t predicts c_{t+1}


def train_lms(kind: str, units: int, train_ids, seeds, *, n_chars: int, steps: int = 300,
              batch_size: int = 32, seq_len: int = 64, learning_rate: float = 1e-2,
              data_seed: int = 0):
    """Train one ``kind`` LM per seed (packed); returns ``(packed, models)``."""
    import keras

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    models = [build_lm(kind, units, n_chars, s) for s in seeds]
    packed = pack_lms(models, kind, learning_rate)
    X, Y = training_windows(train_ids, steps * batch_size, seq_len,
                            np.random.default_rng(data_seed))
    keras.utils.set_random_seed(seeds[0])
    packed.fit(X, Y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    unpack_lms(packed, models, kind)
    return packed, models


def eval_streams(ids, n_streams: int = 64, start: int = 2):
    """Cut ``ids[start:]`` into ``n_streams`` contiguous streams for scoring.

    Returns inputs ``(n_streams, L)`` and the positions in ``ids`` of their targets
    ``(n_streams, L)``. Each stream starts from a zero state; its first target already has one
    character of context.
    """
    ids = np.asarray(ids)
    L = (ids.size - start) // n_streams - 1
    if L < 2:
        raise ValueError(f"the text is too short for {n_streams} streams")
    first = start + np.arange(n_streams) * (L + 1)  # (n_streams,)
    inputs = first[:, None] + np.arange(L)[None, :]  # (n_streams, L) positions of the inputs
    return ids[inputs], inputs + 1


def packed_log_probs(packed, ids, n_streams: int = 64):
    """``log p`` of every target for every packed seed: ``(S, P)`` and the target positions
    ``(P,)``."""
    x, pos = eval_streams(ids, n_streams)  # (n, L), (n, L)
    logits = np.asarray(packed.predict(x, batch_size=n_streams, verbose=0),
                        dtype=np.float64)  # (n, L, S, V)
    m = logits.max(-1, keepdims=True)  # (n, L, S, 1)
    # (n, L, S, V) log-softmax
    logp = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
    target = np.asarray(ids)[pos]  # (n, L)
    S = logp.shape[2]
    picked = np.take_along_axis(logp, np.repeat(target[:, :, None, None], S, axis=2),
                                axis=-1)[..., 0]  # (n,L,S)
    return picked.reshape(-1, S).T, pos.ravel()  # (S, P), (P,)
