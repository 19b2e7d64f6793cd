"""Batching sequences of different lengths: pad them to one length, or bucket them by length first.

A batch must be a rectangular ``(B, T, d)`` array, so shorter sequences are padded after their end
(right padding, the layout cuDNN needs) and a boolean mask marks the real steps. Padding to the
longest sequence of the *whole* data set wastes steps; sorting by length and batching neighbours
(bucketing) pads each batch only to its own longest member.
"""

from __future__ import annotations

from collections.abc import Sequence

from grucourse.validate import as_float_array, check_finite

import numpy as np


def check_sequence_list(seqs) -> list[np.ndarray]:
    """Check a non-empty list of ``(T_i, d)`` float arrays with one feature size ``d`` and
    ``T_i >= 1``."""
    if isinstance(seqs, np.ndarray) or not isinstance(seqs, Sequence):
        raise TypeError(
            f"seqs must be a list of (time, features) arrays, got {type(seqs).__name__}; "
            "a rectangular batch needs no padding"
        )
    if len(seqs) == 0:
        raise ValueError("seqs is empty: pass at least one sequence")
    out = []
    for i, s in enumerate(seqs):
        a = as_float_array(s, f"sequence {i}")
        if a.ndim != 2:
            raise ValueError(
                f"sequence {i} must have shape (time, features), got {a.ndim}-D shape {a.shape}"
                + ("; use s.reshape(-1, 1) for one feature" if a.ndim == 1 else "")
            )
        if a.shape[0] == 0:
            raise ValueError(f"sequence {i} is empty (0 time steps)")
        if out and a.shape[1] != out[0].shape[1]:
            raise ValueError(
                f"sequence {i} has {a.shape[1]} features per step, "
                f"sequence 0 has {out[0].shape[1]}: "
                "all sequences need the same feature size"
            )
        check_finite(a, f"sequence {i}")
        out.append(a)
    return out


def pad_batch(seqs, maxlen: int | None = None, value: float = 0.0, dtype=np.float32):
    """Right-pad sequences ``(T_i, d)`` into one batch.

    Returns ``x`` ``(B, T, d)`` with ``T = maxlen`` or the longest ``T_i``, ``mask`` ``(B, T)``
    (True on real steps, ``mask[i, t] = t < T_i``) and ``lengths`` ``(B,)``.
    """
    seqs = check_sequence_list(seqs)
    lengths = np.array([s.shape[0] for s in seqs])  # (B,)
    longest = int(lengths.max())
    if maxlen is None:
        maxlen = longest
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < longest:
        raise ValueError(
            f"maxlen must be an integer >= the longest sequence ({longest}), got {maxlen!r}"
        )
    if not np.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    B, d = len(seqs), seqs[0].shape[1]
    x = np.full((B, int(maxlen), d), value, dtype=dtype)  # (B, T, d)
    for i, s in enumerate(seqs):
        x[i, : s.shape[0]] = s  # (T_i, d) into the first T_i steps
    mask = np.arange(maxlen)[None, :] < lengths[:, None]  # (B, T)
    return x, mask, lengths


def check_lengths(lengths) -> np.ndarray:
    """Return ``lengths`` as a 1-D int array of positive values, or raise a clear error."""
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"lengths must be a non-empty 1-D list of sequence lengths, got shape {arr.shape}"
        )
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"lengths must be integers, got dtype {arr.dtype}")
    if np.any(arr < 1):
        raise ValueError(
            f"lengths must be >= 1, got {int(arr.min())} at index {int(np.argmin(arr))}"
        )
    return arr.astype(np.int64)


def _check_batch_size(batch_size) -> int:
    if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def fixed_batches(n: int, batch_size: int) -> list[np.ndarray]:
    """Indices ``0..n-1`` in their original order, cut into batches of ``batch_size`` (the last
    may be shorter)."""
    batch_size = _check_batch_size(batch_size)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    order = np.arange(n)  # (n,)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def bucket_by_length(lengths, batch_size: int) -> list[np.ndarray]:
    """Sort sequences by length (stable) and cut the order into batches of ``batch_size``.

    Returns a list of index arrays; together they hold every index exactly once, and each batch
    holds sequences of similar length, so padding each batch to its own longest member wastes
    little.
    """
    lengths = check_lengths(lengths)
    batch_size = _check_batch_size(batch_size)
    order = np.argsort(lengths, kind="stable")  # (n,) shortest first
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def padding_waste(lengths, batches: Sequence[np.ndarray]) -> float:
    """Fraction of the computed steps that are padding when each batch is padded to its longest
    member.

    ``1 - sum_i T_i / sum_batches (batch size * longest T in the batch)``.
    """
    lengths = check_lengths(lengths)
    if len(batches) == 0:
        raise ValueError("batches is empty")
    seen = np.concatenate([np.asarray(b, dtype=np.int64) for b in batches])  # (n,)
    if np.sort(seen).tolist() != list(range(len(lengths))):
        raise ValueError("batches must hold every index 0..len(lengths)-1 exactly once")
    computed = sum(len(b) * int(lengths[b].max()) for b in batches)
    return 1.0 - float(lengths.sum()) / computed


def make_variable_length_data(rng, n=256, d=4, min_len=5, max_len=100):
    """``n`` random sequences ``(T_i, d)`` whose lengths are spread over ``[min_len, max_len]``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    lengths = rng.integers(min_len, max_len + 1, size=n)  # (n,)
    return [rng.normal(size=(int(L), d)).astype(np.float32) for L in lengths]
