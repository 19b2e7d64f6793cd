"""Gate widgets: values computed here in numpy, animated and explored in the browser.

Two widgets, both `anywidget <https://anywidget.dev>`_ views whose JavaScript
(``gate_widgets.js``) and CSS ship inside this package, so they work live in JupyterLab,
on the static book page (no kernel: the state is saved in the page) and offline:

- :func:`gate_animator` runs a GRU over one sequence with :func:`grucourse.gru.gru_forward`
  and hands ``x_t, z_t, r_t, h~_t, h_t`` for every step to the browser, which draws them as
  heat maps and animates the current step (play/pause, step, speed, time slider, exact readout).
- :func:`gate_playground` hands the *weights* of a tiny GRU to the browser; its sliders change
  gate parameters and a JavaScript GRU step (equal to numpy to 1e-6, tested) recomputes the
  sequence at once, showing how much of a written value survives ``k`` steps later.

The values shown follow the source chapter's convention by default,
``h_t = (1 - z_t) h_{t-1} + z_t h~_t`` (``z ~ 0`` keeps the past); pass ``convention="keras"``
to show Keras's own ``z`` (``z ~ 1`` keeps the past).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grucourse.gru import GRUParams, convert_convention, from_keras, gru_forward
from grucourse.validate import as_float_array

import anywidget
import numpy as np
import traitlets

HERE = Path(__file__).parent
QUANTITIES = ("x", "z", "r", "h_tilde", "h")
MAX_STEPS = 2000  # longer sequences make pages heavy; slice the sequence first
MAX_UNITS = 32  # more rows than this are unreadable; pick some with units=[...]
MAX_INPUTS = 32  # only the first MAX_INPUTS input features are drawn


@dataclass(frozen=True)
class GateTrace:
    """Per-step values of one sequence: ``x`` ``(T, d)``; ``z, r, h_tilde, h`` ``(T, n)`` for ``units``."""

    x: np.ndarray
    z: np.ndarray
    r: np.ndarray
    h_tilde: np.ndarray
    h: np.ndarray
    units: tuple[int, ...]
    convention: str = "source"

    def __post_init__(self):
        for name in QUANTITIES:
            arr = as_float_array(getattr(self, name), name)
            if arr.ndim != 2:
                raise ValueError(f"{name} must be a 2-D (time, columns) array, got shape {arr.shape}")
            if not np.all(np.isfinite(arr)):
                t, i = (int(v) for v in np.argwhere(~np.isfinite(arr))[0])
                raise ValueError(f"{name} contains NaN or infinity (first at step {t}, column {i}): "
                                 "the widget can only draw finite values")
            object.__setattr__(self, name, arr)
        T = self.x.shape[0]
        if T == 0:
            raise ValueError("the sequence is empty (0 time steps): pass at least one step")
        if T > MAX_STEPS:
            raise ValueError(f"the sequence has {T} steps; at most {MAX_STEPS} are drawn: pass x[:{MAX_STEPS}]")
        units = tuple(int(u) for u in self.units)
        if len(units) == 0:
            raise ValueError("units is empty: select at least one unit")
        for name in ("z", "r", "h_tilde", "h"):
            shape = getattr(self, name).shape
            if shape != (T, len(units)):
                raise ValueError(f"{name} has shape {shape}, expected (T, units) = ({T}, {len(units)}) "
                                 "to match x and units")
        if self.convention not in ("source", "keras"):
            raise ValueError(f"convention must be 'source' or 'keras', got {self.convention!r}")
        object.__setattr__(self, "units", units)


def _check_units(units, u: int) -> list[int]:
    if units is None:
        if u > MAX_UNITS:
            raise ValueError(f"the GRU has {u} units; pass units=[...] with at most {MAX_UNITS} of them")
        return list(range(u))
    if isinstance(units, (int, np.integer)) and not isinstance(units, bool):
        units = [units]
    try:
        chosen = list(units)
    except TypeError:
        raise TypeError(f"units must be a list of unit indices, got {type(units).__name__}") from None
    if not chosen:
        raise ValueError("units is empty: select at least one unit, e.g. units=[0]")
    for i in chosen:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"unit indices must be integers, got {i!r}")
        if not 0 <= i < u:
            raise ValueError(f"unknown unit index {i}: this GRU has units 0..{u - 1}")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"units has repeated indices: {chosen}")
    if len(chosen) > MAX_UNITS:
        raise ValueError(f"{len(chosen)} units selected; at most {MAX_UNITS} can be drawn")
    return [int(i) for i in chosen]


def gate_trace(params: GRUParams, x, h0=None, units=None, convention: str = "source") -> GateTrace:
    """Run the GRU over one sequence ``x`` ``(T, d)`` and keep every step's gate values.

    Computes, for ``t = 0..T-1`` (see :mod:`grucourse.gru`),
    ``z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z)``, ``r_t = sigmoid(x_t W_r + h_{t-1} U_r + b_r)``,
    ``h~_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)`` and
    ``h_t = (1 - z_t) h_{t-1} + z_t h~_t`` (source convention; Keras's ``z`` is ``1 - z``).
    With ``params.reset_after`` (Keras's default) the candidate is
    ``h~_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b_hh))``, exactly as :func:`grucourse.gru.gru_forward`.
    ``h0`` is the initial state ``(u,)``; ``units`` selects which units to keep (default: all).
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    if convention not in ("source", "keras"):
        raise ValueError(f"convention must be 'source' or 'keras', got {convention!r}")
    x = as_float_array(x, "x")
    if x.ndim != 2:
        hint = "; pass one sequence such as X[0]" if x.ndim == 3 else ""
        raise ValueError(f"x must be one sequence of shape (T, d), got shape {x.shape}{hint}")
    if x.shape[0] == 0:
        raise ValueError("x is an empty sequence (0 time steps): pass at least one step")
    if x.shape[1] != params.input_size:
        raise ValueError(f"x has {x.shape[1]} features per step, the GRU expects d={params.input_size}")
    chosen = _check_units(units, params.units)
    if h0 is not None:
        h0 = as_float_array(h0, "h0")
        if h0.shape != (params.units,):
            raise ValueError(f"h0 has shape {h0.shape}, expected ({params.units},)")
        h0 = h0[None]  # (1, u)
    p = convert_convention(params, convention)
    _, gates = gru_forward(x[None], p, h0=h0, return_gates=True)  # each (1, T, u)
    picked = {k: gates[k][0][:, chosen] for k in ("z", "r", "h_tilde", "h")}  # each (T, n)
    return GateTrace(x=x, units=tuple(chosen), convention=convention, **picked)


