"""Seed-packed GRU stacks with dropout, depth and residual connections (chapter 12).

:func:`packed_stack` builds, in one Keras model, ``S`` independent copies (one per seed) of

    x (T, d) → GRU_1 → … → GRU_L → Dense

where every GRU has ``u`` units and all but the last return their whole sequence. With
``residual=True`` layer ``l ≥ 2`` adds its input to its output,
``h^l_t = h^{l−1}_t + GRU_l(h^{l−1})_t`` (both are ``u``-dimensional; the first layer maps
``d → u`` and has no shortcut).
The copies are packed as in :mod:`grucourse.training.packing`: layer ``l`` has ``S·u`` units with
block-diagonal kernels, seed ``s`` reads input features ``s·d …`` and owns output block ``s``.
Every gate acts element-wise, so block ``s`` computes what the stand-alone stack of seed ``s``
computes. Keras's ``dropout`` and ``recurrent_dropout`` draw one mask *element* per input
feature or state unit (per sequence, reused at every step), so each seed's mask is drawn
independently of the others, as it would be alone (from a different random stream).

Seed ``s`` starts from the weights its stand-alone layers draw after ``set_random_seed(s)``.
The loss is the sum over seeds of each seed's mean loss: cross-entropy of a softmax over
``n_outputs`` classes, or (``n_outputs=None``) the squared error of one linear output.
"""

from __future__ import annotations

from grucourse.training.packing import block_diagonal
from grucourse.validate import check_int, check_int_list

import numpy as np


