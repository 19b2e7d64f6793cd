"""chapters/19_efficiency.ipynb: its experiments, shared with ``benchmarks/`` (fewer repeats there).

Each ``compare_*`` function runs one experiment and returns a dict with ``rows`` (a table for
:func:`grucourse.measure.timing.format_table`) and the numbers the chapter checks (output
differences, ratios). Timings are medians of repeated runs
(:func:`grucourse.measure.timing.median_time`); the correctness values never depend on timing.
Keras and TensorFlow are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

from grucourse.core.gru import gru_forward
from grucourse.core.gru_keras import from_keras
from grucourse.core.gru_variants import as_float32, gru_forward_per_step, stream_cell
from grucourse.data.batching import bucket_by_length, fixed_batches, pad_batch, padding_waste
from grucourse.kinds import SNAKE_NAMES
from grucourse.layers.timed import (
    FASTPATH_VARIANTS,
    fastpath_conditions,
    forward_fn,
    make_rnn_layer,
)
from grucourse.measure.timing import (
    format_seconds,
    interleaved_times,
    median_time,
    single_blas_thread,
    step_flops,
    timing_row,
)
from grucourse.validate import check_rng

import numpy as np

RNN_KINDS = tuple(SNAKE_NAMES.values())  # ("simple_rnn", "gru", "lstm"): the table rows' names


def _random_batch(rng, B, T, d):
    return check_rng(rng).normal(size=(B, T, d)).astype(np.float32)  # (B, T, d)


def _max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


# --- Experiments -----------------------------------------------------------------------


def projection_time_share(rng, B=64, T=100, d=10, u=32, repeat=7):
    """Where a numpy GRU forward spends its time: the input projection of all steps vs the rest.

    The projection ``X W`` is one ``(T B, d) @ (d, 3u)`` product, parallel over time; the remaining
    time is the loop of ``T`` dependent steps (recurrent product and gates).
    """
    from grucourse.core.gru import init_gru_params
    x = _random_batch(rng, B, T, d)  # (B, T, d)
    p = init_gru_params(d, u, rng, convention="keras", reset_after=True)
    W = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1).astype(np.float32)  # (d, 3u)
    xs = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(T * B, d)  # (T*B, d)
    p32 = as_float32(p)
    with single_blas_thread():
        proj = median_time(lambda: xs @ W, repeat=repeat, warmup=2, number=5)
        full = median_time(lambda: gru_forward(x, p32), repeat=repeat, warmup=2)
    flops_proj = 2 * 3 * d * u * B * T
    flops_total = step_flops("gru", d, u, B) * T
    share_time = proj["median"] / full["median"]
    share_flops = flops_proj / flops_total
    rows = [timing_row("input projection, all steps (one matmul)", proj,
                       **{"share of time": f"{share_time:.0%}",
                          "share of FLOPs": f"{share_flops:.0%}"}),
            timing_row("whole forward (projection + T steps)", full,
                       **{"share of time": "100%", "share of FLOPs": "100%"})]
    return {"rows": rows, "share_time": share_time, "share_flops": share_flops,
            "stats": (proj, full)}


def compare_projection(rng, B=64, T=100, d=10, u=32, repeat=7):
    """Fused input projection (:func:`gru_forward`) vs the per-step one, same weights, float32."""
    from grucourse.core.gru import init_gru_params
    x = _random_batch(rng, B, T, d)  # (B, T, d)
    p = as_float32(init_gru_params(d, u, rng, convention="keras", reset_after=True))
    with single_blas_thread():
        stats = interleaved_times({"fused": lambda: gru_forward(x, p),
                                   "per_step": lambda: gru_forward_per_step(x, p)},
                                  repeat=repeat, warmup=2)
    fused, per_step = stats["fused"], stats["per_step"]
    diff = _max_diff(gru_forward(x, p), gru_forward_per_step(x, p))
    speedup = per_step["median"] / fused["median"]
    rows = [timing_row("per-step projection (T small matmuls)", per_step,
                       **{"vs fused": f"{speedup:.2f}x"}),
            timing_row("fused projection (one matmul)", fused, **{"vs fused": "1.00x"})]
    return {"rows": rows, "max_abs_diff": diff, "speedup": speedup}


def compare_numpy_keras(rng, B=64, T=100, d=10, u=32, repeat=20):
    """The course's numpy GRU vs ``keras.layers.GRU`` in a ``tf.function``, same float32 weights."""
    import tensorflow as tf
    layer = make_rnn_layer("gru", u, d)
    x = _random_batch(rng, B, T, d)  # (B, T, d)
    x_tf = tf.constant(x)
    keras_fn = forward_fn(layer, "function")
    p = as_float32(from_keras(layer))
    with single_blas_thread():  # numpy's BLAS only; TensorFlow has its own thread pools
        stats = interleaved_times({"np1": lambda: gru_forward(x, p),
                                   "keras": lambda: keras_fn(x_tf).numpy()},
                                  repeat=repeat, warmup=2)
    t_np, t_keras = stats["np1"], stats["keras"]
    t_np_threads = median_time(lambda: gru_forward(x, p), repeat=repeat, warmup=2)
    diff = _max_diff(gru_forward(x, p), keras_fn(x_tf))
    ratio = t_np["median"] / t_keras["median"]
    ratio_threads = t_np_threads["median"] / t_keras["median"]
    rows = [timing_row("numpy gru_forward, 1 BLAS thread", t_np, **{"/ Keras": f"{ratio:.2f}"}),
            timing_row("numpy gru_forward, default BLAS threads", t_np_threads,
                       **{"/ Keras": f"{ratio_threads:.2f}"}),
            timing_row("keras.layers.GRU in tf.function", t_keras, **{"/ Keras": "1.00"})]
    return {"rows": rows, "max_abs_diff": diff, "ratio": ratio,
            "ratio_default_threads": ratio_threads}


