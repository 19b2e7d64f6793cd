"""The course's gate animator on a minGRU: ``z_t``, ``h~_t`` and ``h_t`` (no reset gate, so no r
row).

The values are computed in numpy (:mod:`grucourse.core.mingru`, source convention: ``z`` near 0
keeps the past) and drawn by the same browser widget as the GRU's
(:class:`grucourse.widgets.gate_animator.GateAnimator`), which leaves out the r row when the
payload has none.
"""

from __future__ import annotations

from grucourse.core.mingru import MinGRUParams, coefficients, mingru_loop
from grucourse.validate import as_float_array
from grucourse.widgets.gate_animator import GateAnimator
from grucourse.widgets.gate_trace import GateTrace, check_units, trace_payload

import numpy as np


def mingru_trace(params: MinGRUParams, x, units=None) -> dict:
    """``x`` ``(T, d)``, and ``z``, ``h_tilde``, ``h`` ``(T, n)`` for the chosen units of one
    sequence."""
    if not isinstance(params, MinGRUParams):
        raise TypeError(f"params must be a MinGRUParams, got {type(params).__name__}")
    x = as_float_array(x, "x")
    if x.ndim != 2:
        raise ValueError(f"x must be one sequence of shape (T, d), got shape {x.shape}")
    chosen = check_units(units, params.units)
    a, b = coefficients(x[None], params)  # (1, T, u) each
    z = 1.0 - a[0]  # (T, u)
    h_tilde = np.divide(b[0], z)  # (T, u): b = z h~, and z = sigmoid(.) > 0
    h = mingru_loop(x[None], params)[0]  # (T, u)
    return {"x": x, "z": z[:, chosen], "h_tilde": h_tilde[:, chosen], "h": h[:, chosen],
            "units": tuple(chosen)}


def mingru_animator(params: MinGRUParams, x, units=None, title=None,
                    speed: int = 10) -> GateAnimator:
    """The gate animator for a minGRU on one sequence ``x`` ``(T, d)``: rows ``x, z, h~, h``."""
    t = mingru_trace(params, x, units)
    # GateTrace checks shapes and finiteness; its r is a placeholder removed from the payload below
    trace = GateTrace(x=t["x"], z=t["z"], r=np.zeros_like(t["z"]), h_tilde=t["h_tilde"], h=t["h"],
                      units=t["units"])
    data = trace_payload(trace)
    del data["r"]  # minGRU has no reset gate: the widget draws no r row
    data["note"] = data["note"].replace("Convention: source", "minGRU, convention: source")
    data["speed"] = int(speed)
    return GateAnimator(data=data, title=title or "")
