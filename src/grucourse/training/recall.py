"""Delayed recall trained over seeds: accuracy against lag, the update-gate bias, gates held fixed.

Used by chapters/01_motivation.ipynb, chapters/06_long_term_dependencies.ipynb and
:mod:`grucourse.training.recipes` (chapter 10). The task (:func:`grucourse.data.tasks.recall_data`)
shows a symbol, then ``lag`` distractor steps, then asks for the symbol: a model must carry it
across the lag (Hochreiter & Schmidhuber 1997, section 5). The seeds of one experiment train
packed (:mod:`grucourse.training.packing`) and are copied back into ordinary Keras models.
:func:`with_gate_fixed` and :func:`readout_accuracy_fixed_at` hold one gate of a trained GRU
at a value to show which gate carries the memory.
"""

from __future__ import annotations

import time

from grucourse.data.tasks import TRAIN_ON, mixed_recall_data, recall_data
from grucourse.kinds import KINDS
from grucourse.layers.models import build_model
from grucourse.training.packing import build_packed, unpack_into
from grucourse.validate import check_int, check_int_list

import numpy as np


def _check_kinds(kinds):
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = list(kinds)
    if not kinds:
        raise ValueError(f"kinds is empty: pass some of {KINDS}")
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"unknown kinds {bad}: choose from {KINDS}")
    return kinds


def train_recall_models(kind, lag, seeds, *, train_on="each", units=16, n_train=2000, epochs=10,
                        batch_size=32, learning_rate=1e-2, n_symbols=4):
    """Train one ``kind`` model per seed on delayed recall; returns the trained Keras models.

    ``train_on="each"``: sequences of exactly ``lag`` (``lag + 1`` steps).
    ``train_on="mixed"``: lags drawn from ``1 .. lag`` (:func:`mixed_recall_data`), ``lag + 1``
    steps. Model ``s`` starts from the weights ``build_model`` draws after
    ``keras.utils.set_random_seed(s)`` and sees its own training set; the seeds are trained packed
    (see the module docstring), which gives the same result as training them one by one.
    """
    import keras

    kind = _check_kinds([kind])[0]
    seeds = check_int_list(seeds, "seeds", 0)
    lag = check_int(lag, "lag")
    n_train = check_int(n_train, "n_train", 2)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    if train_on not in TRAIN_ON:
        raise ValueError(f"train_on must be one of {TRAIN_ON}, got {train_on!r}")
    if (isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float))
            or not 0 < learning_rate < 1):
        raise ValueError(f"learning_rate must be a number in (0, 1), got {learning_rate!r}")
    models = []
    for s in seeds:
        keras.utils.set_random_seed(s)
        models.append(build_model(kind, units, n_symbols + 1, n_symbols, seq_len=lag + 1,
                                  learning_rate=learning_rate))
    if train_on == "each":
        data = [recall_data(lag, s, n_train, n_symbols) for s in seeds]
    else:
        data = [mixed_recall_data(lag, s, n_train, n_symbols)[:2] for s in seeds]
    _fit_packed(models, kind, data, epochs=epochs, batch_size=batch_size,
                learning_rate=learning_rate, shuffle_seed=seeds[0])
    return models


def _fit_packed(models, kind, data, *, epochs, batch_size, learning_rate, shuffle_seed):
    """Train ``models`` packed on their own ``data[s] = (X (n, T, f), y (n,))``; weights copied
    back."""
    import keras

    X = np.concatenate([x for x, _ in data], axis=2)  # (n, T, S*f): model s reads its own block
    y = np.stack([t for _, t in data], axis=1)  # (n, S)
    packed = build_packed(models, kind, learning_rate)
    keras.utils.set_random_seed(shuffle_seed)
    packed.fit(shuffled_batches(X, y, batch_size, shuffle_seed), epochs=epochs, shuffle=False,
               verbose=0)  # shuffled above
    unpack_into(packed, models, kind)


