"""``S`` causal Transformer language models packed into one, seeds as attention heads.

A GRU's seeds pack into one block-diagonal layer (:mod:`grucourse.training.packing`). A
Transformer packs the same way once one sees that attention heads are already independent
models side by side: ``S`` models of ``h`` heads are one ``MultiHeadAttention`` of ``S h`` heads
whose query/key/value kernels ``(S d, S h, k)`` and output kernel ``(S h, k, S d)`` are
block-diagonal (head group ``s`` reads and writes only seed ``s``'s ``d`` features; a constraint
keeps the off-diagonal blocks zero after every update). Embeddings are placed side by side, the
MLP and the head are block-diagonal Dense layers, and the LayerNorms normalise each seed's ``d``
features on their own (:func:`seed_layer_norm`, scale and shift ``(S, d)``). Each seed starts
from the weights of its own single model
(:func:`grucourse.layers.transformer.build_transformer_lm`); the loss is the sum over seeds, so
each block gets its own gradient.
"""

from __future__ import annotations

from grucourse.layers.transformer import build_transformer_lm, position_layer
from grucourse.training.lm_packed import summed_lm_cross_entropy, training_windows
from grucourse.training.packing import block_diagonal, block_mask, pack_biases, pack_kernels

import numpy as np


def seed_layer_norm(S: int, d: int, eps: float, name: str):
    import keras

    class SeedLayerNorm(keras.layers.Layer):
        """``(B, T, S d)``: LayerNorm over each seed's ``d`` features, scale/shift ``(S, d)``."""

        def build(self, input_shape):
            self.gamma = self.add_weight(shape=(S, d), initializer="ones", name="gamma")
            self.beta = self.add_weight(shape=(S, d), initializer="zeros", name="beta")

        def call(self, x):
            shape = keras.ops.shape(x)
            y = keras.ops.reshape(x, (shape[0], shape[1], S, d))  # (B, T, S, d)
            mu = keras.ops.mean(y, axis=-1, keepdims=True)  # (B, T, S, 1)
            var = keras.ops.mean(keras.ops.square(y - mu), axis=-1, keepdims=True)
            y = (y - mu) * keras.ops.rsqrt(var + eps) * self.gamma + self.beta  # (B, T, S, d)
            return keras.ops.reshape(y, (shape[0], shape[1], S * d))

    return SeedLayerNorm(name=name)


def _head_masks(S, d, h, k):
    """0/1 masks of the packed query/key/value kernel ``(S d, S h, k)`` and output ``(S h, k,
    S d)``."""
    m_in = np.zeros((S * d, S * h, k), np.float32)
    for s in range(S):
        m_in[s * d:(s + 1) * d, s * h:(s + 1) * h] = 1.0
    return m_in, m_in.transpose(1, 2, 0).copy()


def _attention_constraint(m_in, m_out):
    import keras

    class HeadBlocks(keras.constraints.Constraint):
        """Zero the weights that would let a head group read or write another seed."""

        def __call__(self, w):
            mask = m_in if tuple(w.shape) == m_in.shape else m_out
            return w * keras.ops.convert_to_tensor(mask)

    return HeadBlocks()


