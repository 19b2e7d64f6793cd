"""Per-step classifiers (taggers) packed by seed: GRU, minGRU stacks and the negative-range minGRU.

Used by chapters/23_mingru_learning.ipynb for two tasks that score every time step: the running
parity of a bit stream (trained on short strings, tested on long ones) and the next character of
real text (a character language model). A tagger reads ``(B, T, ...)`` and returns logits
``(B, T, S, C)``: ``S`` seeds side by side, packed as in :mod:`grucourse.training.packing`
(block-diagonal kernels kept so by a constraint, the loss summed over seeds). The time axis is
left free, so a model trained at ``T = 10`` runs unchanged at ``T = 128``.

Kinds (:data:`TAGGER_KINDS`): ``"GRU"`` (``keras.layers.GRU``, reset_after), ``"minGRU"``
(Feng et al. 2024, section 3.2: ``a = 1 - z``) and ``"signed minGRU"`` (``a = 1 - 2 z`` in
``(-1, 1)``, Grazzi et al. 2025, section 4), each ``n_layers`` deep with a linear head.
Model ``s`` draws its weights from ``default_rng([seed, layer])``, whatever the other seeds, so
a packed model computes exactly what each seed's model computes alone
(``tests/test_packed_taggers.py``).
"""

from __future__ import annotations

from grucourse.training.packing import block_diagonal, block_mask, pack_biases, pack_kernels

import numpy as np

TAGGER_KINDS = ("GRU", "minGRU", "signed minGRU")


def tagger_params(kind: str, d: int, u: int, n_classes: int, n_layers: int = 1) -> int:
    """Parameters of one seed's tagger: the recurrent layers plus the ``u C + C`` head.

    GRU (reset_after): ``3 u (d + u + 2)`` per layer; minGRU (either range): ``2 u (d + 1)``.
    """
    if kind not in TAGGER_KINDS:
        raise ValueError(f"kind must be one of {TAGGER_KINDS}, got {kind!r}")
    total, rows = 0, d
    for _ in range(n_layers):
        total += 3 * u * (rows + u + 2) if kind == "GRU" else 2 * u * (rows + 1)
        rows = u
    return total + u * n_classes + n_classes


def _glorot(rng, rows, cols):
    limit = np.sqrt(6.0 / (rows + cols))
    return rng.uniform(-limit, limit, size=(rows, cols)).astype(np.float32)  # (rows, cols)


def _orthogonal(rng, u, n_gates):
    """``n_gates`` orthogonal ``(u, u)`` blocks side by side ``(u, G*u)`` (Keras's recurrent
    default)."""
    blocks = []
    for _ in range(n_gates):
        q, r = np.linalg.qr(rng.normal(size=(u, u)))  # (u, u) each
        blocks.append(q * np.sign(np.diag(r)))  # (u, u): a uniformly random orthogonal matrix
    return np.concatenate(blocks, axis=1).astype(np.float32)  # (u, G*u)


def _recurrent_layer(kind, S, u, rows, shared, layer_index):
    """The packed layer ``layer_index`` and the masks of its kernels."""
    from grucourse.layers.mingru import MinGRU

    import keras

    G = 3 if kind == "GRU" else 2
    in_mask = None if shared else block_mask(rows, u, S, G)  # a shared input needs no mask
    in_constraint = None if in_mask is None else block_diagonal(in_mask)
    name = f"rnn_{layer_index}"
    if kind == "GRU":
        return keras.layers.GRU(S * u, return_sequences=True, name=name,
                                kernel_constraint=in_constraint,
                                recurrent_constraint=block_diagonal(block_mask(u, u, S, G)))
    return MinGRU(S * u, return_sequences=True, name=name, kernel_constraint=in_constraint,
                  signed=kind == "signed minGRU")


