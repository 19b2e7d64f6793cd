"""grucourse.display.plots: readable sizes, whole-number step ticks, legends off the data."""

import matplotlib

matplotlib.use("Agg")

from grucourse.display import plots  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


def test_style_sizes_readable_at_phone_width():
    plots.use_course_style()
    width_px = matplotlib.rcParams["figure.figsize"][0] * matplotlib.rcParams["savefig.dpi"]
    tick_px = matplotlib.rcParams["xtick.labelsize"] * matplotlib.rcParams["savefig.dpi"] / 72
    assert tick_px * 360 / width_px >= 7.5  # tick labels on a 360 px phone column, in CSS pixels


def test_integer_steps_has_no_fractional_ticks():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2, 3], [0, 1, 0, 1])
    ax.set_xlim(0, 3)
    fractional = [t for t in ax.get_xticks() if t != int(t)]
    assert fractional, "the default locator should show fractional ticks here, else the test proves nothing"
    plots.integer_steps(ax)
    assert all(t == int(t) for t in ax.get_xticks())
    with pytest.raises(ValueError, match="axis must be"):
        plots.integer_steps(ax, axis="z")
    plt.close(fig)


def test_legend_outside_sits_beside_or_below_the_axes():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="GRU")
    ax.plot([0, 1], [1, 0], label="LSTM")
    fig.canvas.draw()
    axes_box = ax.get_window_extent()
    right = plots.legend_outside(ax).get_window_extent()
    assert right.x0 >= axes_box.x1
    fig.canvas.draw()
    below = plots.legend_outside(ax, where="below").get_window_extent()
    assert below.y1 <= axes_box.y0
    with pytest.raises(ValueError, match="where must be"):
        plots.legend_outside(ax, where="inside")
    plt.close(fig)


def test_math_labels_render():
    fig, ax = plt.subplots()
    plots.label(ax, "gradient", plots.LAG_LABEL, plots.GRAD_NORM_LABEL)
    fig.canvas.draw()  # mathtext parses, else this raises
    assert ax.get_ylabel().startswith("$")
    plt.close(fig)


def test_legend_below_stacks_long_labels_in_one_column():
    fig, ax = plt.subplots()
    for name in ("GRU", "LSTM", "SimpleRNN"):
        ax.plot([0, 1], [0, 1], label=name)
    assert plots.legend_outside(ax, where="below")._ncols == 3, "short labels sit side by side"
    fig2, ax2 = plt.subplots()
    for name in ("GRU, trained (median; band: min-max of 10 seeds)", "GRU, untrained (same seeds)"):
        ax2.plot([0, 1], [0, 1], label=name)
    assert plots.legend_outside(ax2, where="below")._ncols == 1, "two long labels would be wider than the figure"
    plt.close(fig)
    plt.close(fig2)
