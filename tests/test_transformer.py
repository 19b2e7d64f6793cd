"""The causal Transformer LM: Keras attention against a hand-written numpy head, the KV-cache path
against the no-cache path, the packed seeds against the single models, and the cost formulas."""

from grucourse.core.attention import (
    causal_attention,
    init_transformer_params,
    kv_cache_numbers,
    kv_step,
    new_cache,
    transformer_forward,
)
from grucourse.experiments.gru_vs_transformer import gru_token, random_gru_lm_weights, token_costs
from grucourse.layers.transformer import (
    build_transformer_lm,
    transformer_lm_params,
    transformer_params,
)
from grucourse.training.transformer_packed import pack_transformers

import keras
import numpy as np
import pytest

V = 11


def loop_attention(q, k, v):
    """One causal head, one query at a time, with Python loops (independent reference)."""
    T, kd = q.shape
    out = np.zeros_like(v)
    for i in range(T):
        s = np.array([q[i] @ k[j] / np.sqrt(kd) for j in range(i + 1)])
        w = np.exp(s - s.max())
        w /= w.sum()
        out[i] = sum(w[j] * v[j] for j in range(i + 1))
    return out


def jittered(model, seed, scale=0.2):
    rng = np.random.default_rng(seed)
    model.set_weights([w + scale * rng.normal(size=w.shape) for w in model.get_weights()])
    return model


def test_causal_attention_matches_loop_and_ignores_the_future():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(3, 7, 4))
    out = causal_attention(q, k, v)
    np.testing.assert_allclose(out, loop_attention(q, k, v), atol=1e-12)
    k2, v2 = k.copy(), v.copy()
    k2[5:], v2[5:] = 100.0, -100.0  # change the future of position 4
    np.testing.assert_allclose(causal_attention(q, k2, v2)[:5], out[:5], atol=1e-12)
    with pytest.raises(ValueError, match="q, k, v"):
        causal_attention(q, k[:3], v)


def test_keras_one_head_equals_numpy_head():
    rng = np.random.default_rng(1)
    d, kd, T = 6, 4, 9
    mha = keras.layers.MultiHeadAttention(1, kd)
    x = rng.normal(size=(1, T, d)).astype("float32")
    got = np.asarray(mha(x, x, use_causal_mask=True))[0]  # (T, d)
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = (np.asarray(w, float) for w in mha.get_weights())
    mha.set_weights([w + 0.3 * rng.normal(size=w.shape) for w in mha.get_weights()])
    got = np.asarray(mha(x, x, use_causal_mask=True))[0]
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = (np.asarray(w, float) for w in mha.get_weights())
    xs = x[0].astype(float)
    q, k, v = (xs @ W[:, 0] + b[0] for W, b in ((Wq, bq), (Wk, bk), (Wv, bv)))  # (T, kd)
    want = loop_attention(q, k, v) @ Wo[0] + bo  # (T, d)
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.fixture(scope="module")
def trained_like():
    return jittered(build_transformer_lm(V, 8, 2, 2, 12, 20, seed=0), seed=1)


def test_numpy_model_equals_keras_and_parameter_count(trained_like):
    assert trained_like.count_params() == transformer_lm_params(V, 8, 2, 12, 20)
    ids = np.random.default_rng(2).integers(0, V, size=17)
    want = np.asarray(trained_like(ids[None]))[0]
    got = transformer_forward(transformer_params(trained_like), ids)
    np.testing.assert_allclose(got, want, atol=2e-5)


def test_kv_cache_path_equals_no_cache_path(trained_like):
    params = transformer_params(trained_like)
    ids = np.random.default_rng(3).integers(0, V, size=20)
    cache = new_cache(params)
    stepped = np.stack([kv_step(params, cache, int(t)) for t in ids])  # (T, V)
    np.testing.assert_allclose(stepped, transformer_forward(params, ids), atol=1e-10)
    assert cache["len"] == 20
    with pytest.raises(ValueError, match="cache is full"):
        kv_step(params, cache, 0)


def test_float32_timing_model_cache_equals_no_cache():
    params = init_transformer_params(np.random.default_rng(4), V, 16, 4, 1, 32, 12)
    ids = np.arange(12) % V
    cache = new_cache(params)
    stepped = np.stack([kv_step(params, cache, int(t)) for t in ids])
    np.testing.assert_allclose(stepped, transformer_forward(params, ids), rtol=1e-4, atol=1e-4)


def test_packed_transformers_equal_single_models():
    models = [jittered(build_transformer_lm(V, 8, 2, 1, 12, 16, seed=s), seed=10 + s)
              for s in range(3)]
    packed = pack_transformers(models)
    ids = np.random.default_rng(5).integers(0, V, size=(2, 13))
    out = np.asarray(packed(ids))  # (B, T, S, V)
    for s, m in enumerate(models):
        np.testing.assert_allclose(out[:, :, s], np.asarray(m(ids)), atol=1e-5)


def test_packed_training_step_keeps_seeds_apart():
    models = [build_transformer_lm(V, 8, 2, 1, 12, 16, seed=s) for s in range(2)]
    packed = pack_transformers(models, learning_rate=1e-2)
    X = np.random.default_rng(6).integers(0, V, size=(4, 10))
    packed.train_on_batch(X, np.roll(X, -1, axis=1))
    Wq = packed.get_layer("b0_mha").get_weights()[0]  # (S d, S h, k)
    assert np.all(Wq[:8, 2:] == 0) and np.all(Wq[8:, :2] == 0), "a seed reads another's features"


def test_cost_formulas():
    d, u, m, L = 16, 32, 64, 100
    c = token_costs(np.array([L]), d_model=d, u=u, mlp=m, V=V)
    assert c["GRU"]["flops"][0] == 2 * (3 * u * u + u * V)
    kv = c["Transformer + KV cache"]
    assert kv["flops"][0] == 2 * (4 * d * d + 2 * d * m) + 4 * L * d + 2 * d * V
    assert kv["state_bytes"][0] == 4 * kv_cache_numbers(1, L, d) == 4 * 2 * L * d
    assert c["Transformer, no cache"]["flops"][0] > L * kv["flops"][0] - 4 * L * L * d
    with pytest.raises(ValueError):
        kv_cache_numbers(1, -1, d)


def test_float32_gru_token_equals_keras_gru():
    rng = np.random.default_rng(7)
    W, U, b, W_head, b_head = random_gru_lm_weights(5, V, rng)
    layer = keras.layers.GRU(5, return_state=True)
    layer(np.zeros((1, 1, V), "float32"))
    layer.set_weights([W, U, b])
    h = rng.normal(size=(1, 5)).astype("float32")
    x = np.eye(V, dtype="float32")[[3]][None]  # (1, 1, V)
    want = np.asarray(layer(x, initial_state=[h])[1])
    got, logits = gru_token((W, U, b, W_head, b_head), h, 3)
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(logits, got @ W_head + b_head, atol=1e-6)


def test_stacked_branches_equal_single_models():
    from grucourse.layers.transformer import build_mingru_lm, mingru_lm_params
    from grucourse.training.lm_branches import stack_lms

    models = [build_mingru_lm(5, V, seed=s) for s in range(2)]
    assert models[0].count_params() == mingru_lm_params(5, V)
    ids = np.random.default_rng(8).integers(0, V, size=(3, 9))
    out = np.asarray(stack_lms(models)(ids))  # (B, T, S, V)
    for s, m in enumerate(models):
        np.testing.assert_allclose(out[:, :, s], np.asarray(m(ids)), atol=1e-6)
