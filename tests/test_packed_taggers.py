"""Packed taggers (chapter 23): each packed block is its seed's model alone, parameter counts match
Keras's, and the parity and language-model helpers compute what they say (checked by hand)."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.experiments.mingru_learning import (
    packed_parity,
    readout_transitions,
    running_parity,
)
from grucourse.experiments.mingru_on_text import at_updates, bits_per_char, lm_batches
from grucourse.training.packed_taggers import (
    TAGGER_KINDS,
    build_packed_tagger,
    final_step_accuracy,
    tagger_params,
    train_tracked,
)

import numpy as np
import pytest


@pytest.mark.parametrize("kind", TAGGER_KINDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_a_packed_block_is_its_seed_alone_at_any_length(kind, n_layers):
    rng = np.random.default_rng(4)
    X0, X1 = rng.normal(size=(3, 7, 2)), rng.normal(size=(3, 7, 2))  # (B, T, d) each
    packed = build_packed_tagger(kind, [5, 6], 2, 3, 4, n_layers=n_layers)
    alone = build_packed_tagger(kind, [6], 2, 3, 4, n_layers=n_layers)
    both = packed.predict(np.concatenate([X0, X1], axis=2), verbose=0)  # (B, T, 2, C)
    np.testing.assert_allclose(both[:, :, 1], alone.predict(X1, verbose=0)[:, :, 0], atol=1e-5)
    longer = rng.normal(size=(2, 50, 2))  # the time axis is free: T = 50 runs too
    assert alone.predict(longer, verbose=0).shape == (2, 50, 1, 4)
    assert alone.count_params() == tagger_params(kind, 2, 3, 4, n_layers)  # Keras's own count


@pytest.mark.parametrize("kind", TAGGER_KINDS)
def test_a_packed_language_model_block_is_its_seed_alone(kind):
    ids = np.random.default_rng(0).integers(0, 6, size=(2, 9))  # (B, T) character ids
    packed = build_packed_tagger(kind, [1, 2, 3], 6, 4, 6, shared_input=True)
    alone = build_packed_tagger(kind, [3], 6, 4, 6, shared_input=True)
    np.testing.assert_allclose(packed.predict(ids, verbose=0)[:, :, 2],
                               alone.predict(ids, verbose=0)[:, :, 0], atol=1e-5)


def test_training_a_packed_block_equals_training_it_alone():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(8, 5, 2)).astype("float32"), rng.integers(0, 2, size=(8, 5))
    packed = build_packed_tagger("signed minGRU", [0, 1], 2, 3, 2, learning_rate=0.05)
    alone = build_packed_tagger("signed minGRU", [1], 2, 3, 2, learning_rate=0.05)
    for _ in range(3):
        packed.train_on_batch(np.concatenate([X, X], axis=2), np.stack([Y, Y], axis=2))
        alone.train_on_batch(X, Y[:, :, None])
    np.testing.assert_allclose(packed.predict(np.concatenate([X, X], axis=2), verbose=0)[:, :, 1],
                               alone.predict(X, verbose=0)[:, :, 0], atol=1e-4)


def test_tagger_params_by_hand():
    assert tagger_params("GRU", 1, 8, 2) == 3 * 8 * (1 + 8 + 2) + 8 * 2 + 2 == 282
    assert tagger_params("minGRU", 1, 10, 2, n_layers=2) == 2 * 10 * 2 + 2 * 10 * 11 + 22 == 282
    with pytest.raises(ValueError, match="kind must be"):
        tagger_params("LSTM", 1, 8, 2)
    with pytest.raises(ValueError, match="kind must be"):
        build_packed_tagger("LSTM", [0], 1, 8, 2)
    with pytest.raises(ValueError, match="seeds is empty"):
        build_packed_tagger("GRU", [], 1, 8, 2)


def test_running_parity_labels_every_prefix():
    X, Y = running_parity(30, 9, np.random.default_rng(2))
    assert X.shape == (30, 9, 1) and Y.shape == (30, 9)
    for x, y in zip(X[:, :, 0], Y, strict=True):
        count = 0
        for t in range(9):
            count += int(x[t])
            assert y[t] == count % 2
    Xp, Yp = packed_parity([3, 4], 5, 6, tag=1)
    assert Xp.shape == (5, 6, 2) and Yp.shape == (5, 6, 2)
    np.testing.assert_array_equal(Xp[:, :, 1:2], running_parity(5, 6, np.random.default_rng([4, 1, 6]))[0])
    with pytest.raises(ValueError):
        running_parity(0, 5, np.random.default_rng(0))


def test_final_step_accuracy_reads_the_last_step():
    class Fixed:
        def predict(self, X, batch_size=None, verbose=0):
            out = np.zeros((2, 3, 2, 2))  # (n, T, S, C)
            out[:, -1, 0, 1] = 1.0  # seed 0 says 1 at the end
            out[:, :-1, 1, 1] = 1.0  # seed 1 says 1 before the end only, then 0
            return out

    np.testing.assert_array_equal(final_step_accuracy(Fixed(), None, np.array([[1, 1], [1, 0]])),
                                  [1.0, 0.5])


def test_readout_transitions_on_hand_set_weights():
    model = build_packed_tagger("signed minGRU", [0, 1], 1, 2, 2)
    kernel = np.zeros((2, 8), "float32")  # (S*d, 2*S*u) packed: [W_z | W_h], seed-major blocks
    bias = np.zeros(8, "float32")
    kernel[1, 3], bias[3] = 4.0, -2.0  # seed 1, unit 1: p = 4x - 2
    model.get_layer("rnn_0").set_weights([kernel, bias])
    head = np.zeros((4, 4), "float32")  # (S*u, S*C)
    head[3, 3] = 1.0  # seed 1 reads its unit 1 (class 1)
    head[0, 1] = 1.0  # seed 0 reads its unit 0
    model.get_layer("head").set_weights([head, np.zeros(4, "float32")])
    a0, a1 = readout_transitions(model, 2, 2)
    sig = lambda p: 1 / (1 + np.exp(-p))  # noqa: E731
    np.testing.assert_allclose([a0[1], a1[1]], [1 - 2 * sig(-2.0), 1 - 2 * sig(2.0)], rtol=1e-6)
    np.testing.assert_allclose([a0[0], a1[0]], [0.0, 0.0], atol=1e-7)  # p = 0: a = 0


def test_at_updates_interpolates_and_refuses_to_extrapolate():
    done = np.array([0, 10, 20])
    scores = np.array([[3.0, 5.0], [2.0, 4.0], [1.0, 2.0]])  # (k, S)
    np.testing.assert_allclose(at_updates(done, scores, 15), [1.5, 3.0])
    np.testing.assert_allclose(at_updates(done, scores, 20), [1.0, 2.0])
    with pytest.raises(ValueError, match="train longer"):
        at_updates(done, scores, 21)
    with pytest.raises(ValueError, match="scores must be"):
        at_updates(done, scores[:2], 5)


def test_bits_per_char_is_minus_mean_log2_p():
    V = 5
    ids = np.random.default_rng(3).integers(0, V, size=400)
    model = build_packed_tagger("minGRU", [0, 1], V, 3, V, shared_input=True)
    got = bits_per_char(model, ids, n_streams=4)
    L = (ids.size - 2) // 4 - 1
    want = []
    for s in range(2):
        total, count = 0.0, 0
        for k in range(4):
            start = 2 + k * (L + 1)
            x = ids[start : start + L]
            logits = model.predict(x[None], verbose=0)[0, :, s].astype(np.float64)  # (L, V)
            logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
            total -= logp[np.arange(L), ids[start + 1 : start + L + 1]].sum() / np.log(2)
            count += L
        want.append(total / count)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_lm_batches_and_train_tracked():
    ids = np.random.default_rng(5).integers(0, 6, size=3000)
    next_batch = lm_batches(ids, 4, 2, batch_size=3, seq_len=7)
    X, Y = next_batch(1)
    assert X.shape == (3, 7) and Y.shape == (3, 7, 2)
    np.testing.assert_array_equal(Y[:, :, 0], Y[:, :, 1])  # every seed sees the same text
    model = build_packed_tagger("GRU", [0, 1], 6, 3, 6, shared_input=True)
    done, scores = train_tracked(model, next_batch, 4, 3, lambda m: bits_per_char(m, ids[:500]))
    np.testing.assert_array_equal(done, [0, 3, 4])
    assert scores.shape == (3, 2)
    with pytest.raises(ValueError, match="steps must be"):
        train_tracked(model, next_batch, 0, 1, lambda m: np.zeros(2))