def _check_rate(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def stack_params(n_features, units, layers, n_outputs=1):
    """Parameters of one seed's stack: ``3u(d + u + 2) + (L − 1)·3u(2u + 2) + (u + 1)·C``."""
    d, u, L, C = (check_int(v, k) for v, k in ((n_features, "n_features"), (units, "units"),
                                               (layers, "layers"), (n_outputs, "n_outputs")))
    return 3 * u * (d + u + 2) + (L - 1) * 3 * u * (2 * u + 2) + (u + 1) * C


def units_for_stack(n_features, layers, budget, n_outputs=1):
    """The largest ``u`` whose ``layers``-deep stack (:func:`stack_params`) has at most ``budget``
    parameters."""
    budget = check_int(budget, "budget")
    if stack_params(n_features, 1, layers, n_outputs) > budget:
        raise ValueError(f"budget={budget} is below the smallest {layers}-layer stack")
    u = 1
    while stack_params(n_features, u + 1, layers, n_outputs) <= budget:
        u += 1
    return u


def _stand_alone(seed, d, layers, units, n_outputs):
    """The weights of one seed's stack
    ``[[kernel, recurrent, bias] per layer], [head kernel, bias]``.

    They are the weights that ``GRU(units)`` layers and a ``Dense`` head, created in order after
    ``set_random_seed(seed)``, draw when they are built: each layer's own initializers (which
    hold the seeds drawn when the layer was created) are called with the shapes ``build`` uses,
    without the cost of creating variables.
    """
    import keras
    keras.utils.set_random_seed(seed)
    grus = [keras.layers.GRU(units, return_sequences=i < layers - 1) for i in range(layers)]
    head = keras.layers.Dense(n_outputs)
    weights = []
    for i, g in enumerate(grus):
        cell = g.cell
        weights.append([
            np.asarray(cell.kernel_initializer((d if i == 0 else units, 3 * units))),  # (d, 3u)
            np.asarray(cell.recurrent_initializer((units, 3 * units))),  # (u, 3u)
            np.asarray(cell.bias_initializer((2, 3 * units)))])  # (2, 3u): reset_after
    return weights, [np.asarray(head.kernel_initializer((units, n_outputs))),  # (u, C)
                     np.asarray(head.bias_initializer((n_outputs,)))]  # (C,)


def _place(blocks, rows, cols, n_rows, width, n_gates):
    """Pack ``blocks[m] (r_m, G·u_m)`` at rows ``rows[m]`` and gate-major columns ``cols[m]``.

    ``rows[m] = (r0, r_m)``, ``cols[m] = (c0, u_m)``: gate ``g`` of block ``m`` lands in columns
    ``g·width + c0 … g·width + c0 + u_m``. Returns ``(n_rows, G·width)``, zero elsewhere.
    """
    out = np.zeros((n_rows, n_gates * width), dtype=np.float32)  # (n_rows, G·width)
    for b, (r0, nr), (c0, u) in zip(blocks, rows, cols, strict=True):
        b = np.asarray(b).reshape(nr, n_gates * u)  # (r_m, G·u_m)
        for g in range(n_gates):
            out[r0 : r0 + nr, g * width + c0 : g * width + c0 + u] = b[:, g * u : (g + 1) * u]
    return out


def _check_arms(arms):
    if not isinstance(arms, (list, tuple)) or not arms:
        raise TypeError("arms must be a non-empty list of (layers, units, residual) triples")
    out = []
    for arm in arms:
        if not (isinstance(arm, tuple) and len(arm) == 3 and isinstance(arm[2], bool)):
            raise TypeError(f"each arm must be a (layers, units, residual) triple, got {arm!r}")
        out.append((check_int(arm[0], "layers"), check_int(arm[1], "units"), arm[2]))
    return out


def packed_stacks(seeds, n_features, arms, *, n_outputs=None, dropout=0.0, recurrent_dropout=0.0,
                  learning_rate=1e-2):
    """One model holding, for every arm ``(layers, units, residual)`` and every seed, its own GRU
    stack.

    Input ``(B, T, S·d)``: seed ``s`` reads features ``s·d …``, and every arm of seed ``s`` reads
    the same features (paired data). Members are ordered arm-major, ``m = a·S + s``. Output
    ``(B, A·S, C)`` softmax probabilities for ``n_outputs = C`` classes, or ``(B, A·S)`` linear
    predictions for ``n_outputs=None``; targets are ``(B, S)`` (each arm is scored against its
    seed's targets). Layer ``l`` of the model packs the ``l``-th layer of every arm at least ``l``
    deep, with block-diagonal kernels; an arm's last state goes to its own head.
    ``dropout`` and ``recurrent_dropout`` are Keras's rates, applied in every layer; every arm
    shares them (a model per setting compares rates).
    """
    import keras
    seeds = check_int_list(seeds, "seeds", 0)
    arms = _check_arms(arms)
    d = check_int(n_features, "n_features")
    p_in, p_rec = (_check_rate(dropout, "dropout"),
                   _check_rate(recurrent_dropout, "recurrent_dropout"))
    regression = n_outputs is None
    C = 1 if regression else check_int(n_outputs, "n_outputs", 2)
    S = len(seeds)
    members = [(a, i) for a in range(len(arms)) for i in range(S)]  # (arm, seed index)
    weights = [_stand_alone(seeds[i], d, arms[a][0], arms[a][1], C) for a, i in members]
    units = [arms[a][1] for a, _ in members]
    depth = [arms[a][0] for a, _ in members]
    final_at = np.cumsum([0] + units)  # member m's state sits at final_at[m] … in the head input
    inputs = keras.Input((None, S * d))
    h, last_states, grus, prev_cols, prev_width = inputs, [], [], None, 0
    for layer in range(max(depth)):
        here = [m for m in range(len(members)) if depth[m] > layer]
        offsets = np.cumsum([0] + [units[m] for m in here])
        width = int(offsets[-1])
        cols = [(int(c), units[m]) for c, m in zip(offsets[:-1], here, strict=True)]
        if layer == 0:
            rows, n_rows = [(members[m][1] * d, d) for m in here], S * d
        else:
            rows, n_rows = [prev_cols[m] for m in here], prev_width
        ones = [np.ones((r, 3 * u)) for (_, r), (_, u) in zip(rows, cols, strict=True)]
        mask_k = _place(ones, rows, cols, n_rows, width, 3)
        mask_u = _place([np.ones((u, 3 * u)) for _, u in cols], cols, cols, width, width, 3)
        gru = keras.layers.GRU(width, return_sequences=True, dropout=p_in, recurrent_dropout=p_rec,
                               kernel_constraint=block_diagonal(mask_k),
                               recurrent_constraint=block_diagonal(mask_u))
        out = gru(h)  # (B, T, width)
        residual = [m for m in here if layer > 0 and arms[members[m][0]][2]]
        if residual:  # h^l = h^{l-1} + GRU_l(h^{l-1}) for those members
            P = _place([np.eye(units[m]) for m in residual],
                       [prev_cols[m] for m in residual], [cols[here.index(m)] for m in residual],
                       prev_width, width, 1)  # (W_{l-1}, W_l)
            out = keras.layers.Add()([out, keras.layers.Lambda(
                lambda t, P=P: keras.ops.matmul(t, P))(h)])
        ending = [m for m in here if depth[m] == layer + 1]
        if ending:  # their last states, moved to their place in the head input
            Q = _place([np.eye(units[m]) for m in ending], [cols[here.index(m)] for m in ending],
                       [(int(final_at[m]), units[m]) for m in ending], width, int(final_at[-1]), 1)
            last_states.append(keras.layers.Lambda(
                lambda t, Q=Q: keras.ops.matmul(t[:, -1, :], Q))(out))
        grus.append((gru, here, rows, cols, n_rows, width))
        prev_cols, prev_width = dict(zip(here, cols, strict=True)), width
        h = out
    h_final = (last_states[0] if len(last_states) == 1
               else keras.layers.Add()(last_states))  # (B, Σu)
    head_cols = [(m * C, C) for m in range(len(members))]
    head_rows = [(int(final_at[m]), units[m]) for m in range(len(members))]
    head = keras.layers.Dense(len(members) * C, kernel_constraint=block_diagonal(
        _place([np.ones((u, C)) for u in units], head_rows, head_cols, int(final_at[-1]),
               len(members) * C, 1)))
    logits = head(h_final)  # (B, M·C)
    if regression:
        outputs = logits  # (B, M)
    else:
        outputs = keras.layers.Softmax(axis=-1)(
            keras.layers.Reshape((len(members), C))(logits))  # (B, M, C)
    model = keras.Model(inputs, outputs)
    for layer, (gru, here, rows, cols, n_rows, width) in enumerate(grus):
        # [kernel (r, 3u), recurrent (u, 3u), bias (2, 3u)]
        w = [weights[m][0][layer] for m in here]
        bias = np.concatenate([_place([b[2][k : k + 1] for b in w], [(0, 1)] * len(w), cols, 1,
                                      width, 3) for k in range(2)])  # (2, 3·width)
        gru.set_weights([_place([b[0] for b in w], rows, cols, n_rows, width, 3),
                         _place([b[1] for b in w], cols, cols, width, width, 3), bias])
    # (Σu, M·C), (M·C,)
    head.set_weights([_place([weights[m][1][0] for m in range(len(members))], head_rows, head_cols,
                             int(final_at[-1]), len(members) * C, 1),
                      np.concatenate([weights[m][1][1] for m in range(len(members))])])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=_summed_loss(len(members), len(arms), regression))
    model.arms, model.seeds = arms, seeds
    return model