def compare_fastpath(rng, B=64, T=100, d=10, u=32, repeat=7, variants=tuple(FASTPATH_VARIANTS)):
    """On CPU (the generic kernel): the default GRU against variants that break a cuDNN condition.

    ``variants`` are names from :data:`FASTPATH_VARIANTS`, the default first. All variants share the
    default layer's weights where the shapes allow; at inference (``training=False``) recurrent
    dropout is off, so its output must equal the default's.
    """
    import tensorflow as tf
    unknown = [v for v in variants if v not in FASTPATH_VARIANTS]
    if unknown or not variants or variants[0] != next(iter(FASTPATH_VARIANTS)):
        raise ValueError(f"variants must start with the default and come from "
                         f"{list(FASTPATH_VARIANTS)}")
    x = _random_batch(rng, B, T, d)  # (B, T, d)
    x_tf = tf.constant(x)
    variants = {k: FASTPATH_VARIANTS[k] for k in variants}
    base = None
    outputs, impl, fns, broken = {}, {}, {}, {}
    for name, kwargs in variants.items():
        layer = make_rnn_layer("gru", u, d, **kwargs)
        if base is None:
            base = layer
        elif kwargs.get("reset_after", True):
            layer.set_weights(base.get_weights())
        fn = forward_fn(layer, "function")
        outputs[name] = np.asarray(fn(x_tf))  # traces the graph
        fns[name] = lambda fn=fn: fn(x_tf).numpy()
        impl[name] = layer.cell.implementation
        broken[name] = [k for k, ok in fastpath_conditions(layer).items() if not ok]
    stats = interleaved_times(fns, repeat=repeat, warmup=1)
    rows = [timing_row(name, stats[name], **{"cell impl.": impl[name],
                                             "broken": ", ".join(broken[name]) or "none"})
            for name in variants]
    diffs = {k: _max_diff(v, outputs["default"]) for k, v in outputs.items()
             if k != "reset_after=False"}
    return {"rows": rows, "max_abs_diff": diffs, "implementation": impl}


def run_batches(fn, x_list, mask_list):
    """Run ``fn(x, mask)`` over a list of padded batches and return the list of outputs as numpy."""
    return [np.asarray(fn(x, m)) for x, m in zip(x_list, mask_list, strict=True)]


