"""Seeded training experiments shared by several chapters: accuracy against lag on delayed recall.

Training many tiny recurrent models one after another is slow on a CPU: each Keras training
step pays a fixed overhead per operation, whatever the size of the matrices. So the seeds of
one experiment are trained *packed*: ``S`` models of ``u`` units become one Keras layer of
``S * u`` units whose kernels are block-diagonal (a constraint puts the off-diagonal blocks back
to zero after every update). Every gate acts element-wise, so block ``s`` of the packed layer
computes exactly what model ``s`` alone would compute, and each seed gets its own data (its
inputs sit in its own block of input features). After training, the blocks are copied back into
``S`` ordinary models built by :func:`grucourse.models.build_model`.
``tests/test_experiments.py`` checks that packed and separate models give the same outputs and
take the same training steps (to float32 rounding: the sums run in a different order, so over
many epochs a run that sits on a knife edge can still end differently, as it could on other
hardware).
"""

from __future__ import annotations

import time

from grucourse.models import KINDS, build_model
from grucourse.tasks import delayed_recall

import numpy as np

N_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}  # blocks of `units` columns in each Keras kernel


# --- checks ---------------------------------------------------------------------------


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


def _check_int_list(values, name, minimum):
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    values = list(values)
    if not values:
        raise ValueError(f"{name} is empty: give at least one integer >= {minimum}")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
            raise ValueError(f"{name} must hold integers >= {minimum}, got {v!r}")
    if len(set(values)) != len(values):
        raise ValueError(f"{name} has repeated values: {values}")
    return [int(v) for v in values]


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


# --- block-diagonal packing -----------------------------------------------------------


def _columns(s, n_models, n_gates, u):
    """Column indices of model ``s`` in a packed gate-major kernel ``[g_0 | g_1 | ...]``."""
    return np.concatenate([np.arange(g * n_models * u + s * u, g * n_models * u + (s + 1) * u) for g in range(n_gates)])


def pack_kernels(mats, n_gates):
    """Block-diagonal packing of ``S`` kernels ``(rows, G*u)`` into ``(S*rows, G*S*u)``.

    Gate ``g`` of model ``s`` lands at rows ``s*rows ...`` and columns ``g*S*u + s*u ...``
    (Keras's gate-major layout is kept); every other entry is zero.
    """
    S = len(mats)
    rows, width = np.shape(mats[0])
    u = width // n_gates
    out = np.zeros((S * rows, n_gates * S * u), dtype=np.asarray(mats[0]).dtype)  # (S*rows, G*S*u)
    for s, m in enumerate(mats):
        out[s * rows : (s + 1) * rows, _columns(s, S, n_gates, u)] = m  # (rows, G*u) block
    return out


def pack_biases(biases, n_gates):
    """Pack ``S`` biases ``(..., G*u)`` into ``(..., G*S*u)`` with the columns of :func:`pack_kernels`."""
    S = len(biases)
    first = np.asarray(biases[0])
    u = first.shape[-1] // n_gates
    out = np.zeros(first.shape[:-1] + (n_gates * S * u,), dtype=first.dtype)  # (..., G*S*u)
    for s, b in enumerate(biases):
        out[..., _columns(s, S, n_gates, u)] = b
    return out


def unpack_kernel(big, n_models, n_gates):
    """Inverse of :func:`pack_kernels`: the list of ``S`` kernels ``(rows, G*u)``."""
    S = n_models
    rows, u = big.shape[0] // S, big.shape[1] // (n_gates * S)
    return [np.array(big[s * rows : (s + 1) * rows][:, _columns(s, S, n_gates, u)]) for s in range(S)]


def unpack_bias(big, n_models, n_gates):
    """Inverse of :func:`pack_biases`."""
    u = big.shape[-1] // (n_gates * n_models)
    return [np.array(big[..., _columns(s, n_models, n_gates, u)]) for s in range(n_models)]


def pack_weights(per_model, n_gates):
    """Pack the Keras weights ``[kernel (d, G*u), recurrent (u, G*u), bias]`` of ``S`` layers into one.

    Returns ``[kernel (S*d, G*S*u), recurrent (S*u, G*S*u), bias (..., G*S*u)]``, block-diagonal
    (bias ``(G*u,)``, or ``(2, G*u)`` for a GRU with ``reset_after``).
    """
    return [
        pack_kernels([w[0] for w in per_model], n_gates),
        pack_kernels([w[1] for w in per_model], n_gates),
        pack_biases([w[2] for w in per_model], n_gates),
    ]


