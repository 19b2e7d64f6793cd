"""Input checks that turn bad data into one clear error message."""

from __future__ import annotations

import types

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
        raise ValueError(
            f"{name} contains NaN or infinity (first at index {tuple(int(i) for i in bad)})"
        )


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


def check_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an ``int``, or raise ``ValueError`` unless it is an integer
    ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_int_list(values, name: str, minimum: int) -> list[int]:
    """One integer or a list of distinct integers ``>= minimum``, as a list of ``int``."""
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    values = list(values)
    if not values:
        raise ValueError(f"{name} is empty: give at least one integer >= {minimum}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
            raise ValueError(f"{name} must hold integers >= {minimum}, got {v!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} has repeated values: {values}")
    return [int(v) for v in values]


def check_rng(rng) -> np.random.Generator:
    """Return ``rng``, or raise ``TypeError`` unless it is a numpy ``Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )
    return rng


def refers_to(fn, target, name: str) -> bool:
    """Whether the function ``fn`` uses the object ``target``, called ``name`` where it lives: by
    a global name or alias, as ``module.name``, in a nested function or lambda, or through a
    helper defined next to ``fn`` that does (a checker asks it whether an answer calls the
    course's own solution)."""
    seen, todo = set(), [fn]
    while todo:
        f = todo.pop()
        code = getattr(f, "__code__", None)
        if code is None or id(f) in seen:
            continue
        seen.add(id(f))
        scope = getattr(f, "__globals__", {})
        if any(_cell_value(c) is target for c in f.__closure__ or ()):
            return True
        codes = [code]
        while codes:
            c = codes.pop()
            codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
            for n in c.co_names:
                obj = scope.get(n, _UNBOUND)
                if obj is target or (n == name and obj is _UNBOUND):
                    return True
                if isinstance(obj, types.FunctionType) and obj.__globals__ is scope:
                    todo.append(obj)  # a helper the learner wrote next to it
    return False


_UNBOUND = object()


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # a closure variable not assigned yet
        return _UNBOUND
