"""GRU encoder–decoders in Keras, with and without additive attention; greedy decoding; accuracies.

Without attention (Cho et al. 2014; Sutskever et al. 2014), the encoder's final state is all the
decoder knows about the source::

    h_1 .. h_T = GRU_enc(E_src[src])                  (B, T, u)   padded steps masked
    s_0 = h_T,  s_t = GRU_dec(E_tgt[y_{t-1}], s_{t-1})     (B, T', u)
    p(y_t) = softmax(s_t W_o + b_o)                   (B, T', V)

With attention, every decoder state ``s_t`` also reads a weighted average of all encoder states,
with the additive score of Bahdanau et al. (2015), ``e_{t,j} = v^T tanh(W_q s_t + W_k h_j)``::

    a_{t,j} = softmax_j(e_{t,j})   (padded j get -1e9)     (B, T', T)
    c_t = sum_j a_{t,j} h_j                                (B, T', u)
    p(y_t) = softmax([s_t ; c_t] W_o + b_o)                (B, T', V)

The context is read *after* the decoder GRU, as in Luong et al. (2015), so that the teacher-forced
decoder still runs as one Keras GRU layer. Both models are causal: position ``t`` of the output
depends only on ``dec_in[:t + 1]``, which is what :func:`greedy_decode` relies on.
Keras's GRU uses ``h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃_t`` (``z ↔ 1 − z`` relative to the source
chapter).
"""

from __future__ import annotations

from grucourse.data.seq2seq_data import EOS, PAD, VOCAB_SIZE, Pairs
from grucourse.validate import check_int

import numpy as np

KINDS = ("plain", "attention")


def check_seq2seq_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def build_seq2seq(kind, units, embed_dim=8, vocab_size=VOCAB_SIZE):
    """The Keras encoder–decoder ``kind`` ("plain" or "attention"): inputs ``src (B, T)``,
    ``dec_in (B, T')``.

    Output: ``p(y_t)`` of shape ``(B, T', vocab_size)``. Sources are padded with ``PAD = 0`` at the
    end; the source embedding's ``mask_zero`` makes the encoder skip those steps (its final state is
    the state after the last real digit) and the attention give them weight 0.
    """
    import keras

    check_seq2seq_kind(kind)
    units, embed_dim = check_int(units, "units"), check_int(embed_dim, "embed_dim")
    vocab_size = check_int(vocab_size, "vocab_size", 3)
    src = keras.Input((None,), dtype="int32", name="src")  # (B, T)
    dec_in = keras.Input((None,), dtype="int32", name="dec_in")  # (B, T')
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True,
                               name="src_embedding")(src)  # (B, T, e)
    enc = keras.layers.GRU(units, return_sequences=True, return_state=True, name="encoder")
    h_all, h_T = enc(x)  # (B, T, u), (B, u)
    y = keras.layers.Embedding(vocab_size, embed_dim, name="tgt_embedding")(dec_in)  # (B, T', e)
    s = keras.layers.GRU(units, return_sequences=True,
                         name="decoder")(y, initial_state=h_T)  # (B, T', u)
    if kind == "attention":
        q = keras.layers.Dense(units, use_bias=False, name="W_q")(s)  # (B, T', u)
        # (B, T, u), keeps the mask
        k = keras.layers.Dense(units, use_bias=False, name="W_k")(h_all)
        c = keras.layers.AdditiveAttention(use_scale=True,
                                           name="attention")([q, h_all, k])  # (B, T', u)
        s = keras.layers.Concatenate(name="s_and_c")([s, c])  # (B, T', 2u)
    probs = keras.layers.Dense(vocab_size, activation="softmax", name="head")(s)  # (B, T', V)
    return keras.Model([src, dec_in], probs, name=f"seq2seq_{kind}_{units}")


def layer_shapes(model, src, dec_in):
    """The concrete output shape of every layer of ``model`` on one batch, as a
    ``pandas.DataFrame``."""
    import keras
    import pandas as pd

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    outputs = [o for layer in layers for o in keras.tree.flatten(layer.output)]
    values = keras.Model(model.inputs, outputs)([np.asarray(src), np.asarray(dec_in)])
    values = iter(keras.tree.flatten(values))
    rows = [{"layer": "src", "output shape": str(np.shape(src)), "params": 0},
            {"layer": "dec_in", "output shape": str(np.shape(dec_in)), "params": 0}]
    for layer in layers:
        shapes = [tuple(next(values).shape) for _ in keras.tree.flatten(layer.output)]
        rows.append({"layer": layer.name, "output shape": " and ".join(map(str, shapes)),
                     "params": layer.count_params()})
    return pd.DataFrame(rows)


