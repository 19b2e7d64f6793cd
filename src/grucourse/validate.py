"""Input checks that turn bad data into one clear error message."""

from __future__ import annotations

import numpy as np


def as_float_array(value, name: str) -> np.ndarray:
    """Return ``value`` as a float ndarray, or raise ``TypeError`` naming ``name``."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and other non-arrays
        raise TypeError(f"{name} must be a numeric array, could not convert it: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got complex values")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` contains NaN or infinity."""
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} contains NaN or infinity (first at index {tuple(int(i) for i in bad)})")


def check_sequences(x, d: int | None = None, name: str = "x") -> np.ndarray:
    """Check a batch of sequences of shape ``(batch, time, features)`` and return it as floats."""
    x = as_float_array(x, name)
    if x.ndim != 3:
        raise ValueError(
            f"{name} must have shape (batch, time, features), got {x.ndim}-D shape {x.shape}"
            + ("; add a batch axis with x[None]" if x.ndim == 2 else "")
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} has an empty batch: shape {x.shape}")
    if x.shape[1] == 0:
        raise ValueError(f"{name} holds empty sequences (0 time steps): shape {x.shape}")
    if d is not None and x.shape[2] != d:
        raise ValueError(f"{name} has {x.shape[2]} features per step, the GRU expects d={d}")
    check_finite(x, name)
    return x
