"""The course's own diagrams, drawn with matplotlib: the pipeline, the GRU and LSTM cells, the
unrolled GRU.

Every function draws on a new figure (or on the ``ax`` it is given) and returns the ``Figure``.
Each drawn element carries a ``gid`` so that tests and readers can find it:
``box:<name>`` for boxes, ``op:<name>`` for the small operation circles (×, +, 1−),
``state:<name>`` for the state lines and ``arrow:<kind>`` for arrows.
Colours come from :mod:`grucourse.display.plots` (colour-blind safe), the same as in the gate plots.
"""

from __future__ import annotations

from grucourse.display.plots import GATE_COLORS, MODEL_COLORS, OKABE_ITO

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

MAX_STEPS = 10
MIN_FONT_PT = 10.5  # a 9-inch diagram is shown 684 px wide: smaller text is unreadable on a phone
LSTM_OUTPUT_GATE = "#6A3D9A"  # purple: distinct from the other gates, 3:1 and more on white
DEFAULT_STAGES = (
    "raw input\n(signals, text, logs)",
    "preprocessing\nand features",
    "GRU\nover the time steps",
    "output\n(prediction or class)",
)


# --- small drawing helpers ----------------------------------------------------------------


def _canvas(ax, size, xlim, ylim):
    """Return ``(fig, ax)``: a new figure of ``size`` or the given axes, with the diagram limits
    set."""
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    fig = ax.figure
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _box(ax, center, width, height, text, gid, color="#555555", fontsize=10):
    """A rounded box with a tinted fill, a coloured edge and centred text."""
    x, y = center
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2), width, height,
        boxstyle="round,pad=0.02,rounding_size=0.15",
        facecolor=color + "33", edgecolor=color, linewidth=1.8, zorder=2,
    )
    patch.set_gid(f"box:{gid}")
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=3)
    return patch


def _op(ax, center, symbol, gid, radius=0.28):
    """A small white circle holding an operation symbol (×, +, 1−)."""
    patch = Circle(center, radius, facecolor="white", edgecolor="black", linewidth=1.2, zorder=4)
    patch.set_gid(f"op:{gid}")
    ax.add_patch(patch)
    ax.text(*center, symbol, ha="center", va="center", fontsize=10, zorder=5)
    return patch


def _arrow(ax, start, end, kind, color="black", text=None, text_offset=(0.0, 0.0), shrink=0.0,
           fontsize=9, linewidth=1.4):
    """An arrow from ``start`` to ``end``; ``text`` is written next to its middle."""
    patch = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, color=color,
                            linewidth=linewidth, shrinkA=shrink, shrinkB=shrink, zorder=1)
    patch.set_gid(f"arrow:{kind}")
    ax.add_patch(patch)
    if text:
        mx = (start[0] + end[0]) / 2 + text_offset[0]
        my = (start[1] + end[1]) / 2 + text_offset[1]
        ax.text(mx, my, text, ha="center", va="center", fontsize=fontsize, color=color, zorder=6,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85})
    return patch


def _state_line(ax, start, end, name, color, width=3.0):
    """A thick horizontal state line, the memory that flows from step to step."""
    patch = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=16, color=color,
                            linewidth=width, zorder=0)
    patch.set_gid(f"state:{name}")
    ax.add_patch(patch)
    return patch


def _readable(ax):
    """Raise every text of the diagram to at least ``MIN_FONT_PT`` points; return the figure."""
    for text in ax.texts:
        if text.get_fontsize() < MIN_FONT_PT:
            text.set_fontsize(MIN_FONT_PT)
    return ax.figure


def _check_texts(values, name, minimum):
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple of strings, got {type(values).__name__}")
    if len(values) < minimum:
        raise ValueError(f"{name} needs at least {minimum} entries, got {len(values)}")
    for i, v in enumerate(values):
        if not isinstance(v, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(v).__name__}")
        if not v.strip():
            raise ValueError(f"{name}[{i}] is empty; every entry needs a label")


# --- the diagrams ----------------------------------------------------------------------------