def count_seq2seq_params(kind, units, embed_dim=8, vocab_size=VOCAB_SIZE) -> int:
    """Parameters of :func:`build_seq2seq`: two embeddings, two GRUs (``3u(e+u+2)``), the head,
    and for attention ``W_q``, ``W_k`` (``u x u`` each) and ``v`` (``u``)."""
    check_seq2seq_kind(kind)
    u, e, V = units, embed_dim, vocab_size
    n = 2 * V * e + 2 * 3 * u * (e + u + 2)
    if kind == "plain":
        return n + (u + 1) * V
    return n + 2 * u * u + u + (2 * u + 1) * V


def matched_units(units_attention, embed_dim=8, vocab_size=VOCAB_SIZE) -> int:
    """Units of the plain model whose parameter count is closest to the attention model's."""
    target = count_seq2seq_params("attention", units_attention, embed_dim, vocab_size)
    return min(range(1, 4 * units_attention + 2),
               key=lambda u: abs(count_seq2seq_params("plain", u, embed_dim, vocab_size) - target))


def greedy_decode(predict, src, max_steps):
    """Greedy decoding: feed the model its own most likely token, one step at a time.

    ``predict(src, dec_in)`` returns ``p(y_t)`` of shape ``(..., T', V)`` for token arrays
    ``(..., T)`` and ``(..., T')`` (a Keras model from :func:`build_seq2seq` called on a list, or a
    packed model's ``probs``). Step ``t`` writes ``argmax_v p(y_t = v)`` into
    ``dec_in[..., t + 1]``; the model is causal, so rerunning it on the longer prefix leaves
    steps ``< t`` unchanged.
    Returns the tokens ``(..., max_steps)``; after an ``EOS`` the output continues but is ignored by
    :func:`sequence_accuracy`.
    """
    src = np.asarray(src)
    if not np.issubdtype(src.dtype, np.integer):
        raise TypeError(f"src must hold integer token ids, got dtype {src.dtype}")
    max_steps = check_int(max_steps, "max_steps")
    from grucourse.data.seq2seq_data import BOS

    dec_in = np.full(src.shape[:-1] + (max_steps,), PAD, dtype=np.int32)  # (..., T')
    dec_in[..., 0] = BOS
    out = np.zeros_like(dec_in)  # (..., T')
    for t in range(max_steps):
        probs = np.asarray(predict(src, dec_in))  # (..., T', V)
        out[..., t] = probs[..., t, :].argmax(axis=-1)  # (...,)
        if t + 1 < max_steps:
            dec_in[..., t + 1] = out[..., t]
    return out


def keras_predict(model):
    """``predict(src, dec_in)`` for :func:`greedy_decode` from a Keras model of
    :func:`build_seq2seq`."""
    return lambda src, dec_in: model([src, dec_in], training=False)


def _check_outputs(pred, pairs):
    if not isinstance(pairs, Pairs):
        raise TypeError(f"pairs must be a grucourse.data.seq2seq_data.Pairs, "
                        f"got {type(pairs).__name__}")
    pred = np.asarray(pred)
    if pred.shape != pairs.target.shape:
        raise ValueError(f"predictions must have the targets' shape {pairs.target.shape}, "
                         f"got {pred.shape}")
    return pred


def token_accuracy(pred, pairs, axis=None):
    """Fraction of real target positions (digits and the ``EOS``; pads excluded) where
    ``pred == target``."""
    pred = _check_outputs(pred, pairs)
    hit = (pred == pairs.target) * pairs.tgt_mask  # (..., T')
    return hit.sum(axis=axis) / pairs.tgt_mask.sum(axis=axis)


def sequence_accuracy(pred, pairs, axis=None):
    """Fraction of pairs whose prediction equals the whole target, up to and including its
    ``EOS``."""
    pred = _check_outputs(pred, pairs)
    wrong = (pred != pairs.target) & (pairs.tgt_mask > 0)  # (..., T')
    return (~wrong.any(axis=-1)).mean(axis=axis)


def per_position_accuracy(pred, pairs):
    """Accuracy at every output position ``t`` (over the pairs whose target has that position):
    ``(T',)``."""
    pred = _check_outputs(pred, pairs)
    hit = (pred == pairs.target) * pairs.tgt_mask  # (..., T')
    axes = tuple(range(hit.ndim - 1))
    with np.errstate(invalid="ignore"):
        # (T',), NaN where no pair reaches t
        return hit.sum(axis=axes) / pairs.tgt_mask.sum(axis=axes)


__all__ = ["EOS", "KINDS", "build_seq2seq", "count_seq2seq_params", "matched_units",
           "greedy_decode", "keras_predict", "layer_shapes", "token_accuracy", "sequence_accuracy",
           "per_position_accuracy"]
