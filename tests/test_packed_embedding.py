"""Packed Embedding(mask_zero) -> GRU -> Dense classifiers equal each seed trained alone."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.repro import seed_everything
from grucourse.training.packed_embedding import build_packed_embedding, member_weights

import numpy as np
import pytest

pytestmark = pytest.mark.keras


def _builder(C):
    import keras

    def build():
        return keras.Sequential([
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(6, 4, mask_zero=True),
            keras.layers.GRU(5),
            keras.layers.Dense(C, activation="sigmoid" if C == 1 else "softmax"),
        ])
    return build


def _data(C, n=12, T=7):
    rng = np.random.default_rng(3)
    lengths = rng.integers(2, T + 1, size=n)
    ids = np.zeros((n, T), dtype=np.int32)  # right-padded with 0
    for i, L in enumerate(lengths):
        ids[i, :L] = rng.integers(1, 6, size=L)
    return ids, rng.integers(0, max(C, 2), size=n)


@pytest.mark.parametrize("C", [1, 3])
def test_packed_training_equals_each_seed_alone(C):
    import keras

    build, seeds = _builder(C), [4, 1]
    ids, y = _data(C)
    packed = build_packed_embedding(build, seeds, learning_rate=0.05)
    alone = []
    for s in seeds:  # the reference: plain Keras models, each trained on its own
        seed_everything(s)
        m = build()
        m.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss="binary_crossentropy" if C == 1 else "sparse_categorical_crossentropy")
        alone.append(m)
    out = np.asarray(packed(ids))  # (n, S) for a sigmoid, (n, S, C) for a softmax
    for k, m in enumerate(alone):
        np.testing.assert_allclose(out[:, k].reshape(len(ids), C), np.asarray(m(ids)), atol=1e-6)
    for step in range(3):
        batch = slice(4 * step, 4 * step + 4)
        packed.train_on_batch(ids[batch], np.tile(y[batch, None], (1, len(seeds))))
        for m in alone:
            m.train_on_batch(ids[batch], y[batch].astype("float32")[:, None] if C == 1 else y[batch])
    for k, m in enumerate(alone):
        for got, want in zip(member_weights(packed, k), m.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, atol=1e-5)
    # the copied block runs alone, mask included: extra padding changes nothing
    single = build()
    single.set_weights(member_weights(packed, 1))
    longer = np.pad(ids, ((0, 0), (0, 5)))  # (n, T + 5)
    np.testing.assert_allclose(np.asarray(single(longer)), np.asarray(alone[1](ids)), atol=1e-5)


def test_bad_input_is_refused():
    import keras

    def no_embedding():
        return keras.Sequential([keras.Input((None, 3)), keras.layers.GRU(2), keras.layers.Dense(1)])

    with pytest.raises(ValueError, match="Embedding -> GRU"):
        build_packed_embedding(no_embedding, [0])
    with pytest.raises(ValueError, match="seeds is empty"):
        build_packed_embedding(_builder(1), [])
    packed = build_packed_embedding(_builder(1), [0, 1])
    with pytest.raises(ValueError, match="0 .. 1"):
        member_weights(packed, 2)
    with pytest.raises(TypeError, match="build_packed_embedding"):
        member_weights(no_embedding(), 0)