def packed_stack(seeds, n_features, units, *, layers=1, residual=False, **kwargs):
    """:func:`packed_stacks` with one arm: ``S`` seeds of one ``layers``-deep stack of ``units``."""
    return packed_stacks(seeds, n_features, [(layers, units, residual)], **kwargs)


def _summed_loss(n_members, n_arms, regression):
    import keras

    def summed_loss(y_true, y_pred):  # (B, S), (B, M[, C]) -> (B, M): mean · M = sum over members
        # (B, M): arm a of seed s answers seed s's target
        y_true = keras.ops.tile(y_true, (1, n_arms))
        if regression:
            return n_members * keras.ops.square(y_pred - keras.ops.cast(y_true, y_pred.dtype))
        return n_members * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
    return summed_loss


def seed_blocks(sets):
    """Stack per-seed data ``[(X_s (n, T, d), y_s (n,) or (n, 1)), …]`` into ``X (n, T, S·d)``,
    ``y (n, S)``."""
    sets = list(sets)
    if not sets:
        raise ValueError("sets is empty: give one (X, y) pair per seed")
    X = [np.asarray(x, dtype=np.float32) for x, _ in sets]
    y = [np.asarray(t).reshape(len(t)) for _, t in sets]
    if len({x.shape for x in X}) != 1 or any(x.ndim != 3 for x in X):
        raise ValueError(f"every X must have the same shape (n, T, d), "
                         f"got {sorted({x.shape for x in X})}")
    if any(len(t) != len(X[0]) for t in y):
        raise ValueError("every y must hold one target per sequence of its X")
    return np.concatenate(X, axis=2), np.stack(y, axis=1)  # (n, T, S·d), (n, S)


