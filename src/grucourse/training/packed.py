"""Many seeds of one small model trained at once: regression or binary classification, packed.

Chapter comparisons rest on ten or more paired seeds. Training ten tiny Keras models one after
another pays TensorFlow's fixed cost per operation ten times over, so :func:`train_packed` puts
``S`` members (one seed and one training set each) of the same ``kind`` and ``units`` side by side
in one layer of ``S * units`` units with block-diagonal kernels (the packing of
:mod:`grucourse.training.packing`). Member ``s`` reads input features ``s*d ... (s+1)*d`` and owns
output column ``s``; every gate acts element-wise, and Adam updates each weight from its own
gradient, so block ``s`` follows exactly the updates that member ``s`` would follow alone (to
float32 rounding). A test checks this against :func:`grucourse.training.compare.compare_models`.

Each member starts from the weights :func:`grucourse.layers.models.build_model` draws after
``seed_everything(seed)`` (its layers are built in the same order, without a whole model) and
draws its minibatches from ``default_rng(seed)`` as ``compare_models`` does.
The loss is the *sum* over members of each member's mean loss
(mean squared error, or binary cross-entropy of a sigmoid output).
"""

from __future__ import annotations

from collections.abc import Sequence

from grucourse.kinds import KINDS, N_GATES
from grucourse.layers.models import recurrent_layer
from grucourse.repro import quiet_retracing, seed_everything
from grucourse.training.packing import block_diagonal, block_mask, pack_kernels, pack_weights

import numpy as np
import pandas as pd

TASKS = ("regression", "classification")


