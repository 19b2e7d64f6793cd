"""The values a gate widget shows: a GRU run over one sequence, step by step, in numpy.

:func:`gate_trace` runs :func:`grucourse.core.gru.gru_forward` and keeps ``x_t, z_t, r_t, h~_t,
h_t`` for every step and the chosen units (a :class:`GateTrace`); :func:`trace_payload` rounds
them for the page; :func:`resolve_gru` finds the GRU layer of a Keras model; :func:`plot_gate_trace`
draws the same values as a static matplotlib figure. The browser side is
:mod:`grucourse.widgets.gate_animator`.

The values follow the source chapter's convention by default,
``h_t = (1 - z_t) h_{t-1} + z_t h~_t`` (``z ~ 0`` keeps the past; Chung et al. 2014, eq. 5-8);
pass ``convention="keras"`` to show Keras's own ``z`` (``z ~ 1`` keeps the past).
"""

from __future__ import annotations

from dataclasses import dataclass

from grucourse.core.gru import GRUParams, convert_convention, gru_forward
from grucourse.core.gru_keras import from_keras
from grucourse.validate import as_float_array

import numpy as np

QUANTITIES = ("x", "z", "r", "h_tilde", "h")
MAX_STEPS = 2000  # longer sequences make pages heavy; slice the sequence first
MAX_UNITS = 32  # more rows than this are unreadable; pick some with units=[...]
MAX_INPUTS = 32  # only the first MAX_INPUTS input features are drawn


@dataclass(frozen=True)
class GateTrace:
    """Per-step values of one sequence: ``x`` ``(T, d)``; ``z, r, h_tilde, h`` ``(T, n)`` for
    ``units``."""

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
                raise ValueError(
                    f"{name} must be a 2-D (time, columns) array, got shape {arr.shape}"
                )
            if not np.all(np.isfinite(arr)):
                t, i = (int(v) for v in np.argwhere(~np.isfinite(arr))[0])
                raise ValueError(f"{name} contains NaN or infinity "
                                 f"(first at step {t}, column {i}): "
                                 "the widget can only draw finite values")
            object.__setattr__(self, name, arr)
        T = self.x.shape[0]
        if T == 0:
            raise ValueError("the sequence is empty (0 time steps): pass at least one step")
        if T > MAX_STEPS:
            raise ValueError(f"the sequence has {T} steps; at most {MAX_STEPS} are drawn: "
                             f"pass x[:{MAX_STEPS}]")
        units = tuple(int(u) for u in self.units)
        if len(units) == 0:
            raise ValueError("units is empty: select at least one unit")
        for name in ("z", "r", "h_tilde", "h"):
            shape = getattr(self, name).shape
            if shape != (T, len(units)):
                raise ValueError(f"{name} has shape {shape}, "
                                 f"expected (T, units) = ({T}, {len(units)}) "
                                 "to match x and units")
        if self.convention not in ("source", "keras"):
            raise ValueError(f"convention must be 'source' or 'keras', got {self.convention!r}")
        object.__setattr__(self, "units", units)


def check_units(units, u: int) -> list[int]:
    if units is None:
        if u > MAX_UNITS:
            raise ValueError(
                f"the GRU has {u} units; pass units=[...] with at most {MAX_UNITS} of them"
            )
        return list(range(u))
    if isinstance(units, (int, np.integer)) and not isinstance(units, bool):
        units = [units]
    try:
        chosen = list(units)
    except TypeError:
        raise TypeError(
            f"units must be a list of unit indices, got {type(units).__name__}"
        ) from None
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

    Computes, for ``t = 0..T-1`` (see :mod:`grucourse.core.gru`),
    ``z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z)``, ``r_t = sigmoid(x_t W_r + h_{t-1} U_r + b_r)``,
    ``h~_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)`` and
    ``h_t = (1 - z_t) h_{t-1} + z_t h~_t`` (source convention; Keras's ``z`` is ``1 - z``).
    With ``params.reset_after`` (Keras's default) the candidate is
    ``h~_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b_hh))``, exactly as
    :func:`grucourse.core.gru.gru_forward`.
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
        raise ValueError(
            f"x has {x.shape[1]} features per step, the GRU expects d={params.input_size}"
        )
    chosen = check_units(units, params.units)
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
    mag = np.floor(np.log10(np.abs(a), where=a != 0,
                            out=np.zeros_like(a)))  # (...,) exponent of each entry
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
    data["note"] = (f"Convention: {trace.convention} ({keep}). "
                    f"Values rounded to {digits} significant digits.")
    if trace.x.shape[1] > MAX_INPUTS:
        data["note"] += (f" Only the first {MAX_INPUTS} of {trace.x.shape[1]} "
                         "input features are drawn.")
    return data


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
            raise ValueError("the model has no GRU layer "
                             f"(its layers: {', '.join(kinds) or 'none'}); the gate "
                             "widgets show a GRU's update and reset gates, so pass a model with "
                             "one keras.layers.GRU (an LSTM or SimpleRNN has other gates, or none)")
        if len(grus) > 1:
            names = ", ".join(repr(g.name) for g in grus)
            raise ValueError(f"the model has {len(grus)} GRU layers ({names}); pass the one to "
                             f"show, e.g. gate_animator(model.get_layer({grus[0].name!r}), x) "
                             "with that layer's input")
        layer = grus[0]
    else:
        raise TypeError(f"expected a keras.layers.GRU or a keras.Model, got {type(obj).__name__}")
    if layer.go_backwards:
        raise ValueError("GRU layers with go_backwards=True are not supported")
    params = from_keras(layer)
    if isinstance(obj, keras.Model) and layer.input is not obj.inputs[0]:
        x = as_float_array(x, "x")
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError(
                f"x must be one non-empty sequence of shape (T, d), got shape {x.shape}"
            )
        try:
            inputs = obj.inputs[0] if len(obj.inputs) == 1 else obj.inputs
            before = keras.Model(inputs, layer.input)  # the layers in front of the GRU
            x = np.asarray(before(x[None].astype("float32")))[0]  # (T, d_gru)
        except Exception as exc:  # nested or multi-input models
            raise ValueError(f"could not compute the GRU's input from the model's input: {exc}; "
                             "pass the GRU layer and its input sequence instead") from None
    return params, x


def plot_gate_trace(trace: GateTrace, title: str, units=None, events=None, axes=None):
    """Static figure of a trace: gates ``z_t, r_t`` (top) and ``h~_t, h_t`` (bottom) against time.

    ``units`` picks columns of the trace (default: all); ``events`` maps a label to a step drawn
    as a dashed vertical line (e.g. ``{"write": 0, "marker": 40}``). Returns the figure.
    """
    from grucourse.display.plots import GATE_COLORS, STEP_LABEL, integer_steps, label

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
