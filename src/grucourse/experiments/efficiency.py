"""chapters/19_efficiency.ipynb: where a GRU's time goes, shared with ``benchmarks/``.

Each function runs one experiment and returns a dict with ``rows`` (a table for
:func:`grucourse.measure.timing.format_table`), the ratios it reports and the numbers the chapter
checks (output differences). Candidates are timed in interleaved rounds
(:func:`grucourse.measure.timing.interleaved_times`) and compared as ratios with a 95% interval
(:mod:`grucourse.measure.ratios`); the correctness values never depend on timing. Keras and
TensorFlow are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from grucourse.core.gru import gru_forward
from grucourse.core.gru_keras import from_keras
from grucourse.core.gru_variants import as_float32, gru_forward_per_step
from grucourse.kinds import SNAKE_NAMES
from grucourse.layers.timed import forward_fn, make_rnn_layer
from grucourse.measure.ratios import format_ratio, max_abs_diff, ratio_rows, ratios_to
from grucourse.measure.timing import (
    format_seconds,
    interleaved_times,
    single_blas_thread,
    step_flops,
)
from grucourse.validate import check_rng

import numpy as np

RNN_KINDS = tuple(SNAKE_NAMES.values())  # ("simple_rnn", "gru", "lstm"): the table rows' names


def _random_batch(rng, B, T, d):
    return check_rng(rng).normal(size=(B, T, d)).astype(np.float32)  # (B, T, d)



def projection_time_share(rng, B=64, T=100, d=10, u=32, repeat=10):
    """Where a numpy GRU forward spends its time: the input projection of all steps vs the rest.

    The projection ``X W`` is one ``(T B, d) @ (d, 3u)`` product, parallel over time; the rest of
    the time is the loop of ``T`` dependent steps. The share of time is the ratio
    projection / whole forward with its 95% interval over interleaved rounds.
    """
    from grucourse.core.gru import init_gru_params
    x = _random_batch(rng, B, T, d)  # (B, T, d)
    p = init_gru_params(d, u, rng, convention="keras", reset_after=True)
    W = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1).astype(np.float32)  # (d, 3u)
    xs = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(T * B, d)  # (T*B, d)
    p32 = as_float32(p)
    with single_blas_thread():
        stats = interleaved_times({"projection": lambda: xs @ W,  # (T*B, 3u)
                                   "forward": lambda: gru_forward(x, p32)},
                                  repeat=repeat, warmup=2)
    share_flops = (2 * 3 * d * u * B * T) / (step_flops("gru", d, u, B) * T)
    labels = {"projection": "projection, all steps (1 matmul)",
              "forward": "whole forward (projection + loop)"}
    rows, ratios = ratio_rows(stats, "forward", labels, FLOPs={
        "projection": f"{share_flops:.0%}", "forward": "100%"})
    share = ratios["projection"]
    return {"rows": rows, "share_time": share.ratio, "share_time_ratio": share,
            "share_flops": share_flops, "stats": stats}


def compare_projection(rng, B=64, T=100, d=10, u=32, repeat=10):
    """Fused input projection (:func:`gru_forward`) vs the per-step one, same weights, float32.

    ``speedup`` is per-step time / fused time, ``ratio`` the same with its 95% interval.
    """
    from grucourse.core.gru import init_gru_params
    x = _random_batch(rng, B, T, d)  # (B, T, d)
    p = as_float32(init_gru_params(d, u, rng, convention="keras", reset_after=True))
    with single_blas_thread():
        stats = interleaved_times({"fused": lambda: gru_forward(x, p),
                                   "per_step": lambda: gru_forward_per_step(x, p)},
                                  repeat=repeat, warmup=2)
    diff = max_abs_diff(gru_forward(x, p), gru_forward_per_step(x, p))
    labels = {"per_step": "per-step projection (T small matmuls)",
              "fused": "fused projection (one matmul)"}
    rows, ratios = ratio_rows(stats, "fused", labels)
    r = ratios["per_step"]
    return {"rows": rows, "max_abs_diff": diff, "speedup": r.ratio, "ratio": r}


def compare_numpy_keras(rng, B=64, T=100, d=10, u=32, repeat=20):
    """The course's numpy GRU (one BLAS thread, and the default threads) vs ``keras.layers.GRU``
    in a ``tf.function``, same float32 weights; ratios numpy / Keras with 95% intervals."""
    import tensorflow as tf
    layer = make_rnn_layer("gru", u, d)
    x = _random_batch(rng, B, T, d)  # (B, T, d)
    x_tf = tf.constant(x)
    keras_fn = forward_fn(layer, "function")
    p = as_float32(from_keras(layer))

    def np_one_thread():
        with single_blas_thread():  # numpy's BLAS only; TensorFlow has its own thread pools
            return gru_forward(x, p)

    stats = interleaved_times({"np1": np_one_thread, "np": lambda: gru_forward(x, p),
                               "keras": lambda: keras_fn(x_tf).numpy()},
                              repeat=repeat, warmup=2)
    diff = max_abs_diff(gru_forward(x, p), keras_fn(x_tf))
    labels = {"np1": "numpy gru_forward, 1 BLAS thread",
              "np": "numpy gru_forward, default BLAS threads",
              "keras": "keras.layers.GRU in tf.function"}
    rows, ratios = ratio_rows(stats, "keras", labels)
    return {"rows": rows, "max_abs_diff": diff, "ratio": ratios["np1"].ratio,
            "ratio_default_threads": ratios["np"].ratio, "ratios": ratios}


def compare_cell_types(rng, sizes=(32, 256), B=64, T=50, d=10, repeat=10, number=1):
    """Time per step of SimpleRNN, GRU and LSTM layers (``tf.function``) vs FLOP ratios 1 : 3 : 4.

    Layers of one size are timed in turns; ``ratios[u]`` holds each kind's time over
    SimpleRNN's and ``gru_vs_lstm[u]`` the GRU's time over the LSTM's, with 95% intervals.
    """
    import tensorflow as tf
    x_tf = tf.constant(_random_batch(rng, B, T, d))
    rows, ratios, gru_vs_lstm = [], {}, {}
    for u in sizes:
        fns = {}
        for kind in RNN_KINDS:
            fn = forward_fn(make_rnn_layer(kind, u, d), "function")
            fns[kind] = lambda fn=fn: fn(x_tf).numpy()
        stats = interleaved_times(fns, repeat=repeat, warmup=2, number=number)
        ratios[u] = ratios_to(stats, "simple_rnn", RNN_KINDS)
        gru_vs_lstm[u] = ratios_to(stats, "lstm", ["gru"])["gru"]
        for kind in RNN_KINDS:
            flops = step_flops(kind, d, u, B)
            r = ratios[u][kind]
            rows.append({"": f"{kind}, u={u}",
                         "time/step": format_seconds(stats[kind]["median"] / T),
                         "FLOP ratio": f"{flops / step_flops('simple_rnn', d, u, B):.0f}",
                         "time ratio [95% CI]": format_ratio(r),
                         "GFLOP/s": f"{flops * T / stats[kind]['median'] / 1e9:.2f}"})
    return {"rows": rows, "time_ratios": {u: {k: r.ratio for k, r in v.items()}
                                          for u, v in ratios.items()},
            "ratios": ratios, "gru_vs_lstm": gru_vs_lstm}