def compare_batching(rng, seqs, batch_size=32, u=16, repeat=5):
    """Padding every batch to the longest sequence (with a mask) against bucketing by length.

    Both strategies run the same masked ``keras.layers.GRU`` (one ``tf.function`` traced once for
    any batch shape) and must give each sequence the same final state; a run on the unpadded
    sequence alone is the reference. A padded batch *without* a mask is shown to give wrong states.
    """
    import tensorflow as tf
    d = seqs[0].shape[1]
    lengths = np.array([s.shape[0] for s in seqs])  # (n,)
    layer = make_rnn_layer("gru", u, d)
    spec = (tf.TensorSpec((None, None, d), tf.float32), tf.TensorSpec((None, None), tf.bool))
    fn = tf.function(lambda x, m: layer(x, mask=m, training=False), input_signature=spec)
    longest = int(lengths.max())
    strategies = {"pad all to the longest + mask": (fixed_batches(len(seqs), batch_size), longest),
                  "bucket by length + mask": (bucket_by_length(lengths, batch_size), None)}
    rows, finals, per_batch, medians, fns, prepared = [], {}, {}, {}, {}, {}
    for name, (batches, maxlen) in strategies.items():
        padded = [pad_batch([seqs[i] for i in b], maxlen=maxlen) for b in batches]
        xs = [tf.constant(x) for x, _, _ in padded]  # each (b, T_batch, d)
        ms = [tf.constant(m) for _, m, _ in padded]  # each (b, T_batch)
        fns[name] = lambda xs=xs, ms=ms: run_batches(fn, xs, ms)
        prepared[name] = (batches, padded, xs, ms)
    all_stats = interleaved_times(fns, repeat=repeat, warmup=1)
    for name, (batches, padded, xs, ms) in prepared.items():
        stats = all_stats[name]
        medians[name] = stats["median"]
        h = np.empty((len(seqs), u), dtype=np.float32)  # (n, u), original order
        for b, out in zip(batches, run_batches(fn, xs, ms), strict=True):
            h[b] = out
        finals[name] = h
        # (real steps, computed steps) per batch
        per_batch[name] = [(int(lengths[b].sum()), len(b) * x.shape[1]) for b, (x, _, _) in
                           zip(batches, padded, strict=True)]
        waste = padding_waste(lengths, batches)
        steps = sum(x.shape[0] * x.shape[1] for x, _, _ in padded)
        loop_steps = sum(x.shape[1] for x, _, _ in padded)
        rows.append(timing_row(name, stats, **{"padding": f"{waste:.0%}", "B*T computed": steps,
                                               "sequential steps": loop_steps}))
    # reference: a few sequences alone, unpadded; and the unmasked padded batch
    p = from_keras(layer)
    check = np.argsort(lengths)[[0, len(seqs) // 2, -1]]  # shortest, median, longest
    ref = np.stack([gru_forward(seqs[i][None], p)[0] for i in check])  # (3, u)
    x_all, _, _ = pad_batch([seqs[i] for i in check], maxlen=longest)
    unmasked = np.asarray(layer(x_all))  # (3, u): padding zeros run through the GRU
    names = list(strategies)
    return {"rows": rows,
            "max_abs_diff_strategies": _max_diff(finals[names[0]], finals[names[1]]),
            "max_abs_diff_reference": max(_max_diff(finals[k][check], ref) for k in names),
            "max_abs_diff_unmasked": _max_diff(unmasked[:2], ref[:2]), "per_batch": per_batch,
            "medians": {k: float(v) for k, v in medians.items()}}


def streaming_latency(rng, d=10, u=32, T=50, repeat=7):
    """Real-time inference: one new input per step (batch 1). The streamed states must equal the
    full-sequence run; the table gives the latency of one step for numpy and Keras."""
    from grucourse.core.gru import gru_step

    import tensorflow as tf
    layer = make_rnn_layer("gru", u, d, return_sequences=True)
    cell = layer.cell
    x = _random_batch(rng, 1, T, d)  # (1, T, d)
    full = np.asarray(layer(x))  # (1, T, u)

    def eager_step(x_t, h):
        return cell(x_t, h, training=False)[0]
    graph_step = tf.function(eager_step)
    h0 = tf.zeros((1, u))
    streamed = stream_cell(graph_step, tf.constant(x), h0)  # (1, T, u)
    p = as_float32(from_keras(layer))
    x_t, h_np = x[:, 0], np.zeros((1, u), np.float32)  # (1, d), (1, u)
    x_t_tf = tf.constant(x_t)
    rows = [timing_row("numpy gru_step",
                       median_time(lambda: gru_step(x_t, h_np, p), repeat, 3, number=20)),
            timing_row("Keras GRUCell, eager",
                       median_time(lambda: eager_step(x_t_tf, h0), repeat, 3, number=20)),
            timing_row("Keras GRUCell, tf.function",
                       median_time(lambda: graph_step(x_t_tf, h0).numpy(), repeat, 3, number=20))]
    return {"rows": rows, "max_abs_diff": _max_diff(streamed, full), "T": T}


def compare_compilation(rng, B=64, T=100, d=10, u=32, repeat=7, repeat_eager=None):
    """One Keras GRU run eagerly, as a ``tf.function`` graph and compiled by XLA (``jit_compile``).

    The first call includes tracing (and XLA compilation); the table shows it apart from the median
    of the later calls. All three must give the same output.
    """
    import time

    import tensorflow as tf
    layer = make_rnn_layer("gru", u, d)
    x_tf = tf.constant(_random_batch(rng, B, T, d))
    names = {"eager": "eager", "function": "tf.function", "xla": "tf.function(jit_compile=True)"}
    outs, first, fns = {}, {}, {}
    for mode in names:
        fn = forward_fn(layer, mode)
        t0 = time.perf_counter()
        outs[mode] = np.asarray(fn(x_tf))  # first call: tracing / compiling included
        first[mode] = time.perf_counter() - t0
        fns[mode] = lambda fn=fn: fn(x_tf).numpy()
    stats = {"eager": median_time(fns["eager"], repeat=repeat_eager or repeat, warmup=0)}
    stats.update(interleaved_times({m: fns[m] for m in ("function", "xla")}, repeat=repeat,
                                   warmup=1))
    medians = {m: stats[m]["median"] for m in names}
    rows = [timing_row(names[m], stats[m],
                       **{"first call": format_seconds(first[m]), "time / tf.function": ""})
            for m in names]
    for row, mode in zip(rows, medians, strict=True):
        row["time / tf.function"] = f"{medians[mode] / medians['function']:.2g}"
    return {"rows": rows,
            "max_abs_diff": max(_max_diff(outs[m], outs["eager"]) for m in ("function", "xla")),
            "medians": medians}


def compare_cell_types(rng, sizes=(32, 256), B=64, T=50, d=10, repeat=5, number=1):
    """Time per step of SimpleRNN, GRU and LSTM layers (``tf.function``) vs FLOP ratios 1 : 3 : 4.

    Layers of one size are timed in turns (:func:`grucourse.measure.timing.interleaved_times`).
    """
    import tensorflow as tf
    x_tf = tf.constant(_random_batch(rng, B, T, d))
    rows, ratios = [], {}
    for u in sizes:
        fns = {}
        for kind in RNN_KINDS:
            fn = forward_fn(make_rnn_layer(kind, u, d), "function")
            fns[kind] = lambda fn=fn: fn(x_tf).numpy()
        # A, B, C, A, B, C, ...
        stats = interleaved_times(fns, repeat=repeat, warmup=2, number=number)
        per_step = {kind: stats[kind]["median"] / T for kind in RNN_KINDS}
        for kind in RNN_KINDS:
            flops = step_flops(kind, d, u, B)
            rows.append({"": f"{kind}, u={u}", "time/step": format_seconds(per_step[kind]),
                         "IQR/step": format_seconds(stats[kind]["iqr"] / T), "FLOPs/step": flops,
                         "FLOP ratio": f"{flops / step_flops('simple_rnn', d, u, B):.0f}",
                         "time ratio": f"{per_step[kind] / per_step['simple_rnn']:.2f}",
                         "GFLOP/s": f"{flops / per_step[kind] / 1e9:.2f}"})
        ratios[u] = {k: per_step[k] / per_step["simple_rnn"] for k in RNN_KINDS}
    return {"rows": rows, "time_ratios": ratios}