def unpack_weights(packed, n_models, n_gates):
    """Inverse of :func:`pack_weights`: ``S`` weight lists ``[kernel, recurrent, bias]``."""
    kernels = unpack_kernel(np.asarray(packed[0]), n_models, n_gates)
    recurrents = unpack_kernel(np.asarray(packed[1]), n_models, n_gates)
    biases = unpack_bias(np.asarray(packed[2]), n_models, n_gates)
    return [list(w) for w in zip(kernels, recurrents, biases, strict=True)]


def block_mask(rows, cols_per_gate, n_models, n_gates):
    """0/1 mask ``(S*rows, G*S*cols)``: ones where :func:`pack_kernels` puts model weights."""
    return pack_kernels([np.ones((rows, n_gates * cols_per_gate), dtype=np.float32)] * n_models, n_gates)


def _mask_constraint(mask):
    import keras

    class BlockDiagonal(keras.constraints.Constraint):
        """Zero every weight outside the diagonal blocks after each update."""

        def __init__(self, mask):
            self.mask = keras.ops.convert_to_tensor(mask, dtype="float32")

        def __call__(self, w):
            return w * self.mask

    return BlockDiagonal(mask)


def build_packed(models, kind, learning_rate=1e-2):
    """One Keras model that trains the ``S`` classification ``models`` (from ``build_model``) side by side.

    Input ``(T, S*d)`` (model ``s`` reads features ``s*d ... (s+1)*d``); output ``(S, C)``
    softmax probabilities; the loss is the *sum* over models of each model's mean cross-entropy,
    so each block receives exactly the gradient it would get alone.
    """
    import keras

    S = len(models)
    G = N_GATES[kind]
    layers = [m.get_layer(kind.lower()) for m in models]
    heads = [m.get_layer("head") for m in models]
    T, d = models[0].inputs[0].shape[1], models[0].inputs[0].shape[2]
    u = layers[0].units
    C = heads[0].units
    rnn_kwargs = {}
    if kind == "GRU":
        rnn_kwargs["reset_after"] = layers[0].reset_after
    inputs = keras.Input(shape=(T, S * d))
    rnn = getattr(keras.layers, kind)(
        S * u,
        name=kind.lower(),
        kernel_constraint=_mask_constraint(block_mask(d, u, S, G)),
        recurrent_constraint=_mask_constraint(block_mask(u, u, S, G)),
        **rnn_kwargs,
    )
    h = rnn(inputs)  # (B, S*u)
    head = keras.layers.Dense(S * C, name="head", kernel_constraint=_mask_constraint(block_mask(u, C, S, 1)))
    logits = keras.layers.Reshape((S, C))(head(h))  # (B, S, C): model s's classes
    outputs = keras.layers.Softmax(axis=-1)(logits)
    packed = keras.Model(inputs, outputs, name=f"packed_{kind.lower()}")
    rnn.set_weights(pack_weights([layer.get_weights() for layer in layers], G))
    head.set_weights([pack_kernels([h.get_weights()[0] for h in heads], 1),  # (S*u, S*C)
                      pack_biases([h.get_weights()[1] for h in heads], 1)])  # (S*C,)

    def summed_cross_entropy(y_true, y_pred):  # (B, S), (B, S, C) -> (B, S); mean * S = sum over models
        return S * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    packed.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=summed_cross_entropy)
    return packed


def unpack_into(packed, models, kind):
    """Copy the trained blocks of ``packed`` back into the separate ``models``."""
    S = len(models)
    rnn_parts = unpack_weights(packed.get_layer(kind.lower()).get_weights(), S, N_GATES[kind])
    kernel, bias = packed.get_layer("head").get_weights()
    head_parts = zip(unpack_kernel(kernel, S, 1), unpack_bias(bias, S, 1), strict=True)
    for m, w, hw in zip(models, rnn_parts, head_parts, strict=True):
        m.get_layer(kind.lower()).set_weights(w)
        m.get_layer("head").set_weights(list(hw))


# --- the experiment -------------------------------------------------------------------

TRAIN_ON = ("mixed", "each")


