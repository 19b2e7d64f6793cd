"""minGRU in numpy: the sequential reference loop and the parallel scan (linear and log space).

minGRU (Feng et al. 2024) in the source chapter's convention: the gates read the input only::

    z_t       = sigmoid(x_t W_z + b_z)                     update gate, no h_{t-1}
    h_tilde_t = x_t W_h + b_h                              candidate, no h_{t-1}, no tanh
    h_t       = (1 - z_t) * h_{t-1} + z_t * h_tilde_t      the GRU's state update

so the recurrence is linear, ``h_t = a_t * h_{t-1} + b_t`` with ``a_t = 1 - z_t`` and
``b_t = z_t * h_tilde_t``. The pairs ``(a, b)`` compose with the associative operator

    combine((a_1, b_1), (a_2, b_2)) = (a_1 a_2, a_2 b_1 + b_2)

(apply step 1, then step 2), which a scan evaluates in ``ceil(log2 T)`` levels.

The negative-range minGRU (``signed=True``, chapter 23; Grazzi et al. 2025, section 4) keeps the
gate and the candidate and changes one line: ``a_t = 1 - 2 z_t`` lies in ``(-1, 1)``, so a unit
can flip its sign (``z_t`` near 1: ``h_t ~ -h_{t-1} + h_tilde_t``). The combine above never
assumes ``a >= 0`` (it only multiplies and adds), so the linear-space scan runs it unchanged;
the log-space scan takes ``log a`` and needs ``a > 0``.
Row-vector layout as in Keras: ``x`` is ``(B, T, d)``, ``W_*`` ``(d, u)``, ``b_*`` ``(u,)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from grucourse.core.activations import sigmoid_tanh
from grucourse.core.gru import GRUParams, convert_convention
from grucourse.validate import as_float_array, check_finite, check_sequences

import numpy as np

METHODS = ("linear", "log")


@dataclass(frozen=True)
class MinGRUParams:
    """Weights of one minGRU layer: ``W_z, W_h`` ``(d, u)`` and ``b_z, b_h`` ``(u,)``."""

    W_z: np.ndarray
    b_z: np.ndarray
    W_h: np.ndarray
    b_h: np.ndarray

    def __post_init__(self):
        arrays = {n: as_float_array(getattr(self, n), n) for n in ("W_z", "b_z", "W_h", "b_h")}
        for name in ("W_z", "W_h"):
            if arrays[name].ndim != 2:
                raise ValueError(f"{name} must be a 2-D (d, u) matrix, got shape "
                                 f"{arrays[name].shape}")

        def want(name, d, u):
            return (d, u) if name[0] == "W" else (u,)

        # (d, u) as most of the four arrays have it, so the error names the one that differs
        d, u = max((arrays["W_z"].shape, arrays["W_h"].shape),
                   key=lambda du: sum(a.shape == want(n, *du) for n, a in arrays.items()))
        for name, arr in arrays.items():
            check_finite(arr, name)
            if arr.shape != want(name, d, u):
                flip = " (is it transposed?)" if arr.T.shape == want(name, d, u) else ""
                raise ValueError(f"{name} has shape {arr.shape}, expected {want(name, d, u)} "
                                 f"for input size d={d} and u={u} units{flip}")
            object.__setattr__(self, name, arr)

    @property
    def input_size(self) -> int:
        return self.W_z.shape[0]

    @property
    def units(self) -> int:
        return self.W_z.shape[1]


def count_mingru_params(d: int, u: int) -> int:
    """Parameters of one minGRU layer: ``2 u (d + 1)`` (``W_z, W_h`` and two biases)."""
    for name, v in (("d", d), ("u", u)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return 2 * u * (d + 1)


def init_params(d: int, u: int, rng: np.random.Generator, scale: float = 1.0) -> MinGRUParams:
    """Random weights ``N(0, scale^2 / d)`` and biases ``N(0, 0.1^2)``; ``rng`` is a numpy
    Generator."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    count_mingru_params(d, u)  # checks d and u
    return MinGRUParams(W_z=rng.normal(0, scale / np.sqrt(d), (d, u)), b_z=rng.normal(0, 0.1, u),
                        W_h=rng.normal(0, scale / np.sqrt(d), (d, u)), b_h=rng.normal(0, 0.1, u))


