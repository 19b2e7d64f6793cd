"""A synthetic translation task for encoder–decoders: reverse a string of digits.

The source is a string of ``L`` digits, the target is the same digits in reverse order followed
by an end token. The difficulty grows with ``L``: a decoder that only sees the encoder's final
state must carry all ``L`` digits (``L log2 10`` bits) in a fixed number of units.

Tokens (one vocabulary for source and target, ``VOCAB_SIZE = 13``)::

    PAD = 0   padding after the end of a sequence (masked everywhere)
    BOS = 1   first input of the decoder ("begin of sequence")
    EOS = 2   last target token ("end of sequence")
    3 .. 12   the digits 0 .. 9 (digit d is token d + 3)

For one pair with source ``x_1 .. x_L`` (padded to ``T = max_len``)::

    src     = x_1 .. x_L  PAD ..            (T,)      src_mask = [1]*L + [0]*(T - L)
    dec_in  = BOS x_L .. x_1  PAD ..        (T + 1,)  (teacher forcing: the target shifted right)
    target  = x_L .. x_1  EOS  PAD ..       (T + 1,)  tgt_mask = [1]*(L + 1) + [0]*(T - L)
"""

from __future__ import annotations

from dataclasses import dataclass

from grucourse.validate import check_int

import numpy as np

PAD, BOS, EOS = 0, 1, 2
DIGIT0 = 3
VOCAB_SIZE = 13


@dataclass(frozen=True)
class Pairs:
    """A padded batch of source/target pairs (arrays of token ids, masks as float32 0/1)."""

    src: np.ndarray  # (n, T) int32
    src_mask: np.ndarray  # (n, T) float32
    dec_in: np.ndarray  # (n, T + 1) int32
    target: np.ndarray  # (n, T + 1) int32
    tgt_mask: np.ndarray  # (n, T + 1) float32
    lengths: np.ndarray  # (n,) int: L of every pair

    def __len__(self) -> int:
        return len(self.lengths)


def encode_digits(digits) -> np.ndarray:
    """Token ids ``(L,)`` of a digit string ``"3141"`` (or a sequence of ints 0..9)."""
    if isinstance(digits, str):
        if not digits.isdigit() or not digits.isascii():
            raise ValueError(f"a source must be a non-empty string of digits 0-9, got {digits!r}")
        digits = [int(c) for c in digits]
    arr = np.asarray(digits)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"a source must be a non-empty 1-D sequence of digits, got shape {arr.shape}"
        )
    if not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() > 9:
        raise ValueError(f"digits must be integers 0..9, got {arr.tolist()}")
    return (arr + DIGIT0).astype(np.int32)  # (L,)


def decode_digits(tokens) -> str:
    """The digit string of a token sequence, read up to the first ``EOS`` (``PAD`` and ``BOS``
    skipped)."""
    out = []
    for t in _token_ids(tokens).tolist():
        if t == EOS:
            break
        if t >= DIGIT0:
            out.append(str(t - DIGIT0))
    return "".join(out)


def token_names(tokens) -> list[str]:
    """One label per token of ``tokens`` ``(T,)``: the digit, or ``PAD``, ``BOS``, ``EOS``
    (for plots)."""
    names = {PAD: "PAD", BOS: "BOS", EOS: "EOS"}
    return [names.get(t, str(t - DIGIT0)) for t in _token_ids(tokens).tolist()]


def _token_ids(tokens) -> np.ndarray:
    """``tokens`` as a flat integer array ``(T,)``, or a ``ValueError`` naming the first id that
    is not a token of the vocabulary ``0..VOCAB_SIZE - 1``."""
    arr = np.asarray(tokens).ravel()  # (T,)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"tokens must be integer ids 0..{VOCAB_SIZE - 1}, got {arr.dtype} "
                         f"values {arr.tolist()[:8]}")
    bad = arr[(arr < 0) | (arr >= VOCAB_SIZE)]  # ids outside the vocabulary
    if bad.size:
        raise ValueError(f"token {int(bad[0])} is not in the vocabulary: tokens must be integer "
                         f"ids 0..{VOCAB_SIZE - 1} (PAD, BOS, EOS, digits 0-9 as 3..12), got "
                         f"{arr.tolist()[:12]}")
    return arr.astype(np.int64)