def _stream(seed, lag, split):
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return np.random.default_rng([seed, lag, 0 if split == "train" else 1])


def pad_front(X, length):
    """Prepend all-zero steps so that ``X`` ``(n, T, f)`` becomes ``(n, length, f)``."""
    n, T, f = X.shape
    if length < T:
        raise ValueError(f"length={length} is shorter than the sequences (T={T})")
    return np.concatenate([np.zeros((n, length - T, f), dtype=X.dtype), X], axis=1)  # (n, length, f)


def recall_data(lag, seed, n, n_symbols=4, split="train", length=None):
    """Delayed-recall data at one ``lag`` from the stream of ``(seed, lag, split)``.

    Sequences have ``lag + 1`` steps, or ``length`` steps with all-zero steps in front.
    Train and test sets come from different streams, so the test set is unseen.
    """
    X, y = delayed_recall(n, lag, _stream(seed, lag, split), n_symbols=n_symbols)
    return (X if length is None else pad_front(X, length)), y


def mixed_recall_data(max_lag, seed, n, n_symbols=4, split="train"):
    """Delayed recall with a lag drawn uniformly from ``1 .. max_lag`` for every sequence.

    All sequences have ``max_lag + 1`` steps: a sequence with lag ``L`` starts with
    ``max_lag - L`` all-zero steps, then the marked symbol, then ``L`` distractors.
    Returns ``X (n, max_lag + 1, n_symbols + 1)``, ``y (n,)`` and the lags ``(n,)``.
    """
    max_lag = _check_positive_int(max_lag, "max_lag")
    rng = _stream(seed, max_lag, split)
    X, _ = delayed_recall(n, max_lag, rng, n_symbols=n_symbols)  # (n, T, f) with T = max_lag + 1
    lags = rng.integers(1, max_lag + 1, size=n)  # (n,)
    start = max_lag - lags  # (n,): the step that holds the marked symbol
    rows = np.arange(n)
    X[np.arange(max_lag + 1)[None, :] < start[:, None]] = 0.0  # blank the steps before it
    X[:, 0, n_symbols] = 0.0
    X[rows, start, n_symbols] = 1.0  # the marker moves to the new first step
    y = np.argmax(X[rows, start, :n_symbols], axis=1).astype(np.int64)  # (n,)
    return X, y, lags