def update_step(model):
    """The compiled Adam update ``step(x (b, T, S·d), y (b, S)) → loss`` of a packed model
    (built once).

    The loss is the sum over members of each member's mean loss; the optimizer re-applies the
    block-diagonal constraints after every update.
    """
    import tensorflow as tf
    if not hasattr(model, "arms"):
        raise TypeError("model must come from packed_stacks or packed_stack")
    if getattr(model, "course_update_step", None) is None:
        optimizer, loss_fn, weights = model.optimizer, model.loss, model.trainable_variables

        @tf.function(reduce_retracing=True)
        def step(x, t):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(loss_fn(t, model(x, training=True)))  # (B, M) -> mean
            optimizer.apply(tape.gradient(loss, weights), weights)
            return loss

        model.course_update_step = step
    return model.course_update_step


def fit_stack(model, X, y, *, epochs, batch_size=32, seed=0):
    """Train ``model`` (from :func:`packed_stacks`) with Adam on ``X (n, T, S·d)``, ``y (n, S)``.

    Each of the ``epochs`` passes visits the rows in a fresh order from ``default_rng(seed)``, in
    batches of ``batch_size`` (an incomplete last batch is skipped). One compiled update step
    (:func:`update_step`) serves every batch, which costs less than ``model.fit`` on these tiny
    data sets; the dropout masks come from Keras's generator, seeded with ``seed``.
    """
    import keras
    import tensorflow as tf
    epochs = check_int(epochs, "epochs")
    b = check_int(batch_size, "batch_size")
    seed = check_int(seed, "seed", 0)
    X = np.asarray(X, dtype=np.float32)  # (n, T, S·d)
    y = np.asarray(y)  # (n, S)
    if len(X) < b or len(y) != len(X):
        raise ValueError(f"X and y need the same number of rows, at least batch_size={b}: "
                         f"got {len(X)} and {len(y)}")
    step = update_step(model)
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))  # (n,)
        for i in range(0, len(X) - b + 1, b):
            rows = order[i : i + b]  # (b,)
            step(tf.constant(X[rows]), tf.constant(y[rows]))
    return model


def stack_scores(model, X, y):
    """Scores ``(A, S)`` of every arm and seed on ``X (n, T, S·d)``, ``y (n, S)``: accuracy, or MSE
    for regression."""
    X = np.asarray(X, dtype=np.float32)  # (n, T, S·d)
    y = np.asarray(y)  # (n, S)
    A, S = len(model.arms), len(model.seeds)
    if X.ndim != 3 or y.shape != (len(X), S):
        raise ValueError(f"X must be (n, T, S·d) and y (n, {S}) for {S} seeds, "
                         f"got {X.shape} and {y.shape}")
    out = np.concatenate([np.asarray(model(X[i : i + 1024], training=False))
                          for i in range(0, len(X), 1024)])  # (n, A·S, C) or (n, A·S)
    y = np.tile(y, (1, A))  # (n, A·S)
    if out.ndim == 3:
        scores = np.mean(out.argmax(-1) == y, axis=0)  # (A·S,)
    else:
        scores = np.mean((out - y) ** 2, axis=0)  # (A·S,)
    return scores.reshape(A, S)  # row a: arm a, one score per seed