def pack_transformers(models, learning_rate: float = 1e-2):
    """One model training the single ``models`` side by side: ids ``(B, T)`` -> ``(B, T, S, V)``."""
    import keras

    S = len(models)
    ref = models[0]
    V, d = ref.get_layer("tok").get_weights()[0].shape
    P = ref.get_layer("pos").get_weights()[0].shape[0]
    mha0 = ref.get_layer("b0_mha")
    h, k = mha0.num_heads, mha0.key_dim
    m = ref.get_layer("b0_mlp1").units
    n_layers = sum(1 for layer in ref.layers if layer.name.endswith("_mha"))
    eps = float(ref.get_layer("ln_f").epsilon)
    m_in, m_out = _head_masks(S, d, h, k)

    ids = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(V, S * d, name="tok")(ids)  # (B, T, S d)
    x = position_layer(P, S * d)(x)
    for i in range(n_layers):
        a = seed_layer_norm(S, d, eps, f"b{i}_ln1")(x)
        mha = keras.layers.MultiHeadAttention(S * h, k, name=f"b{i}_mha",
                                              kernel_constraint=_attention_constraint(m_in, m_out))
        x = x + mha(a, a, use_causal_mask=True)  # (B, T, S d)
        a = seed_layer_norm(S, d, eps, f"b{i}_ln2")(x)
        a = keras.layers.Dense(S * m, activation="relu", name=f"b{i}_mlp1",
                               kernel_constraint=block_diagonal(block_mask(d, m, S, 1)))(a)
        x = x + keras.layers.Dense(S * d, name=f"b{i}_mlp2",
                                   kernel_constraint=block_diagonal(block_mask(m, d, S, 1)))(a)
    x = seed_layer_norm(S, d, eps, "ln_f")(x)
    logits = keras.layers.Dense(S * V, name="head",
                                kernel_constraint=block_diagonal(block_mask(d, V, S, 1)))(x)
    packed = keras.Model(ids, keras.layers.Reshape((-1, S, V))(logits), name="packed_transformer")

    def weights(name):
        return [model.get_layer(name).get_weights() for model in models]

    def side_by_side(name):  # S x (rows, d) -> (rows, S d)
        return [np.concatenate([w[0] for w in weights(name)], axis=1)]

    def dense(name):  # block-diagonal kernel (S rows, S cols), biases side by side
        w = weights(name)
        return [pack_kernels([a for a, _ in w], 1), pack_biases([b for _, b in w], 1)]

    def norm(name):  # gamma, beta (S, d)
        return [np.stack([w[j] for w in weights(name)]) for j in (0, 1)]

    packed.get_layer("tok").set_weights(side_by_side("tok"))
    packed.get_layer("pos").set_weights(side_by_side("pos"))
    for i in range(n_layers):
        for ln in ("ln1", "ln2"):
            packed.get_layer(f"b{i}_{ln}").set_weights(norm(f"b{i}_{ln}"))
        per_seed = weights(f"b{i}_mha")  # S x [Wq, bq, Wk, bk, Wv, bv, Wo, bo]
        mha_w = []
        for j in (0, 2, 4):  # Wq, Wk, Wv (d, h, k) -> (S d, S h, k) block-diagonal
            big = np.zeros((S * d, S * h, k), np.float32)
            for s, w in enumerate(per_seed):
                big[s * d:(s + 1) * d, s * h:(s + 1) * h] = w[j]
            mha_w += [big, np.concatenate([w[j + 1] for w in per_seed])]  # bias (S h, k)
        big = np.zeros((S * h, k, S * d), np.float32)  # Wo (h, k, d) -> (S h, k, S d)
        for s, w in enumerate(per_seed):
            big[s * h:(s + 1) * h, :, s * d:(s + 1) * d] = w[6]
        packed.get_layer(f"b{i}_mha").set_weights(
            [*mha_w, big, np.concatenate([w[7] for w in per_seed])])
        for mlp in ("mlp1", "mlp2"):
            packed.get_layer(f"b{i}_{mlp}").set_weights(dense(f"b{i}_{mlp}"))
    packed.get_layer("ln_f").set_weights(norm("ln_f"))
    packed.get_layer("head").set_weights(dense("head"))
    packed.compile(optimizer=keras.optimizers.Adam(learning_rate),
                   loss=summed_lm_cross_entropy(S))
    return packed


def train_transformers(seeds, train_ids, *, n_chars, d_model, n_heads, n_layers, mlp, max_len,
                       steps: int, batch_size: int = 32, seq_len: int = 48,
                       learning_rate: float = 1e-2, data_seed: int = 0):
    """Train one Transformer LM per seed, packed, on the GRU's batches
    (:func:`grucourse.training.lm_packed.training_windows`); returns the packed model."""
    import keras

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    models = [build_transformer_lm(n_chars, d_model, n_heads, n_layers, mlp, max_len, s)
              for s in seeds]
    packed = pack_transformers(models, learning_rate)
    X, Y = training_windows(train_ids, steps * batch_size, seq_len,
                            np.random.default_rng(data_seed))
    keras.utils.set_random_seed(seeds[0])
    packed.fit(X, Y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return packed