def pipeline_diagram(stages=DEFAULT_STAGES, notes=None, ax=None):
    """The source's pipeline: raw input -> preprocessing / features -> GRU over time -> output.

    ``stages`` are the box labels, left to right (at least two); ``notes`` (optional, one per stage)
    are written under the boxes, e.g. the array shape at each stage.
    """
    _check_texts(stages, "stages", 2)
    if notes is not None:
        _check_texts(notes, "notes", 1)
        if len(notes) != len(stages):
            raise ValueError(f"notes must have one entry per stage: {len(stages)} stages, "
                             f"{len(notes)} notes")
    n = len(stages)
    width, gap = 3.0, 0.7
    total = n * width + (n - 1) * gap
    fig, ax = _canvas(ax, (min(2.4 * n + 0.6, 12.0), 2.6), (-0.3, total + 0.3), (-1.3, 1.1))
    colors = ["#555555"] * n
    for i, stage in enumerate(stages):  # the GRU stage gets the GRU colour
        if "GRU" in stage:
            colors[i] = MODEL_COLORS["GRU"]
    for i, stage in enumerate(stages):
        x = i * (width + gap) + width / 2
        _box(ax, (x, 0.0), width, 1.5, stage, gid=f"stage{i}", color=colors[i], fontsize=9.5)
        if notes is not None:
            ax.text(x, -1.05, notes[i], ha="center", va="center", fontsize=8.5, color="#333333")
        if i < n - 1:
            _arrow(ax, (x + width / 2 + 0.05, 0.0), (x + width / 2 + gap - 0.05, 0.0), kind="flow",
                   linewidth=1.8)
    return _readable(ax)


def gru_cell_diagram(ax=None):
    """One GRU step: two gates, one candidate, and a single state line from h_{t-1} to h_t.

    Drawn in the source's convention ``h_t = (1 - z_t) * h_{t-1} + z_t * h_tilde_t`` with the reset
    gate applied before the recurrent product.
    """
    fig, ax = _canvas(ax, (9.0, 5.0), (-1.2, 12.6), (-0.3, 6.6))
    y_state, y_mid, y_gate = 5.2, 3.8, 2.2
    x_z, x_r, x_m3, x_h = 2.6, 5.6, 7.5, 9.6
    c_h = GATE_COLORS["h"]
    _state_line(ax, (0.0, y_state), (11.6, y_state), "h", c_h)
    ax.text(-0.1, y_state, r"$h_{t-1}$", ha="right", va="center", fontsize=12, color=c_h)
    ax.text(11.7, y_state, r"$h_t$", ha="left", va="center", fontsize=12, color=c_h)
    ax.text(5.8, 6.15, "one hidden state: the GRU's only memory", ha="center", fontsize=9,
            color=c_h)
    _op(ax, (x_z, y_state), "×", "keep")  # (1 - z) * h_prev
    _op(ax, (x_h, y_state), "+", "add")
    ax.text((x_z + x_h) / 2, y_state - 0.35, r"$(1-z_t)\odot h_{t-1}$", ha="center", va="center",
            fontsize=9)
    # update gate: z_t, then 1 - z_t up to the state line, and z_t across to the candidate's
    # multiplier
    _box(ax, (x_z, y_gate), 2.0, 1.0, "update gate\n" + r"$z_t=\sigma(\cdot)$", "z",
         GATE_COLORS["z"])
    _op(ax, (x_z, y_mid), "1−", "one_minus")
    _arrow(ax, (x_z, y_gate + 0.5), (x_z, y_mid - 0.28), "gate", GATE_COLORS["z"], r"$z_t$",
           (0.3, 0))
    _arrow(ax, (x_z, y_mid + 0.28), (x_z, y_state - 0.28), "gate", GATE_COLORS["z"], r"$1-z_t$",
           (-0.55, 0))
    _op(ax, (x_h, y_mid), "×", "mix")  # z * h_tilde
    _arrow(ax, (x_z + 1.0, y_gate + 0.45), (x_h - 0.28, y_mid - 0.05), "gate", GATE_COLORS["z"],
           r"$z_t$", (0.0, 0.25))
    # reset gate: r_t multiplies h_{t-1} before the candidate sees it
    _box(ax, (x_r, y_gate), 2.0, 1.0, "reset gate\n" + r"$r_t=\sigma(\cdot)$", "r",
         GATE_COLORS["r"])
    _op(ax, (x_m3, y_gate), "×", "reset")
    _arrow(ax, (x_r + 1.0, y_gate), (x_m3 - 0.28, y_gate), "gate", GATE_COLORS["r"], r"$r_t$",
           (0, 0.22))
    _box(ax, (x_h, y_gate), 2.0, 1.0, "candidate\n" + r"$\tilde{h}_t=\tanh(\cdot)$", "h_tilde",
         GATE_COLORS["h_tilde"])
    _arrow(ax, (x_m3 + 0.28, y_gate), (x_h - 1.0, y_gate), "gate", GATE_COLORS["r"])
    ax.text(x_m3 + 0.35, y_gate + 0.6, r"$r_t\odot h_{t-1}$", ha="center", va="center", fontsize=9,
            color=GATE_COLORS["r"])
    _arrow(ax, (x_h, y_gate + 0.5), (x_h, y_mid - 0.28), "gate", GATE_COLORS["h_tilde"],
           r"$\tilde{h}_t$", (0.3, 0))
    _arrow(ax, (x_h, y_mid + 0.28), (x_h, y_state - 0.28), "gate", "black",
           r"$z_t\odot\tilde{h}_t$", (0.65, 0))
    # inputs, from below
    for x, text in ((x_z, r"$x_t,\ h_{t-1}$"), (x_r, r"$x_t,\ h_{t-1}$"), (x_m3, r"$h_{t-1}$"),
                    (x_h, r"$x_t$")):
        top = y_gate - (0.28 if x == x_m3 else 0.5)
        _arrow(ax, (x, 0.35), (x, top), "input", "#333333")
        ax.text(x, 0.1, text, ha="center", va="center", fontsize=9)
    return _readable(ax)


