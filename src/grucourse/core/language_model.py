"""A character language model's measures and its n-gram baseline, in numpy.

A language model gives ``p(c_t | c_1 .. c_{t-1})`` for every position; its perplexity on a text
of ``N`` scored positions is

    PPL = exp( -(1/N) sum_t log p(c_t | c_<t) )

the geometric mean of ``1/p``: a model that spread its bets evenly over ``k`` characters
would have perplexity ``k`` (Jurafsky & Martin, *Speech and Language Processing*, section 3.3).
:class:`NGram` is the count-based baseline; :func:`softmax_t` and :func:`pick` sample with a
temperature. The corpus lives in :mod:`grucourse.data.text`; the Keras models in
:mod:`grucourse.layers.lm`.
"""

from __future__ import annotations

import numpy as np


def perplexity(log_probs) -> float:
    """``exp(-mean(log p))`` of the log-probabilities the model gave the characters that came."""
    lp = np.asarray(log_probs, dtype=float)
    if lp.size == 0:
        raise ValueError("log_probs is empty: score at least one character")
    if np.any(np.isnan(lp)) or np.any(lp > 1e-9):
        raise ValueError("log_probs must be log-probabilities: finite or -inf, and <= 0")
    return float(np.exp(-lp.mean()))


class NGram:
    """A character n-gram model with add-``k`` smoothing.

    ``p(c | a) = (count(a c) + k) / (count(a) + k V)`` for the last ``n-1`` characters ``a``
    (``n = 1``: the unigram ``p(c) = (count(c) + k) / (N + k V)``).
    """

    def __init__(self, n: int, n_chars: int, k: float = 0.1):
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 4:
            raise ValueError(f"n must be an integer from 1 to 4, got {n!r}")
        if not (isinstance(k, (int, float)) and k > 0):
            raise ValueError(f"k must be a positive number, got {k!r}")
        self.n, self.V, self.k = n, int(n_chars), float(k)
        self.counts = np.zeros((self.V,) * n)  # (V,)*n: counts[a_1, ..., a_{n-1}, c]

    def fit(self, ids):
        ids = np.asarray(ids)
        if ids.ndim != 1 or ids.size < self.n:
            raise ValueError(f"ids must be a 1-D array of at least {self.n} characters")
        grams = [ids[i : ids.size - self.n + 1 + i] for i in range(self.n)]  # n arrays (M,)
        np.add.at(self.counts, tuple(grams), 1.0)
        return self

    def probs(self) -> np.ndarray:
        """``(V,)*n`` table of ``p(c | context)``; the last axis sums to 1."""
        c = self.counts + self.k  # (V,)*n
        return c / c.sum(axis=-1, keepdims=True)

    def log_probs(self, ids, positions=None) -> np.ndarray:
        """``log p(ids[t] | ids[t-n+1 .. t-1])`` at ``positions`` (default: every ``t >= n-1``)."""
        ids = np.asarray(ids)
        positions = (target_positions(ids.size, self.n) if positions is None
                     else np.asarray(positions))
        if positions.size and positions.min() < self.n - 1:
            raise ValueError(f"a {self.n}-gram needs {self.n - 1} characters "
                             "before each scored position")
        idx = tuple(ids[positions - self.n + 1 + i] for i in range(self.n))  # n arrays (P,)
        return np.log(self.probs()[idx])  # (P,)


def best_k(n: int, train, valid, n_chars: int, ks=(0.003, 0.01, 0.03, 0.1, 0.3, 1.0)) -> float:
    """The smoothing ``k`` with the lowest validation perplexity (chosen on validation, never on
    test)."""
    scores = [perplexity(NGram(n, n_chars, k).fit(train)
                         .log_probs(valid, target_positions(len(valid), 4)))
              for k in ks]
    return float(ks[int(np.argmin(scores))])


def softmax_t(logits, temperature: float = 1.0) -> np.ndarray:
    """``softmax(logits / T)`` over the last axis; ``T -> 0`` is greedy, ``T = 1`` the model,
    large ``T`` uniform."""
    if not (isinstance(temperature, (int, float)) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    a = np.asarray(logits, dtype=np.float64) / temperature  # (..., V)
    a = a - a.max(axis=-1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis=-1, keepdims=True)


def perplexity_bits(ppl):
    """Bits per character of a perplexity: ``log2(PPL) = −(1/N) Σ_t log2 p(c_t | c_<t)``, the
    average code length per character (the unit of Graves 2013, arXiv:1308.0850).

    Scalar in, float out; array in, array out."""
    arr = np.asarray(ppl, dtype=float)  # (...,)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 1):
        raise ValueError(f"perplexity must be finite and >= 1 (it is exp of a mean -log p), "
                         f"got {ppl!r}")
    bits = np.log2(arr)  # (...,)
    return float(bits) if bits.ndim == 0 else bits


def entropy_bits(p) -> np.ndarray:
    """Entropy ``-sum p log2 p`` of distributions along the last axis, in bits."""
    p = np.asarray(p, dtype=float)
    return -(p * np.log2(np.where(p > 0, p, 1.0))).sum(axis=-1)


def pick(probs, rng, greedy: bool = False) -> int:
    """The next character id: ``argmax`` when ``greedy``, else a draw from ``probs`` ``(V,)``."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 1 or not np.isclose(probs.sum(), 1.0) or np.any(probs < 0):
        raise ValueError("probs must be one probability distribution (V,) that sums to 1")
    if greedy:
        return int(np.argmax(probs))
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    return int(rng.choice(probs.size, p=probs / probs.sum()))


def target_positions(n: int, order: int = 3) -> np.ndarray:
    """The positions ``order-1 .. n-1`` that every model is scored on (each has ``order-1``
    characters before it)."""
    return np.arange(order - 1, n)  # (n - order + 1,)
