"""The one packing engine: ``S`` independent models side by side in one wide Keras model.

Training many tiny recurrent models one after another is slow on a CPU: each Keras training
step pays a fixed overhead per operation, whatever the size of the matrices. So the seeds of
one experiment are trained *packed*: ``S`` models of ``u`` units become one layer of ``S * u``
units whose kernels are block-diagonal (:func:`pack_kernels`; Keras's gate-major layout
``[z | r | h]`` is kept, so gate ``g`` of model ``s`` sits at columns ``g*S*u + s*u ...``), and a
constraint (:func:`block_diagonal`) puts the off-diagonal blocks back to zero after every update,
the "masked updates". Every gate acts element-wise, so block ``s`` of the packed layer computes
exactly what model ``s`` alone would compute; each seed reads its own block of input features
(:func:`pack_data`); the loss is the *sum* of the ``S`` models' losses
(:func:`summed_cross_entropy`), and Adam updates each weight from its own gradient, so each
block takes the steps its model would take alone (to float32 rounding: the sums run in another
order).

Every packed kind of the course is built from these pieces: GRU, LSTM and SimpleRNN classifiers
(:func:`build_packed`, :mod:`grucourse.training.packed`), stacks of several depths
(:mod:`grucourse.training.stacks`), bidirectional per-step taggers
(:func:`grucourse.training.recipes.packed_sequence_gru`), minGRU
(:mod:`grucourse.training.mingru_packed`) and character language models
(:mod:`grucourse.training.lm_packed`). The encoder-decoders of
:mod:`grucourse.training.seq2seq_packed` stack the same weights along a seed axis instead (an
``einsum`` over seeds), because attention mixes time steps, not units.
Each packed kind has a "packed == built separately" test in ``tests/test_packing_equality.py``.
"""

from __future__ import annotations

from grucourse.kinds import N_GATES

import numpy as np


def _columns(s, n_models, n_gates, u):
    """Column indices of model ``s`` in a packed gate-major kernel ``[g_0 | g_1 | ...]``."""
    return np.concatenate([np.arange(g * n_models * u + s * u, g * n_models * u + (s + 1) * u)
                           for g in range(n_gates)])


def pack_kernels(mats, n_gates):
    """Block-diagonal packing of ``S`` kernels ``(rows, G*u)`` into ``(S*rows, G*S*u)``.

    Gate ``g`` of model ``s`` lands at rows ``s*rows ...`` and columns ``g*S*u + s*u ...``
    (Keras's gate-major layout is kept); every other entry is zero.
    """
    S = len(mats)
    rows, width = np.shape(mats[0])
    u = width // n_gates
    out = np.zeros((S * rows, n_gates * S * u), dtype=np.asarray(mats[0]).dtype)  # (S*rows, G*S*u)
    for s, m in enumerate(mats):
        out[s * rows : (s + 1) * rows, _columns(s, S, n_gates, u)] = m  # (rows, G*u) block
    return out


def pack_biases(biases, n_gates):
    """Pack ``S`` biases ``(..., G*u)`` into ``(..., G*S*u)`` with the columns of
    :func:`pack_kernels`."""
    S = len(biases)
    first = np.asarray(biases[0])
    u = first.shape[-1] // n_gates
    out = np.zeros(first.shape[:-1] + (n_gates * S * u,), dtype=first.dtype)  # (..., G*S*u)
    for s, b in enumerate(biases):
        out[..., _columns(s, S, n_gates, u)] = b
    return out


def unpack_kernel(big, n_models, n_gates):
    """Inverse of :func:`pack_kernels`: the list of ``S`` kernels ``(rows, G*u)``."""
    S = n_models
    rows, u = big.shape[0] // S, big.shape[1] // (n_gates * S)
    return [np.array(big[s * rows : (s + 1) * rows][:, _columns(s, S, n_gates, u)])
            for s in range(S)]


def unpack_bias(big, n_models, n_gates):
    """Inverse of :func:`pack_biases`."""
    u = big.shape[-1] // (n_gates * n_models)
    return [np.array(big[..., _columns(s, n_models, n_gates, u)]) for s in range(n_models)]


def pack_weights(per_model, n_gates):
    """Pack the Keras weights ``[kernel (d, G*u), recurrent (u, G*u), bias]`` of ``S`` layers into
    one.

    Returns ``[kernel (S*d, G*S*u), recurrent (S*u, G*S*u), bias (..., G*S*u)]``, block-diagonal
    (bias ``(G*u,)``, or ``(2, G*u)`` for a GRU with ``reset_after``).
    """
    return [
        pack_kernels([w[0] for w in per_model], n_gates),
        pack_kernels([w[1] for w in per_model], n_gates),
        pack_biases([w[2] for w in per_model], n_gates),
    ]