def lstm_cell_diagram(ax=None):
    """One LSTM step for contrast: three gates and two state lines, the cell state c and the
    hidden state h."""
    fig, ax = _canvas(ax, (9.0, 5.0), (-1.2, 12.6), (-0.3, 6.6))
    y_c, y_mid, y_gate, y_h = 5.2, 3.8, 2.2, 2.2
    x_f, x_i, x_g, x_o, x_out = 1.6, 3.9, 6.0, 8.3, 10.2
    c_c, c_h = OKABE_ITO[7], GATE_COLORS["h"]  # black cell state, green hidden state
    _state_line(ax, (0.0, y_c), (11.6, y_c), "c", c_c)
    ax.text(-0.1, y_c, r"$c_{t-1}$", ha="right", va="center", fontsize=12, color=c_c)
    ax.text(11.7, y_c, r"$c_t$", ha="left", va="center", fontsize=12, color=c_c)
    ax.text(5.8, 6.15, "cell state c: the LSTM's long-term memory", ha="center", fontsize=9,
            color=c_c)
    _op(ax, (x_f, y_c), "×", "forget")
    _op(ax, (4.95, y_c), "+", "add")
    gates = (
        (x_f, "forget gate\n" + r"$f_t=\sigma(\cdot)$", "f", OKABE_ITO[0]),
        (x_i, "input gate\n" + r"$i_t=\sigma(\cdot)$", "i", OKABE_ITO[3]),
        (x_g, "candidate\n" + r"$g_t=\tanh(\cdot)$", "g", GATE_COLORS["h_tilde"]),
        (x_o, "output gate\n" + r"$o_t=\sigma(\cdot)$", "o", LSTM_OUTPUT_GATE),
    )
    for x, text, gid, color in gates:
        _box(ax, (x, y_gate), 1.9, 1.0, text, gid, color)
        _arrow(ax, (x, 0.35), (x, y_gate - 0.5), "input", "#333333")
        ax.text(x, 0.1, r"$x_t,\ h_{t-1}$", ha="center", va="center", fontsize=9)
    _arrow(ax, (x_f, y_gate + 0.5), (x_f, y_c - 0.28), "gate", OKABE_ITO[0], r"$f_t$", (0.3, 0))
    _op(ax, (4.95, y_mid), "×", "write")
    _arrow(ax, (x_i + 0.4, y_gate + 0.5), (4.95 - 0.22, y_mid - 0.18), "gate", OKABE_ITO[3],
           r"$i_t$", (-0.3, 0.1))
    _arrow(ax, (x_g - 0.4, y_gate + 0.5), (4.95 + 0.22, y_mid - 0.18), "gate",
           GATE_COLORS["h_tilde"], r"$g_t$", (0.3, 0.1))
    _arrow(ax, (4.95, y_mid + 0.28), (4.95, y_c - 0.28), "gate", "black")
    # hidden state: h_t = o_t * tanh(c_t), a second line that leaves the cell
    _op(ax, (x_out, y_mid), "tanh", "squash", radius=0.38)
    _arrow(ax, (x_out, y_c), (x_out, y_mid + 0.38), "gate", c_c)
    _op(ax, (x_out, y_h), "×", "expose")
    _arrow(ax, (x_out, y_mid - 0.38), (x_out, y_h + 0.28), "gate", c_c)
    _arrow(ax, (x_o + 0.95, y_gate), (x_out - 0.28, y_h), "gate", LSTM_OUTPUT_GATE, r"$o_t$",
           (0, 0.22))
    _state_line(ax, (x_out + 0.28, y_h), (11.6, y_h), "h", c_h, width=2.2)
    ax.text(11.7, y_h, r"$h_t$", ha="left", va="center", fontsize=12, color=c_h)
    ax.text(11.0, y_h - 0.5, "hidden state h", ha="center", fontsize=8.5, color=c_h)
    return _readable(ax)