def from_gru(params: GRUParams) -> MinGRUParams:
    """Turn a GRU into a minGRU: keep ``W_z, b_z, W_h, b_h`` (source convention), drop every
    ``U_*``, the reset gate and ``b_hh``; the tanh of the candidate goes too."""
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    p = convert_convention(params, "source")
    return MinGRUParams(W_z=p.W_z, b_z=p.b_z, W_h=p.W_h, b_h=p.b_h)


def _prepare(x, params, h0):
    """Checked ``x`` ``(B, T, d)`` and ``h0`` ``(B, u)`` (zeros if None), in x's float dtype."""
    if not isinstance(params, MinGRUParams):
        raise TypeError(f"params must be a MinGRUParams, got {type(params).__name__}")
    x = check_sequences(x, params.input_size)  # (B, T, d)
    B, u = x.shape[0], params.units
    if h0 is None:
        return x, np.zeros((B, u), dtype=x.dtype)
    h0 = as_float_array(h0, "h0")
    check_finite(h0, "h0")
    if h0.shape == (u,):
        h0 = np.broadcast_to(h0, (B, u))
    if h0.shape != (B, u):
        raise ValueError(f"h0 has shape {h0.shape}, expected (batch, units) = ({B}, {u}) or ({u},)")
    return x, h0.astype(x.dtype)


def coefficients(x, params: MinGRUParams, signed: bool = False):
    """``a = 1 - z`` (``1 - 2 z`` if ``signed``) and ``b = z * h_tilde``, each ``(B, T, u)``,
    for ``h_t = a_t h_{t-1} + b_t``."""
    x, _ = _prepare(x, params, None)  # (B, T, d)
    dt = x.dtype
    # (B, T, d) @ (d, u) -> (B, T, u)
    z = sigmoid_tanh(x @ params.W_z.astype(dt) + params.b_z.astype(dt))
    h_tilde = x @ params.W_h.astype(dt) + params.b_h.astype(dt)  # (B, T, u)
    return (1.0 - 2.0 * z if signed else 1.0 - z), z * h_tilde  # (B, T, u) each


def mingru_loop(x, params: MinGRUParams, h0=None, signed: bool = False) -> np.ndarray:
    """The reference: ``h_t = (1 - z_t) h_{t-1} + z_t h_tilde_t`` one step at a time;
    ``(B, T, u)``. With ``signed=True``: ``h_t = (1 - 2 z_t) h_{t-1} + z_t h_tilde_t``."""
    if not isinstance(signed, (bool, np.bool_)):
        raise TypeError(f"signed must be True or False, got {signed!r}")
    x, h = _prepare(x, params, h0)  # (B, T, d), (B, u)
    z = sigmoid_tanh(x @ params.W_z.astype(x.dtype) + params.b_z.astype(x.dtype))  # (B, T, u)
    h_tilde = x @ params.W_h.astype(x.dtype) + params.b_h.astype(x.dtype)  # (B, T, u)
    out = np.empty_like(z)  # (B, T, u)
    for t in range(x.shape[1]):
        keep = 1.0 - 2.0 * z[:, t] if signed else 1.0 - z[:, t]  # (B, u)
        h = keep * h + z[:, t] * h_tilde[:, t]  # (B, u): the update, written out
        out[:, t] = h
    return out


def combine(left, right):
    """``(a_1, b_1) o (a_2, b_2) = (a_1 a_2, a_2 b_1 + b_2)``: step 1, then step 2."""
    (a1, b1), (a2, b2) = left, right
    return a1 * a2, a2 * b1 + b2


def _check_ab(a, b):
    a, b = as_float_array(a, "a"), as_float_array(b, "b")
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"a and b must both have shape (batch, time, units), "
                         f"got {a.shape} and {b.shape}")
    if a.shape[1] == 0:
        raise ValueError("a and b hold empty sequences (0 time steps)")
    check_finite(a, "a")
    check_finite(b, "b")
    return a, b


def scan_levels(a, b):
    """Hillis-Steele inclusive scan along axis 1; returns the list of ``(a, b)`` after each level.

    Level ``k`` (offset ``2^k``) combines every position ``t >= 2^k`` with position ``t - 2^k``:
    after ``ceil(log2 T)`` levels position ``t`` holds the composition of steps ``0..t``,
    whose ``b`` is ``h_t`` (for ``h_{-1} = 0``). Work ``O(T log T)``, depth ``log2 T``.
    """
    a, b = _check_ab(a, b)  # (B, T, u) each
    levels, k, T = [(a, b)], 1, a.shape[1]
    while k < T:
        a_new, b_new = a.copy(), b.copy()  # positions t < k are already complete
        a_new[:, k:], b_new[:, k:] = combine((a[:, :-k], b[:, :-k]),
                                             (a[:, k:], b[:, k:]))  # (B, T-k, u)
        a, b = a_new, b_new
        levels.append((a, b))
        k *= 2
    return levels


