"""Gate widgets: values computed in numpy, animated and explored in the browser.

Two widgets, both `anywidget <https://anywidget.dev>`_ views whose JavaScript
(``gate_widgets.js``) and CSS sit beside this file, so they work live in JupyterLab,
on the static book page (no kernel: the state is saved in the page) and offline:

- :func:`gate_animator` hands ``x_t, z_t, r_t, h~_t, h_t`` for every step (a
  :class:`grucourse.widgets.gate_trace.GateTrace`) to the browser, which draws them as
  heat maps and animates the current step (play/pause, step, speed, time slider, exact readout).
- :func:`gate_playground` hands the *weights* of a tiny GRU to the browser; its sliders change
  gate parameters and a JavaScript GRU step (equal to numpy to 1e-6, tested) recomputes the
  sequence at once, showing how much of a written value survives ``k`` steps later.
"""

from __future__ import annotations

from pathlib import Path

from grucourse.core.gru import GRUParams
from grucourse.validate import as_float_array
from grucourse.widgets.gate_trace import (
    GateTrace,
    check_units,
    gate_trace,
    resolve_gru,
    round_significant,
    trace_payload,
)

import anywidget
import numpy as np
import traitlets

HERE = Path(__file__).parent


class GateAnimator(anywidget.AnyWidget):
    """Heat maps of ``x_t, z_t, r_t, h~_t, h_t`` over time, animated in the browser."""

    _esm = HERE / "gate_widgets.js"
    _css = HERE / "gate_widgets.css"
    kind = traitlets.Unicode("animator").tag(sync=True)
    data = traitlets.Dict().tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)


class GatePlayground(anywidget.AnyWidget):
    """A tiny GRU recomputed in the browser while sliders change its gate parameters."""

    _esm = HERE / "gate_widgets.js"
    _css = HERE / "gate_widgets.css"
    kind = traitlets.Unicode("playground").tag(sync=True)
    params = traitlets.Dict().tag(sync=True)
    controls = traitlets.List().tag(sync=True)
    sequence = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)


def gate_animator(model_or_params, x, units=None, title=None, h0=None, convention: str = "source",
                  speed: int = 10) -> GateAnimator:
    """An animated view of a GRU's gates over one input sequence.

    Parameters
    ----------
    model_or_params : GRUParams, keras.layers.GRU or keras.Model
        The GRU: numpy weights from :mod:`grucourse.core.gru`, a built Keras GRU layer, or a Keras
        model with exactly one GRU layer (found automatically; layers before it are applied to
        ``x``).
    x : array (T, d)
        One input sequence (for a batch ``X`` pass ``X[0]``).
    units : list of int, optional
        Which units to show (default: all, at most 32).
    title : str, optional
        Caption above the widget.
    h0 : array (u,), optional
        Initial state (default zeros, as in Keras).
    convention : "source" or "keras"
        Which update-gate convention the plotted ``z_t`` follows (default: the source chapter's).
    speed : int
        Initial playback speed in steps per second (2, 5, 10, 20 or 40).

    Returns a :class:`GateAnimator` widget; display it as the last expression of a cell.
    Raises ``ValueError`` for mismatched shapes, empty sequences, NaN values or unknown units.

    Example: ``gate_animator(model, X_test[0], units=[0, 1, 2], title="Trained GRU")``.
    """
    params, x_gru = resolve_gru(model_or_params, x)
    trace = gate_trace(params, x_gru, h0=h0, units=units, convention=convention)
    if speed not in (2, 5, 10, 20, 40):
        raise ValueError(f"speed must be one of 2, 5, 10, 20, 40 steps per second, got {speed!r}")
    return animator_from_trace(trace, title=title, speed=speed)


def animator_from_trace(trace: GateTrace, title=None, speed: int = 10) -> GateAnimator:
    """A :class:`GateAnimator` for precomputed values (see :class:`GateTrace`)."""
    data = trace_payload(trace)
    data["speed"] = int(speed)
    return GateAnimator(data=data, title=title or "")


