"""Keras character language models (GRU, LSTM, SimpleRNN): ids in, next-character logits out.

A model reads character ids ``(B, T)``, turns them into one-hot rows ``(B, T, V)``
(:func:`one_hot_layer`), runs a recurrent layer with ``return_sequences=True`` and maps every
state to ``V`` logits, so that output ``t`` scores the character at ``t + 1``: teacher forcing,
the input is the text and the target is the same text shifted by one (Graves 2013, section 2).
:func:`units_for_params` sizes models of different kinds to one parameter budget.
Seed-packed training lives in :mod:`grucourse.training.lm_packed`.
"""

from __future__ import annotations

from grucourse.core.gru_keras import count_params, from_keras
from grucourse.kinds import KINDS

import numpy as np


def one_hot_layer(n_chars: int):
    import keras

    class OneHot(keras.layers.Layer):
        """Integer ids ``(B, T)`` -> one-hot rows ``(B, T, V)``."""

        def call(self, ids):
            return keras.ops.one_hot(keras.ops.cast(ids, "int32"), n_chars)

    return OneHot(name="one_hot")


def build_lm(kind: str, units: int, n_chars: int, seed: int, **rnn_kwargs):
    """``ids (B, T) -> one-hot (B, T, V) -> <kind>(units, sequences) (B, T, u)
    -> Dense logits (B, T, V)``.

    Weights are drawn after ``keras.utils.set_random_seed(seed)``.
    """
    import keras

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    keras.utils.set_random_seed(int(seed))
    ids = keras.Input(shape=(None,), dtype="int32")
    x = one_hot_layer(n_chars)(ids)  # (B, T, V)
    h = getattr(keras.layers, kind)(units, return_sequences=True, name=kind.lower(),
                                    **rnn_kwargs)(x)  # (B, T, u)
    logits = keras.layers.Dense(n_chars, name="head")(h)  # (B, T, V)
    return keras.Model(ids, logits, name=f"{kind.lower()}_lm_{units}")


def lm_params(kind: str, units: int, n_chars: int) -> int:
    """Trainable parameters of :func:`build_lm`: the recurrent layer plus the ``u V + V`` head."""
    return count_params(kind, n_chars, units) + units * n_chars + n_chars


def units_for_params(kind: str, n_chars: int, budget: int) -> int:
    """The number of units whose :func:`lm_params` is closest to ``budget`` (equal-parameter
    baselines)."""
    sizes = np.arange(1, 1025)  # (1024,)
    counts = np.array([lm_params(kind, int(u), n_chars) for u in sizes])  # (1024,)
    return int(sizes[np.argmin(np.abs(counts - budget))])


def numpy_lm(model):
    """The trained GRU LM of :func:`build_lm` as numpy weights: ``(GRUParams, W_head (u, V),
    b_head (V,))`` (chapter 18 generates with them; chapter 27 runs them in four runtimes)."""
    params = from_keras(model.get_layer("gru"))
    W, b = (np.asarray(w, dtype=np.float64) for w in model.get_layer("head").get_weights())
    return params, W, b
