"""chapters/25_deer.ipynb: the real GRU in parallel (DEER, quasi-DEER) and the work-efficient scan.

Shared by the chapter (small sizes) and ``benchmarks/bench_deer.py`` / ``bench_scan.py`` (the
large ones). Models are ``keras.layers.GRU(u, return_sequences=True)`` with ``d = 10`` inputs and
``u = 32`` units; timings are interleaved (:func:`grucourse.measure.timing.interleaved_times`)
and every speed-up is ``keras.layers.GRU`` time / candidate time over paired repeats with its
95% interval (:func:`grucourse.measure.stats.time_ratio`), on the machine that runs it.
"""

from __future__ import annotations

from grucourse.core.deer import deer, exact_prefix
from grucourse.core.gru_keras import from_keras
from grucourse.measure.stats import time_ratio
from grucourse.measure.timing import format_seconds, interleaved_times

import numpy as np

D, UNITS = 10, 32


def make_gru(seed: int = 0, recurrent_scale: float = 1.0, d: int = D, u: int = UNITS):
    """A built ``keras.layers.GRU(u, return_sequences=True)`` (Keras's initialisers, ``seed``),
    its recurrent kernel multiplied by ``recurrent_scale``."""
    import keras

    keras.utils.set_random_seed(seed)
    layer = keras.layers.GRU(u, return_sequences=True)
    layer.build((None, None, d))
    kernel, recurrent, bias = layer.get_weights()
    layer.set_weights([kernel, recurrent * recurrent_scale, bias])
    return layer