def build_packed_tagger(kind: str, seeds, d: int, u: int, n_classes: int, *, n_layers: int = 1,
                        shared_input: bool = False, learning_rate: float = 1e-2):
    """``len(seeds)`` taggers of ``n_layers`` ``kind`` layers of ``u`` units, packed.

    ``shared_input=False``: input ``(B, T, S*d)``, seed ``s`` reads features ``s*d ... (s+1)*d``.
    ``shared_input=True``: input ids ``(B, T)``, one-hot ``(B, T, d)`` read by every seed (a
    language model). Output: logits ``(B, T, S, n_classes)``; the loss sums the seeds' mean
    cross-entropies, so each block gets the gradient it would get alone.
    """
    from grucourse.layers.lm import one_hot_layer

    import keras

    if kind not in TAGGER_KINDS:
        raise ValueError(f"kind must be one of {TAGGER_KINDS}, got {kind!r}")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    S, G = len(seeds), 3 if kind == "GRU" else 2
    if shared_input:
        inputs = keras.Input((None,), dtype="int32")
        h = one_hot_layer(d)(inputs)  # (B, T, d)
    else:
        inputs = keras.Input((None, S * d))
        h = inputs  # (B, T, S*d)
    rows, layers = d, []
    for i in range(n_layers):
        layer = _recurrent_layer(kind, S, u, rows, shared_input and i == 0, i)
        h = layer(h)  # (B, T, S*u)
        layers.append((layer, rows, shared_input and i == 0))
        rows = u
    head = keras.layers.Dense(S * n_classes, name="head",
                              kernel_constraint=block_diagonal(block_mask(u, n_classes, S, 1)))
    logits = keras.layers.Reshape((-1, S, n_classes))(head(h))  # (B, T, S, C)
    model = keras.Model(inputs, logits, name=f"packed_{kind.replace(' ', '_').lower()}_tagger")
    for i, (layer, r, shared) in enumerate(layers):
        rngs = [np.random.default_rng([s, i]) for s in seeds]
        kernels = [_glorot(g, r, G * u) for g in rngs]  # each (r, G*u)
        pack = pack_biases if shared else pack_kernels  # shared: columns side by side
        weights = [pack(kernels, G)]  # (r or S*r, G*S*u)
        if kind == "GRU":
            weights.append(pack_kernels([_orthogonal(g, u, G) for g in rngs], G))  # (S*u, G*S*u)
            weights.append(np.zeros((2, G * S * u), np.float32))  # reset_after: two biases
        else:
            weights.append(np.zeros(G * S * u, np.float32))  # (2*S*u,)
        layer.set_weights(weights)
    head.set_weights([pack_kernels([_glorot(np.random.default_rng([s, 99]), u, n_classes)
                                    for s in seeds], 1),  # (S*u, S*C)
                      np.zeros(S * n_classes, np.float32)])

    def summed_cross_entropy(y_true, y_pred):  # (B, T, S), (B, T, S, C) -> (B, T)
        ce = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        return keras.ops.sum(ce, axis=-1)  # (B, T, S) -> (B, T): the sum over seeds

    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=summed_cross_entropy)
    return model


def train_tracked(model, next_batch, steps: int, eval_every: int, evaluate):
    """``steps`` Adam updates on ``next_batch(step) -> (X, Y)``, scored by ``evaluate(model)``
    (an ``(S,)`` array) before the first update and after every ``eval_every`` updates.

    Returns ``(done (k,), scores (k, S))``: ``done[i]`` updates had been made at row ``i``.
    """
    for name, v in (("steps", steps), ("eval_every", eval_every)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    done, scores = [0], [np.asarray(evaluate(model), dtype=float)]
    for step in range(1, steps + 1):
        model.train_on_batch(*next_batch(step))
        if step % eval_every == 0 or step == steps:
            done.append(step)
            scores.append(np.asarray(evaluate(model), dtype=float))
    return np.array(done), np.array(scores)


def final_step_accuracy(model, X, y, batch_size: int = 250) -> np.ndarray:
    """Accuracy of each packed seed on the label of the *last* step: ``X`` ``(n, T, S*d)``,
    ``y`` ``(n, S)`` -> ``(S,)``."""
    logits = np.asarray(model.predict(X, batch_size=batch_size, verbose=0))  # (n, T, S, C)
    return (logits[:, -1].argmax(axis=-1) == np.asarray(y)).mean(axis=0)  # (S,)
