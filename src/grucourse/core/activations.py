"""The logistic sigmoid used by every numpy reference of the course (GRU, minGRU, Jacobians).

Cho et al. (2014), section 2.3: the gates are ``σ(a) = 1 / (1 + exp(-a))``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a, out=None):
    """``σ(a) = 1 / (1 + exp(-a))``, written into ``out`` when given (no temporaries beyond
    ``out``).

    ``a`` keeps its float dtype (``float32`` in, ``float32`` out).
    """
    a = np.asarray(a)
    if out is None:
        # a's shape
        out = np.empty(a.shape, a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64)
    np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def sigmoid_tanh(v):
    """``σ(v)`` written as ``(1 + tanh(v / 2)) / 2``: equal to :func:`sigmoid` up to rounding,
    never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * v))