def compare_update_bias(lag, seeds, update_bias=3.0, *, units=16, n_train=1500, n_test=500,
                        epochs=5, batch_size=32, learning_rate=1e-2, n_symbols=4, models=None):
    """GRUs trained on delayed recall at one ``lag``, from Keras's default start and with
    ``b_z = update_bias``.

    Keras convention: ``z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z)`` and ``z ~ 1`` keeps the old
    state, so ``update_bias = 3`` starts every unit at ``z ~ sigmoid(3) ~ 0.95`` ("keep"); Keras's
    default is ``b_z = 0`` (``z ~ 0.5``). The pair of models for seed ``s`` is paired: both start
    from the weights ``build_model`` draws after ``keras.utils.set_random_seed(s)``, the second with
    its update-gate bias overwritten (:func:`grucourse.training.initialisers.set_update_gate_bias`),
    and both see the same training set in the same minibatch order. All ``2 S`` models are trained
    packed in one layer. Returns a ``pandas.DataFrame`` with columns ``seed, lag, init``
    (``"default"`` or ``"update bias"``), ``update_bias`` (Keras convention; 0 for the default),
    ``test_accuracy``; pass a dict as ``models`` to receive the Keras models under ``(init, seed)``.
    """
    from grucourse.training.initialisers import set_update_gate_bias

    import keras
    import pandas as pd

    seeds = check_int_list(seeds, "seeds", 0)
    lag = check_int(lag, "lag")
    n_train = check_int(n_train, "n_train", 2)
    n_test = check_int(n_test, "n_test")
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    if (isinstance(update_bias, bool) or not isinstance(update_bias, (int, float))
            or not np.isfinite(update_bias)):
        raise ValueError(f"update_bias must be a finite number (Keras convention), "
                         f"got {update_bias!r}")
    if models is not None and not isinstance(models, dict):
        raise TypeError(f"models must be a dict to fill (or None), got {type(models).__name__}")
    arms = []
    for init in ("default", "update bias"):
        for s in seeds:
            keras.utils.set_random_seed(s)
            m = build_model("GRU", units, n_symbols + 1, n_symbols, seq_len=lag + 1,
                            learning_rate=learning_rate)
            if init == "update bias":
                set_update_gate_bias(m.get_layer("gru"), float(update_bias))
            arms.append((init, s, m))
    data = [recall_data(lag, s, n_train, n_symbols) for _, s, _ in arms]
    _fit_packed([m for _, _, m in arms], "GRU", data, epochs=epochs, batch_size=batch_size,
                learning_rate=learning_rate, shuffle_seed=seeds[0])
    rows = []
    for init, s, m in arms:
        X_test, y_test = recall_data(lag, s, n_test, n_symbols, split="test")
        rows.append({"seed": s, "lag": lag, "init": init,
                     "update_bias": float(update_bias) if init == "update bias" else 0.0,
                     "test_accuracy": model_accuracy(m, X_test, y_test)})
        if models is not None:
            models[(init, s)] = m
    return pd.DataFrame(rows)


