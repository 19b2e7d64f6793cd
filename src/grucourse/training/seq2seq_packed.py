"""Train many tiny encoder–decoders at once: ``S`` seeds of a kind in one ``tf.function``.

A Keras training step of a tiny model is dominated by a fixed cost per operation. Here every weight
of the ``S`` Keras models from :func:`grucourse.layers.seq2seq.build_seq2seq` is stacked along a new
leading axis ``s`` (``kernel (e, 3u)`` becomes ``(S, e, 3u)``) and every operation runs for all
seeds at once with an ``einsum`` over ``s``: seed ``s`` reads only its own weights and its own data
(arrays ``(B, S, ...)``), so it computes exactly what its Keras model computes.
The loss is the sum over seeds of each seed's mean cross-entropy (one loss and one Adam per
kind), and Adam acts element-wise, so each seed takes the training steps it would take alone.
``tests/test_seq2seq.py`` checks the packed forward pass against the Keras models.

The GRU here is Keras's (``reset_after=True``, gate order z, r, h)::

    z = σ(x W_z + b_z + h U_z + b'_z),  r = σ(x W_r + b_r + h U_r + b'_r)
    h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h)),   h_new = z ⊙ h + (1 − z) ⊙ h̃

and a masked step keeps the state: ``h ← m h_new + (1 − m) h``.
"""

from __future__ import annotations

from grucourse.data.seq2seq_data import Pairs, reversal_pairs, stack_pairs
from grucourse.layers.seq2seq import KINDS, build_seq2seq, check_seq2seq_kind

import numpy as np


