"""The embedded Reber grammar: a generator, a validator, corruptions that need long-range memory,
character encoding, and padding with a mask.

A Reber string walks a small automaton from ``B`` to ``E`` (Reber 1967). The EMBEDDED grammar
wraps one Reber string as ``B T <reber> T E`` or ``B P <reber> P E``: the second symbol must
reappear as the second-to-last one, so checking a string needs memory across the whole inner
string.
"""

from __future__ import annotations

from grucourse.validate import check_rng

import numpy as np

# state -> list of (symbol, next state); state 6 emits E and stops.
REBER_TRANSITIONS = {
    0: [("B", 1)],
    1: [("T", 2), ("P", 3)],
    2: [("S", 2), ("X", 4)],
    3: [("T", 3), ("V", 5)],
    4: [("X", 3), ("S", 6)],
    5: [("P", 4), ("V", 6)],
    6: [("E", None)],
}
ALPHABET = "BEPSTVX"
PAD = 0  # code of the padding symbol; characters are coded 1..len(ALPHABET)
CHAR_TO_CODE = {c: i + 1 for i, c in enumerate(ALPHABET)}


def reber_string(rng: np.random.Generator) -> str:
    """One random string of the (plain) Reber grammar, choosing each branch with probability 1/2."""
    rng = check_rng(rng)
    out, state = [], 0
    while state is not None:
        options = REBER_TRANSITIONS[state]
        symbol, state = options[int(rng.integers(len(options)))]
        out.append(symbol)
    return "".join(out)


def embedded_reber_string(rng: np.random.Generator, max_len: int | None = None) -> str:
    """One random embedded Reber string ``B a <reber> a E`` with ``a`` in {T, P}.

    With ``max_len`` the inner string is redrawn until the whole string has at most ``max_len``
    symbols.
    """
    rng = check_rng(rng)
    if max_len is not None and max_len < 9:
        raise ValueError(
            f"max_len must be >= 9 (the shortest embedded Reber string), got {max_len}"
        )
    a = "TP"[int(rng.integers(2))]
    while True:
        inner = reber_string(rng)
        if max_len is None or len(inner) + 4 <= max_len:
            return "B" + a + inner + a + "E"


def is_reber(s: str) -> bool:
    """True if ``s`` is a string of the plain Reber grammar (checked by walking the automaton)."""
    if not isinstance(s, str):
        raise TypeError(f"expected a string, got {type(s).__name__}")
    state = 0
    for i, ch in enumerate(s):
        nxt = dict(REBER_TRANSITIONS[state]).get(ch, "missing") if state is not None else "missing"
        if nxt == "missing":
            return False
        state = nxt
        if state is None:
            return i == len(s) - 1
    return False


def is_embedded_reber(s: str) -> bool:
    """True if ``s`` is ``B a <reber> a E`` with the same ``a`` in {T, P} on both sides."""
    if not isinstance(s, str):
        raise TypeError(f"expected a string, got {type(s).__name__}")
    return (len(s) >= 9 and s[0] == "B" and s[-1] == "E" and s[1] in "TP" and s[-2] == s[1]
            and is_reber(s[2:-2]))


def corrupt_long_range(s: str) -> str:
    """Swap the second-to-last symbol (T <-> P) so it no longer matches the second symbol.

    The result is locally plausible everywhere; only a reader who remembers the second symbol
    across the whole inner string can tell it is invalid.
    """
    if not is_embedded_reber(s):
        raise ValueError(f"expected a valid embedded Reber string, got {s!r}")
    return s[:-2] + ("P" if s[-2] == "T" else "T") + "E"


def make_grammar_dataset(n: int, rng: np.random.Generator, max_len: int | None = None):
    """``n`` strings, half valid embedded Reber strings (label 1), half long-range corruptions
    (label 0).

    Returns ``(strings, labels)`` in random order; ``labels`` has shape (n,).
    """
    rng = check_rng(rng)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    labels = np.arange(n) % 2  # (n,) balanced
    rng.shuffle(labels)
    strings = []
    for lab in labels:
        s = embedded_reber_string(rng, max_len)
        strings.append(s if lab == 1 else corrupt_long_range(s))
    return strings, labels.astype(np.int64)


def encode_strings(strings, max_len: int | None = None, padding: str = "post"):
    """Integer-code strings (B=1, E=2, ..., X=7) and pad them with ``PAD = 0`` to a common length.

    Returns ``(codes, mask)``, both (n, L): ``mask`` is True on real characters, False on padding.
    ``L`` is ``max_len`` if given (strings must fit) or the longest string.
    """
    if isinstance(strings, str) or not hasattr(strings, "__len__"):
        raise TypeError("strings must be a list of strings (wrap a single string in a list)")
    if len(strings) == 0:
        raise ValueError("strings is empty")
    for s in strings:
        if not isinstance(s, str):
            raise TypeError(f"every item must be a string, got {type(s).__name__}")
        bad = set(s) - set(ALPHABET)
        if bad or not s:
            raise ValueError(f"strings must be non-empty and use only {ALPHABET!r}; got {s!r}")
    if padding not in ("post", "pre"):
        raise ValueError(f"padding must be 'post' or 'pre', got {padding!r}")
    longest = max(len(s) for s in strings)
    L = longest if max_len is None else max_len
    if longest > L:
        raise ValueError(f"a string has {longest} symbols, more than max_len={L}")
    codes = np.full((len(strings), L), PAD, dtype=np.int32)  # (n, L)
    for i, s in enumerate(strings):
        c = [CHAR_TO_CODE[ch] for ch in s]
        if padding == "post":
            codes[i, : len(c)] = c
        else:
            codes[i, L - len(c) :] = c
    return codes, codes != PAD


def bag_of_characters(strings) -> np.ndarray:
    """Counts of each alphabet symbol per string (order thrown away), shape (n, 7)."""
    codes, _ = encode_strings(strings)  # (n, L)
    onehot = codes[:, :, None] == np.arange(1, len(ALPHABET) + 1)[None, None, :]  # (n, L, 7)
    return onehot.sum(axis=1).astype(np.float64)  # (n, 7)