def unrolled_diagram(steps=4, return_sequences=False, ax=None):
    """The GRU unrolled in time: the same cell applied at steps 1..T, the state passed right.

    ``steps`` (1 to 10) is the number of cells drawn; with ``return_sequences=True`` every
    ``h_t`` leaves the layer, otherwise only ``h_T`` does (Keras's default).
    """
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    if not isinstance(return_sequences, bool):
        raise TypeError(f"return_sequences must be True or False, got {return_sequences!r}")
    pitch, width = 2.4, 1.5
    right = steps * pitch + 0.6
    fig, ax = _canvas(ax, (min(1.9 * steps + 2.2, 13.0), 3.9), (-1.3, right + 0.4), (-1.9, 2.9))
    c_h, c_gru = GATE_COLORS["h"], MODEL_COLORS["GRU"]
    ax.text(-0.9, 0.8, r"$h_0=0$", ha="center", va="center", fontsize=11, color=c_h)
    for t in range(1, steps + 1):
        x = t * pitch - 0.6
        _box(ax, (x, 0.8), width, 1.1, "GRU\ncell", f"cell{t}", c_gru, fontsize=9)
        left = x - width / 2 - (pitch - width) + 0.05 if t > 1 else -0.45
        _arrow(ax, (left, 0.8), (x - width / 2 - 0.05, 0.8), "state", c_h,
               None if t == 1 else rf"$h_{{{t - 1}}}$", (0, 0.25), linewidth=2.2)
        _arrow(ax, (x, -0.75), (x, 0.8 - 0.6), "input", "#333333")
        ax.text(x, -1.0, rf"$x_{{{t}}}$", ha="center", va="center", fontsize=11)
        if return_sequences or t == steps:
            _arrow(ax, (x, 0.8 + 0.6), (x, 2.1), "output", c_h)
            ax.text(x, 2.4, rf"$h_{{{t}}}$", ha="center", va="center", fontsize=11, color=c_h)
    ax.text(right / 2 - 0.3, -1.75,
            "every cell is the same layer: the same weights W, U, b at every step",
            ha="center", va="bottom", fontsize=9, color="#333333")
    return _readable(ax)
