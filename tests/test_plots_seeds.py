"""plot_across_seeds draws the median and the band it promises and refuses mismatched shapes."""

from grucourse.display.plots import plot_across_seeds

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_median_and_band():
    fig, ax = plt.subplots()
    values = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 5.0, 2.0]])
    median = plot_across_seeds(ax, [0, 1, 2], values, color="#0072B2", label="GRU")
    np.testing.assert_array_equal(median, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(ax.lines[-1].get_ydata(), median)
    assert len(ax.lines) == 4 and "3 seeds" in ax.lines[-1].get_label()
    plt.close(fig)


@pytest.mark.parametrize("values", [np.zeros((2, 4)), np.zeros(3), np.zeros((0, 3))])
def test_bad_shapes(values):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="values"):
        plot_across_seeds(ax, [0, 1, 2], values, color="k", label="x")
    plt.close(fig)
