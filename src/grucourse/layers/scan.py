"""Parallel scans of the linear recurrence ``h_t = a_t h_{t-1} + b_t`` in TensorFlow.

Used by :class:`grucourse.layers.mingru.MinGRU` (chapter 22) and by the DEER solver
(:mod:`grucourse.layers.deer`, chapter 25). Scan element ``(a, b)``; combine
``((a_1, b_1), (a_2, b_2)) -> (a_1 a_2, a_2 b_1 + b_2)`` (Blelloch 1990, section 1.4).
Two algorithms, both in linear space (no division, so products that underflow do no harm):

- ``"hillis_steele"``: chunks of ``chunk`` steps, a Hillis-Steele scan inside each chunk
  (``log2(chunk)`` levels of shifted multiply-adds over the whole tensor), then the same scan over
  the chunk totals. Work ``O(T log chunk)``: every level reads and writes all ``B T u`` numbers.
- ``"blocked"`` (work-efficient, ``O(T)``): ``n`` chunks of ``C ~ sqrt(T)`` steps; the ``C`` steps
  inside the chunks run one after the other, each step vectorised over batch, chunks and units;
  a Hillis-Steele scan over the ``n`` chunk totals gives each chunk's incoming state; one
  multiply-add puts it in. Every number is read and written a constant number of times.

:data:`DEFAULT_METHOD` is the one chosen by measurement (``benchmarks/bench_scan.py``):
``"blocked"`` (one minGRU training step at ``B = 64, T = 4096`` on a 2-core CPU: 0.37 s against
0.47 s for Hillis-Steele; at ``B = 1, T = 4096`` 5.5 ms against 8.0 ms; at ``B = 1, T = 1024``
both take about 2 ms).
The gradient (:func:`scan_with_gradient`) is the same recurrence run backwards in time,
``lambda_t = g_t + a_{t+1} lambda_{t+1}``, ``dL/db_t = lambda_t``, ``dL/da_t = lambda_t h_{t-1}``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

SCAN_METHODS = ("blocked", "hillis_steele")
DEFAULT_METHOD = "blocked"


def _shift(v, k, fill, axis):
    """``v`` moved ``k`` places later along ``axis`` (the first ``k`` entries become ``fill``)."""
    n = tf.shape(v)[axis]
    head = tf.gather(v, tf.range(n - k), axis=axis)  # (..., n-k, ...)
    pad = [[0, 0]] * v.shape.rank
    pad[axis] = [k, 0]
    return tf.pad(head, pad, constant_values=fill)  # (..., n, ...)


def _hillis_steele(a, b, axis, levels=None):
    """Inclusive scan of ``h = a h_prev + b`` along ``axis``: returns ``(A, h)``, both like ``a``.

    ``levels`` (static) unrolls the loop; ``None`` runs ``ceil(log2 n)`` levels in a while loop.
    """
    if levels is not None:
        for i in range(levels):
            k = 2**i
            # combine with t - k
            a, b = a * _shift(a, k, 1.0, axis), b + a * _shift(b, k, 0.0, axis)
        return a, b
    n_static = a.shape[axis]
    if n_static is not None:  # known length: unroll ceil(log2 n) levels
        return _hillis_steele(a, b, axis, int(np.ceil(np.log2(n_static))) if n_static > 1 else 0)
    n = tf.shape(a)[axis]

    def body(k, a, b):
        return k * 2, a * _shift(a, k, 1.0, axis), b + a * _shift(b, k, 0.0, axis)

    free = tf.TensorShape([None] * a.shape.rank)
    _, a, b = tf.while_loop(lambda k, a, b: k < n, body, (tf.constant(1), a, b),
                            shape_invariants=(tf.TensorShape([]), free, free))
    return a, b


def _chunks(a, b, chunk):
    """``a, b`` ``(B, T, u)`` padded with identity steps ``(1, 0)`` to ``(B, n, chunk, u)``."""
    B, T, u = tf.shape(a)[0], tf.shape(a)[1], tf.shape(a)[2]
    n = (T + chunk - 1) // chunk  # number of chunks
    pad = n * chunk - T
    a_c = tf.reshape(tf.pad(a, [[0, 0], [0, pad], [0, 0]], constant_values=1.0),
                     (B, n, chunk, u))  # (B, n, C, u)
    b_c = tf.reshape(tf.pad(b, [[0, 0], [0, pad], [0, 0]]), (B, n, chunk, u))  # (B, n, C, u)
    return a_c, b_c


def _merge_chunks(A_loc, h_loc, T):
    """States from per-chunk scans ``(B, n, C, u)`` started at 0: add each chunk's incoming
    state."""
    B, n, C, u = (tf.shape(A_loc)[i] for i in range(4))
    _, H_end = _hillis_steele(A_loc[:, :, -1], h_loc[:, :, -1], axis=1)  # (B, n, u): chunk ends
    H_in = _shift(H_end, 1, 0.0, axis=1)  # (B, n, u): the state entering chunk c
    h = h_loc + A_loc * H_in[:, :, None, :]  # (B, n, C, u)
    return tf.reshape(h, (B, n * C, u))[:, :T]  # (B, T, u)


def linear_scan(a, b, chunk: int = 8):
    """All states ``h_t = a_t h_{t-1} + b_t`` (``h_{-1} = 0``) of ``a, b`` ``(B, T, u)``, by
    Hillis-Steele inside chunks of ``chunk`` steps."""
    a_c, b_c = _chunks(a, b, chunk)  # (B, n, C, u) each
    levels = int(np.ceil(np.log2(chunk))) if chunk > 1 else 0
    A_loc, h_loc = _hillis_steele(a_c, b_c, axis=2, levels=levels)  # (B, n, C, u): from state 0
    return _merge_chunks(A_loc, h_loc, tf.shape(a)[1])  # (B, T, u)


def block_size(T: int) -> int:
    """Steps per chunk of :func:`blocked_scan`: the power of two nearest ``sqrt(T)`` (at least 1),
    which balances the ``C`` sequential steps against the ``n = T / C`` chunk totals."""
    return 2 ** max(0, int(round(np.log2(max(int(T), 1)) / 2)))


def blocked_scan(a, b, chunk: int | None = None):
    """The work-efficient scan: all states ``h_t = a_t h_{t-1} + b_t`` (``h_{-1} = 0``) of
    ``a, b`` ``(B, T, u)`` with ``O(B T u)`` work.

    Sequential inside chunks of ``chunk`` steps (default :func:`block_size` of the static ``T``),
    vectorised across batch, chunks and units; then a Hillis-Steele scan over the chunk totals.
    """
    T_static = a.shape[1]
    if chunk is None:
        if T_static is None:  # length unknown when the graph is built: fall back
            return linear_scan(a, b)
        chunk = block_size(T_static)
    a_c, b_c = _chunks(a, b, chunk)  # (B, n, C, u) each
    a_steps = tf.unstack(tf.transpose(a_c, (2, 0, 1, 3)), num=chunk)  # C x (B, n, u)
    b_steps = tf.unstack(tf.transpose(b_c, (2, 0, 1, 3)), num=chunk)  # C x (B, n, u)
    A, h = a_steps[0], b_steps[0]  # (B, n, u) each
    As, hs = [A], [h]
    for a_k, b_k in zip(a_steps[1:], b_steps[1:], strict=True):  # one step after the other
        A, h = a_k * A, a_k * h + b_k  # (B, n, u) each
        As.append(A)
        hs.append(h)
    A_loc = tf.stack(As, axis=2)  # (B, n, C, u)
    h_loc = tf.stack(hs, axis=2)  # (B, n, C, u)
    return _merge_chunks(A_loc, h_loc, tf.shape(a)[1])  # (B, T, u)


def scan(a, b, method: str = DEFAULT_METHOD, chunk: int | None = None):
    """All states of ``h_t = a_t h_{t-1} + b_t`` by ``method`` (one of :data:`SCAN_METHODS`).

    ``chunk`` is the chunk length (``None``: 8 for Hillis-Steele, ``~sqrt(T)`` for blocked).
    """
    if method not in SCAN_METHODS:
        raise ValueError(f"method must be one of {SCAN_METHODS}, got {method!r}")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer))
                              or chunk < 1):
        raise ValueError(f"chunk must be a positive integer (steps per chunk) or None, "
                         f"got {chunk!r}")
    if method == "blocked":
        return blocked_scan(a, b, chunk)
    return linear_scan(a, b, 8 if chunk is None else chunk)


def scan_with_gradient(a, b, chunk: int | None = 8, method: str = DEFAULT_METHOD):
    """:func:`scan` with its backward pass as a reverse-time scan (see the module docstring).

    ``chunk`` is used by ``method="hillis_steele"``; the blocked scan sizes its own chunks.
    """
    hs_chunk = chunk if method == "hillis_steele" else None

    @tf.custom_gradient
    def run(a, b):
        h = scan(a, b, method, hs_chunk)  # (B, T, u)

        def grad(g):  # g = dL/dh (B, T, u)
            a_next = _shift(tf.reverse(a, [1]), 1, 0.0, axis=1)  # reversed a_{t+1}, 0 past the end
            lam = tf.reverse(scan(a_next, tf.reverse(g, [1]), method, hs_chunk), [1])  # (B, T, u)
            h_prev = _shift(h, 1, 0.0, axis=1)  # (B, T, u): h_{t-1}, 0 before the start
            return lam * h_prev, lam

        return h, grad

    return run(a, b)


def _matrix_hillis_steele(A, c):
    """Inclusive scan of ``h = A h_prev + c`` along axis 1 of ``A`` ``(B, n, u, u)``, ``c``
    ``(B, n, u)``: ``(A_cum, h)``; combine ``(A_2 A_1, A_2 c_1 + c_2)``."""
    n = A.shape[1]
    eye = tf.eye(tf.shape(A)[-1], batch_shape=tf.shape(A)[:2], dtype=A.dtype)  # (B, n, u, u)
    k = 1
    while k < n:  # static n: unrolled
        A_prev = tf.concat([eye[:, :k], A[:, :-k]], axis=1)  # (B, n, u, u): element t - k
        c_prev = tf.concat([tf.zeros_like(c[:, :k]), c[:, :-k]], axis=1)  # (B, n, u)
        c = tf.linalg.matvec(A, c_prev) + c  # (B, n, u)
        A = tf.matmul(A, A_prev)  # (B, n, u, u)
        k *= 2
    return A, c


def matrix_scan(A, c, chunk: int | None = None):
    """All states of ``h_t = A_t h_{t-1} + c_t`` (``h_{-1} = 0``) for full matrices ``A``
    ``(B, T, u, u)`` and ``c`` ``(B, T, u)`` (full DEER): blocked like :func:`blocked_scan`, with
    matrix products; ``T`` must be known when the graph is built."""
    T = A.shape[1]
    if T is None:
        raise ValueError("matrix_scan needs a static sequence length T")
    C = block_size(T) if chunk is None else int(chunk)
    n = -(-T // C)  # number of chunks
    u = A.shape[-1]
    B = tf.shape(A)[0]
    eye = tf.eye(u, batch_shape=[B, n * C - T], dtype=A.dtype)  # identity padding steps
    A_c = tf.reshape(tf.concat([A, eye], axis=1), (B, n, C, u, u))  # (B, n, C, u, u)
    c_c = tf.reshape(tf.pad(c, [[0, 0], [0, n * C - T], [0, 0]]), (B, n, C, u))  # (B, n, C, u)
    A_steps, c_steps = tf.unstack(A_c, num=C, axis=2), tf.unstack(c_c, num=C, axis=2)
    A_tot, h = A_steps[0], c_steps[0]  # (B, n, u, u), (B, n, u): each chunk started at 0
    for A_k, c_k in zip(A_steps[1:], c_steps[1:], strict=True):
        A_tot, h = tf.matmul(A_k, A_tot), tf.linalg.matvec(A_k, h) + c_k
    _, H_end = _matrix_hillis_steele(A_tot, h)  # (B, n, u): the state at each chunk's end
    h = tf.concat([tf.zeros_like(H_end[:, :1]), H_end[:, :-1]], axis=1)  # (B, n, u): entering
    hs = []
    for A_k, c_k in zip(A_steps, c_steps, strict=True):  # second pass from the true start
        h = tf.linalg.matvec(A_k, h) + c_k  # (B, n, u)
        hs.append(h)
    return tf.reshape(tf.stack(hs, axis=2), (B, n * C, u))[:, :T]  # (B, T, u)
