"""The course's one table of recurrent kinds, in one spelling: Keras's class names.

Every function that takes a ``kind`` takes one of :data:`KINDS`; :func:`canonical_kind` also
accepts the snake-case layer names (``"gru"``, ``"simple_rnn"``) and returns the class name.
:data:`N_GATES` is the number of blocks of ``units`` columns in a Keras kernel (GRU z, r, h~;
LSTM i, f, c~, o; Cho et al. 2014, section 2.3; Hochreiter & Schmidhuber 1997).
"""

from __future__ import annotations

KINDS = ("SimpleRNN", "GRU", "LSTM")
# Keras's default layer names
SNAKE_NAMES = {"SimpleRNN": "simple_rnn", "GRU": "gru", "LSTM": "lstm"}
N_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}  # blocks of `units` columns in each Keras kernel


def check_kind(kind) -> str:
    """Return ``kind``, or raise ``ValueError`` unless it is one of :data:`KINDS`."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def canonical_kind(kind) -> str:
    """``"GRU"``, ``"gru"`` or ``"Gru"`` -> ``"GRU"`` (underscores and case ignored);
    else ``ValueError``."""
    key = str(kind).lower().replace("_", "")
    for name in KINDS:
        if name.lower() == key:
            return name
    raise ValueError(f"kind must be one of {KINDS} (any case), got {kind!r}")