def scan_linear(a, b, h0=None) -> np.ndarray:
    """All states of ``h_t = a_t h_{t-1} + b_t`` by the parallel scan in linear space;
    ``(B, T, u)``."""
    a, b = _check_ab(a, b)
    if h0 is not None:
        b = b.copy()
        b[:, 0] = a[:, 0] * h0 + b[:, 0]  # (B, u): fold the initial state into step 0
    return scan_levels(a, b)[-1][1]


def _log_scan_nonneg(log_a_star, b):
    """``sum_{s<=t} exp(a*_t - a*_s) b_s`` for ``b >= 0`` via logcumsumexp (Heinsen 2023)."""
    log_b = np.log(np.maximum(b, 0.0) + np.finfo(b.dtype).tiny)  # (B, T, u): log never sees 0
    return np.exp(log_a_star + np.logaddexp.accumulate(log_b - log_a_star, axis=1))  # (B, T, u)


def scan_log(a, b, h0=None) -> np.ndarray:
    """The same states in log space: ``h_t = exp(a*_t + logcumsumexp(log b - a*)_t)``,
    ``a* = cumsum(log a)``.

    ``log`` needs ``b > 0``, and ``h_tilde`` can be negative, so ``b`` is split as
    ``b = max(b, 0) - max(-b, 0)``: the recurrence is linear in ``b``, so ``h = h^+ - h^-``.
    Requires ``0 < a`` (true for ``a = 1 - sigmoid``).
    """
    a, b = _check_ab(a, b)
    if np.any(a <= 0):
        raise ValueError("scan_log needs every a_t > 0 (a = 1 - z with z < 1), got a value <= 0")
    if h0 is not None:
        b = b.copy()
        b[:, 0] = a[:, 0] * h0 + b[:, 0]  # (B, u)
    log_a_star = np.cumsum(np.log(a), axis=1)  # (B, T, u): a*_t = log(a_0 ... a_t)
    return _log_scan_nonneg(log_a_star, b) - _log_scan_nonneg(log_a_star, -b)  # (B, T, u)


def scan_cumprod(a, b, h0=None) -> np.ndarray:
    """The closed form ``h_t = A_t (h_{-1} + sum_{s<=t} b_s / A_s)`` with ``A_t = a_0 ... a_t``.

    Exact on paper, fragile in floating point: over long sequences ``A_t`` underflows to 0 and
    ``b_s / A_s`` overflows, which is why the course uses the scan or the log-space form.
    """
    a, b = _check_ab(a, b)
    A = np.cumprod(a, axis=1)  # (B, T, u)
    h_prev = 0.0 if h0 is None else np.asarray(h0, dtype=a.dtype)[:, None, :]  # (B, 1, u)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return A * (h_prev + np.cumsum(b / A, axis=1))  # (B, T, u)


def mingru_scan(x, params: MinGRUParams, h0=None, method: str = "linear",
                signed: bool = False) -> np.ndarray:
    """minGRU by the parallel scan (``method="linear"`` or ``"log"``); equals
    :func:`mingru_loop`. The log-space form refuses ``signed=True`` (it needs ``a > 0``)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if signed and method == "log":
        raise ValueError("the log-space scan needs a_t > 0 and cannot run signed=True "
                         "(a = 1 - 2z can be negative); use method='linear'")
    x, h0 = _prepare(x, params, h0)  # (B, T, d), (B, u)
    a, b = coefficients(x, params, signed)  # (B, T, u) each
    return (scan_linear if method == "linear" else scan_log)(a, b, h0)


def mingru_chunked(x, params: MinGRUParams, chunk: int, h0=None,
                   method: str = "linear") -> np.ndarray:
    """The scan run on consecutive chunks of ``chunk`` steps, each starting from the last state
    of the one before: what streaming does. Equals :func:`mingru_scan` on the whole sequence."""
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer (steps per chunk), got {chunk!r}")
    x, h = _prepare(x, params, h0)  # (B, T, d), (B, u)
    parts = []
    for start in range(0, x.shape[1], chunk):
        part = mingru_scan(x[:, start : start + chunk], params, h, method)  # (B, <=chunk, u)
        h = part[:, -1]  # (B, u): the carried state
        parts.append(part)
    return np.concatenate(parts, axis=1)  # (B, T, u)
