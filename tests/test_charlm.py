"""Character language model: corpus, n-gram baselines, perplexity, sampling, packed training, numpy generation."""

import math

from grucourse.core.language_model import (
    NGram,
    best_k,
    entropy_bits,
    perplexity,
    perplexity_bits,
    pick,
    softmax_t,
    target_positions,
)
from grucourse.data.text import ALPHABET, clean_text, decode_text, encode_text, load_corpus, split_by_position
from grucourse.experiments.char_language_model import generate, keras_next_probs
from grucourse.layers.lm import build_lm, lm_params, numpy_lm, units_for_params
from grucourse.training.lm_packed import eval_streams, packed_log_probs, train_lms, training_windows

import numpy as np
import pytest

V = len(ALPHABET)


def test_corpus_is_offline_english_and_cleaned():
    raw = load_corpus()
    assert len(raw) > 400_000
    text = clean_text(raw)
    assert set(text) <= set(ALPHABET)
    assert "  " not in text and "assert statements are a convenient way" in text
    assert "assert_stmt ::=" not in text  # indented grammar lines are dropped


def test_clean_encode_decode_round_trip():
    s = clean_text("Hello,  World!\n   code = 1\n****\nIt’s “fine”—ok")
    assert s == "hello, world it's \"fine\"-ok"
    assert decode_text(encode_text(s)) == s
    with pytest.raises(ValueError, match="outside the alphabet"):
        encode_text("Hello")
    with pytest.raises(TypeError, match="must be a str"):
        clean_text(b"bytes")
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 36\)"):
        decode_text([36])


def test_split_by_position_is_consecutive():
    ids = np.arange(100)
    a, b, c = split_by_position(ids, (0.8, 0.1, 0.1))
    assert (a.size, b.size, c.size) == (80, 10, 10)
    assert a[-1] + 1 == b[0] and b[-1] + 1 == c[0]
    with pytest.raises(ValueError, match="sum to 1"):
        split_by_position(ids, (0.5, 0.2, 0.2))


def test_perplexity_by_hand():
    assert math.isclose(perplexity(np.log([0.5, 0.25, 0.5, 0.125])), 128 ** 0.25)
    assert math.isclose(perplexity(np.log(np.full(7, 1 / 36))), 36.0)
    with pytest.raises(ValueError, match="empty"):
        perplexity([])
    with pytest.raises(ValueError, match="<= 0"):
        perplexity([0.5])


def test_perplexity_bits_is_the_mean_code_length():
    probs = np.array([0.5, 0.25, 0.5, 0.125])
    mean_bits = -np.mean(np.log2(probs))  # 1.75 bits by hand: (1 + 2 + 1 + 3) / 4
    assert math.isclose(perplexity_bits(perplexity(np.log(probs))), mean_bits)
    assert math.isclose(perplexity_bits(36.0), math.log(36, 2))
    np.testing.assert_allclose(perplexity_bits([1.0, 2.0, 8.0]), [0.0, 1.0, 3.0])
    with pytest.raises(ValueError, match=">= 1"):
        perplexity_bits(0.5)
    with pytest.raises(ValueError, match=">= 1"):
        perplexity_bits(float("nan"))


def test_ngram_counts_and_smoothing():
    ids = encode_text("abab")  # a=1, b=2
    bi = NGram(2, V, k=1.0).fit(ids)
    p = bi.probs()
    assert math.isclose(p[1, 2], (2 + 1) / (2 + V))  # "ab" twice after "a"
    assert math.isclose(p[2, 1], (1 + 1) / (1 + V))  # "ba" once after "b" (the last b has no successor)
    assert np.allclose(p.sum(axis=-1), 1.0)
    lp = bi.log_probs(ids)
    assert lp.shape == (3,) and math.isclose(lp[0], math.log((2 + 1) / (2 + V)))
    uni = NGram(1, V, k=0.5).fit(ids)
    assert math.isclose(uni.probs()[1], (2 + 0.5) / (4 + 0.5 * V))
    with pytest.raises(ValueError, match="characters before"):
        NGram(3, V).fit(ids).log_probs(ids, [1])
    with pytest.raises(ValueError, match="from 1 to 4"):
        NGram(5, V)