def round_significant(a: np.ndarray, digits: int = 4) -> np.ndarray:
    """Round every entry of ``a`` to ``digits`` significant digits (keeps pages small)."""
    a = np.asarray(a, dtype=np.float64)
    mag = np.floor(np.log10(np.abs(a), where=a != 0, out=np.zeros_like(a)))  # (...,) exponent of each entry
    scale = 10.0 ** (digits - 1 - mag)  # (...,)
    return np.round(a * scale) / scale


def trace_payload(trace: GateTrace, digits: int = 4) -> dict:
    """The JSON the animator's front end draws: ``T``, ``units`` and the arrays as rounded lists."""
    if not isinstance(trace, GateTrace):
        raise TypeError(f"trace must be a GateTrace, got {type(trace).__name__}")
    x = trace.x[:, :MAX_INPUTS]  # (T, min(d, MAX_INPUTS))
    data = {"T": int(trace.x.shape[0]), "units": list(trace.units), "convention": trace.convention}
    data["x"] = round_significant(x, digits).tolist()
    for k in ("z", "r", "h_tilde", "h"):
        data[k] = round_significant(getattr(trace, k), digits).tolist()
    keep = "z near 0 keeps the past" if trace.convention == "source" else "z near 1 keeps the past"
    data["note"] = f"Convention: {trace.convention} ({keep}). Values rounded to {digits} significant digits."
    if trace.x.shape[1] > MAX_INPUTS:
        data["note"] += f" Only the first {MAX_INPUTS} of {trace.x.shape[1]} input features are drawn."
    return data


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


def _all_layers(layer):
    for sub in getattr(layer, "layers", []):
        yield sub
        yield from _all_layers(sub)


