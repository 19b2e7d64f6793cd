"""chapters/23_mingru_learning.ipynb: parity at lengths never trained on, GRU vs minGRU variants.

The running parity of a bit stream (``y_t = (x_0 + ... + x_t) mod 2``) is the test of a
state-dependent transition: every 1 flips the answer. Models train on strings of
:data:`TRAIN_LENGTH` bits with a label at every step (so on every prefix, all lengths up to
:data:`TRAIN_LENGTH`) and are scored on the parity of whole strings of :data:`TEST_LENGTHS` bits.
:data:`PARITY_MODELS` sizes the four models to about equal parameters
(:func:`grucourse.training.packed_taggers.tagger_params`); :func:`readout_transitions` reads the
transitions ``a(x=0)``, ``a(x=1)`` a trained negative-range minGRU learned.
"""

from __future__ import annotations

from grucourse.training.packed_taggers import final_step_accuracy
from grucourse.validate import check_int, check_int_list, check_rng

import numpy as np

TRAIN_LENGTH = 10
TEST_LENGTHS = (10, 16, 32, 64, 128)
# name: (kind, units, layers); about 282 parameters each with d = 1 input and 2 classes
PARITY_MODELS = {
    "GRU, 8 units": ("GRU", 8, 1),
    "minGRU, 47 units": ("minGRU", 47, 1),
    "2 x minGRU, 10 units": ("minGRU", 10, 2),
    "signed minGRU, 47 units": ("signed minGRU", 47, 1),
}


def running_parity(n: int, T: int, rng):
    """``n`` random bit strings ``X`` ``(n, T, 1)`` and the parity of every prefix ``Y``
    ``(n, T)``: ``Y[:, t] = (X[:, 0] + ... + X[:, t]) mod 2``, so ``Y[:, -1]`` is the string's
    parity."""
    check_int(n, "n")
    check_int(T, "T")
    check_rng(rng)
    bits = rng.integers(0, 2, size=(n, T))  # (n, T)
    return bits[:, :, None].astype(np.float32), np.cumsum(bits, axis=1) % 2  # (n,T,1), (n,T)


def packed_parity(seeds, n: int, T: int, tag: int):
    """Each seed's own strings side by side: ``X`` ``(n, T, S)``, ``Y`` ``(n, T, S)``; seed ``s``
    draws from ``default_rng([s, tag, T])`` (use one ``tag`` for training, another for tests)."""
    seeds = check_int_list(seeds, "seeds", 0)
    parts = [running_parity(n, T, np.random.default_rng([s, tag, T])) for s in seeds]
    return (np.concatenate([x for x, _ in parts], axis=2),  # (n, T, S)
            np.stack([y for _, y in parts], axis=2))  # (n, T, S)


def accuracy_by_length(model, seeds, lengths=TEST_LENGTHS, n: int = 300, tag: int = 2) -> dict:
    """``{T: (S,)}``: each seed's accuracy on the parity of ``n`` fresh strings of ``T`` bits."""
    out = {}
    for T in lengths:
        X, Y = packed_parity(seeds, n, T, tag)  # (n, T, S) each
        out[T] = final_step_accuracy(model, X, Y[:, -1])  # (S,)
    return out


def readout_transitions(model, n_seeds: int, units: int, layer: str = "rnn_0"):
    """For each seed, the unit its head weighs most, and that unit's transitions: ``(a0, a1)``,
    each ``(S,)``, with ``a(x) = 1 - 2 sigmoid(x w_z + b_z)`` for a bit ``x`` (signed minGRU,
    one input feature, source convention)."""
    kernel, bias = model.get_layer(layer).get_weights()  # (S, 2*S*u), (2*S*u,)
    head = model.get_layer("head").get_weights()[0]  # (S*u, S*C)
    C = head.shape[1] // n_seeds
    a0, a1 = [], []
    for s in range(n_seeds):
        cols = np.arange(s * units, (s + 1) * units)  # this seed's W_z columns
        w = head[cols][:, s * C : (s + 1) * C]  # (u, C)
        j = cols[np.argmax(np.abs(w[:, 1] - w[:, 0]))]  # the unit read most
        a0.append(1.0 - 2.0 / (1.0 + np.exp(-bias[j])))  # bit 0: p = b_z
        a1.append(1.0 - 2.0 / (1.0 + np.exp(-(kernel[s, j] + bias[j]))))  # bit 1: p = w_z + b_z
    return np.array(a0), np.array(a1)
