"""GRU against LSTM (and SimpleRNN), measured: structure, accuracy over seeds, training and inference time.

Every function returns a tidy :class:`pandas.DataFrame`, one row per measurement (one model, one seed,
one size), so a chapter can group it, summarise it as mean ± standard deviation with :func:`summarize`,
and plot it.

Training reuses one compiled Keras model per ``(kind, units)``: for each seed it loads freshly
initialised weights (drawn after ``seed_everything(seed)``) and resets the optimizer, then runs
``steps`` Adam updates through one ``tf.function`` (the model's own loss and optimizer). The result is
the same as building a new model for each seed (a test checks it), without tracing TensorFlow's
training graph again (tracing costs about a second per model, more than a tiny model's training).

Timings interleave the models (one sample of each model per round, in rotating order), so a burst of
load from other processes slows every model alike, and report the median over rounds.
Keras and TensorFlow are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

from grucourse.gru import count_params
from grucourse.models import KINDS, build_model, recurrent_layer
from grucourse.repro import seed_everything
from grucourse.timing import step_flops

import numpy as np
import pandas as pd

_NAMES = {"SimpleRNN": "simple_rnn", "GRU": "gru", "LSTM": "lstm"}


@contextlib.contextmanager
def _quiet_retracing():
    """Silence TensorFlow's "triggered tf.function retracing" warning inside the block.

    TF warns when several functions are traced within a few calls. Here every model is a new
    function by design (each is traced once and then reused), so the warning does not apply.
    """
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)


# --- input checks ------------------------------------------------------------------------------


def _check_kind(kind) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def _check_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_seeds(seeds) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        raise TypeError(f"seeds must be a list of integers such as [0, 1, 2], got the single integer {seeds!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty: pass at least one seed, e.g. [0, 1, 2]")
    for s in seeds:
        _check_int(s, "every seed", minimum=0)
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
        out.append((_check_kind(c[0]), _check_int(c[1], "units")))
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
    if task == "regression" and (not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y))):
        raise ValueError(f"y_{name} must hold finite numbers (no NaN or infinity)")
    return X.astype(np.float32), y


def _check_data(data, task: str):
    if not (isinstance(data, (tuple, list)) and len(data) == 4):
        raise TypeError("data must be a tuple (X_train, y_train, X_val, y_val)")
    X_train, y_train = _check_xy(data[0], data[1], "train", task)
    X_val, y_val = _check_xy(data[2], data[3], "val", task)
    if X_train.shape[2] != X_val.shape[2]:
        raise ValueError(f"X_train has {X_train.shape[2]} features per step but X_val has {X_val.shape[2]}")
    return X_train, y_train, X_val, y_val


# --- structure -------------------------------------------------------------------------------


def layer_structure(kind: str, n_features: int, units: int) -> dict:
    """Count what a Keras ``kind`` layer carries, from its weights and states (not from a table).

    ``weight blocks`` is the kernel's column count over ``units`` (``kernel`` has shape
    ``(d, blocks * u)``): GRU 3 (z, r, h~), LSTM 4 (i, f, c~, o), SimpleRNN 1. Gates are the
    blocks squashed by a sigmoid, i.e. all but the tanh candidate. ``states`` is how many tensors
    the layer returns besides its output with ``return_state=True``: a GRU returns ``h``, an
    LSTM ``h`` and the cell ``c``. Memory is float32 bytes of the weights and of the state carried
    from one step to the next for one sequence.
    """
    import keras

    _check_kind(kind)
    d = _check_int(n_features, "n_features")
    u = _check_int(units, "units")
    layer = recurrent_layer(kind, u, return_state=True)
    outputs = layer(keras.ops.zeros((1, 2, d)))  # builds the weights; [output, *states]
    kernel = layer.cell.kernel  # (d, blocks * u)
    blocks = int(kernel.shape[1]) // u
    states = outputs[1:]
    params = int(layer.count_params())
    return {
        "kind": kind,
        "units": u,
        "weight blocks": blocks,
        "gates": blocks - 1,
        "states": len(states),
        "cell state": len(states) == 2,
        "params (Keras)": params,
        "params (formula)": count_params(_NAMES[kind], d, u),
        "weight bytes": 4 * params,
        "state bytes": 4 * sum(int(np.prod(s.shape[1:])) for s in states),
    }


def parameter_table(kinds: Sequence[str], n_features: int, units: Sequence[int]) -> pd.DataFrame:
    """Parameters of each kind for each unit count: the formula, ``count_params`` and Keras's count."""
    d = _check_int(n_features, "n_features")
    units = [_check_int(u, "units") for u in units]
    if not units:
        raise ValueError("units is empty: pass unit counts such as [8, 16, 32]")
    rows = []
    for kind in kinds:
        _check_kind(kind)
        for u in units:
            s = layer_structure(kind, d, u)
            rows.append({"kind": kind, "units": u, "params (formula)": s["params (formula)"],
                         "params (Keras)": s["params (Keras)"]})
    return pd.DataFrame(rows)


