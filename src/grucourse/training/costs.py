"""Training and inference time of SimpleRNN, GRU and LSTM models of several sizes, interleaved.

Used by chapters/08_gru_vs_lstm.ipynb and chapters/09_when_to_prefer_gru.ipynb. Timings interleave
the models (:func:`grucourse.measure.timing.interleaved_times`), so a burst of load from other
processes slows every model alike; each row carries the paired samples, so ratios between kinds
get an interval (:func:`grucourse.measure.stats.time_ratio`). FLOPs per step come from
:func:`grucourse.measure.timing.step_flops` (GRU : LSTM = 3 : 4 at every size).
"""

from __future__ import annotations

from collections.abc import Sequence

from grucourse.core.gru_keras import count_params
from grucourse.kinds import check_kind
from grucourse.layers.models import build_model
from grucourse.measure.timing import interleaved_times, step_flops
from grucourse.repro import quiet_retracing, seed_everything
from grucourse.validate import check_int

import numpy as np
import pandas as pd


def time_costs(kinds: Sequence[str], units: Sequence[int], *, seq_len: int = 50,
               n_features: int = 10, n_train: int = 256, batch_size: int = 64, repeat: int = 5,
               seed: int = 0, train: bool = True,
               latency_repeat: int | None = None) -> pd.DataFrame:
    """Training time per epoch and inference latency of each kind at each size (medians,
    interleaved).

    One epoch is ``n_train // batch_size`` calls of Keras's ``train_on_batch`` (forward, backward
    and an Adam update) on random sequences of shape ``(batch_size, seq_len, n_features)``. Latency
    is one forward pass of a single sequence ``(1, seq_len, n_features)`` through a ``tf.function``
    of the model, as a real-time application would call it. Returns one row per model with
    ``epoch_s``, ``latency_s`` (medians), their quartiles, the per-round timings ``epoch_samples``
    and ``latency_samples`` (tuples, paired across models by round), ``params`` and
    ``flops_per_step`` (batch 1, from :func:`grucourse.measure.timing.step_flops`:
    GRU : LSTM = 3 : 4 at every size).
    ``train=False`` times only the latency (the epoch columns are then NaN). Latency is timed in
    ``latency_repeat`` rounds (default ``10 * repeat``).
    """
    import tensorflow as tf

    kinds = [check_kind(k) for k in kinds]
    units = [check_int(u, "units") for u in units]
    if not kinds or not units:
        raise ValueError("kinds and units must both be non-empty")
    T = check_int(seq_len, "seq_len")
    d = check_int(n_features, "n_features")
    n_batches = check_int(n_train, "n_train") // check_int(batch_size, "batch_size")
    if n_batches < 1:
        raise ValueError(f"n_train={n_train} is smaller than batch_size={batch_size}: "
                         "no full batch")
    rng = seed_everything(seed)
    X = rng.random((n_batches, batch_size, T, d)).astype(np.float32)  # (batches, B, T, d)
    y = rng.random((n_batches, batch_size, 1)).astype(np.float32)  # (batches, B, 1)
    x1 = tf.constant(X[0, :1])  # (1, T, d)
    epoch_fns, latency_fns, meta = {}, {}, {}
    for u in units:
        for kind in kinds:
            key = f"{kind} {u}"
            model = build_model(kind, u, d, 1, task="regression", seq_len=T)

            def epoch(model=model):
                for i in range(n_batches):
                    model.train_on_batch(X[i], y[i])

            forward = tf.function(lambda x, model=model: model(x, training=False))
            epoch_fns[key] = epoch
            latency_fns[key] = lambda forward=forward: forward(x1).numpy()
            meta[key] = {"kind": kind, "units": u, "params": count_params(kind, d, u),
                         "flops_per_step": step_flops(kind, d, u, 1)}
    with quiet_retracing():
        if train:
            epoch_t = pd.DataFrame.from_dict(interleaved_times(epoch_fns, repeat=repeat, warmup=1),
                                             orient="index")
        else:
            epoch_t = pd.DataFrame({"median": np.nan, "q1": np.nan, "q3": np.nan,
                                    "samples": [()] * len(epoch_fns)}, index=list(epoch_fns))
        n_latency = (10 * repeat if latency_repeat is None
                     else check_int(latency_repeat, "latency_repeat"))
        latency_t = pd.DataFrame.from_dict(interleaved_times(latency_fns, repeat=n_latency,
                                                             warmup=2), orient="index")
    rows = []
    for key, m in meta.items():
        rows.append({**m, "epoch_s": epoch_t.loc[key, "median"], "epoch_q1": epoch_t.loc[key, "q1"],
                     "epoch_q3": epoch_t.loc[key, "q3"], "latency_s": latency_t.loc[key, "median"],
                     "latency_q1": latency_t.loc[key, "q1"], "latency_q3": latency_t.loc[key, "q3"],
                     "epoch_samples": epoch_t.loc[key, "samples"],
                     "latency_samples": latency_t.loc[key, "samples"]})
    return pd.DataFrame(rows)
