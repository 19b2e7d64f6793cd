"""The negative-range minGRU (``a = 1 - 2z``) and MinGRU's errors for wrong feature counts and states.

References are independent of the code under test: formulas written out here, the numpy loop of
:mod:`grucourse.core.mingru` (which writes the update step by step), and central finite differences.
"""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.core.mingru import MinGRUParams, init_params, mingru_loop, mingru_scan
from grucourse.layers.mingru import MinGRU

import keras
import numpy as np
import pytest


def layer_with(params, dtype="float64", **kwargs):
    layer = MinGRU(params.units, return_sequences=True, dtype=dtype, **kwargs)
    layer.build((None, None, params.input_size))
    layer.set_weights([np.concatenate([params.W_z, params.W_h], axis=1),
                       np.concatenate([params.b_z, params.b_h])])
    return layer


def test_signed_two_steps_by_hand():
    p = MinGRUParams(W_z=[[2.0]], b_z=[-1.0], W_h=[[3.0]], b_h=[0.5])
    x = np.array([[[0.5], [-1.0]]])  # (1, 2, 1)
    h = 0.25
    expected = []
    for xt in (0.5, -1.0):
        z = 1.0 / (1.0 + np.exp(-(2.0 * xt - 1.0)))
        h = (1.0 - 2.0 * z) * h + z * (3.0 * xt + 0.5)
        expected.append(h)
    got = mingru_loop(x, p, h0=np.array([[0.25]]), signed=True)
    np.testing.assert_allclose(got[0, :, 0], expected, rtol=1e-14)
    # the unsigned loop differs (a = 1 - z), so the flag is not ignored
    assert not np.allclose(mingru_loop(x, p, h0=np.array([[0.25]]))[0, :, 0], expected)


@pytest.mark.parametrize("T", [1, 2, 7, 64, 300])
@pytest.mark.parametrize("method", ["scan", "loop"])
def test_signed_loop_scan_and_keras_agree(T, method):
    rng = np.random.default_rng(T)
    p = init_params(3, 4, rng, scale=2.0)
    x = rng.normal(size=(2, T, 3))
    h0 = rng.normal(size=(2, 4))
    ref = mingru_loop(x, p, h0=h0, signed=True)  # (2, T, 4)
    a = 1.0 - 2.0 / (1.0 + np.exp(-(x @ p.W_z + p.b_z)))
    assert (a < 0).any() and (a > 0).any()  # the transitions really change sign
    np.testing.assert_allclose(mingru_scan(x, p, h0=h0, signed=True), ref, atol=1e-12)
    layer = layer_with(p, method=method, signed=True)
    np.testing.assert_allclose(np.asarray(layer(x, initial_state=h0)), ref, atol=1e-12)


def test_log_space_refuses_signed():
    p = init_params(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="a_t > 0"):
        mingru_scan(np.zeros((1, 4, 2)), p, method="log", signed=True)
    with pytest.raises(TypeError, match="signed must be"):
        mingru_loop(np.zeros((1, 4, 2)), p, signed="yes")


def test_hand_set_signed_unit_tracks_parity_at_any_length():
    # z = sigmoid(40 (x - 1/2)) ~ x, h~ = 1: h_t = (1 - 2 x_t) h_{t-1} + x_t = h_{t-1} XOR x_t
    p = MinGRUParams(W_z=[[40.0]], b_z=[-20.0], W_h=[[0.0]], b_h=[1.0])
    bits = np.random.default_rng(3).integers(0, 2, size=(8, 2000))
    x = bits[:, :, None].astype(np.float32)
    h = np.asarray(layer_with(p, dtype="float32", signed=True)(x))[:, :, 0]  # (8, 2000)
    parity = np.cumsum(bits, axis=1) % 2
    assert np.array_equal(h > 0.5, parity == 1)
    # the same weights without the sign flip cannot: a = 1 - z stays in (0, 1)
    h_pos = np.asarray(layer_with(p, dtype="float32")(x))[:, :, 0]
    assert not np.array_equal(h_pos > 0.5, parity == 1)


def test_signed_gradients_match_finite_differences():
    import tensorflow as tf

    rng = np.random.default_rng(5)
    p = init_params(2, 3, rng, scale=1.5)
    layer = layer_with(p, signed=True)
    x = tf.constant(rng.normal(size=(2, 19, 2)))
    w = tf.constant(rng.normal(size=(2, 19, 3)))

    def loss():
        return tf.reduce_sum(w * layer(x))

    with tf.GradientTape() as tape:
        value = loss()
    grads = tape.gradient(value, [layer.kernel, layer.bias])
    for var, g in zip([layer.kernel, layer.bias], grads, strict=True):
        flat = var.numpy().ravel()
        numeric = np.empty_like(flat)
        for i in range(flat.size):
            vals = []
            for step in (1e-6, -1e-6):
                bumped = flat.copy()
                bumped[i] += step
                var.assign(bumped.reshape(var.shape))
                vals.append(float(loss()))
            numeric[i] = (vals[0] - vals[1]) / 2e-6
            var.assign(flat.reshape(var.shape))
        np.testing.assert_allclose(np.asarray(g).ravel(), numeric, rtol=1e-6, atol=1e-7)


def test_signed_survives_the_config():
    clone = MinGRU.from_config(MinGRU(3, signed=True).get_config())
    assert clone.signed is True and MinGRU(3).signed is False


def test_a_different_feature_count_gets_a_clear_error():
    layer = MinGRU(3)
    layer(np.zeros((2, 5, 4), np.float32))  # built for 4 features
    with pytest.raises(ValueError, match="built for 4 input features, got inputs with 6"):
        layer(np.zeros((2, 5, 6), np.float32))
    with pytest.raises(ValueError, match="built for 4 input features"):
        layer(keras.Input((5, 2)))  # a symbolic call too
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        layer(np.zeros((5, 4), np.float32))


def test_a_wrong_initial_state_gets_a_clear_error():
    layer = MinGRU(3)
    x = np.zeros((2, 5, 4), np.float32)
    with pytest.raises(ValueError, match=r"initial_state must have shape \(batch, units\) = "
                                         r"\(2, 3\), got shape \(2, 5\)"):
        layer(x, initial_state=np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="initial_state must have shape"):
        layer(x, initial_state=np.zeros((3, 3), np.float32))  # wrong batch
    with pytest.raises(ValueError, match="initial_state must have shape"):
        layer(x, initial_state=np.zeros(3, np.float32))  # no batch axis
    assert np.asarray(layer(x, initial_state=np.ones((2, 3), np.float32))).shape == (2, 3)
