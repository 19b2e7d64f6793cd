"""GRU against LSTM (and SimpleRNN) over seeds, each seed trained on its own: accuracy and time.

Used by chapters/08_gru_vs_lstm.ipynb and chapters/09_when_to_prefer_gru.ipynb; it is also the
"built separately" reference that :mod:`grucourse.training.packed` is tested against.
Every function returns a tidy :class:`pandas.DataFrame`, one row per measurement (one model, one
seed, one size), so a chapter can group it, summarise it as mean ± standard deviation with
:func:`summarize`, and plot it.

Training reuses one compiled Keras model per ``(kind, units)``: for each seed it loads freshly
initialised weights (drawn after ``seed_everything(seed)``) and resets the optimizer, then runs
``steps`` Adam updates through one ``tf.function`` (the model's own loss and optimizer). The result
is the same as building a new model for each seed (a test checks it), without tracing TensorFlow's
training graph again (tracing costs about a second per model, more than a tiny model's training).

Timings interleave the models (:func:`grucourse.measure.timing.interleaved_times`), so a burst of
load from other processes slows every model alike, and report the median over rounds.
Keras and TensorFlow are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from grucourse.core.gru_keras import count_params
from grucourse.kinds import check_kind
from grucourse.layers.models import build_model
from grucourse.repro import quiet_retracing, seed_everything
from grucourse.validate import check_int

import numpy as np
import pandas as pd

# --- input checks ------------------------------------------------------------------------------


def _check_seeds(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        raise TypeError(f"seeds must be a list of integers such as [0, 1, 2], "
                        f"got the single integer {seeds!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: pass at least one seed, e.g. [0, 1, 2]")
    for s in seeds:
        check_int(s, "every seed", minimum=0)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    return [int(s) for s in seeds]


def _check_configs(configs) -> list[tuple[str, int]]:
    configs = list(configs)
    if not configs:
        raise ValueError("configs is empty: pass pairs such as [('GRU', 16), ('LSTM', 16)]")
    out = []
    for c in configs:
        if not (isinstance(c, tuple) and len(c) == 2):
            raise TypeError(f"each config must be a (kind, units) tuple, got {c!r}")
        out.append((check_kind(c[0]), check_int(c[1], "units")))
    return out


def _check_xy(X, y, name: str, task: str) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 3:
        raise ValueError(f"X_{name} must have shape (n, time, features), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X_{name} is empty: shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or not np.all(np.isfinite(X)):
        raise ValueError(f"X_{name} must hold finite numbers (no NaN or infinity)")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y_{name} has {y.shape[0]} labels for {X.shape[0]} sequences in X_{name}")
    if task == "regression" and (not np.issubdtype(y.dtype, np.number)
                                 or not np.all(np.isfinite(y))):
        raise ValueError(f"y_{name} must hold finite numbers (no NaN or infinity)")
    return X.astype(np.float32), y


def _check_data(data, task: str):
    if not (isinstance(data, (tuple, list)) and len(data) == 4):
        raise TypeError("data must be a tuple (X_train, y_train, X_val, y_val)")
    X_train, y_train = _check_xy(data[0], data[1], "train", task)
    X_val, y_val = _check_xy(data[2], data[3], "val", task)
    if X_train.shape[2] != X_val.shape[2]:
        raise ValueError(f"X_train has {X_train.shape[2]} features per step "
                         f"but X_val has {X_val.shape[2]}")
    return X_train, y_train, X_val, y_val


# --- training and scoring ----------------------------------------------------------------------


class _Template:
    """One compiled model per (kind, units); ``reset(seed)`` makes it a freshly initialised model.

    ``train_step(x, y)`` is one Adam update with the model's own loss and optimizer, in a
    ``tf.function`` (traced once, reused for every seed). With ``jit_compile=True`` XLA compiles it:
    a few seconds of compilation, then the many small per-time-step operations run fused (Keras
    itself does not offer XLA on a CPU). Both give the same updates up to float rounding.
    """

    def __init__(self, kind, units, n_features, n_outputs, task, seq_len, learning_rate,
                 layer_kwargs, jit_compile=False):
        import keras
        import tensorflow as tf

        self.args = (kind, units, n_features, n_outputs, task, seq_len, learning_rate)
        self.layer_kwargs = layer_kwargs
        self.model = model = build_model(*self.args, **layer_kwargs)
        model.optimizer.build(model.trainable_variables)
        self.opt_init = [v.numpy() for v in model.optimizer.variables]  # zero moments, step 0
        spec = tf.TensorSpec((None, seq_len, n_features), tf.float32)  # any batch size: traced once
        self.predict = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        loss_fn = keras.losses.get(model.loss)  # the loss build_model compiled the model with

        @tf.function(jit_compile=jit_compile, reduce_retracing=True)
        def train_step(x, y):
            with tf.GradientTape() as tape:
                # (B,) per sequence -> mean
                loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
            grads = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply(grads, model.trainable_variables)
            return loss

        self.train_step = train_step

    def reset(self, seed: int) -> None:
        seed_everything(seed)
        # the weights a new model gets for this seed
        fresh = build_model(*self.args, **self.layer_kwargs)
        self.model.set_weights(fresh.get_weights())
        for v, value in zip(self.model.optimizer.variables, self.opt_init, strict=True):
            v.assign(value)


def score(predictions, y, task: str = "classification") -> float:
    """Accuracy of ``predictions`` (argmax over classes, or ``p > 0.5`` for one sigmoid output),
    or their mean squared error for ``task="regression"``."""
    p = np.asarray(predictions, dtype=np.float64)  # (n, n_outputs)
    y = np.asarray(y)
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    if p.ndim != 2 or p.shape[0] != y.shape[0] or p.shape[0] == 0:
        raise ValueError(f"predictions must have shape (n, outputs) with "
                         f"n = len(y) = {y.shape[0]}, got {p.shape}")
    if task == "regression":
        return float(np.mean((p.reshape(y.shape) - y) ** 2))
    if p.shape[1] == 1:
        return float(np.mean((p[:, 0] > 0.5) == y.reshape(-1).astype(bool)))
    return float(np.mean(np.argmax(p, axis=1) == y.reshape(-1)))


def train_steps(train_step, X, y, steps: int, batch_size: int, rng: np.random.Generator) -> None:
    """``steps`` minibatch updates; batches of ``min(batch_size, n)`` from a fresh permutation
    each epoch."""
    n = X.shape[0]
    b = min(batch_size, n)
    per_epoch = n // b  # the incomplete last batch is skipped (it reappears in a later shuffle)
    order = rng.permutation(n)  # (n,)
    for step in range(steps):
        k = step % per_epoch
        if k == 0 and step > 0:
            order = rng.permutation(n)
        idx = order[k * b : (k + 1) * b]  # (b,)
        train_step(X[idx], y[idx])


def _check_task(task, n_outputs, y_train) -> int:
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    n_outputs = check_int(n_outputs, "n_outputs")
    if task == "classification" and n_outputs > 1 and int(np.max(y_train)) >= n_outputs:
        raise ValueError(f"labels go up to {int(np.max(y_train))} "
                         f"but n_outputs={n_outputs} classes")
    return n_outputs


def _run(tpl: _Template, kind, units, data, seed, steps, batch_size, task, reset_after) -> dict:
    """One training run from the seed's initial weights, scored on the training and validation
    sets."""
    X_train, y_train, X_val, y_val = data
    tpl.reset(seed)
    t0 = time.perf_counter()
    train_steps(tpl.train_step, X_train, y_train, steps, batch_size, np.random.default_rng(seed))
    train_s = time.perf_counter() - t0
    return {"kind": kind, "units": units,
            "params": count_params(kind, X_train.shape[2], units, reset_after),
            "seed": seed, "n_train": X_train.shape[0],
            "train_score": score(tpl.predict(X_train), y_train, task),
            "val_score": score(tpl.predict(X_val), y_val, task), "train_s": train_s}


def compare_models(configs, data, seeds, *, task: str = "classification", n_outputs: int = 1,
                   steps: int = 200, batch_size: int = 64, learning_rate: float = 1e-2,
                   jit_compile: bool = False, **layer_kwargs) -> pd.DataFrame:
    """Train every ``(kind, units)`` in ``configs`` once per seed and score it on the validation
    set.

    ``data = (X_train, y_train, X_val, y_val)``. Each run starts from the initial weights of a new
    model built after ``seed_everything(seed)``, trains ``steps`` Adam updates on minibatches of
    ``batch_size`` (order drawn from ``default_rng(seed)``), and is scored with :func:`score`
    (accuracy, or mean squared error for ``task="regression"``). ``jit_compile=True`` compiles the
    update with XLA (same model, loss and optimizer; much faster per step for long sequences, plus a
    few seconds of compilation per ``(kind, units)``).
    Returns one row per run:
    ``kind, units, params, seed, n_train, train_score, val_score, train_s``.
    """
    configs = _check_configs(configs)
    seeds = _check_seeds(seeds)
    data = _check_data(data, task)
    n_outputs = _check_task(task, n_outputs, data[1])
    steps = check_int(steps, "steps")
    batch_size = check_int(batch_size, "batch_size")
    d, seq_len = data[0].shape[2], data[0].shape[1]
    reset_after = layer_kwargs.get("reset_after", True)
    rows = []
    with quiet_retracing():
        for kind, units in configs:
            tpl = _Template(kind, units, d, n_outputs, task, seq_len, learning_rate, layer_kwargs,
                            jit_compile)
            for seed in seeds:
                rows.append(_run(tpl, kind, units, data, seed, steps, batch_size, task,
                                 reset_after))
    return pd.DataFrame(rows)


def learning_curve(configs, make_data: Callable, sizes: Sequence[int], seeds, *, n_val: int = 512,
                   val_seed: int = 10_000, task: str = "classification", n_outputs: int = 1,
                   steps: int = 200, batch_size: int = 64, learning_rate: float = 1e-2,
                   jit_compile: bool = False, **layer_kwargs) -> pd.DataFrame:
    """Validation score against training-set size, same columns as :func:`compare_models`.

    For each seed, ``make_data(max(sizes), default_rng(seed))`` draws a pool and every size trains
    on its first ``n`` sequences (nested subsets), so a bigger set only adds data. One validation
    set of ``n_val`` sequences, ``make_data(n_val, default_rng(val_seed))``, scores every run.
    ``steps`` is the same for every size (equal compute, not equal epochs): small sets are seen many
    more times.
    """
    if not callable(make_data):
        raise TypeError("make_data must be a function (n, rng) -> (X, y)")
    configs = _check_configs(configs)
    sizes = [check_int(n, "every training-set size") for n in sizes]
    if not sizes:
        raise ValueError("sizes is empty: pass training-set sizes such as [32, 128, 512]")
    seeds = _check_seeds(seeds)
    steps = check_int(steps, "steps")
    batch_size = check_int(batch_size, "batch_size")
    X_val, y_val = make_data(check_int(n_val, "n_val"), np.random.default_rng(val_seed))
    pools = {seed: make_data(max(sizes), np.random.default_rng(seed)) for seed in seeds}
    first = _check_data((*pools[seeds[0]], X_val, y_val), task)
    n_outputs = _check_task(task, n_outputs, first[1])
    d, seq_len = first[0].shape[2], first[0].shape[1]
    reset_after = layer_kwargs.get("reset_after", True)
    rows = []
    with quiet_retracing():
        for kind, units in configs:
            tpl = _Template(kind, units, d, n_outputs, task, seq_len, learning_rate, layer_kwargs,
                            jit_compile)
            for seed in seeds:
                X_pool, y_pool = pools[seed]
                for n in sizes:
                    data = _check_data((X_pool[:n], y_pool[:n], X_val, y_val), task)
                    rows.append(_run(tpl, kind, units, data, seed, steps, batch_size, task,
                                     reset_after))
    return pd.DataFrame(rows)


# --- summaries -----------------------------------------------------------------------------------