def train_recall_models(kind, lag, seeds, *, train_on="each", units=16, n_train=2000, epochs=10, batch_size=32,
                        learning_rate=1e-2, n_symbols=4):
    """Train one ``kind`` model per seed on delayed recall; returns the trained Keras models.

    ``train_on="each"``: sequences of exactly ``lag`` (``lag + 1`` steps).
    ``train_on="mixed"``: lags drawn from ``1 .. lag`` (:func:`mixed_recall_data`), ``lag + 1`` steps.
    Model ``s`` starts from the weights ``build_model`` draws after ``keras.utils.set_random_seed(s)``
    and sees its own training set; the seeds are trained packed (see the module docstring), which
    gives the same result as training them one by one.
    """
    import keras

    kind = _check_kinds([kind])[0]
    seeds = _check_int_list(seeds, "seeds", 0)
    lag = _check_positive_int(lag, "lag")
    n_train = _check_positive_int(n_train, "n_train", 2)
    epochs = _check_positive_int(epochs, "epochs")
    batch_size = _check_positive_int(batch_size, "batch_size")
    if train_on not in TRAIN_ON:
        raise ValueError(f"train_on must be one of {TRAIN_ON}, got {train_on!r}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or not 0 < learning_rate < 1:
        raise ValueError(f"learning_rate must be a number in (0, 1), got {learning_rate!r}")
    models = []
    for s in seeds:
        keras.utils.set_random_seed(s)
        models.append(build_model(kind, units, n_symbols + 1, n_symbols, seq_len=lag + 1, learning_rate=learning_rate))
    if train_on == "each":
        data = [recall_data(lag, s, n_train, n_symbols) for s in seeds]
    else:
        data = [mixed_recall_data(lag, s, n_train, n_symbols)[:2] for s in seeds]
    _fit_packed(models, kind, data, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                shuffle_seed=seeds[0])
    return models


def _fit_packed(models, kind, data, *, epochs, batch_size, learning_rate, shuffle_seed):
    """Train ``models`` packed on their own ``data[s] = (X (n, T, f), y (n,))``; weights copied back."""
    import keras

    X = np.concatenate([x for x, _ in data], axis=2)  # (n, T, S*f): model s reads its own block
    y = np.stack([t for _, t in data], axis=1)  # (n, S)
    packed = build_packed(models, kind, learning_rate)
    keras.utils.set_random_seed(shuffle_seed)
    packed.fit(_batches(X, y, batch_size, shuffle_seed), epochs=epochs, shuffle=False, verbose=0)  # shuffled above
    unpack_into(packed, models, kind)


def compare_update_bias(lag, seeds, update_bias=3.0, *, units=16, n_train=1500, n_test=500, epochs=5,
                        batch_size=32, learning_rate=1e-2, n_symbols=4, models=None):
    """GRUs trained on delayed recall at one ``lag``, from Keras's default start and with ``b_z = update_bias``.

    Keras convention: ``z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z)`` and ``z ~ 1`` keeps the old
    state, so ``update_bias = 3`` starts every unit at ``z ~ sigmoid(3) ~ 0.95`` ("keep"); Keras's
    default is ``b_z = 0`` (``z ~ 0.5``). The pair of models for seed ``s`` is paired: both start
    from the weights ``build_model`` draws after ``keras.utils.set_random_seed(s)``, the second
    with its update-gate bias overwritten (:func:`grucourse.initialisers.set_update_gate_bias`),
    and both see the same training set in the same minibatch order. All ``2 S`` models are
    trained packed in one layer. Returns a ``pandas.DataFrame`` with columns ``seed, lag, init``
    (``"default"`` or ``"update bias"``), ``update_bias`` (Keras convention; 0 for the default),
    ``test_accuracy``; pass a dict as ``models`` to receive the Keras models under ``(init, seed)``.
    """
    from grucourse.initialisers import set_update_gate_bias

    import keras
    import pandas as pd

    seeds = _check_int_list(seeds, "seeds", 0)
    lag = _check_positive_int(lag, "lag")
    n_train = _check_positive_int(n_train, "n_train", 2)
    n_test = _check_positive_int(n_test, "n_test")
    epochs = _check_positive_int(epochs, "epochs")
    batch_size = _check_positive_int(batch_size, "batch_size")
    if isinstance(update_bias, bool) or not isinstance(update_bias, (int, float)) or not np.isfinite(update_bias):
        raise ValueError(f"update_bias must be a finite number (Keras convention), got {update_bias!r}")
    if models is not None and not isinstance(models, dict):
        raise TypeError(f"models must be a dict to fill (or None), got {type(models).__name__}")
    arms = []
    for init in ("default", "update bias"):
        for s in seeds:
            keras.utils.set_random_seed(s)
            m = build_model("GRU", units, n_symbols + 1, n_symbols, seq_len=lag + 1, learning_rate=learning_rate)
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
                     "test_accuracy": _accuracy(m, X_test, y_test)})
        if models is not None:
            models[(init, s)] = m
    return pd.DataFrame(rows)


