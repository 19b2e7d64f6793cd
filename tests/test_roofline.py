"""The roofline helpers: bounds from hand-computed cases, and measured rates that are positive."""

from grucourse.measure.roofline import (
    attainable_flops,
    measure_bandwidth,
    measure_peak_flops,
    ridge_point,
    roofline_time,
)

import numpy as np
import pytest


def test_bounds_by_hand():
    peak, bw = 100e9, 10e9  # 100 GFLOP/s, 10 GB/s: ridge at 10 FLOP/byte
    assert ridge_point(peak, bw) == 10
    # 1 GFLOP over 1 GB: memory takes 0.1 s, compute 0.01 s
    assert roofline_time(1e9, 1e9, peak, bw) == pytest.approx(0.1)
    assert roofline_time(1e12, 1e9, peak, bw) == pytest.approx(10.0)  # compute-bound
    np.testing.assert_allclose(attainable_flops([0.5, 10, 100], peak, bw), [5e9, 100e9, 100e9])
    with pytest.raises(ValueError, match="positive"):
        roofline_time(1, 1, 0, bw)


def test_measured_rates_are_plausible():
    peak, bw = measure_peak_flops(128, repeat=3), measure_bandwidth(8, repeat=3)
    assert 1e8 < peak < 1e13 and 1e8 < bw < 1e12
    with pytest.raises(ValueError):
        measure_bandwidth(0)