class PackedSeq2Seq:
    """``S`` Keras encoder–decoders of one ``kind`` as stacked variables ``(S, ...)``."""

    def __init__(self, models, kind):
        import keras

        check_seq2seq_kind(kind)
        if not models:
            raise ValueError("models is empty: give one Keras model per seed")
        self.kind, self.S = kind, len(models)
        self.layer_names = [layer.name for layer in models[0].layers if layer.weights]
        self.w = {}
        for name in self.layer_names:
            per_model = [m.get_layer(name).get_weights() for m in models]
            for i in range(len(per_model[0])):
                stacked = np.stack([w[i] for w in per_model]).astype(np.float32)  # (S, ...)
                self.w[name, i] = keras.Variable(stacked, name=f"{name}_{i}")
        self.units = models[0].get_layer("encoder").units

    @property
    def variables(self):
        return list(self.w.values())

    def snapshot(self):
        """A copy with its own variables: training ``self`` further leaves the copy unchanged."""
        import keras

        copy = object.__new__(type(self))
        copy.__dict__.update({k: getattr(self, k) for k in ("kind", "S", "units", "layer_names")})
        copy.w = {key: keras.Variable(np.asarray(v), name=f"{key[0]}_{key[1]}")
                  for key, v in self.w.items()}
        return copy

    def export(self, models):
        """Copy the stacked weights back into ``S`` Keras models of the same architecture."""
        if len(models) != self.S:
            raise ValueError(f"expected {self.S} models, got {len(models)}")
        for s, m in enumerate(models):
            for name in self.layer_names:
                n = len(m.get_layer(name).weights)
                m.get_layer(name).set_weights([np.asarray(self.w[name, i])[s] for i in range(n)])

    # --- the forward pass -------------------------------------------------------------

    def _embed(self, name, ids):
        """Seed ``s`` looks its tokens ``ids (S, B, T)`` up in its own table: ``(S, B, T, e)``."""
        import tensorflow as tf

        E = self.w[name, 0]  # (S, V, e)
        offset = tf.range(self.S, dtype=ids.dtype)[:, None, None] * E.shape[1]  # (S, 1, 1)
        return tf.gather(tf.reshape(E, (-1, E.shape[2])), ids + offset)  # (S, B, T, e)

    def _gru(self, name, x, h, mask=None):
        """Run the stacked GRU ``name`` over ``x (S, B, T, e)`` from ``h (S, B, u)``: states
        ``(T, S, B, u)``."""
        import tensorflow as tf

        # (S, e, 3u), (S, u, 3u), (S, 2, 3u)
        W, U, b = self.w[name, 0], self.w[name, 1], self.w[name, 2]
        xw = tf.einsum("sbte,sek->tsbk", x, W) + b[None, :, None, 0, :]  # (T, S, B, 3u)
        b_rec = b[:, None, 1, :]  # (S, 1, 3u)
        states = []
        for t in range(x.shape[2]):
            hu = tf.matmul(h, U) + b_rec  # (S, B, 3u)
            xz, xr, xh = tf.split(xw[t], 3, axis=-1)  # (S, B, u) each
            hz, hr, hh = tf.split(hu, 3, axis=-1)  # (S, B, u) each
            z, r = tf.sigmoid(xz + hz), tf.sigmoid(xr + hr)  # (S, B, u)
            h_new = z * h + (1.0 - z) * tf.tanh(xh + r * hh)  # (S, B, u)
            if mask is not None:
                m = mask[t]  # (S, B, 1)
                h_new = m * h_new + (1.0 - m) * h
            h = h_new
            states.append(h)
        return tf.stack(states)  # (T, S, B, u)

    def forward(self, src, src_mask, dec_in):
        """``p(y_t)`` ``(B, S, T', V)`` and the attention weights ``(B, S, T', T)`` (``None``
        without attention)."""
        import tensorflow as tf

        src_sbt = tf.transpose(src, (1, 0, 2))  # (S, B, T)
        mask_sbt = tf.transpose(tf.cast(src_mask, tf.float32), (1, 0, 2))  # (S, B, T)
        B = tf.shape(src)[0]
        h_all = self._gru("encoder", self._embed("src_embedding", src_sbt),
                          tf.zeros((self.S, B, self.units)),
                          tf.transpose(mask_sbt, (2, 0, 1))[..., None])  # (T, S, B, u)
        s = self._gru("decoder", self._embed("tgt_embedding", tf.transpose(dec_in, (1, 0, 2))),
                      h_all[-1])
        s = tf.transpose(s, (1, 2, 0, 3))  # (S, B, T', u)
        a = None
        if self.kind == "attention":
            h_sbt = tf.transpose(h_all, (1, 2, 0, 3))  # (S, B, T, u)
            q = tf.einsum("sbqu,suk->sbqk", s, self.w["W_q", 0])  # (S, B, T', u)
            k = tf.einsum("sbtu,suk->sbtk", h_sbt, self.w["W_k", 0])  # (S, B, T, u)
            e = tf.einsum("sbqtk,sk->sbqt", tf.tanh(q[:, :, :, None] + k[:, :, None]),
                          self.w["attention", 0])  # (S, B, T', T): e_tj = v . tanh(q_t + k_j)
            # (S, B, T', T): pads get weight ~0
            e = tf.where(mask_sbt[:, :, None, :] > 0, e, e - 1e9)
            a = tf.nn.softmax(e, axis=-1)  # (S, B, T', T)
            c = tf.matmul(a, h_sbt)  # (S, B, T', u)
            s = tf.concat([s, c], axis=-1)  # (S, B, T', 2u)
            a = tf.transpose(a, (1, 0, 2, 3))  # (B, S, T', T)
        logits = (tf.einsum("sbqk,skv->bsqv", s, self.w["head", 0])
                  + self.w["head", 1][None, :, None])
        return tf.nn.softmax(logits, axis=-1), a  # (B, S, T', V)

    def probs(self, src, dec_in, src_mask=None):
        """numpy ``p(y_t)`` ``(B, S, T', V)``; the mask defaults to ``src != PAD``."""
        import tensorflow as tf

        src = np.asarray(src, dtype=np.int32)
        mask = ((src != 0).astype(np.float32) if src_mask is None
                else np.asarray(src_mask, np.float32))
        if getattr(self, "_compiled", None) is None:  # a snapshot compiles its own
            self._compiled = tf.function(self.forward)
        return self._compiled(src, mask, np.asarray(dec_in, dtype=np.int32))[0].numpy()

    def attention_weights(self, src, dec_in):
        """numpy attention weights ``a_{t,j}`` ``(B, S, T', T)`` (attention models only)."""
        if self.kind != "attention":
            raise ValueError("attention_weights needs a packed model of kind 'attention', "
                             "this one is 'plain'")
        src = np.asarray(src, dtype=np.int32)
        return self.forward(src, (src != 0).astype(np.float32),
                            np.asarray(dec_in, dtype=np.int32))[1].numpy()


