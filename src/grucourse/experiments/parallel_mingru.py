"""chapters/22_parallel_mingru.ipynb: time of one training step, ``keras.layers.GRU`` vs minGRU
loop vs scan.

Shared by the chapter (a few cells of the table) and ``benchmarks/bench_mingru.py``
(the whole table). Each step is a ``tf.function`` computing ``sum(layer(x))`` and its gradient
with respect to the layer's weights, for ``d = 10`` input features and ``u = 32`` units.
The candidates are timed in turns (:func:`grucourse.measure.timing.interleaved_times`); the speed-up
of the scan over the GRU is the ratio of paired repeats with its 95% interval
(:func:`grucourse.measure.stats.time_ratio`).
"""

from __future__ import annotations

from grucourse.measure.stats import time_ratio
from grucourse.measure.timing import format_seconds

import numpy as np

CANDIDATES = ("gru", "mingru_loop", "mingru_scan")
LABELS = {"gru": "keras GRU", "mingru_loop": "minGRU loop", "mingru_scan": "minGRU scan"}


def train_step(kind: str, B: int, T: int, d: int = 10, u: int = 32, seed: int = 0):
    """A callable that runs one forward + backward pass of ``kind`` on a fixed batch
    ``(B, T, d)``."""
    from grucourse.layers.mingru import MinGRU

    import keras
    import tensorflow as tf

    if kind not in CANDIDATES:
        raise ValueError(f"kind must be one of {CANDIDATES}, got {kind!r}")
    for name, v in (("B", B), ("T", T), ("d", d), ("u", u)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    keras.utils.set_random_seed(seed)
    layer = {"gru": lambda: keras.layers.GRU(u), "mingru_loop": lambda: MinGRU(u, method="loop"),
             "mingru_scan": lambda: MinGRU(u)}[kind]()
    layer.build((None, T, d))
    x = tf.constant(np.random.default_rng(seed).normal(size=(B, T, d))
                    .astype(np.float32))  # (B, T, d)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x))  # layer(x) is (B, u)
        return tape.gradient(loss, layer.trainable_variables)

    step()  # trace once, outside the timings
    return step


def speed_table(cells, kinds=CANDIDATES, repeat: int = 5, max_loop_T: int = 1024):
    """Time every ``(B, T)`` in ``cells`` for each kind; the loop only up to ``max_loop_T`` steps.

    Returns rows ``{"B", "T", kind: median seconds (or None), "speed-up": Ratio GRU / scan}``.
    """
    from grucourse.measure.timing import interleaved_times

    rows = []
    for B, T in cells:
        chosen = [k for k in kinds if not (k == "mingru_loop" and T > max_loop_T)]
        fns = {k: train_step(k, B, T) for k in chosen}
        samples = {k: [] for k in chosen}
        for _ in range(repeat):  # paired repeats: every kind once per round
            stats = interleaved_times(fns, repeat=1, warmup=0)
            for k in chosen:
                samples[k].append(stats[k]["median"])
        row = {"B": B, "T": T}
        for k in kinds:
            row[k] = float(np.median(samples[k])) if k in samples else None
        both = "gru" in samples and "mingru_scan" in samples
        row["speed-up"] = time_ratio(samples["gru"], samples["mingru_scan"]) if both else None
        rows.append(row)
    return rows


def format_speed_table(rows) -> str:
    """The rows of :func:`speed_table` as a text table (milliseconds), at most 80 characters
    wide."""
    kinds = [k for k in CANDIDATES if k in rows[0]]
    head = (f"{'B':>3} {'T':>5} " + " ".join(f"{LABELS[k]:>12}" for k in kinds)
            + "  GRU/scan [95% CI]")
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = " ".join(f"{'-' if r[k] is None else format_seconds(r[k]):>12}" for k in kinds)
        s = r["speed-up"]
        ratio = "" if s is None else f"{s.ratio:6.1f}x [{s.low:.1f}, {s.high:.1f}]"
        lines.append(f"{r['B']:>3} {r['T']:>5} {cells}  {ratio}")
    return "\n".join(lines)


def crossover(rows) -> dict:
    """For each batch size: the measured T where the scan is faster than the GRU (the interval of
    GRU / scan lies above 1), where it is slower (below 1), and where there is no measurable
    difference."""
    out = {}
    for B in sorted({r["B"] for r in rows}):
        cells = [(r["T"], r["speed-up"]) for r in rows if r["B"] == B and r["speed-up"] is not None]
        out[B] = {"scan faster": [T for T, s in cells if s.low > 1],
                  "GRU faster": [T for T, s in cells if s.high < 1],
                  "no measurable difference": [T for T, s in cells if s.low <= 1 <= s.high]}
    return out