def resolve_gru(model_or_params, x):
    """Return ``(GRUParams, x_gru)``: the GRU's weights and the sequence its input receives.

    ``model_or_params`` is a :class:`GRUParams`, a built ``keras.layers.GRU``, or a Keras model
    holding exactly one GRU layer (if layers come before it, ``x`` is run through them).
    """
    if isinstance(model_or_params, GRUParams):
        return model_or_params, x
    if not type(model_or_params).__module__.startswith("keras"):
        raise TypeError("model_or_params must be a GRUParams, a keras.layers.GRU or a Keras model, "
                        f"got {type(model_or_params).__name__}")
    import keras

    obj = model_or_params
    if isinstance(obj, keras.layers.GRU):
        layer = obj
    elif isinstance(obj, keras.Model):
        grus = [lay for lay in _all_layers(obj) if isinstance(lay, keras.layers.GRU)]
        if not grus:
            kinds = sorted({type(lay).__name__ for lay in _all_layers(obj)} - {"InputLayer"})
            raise ValueError(f"the model has no GRU layer (its layers: {', '.join(kinds) or 'none'}); the gate "
                             "widgets show a GRU's update and reset gates, so pass a model with one "
                             "keras.layers.GRU (an LSTM or SimpleRNN has other gates, or none)")
        if len(grus) > 1:
            names = ", ".join(repr(g.name) for g in grus)
            raise ValueError(f"the model has {len(grus)} GRU layers ({names}); pass the one to show, e.g. "
                             f"gate_animator(model.get_layer({grus[0].name!r}), x) with that layer's input")
        layer = grus[0]
    else:
        raise TypeError(f"expected a keras.layers.GRU or a keras.Model, got {type(obj).__name__}")
    if layer.go_backwards:
        raise ValueError("GRU layers with go_backwards=True are not supported")
    params = from_keras(layer)
    if isinstance(obj, keras.Model) and layer.input is not obj.inputs[0]:
        x = as_float_array(x, "x")
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(f"x must be one non-empty sequence of shape (T, d), got shape {x.shape}")
        try:
            inputs = obj.inputs[0] if len(obj.inputs) == 1 else obj.inputs
            before = keras.Model(inputs, layer.input)  # the layers in front of the GRU
            x = np.asarray(before(x[None].astype("float32")))[0]  # (T, d_gru)
        except Exception as exc:  # nested or multi-input models
            raise ValueError(f"could not compute the GRU's input from the model's input: {exc}; "
                             "pass the GRU layer and its input sequence instead") from None
    return params, x


def gate_animator(model_or_params, x, units=None, title=None, h0=None, convention: str = "source",
                  speed: int = 10) -> GateAnimator:
    """An animated view of a GRU's gates over one input sequence.

    Parameters
    ----------
    model_or_params : GRUParams, keras.layers.GRU or keras.Model
        The GRU: numpy weights from :mod:`grucourse.gru`, a built Keras GRU layer, or a Keras
        model with exactly one GRU layer (found automatically; layers before it are applied to ``x``).
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
    """The weights as JSON lists for the browser's GRU step (``W`` ``(d, u)``, ``U`` ``(u, u)``, ``b`` ``(u,)``)."""
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    out = {k: np.asarray(getattr(params, k), dtype=float).tolist()
           for g in "zrh" for k in (f"W_{g}", f"U_{g}", f"b_{g}")}
    out["b_hh"] = None if params.b_hh is None else np.asarray(params.b_hh, dtype=float).tolist()
    out["convention"] = params.convention
    out["reset_after"] = bool(params.reset_after)
    return out


# The hand-set GRU's parameters worth moving (see grucourse.handset): name, index, label, range.
HANDSET_CONTROLS = [
    {"name": "b_z", "index": [0], "label": "b_z  update-gate bias (low = keep)", "min": -14, "max": 4, "step": 0.5},
    {"name": "W_z", "index": [2, 0], "label": "W_z  marker \u2192 update gate", "min": 0, "max": 30, "step": 1},
    {"name": "b_r", "index": [0], "label": "b_r  reset-gate bias (high = use past)", "min": -10, "max": 12,
     "step": 0.5},
    {"name": "W_r", "index": [2, 0], "label": "W_r  marker \u2192 reset gate", "min": -30, "max": 0, "step": 1},
    {"name": "U_h", "index": [0, 0], "label": "U_h  past state \u2192 candidate", "min": -2, "max": 2, "step": 0.1},
]