def unpack_weights(packed, n_models, n_gates):
    """Inverse of :func:`pack_weights`: ``S`` weight lists ``[kernel, recurrent, bias]``."""
    kernels = unpack_kernel(np.asarray(packed[0]), n_models, n_gates)
    recurrents = unpack_kernel(np.asarray(packed[1]), n_models, n_gates)
    biases = unpack_bias(np.asarray(packed[2]), n_models, n_gates)
    return [list(w) for w in zip(kernels, recurrents, biases, strict=True)]


def block_mask(rows, cols_per_gate, n_models, n_gates):
    """0/1 mask ``(S*rows, G*S*cols)``: ones where :func:`pack_kernels` puts model weights."""
    return pack_kernels([np.ones((rows, n_gates * cols_per_gate), dtype=np.float32)] * n_models,
                        n_gates)


def block_diagonal(mask):
    """A Keras constraint that multiplies a kernel by the 0/1 ``mask`` (from :func:`block_mask`)
    after each update."""
    import keras

    class BlockDiagonal(keras.constraints.Constraint):
        """Zero every weight outside the diagonal blocks after each update."""

        def __init__(self, mask):
            self.mask = keras.ops.convert_to_tensor(mask, dtype="float32")

        def __call__(self, w):
            return w * self.mask

    return BlockDiagonal(mask)


def build_packed(models, kind, learning_rate=1e-2):
    """One Keras model that trains the ``S`` classification ``models`` (from ``build_model``) side
    by side.

    Input ``(T, S*d)`` (model ``s`` reads features ``s*d ... (s+1)*d``); output ``(S, C)``
    softmax probabilities; the loss is the *sum* over models of each model's mean cross-entropy,
    so each block receives exactly the gradient it would get alone.
    """
    import keras

    S = len(models)
    G = N_GATES[kind]
    layers = [m.get_layer(kind.lower()) for m in models]
    heads = [m.get_layer("head") for m in models]
    T, d = models[0].inputs[0].shape[1], models[0].inputs[0].shape[2]
    u = layers[0].units
    C = heads[0].units
    rnn_kwargs = {}
    if kind == "GRU":
        rnn_kwargs["reset_after"] = layers[0].reset_after
    inputs = keras.Input(shape=(T, S * d))
    rnn = getattr(keras.layers, kind)(
        S * u,
        name=kind.lower(),
        kernel_constraint=block_diagonal(block_mask(d, u, S, G)),
        recurrent_constraint=block_diagonal(block_mask(u, u, S, G)),
        **rnn_kwargs,
    )
    h = rnn(inputs)  # (B, S*u)
    head = keras.layers.Dense(S * C, name="head",
                              kernel_constraint=block_diagonal(block_mask(u, C, S, 1)))
    logits = keras.layers.Reshape((S, C))(head(h))  # (B, S, C): model s's classes
    outputs = keras.layers.Softmax(axis=-1)(logits)
    packed = keras.Model(inputs, outputs, name=f"packed_{kind.lower()}")
    rnn.set_weights(pack_weights([layer.get_weights() for layer in layers], G))
    head.set_weights([pack_kernels([h.get_weights()[0] for h in heads], 1),  # (S*u, S*C)
                      pack_biases([h.get_weights()[1] for h in heads], 1)])  # (S*C,)

    # (B, S), (B, S, C) -> (B, S); mean * S = sum over models
    def summed_cross_entropy(y_true, y_pred):
        return S * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    packed.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=summed_cross_entropy)
    return packed


def unpack_into(packed, models, kind):
    """Copy the trained blocks of ``packed`` back into the separate ``models``."""
    S = len(models)
    rnn_parts = unpack_weights(packed.get_layer(kind.lower()).get_weights(), S, N_GATES[kind])
    kernel, bias = packed.get_layer("head").get_weights()
    head_parts = zip(unpack_kernel(kernel, S, 1), unpack_bias(bias, S, 1), strict=True)
    for m, w, hw in zip(models, rnn_parts, head_parts, strict=True):
        m.get_layer(kind.lower()).set_weights(w)
        m.get_layer("head").set_weights(list(hw))


def pack_data(parts):
    """``[(X_s (n, T, d), y_s (n,)), ...]`` -> ``X`` ``(n, T, S*d)`` (seed s in its own features),
    ``y`` ``(n, S)``."""
    return np.concatenate([x for x, _ in parts], axis=2), np.stack([y for _, y in parts], axis=1)


def summed_cross_entropy(S):
    """The loss ``S * mean cross-entropy`` over ``(B, S)`` targets: the sum of the ``S`` models'
    mean losses."""
    import keras

    def loss(y_true, y_pred):  # (B, S), (B, S, C) -> (B, S); the mean times S = the sum over models
        return S * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    return loss
