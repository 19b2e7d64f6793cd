"""The text corpus of the language-model chapter: Python's own help topics, cleaned and encoded.

The corpus ships with Python: :mod:`pydoc_data.topics` holds the text of ``help()`` topics of
the Python documentation (English prose with code examples). :func:`clean_text` keeps the
prose, lower-cases it and maps it onto a small alphabet :data:`ALPHABET`;
:func:`encode_text`, :func:`decode_text`, :func:`one_hot` and :func:`split_by_position` turn it into
model inputs. The measures and the n-gram baseline live in :mod:`grucourse.core.language_model`.
"""

from __future__ import annotations

import re

import numpy as np

ALPHABET = " abcdefghijklmnopqrstuvwxyz.,;:'\"()-"  # index 0 is the space
_REPLACE = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
            "\u2014": "-"}


def load_corpus() -> str:
    """The raw text of every ``pydoc_data.topics`` entry, in sorted key order (about 465,000
    characters)."""
    from pydoc_data import topics

    return "\n\n".join(topics.topics[k] for k in sorted(topics.topics))


def clean_text(text: str, alphabet: str = ALPHABET) -> str:
    """Keep prose lines, lower-case them, map them onto ``alphabet`` and collapse white space.

    Lines indented by 3 or more spaces (code examples and grammar rules) and heading underlines
    (``*****``, ``=====``) are dropped; characters outside ``alphabet`` are removed.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    keep = []
    for line in text.splitlines():
        if line.startswith("   ") or re.fullmatch(r"\s*[*=\-^~]{3,}\s*", line):
            continue
        keep.append(line)
    s = " ".join(keep).lower()
    s = "".join(_REPLACE.get(c, c) for c in s)
    allowed = set(alphabet)
    s = "".join(c if c in allowed else " " for c in s)
    return re.sub(r" +", " ", s).strip()


def encode_text(text: str, alphabet: str = ALPHABET) -> np.ndarray:
    """Character ids ``(N,)`` (``int64``): the position of each character in ``alphabet``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    index = {c: i for i, c in enumerate(alphabet)}
    bad = sorted(set(text) - set(index))
    if bad:
        raise ValueError(f"text has characters outside the alphabet: {bad[:10]}; "
                         "clean it with clean_text first")
    return np.array([index[c] for c in text], dtype=np.int64)  # (N,)


def decode_text(ids, alphabet: str = ALPHABET) -> str:
    """The text of character ids ``(N,)``."""
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= len(alphabet)):
        raise ValueError(f"ids must lie in [0, {len(alphabet)}), "
                         f"got values from {ids.min()} to {ids.max()}")
    return "".join(alphabet[int(i)] for i in ids.ravel())


def split_by_position(ids, fractions=(0.8, 0.1, 0.1)):
    """Cut ``ids`` ``(N,)`` into consecutive train / validation / test parts (no shuffling).

    A split by position keeps whole passages in one part, so the test text is unseen text,
    not characters interleaved with training characters.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size < 10:
        raise ValueError(
            f"ids must be a 1-D array of at least 10 characters, got shape {ids.shape}"
        )
    f = np.asarray(fractions, dtype=float)
    if f.shape != (3,) or np.any(f <= 0) or not np.isclose(f.sum(), 1.0):
        raise ValueError(f"fractions must be three positive numbers that sum to 1, got {fractions}")
    a, b = (np.cumsum(f)[:2] * ids.size).astype(int)
    return ids[:a], ids[a:b], ids[b:]


def one_hot(ids, n_chars: int) -> np.ndarray:
    """``(..., n_chars)`` float32 one-hot rows for integer ids of any shape."""
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= n_chars):
        raise ValueError(f"ids must lie in [0, {n_chars}), "
                         f"got values from {ids.min()} to {ids.max()}")
    return np.eye(n_chars, dtype=np.float32)[ids]  # (..., n_chars)