def make_pairs(sources, max_len=None) -> Pairs:
    """Pad the digit strings ``sources`` into a :class:`Pairs` batch with ``T = max_len`` source
    steps."""
    if isinstance(sources, str):
        raise TypeError(
            "sources must be a list of digit strings, not one string: wrap it in a list"
        )
    encoded = [encode_digits(s) for s in sources]
    if not encoded:
        raise ValueError("sources is empty: give at least one digit string")
    lengths = np.array([len(e) for e in encoded])  # (n,)
    T = int(lengths.max()) if max_len is None else check_int(max_len, "max_len", 1)
    if lengths.max() > T:
        raise ValueError(f"a source has {lengths.max()} digits, more than max_len={T}")
    n = len(encoded)
    src = np.full((n, T), PAD, dtype=np.int32)  # (n, T)
    dec_in = np.full((n, T + 1), PAD, dtype=np.int32)  # (n, T + 1)
    target = np.full((n, T + 1), PAD, dtype=np.int32)  # (n, T + 1)
    for i, e in enumerate(encoded):
        L = len(e)
        src[i, :L] = e
        dec_in[i, 0], dec_in[i, 1 : L + 1] = BOS, e[::-1]
        target[i, :L], target[i, L] = e[::-1], EOS
    steps = np.arange(T + 1)  # (T + 1,)
    src_mask = (steps[None, :T] < lengths[:, None]).astype(np.float32)  # (n, T)
    tgt_mask = (steps[None, :] <= lengths[:, None]).astype(np.float32)  # (n, T + 1)
    return Pairs(src, src_mask, dec_in, target, tgt_mask, lengths)


def reversal_pairs(n, rng, max_len, min_len=1, length=None) -> Pairs:
    """``n`` random pairs with lengths drawn uniformly from ``min_len .. max_len`` (or all equal
    to ``length``).

    Every digit is drawn uniformly from 0..9 with ``rng`` (a ``numpy.random.Generator``);
    sources are padded to ``max_len`` steps, so batches of different lengths fit one model.
    """
    n = check_int(n, "n", 1)
    max_len = check_int(max_len, "max_len", 1)
    min_len = check_int(min_len, "min_len", 1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    if min_len > max_len:
        raise ValueError(f"min_len={min_len} is larger than max_len={max_len}")
    if length is not None:
        length = check_int(length, "length", 1)
        if length > max_len:
            raise ValueError(f"length={length} is larger than max_len={max_len}")
        lengths = np.full(n, length)  # (n,)
    else:
        lengths = rng.integers(min_len, max_len + 1, size=n)  # (n,)
    digits = rng.integers(0, 10, size=(n, max_len))  # (n, T)
    return _pad_reversal(digits, lengths)


def _pad_reversal(digits, lengths) -> Pairs:
    """The :class:`Pairs` of sources ``digits[i, :lengths[i]]`` (vectorised :func:`make_pairs`)."""
    n, T = digits.shape
    steps = np.arange(T + 1)  # (T + 1,)
    src_mask = steps[None, :T] < lengths[:, None]  # (n, T)
    src = np.where(src_mask, digits + DIGIT0, PAD).astype(np.int32)  # (n, T)
    back = np.clip(lengths[:, None] - 1 - steps[None, :],
                   0, T - 1)  # (n, T + 1): source index of output t
    rev = np.take_along_axis(src, back, axis=1)  # (n, T + 1)
    target = np.where(steps[None, :] < lengths[:, None], rev, PAD)  # (n, T + 1)
    target[np.arange(n), lengths] = EOS
    dec_in = np.full((n, T + 1), PAD,
                     dtype=np.int32)  # (n, T + 1): BOS, then the target shifted right
    dec_in[:, 0] = BOS
    dec_in[:, 1:] = np.where(steps[None, 1:] <= lengths[:, None], target[:, :-1], PAD)  # (n, T)
    tgt_mask = (steps[None, :] <= lengths[:, None]).astype(np.float32)  # (n, T + 1)
    return Pairs(src, src_mask.astype(np.float32), dec_in, target.astype(np.int32), tgt_mask,
                 np.asarray(lengths))


def stack_pairs(batches) -> Pairs:
    """Stack ``S`` batches of equal shape along a new axis 1: arrays ``(n, S, ...)`` for ``S``
    packed models."""
    batches = list(batches)
    if not batches or not all(isinstance(b, Pairs) for b in batches):
        raise TypeError("stack_pairs needs a non-empty list of Pairs")
    shapes = {b.src.shape for b in batches}
    if len(shapes) != 1:
        raise ValueError(
            f"all batches must have the same shape to be stacked, got {sorted(shapes)}"
        )
    return Pairs(*(np.stack([getattr(b, f) for b in batches], axis=1)
                   for f in ("src", "src_mask", "dec_in", "target", "tgt_mask", "lengths")))