def test_longer_context_helps_on_real_text():
    ids = encode_text(clean_text(load_corpus()))[:60_000]
    tr, va, te = split_by_position(ids)
    pos = target_positions(te.size, 4)
    ppl = [perplexity(NGram(n, V, best_k(n, tr, va, V)).fit(tr).log_probs(te, pos)) for n in (1, 2, 3)]
    assert ppl[0] > ppl[1] > ppl[2], ppl
    assert 15 < ppl[0] < V  # letter frequencies beat the uniform guess


def test_temperature_and_pick():
    logits = np.array([2.0, 1.0, 0.0])
    p1 = softmax_t(logits, 1.0)
    assert np.allclose(p1, np.exp(logits) / np.exp(logits).sum())
    assert np.allclose(softmax_t(logits, 0.5), np.exp(2 * logits) / np.exp(2 * logits).sum())
    assert entropy_bits(softmax_t(logits, 0.5)) < entropy_bits(p1) < entropy_bits(softmax_t(logits, 2))
    assert math.isclose(entropy_bits(np.full(4, 0.25)), 2.0)
    assert pick(p1, None, greedy=True) == 0
    draws = [pick(p1, np.random.default_rng(s)) for s in range(400)]
    assert abs(np.mean(np.array(draws) == 0) - p1[0]) < 0.08
    with pytest.raises(ValueError, match="positive"):
        softmax_t(logits, 0)
    with pytest.raises(ValueError, match="sums to 1"):
        pick([0.5, 0.2], None)


def test_training_windows_shift_by_one():
    ids = np.arange(1000) % V
    X, Y = training_windows(ids, 5, 10, np.random.default_rng(0))
    assert X.shape == Y.shape == (5, 10)
    assert np.array_equal(X[:, 1:], Y[:, :-1])
    assert np.array_equal((X + 1) % V, Y)


def test_eval_streams_cover_distinct_positions():
    x, pos = eval_streams(np.arange(1002) % V, n_streams=10)
    assert x.shape == pos.shape
    assert len(set(pos.ravel())) == pos.size and pos.min() >= 3
    assert np.array_equal(x[:, 1:], (pos[:, :-1]) % V)


def test_equal_parameter_units():
    g = lm_params("GRU", 16, V)
    assert g == 3 * 16 * (V + 16 + 2) + 16 * V + V
    u = units_for_params("LSTM", V, g)
    assert abs(lm_params("LSTM", u, V) - g) <= abs(lm_params("LSTM", u + 1, V) - g)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_packed_training_equals_separate_models(kind):
    """Packed seeds give each seed's own model: same logits as the unpacked single models."""
    ids = encode_text(clean_text(load_corpus()))[:5000]
    packed, models = train_lms(kind, 4, ids, [0, 1], n_chars=V, steps=3, batch_size=8, seq_len=12)
    x = ids[None, :30]
    big = np.asarray(packed(x))  # (1, 30, 2, V)
    for s, m in enumerate(models):
        assert np.allclose(np.asarray(m(x)), big[:, :, s], atol=1e-5)
    assert not np.allclose(big[:, :, 0], big[:, :, 1])  # different seeds, different models
    logp, pos = packed_log_probs(packed, ids[:700], n_streams=4)
    assert logp.shape == (2, pos.size) and np.all(logp < 0)


def test_numpy_generation_equals_keras():
    model = build_lm("GRU", 6, V, seed=1)
    params, W, b = numpy_lm(model)
    prime = encode_text("the ")
    out, probs = generate(params, W, b, prime, 12, np.random.default_rng(0), temperature=0.8)
    assert out.shape == (16,) and probs.shape == (15, V)
    assert np.array_equal(out[:4], prime)
    assert np.allclose(keras_next_probs(model, out[:-1], temperature=0.8), probs, atol=1e-5)
    greedy, gp = generate(params, W, b, prime, 5, greedy=True)
    assert np.array_equal(greedy[4:], gp[3:].argmax(axis=1))
    with pytest.raises(ValueError, match="empty"):
        generate(params, W, b, [], 3)
    with pytest.raises(TypeError, match="Generator"):
        generate(params, W, b, prime, 3)
