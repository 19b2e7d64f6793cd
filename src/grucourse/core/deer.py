"""DEER and quasi-DEER: the nonlinear GRU solved for all time steps at once by Newton's method.

Numpy reference of chapter 25. The GRU is ``keras.layers.GRU`` with ``reset_after=True`` in the
Keras convention (weights from :func:`grucourse.core.gru_keras.from_keras`)::

    z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z)          r_t = sigmoid(x_t W_r + h_{t-1} U_r + b_r)
    q_t = h_{t-1} U_h + b_hh                            n_t = tanh(x_t W_h + b_h + r_t * q_t)
    h_t = f(h_{t-1}, x_t) = z_t * h_{t-1} + (1 - z_t) * n_t

Its step Jacobian ``J_t[i, j] = dh_t[i] / dh_{t-1}[j]`` (row-vector layout, so ``U[j, i]``)::

    J_t = diag(z) + diag((h_{t-1} - n) z (1 - z)) U_z^T
          + diag((1 - z)(1 - n^2) r (1 - r) q) U_r^T + diag((1 - z)(1 - n^2) r) U_h^T

DEER (Lim et al. 2024, arXiv:2309.12252, section 3) linearises every step at the current guess
``H`` and solves ``h_t = J_t h_{t-1} + (f(H_{t-1}, x_t) - J_t H_{t-1})``, a linear recurrence,
i.e. a scan with elements ``(J_t, c_t)``. Quasi-DEER (Gonzalez et al. 2024, arXiv:2407.19115,
section 4.1) keeps only ``diag(J_t)``, so the scan elements are vectors as in minGRU.
Either way position ``t`` is exact after at most ``t`` iterations (``h_0`` is known, so step 1 is
exact after one iteration, and so on). A trust region keeps the iterates inside the box
``[-1, 1]`` where every GRU state lives (``|h_t| <= 1`` for ``|h_0| <= 1``: ``h_t`` mixes
``h_{t-1}`` and a ``tanh``), and ``damping`` shrinks the Jacobian (``A_t = J_t / (1 + damping)``),
moving from Newton (0) towards the fixed-point iteration ``h_t = f(H_{t-1})`` (infinity): the
simplest form of the idea behind ELK (Gonzalez et al. 2024, section 4.2).

ELK proper (``elk = lambda > 0``, quasi only: "quasi-ELK", Gonzalez et al. 2024, sections 4.2-4.3)
damps Newton with a Levenberg-Marquardt term: each iteration minimises over ``h_1..h_T``::

    sum_t ||h_t - A_t h_{t-1} - c_t||^2 + lambda sum_t ||h_t - H_t||^2       (H: current guess)

For diagonal ``A_t`` every unit is a scalar linear-Gaussian state-space model (dynamics
``h_t = A_t h_{t-1} + c_t`` with noise variance 1, "observations" ``H_t`` with variance
``1 / lambda``), and the minimiser is its Kalman smoother's mean (:func:`kalman_smoother`).
``lambda = 0`` is (quasi-)Newton; ``lambda -> infinity`` leaves the guess unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from grucourse.core.gru import GRUParams, convert_convention, prepare_run

import numpy as np

DEER_METHODS = ("full", "quasi")


def _keras_params(params) -> GRUParams:
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams (e.g. from_keras(layer)), "
                        f"got {type(params).__name__}")
    if not params.reset_after:
        raise ValueError("DEER here follows keras.layers.GRU with reset_after=True: "
                         "pass params with reset_after=True")
    return convert_convention(params, "keras")


def step_parts(params: GRUParams, XW, h_prev):
    """One GRU step for many positions at once: the gates and ``f`` at ``h_prev``.

    ``XW`` ``(..., 3u)`` is ``x_t [W_z|W_r|W_h] + [b_z|b_r|b_h]``; ``h_prev`` ``(..., u)``.
    Returns a dict of ``z, r, q, n, f``, each ``(..., u)``.
    """
    p = _keras_params(params)
    u = p.units
    hU = h_prev @ np.concatenate([p.U_z, p.U_r, p.U_h], axis=1)  # (..., u) @ (u, 3u) -> (..., 3u)
    z = 1.0 / (1.0 + np.exp(-(XW[..., :u] + hU[..., :u])))  # (..., u)
    r = 1.0 / (1.0 + np.exp(-(XW[..., u:2 * u] + hU[..., u:2 * u])))  # (..., u)
    q = hU[..., 2 * u:] + p.b_hh  # (..., u)
    n = np.tanh(XW[..., 2 * u:] + r * q)  # (..., u)
    return {"z": z, "r": r, "q": q, "n": n, "f": z * h_prev + (1.0 - z) * n}


def _coefficients(parts, h_prev):
    """The three row scalings ``c_z, c_r, c_h`` ``(..., u)`` of the Jacobian (module docstring)."""
    z, r, q, n = parts["z"], parts["r"], parts["q"], parts["n"]
    dn = (1.0 - z) * (1.0 - n**2)  # (..., u): dh/dn * dn/d(pre-activation)
    return (h_prev - n) * z * (1.0 - z), dn * r * (1.0 - r) * q, dn * r  # (..., u) each


def step_jacobian(params: GRUParams, XW, h_prev, diagonal: bool = False):
    """``J_t = dh_t / dh_{t-1}`` at ``h_prev`` ``(..., u)``: ``(..., u, u)``, or its diagonal
    ``(..., u)`` with ``diagonal=True`` (the formula in the module docstring)."""
    p = _keras_params(params)
    parts = step_parts(p, XW, h_prev)
    c_z, c_r, c_h = _coefficients(parts, h_prev)  # (..., u) each
    if diagonal:
        return (parts["z"] + c_z * np.diag(p.U_z) + c_r * np.diag(p.U_r)
                + c_h * np.diag(p.U_h))  # (..., u)
    J = (c_z[..., :, None] * p.U_z.T + c_r[..., :, None] * p.U_r.T
         + c_h[..., :, None] * p.U_h.T)  # (..., u, u): row i scaled by c[i]
    idx = np.arange(p.units)
    J[..., idx, idx] += parts["z"]  # + diag(z)
    return J


def linear_recurrence(A, c, h0):
    """The states of ``h_t = A_t h_{t-1} + c_t`` (reference loop): ``A`` ``(B, T, u)`` (diagonal)
    or ``(B, T, u, u)`` (full), ``c`` ``(B, T, u)``, ``h0`` ``(B, u)``; returns ``(B, T, u)``."""
    H = np.empty_like(c)  # (B, T, u)
    h = h0  # (B, u)
    for t in range(c.shape[1]):
        if A.ndim == 3:
            h = A[:, t] * h + c[:, t]  # (B, u)
        else:
            h = np.einsum("bij,bj->bi", A[:, t], h) + c[:, t]  # (B, u, u) @ (B, u) -> (B, u)
        H[:, t] = h
    return H


def kalman_smoother(A, c, h0, H_obs, lam: float):
    """Quasi-ELK's step: the minimiser over ``h_1..h_T`` of (module docstring)
    ``sum_t (h_t - A_t h_{t-1} - c_t)^2 + lam sum_t (h_t - H_obs_t)^2`` for each unit.

    ``A``, ``c``, ``H_obs`` ``(B, T, u)`` (diagonal Jacobians), ``h0`` ``(B, u)`` known exactly,
    ``lam > 0``. A Kalman filter forward (Gonzalez et al. 2024, section 4.2) and a
    Rauch-Tung-Striebel pass backward; returns ``(B, T, u)``.
    """
    m = np.empty_like(c)  # (B, T, u): filtered means
    P = np.empty_like(c)  # (B, T, u): filtered variances
    m_pred = np.empty_like(c)  # (B, T, u): predicted means
    P_pred = np.empty_like(c)  # (B, T, u): predicted variances
    m_t, P_t = h0, np.zeros_like(h0)  # (B, u) each: h_0 is known exactly
    for t in range(c.shape[1]):
        m_pred[:, t] = A[:, t] * m_t + c[:, t]  # (B, u)
        P_pred[:, t] = A[:, t] ** 2 * P_t + 1.0  # (B, u): dynamics noise variance 1
        gain = lam * P_pred[:, t] / (lam * P_pred[:, t] + 1.0)  # (B, u): observation var 1/lam
        m_t = m_pred[:, t] + gain * (H_obs[:, t] - m_pred[:, t])  # (B, u)
        P_t = (1.0 - gain) * P_pred[:, t]  # (B, u)
        m[:, t], P[:, t] = m_t, P_t
    S = m.copy()  # (B, T, u): smoothed means; the last one is the filtered one
    for t in range(c.shape[1] - 2, -1, -1):
        G = P[:, t] * A[:, t + 1] / P_pred[:, t + 1]  # (B, u): smoother gain
        S[:, t] = m[:, t] + G * (S[:, t + 1] - m_pred[:, t + 1])  # (B, u)
    return S


@dataclass(frozen=True)
class DeerResult:
    """The solution ``states`` ``(B, T, u)``, the number of Newton ``iterations``, the largest
    change of each iteration (``changes``) and, when asked for, every iterate (``iterates``
    ``(K, B, T, u)``, the start guess first)."""

    states: np.ndarray
    iterations: int
    converged: bool
    changes: tuple
    iterates: np.ndarray | None = None


def deer(x, params: GRUParams, method: str = "quasi", h0=None, tol: float = 1e-6,
         max_iter: int | None = None, damping: float = 0.0, clip: bool = True,
         keep_iterates: bool = False, elk: float = 0.0) -> DeerResult:
    """Solve the GRU over ``x`` ``(B, T, d)`` by (quasi-)DEER Newton iterations.

    ``method`` ``"full"`` (``u x u`` Jacobians) or ``"quasi"`` (their diagonal); stops when no
    state changes by more than ``tol`` or after ``max_iter`` iterations (default ``T + 1``, enough
    in exact arithmetic). ``damping >= 0`` and ``clip`` are the safeguards of the module docstring.
    ``elk = lambda > 0`` (quasi only) makes each iteration quasi-ELK's Levenberg-Marquardt step;
    since such steps can be small far from the solution, it stops on the equation's residual
    ``max |h_t - f(h_{t-1}, x_t)| <= tol`` instead of on the change.
    """
    if method not in DEER_METHODS:
        raise ValueError(f"method must be one of {DEER_METHODS}, got {method!r}")
    if not np.isfinite(damping) or damping < 0:
        raise ValueError(f"damping must be a finite number >= 0, got {damping!r}")
    if not np.isfinite(elk) or elk < 0:
        raise ValueError(f"elk (the Levenberg-Marquardt weight lambda) must be a finite "
                         f"number >= 0, got {elk!r}")
    if elk > 0 and method != "quasi":
        raise ValueError("elk > 0 is quasi-ELK, with diagonal Jacobians: use method='quasi'")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    p = _keras_params(params)
    x, h0, W, b = prepare_run(x, p, h0)  # (B, T, d), (B, u), (d, 3u), (3u,)
    B, T, _ = x.shape
    max_iter = T + 1 if max_iter is None else int(max_iter)
    if max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    XW = x @ W + b  # (B, T, d) @ (d, 3u) -> (B, T, 3u)
    H = np.zeros((B, T, p.units), dtype=XW.dtype)  # (B, T, u): the start guess
    iterates, changes = [H], []
    converged = False
    for _ in range(max_iter):
        H_prev = np.concatenate([h0[:, None], H[:, :-1]], axis=1)  # (B, T, u): guess of h_{t-1}
        f = step_parts(p, XW, H_prev)["f"]  # (B, T, u)
        A = step_jacobian(p, XW, H_prev, diagonal=method == "quasi") / (1.0 + damping)
        if method == "quasi":
            c = f - A * H_prev  # (B, T, u)
        else:
            c = f - np.einsum("btij,btj->bti", A, H_prev)  # (B, T, u)
        if elk > 0:
            H_new = kalman_smoother(A, c, h0, H, elk)  # (B, T, u)
        else:
            H_new = linear_recurrence(A, c, h0)  # (B, T, u)
        if clip:
            H_new = np.clip(H_new, -1.0, 1.0)  # trust region: the box of GRU states
        change = float(np.max(np.abs(H_new - H))) if np.all(np.isfinite(H_new)) else np.inf
        changes.append(change)
        H = H_new
        if keep_iterates:
            iterates.append(H)
        if elk > 0 and np.isfinite(change):  # the residual of h_t = f(h_{t-1}, x_t)
            H_prev = np.concatenate([h0[:, None], H[:, :-1]], axis=1)  # (B, T, u)
            change = float(np.max(np.abs(H - step_parts(p, XW, H_prev)["f"])))
        if change <= tol:
            converged = True
            break
        if not np.isfinite(change):
            break
    return DeerResult(states=H, iterations=len(changes), converged=converged,
                      changes=tuple(changes),
                      iterates=np.stack(iterates) if keep_iterates else None)


def exact_prefix(iterates, states, tol: float = 1e-5) -> np.ndarray:
    """For each iterate ``(K, B, T, u)``: how many leading positions agree with ``states``
    ``(B, T, u)`` to ``tol`` in every batch row and unit; ``(K,)`` integers."""
    iterates = np.asarray(iterates)
    ok = np.all(np.abs(iterates - states[None]) <= tol, axis=(1, 3))  # (K, T)
    first_bad = np.where(ok.all(axis=1), ok.shape[1], np.argmin(ok, axis=1))  # (K,)
    return first_bad.astype(int)