# --- training and scoring ----------------------------------------------------------------------


class _Template:
    """One compiled model per (kind, units); ``reset(seed)`` makes it a freshly initialised model.

    ``train_step(x, y)`` is one Adam update with the model's own loss and optimizer, in a
    ``tf.function`` (traced once, reused for every seed). With ``jit_compile=True`` XLA compiles it:
    a few seconds of compilation, then the many small per-time-step operations run fused (Keras
    itself does not offer XLA on a CPU). Both give the same updates up to float rounding.
    """

    def __init__(self, kind, units, n_features, n_outputs, task, seq_len, learning_rate, layer_kwargs,
                 jit_compile=False):
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
                loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))  # (B,) per sequence -> mean
            grads = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply(grads, model.trainable_variables)
            return loss

        self.train_step = train_step

    def reset(self, seed: int) -> None:
        seed_everything(seed)
        fresh = build_model(*self.args, **self.layer_kwargs)  # the weights a new model gets for this seed
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
        raise ValueError(f"predictions must have shape (n, outputs) with n = len(y) = {y.shape[0]}, got {p.shape}")
    if task == "regression":
        return float(np.mean((p.reshape(y.shape) - y) ** 2))
    if p.shape[1] == 1:
        return float(np.mean((p[:, 0] > 0.5) == y.reshape(-1).astype(bool)))
    return float(np.mean(np.argmax(p, axis=1) == y.reshape(-1)))


def _train(train_step, X, y, steps: int, batch_size: int, rng: np.random.Generator) -> None:
    """``steps`` minibatch updates; batches of ``min(batch_size, n)`` from a fresh permutation each epoch."""
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
    n_outputs = _check_int(n_outputs, "n_outputs")
    if task == "classification" and n_outputs > 1 and int(np.max(y_train)) >= n_outputs:
        raise ValueError(f"labels go up to {int(np.max(y_train))} but n_outputs={n_outputs} classes")
    return n_outputs


def _run(tpl: _Template, kind, units, data, seed, steps, batch_size, task, reset_after) -> dict:
    """One training run from the seed's initial weights, scored on the training and validation sets."""
    X_train, y_train, X_val, y_val = data
    tpl.reset(seed)
    t0 = time.perf_counter()
    _train(tpl.train_step, X_train, y_train, steps, batch_size, np.random.default_rng(seed))
    train_s = time.perf_counter() - t0
    return {"kind": kind, "units": units, "params": count_params(_NAMES[kind], X_train.shape[2], units, reset_after),
            "seed": seed, "n_train": X_train.shape[0],
            "train_score": score(tpl.predict(X_train), y_train, task),
            "val_score": score(tpl.predict(X_val), y_val, task), "train_s": train_s}


def compare_models(configs, data, seeds, *, task: str = "classification", n_outputs: int = 1, steps: int = 200,
                   batch_size: int = 64, learning_rate: float = 1e-2, jit_compile: bool = False,
                   **layer_kwargs) -> pd.DataFrame:
    """Train every ``(kind, units)`` in ``configs`` once per seed and score it on the validation set.

    ``data = (X_train, y_train, X_val, y_val)``. Each run starts from the initial weights of a new
    model built after ``seed_everything(seed)``, trains ``steps`` Adam updates on minibatches of
    ``batch_size`` (order drawn from ``default_rng(seed)``), and is scored with :func:`score`
    (accuracy, or mean squared error for ``task="regression"``). ``jit_compile=True`` compiles the
    update with XLA (same model, loss and optimizer; much faster per step for long sequences, plus a
    few seconds of compilation per ``(kind, units)``).
    Returns one row per run: ``kind, units, params, seed, n_train, train_score, val_score, train_s``.
    """
    configs = _check_configs(configs)
    seeds = _check_seeds(seeds)
    data = _check_data(data, task)
    n_outputs = _check_task(task, n_outputs, data[1])
    steps = _check_int(steps, "steps")
    batch_size = _check_int(batch_size, "batch_size")
    d, seq_len = data[0].shape[2], data[0].shape[1]
    reset_after = layer_kwargs.get("reset_after", True)
    rows = []
    with _quiet_retracing():
        for kind, units in configs:
            tpl = _Template(kind, units, d, n_outputs, task, seq_len, learning_rate, layer_kwargs, jit_compile)
            for seed in seeds:
                rows.append(_run(tpl, kind, units, data, seed, steps, batch_size, task, reset_after))
    return pd.DataFrame(rows)


