"""Many seeds of an ``Embedding(mask_zero) -> GRU -> Dense`` sequence classifier, packed.

Used by chapters/15_app_language.ipynb, whose classifier reads integer-coded strings padded with 0
and masked by ``Embedding(mask_zero=True)``. :func:`build_packed_embedding` puts ``S`` such models
(each built by ``build()`` after ``seed_everything(seed)``, so each starts from the weights it
would have alone) side by side: one ``Embedding(V, S*e, mask_zero=True)`` whose column block ``s``
is model ``s``'s table, one recurrent layer of ``S*u`` units with block-diagonal kernels
(:mod:`grucourse.training.packing`), and one ``Dense`` head with a block-diagonal kernel. The mask
is the same for every seed (it depends on the codes only), every gate acts element-wise, and the
loss is the *sum* of the seeds' mean losses, so block ``s`` takes the Adam steps model ``s``
would take alone (to float32 rounding). :func:`member_weights` copies block ``s`` back into a
single model, e.g. to study it without its mask.
"""

from __future__ import annotations

from grucourse.kinds import N_GATES
from grucourse.repro import seed_everything
from grucourse.training.packing import (
    block_diagonal,
    block_mask,
    pack_biases,
    pack_kernels,
    pack_weights,
    unpack_bias,
    unpack_kernel,
    unpack_weights,
)

import numpy as np


def _parts(model):
    """The three layers of ``Embedding -> recurrent -> Dense``, checked."""
    import keras

    layers = [la for la in model.layers if not isinstance(la, keras.layers.InputLayer)]
    kinds = [type(la).__name__ for la in layers]
    if (len(layers) != 3 or kinds[0] != "Embedding" or kinds[1] not in N_GATES
            or kinds[2] != "Dense"):
        raise ValueError(f"build() must return Embedding -> GRU/LSTM/SimpleRNN -> Dense, "
                         f"got {kinds}")
    return layers


def build_packed_embedding(build, seeds, learning_rate: float = 1e-2):
    """``S = len(seeds)`` models from ``build()`` packed in one: ids ``(B, T)`` -> probabilities.

    A sigmoid head (``C = 1``) gives ``(B, S)`` and is trained with the sum over seeds of binary
    cross-entropy; a softmax head gives ``(B, S, C)`` and is trained with the sum of sparse
    categorical cross-entropy (for ``(B, S)`` targets, the mean over ``B`` and ``S`` times ``S``).
    Targets are ``(B, S)``.
    """
    import keras

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    singles = []
    for seed in seeds:  # each member's own initial weights, drawn as build() draws them alone
        seed_everything(seed)
        singles.append(_parts(build()))
    emb, rnn, head = singles[0]
    kind, S, u, e, C = type(rnn).__name__, len(seeds), rnn.units, emb.output_dim, head.units
    G = N_GATES[kind]
    act = keras.activations.serialize(head.activation)
    act = act if isinstance(act, str) else act.get("config", {}).get("name", "linear")
    if act not in ("sigmoid", "softmax"):
        raise ValueError(f"the head must end in sigmoid or softmax, got {act!r}")
    rnn_kwargs = {"reset_after": rnn.reset_after} if kind == "GRU" else {}
    inputs = keras.Input(shape=(None,), dtype="int32")
    p_emb = keras.layers.Embedding(emb.input_dim, S * e, mask_zero=emb.mask_zero)
    p_rnn = getattr(keras.layers, kind)(
        S * u, kernel_constraint=block_diagonal(block_mask(e, u, S, G)),
        recurrent_constraint=block_diagonal(block_mask(u, u, S, G)), **rnn_kwargs)
    p_head = keras.layers.Dense(S * C, kernel_constraint=block_diagonal(block_mask(u, C, S, 1)))
    logits = keras.layers.Reshape((S, C))(p_head(p_rnn(p_emb(inputs))))  # (B, S, C)
    if act == "softmax":
        outputs = keras.layers.Softmax(axis=-1)(logits)  # (B, S, C)
    else:
        outputs = keras.layers.Activation("sigmoid")(keras.layers.Reshape((S,))(logits))  # (B, S)
    model = keras.Model(inputs, outputs, name=f"packed_embedding_{kind.lower()}")
    tables = [m[0].get_weights()[0] for m in singles]  # S x (V, e)
    p_emb.set_weights([np.concatenate(tables, axis=1)])  # (V, S*e): seed s in columns s*e ...
    p_rnn.set_weights(pack_weights([m[1].get_weights() for m in singles], G))
    p_head.set_weights([pack_kernels([m[2].get_weights()[0] for m in singles], 1),  # (S*u, S*C)
                        pack_biases([m[2].get_weights()[1] for m in singles], 1)])  # (S*C,)

    def summed_loss(y_true, y_pred):  # (B, S), (B, S) or (B, S, C) -> (B,) or (B, S)
        if C == 1:  # the mean over S, times S: the sum over seeds
            return S * keras.losses.binary_crossentropy(keras.ops.cast(y_true, "float32"), y_pred)
        return S * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=summed_loss)
    model.packed_info = {"kind": kind, "S": S, "C": C}
    return model


def member_weights(packed, s: int) -> list:
    """Seed block ``s`` of a model from :func:`build_packed_embedding`, as the weight list of one
    ``build()`` model (``model.set_weights(member_weights(packed, s))``)."""
    info = getattr(packed, "packed_info", None)
    if info is None:
        raise TypeError("packed must come from build_packed_embedding")
    S = info["S"]
    if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s < S:
        raise ValueError(f"s must be a seed position in 0 .. {S - 1}, got {s!r}")
    import keras

    wanted = (keras.layers.Embedding, keras.layers.RNN, keras.layers.Dense)
    emb, rnn, head = [la for la in packed.layers if isinstance(la, wanted)]
    table = emb.get_weights()[0]  # (V, S*e)
    e = table.shape[1] // S
    rnn_w = unpack_weights(rnn.get_weights(), S, N_GATES[info["kind"]])[s]
    kernel, bias = head.get_weights()
    return [table[:, s * e : (s + 1) * e], *rnn_w, unpack_kernel(kernel, S, 1)[s],
            unpack_bias(bias, S, 1)[s]]
