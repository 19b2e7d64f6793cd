"""Multinomial logistic regression in numpy (fitted with scipy's L-BFGS): the order-blind baseline
of the language and speech chapters, plus accuracy and the confusion matrix.

Model: ``p(y = k | x) = softmax(x W + b)_k``; loss: mean cross-entropy ``+ l2/2 ||W||^2``.
"""

from __future__ import annotations

from dataclasses import dataclass

from grucourse.validate import as_float_array, check_finite

import numpy as np


@dataclass(frozen=True)
class LogisticModel:
    W: np.ndarray  # (p, K)
    b: np.ndarray  # (K,)
    mean: np.ndarray  # (p,) feature standardisation fitted on the training set
    std: np.ndarray  # (p,)

    def predict_proba(self, X) -> np.ndarray:
        X = _check_X(X, self.W.shape[0])
        logits = ((X - self.mean) / self.std) @ self.W + self.b  # (n, K)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)  # (n, K)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)  # (n,)


def _check_X(X, p: int | None = None) -> np.ndarray:
    X = as_float_array(X, "X")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty matrix of shape (n, features), got {X.shape}")
    if p is not None and X.shape[1] != p:
        raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {p}")
    check_finite(X, "X")
    return X


def _check_labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers 0..K-1, got dtype {y.dtype}")
    if y.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {y.shape}")
    if y.min() < 0:
        raise ValueError("labels must be >= 0")
    return y


def fit_logistic(X, y, l2: float = 1e-2, n_classes: int | None = None,
                 max_iter: int = 500) -> LogisticModel:
    """Fit multinomial logistic regression on standardised features; returns a
    :class:`LogisticModel`.

    L-BFGS stops after ``max_iter`` iterations at most (fewer when it converges).
    """
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    X = _check_X(X)
    y = _check_labels(y, X.shape[0])
    K = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if K < 2:
        raise ValueError("need at least 2 classes")
    mean, std = X.mean(axis=0), X.std(axis=0)  # (p,)
    std = np.where(std > 0, std, 1.0)
    Z = (X - mean) / std  # (n, p)
    n, p = Z.shape
    Y = np.eye(K)[y]  # (n, K) one-hot

    def loss_grad(theta):
        W, b = theta[: p * K].reshape(p, K), theta[p * K :]  # (p, K), (K,)
        logits = Z @ W + b  # (n, K)
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))  # (n, K)
        loss = -(Y * logp).sum() / n + 0.5 * l2 * (W**2).sum()
        G = (np.exp(logp) - Y) / n  # (n, K) d loss / d logits
        return loss, np.concatenate([(Z.T @ G + l2 * W).ravel(), G.sum(axis=0)])

    # Small matrices: one BLAS thread is faster, and far faster on a busy machine
    # (no thread spinning).
    with threadpool_limits(limits=1, user_api="blas"):
        res = minimize(loss_grad, np.zeros(p * K + K), jac=True, method="L-BFGS-B",
                       options={"maxiter": max_iter})
    return LogisticModel(W=res.x[: p * K].reshape(p, K), b=res.x[p * K :], mean=mean, std=std)


def accuracy(y_true, y_pred) -> float:
    """Fraction of equal labels."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"need two non-empty label arrays of equal length, "
                         f"got {y_true.shape} and {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of examples of true class ``i`` predicted as ``j``; shape (K, K)."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"need two non-empty label arrays of equal length, "
                         f"got {y_true.shape} and {y_pred.shape}")
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (y_true, y_pred), 1)
    return C