def _check(kind, units, members, task, steps, batch_size):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    for value, name in ((units, "units"), (steps, "steps"), (batch_size, "batch_size")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    members = list(members)
    if not members:
        raise ValueError("members is empty: pass (seed, X_train, y_train) triples")
    out = []
    for m in members:
        if not (isinstance(m, tuple) and len(m) == 3):
            raise TypeError(f"each member must be a (seed, X_train, y_train) triple, "
                            f"got {type(m).__name__}")
        seed, X, y = m
        X = np.asarray(X, dtype=np.float32)  # (n, T, d)
        y = np.asarray(y, dtype=np.float32).reshape(-1)  # (n,)
        if X.ndim != 3 or X.shape[0] == 0:
            raise ValueError(f"X_train of seed {seed} must have shape (n, time, features), "
                             f"got {X.shape}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"seed {seed}: {y.shape[0]} targets for {X.shape[0]} sequences")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
            raise ValueError(f"seed {seed}: X_train and y_train must hold finite numbers")
        out.append((int(seed), X, y))
    shapes = {X.shape[1:] for _, X, _ in out}
    if len(shapes) != 1:
        raise ValueError(f"every member needs the same (time, features); got {sorted(shapes)}")
    if len({min(batch_size, X.shape[0]) for _, X, _ in out}) != 1:
        raise ValueError("members must share one batch size: "
                         "give each at least batch_size sequences")
    return out


def batch_orders(n: int, steps: int, batch_size: int, seed: int) -> np.ndarray:
    """Minibatch indices ``(steps, b)``: a fresh permutation of ``n`` per epoch from
    ``default_rng(seed)``.

    ``b = min(batch_size, n)``; the incomplete last batch of an epoch is skipped (the same order
    as :func:`grucourse.training.compare.compare_models` draws).
    """
    rng = np.random.default_rng(seed)
    b = min(batch_size, n)
    per_epoch = n // b
    order = rng.permutation(n)  # (n,)
    out = np.empty((steps, b), dtype=np.int64)  # (steps, b)
    for step in range(steps):
        k = step % per_epoch
        if k == 0 and step > 0:
            order = rng.permutation(n)
        out[step] = order[k * b : (k + 1) * b]
    return out


class Packed:
    """``S`` members in one Keras model: input ``(B, T, S*d)``, output ``(B, S)``."""

    def __init__(self, kind, units, seeds, n_features, task, learning_rate, jit_compile=True):
        import keras

        S, G, d, u = len(seeds), N_GATES[kind], n_features, units
        self.kind, self.S, self.d, self.task = kind, S, d, task
        rnns, heads = [], []
        for seed in seeds:  # each member's own initial weights, drawn as build_model draws them
            seed_everything(seed)
            rnn = recurrent_layer(kind, u)
            rnn.build((None, None, d))
            head = keras.layers.Dense(1)
            head.build((None, u))
            rnns.append(rnn.get_weights())
            heads.append(head.get_weights())
        rnn = getattr(keras.layers, kind)(
            S * u, kernel_constraint=block_diagonal(block_mask(d, u, S, G)),
            recurrent_constraint=block_diagonal(block_mask(u, u, S, G)))
        head = keras.layers.Dense(S, kernel_constraint=block_diagonal(block_mask(u, 1, S, 1)),
                                  activation="sigmoid" if task == "classification" else None)
        inputs = keras.Input(shape=(None, S * d))
        self.model = keras.Model(inputs, head(rnn(inputs)))  # (B, S)
        rnn.set_weights(pack_weights(rnns, G))
        head.set_weights([pack_kernels([w for w, _ in heads], 1),  # (S*u, S)
                          np.concatenate([b for _, b in heads])])  # (S,)
        self.optimizer = keras.optimizers.Adam(learning_rate)
        self.jit_compile = jit_compile
        self._step = None
        import tensorflow as tf

        spec = tf.TensorSpec((None, None, S * d), tf.float32)  # any batch and length: traced once
        self._forward = tf.function(lambda x: self.model(x, training=False), input_signature=[spec])

    def train_step(self, x, y):
        """One Adam update of every member; ``x (B, T, S*d)``, ``y (B, S)``."""
        if self._step is None:
            import tensorflow as tf

            model, opt, task = self.model, self.optimizer, self.task

            @tf.function(jit_compile=self.jit_compile, reduce_retracing=True)
            def step(x, y):
                with tf.GradientTape() as tape:
                    p = model(x, training=True)  # (B, S)
                    if task == "regression":
                        per = tf.square(p - y)  # (B, S)
                    else:
                        q = tf.clip_by_value(p, 1e-7, 1 - 1e-7)
                        per = -(y * tf.math.log(q) + (1 - y) * tf.math.log(1 - q))  # (B, S)
                    loss = tf.reduce_sum(tf.reduce_mean(per, axis=0))  # sum over members
                grads = tape.gradient(loss, model.trainable_variables)
                opt.apply(grads, model.trainable_variables)
                return loss

            self._step = step
        return self._step(x, y)

    def predict(self, X, batch: int = 1024) -> np.ndarray:
        """Every member's output on the same sequences ``X (n, T, d)``: shape ``(n, S)``."""
        X = np.asarray(X, dtype=np.float32)  # (n, T, d)
        if X.ndim != 3 or X.shape[2] != self.d:
            raise ValueError(f"X must have shape (n, time, {self.d}), got {X.shape}")
        tiled = np.tile(X, (1, 1, self.S))  # (n, T, S*d): every member reads the same X
        out = [self._forward(tiled[i : i + batch]).numpy() for i in range(0, len(X), batch)]
        return np.concatenate(out)  # (n, S)

    def predict_own(self, sets) -> list[np.ndarray]:
        """Member ``s``'s outputs on its own sequences ``sets[s]`` (one pass, rows padded)."""
        n_max = max(len(X) for X in sets)
        T = sets[0].shape[1]
        big = np.zeros((n_max, T, self.S * self.d), dtype=np.float32)  # (n_max, T, S*d)
        for s, X in enumerate(sets):
            big[: len(X), :, s * self.d : (s + 1) * self.d] = X
        p = self._forward(big).numpy()  # (n_max, S)
        return [p[: len(X), s] for s, X in enumerate(sets)]


def _score(p, y, task):
    p = np.asarray(p, dtype=np.float64).reshape(-1)  # (n,)
    y = np.asarray(y, dtype=np.float64).reshape(-1)  # (n,)
    if task == "regression":
        return float(np.mean((p - y) ** 2))
    return float(np.mean((p > 0.5) == (y > 0.5)))


def train_packed(kind: str, units: int, members, val, *, task: str = "regression",
                 steps: int = 200, batch_size: int = 64, learning_rate: float = 1e-2,
                 eval_at: Sequence[int] | None = None, score_train: bool = True,
                 jit_compile: bool = True, return_model: bool = False):
    """Train ``members = [(seed, X_train, y_train), ...]`` packed; score each at the steps
    ``eval_at``.

    ``val = (X_val, y_val)`` is one validation set shared by every member. Scores are mean squared
    error (``task="regression"``) or accuracy of ``p > 0.5`` (``task="classification"``, 0/1
    targets). Returns a DataFrame with one row per member and evaluation step: ``kind, units, seed,
    n_train, steps, train_score, val_score`` (and the :class:`Packed` model with
    ``return_model=True``).
    ``score_train=False`` skips scoring the training sets (``train_score`` is then NaN), which
    saves a forward pass over every member's training set at each evaluation step.
    ``jit_compile=True`` compiles the update with XLA: a few seconds once, then faster steps; for a
    short run of a small model ``False`` can be cheaper overall. Both give the same updates up to
    float rounding.
    """
    members = _check(kind, units, members, task, steps, batch_size)
    eval_at = sorted({int(steps)} if eval_at is None else {int(s) for s in eval_at})
    if eval_at[0] < 1 or eval_at[-1] != steps:
        raise ValueError(f"eval_at must lie in 1 .. steps and include steps={steps}, got {eval_at}")
    X_val = np.asarray(val[0], dtype=np.float32)  # (n_val, T, d)
    y_val = np.asarray(val[1], dtype=np.float32).reshape(-1)  # (n_val,)
    with quiet_retracing():  # each Packed traces its own functions once: not a retracing problem
        return _train_and_score(kind, units, members, X_val, y_val, task, steps, batch_size,
                                learning_rate, eval_at, score_train, jit_compile, return_model)


def _train_and_score(kind, units, members, X_val, y_val, task, steps, batch_size, learning_rate,
                     eval_at, score_train, jit_compile, return_model):
    d = members[0][1].shape[2]
    seeds = [s for s, _, _ in members]
    packed = Packed(kind, int(units), seeds, d, task, learning_rate, jit_compile)
    orders = [batch_orders(len(X), steps, batch_size, s) for s, X, _ in members]  # S x (steps, b)
    rows, done = [], 0
    for stop in eval_at:
        for step in range(done, stop):
            x = np.concatenate([X[o[step]] for (_, X, _), o in zip(members, orders, strict=True)],
                               axis=2)  # (b, T, S*d)
            y = np.stack([t[o[step]] for (_, _, t), o in zip(members, orders, strict=True)],
                         axis=1)  # (b, S)
            packed.train_step(x, y)
        done = stop
        p_val = packed.predict(X_val)  # (n_val, S)
        if score_train:
            p_train = packed.predict_own([X for _, X, _ in members])
        for s, (seed, X, y) in enumerate(members):
            rows.append({"kind": kind, "units": int(units), "seed": seed, "n_train": len(X),
                         "steps": stop,
                         "train_score": _score(p_train[s], y, task) if score_train else np.nan,
                         "val_score": _score(p_val[:, s], y_val, task)})
    table = pd.DataFrame(rows)
    return (table, packed) if return_model else table
