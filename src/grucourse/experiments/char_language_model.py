"""chapters/18_char_language_model.ipynb: generate text from a trained character GRU, in numpy.

:func:`generate` (fed by :func:`grucourse.layers.lm.numpy_lm`, the trained Keras model's numpy
weights) samples ``n`` characters from it one GRU step at a time
(:func:`grucourse.core.gru.gru_step`) with a temperature, and :func:`keras_next_probs` gives
Keras's own next-character probabilities to check the numpy path against.
"""

from __future__ import annotations

from grucourse.core.gru import GRUParams, gru_step
from grucourse.core.language_model import pick, softmax_t
from grucourse.data.text import one_hot

import numpy as np

# --- generation, one character at a time, with the course's numpy GRU -------------------------


def generate(params: GRUParams, W_head, b_head, prime_ids, n: int, rng=None,
             temperature: float = 1.0, greedy: bool = False):
    """Stateful generation: feed ``prime_ids``, then ``n`` characters each drawn from the last
    output.

    Every step is ``h_t = gru_step(onehot(c_t), h_{t-1})``, ``p_{t+1} = softmax((h_t W + b) / T)``.
    Returns ``(ids (len(prime)+n,), probs (len(prime)+n-1, V))``: ``probs[t]`` is the distribution
    (at temperature ``T``) over the character after ``ids[:t+1]``.
    """
    prime_ids = [int(i) for i in prime_ids]
    if not prime_ids:
        raise ValueError("prime_ids is empty: start from at least one character")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    V = W_head.shape[1]
    h = np.zeros((1, params.units))  # (1, u)
    ids, probs = list(prime_ids), []
    for t in range(len(prime_ids) + n - 1):
        h, _ = gru_step(one_hot([ids[t]], V).astype(np.float64), h, params)  # (1, u)
        p = softmax_t(h[0] @ W_head + b_head, temperature)  # (u,) @ (u, V) -> (V,)
        probs.append(p)
        if t + 1 == len(ids):  # past the prime: the model writes the next character
            ids.append(pick(p, rng, greedy))
    return np.array(ids), np.array(probs)  # (len+n,), (len+n-1, V)


def keras_next_probs(model, ids, temperature: float = 1.0) -> np.ndarray:
    """Keras's own distributions over the next character after every prefix of ``ids``:
    ``(len(ids), V)``."""
    logits = np.asarray(model(np.asarray(ids)[None], training=False)[0], dtype=np.float64)  # (T, V)
    return softmax_t(logits, temperature)