def params_payload(params: GRUParams) -> dict:
    """The weights as JSON lists for the browser's GRU step (``W`` ``(d, u)``, ``U`` ``(u, u)``,
    ``b`` ``(u,)``)."""
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    out = {k: np.asarray(getattr(params, k), dtype=float).tolist()
           for g in "zrh" for k in (f"W_{g}", f"U_{g}", f"b_{g}")}
    out["b_hh"] = None if params.b_hh is None else np.asarray(params.b_hh, dtype=float).tolist()
    out["convention"] = params.convention
    out["reset_after"] = bool(params.reset_after)
    return out


# The hand-set GRU's parameters worth moving (see grucourse.core.handset): name, index, label,
# range.
HANDSET_CONTROLS = [
    {"name": "b_z", "index": [0], "label": "b_z  update-gate bias (low = keep)", "min": -14,
     "max": 4, "step": 0.5},
    {"name": "W_z", "index": [2, 0], "label": "W_z  marker \u2192 update gate", "min": 0,
     "max": 30, "step": 1},
    {"name": "b_r", "index": [0], "label": "b_r  reset-gate bias (high = use past)", "min": -10,
     "max": 12, "step": 0.5},
    {"name": "W_r", "index": [2, 0], "label": "W_r  marker \u2192 reset gate", "min": -30,
     "max": 0, "step": 1},
    {"name": "U_h", "index": [0, 0], "label": "U_h  past state \u2192 candidate", "min": -2,
     "max": 2, "step": 0.1},
]


def gate_playground(params: GRUParams | None = None, x=None, controls=None, marker: int | None = 40,
                    marker_feature: int | None = 2, value_feature: int | None = 0, k: int = 30,
                    unit: int = 0, title=None) -> GatePlayground:
    """Sliders on a tiny GRU's gate parameters, recomputed in the browser by a JavaScript GRU step.

    Defaults: the hand-set GRU of :func:`grucourse.core.handset.reset_at_marker_params` on a
    60-step :func:`grucourse.core.handset.demo_sequence` (value written at step 0, distractors,
    a movable marker). The readout says how much of what was written at step 0 is still in the
    state ``k`` steps later (the state minus the state of the same run with ``value_feature`` zeroed
    at step 0), next to the share the update gate alone keeps, ``prod (1 - z_t)``.
    ``controls`` lists ``{"name", "index", "label", "min", "max", "step"}`` entries naming weights.
    """
    from grucourse.core import handset

    if params is None:
        params = handset.reset_at_marker_params()
    if x is None:
        x = handset.demo_sequence(60, np.random.default_rng(0), marker=None)
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    x = as_float_array(x, "x")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x must be one non-empty sequence of shape (T, d), got shape {x.shape}")
    if x.shape[1] != params.input_size:
        raise ValueError(
            f"x has {x.shape[1]} features per step, the GRU expects d={params.input_size}"
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinity")
    T = x.shape[0]
    if T < 2:
        raise ValueError("x needs at least 2 steps to show anything surviving")
    check_units([unit], params.units)
    controls = HANDSET_CONTROLS if controls is None else list(controls)
    for c in controls:
        try:
            value = getattr(params, c["name"])[tuple(c.get("index", []))]
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise ValueError(f"control {c!r} does not name a weight of the GRU: {exc}") from None
        if not c["min"] <= float(value) <= c["max"]:
            raise ValueError(f"control {c['name']}{c.get('index')} starts at {float(value)}, "
                             f"outside its range [{c['min']}, {c['max']}]")
    if marker_feature is not None and not 0 <= marker_feature < x.shape[1]:
        raise ValueError(f"marker_feature must be a feature index in [0, {x.shape[1]}), "
                         f"got {marker_feature}")
    if value_feature is not None and not 0 <= value_feature < x.shape[1]:
        raise ValueError(f"value_feature must be a feature index in [0, {x.shape[1]}), "
                         f"got {value_feature}")
    if marker is not None and not -1 <= marker < T:
        raise ValueError(f"marker must be a step in [0, {T}) or None, got {marker}")
    if not 1 <= k < T:
        raise ValueError(f"k must be in [1, {T}), got {k}")
    sequence = {"x": round_significant(x, 6).tolist(), "marker_feature": marker_feature,
                "marker": -1 if marker is None else int(marker), "k": int(k), "unit": int(unit),
                "write_step": 0, "value_feature": value_feature}
    return GatePlayground(params=params_payload(params), controls=controls, sequence=sequence,
                          title=title or "")