def _batches(X, y, batch_size, seed):
    """Shuffled mini-batches as a ``tf.data.Dataset`` (a new, seeded order every epoch).

    Passing arrays to ``fit`` builds a parallel ``map`` pipeline whose C++ log line
    ("NodeDef mentions attribute use_unbounded_threadpool ...") would land in the notebooks.
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((X, y))
    return data.shuffle(len(X), seed=seed, reshuffle_each_iteration=True).batch(batch_size)


def accuracy_vs_lag(kinds, lags, seeds, *, train_on="mixed", units=16, n_train=2000, n_test=500, epochs=10,
                    batch_size=32, learning_rate=1e-2, n_symbols=4, models=None):
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
    lags = _check_int_list(lags, "lags", 1)
    seeds = _check_int_list(seeds, "seeds", 0)
    n_test = _check_positive_int(n_test, "n_test")
    if train_on not in TRAIN_ON:
        raise ValueError(f"train_on must be one of {TRAIN_ON}, got {train_on!r}")
    if models is not None and not isinstance(models, dict):
        raise TypeError(f"models must be a dict to fill (or None), got {type(models).__name__}")
    groups = [max(lags)] if train_on == "mixed" else lags
    rows = []
    for kind in kinds:
        for train_lag in groups:
            start = time.perf_counter()
            trained = train_recall_models(kind, train_lag, seeds, train_on=train_on, units=units, n_train=n_train,
                                          epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                                          n_symbols=n_symbols)
            seconds = (time.perf_counter() - start) / len(seeds)
            test_lags = lags if train_on == "mixed" else [train_lag]
            for s, model in zip(seeds, trained, strict=True):
                for lag in test_lags:
                    X_test, y_test = recall_data(lag, s, n_test, n_symbols, split="test", length=train_lag + 1)
                    rows.append(
                        {
                            "kind": kind,
                            "lag": lag,
                            "seed": s,
                            "train_on": train_on,
                            "units": units,
                            "n_params": model.get_layer(kind.lower()).count_params(),
                            "test_accuracy": _accuracy(model, X_test, y_test),
                            "chance": 1.0 / n_symbols,
                            "seconds": seconds,
                        }
                    )
                    if models is not None:
                        models[(kind, lag, s)] = model
    return pd.DataFrame(rows)


def _accuracy(model, X, y):
    probs = model(X, training=False)  # (n, C)
    return float(np.mean(np.argmax(np.asarray(probs), axis=1) == y))


# --- looking inside a trained GRU --------------------------------------------------------


def with_gate_fixed(params, gate, value):
    """A copy of ``params`` whose gate ``"z"`` or ``"r"`` is the constant ``value`` at every step.

    The gate's input and recurrent weights are set to zero and its bias to ``logit(value)``, so
    ``sigmoid(x W + h U + b) = value`` whatever the input. ``value`` is read in the convention of
    ``params`` (Keras: ``z = 1`` keeps the old state; source: ``z = 0`` keeps it). Values 0 and 1
    are reached up to ``1e-12``.
    """
    from dataclasses import replace

    from grucourse.gru import GRUParams

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
    """Accuracy of ``argmax(h_T W + b)`` where ``h_T = gru_forward(X, params)`` and ``head = [W (u, C), b (C,)]``.

    The same prediction as the Keras model whose GRU layer and ``Dense`` head these are
    (softmax does not change the argmax), computed in numpy so that gates can be edited.
    """
    from grucourse.gru import gru_forward

    W, b = (np.asarray(w, dtype=np.float64) for w in head)
    if W.ndim != 2 or W.shape[0] != params.units or b.shape != (W.shape[1],):
        raise ValueError(f"head must be [W ({params.units}, C), b (C,)], got shapes {W.shape} and {b.shape}")
    y = np.asarray(y)
    if y.shape != (np.shape(X)[0],):
        raise ValueError(f"y must have one label per sequence, shape ({np.shape(X)[0]},), got {y.shape}")
    scores = gru_forward(X, params) @ W + b  # (n, C)
    return float(np.mean(np.argmax(scores, axis=1) == y))


def readout_accuracy_fixed_at(params, head, X, y, gate, value, steps):
    """:func:`readout_accuracy` with ``gate`` fixed at ``value`` at the given ``steps`` only.

    At a step in ``steps`` the GRU runs with :func:`with_gate_fixed` ``(params, gate, value)``;
    at every other step with ``params``. This switches a gate off during one phase of a
    sequence (for example the blank prefix, or the step that holds the symbol).
    """
    from grucourse.gru import gru_step
    from grucourse.validate import check_sequences

    fixed = with_gate_fixed(params, gate, value)
    X = check_sequences(X, name="X")  # (n, T, d)
    n, T, _ = X.shape
    steps = _check_int_list(list(steps), "steps", 0)
    if max(steps) >= T:
        raise ValueError(f"steps must lie in [0, {T}) for sequences of {T} steps, got {max(steps)}")
    chosen = set(steps)
    h = np.zeros((n, params.units))  # (n, u)
    for t in range(T):
        h, _ = gru_step(X[:, t], h, fixed if t in chosen else params)  # (n, u)
    W, b = (np.asarray(w, dtype=np.float64) for w in head)
    if W.ndim != 2 or W.shape[0] != params.units or b.shape != (W.shape[1],):
        raise ValueError(f"head must be [W ({params.units}, C), b (C,)], got shapes {W.shape} and {b.shape}")
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must have one label per sequence, shape ({n},), got {y.shape}")
    return float(np.mean(np.argmax(h @ W + b, axis=1) == y))  # (n, C) scores -> accuracy
