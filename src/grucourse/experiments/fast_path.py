"""chapters/20_fast_path.ipynb: what keeps Keras's GRU on its fast path, and batching by length.

:func:`compare_fastpath` times the default ``keras.layers.GRU`` against variants that break a cuDNN
condition (on a CPU every variant runs the generic kernel); :func:`compare_batching` pads every
batch to the longest sequence or buckets by length, both with a mask. Candidates are timed in
interleaved rounds and compared as ratios with a 95% interval (:mod:`grucourse.measure.ratios`);
the correctness values (equal outputs, equal final states) never depend on timing.
"""

from __future__ import annotations

from grucourse.core.gru import gru_forward
from grucourse.core.gru_keras import from_keras
from grucourse.data.batching import bucket_by_length, fixed_batches, pad_batch, padding_waste
from grucourse.layers.timed import (
    FASTPATH_VARIANTS,
    fastpath_conditions,
    forward_fn,
    make_rnn_layer,
)
from grucourse.measure.ratios import max_abs_diff, ratio_rows
from grucourse.measure.timing import interleaved_times
from grucourse.validate import check_rng

import numpy as np

PAD_ALL, BUCKET = "pad_all", "bucket"  # the two strategies' keys
BATCHING_LABELS = {PAD_ALL: "pad all to the longest + mask", BUCKET: "bucket by length + mask"}



def compare_fastpath(rng, B=64, T=100, d=10, u=32, repeat=10, variants=tuple(FASTPATH_VARIANTS)):
    """On CPU (the generic kernel): the default GRU against variants that break a cuDNN condition.

    ``variants`` are names from :data:`FASTPATH_VARIANTS`, the default first. All variants share the
    default layer's weights where the shapes allow; at inference (``training=False``) recurrent
    dropout is off, so its output must equal the default's. ``ratios[name]`` is the variant's
    time over the default's, with its 95% interval.
    """
    import tensorflow as tf
    unknown = [v for v in variants if v not in FASTPATH_VARIANTS]
    if unknown or not variants or variants[0] != next(iter(FASTPATH_VARIANTS)):
        raise ValueError(f"variants must start with the default and come from "
                         f"{list(FASTPATH_VARIANTS)}")
    x = check_rng(rng).normal(size=(B, T, d)).astype(np.float32)  # (B, T, d)
    x_tf = tf.constant(x)
    variants = {k: FASTPATH_VARIANTS[k] for k in variants}
    base = None
    outputs, impl, fns = {}, {}, {}
    for name, kwargs in variants.items():
        layer = make_rnn_layer("gru", u, d, **kwargs)
        if base is None:
            base = layer
        elif kwargs.get("reset_after", True):
            layer.set_weights(base.get_weights())
        fn = forward_fn(layer, "function")
        outputs[name] = np.asarray(fn(x_tf))  # (B, u); traces the graph
        fns[name] = lambda fn=fn: fn(x_tf).numpy()
        impl[name] = layer.cell.implementation
    stats = interleaved_times(fns, repeat=repeat, warmup=1)
    rows, ratios = ratio_rows(stats, "default", {k: k for k in variants},
                              cell_impl={k: impl[k] for k in variants})
    diffs = {k: max_abs_diff(v, outputs["default"]) for k, v in outputs.items()
             if k != "reset_after=False"}
    return {"rows": rows, "max_abs_diff": diffs, "implementation": impl, "ratios": ratios,
            "broken": {k: [c for c, ok in fastpath_conditions(make_rnn_layer("gru", 2, 1, **kw))
                           .items() if not ok] for k, kw in variants.items()}}


def run_batches(fn, x_list, mask_list):
    """Run ``fn(x, mask)`` over a list of padded batches and return the list of outputs as numpy."""
    return [np.asarray(fn(x, m)) for x, m in zip(x_list, mask_list, strict=True)]


def compare_batching(rng, seqs, batch_size=32, u=16, repeat=10):
    """Padding every batch to the longest sequence (with a mask) against bucketing by length.

    Both strategies run the same masked ``keras.layers.GRU`` (one ``tf.function`` traced once for
    any batch shape) and must give each sequence the same final state; a run on the unpadded
    sequence alone is the reference. A padded batch *without* a mask is shown to give wrong states.
    ``ratio`` is pad-all time over bucketed time, with its 95% interval; ``per_batch`` holds
    (real steps, computed steps) per batch for each strategy, by its label.
    """
    import tensorflow as tf
    check_rng(rng)
    d = seqs[0].shape[1]
    lengths = np.array([s.shape[0] for s in seqs])  # (n,)
    layer = make_rnn_layer("gru", u, d)
    spec = (tf.TensorSpec((None, None, d), tf.float32), tf.TensorSpec((None, None), tf.bool))
    fn = tf.function(lambda x, m: layer(x, mask=m, training=False), input_signature=spec)
    longest = int(lengths.max())
    strategies = {PAD_ALL: (fixed_batches(len(seqs), batch_size), longest),
                  BUCKET: (bucket_by_length(lengths, batch_size), None)}
    finals, per_batch, fns, extra = {}, {}, {}, {"padding": {}, "B*T": {}, "seq. steps": {}}
    for name, (batches, maxlen) in strategies.items():
        padded = [pad_batch([seqs[i] for i in b], maxlen=maxlen) for b in batches]
        xs = [tf.constant(x) for x, _, _ in padded]  # each (b, T_batch, d)
        ms = [tf.constant(m) for _, m, _ in padded]  # each (b, T_batch)
        fns[name] = lambda xs=xs, ms=ms: run_batches(fn, xs, ms)
        h = np.empty((len(seqs), u), dtype=np.float32)  # (n, u), original order
        for b, out in zip(batches, run_batches(fn, xs, ms), strict=True):
            h[b] = out
        finals[name] = h
        # (real steps, computed steps) per batch
        per_batch[BATCHING_LABELS[name]] = [(int(lengths[b].sum()), len(b) * x.shape[1])
                                            for b, (x, _, _) in zip(batches, padded, strict=True)]
        extra["padding"][name] = f"{padding_waste(lengths, batches):.0%}"
        extra["B*T"][name] = sum(x.shape[0] * x.shape[1] for x, _, _ in padded)
        extra["seq. steps"][name] = sum(x.shape[1] for x, _, _ in padded)
    stats = interleaved_times(fns, repeat=repeat, warmup=1)
    rows, ratios = ratio_rows(stats, BUCKET, BATCHING_LABELS, **extra)
    # reference: a few sequences alone, unpadded; and the unmasked padded batch
    p = from_keras(layer)
    check = np.argsort(lengths)[[0, len(seqs) // 2, -1]]  # shortest, median, longest
    ref = np.stack([gru_forward(seqs[i][None], p)[0] for i in check])  # (3, u)
    x_all, _, _ = pad_batch([seqs[i] for i in check], maxlen=longest)
    unmasked = np.asarray(layer(x_all))  # (3, u): padding zeros run through the GRU
    return {"rows": rows, "ratio": ratios[PAD_ALL],
            "max_abs_diff_strategies": max_abs_diff(finals[PAD_ALL], finals[BUCKET]),
            "max_abs_diff_reference": max(max_abs_diff(finals[k][check], ref) for k in strategies),
            "max_abs_diff_unmasked": max_abs_diff(unmasked[:2], ref[:2]), "per_batch": per_batch,
            "medians": {k: stats[k]["median"] for k in strategies}}
