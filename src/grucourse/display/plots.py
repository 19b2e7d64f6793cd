"""Figure style shared by every chapter: a colour-blind-safe palette and labelled axes."""

from __future__ import annotations

import matplotlib as mpl

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# One colour per model family, the same on every page.
MODEL_COLORS = {"SimpleRNN": "#D55E00", "GRU": "#0072B2", "LSTM": "#009E73", "baseline": "#000000"}
# One colour per gate quantity, the same in plots and widgets.
GATE_COLORS = {"x": "#000000", "z": "#0072B2", "r": "#E69F00", "h_tilde": "#CC79A7", "h": "#009E73"}


# Axis labels in mathematical notation (matplotlib mathtext), the same on every page.
GRAD_NORM_LABEL = r"$\|\partial h_T / \partial h_t\|$"
STEP_LABEL = r"time step $t$"
LAG_LABEL = r"lag $T - t$ (steps)"


def use_course_style() -> None:
    """Apply the course's matplotlib defaults (palette, grid, sizes readable in the column and on
    a phone).

    A 7-inch figure is drawn 700 px wide and shown in the book's 684 px column, and about 360 px
    wide on a phone: 12-point labels and 11-point ticks stay readable at both.
    """
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=OKABE_ITO),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "figure.figsize": (7.0, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 12,
            "axes.titlesize": 12.5,
            "axes.labelsize": 12,
            "xtick.labelsize": 11,
            "ytick.labelsize": 11,
            "legend.fontsize": 10.5,
            "legend.frameon": False,
            "legend.loc": "best",
            "lines.linewidth": 1.8,
            "image.cmap": "viridis",
            "mathtext.fontset": "dejavusans",
        }
    )


def integer_steps(ax, axis: str = "x"):
    """Put ticks on whole numbers only (time steps, lags, epochs): no 2.5 or 7.5 steps."""
    from matplotlib.ticker import MaxNLocator

    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    return ax


# about what one legend row under a 7-inch figure holds at the course's font size
LEGEND_ROW_CHARS = 75


def legend_outside(ax, where: str = "right", **kwargs):
    """Draw the legend next to the axes (``"right"``) or under them (``"below"``), never on the
    data."""
    if where == "right":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)
    if where == "below":
        _, labels = ax.get_legend_handles_labels()
        # as many columns as fit under the axes: long labels (one per model) stack in one column
        ncol = min(3, max(1, len(labels)))
        while ncol > 1 and max(len(t) for t in labels) * ncol > LEGEND_ROW_CHARS:
            ncol -= 1
        kwargs.setdefault("ncol", ncol)
        return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), borderaxespad=0.0,
                         **kwargs)
    raise ValueError(f"where must be 'right' or 'below', got {where!r}")


def label(ax, title: str, xlabel: str, ylabel: str):
    """Set title and axis labels in one call; every course figure has all three."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_across_seeds(ax, x, values, *, color, label, marker="o", linestyle="-"):
    """Plot one curve per seed (thin) and their median (bold) with a min-max band.

    ``x`` has shape ``(n,)`` and ``values`` ``(n_seeds, n)``; returns the median ``(n,)``.
    Distinct ``marker``/``linestyle`` per model keep overlapping curves readable without colour.
    The spread across seeds is part of the result: a band shows it without hiding any seed.
    """
    import numpy as np

    x = np.asarray(x, dtype=float)
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[1] != x.shape[0]:
        raise ValueError(
            f"values must have shape (n_seeds, {x.shape[0]}) to match x, got {values.shape}"
        )
    if values.shape[0] == 0:
        raise ValueError("values holds no seeds")
    median = np.median(values, axis=0)  # (n,)
    ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=color, alpha=0.18, linewidth=0)
    for row in values:
        ax.plot(x, row, color=color, linewidth=0.7, alpha=0.6)
    ax.plot(x, median, color=color, linewidth=2.2, marker=marker, markersize=4, linestyle=linestyle,
            label=f"{label} (median; band: min-max of {values.shape[0]} seeds)")
    return median