def learning_curve(configs, make_data: Callable, sizes: Sequence[int], seeds, *, n_val: int = 512,
                   val_seed: int = 10_000, task: str = "classification", n_outputs: int = 1, steps: int = 200,
                   batch_size: int = 64, learning_rate: float = 1e-2, jit_compile: bool = False,
                   **layer_kwargs) -> pd.DataFrame:
    """Validation score against training-set size, same columns as :func:`compare_models`.

    For each seed, ``make_data(max(sizes), default_rng(seed))`` draws a pool and every size trains on
    its first ``n`` sequences (nested subsets), so a bigger set only adds data. One validation set of
    ``n_val`` sequences, ``make_data(n_val, default_rng(val_seed))``, scores every run. ``steps`` is
    the same for every size (equal compute, not equal epochs): small sets are seen many more times.
    """
    if not callable(make_data):
        raise TypeError("make_data must be a function (n, rng) -> (X, y)")
    configs = _check_configs(configs)
    sizes = [_check_int(n, "every training-set size") for n in sizes]
    if not sizes:
        raise ValueError("sizes is empty: pass training-set sizes such as [32, 128, 512]")
    seeds = _check_seeds(seeds)
    steps = _check_int(steps, "steps")
    batch_size = _check_int(batch_size, "batch_size")
    X_val, y_val = make_data(_check_int(n_val, "n_val"), np.random.default_rng(val_seed))
    pools = {seed: make_data(max(sizes), np.random.default_rng(seed)) for seed in seeds}
    first = _check_data((*pools[seeds[0]], X_val, y_val), task)
    n_outputs = _check_task(task, n_outputs, first[1])
    d, seq_len = first[0].shape[2], first[0].shape[1]
    reset_after = layer_kwargs.get("reset_after", True)
    rows = []
    with _quiet_retracing():
        for kind, units in configs:
            tpl = _Template(kind, units, d, n_outputs, task, seq_len, learning_rate, layer_kwargs, jit_compile)
            for seed in seeds:
                X_pool, y_pool = pools[seed]
                for n in sizes:
                    data = _check_data((X_pool[:n], y_pool[:n], X_val, y_val), task)
                    rows.append(_run(tpl, kind, units, data, seed, steps, batch_size, task, reset_after))
    return pd.DataFrame(rows)


# --- summaries -----------------------------------------------------------------------------------


