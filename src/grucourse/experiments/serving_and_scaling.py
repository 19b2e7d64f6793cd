"""chapters/21_serving_and_scaling.ipynb: streaming one step at a time, tf.function and XLA.

:func:`streaming_latency` feeds a Keras ``GRUCell`` one input at a time (its states must equal the
full-sequence run) and times one step at batch 1 for numpy, eager Keras and a ``tf.function``;
:func:`compare_compilation` runs one ``keras.layers.GRU`` eagerly, as a graph and compiled by XLA.
Candidates are timed in interleaved rounds and compared as ratios with a 95% interval
(:mod:`grucourse.measure.ratios`); the correctness values never depend on timing.
"""

from __future__ import annotations

import time

from grucourse.core.gru_keras import from_keras
from grucourse.core.gru_variants import as_float32, stream_cell
from grucourse.layers.timed import forward_fn, make_rnn_layer
from grucourse.measure.ratios import max_abs_diff, ratio_rows
from grucourse.measure.timing import format_seconds, interleaved_times
from grucourse.validate import check_rng

import numpy as np

COMPILE_MODES = {"eager": "eager", "function": "tf.function",
                 "xla": "tf.function(jit_compile=True)"}


def streaming_latency(rng, d=10, u=32, T=50, repeat=10, number=20):
    """Real-time inference: one new input per step (batch 1).

    The streamed states must equal the full-sequence run. The table gives the latency of one step
    (the mean of ``number`` calls per round) for numpy, an eager Keras cell and the cell in a
    ``tf.function``; ``ratios`` are each one's time over the numpy step's, with 95% intervals.
    """
    from grucourse.core.gru import gru_step

    import tensorflow as tf
    layer = make_rnn_layer("gru", u, d, return_sequences=True)
    cell = layer.cell
    x = check_rng(rng).normal(size=(1, T, d)).astype(np.float32)  # (1, T, d)
    full = np.asarray(layer(x))  # (1, T, u)

    def eager_step(x_t, h):
        return cell(x_t, h, training=False)[0]  # (1, u)
    graph_step = tf.function(eager_step)
    h0 = tf.zeros((1, u))
    streamed = stream_cell(graph_step, tf.constant(x), h0)  # (1, T, u)
    p = as_float32(from_keras(layer))
    x_t, h_np = x[:, 0], np.zeros((1, u), np.float32)  # (1, d), (1, u)
    x_t_tf = tf.constant(x_t)
    stats = interleaved_times({"numpy": lambda: gru_step(x_t, h_np, p),
                               "eager": lambda: eager_step(x_t_tf, h0),
                               "function": lambda: graph_step(x_t_tf, h0).numpy()},
                              repeat=repeat, warmup=3, number=number)
    labels = {"numpy": "numpy gru_step", "eager": "Keras GRUCell, eager",
              "function": "Keras GRUCell, tf.function"}
    rows, ratios = ratio_rows(stats, "numpy", labels)
    return {"rows": rows, "ratios": ratios, "max_abs_diff": max_abs_diff(streamed, full), "T": T}


def compare_compilation(rng, B=64, T=100, d=10, u=32, repeat=10):
    """One Keras GRU run eagerly, as a ``tf.function`` graph and compiled by XLA (``jit_compile``).

    The first call includes tracing (and XLA compilation); the table shows it apart from the median
    of the later calls, all three timed in interleaved rounds. ``ratios`` are each mode's time over
    the graph's, with 95% intervals. All three must give the same output.
    """
    import tensorflow as tf
    layer = make_rnn_layer("gru", u, d)
    x_tf = tf.constant(check_rng(rng).normal(size=(B, T, d)).astype(np.float32))  # (B, T, d)
    outs, first, fns = {}, {}, {}
    for mode in COMPILE_MODES:
        fn = forward_fn(layer, mode)
        t0 = time.perf_counter()
        outs[mode] = np.asarray(fn(x_tf))  # (B, u); first call: tracing / compiling included
        first[mode] = format_seconds(time.perf_counter() - t0)
        fns[mode] = lambda fn=fn: fn(x_tf).numpy()
    stats = interleaved_times(fns, repeat=repeat, warmup=1)
    rows, ratios = ratio_rows(stats, "function", COMPILE_MODES, first_call=first)
    return {"rows": rows, "ratios": ratios,
            "max_abs_diff": max(max_abs_diff(outs[m], outs["eager"]) for m in ("function", "xla")),
            "medians": {m: stats[m]["median"] for m in COMPILE_MODES}}