def gate_playground(params: GRUParams | None = None, x=None, controls=None, marker: int | None = 40,
                    marker_feature: int | None = 2, value_feature: int | None = 0, k: int = 30, unit: int = 0,
                    title=None) -> GatePlayground:
    """Sliders on a tiny GRU's gate parameters, recomputed in the browser by a JavaScript GRU step.

    Defaults: the hand-set GRU of :func:`grucourse.handset.reset_at_marker_params` on a
    60-step :func:`grucourse.handset.demo_sequence` (value written at step 0, distractors,
    a movable marker). The readout says how much of what was written at step 0 is still in the
    state ``k`` steps later (the state minus the state of the same run with ``value_feature`` zeroed
    at step 0), next to the share the update gate alone keeps, ``prod (1 - z_t)``.
    ``controls`` lists ``{"name", "index", "label", "min", "max", "step"}`` entries naming weights.
    """
    from grucourse import handset

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
        raise ValueError(f"x has {x.shape[1]} features per step, the GRU expects d={params.input_size}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinity")
    T = x.shape[0]
    if T < 2:
        raise ValueError("x needs at least 2 steps to show anything surviving")
    _check_units([unit], params.units)
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
        raise ValueError(f"marker_feature must be a feature index in [0, {x.shape[1]}), got {marker_feature}")
    if value_feature is not None and not 0 <= value_feature < x.shape[1]:
        raise ValueError(f"value_feature must be a feature index in [0, {x.shape[1]}), got {value_feature}")
    if marker is not None and not -1 <= marker < T:
        raise ValueError(f"marker must be a step in [0, {T}) or None, got {marker}")
    if not 1 <= k < T:
        raise ValueError(f"k must be in [1, {T}), got {k}")
    sequence = {"x": round_significant(x, 6).tolist(), "marker_feature": marker_feature,
                "marker": -1 if marker is None else int(marker), "k": int(k), "unit": int(unit), "write_step": 0,
                "value_feature": value_feature}
    return GatePlayground(params=params_payload(params), controls=controls, sequence=sequence, title=title or "")


def plot_gate_trace(trace: GateTrace, title: str, units=None, events=None, axes=None):
    """Static figure of a trace: gates ``z_t, r_t`` (top) and ``h~_t, h_t`` (bottom) against time.

    ``units`` picks columns of the trace (default: all); ``events`` maps a label to a step drawn
    as a dashed vertical line (e.g. ``{"write": 0, "marker": 40}``). Returns the figure.
    """
    from grucourse.plots import GATE_COLORS, STEP_LABEL, integer_steps, label

    import matplotlib.pyplot as plt

    if not isinstance(trace, GateTrace):
        raise TypeError(f"trace must be a GateTrace, got {type(trace).__name__}")
    cols = list(range(len(trace.units))) if units is None else [trace.units.index(u) for u in units]
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(7.2, 4.8), sharex=True)
    fig = axes[0].figure
    t = np.arange(trace.x.shape[0])  # (T,)
    many = len(cols) > 1
    for panel, keys in zip(axes, (("z", "r"), ("h_tilde", "h")), strict=True):
        for key in keys:
            name = {"z": "$z_t$ update", "r": "$r_t$ reset", "h_tilde": r"$\tilde{h}_t$ candidate",
                    "h": "$h_t$ state"}[key]
            values = getattr(trace, key)[:, cols]  # (T, n)
            for j in range(values.shape[1]):
                panel.plot(t, values[:, j], color=GATE_COLORS[key], lw=2.0 if key == "h" else 1.3,
                           ls="--" if key == "h_tilde" else "-", alpha=0.55 if many else 1.0,
                           label=name if j == 0 else None)
        for name, step in (events or {}).items():
            panel.axvline(step, color="0.3", ls=":", lw=1)
            if panel is axes[0]:  # named once, above the plot: never on the curves
                panel.annotate(name, (step, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3),
                               textcoords="offset points", fontsize=10, color="0.25", ha="center",
                               va="bottom")
        panel.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))  # beside the data, never on it
    label(axes[0], title, "", "gate value (0 to 1)")
    if events:
        axes[0].set_title(title, pad=18)  # room for the event names above the plot
    label(axes[1], "", STEP_LABEL, "value (−1 to 1)")
    integer_steps(axes[1])  # whole time steps only
    axes[0].set_ylim(-0.05, 1.05)
    axes[1].set_ylim(-1.05, 1.05)
    fig.tight_layout()
    return fig