def summarize(table: pd.DataFrame, by: str | Sequence[str], value: str = "val_score",
              digits: int = 3) -> pd.DataFrame:
    """Mean, sample standard deviation (``ddof=1``; 0 for a single run) and count of ``value`` per group.

    Adds a text column ``mean ± std`` rounded to ``digits`` decimals, for printing.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    if table.empty:
        raise ValueError("table is empty: nothing to summarise")
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [*by, value] if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column(s) {missing}; its columns are {list(table.columns)}")
    if not pd.api.types.is_numeric_dtype(table[value]):
        raise TypeError(f"column {value!r} must be numeric, got dtype {table[value].dtype}")
    g = table.groupby(by, sort=False)[value]
    out = g.agg(mean="mean", std=lambda s: float(s.std(ddof=1)) if len(s) > 1 else 0.0, n="count").reset_index()
    out["mean ± std"] = [f"{m:.{digits}f} ± {s:.{digits}f}" for m, s in zip(out["mean"], out["std"], strict=True)]
    return out


# --- timing --------------------------------------------------------------------------------------


def interleaved_times(fns: dict, repeat: int = 5, warmup: int = 1) -> pd.DataFrame:
    """Seconds per call of each function, sampled round-robin: in each of ``repeat`` rounds every
    function runs once (the starting function rotates), after ``warmup`` untimed rounds.

    Returns one row per function: ``name, median, q1, q3, min, repeat, samples`` (``samples``: the
    ``repeat`` timings as a tuple, in round order, so that two functions can be paired round by
    round, e.g. with :func:`grucourse.stats.time_ratio`). On a shared CPU the load
    changes from second to second; interleaving spreads those changes over all functions alike,
    so their ratio is more trustworthy than timing one function after another.
    """
    if not isinstance(fns, dict) or not fns:
        raise ValueError("fns must be a non-empty dict {name: function taking no arguments}")
    for name, fn in fns.items():
        if not callable(fn):
            raise TypeError(f"fns[{name!r}] must be callable, got {type(fn).__name__}")
    repeat = _check_int(repeat, "repeat")
    warmup = _check_int(warmup, "warmup", minimum=0)
    names = list(fns)
    samples = {name: [] for name in names}
    for r in range(warmup + repeat):
        for i in range(len(names)):
            name = names[(r + i) % len(names)]
            t0 = time.perf_counter()
            fns[name]()
            if r >= warmup:
                samples[name].append(time.perf_counter() - t0)
    rows = []
    for name in names:
        s = np.array(samples[name])  # (repeat,)
        q1, med, q3 = np.percentile(s, [25, 50, 75])
        rows.append({"name": name, "median": med, "q1": q1, "q3": q3, "min": s.min(), "repeat": repeat,
                     "samples": tuple(float(v) for v in s)})
    return pd.DataFrame(rows)


def time_costs(kinds: Sequence[str], units: Sequence[int], *, seq_len: int = 50, n_features: int = 10,
               n_train: int = 256, batch_size: int = 64, repeat: int = 5, seed: int = 0,
               train: bool = True, latency_repeat: int | None = None) -> pd.DataFrame:
    """Training time per epoch and inference latency of each kind at each size (medians, interleaved).

    One epoch is ``n_train // batch_size`` calls of Keras's ``train_on_batch`` (forward, backward and
    an Adam update) on random sequences of shape ``(batch_size, seq_len, n_features)``. Latency is one
    forward pass of a single sequence ``(1, seq_len, n_features)`` through a ``tf.function`` of the
    model, as a real-time application would call it. Returns one row per model with ``epoch_s``,
    ``latency_s`` (medians), their quartiles, the per-round timings ``epoch_samples`` and
    ``latency_samples`` (tuples, paired across models by round), ``params`` and ``flops_per_step`` (batch 1, from
    :func:`grucourse.timing.step_flops`: GRU : LSTM = 3 : 4 at every size).
    ``train=False`` times only the latency (the epoch columns are then NaN). Latency is timed in
    ``latency_repeat`` rounds (default ``10 * repeat``).
    """
    import tensorflow as tf

    kinds = [_check_kind(k) for k in kinds]
    units = [_check_int(u, "units") for u in units]
    if not kinds or not units:
        raise ValueError("kinds and units must both be non-empty")
    T = _check_int(seq_len, "seq_len")
    d = _check_int(n_features, "n_features")
    n_batches = _check_int(n_train, "n_train") // _check_int(batch_size, "batch_size")
    if n_batches < 1:
        raise ValueError(f"n_train={n_train} is smaller than batch_size={batch_size}: no full batch")
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
            meta[key] = {"kind": kind, "units": u, "params": count_params(_NAMES[kind], d, u),
                         "flops_per_step": step_flops(kind, d, u, 1)}
    with _quiet_retracing():
        if train:
            epoch_t = interleaved_times(epoch_fns, repeat=repeat, warmup=1).set_index("name")
        else:
            epoch_t = pd.DataFrame({"median": np.nan, "q1": np.nan, "q3": np.nan,
                                    "samples": [()] * len(epoch_fns)}, index=list(epoch_fns))
        n_latency = 10 * repeat if latency_repeat is None else _check_int(latency_repeat, "latency_repeat")
        latency_t = interleaved_times(latency_fns, repeat=n_latency, warmup=2).set_index("name")
    rows = []
    for key, m in meta.items():
        rows.append({**m, "epoch_s": epoch_t.loc[key, "median"], "epoch_q1": epoch_t.loc[key, "q1"],
                     "epoch_q3": epoch_t.loc[key, "q3"], "latency_s": latency_t.loc[key, "median"],
                     "latency_q1": latency_t.loc[key, "q1"], "latency_q3": latency_t.loc[key, "q3"],
                     "epoch_samples": epoch_t.loc[key, "samples"],
                     "latency_samples": latency_t.loc[key, "samples"]})
    return pd.DataFrame(rows)
