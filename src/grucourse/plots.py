"""Figure style shared by every chapter: a colour-blind-safe palette and labelled axes."""

from __future__ import annotations

import matplotlib as mpl

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# One colour per model family, the same on every page.
MODEL_COLORS = {"SimpleRNN": "#D55E00", "GRU": "#0072B2", "LSTM": "#009E73", "baseline": "#000000"}
# One colour per gate quantity, the same in plots and widgets.
GATE_COLORS = {"x": "#000000", "z": "#0072B2", "r": "#E69F00", "h_tilde": "#CC79A7", "h": "#009E73"}


def use_course_style() -> None:
    """Apply the course's matplotlib defaults (palette, grid, readable sizes)."""
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
            "font.size": 10,
            "axes.titlesize": 11,
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )


def label(ax, title: str, xlabel: str, ylabel: str):
    """Set title and axis labels in one call; every course figure has all three."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