def masked_cross_entropy(probs, target, tgt_mask):
    """Sum over seeds of each seed's mean ``−log p(y_t = target_t)`` over real target tokens:
    a scalar."""
    import tensorflow as tf

    p = tf.gather(probs, target, batch_dims=3)  # (B, S, T'): the target's probability
    nll = -tf.math.log(tf.maximum(p, 1e-7)) * tgt_mask  # (B, S, T')
    return tf.reduce_sum(tf.reduce_sum(nll, axis=(0, 2)) / tf.reduce_sum(tgt_mask, axis=(0, 2)))


def seed_data(seed, n, max_len, split, length=None) -> Pairs:
    """Pairs from the stream ``(seed, split)``: train and test never share a stream."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    rng = np.random.default_rng([seed, 0 if split == "train" else 1,
                                 0 if length is None else length])
    return reversal_pairs(n, rng, max_len, length=length)


def train_packed_seq2seq(seeds, *, kinds=KINDS, units=None, embed_dim=8, max_len=12, steps=600,
                         batch_size=64, learning_rate=1e-2, n_train=8000, extra_steps=None):
    """Train one model per ``kind`` and seed on reversal (lengths ``1 .. max_len``); all seeds of
    a kind in one ``tf.function``, with its own Adam (the same steps as one summed loss).

    ``units``: ``{kind: units}``. Model ``(kind, s)`` starts from the weights ``build_seq2seq``
    draws after ``keras.utils.set_random_seed(s)`` and sees the training pairs of seed ``s`` (the
    same pairs for both kinds, so the comparison is paired). Returns ``{kind: PackedSeq2Seq}``;
    ``extra_steps={kind: n}`` trains that kind on for ``n`` more steps on the same batches (as if
    trained alone for ``steps + n``) and adds it as ``"<kind>, <steps + n> steps"``.
    """
    import keras
    import tensorflow as tf

    seeds = list(seeds)
    if (not seeds or len(set(seeds)) != len(seeds)
            or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0
                   for s in seeds)):
        raise ValueError(f"seeds must be distinct non-negative integers, got {seeds}")
    for value, name in ((steps, "steps"), (batch_size, "batch_size"), (n_train, "n_train"),
                        (max_len, "max_len")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if n_train < batch_size:
        raise ValueError(f"n_train={n_train} is smaller than batch_size={batch_size}")
    kinds = [check_seq2seq_kind(k) for k in kinds]
    extra = dict(extra_steps or {})  # {kind: n}; n must be an int >= 1, not a bool
    if set(extra) - set(kinds) or any(type(n) not in (int, np.int64) or n < 1
                                      for n in extra.values()):
        raise ValueError(f"extra_steps must map kinds in {list(kinds)} to positive integers, "
                         f"got {extra_steps!r}")
    if not isinstance(units, dict) or set(units) != set(kinds):
        raise ValueError(f"units must be a dict with one entry per kind in {list(kinds)}, "
                         f"got {units!r}")
    packed = {}
    for kind in kinds:
        models = []
        for s in seeds:
            keras.utils.set_random_seed(s)
            models.append(build_seq2seq(kind, units[kind], embed_dim))
        packed[kind] = PackedSeq2Seq(models, kind)
    data = stack_pairs([seed_data(s, n_train, max_len, "train") for s in seeds])  # (n, S, ...)

    def make_step(model, optimizer):  # one tf.function and one Adam per kind
        @tf.function
        def step(src, src_mask, dec_in, target, tgt_mask):
            with tf.GradientTape() as tape:
                probs = model.forward(src, src_mask, dec_in)[0]  # (B, S, T', V)
                loss = masked_cross_entropy(probs, target, tgt_mask)
            grads = tape.gradient(loss, model.variables)
            optimizer.apply_gradients(zip(grads, model.variables, strict=True))

        return step

    steps_of = {k: make_step(packed[k], keras.optimizers.Adam(learning_rate)) for k in kinds}
    rng = np.random.default_rng(seeds[0])
    per_epoch = n_train // batch_size
    result = {}
    for i in range(steps + max(extra.values(), default=0)):
        if i == steps:  # the kinds that train on: keep a copy of each as it is now
            result = {k: packed[k].snapshot() if k in extra else packed[k] for k in kinds}
        if i % per_epoch == 0:
            order = rng.permutation(n_train)  # (n_train,): a new shuffle every epoch
        idx = order[(i % per_epoch) * batch_size:][:batch_size]  # (batch_size,)
        batch = (data.src[idx], data.src_mask[idx], data.dec_in[idx], data.target[idx],
                 data.tgt_mask[idx])
        for k in (k for k in kinds if i < steps + extra.get(k, 0)):  # the kinds still training
            steps_of[k](*batch)
    return (result or packed) | {f"{k}, {steps + n} steps": packed[k] for k, n in extra.items()}


def evaluate_by_length(packed, seeds, lengths, *, n_test=100, max_len=12):
    """Greedy and teacher-forced accuracies of every packed model on ``n_test`` unseen pairs per
    length.

    Returns a ``pandas.DataFrame`` with one row per (kind, length, seed) and columns
    ``sequence_accuracy``, ``token_accuracy`` (both under greedy decoding) and
    ``teacher_forced_token_accuracy`` (the decoder fed the true previous tokens).
    """
    from grucourse.layers.seq2seq import greedy_decode, sequence_accuracy, token_accuracy

    import pandas as pd

    seeds, lengths = list(seeds), list(lengths)
    if not lengths or any(isinstance(L, bool) or not isinstance(L, (int, np.integer))
                          or not 1 <= L <= max_len for L in lengths):
        raise ValueError(f"lengths must be integers in 1..max_len={max_len}, got {lengths}")
    tests = [stack_pairs([seed_data(s, n_test, max_len, "test", length=L) for s in seeds])
             for L in lengths]
    # (n_test * n_lengths, S, T): one greedy run for all
    src = np.concatenate([t.src for t in tests])
    dec_in = np.concatenate([t.dec_in for t in tests])  # (n_test * n_lengths, S, T + 1)
    rows = []
    for kind, model in packed.items():
        if model.S != len(seeds):
            raise ValueError(f"the packed {kind} model holds {model.S} seeds, "
                             f"but {len(seeds)} seeds were given")
        greedy = greedy_decode(model.probs, src, max_len + 1)  # (n, S, T + 1)
        forced = model.probs(src, dec_in).argmax(-1)  # (n, S, T + 1)
        for i, (L, test) in enumerate(zip(lengths, tests, strict=True)):
            part = slice(i * n_test, (i + 1) * n_test)
            seq = sequence_accuracy(greedy[part], test, axis=0)  # (S,)
            tok = token_accuracy(greedy[part], test, axis=(0, 2))  # (S,)
            tf_tok = token_accuracy(forced[part], test, axis=(0, 2))  # (S,)
            rows += [{"kind": kind, "length": L, "seed": s, "sequence_accuracy": float(seq[j]),
                      "token_accuracy": float(tok[j]),
                      "teacher_forced_token_accuracy": float(tf_tok[j])}
                     for j, s in enumerate(seeds)]
    return pd.DataFrame(rows)


def mean_with_interval(df, column, by=("kind", "length")):
    """Mean of ``column`` over seeds for every group ``by``, with its 95% Student-t interval
    (``low``, ``high``)."""
    from scipy import stats

    def summary(x):
        x = np.asarray(x, dtype=float)  # (n_seeds,)
        half = (stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1
                else np.nan)
        return {"mean": x.mean(), "low": x.mean() - half, "high": x.mean() + half, "seeds": len(x)}

    import pandas as pd

    rows = [{**dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
             **summary(g[column])} for key, g in df.groupby(list(by), sort=False)]
    return pd.DataFrame(rows)
