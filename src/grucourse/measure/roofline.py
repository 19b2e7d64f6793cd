"""A roofline for this machine, measured once with numpy: matrix-multiply rate and memory
bandwidth.

The roofline model (Williams, Waterman & Patterson 2009, section 2) bounds the time of a kernel
that does ``F`` FLOPs and moves ``Q`` bytes by

    t >= max(F / peak_flops, Q / bandwidth)

so its attainable rate is ``min(peak, I * bandwidth)`` at arithmetic intensity ``I = F / Q``
(FLOP per byte). Below the ridge point ``I* = peak / bandwidth`` a kernel is memory-bound, above
it compute-bound. :func:`measure_peak_flops` times a large float32 ``matmul`` and
:func:`measure_bandwidth` a large array copy (each byte read once and written once). Both keep
the **fastest** of their repeats: a roofline asks what the hardware can do, and on a shared
machine the slower repeats measure the other users, not the hardware.
"""

from __future__ import annotations

from grucourse.measure.timing import median_time
from grucourse.validate import check_int

import numpy as np


def measure_peak_flops(n: int = 256, repeat: int = 11) -> float:
    """FLOP/s of a float32 ``(n, n) @ (n, n)`` product: ``2 n^3`` FLOPs over its fastest time."""
    n = check_int(n, "n")
    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=(n, n)).astype(np.float32) for _ in range(2))  # (n, n) each
    t = median_time(lambda: a @ b, repeat=repeat, warmup=1)["min"]
    return 2.0 * n**3 / t


def measure_bandwidth(megabytes: int = 64, repeat: int = 11) -> float:
    """Bytes/s of ``np.copyto`` of a float32 array of ``megabytes`` MB: ``2 x size`` bytes moved
    (read and write) over its fastest time. Far above the last-level cache it measures memory;
    at a size that fits, the cache."""
    megabytes = check_int(megabytes, "megabytes")
    src = np.ones(megabytes * 2**20 // 4, dtype=np.float32)  # (N,)
    dst = np.empty_like(src)
    t = median_time(lambda: np.copyto(dst, src), repeat=repeat, warmup=1)["min"]
    return 2.0 * src.nbytes / t


def roofline_time(flops, nbytes, peak_flops: float, bandwidth: float):
    """The least time the roofline allows: ``max(F / peak, Q / bandwidth)`` seconds."""
    if peak_flops <= 0 or bandwidth <= 0:
        raise ValueError("peak_flops and bandwidth must be positive rates")
    return np.maximum(np.asarray(flops, float) / peak_flops, np.asarray(nbytes, float) / bandwidth)


def attainable_flops(intensity, peak_flops: float, bandwidth: float):
    """``min(peak, I * bandwidth)`` FLOP/s at arithmetic intensity ``I`` (FLOP per byte)."""
    return np.minimum(peak_flops, np.asarray(intensity, float) * bandwidth)


def ridge_point(peak_flops: float, bandwidth: float) -> float:
    """``I* = peak / bandwidth`` FLOP per byte: memory-bound below, compute-bound above."""
    return peak_flops / bandwidth
