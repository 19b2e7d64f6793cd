"""Exercise set 10 (GRU or Transformer?): the reference passes, known wrong answers get specific
messages, the stub is "not attempted", and wrong types or shapes get a clear message."""

from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED
from grucourse.checks.transformer import ex_kv_cache_bytes, ex_to_onnx

import check_support
import numpy as np
import pytest

NAMES = [(ex_kv_cache_bytes, "kv_cache_bytes"), (ex_to_onnx, "to_onnx")]


def reference(exercise, name):
    return check_support.reference(exercise, name, np=np)


@pytest.mark.parametrize("exercise, name", NAMES, ids=[n for _, n in NAMES])
def test_stub_reference_and_types(exercise, name, capsys):
    check_support.assert_stub_reference_and_types(exercise, reference(exercise, name), capsys)
    assert exercise.check(...).status == NOT_ATTEMPTED


def test_kv_cache_reference_counts_keys_and_values():
    f = reference(ex_kv_cache_bytes, "kv_cache_bytes")
    assert f(12, 4096, 768, 2) == 150_994_944  # 2 x 12 x 4096 x 768 x 2, counted by hand
    assert f(1, 1, 1, 1) == 2


@pytest.mark.parametrize("wrong, words", [
    (lambda n, L, d, b: n * L * d * b, "factor 2"),
    (lambda n, L, d, b: 2 * L * d * b, "layers"),
    (lambda n, L, d, b: 2 * n * L * d, "bytes_per_number"),
    (lambda n, L, d, b: 16 * n * L * d * b, "bits"),
    (lambda n, L, d, b: 2 * n * L * L * d * b, "squared L"),
    (lambda n, L, d, b: 3 * n * L * d * b, "keys and values"),
])
def test_kv_cache_wrong_answers(wrong, words):
    res = ex_kv_cache_bytes.check(wrong)
    assert res.status == INCORRECT and words in res.message, res.message


def test_kv_cache_rejects_floats_and_errors():
    res = ex_kv_cache_bytes.check(lambda n, L, d, b: float(2 * n * L * d * b))
    assert res.status == INVALID and "whole number" in res.message
    res = ex_kv_cache_bytes.check(lambda n, L, d, b: 1 / 0)
    assert res.status not in (CORRECT, INCORRECT) and "ZeroDivisionError" in res.message


def test_to_onnx_reference_runs_in_onnxruntime():
    """The reference mapping, put in a GRU node, equals Keras (independent: Keras runs the GRU)."""
    from grucourse.layers.lm import build_lm
    from grucourse.layers.onnx_gru import gru_lm_onnx, onnx_logits, onnx_session

    import keras

    model = build_lm("GRU", 4, 6, seed=0)
    f = reference(ex_to_onnx, "to_onnx")
    W, R, B = f(*model.get_layer("gru").get_weights())
    proto = gru_lm_onnx(model)
    inits = {t.name: t for t in proto.graph.initializer}
    from onnx import numpy_helper

    np.testing.assert_allclose(numpy_helper.to_array(inits["W"]), W)
    np.testing.assert_allclose(numpy_helper.to_array(inits["B"]), B)
    ids = np.array([[1, 2, 3, 4, 5, 0]])
    np.testing.assert_allclose(onnx_logits(onnx_session(proto), ids),
                               np.asarray(model(ids)), atol=1e-5)
    assert keras.__version__


@pytest.mark.parametrize("wrong, words", [
    (lambda k, r, b: (k.reshape(1, k.shape[1], -1), r.reshape(1, r.shape[1], -1),
                      b.reshape(1, -1)), "reshape"),
    (lambda k, r, b: (k.T[None], r.T[None], b.T.reshape(1, -1)), "interleaves"),
    (lambda k, r, b: (k.T[None], r.T[None], np.concatenate([b[0], 0 * b[1]])[None]), "zero"),
    (lambda k, r, b: (k.T[None], r[None].transpose(0, 2, 1) * 0, b.reshape(1, -1)), "R"),
])
def test_to_onnx_wrong_answers(wrong, words):
    res = ex_to_onnx.check(wrong)
    assert res.status == INCORRECT and words in res.message, res.message


def test_to_onnx_pytorch_order_is_named():
    def pytorch_order(k, r, b):
        u = r.shape[0]
        o = np.r_[np.arange(u, 2 * u), np.arange(u), np.arange(2 * u, 3 * u)]
        return k.T[o][None], r.T[o][None], b[:, o].reshape(1, -1)

    res = ex_to_onnx.check(pytorch_order)
    assert res.status == INCORRECT and "PyTorch" in res.message


@pytest.mark.parametrize("bad, words", [
    (lambda k, r, b: (k.T, r.T, b.ravel()), "shape"),
    (lambda k, r, b: k.T[None], "three arrays"),
    (lambda k, r, b: (k.T[None].tolist(), r.T[None], b.reshape(1, -1)), "numpy array"),
])
def test_to_onnx_rejects_bad_types_and_shapes(bad, words):
    res = ex_to_onnx.check(bad)
    assert res.status == INVALID and words in res.message, res.message
