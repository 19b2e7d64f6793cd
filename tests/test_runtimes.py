"""One Keras GRU language model in four runtimes: numpy, the page's JavaScript (Node) and
onnxruntime each equal Keras to 1e-5 on the same inputs; the weight mappings to ONNX and PyTorch
are checked against the operators' own equations written out here."""

from grucourse.data.text import ALPHABET
from grucourse.experiments.gru_vs_transformer import runtime_probs, runtime_table
from grucourse.layers.lm import build_lm
from grucourse.layers.onnx_gru import (
    gru_lm_onnx,
    keras_to_onnx_gru,
    keras_to_pytorch_gru,
    node_types,
    onnx_logits,
    onnx_session,
    quantize_int8,
)

import numpy as np
import pytest
from test_widgets_js import node

V = len(ALPHABET)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


@pytest.fixture(scope="module")
def lm():
    model = build_lm("GRU", 6, V, seed=4)
    rng = np.random.default_rng(0)
    model.set_weights([w + 0.4 * rng.normal(size=w.shape) for w in model.get_weights()])
    return model


@pytest.fixture(scope="module")
def ids():
    return np.random.default_rng(1).integers(0, V, size=25)


def test_onnx_graph_is_one_gru_node_and_equals_keras(lm, ids):
    proto = gru_lm_onnx(lm)
    assert node_types(proto).count("GRU") == 1 and "Loop" not in node_types(proto)
    batch = np.stack([ids, ids[::-1]])  # (2, T)
    got = onnx_logits(onnx_session(proto), batch)
    np.testing.assert_allclose(got, np.asarray(lm(batch)), atol=1e-5)


def test_onnx_mapping_follows_the_operator_equations(lm, ids):
    """ONNX GRU (linear_before_reset=1) written from the operator page, on the mapped weights."""
    W, R, B = keras_to_onnx_gru(*lm.get_layer("gru").get_weights())
    u = R.shape[2]
    Wz, Wr, Wh = np.split(W[0], 3)  # (u, V) each, rows z, r, h
    Rz, Rr, Rh = np.split(R[0], 3)
    Wbz, Wbr, Wbh, Rbz, Rbr, Rbh = np.split(B[0], 6)
    H = np.zeros(u)
    W_head, b_head = lm.get_layer("head").get_weights()
    for t, c in enumerate(ids):
        X = np.eye(V)[c]
        z = sigmoid(Wz @ X + Rz @ H + Wbz + Rbz)
        r = sigmoid(Wr @ X + Rr @ H + Wbr + Rbr)
        h = np.tanh(Wh @ X + Wbh + r * (Rh @ H + Rbh))
        H = (1 - z) * h + z * H
        want = np.asarray(lm(ids[None, : t + 1]))[0, -1]
        np.testing.assert_allclose(H @ W_head + b_head, want, atol=1e-5)


def test_pytorch_mapping_follows_pytorch_equations(lm, ids):
    """torch.nn.GRU's equations (r, z, n order, two biases), on the mapped weights."""
    w_ih, w_hh, b_ih, b_hh = keras_to_pytorch_gru(*lm.get_layer("gru").get_weights())
    u = w_hh.shape[1]
    h = np.zeros(u)
    W_head, b_head = lm.get_layer("head").get_weights()
    for t, c in enumerate(ids[:10]):
        gi, gh = w_ih @ np.eye(V)[c] + b_ih, w_hh @ h + b_hh  # (3u,) each: r, z, n
        r = sigmoid(gi[:u] + gh[:u])
        z = sigmoid(gi[u:2 * u] + gh[u:2 * u])
        n = np.tanh(gi[2 * u:] + r * gh[2 * u:])
        h = (1 - z) * n + z * h
        want = np.asarray(lm(ids[None, : t + 1]))[0, -1]
        np.testing.assert_allclose(h @ W_head + b_head, want, atol=1e-5)


def test_mapping_rejects_reset_before():
    with pytest.raises(ValueError, match="reset_after"):
        keras_to_onnx_gru(np.zeros((3, 6)), np.zeros((2, 6)), np.zeros(6))


def test_four_runtimes_agree_with_keras(lm, ids):
    node()  # skips (or fails in CI) without Node.js
    probs = runtime_probs(lm, ids)
    assert set(probs) == {"Keras", "numpy (grucourse)", "JavaScript (page)", "onnxruntime"}
    for name, p in probs.items():
        assert p.shape == (ids.size, V)
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-9)
        assert np.abs(p - probs["Keras"]).max() <= 1e-5, name
    table = runtime_table(lm, ids)
    assert (table["max |p - p_Keras|"] <= 1e-5).all()
    other = build_lm("GRU", 6, V, seed=5)  # a different model must not agree: the test can fail
    assert np.abs(runtime_probs(other, ids)["onnxruntime"] - probs["Keras"]).max() > 1e-3


def test_int8_quantises_the_head_not_the_gru(lm, ids):
    proto8 = quantize_int8(gru_lm_onnx(lm))
    kinds = node_types(proto8)
    assert "MatMulInteger" in kinds and "GRU" in kinds
    got = onnx_logits(onnx_session(proto8), ids[None])
    want = np.asarray(lm(ids[None]))
    gap = np.abs(got - want).max()
    assert 0 < gap < 0.1 * np.abs(want).max(), gap  # int8 rounding: small, but not zero