def train_tiny_gru(seed: int = 0, steps: int = 40, T: int = 32, B: int = 16, lr: float = 0.03):
    """A GRU trained for ``steps`` Adam steps (eager: nothing to trace) to output the running mean
    of its first input feature over the last 8 steps; returns ``(layer, first loss, last loss)``."""
    import keras
    import tensorflow as tf

    layer = make_gru(seed)
    head = keras.layers.Dense(1)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(B, T, D)).astype(np.float32)  # (B, T, d)
    c = np.cumsum(np.pad(x[..., 0], ((0, 0), (8, 0))), axis=1)  # (B, T + 8)
    y = tf.constant(((c[:, 8:] - c[:, :-8]) / 8.0)[..., None])  # (B, T, 1): mean of the last 8
    head.build((None, None, UNITS))
    opt = keras.optimizers.Adam(lr)
    variables = layer.trainable_variables + head.trainable_variables

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((head(layer(x)) - y) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    losses = [float(step()) for _ in range(steps)]
    return layer, losses[0], losses[-1]


def equality_rows(layers: dict, Ts, solvers=("quasi",), B: int = 2, seed: int = 0):
    """For each model, T and solver: Newton iterations and ``max |H_deer - H_keras|`` in float32
    (TensorFlow solver of :mod:`grucourse.layers.deer`)."""
    from grucourse.layers.deer import gru_weights, solve

    import tensorflow as tf

    rows = []
    run = {s: tf.function(lambda x, k, U, b, s=s: solve(x, k, U, b, solver=s)) for s in solvers}
    level = tf.get_logger().level
    tf.get_logger().setLevel("ERROR")  # one trace per T is expected: no retracing warning
    try:
        for T in Ts:
            x = tf.constant(np.random.default_rng(seed + T).normal(size=(B, T, D))
                            .astype(np.float32))  # (B, T, d)
            for name, layer in layers.items():
                want = tf.function(layer)(x).numpy()  # (B, T, u): Keras's loop, in graph mode
                for s in solvers:
                    H, k = run[s](x, *gru_weights(layer))
                    rows.append({"model": name, "T": T, "solver": s, "iterations": int(k),
                                 "max |diff|": float(np.abs(H.numpy() - want).max())})
    finally:
        tf.get_logger().setLevel(level)
    return rows


def iterations_vs_T(layers: dict, Ts, methods=("full", "quasi"), seed: int = 0, **kwargs):
    """Newton iterations of the numpy reference (float64, tol ``1e-6``, ``B = 1``) for each model,
    method and T: rows ``{"model", "method", "T", "iterations", "converged"}``."""
    rows = []
    for T in Ts:
        x = np.random.default_rng(seed + T).normal(size=(1, T, D))  # (1, T, d)
        for name, layer in layers.items():
            p = from_keras(layer)
            for m in methods:
                res = deer(x, p, m, **kwargs)
                rows.append({"model": name, "method": m, "T": T, "iterations": res.iterations,
                             "converged": res.converged})
    return rows


def convergence_map(layer, T: int = 128, method: str = "quasi", seed: int = 0,
                    rows: int | None = None, **kwargs):
    """Error of every iterate at every position, ``(K, T)`` = ``max_units |H^k_t - h_t|`` (``K``
    padded or cut to ``rows`` if given), the exact prefix length of each iterate, and the result
    of :func:`grucourse.core.deer.deer`."""
    x = np.random.default_rng(seed).normal(size=(1, T, D))  # (1, T, d)
    res = deer(x, from_keras(layer), method, keep_iterates=True, tol=1e-10, **kwargs)
    truth = deer(x, from_keras(layer), "full", tol=1e-12).states  # (1, T, u)
    err = np.abs(res.iterates - truth[None]).max(axis=(1, 3))  # (K, T)
    if rows is not None:  # after convergence every further iterate equals the last one
        err = np.concatenate([err, np.repeat(err[-1:], max(0, rows - len(err)), axis=0)])[:rows]
    return err, exact_prefix(res.iterates, truth, tol=1e-6), res


# --- timings ---------------------------------------------------------------------------------

def _inputs(B, T, seed=0):
    import tensorflow as tf

    return tf.constant(np.random.default_rng(seed).normal(size=(B, T, D)).astype(np.float32))


def forward_fns(B: int, T: int, layer, solvers=("quasi",)):
    """Callables for one forward pass over ``(B, T, d)``: ``"keras GRU"`` and each DEER solver
    (``"quasi"``, ``"full"``, or ``"quasi-xla"``: quasi-DEER with the Hillis-Steele scan compiled
    by XLA), in graph mode, traced once here."""
    from grucourse.layers.deer import gru_weights, solve

    import tensorflow as tf

    x = _inputs(B, T)
    fns = {"keras GRU": tf.function(lambda: layer(x))}
    for s in solvers:
        if s == "quasi-xla":  # compiled by XLA (fuses each iteration's element-wise work)
            fns["quasi-DEER XLA"] = tf.function(
                lambda: solve(x, *gru_weights(layer), scan_method="hillis_steele")[0],
                jit_compile=True)
        else:
            fns[f"{s}-DEER"] = tf.function(lambda s=s: solve(x, *gru_weights(layer),
                                                             solver=s)[0])
    for f in fns.values():
        f()
    return fns


def train_fns(B: int, T: int, layer, kinds=("quasi-DEER", "minGRU blocked scan")):
    """Callables for one training step (forward + gradients of ``sum(h_T)`` w.r.t. the weights):
    ``"keras GRU"`` and each of ``kinds`` (``"quasi-DEER"``, ``"minGRU blocked scan"``,
    ``"minGRU Hillis-Steele scan"``, and ``"minGRU without the scan"``: the same step with
    ``h = b``, the profile of what is not the scan); minGRU steps project ``d -> 2u``."""
    from grucourse.layers.deer import deer_states
    from grucourse.layers.scan import scan_with_gradient

    import tensorflow as tf

    x = _inputs(B, T)
    W = tf.Variable(np.random.default_rng(1).normal(0, 0.3, (D, 2 * UNITS)).astype(np.float32))

    def mingru(method):
        def h_last():
            p = tf.matmul(x, W)  # (B, T, 2u)
            z = tf.sigmoid(p[..., :UNITS])  # (B, T, u)
            a, b = 1.0 - z, z * p[..., UNITS:]  # (B, T, u) each
            h = b if method is None else scan_with_gradient(a, b, 8, method)  # (B, T, u)
            return h[:, -1] + 0.0 * tf.reduce_sum(a * b), [W]  # None: all but the scan
        return h_last

    runs = {"keras GRU": lambda: (layer(x)[:, -1], layer.trainable_variables),
            "quasi-DEER": lambda: (deer_states(layer, x)[:, -1], layer.trainable_variables),
            "minGRU blocked scan": mingru("blocked"),
            "minGRU Hillis-Steele scan": mingru("hillis_steele"),
            "minGRU without the scan": mingru(None)}

    def step_of(run):
        @tf.function
        def step():
            with tf.GradientTape() as tape:
                h, variables = run()
                loss = tf.reduce_sum(h)
            return tape.gradient(loss, variables)
        step()
        return step

    return {k: step_of(runs[k]) for k in ("keras GRU", *kinds)}


def timing_rows(make_fns, cells, repeat: int = 5):
    """Time ``make_fns(B, T)`` (a dict with ``"keras GRU"``) for each ``(B, T)`` in ``cells``:
    rows ``{"B", "T", name: median s, ..., "x " + name: Ratio GRU / name}``."""
    rows = []
    for B, T in cells:
        fns = make_fns(B, T)
        stats = interleaved_times(fns, repeat=repeat, warmup=1)
        row = {"B": B, "T": T}
        for k in fns:
            row[k] = stats[k]["median"]
        for k in fns:
            if k != "keras GRU":
                row["x " + k] = time_ratio(stats["keras GRU"]["samples"], stats[k]["samples"])
        rows.append(row)
    return rows


def format_timing(rows) -> str:
    """The rows of :func:`timing_rows` as text: medians, then each speed-up over keras.layers.GRU
    with its 95% interval."""
    lines = []
    for r in rows:
        names = [k for k in r if k not in ("B", "T") and not k.startswith("x ")]
        times = ", ".join(f"{k} {format_seconds(r[k])}" for k in names)
        lines.append(f"B={r['B']:<3} T={r['T']:<5} {times}")
        for k in names[1:]:
            s = r["x " + k]
            lines.append(f"    {k}: {s.ratio:.2f}x [{s.low:.2f}, {s.high:.2f}] vs keras GRU")
    return "\n".join(lines)

