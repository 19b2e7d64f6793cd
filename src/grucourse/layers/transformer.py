"""A small causal Transformer language model in Keras, and its weights in numpy.

``ids (B, T) -> token embedding + learned position embedding (B, T, d) -> n_layers pre-norm
blocks -> LayerNorm -> Dense logits (B, T, V)``. A block is (Vaswani et al. 2017, section 3;
pre-norm as in Xiong et al. 2020)::

    x = x + MultiHeadAttention(LN(x), LN(x), use_causal_mask=True)
    x = x + W_2 relu(W_1 LN(x) + b_1) + b_2

The causal mask makes output ``t`` depend on tokens ``0..t`` only, so the model trains with
teacher forcing like the GRU of :mod:`grucourse.layers.lm`. :func:`transformer_params` reads a
trained model into the numpy dictionary of :mod:`grucourse.core.attention`, whose
:func:`~grucourse.core.attention.kv_step` generates with a KV cache.
"""

from __future__ import annotations

from grucourse.core.attention import BLOCK_KEYS

import numpy as np


def position_layer(max_len: int, d_model: int):
    import keras

    class PositionEmbedding(keras.layers.Layer):
        """``x (B, T, d) -> x + P[:T]`` with a learned ``P`` ``(max_len, d)``."""

        def build(self, input_shape):
            self.positions = self.add_weight(shape=(max_len, d_model), name="positions",
                                             initializer="glorot_uniform")

        def call(self, x):
            T = keras.ops.shape(x)[1]
            return x + self.positions[None, :T]  # (B, T, d)

    return PositionEmbedding(name="pos")


def build_transformer_lm(n_chars: int, d_model: int, n_heads: int, n_layers: int, mlp: int,
                         max_len: int, seed: int):
    """The causal Transformer LM (see the module docstring); weights drawn after
    ``keras.utils.set_random_seed(seed)``."""
    import keras

    if d_model % n_heads:
        raise ValueError(f"d_model={d_model} must be a multiple of n_heads={n_heads}")
    keras.utils.set_random_seed(int(seed))
    ids = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(n_chars, d_model, name="tok")(ids)  # (B, T, d)
    x = position_layer(max_len, d_model)(x)  # (B, T, d)
    for i in range(n_layers):
        a = keras.layers.LayerNormalization(name=f"b{i}_ln1")(x)  # (B, T, d)
        mha = keras.layers.MultiHeadAttention(n_heads, d_model // n_heads, name=f"b{i}_mha")
        x = x + mha(a, a, use_causal_mask=True)  # (B, T, d)
        a = keras.layers.LayerNormalization(name=f"b{i}_ln2")(x)
        a = keras.layers.Dense(mlp, activation="relu", name=f"b{i}_mlp1")(a)  # (B, T, m)
        x = x + keras.layers.Dense(d_model, name=f"b{i}_mlp2")(a)  # (B, T, d)
    x = keras.layers.LayerNormalization(name="ln_f")(x)
    logits = keras.layers.Dense(n_chars, name="head")(x)  # (B, T, V)
    return keras.Model(ids, logits, name=f"transformer_lm_{d_model}")


def transformer_lm_params(n_chars, d_model, n_layers, mlp, max_len) -> int:
    """Trainable parameters: ``V d + P d`` embeddings, per block ``4 (d^2 + d)`` attention,
    ``2 d m + m + d`` MLP and ``4 d`` LayerNorm, then ``2 d`` final LN and ``d V + V`` head."""
    d, m = d_model, mlp
    block = 4 * (d * d + d) + 2 * d * m + m + d + 4 * d
    return n_chars * d + max_len * d + n_layers * block + 2 * d + d * n_chars + n_chars


def transformer_params(model) -> dict:
    """The trained Keras model's weights as :mod:`grucourse.core.attention`'s dictionary
    (float64)."""
    def w(name):
        return [np.asarray(a, dtype=np.float64) for a in model.get_layer(name).get_weights()]

    n_layers = sum(1 for layer in model.layers if layer.name.endswith("_mha"))
    blocks = []
    for i in range(n_layers):
        mha = w(f"b{i}_mha")  # Wq (d,h,k), bq (h,k), Wk, bk, Wv, bv, Wo (h,k,d), bo (d,)
        blocks.append(dict(zip(BLOCK_KEYS, [*w(f"b{i}_ln1"), *mha, *w(f"b{i}_ln2"),
                                            *w(f"b{i}_mlp1"), *w(f"b{i}_mlp2")], strict=True)))
    (lnf_g, lnf_b), (W_head, b_head) = w("ln_f"), w("head")
    return {"emb": w("tok")[0], "pos": w("pos")[0], "blocks": blocks, "lnf_g": lnf_g,
            "lnf_b": lnf_b, "W_head": W_head, "b_head": b_head,
            "eps": float(model.get_layer("ln_f").epsilon)}


def build_mingru_lm(units: int, n_chars: int, seed: int):
    """``ids (B, T) -> one-hot (B, T, V) -> MinGRU(units, sequences) (B, T, u) -> Dense logits
    (B, T, V)``: the minGRU twin of :func:`grucourse.layers.lm.build_lm`."""
    from grucourse.layers.lm import one_hot_layer
    from grucourse.layers.mingru import MinGRU

    import keras

    keras.utils.set_random_seed(int(seed))
    ids = keras.Input(shape=(None,), dtype="int32")
    h = MinGRU(units, return_sequences=True, name="mingru")(one_hot_layer(n_chars)(ids))
    logits = keras.layers.Dense(n_chars, name="head")(h)  # (B, T, V)
    return keras.Model(ids, logits, name=f"mingru_lm_{units}")


def mingru_lm_params(units: int, n_chars: int) -> int:
    """``2 u (V + 1)`` minGRU weights plus the ``u V + V`` head."""
    return 2 * units * (n_chars + 1) + units * n_chars + n_chars