def shuffled_batches(X, y, batch_size, seed):
    """Shuffled mini-batches as a ``tf.data.Dataset`` (a new, seeded order every epoch).

    Passing arrays to ``fit`` builds a parallel ``map`` pipeline whose C++ log line
    ("NodeDef mentions attribute use_unbounded_threadpool ...") would land in the notebooks.
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((X, y))
    return data.shuffle(len(X), seed=seed, reshuffle_each_iteration=True).batch(batch_size)


def accuracy_vs_lag(kinds, lags, seeds, *, train_on="mixed", units=16, n_train=2000, n_test=500,
                    epochs=10, batch_size=32, learning_rate=1e-2, n_symbols=4, models=None):
    """Test accuracy on delayed recall for every ``kind`` x ``lag`` x ``seed``, as a tidy table.

    ``train_on="mixed"`` (default): one model per kind and seed, trained on lags drawn from
    ``1 .. max(lags)`` and tested at each lag in ``lags`` (inputs padded in front to
    ``max(lags) + 1`` steps). ``train_on="each"``: a separate model for every lag, trained and
    tested at that lag only. Every model is ``build_model(kind, units, ...)`` trained for
    ``epochs`` on ``n_train`` sequences of its own and tested on ``n_test`` unseen ones.

    Returns a ``pandas.DataFrame``, one row per (kind, lag, seed), columns ``kind, lag, seed,
    train_on, units, n_params, test_accuracy, chance, seconds`` (``seconds``: wall time of the
    training that produced the model, divided by the number of seeds trained with it).
    Pass a dict as ``models`` to receive the trained Keras models under keys ``(kind, lag, seed)``
    (with ``"mixed"``, the same model under every lag).
    """
    import pandas as pd

    kinds = _check_kinds(kinds)
    lags = check_int_list(lags, "lags", 1)
    seeds = check_int_list(seeds, "seeds", 0)
    n_test = check_int(n_test, "n_test")
    if train_on not in TRAIN_ON:
        raise ValueError(f"train_on must be one of {TRAIN_ON}, got {train_on!r}")
    if models is not None and not isinstance(models, dict):
        raise TypeError(f"models must be a dict to fill (or None), got {type(models).__name__}")
    groups = [max(lags)] if train_on == "mixed" else lags
    rows = []
    for kind in kinds:
        for train_lag in groups:
            start = time.perf_counter()
            trained = train_recall_models(kind, train_lag, seeds, train_on=train_on, units=units,
                                          n_train=n_train, epochs=epochs, batch_size=batch_size,
                                          learning_rate=learning_rate, n_symbols=n_symbols)
            seconds = (time.perf_counter() - start) / len(seeds)
            test_lags = lags if train_on == "mixed" else [train_lag]
            for s, model in zip(seeds, trained, strict=True):
                tests = [recall_data(lag, s, n_test, n_symbols, split="test",
                                     length=train_lag + 1) for lag in test_lags]
                for lag, acc in zip(test_lags, model_accuracies(model, tests), strict=True):
                    rows.append({"kind": kind, "lag": lag, "seed": s, "train_on": train_on,
                                 "units": units,
                                 "n_params": model.get_layer(kind.lower()).count_params(),
                                 "test_accuracy": acc, "chance": 1.0 / n_symbols,
                                 "seconds": seconds})
                    if models is not None:
                        models[(kind, lag, s)] = model
    return pd.DataFrame(rows)


def model_accuracy(model, X, y):
    """Accuracy of a softmax classifier ``model`` on ``X`` ``(n, T, d)`` with labels ``y``
    ``(n,)``."""
    return model_accuracies(model, [(X, y)])[0]


def model_accuracies(model, tests):
    """Accuracy of ``model`` on each test set ``(X, y)`` in ``tests`` (all ``X`` of one length
    ``T``), from one forward pass over all of them: a Keras call costs about 0.1 s however small
    the batch, so one call instead of one per set."""
    X = np.concatenate([np.asarray(X_i) for X_i, _ in tests])  # (sum n_i, T, d)
    predicted = np.argmax(np.asarray(model(X, training=False)), axis=1)  # (sum n_i,)
    ends = np.cumsum([len(y_i) for _, y_i in tests])  # (sets,)
    return [float(np.mean(p_i == np.asarray(y_i)))
            for p_i, (_, y_i) in zip(np.split(predicted, ends[:-1]), tests, strict=True)]


# --- looking inside a trained GRU --------------------------------------------------------


def with_gate_fixed(params, gate, value):
    """A copy of ``params`` whose gate ``"z"`` or ``"r"`` is the constant ``value`` at every step.

    The gate's input and recurrent weights are set to zero and its bias to ``logit(value)``, so
    ``sigmoid(x W + h U + b) = value`` whatever the input. ``value`` is read in the convention of
    ``params`` (Keras: ``z = 1`` keeps the old state; source: ``z = 0`` keeps it). Values 0 and 1
    are reached up to ``1e-12``.
    """
    from dataclasses import replace

    from grucourse.core.gru import GRUParams

    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    if gate not in ("z", "r"):
        raise ValueError(f"gate must be 'z' (update) or 'r' (reset), got {gate!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"value must be a number in [0, 1], got {value!r}")
    p = np.clip(float(value), 1e-12, 1 - 1e-12)
    u, d = params.units, params.input_size
    return replace(params, **{f"W_{gate}": np.zeros((d, u)), f"U_{gate}": np.zeros((u, u)),
                              f"b_{gate}": np.full(u, np.log(p / (1 - p)))})


def readout_accuracy(params, head, X, y):
    """Accuracy of ``argmax(h_T W + b)`` where ``h_T = gru_forward(X, params)`` and
    ``head = [W (u, C), b (C,)]``.

    The same prediction as the Keras model whose GRU layer and ``Dense`` head these are
    (softmax does not change the argmax), computed in numpy so that gates can be edited.
    """
    from grucourse.core.gru import gru_forward

    W, b = (np.asarray(w, dtype=np.float64) for w in head)
    if W.ndim != 2 or W.shape[0] != params.units or b.shape != (W.shape[1],):
        raise ValueError(f"head must be [W ({params.units}, C), b (C,)], "
                         f"got shapes {W.shape} and {b.shape}")
    y = np.asarray(y)
    if y.shape != (np.shape(X)[0],):
        raise ValueError(f"y must have one label per sequence, shape ({np.shape(X)[0]},), "
                         f"got {y.shape}")
    scores = gru_forward(X, params) @ W + b  # (n, C)
    return float(np.mean(np.argmax(scores, axis=1) == y))


def readout_accuracy_fixed_at(params, head, X, y, gate, value, steps):
    """:func:`readout_accuracy` with ``gate`` fixed at ``value`` at the given ``steps`` only.

    At a step in ``steps`` the GRU runs with :func:`with_gate_fixed` ``(params, gate, value)``;
    at every other step with ``params``. This switches a gate off during one phase of a
    sequence (for example the blank prefix, or the step that holds the symbol).
    """
    from grucourse.core.gru import gru_step
    from grucourse.validate import check_sequences

    fixed = with_gate_fixed(params, gate, value)
    X = check_sequences(X, name="X")  # (n, T, d)
    n, T, _ = X.shape
    steps = check_int_list(list(steps), "steps", 0)
    if max(steps) >= T:
        raise ValueError(f"steps must lie in [0, {T}) for sequences of {T} steps, got {max(steps)}")
    chosen = set(steps)
    h = np.zeros((n, params.units))  # (n, u)
    for t in range(T):
        h, _ = gru_step(X[:, t], h, fixed if t in chosen else params)  # (n, u)
    W, b = (np.asarray(w, dtype=np.float64) for w in head)
    if W.ndim != 2 or W.shape[0] != params.units or b.shape != (W.shape[1],):
        raise ValueError(f"head must be [W ({params.units}, C), b (C,)], "
                         f"got shapes {W.shape} and {b.shape}")
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have one label per sequence, shape ({n},), got {y.shape}")
    return float(np.mean(np.argmax(h @ W + b, axis=1) == y))  # (n, C) scores -> accuracy
