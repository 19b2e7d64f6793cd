"""The numpy GRU against keras.layers.GRU, its conventions, counts and input errors."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.core.gru import GRUParams, convert_convention, gru_forward, gru_step, init_gru_params
from grucourse.core.gru_keras import count_params, from_keras, keras_weights, to_keras

import keras
import numpy as np
import pytest

SHAPES = [(4, 7, 3, 5), (1, 6, 2, 3), (3, 1, 4, 2), (2, 5, 3, 1), (1, 1, 1, 1)]


def keras_gru(d, u, reset_after, seed=0, return_sequences=False):
    keras.utils.set_random_seed(seed)
    layer = keras.layers.GRU(u, reset_after=reset_after, return_sequences=return_sequences)
    layer.build((None, None, d))
    return layer


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("B,T,d,u", SHAPES)
def test_numpy_gru_equals_keras(B, T, d, u, reset_after):
    rng = np.random.default_rng(B * 1000 + T * 100 + d * 10 + u)
    layer = keras_gru(d, u, reset_after, return_sequences=True)
    # random non-zero biases too (Keras initialises them to zero, which would hide bias bugs)
    to_keras(init_gru_params(d, u, rng, scale=1.5, convention="keras", reset_after=reset_after), layer)
    x = rng.normal(size=(B, T, d)).astype("float32")
    expected = np.asarray(layer(x))  # (B, T, u)
    p = from_keras(layer)
    h_T, gates = gru_forward(x.astype(np.float64), p, return_gates=True)
    np.testing.assert_allclose(gates["h"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_T, expected[:, -1], rtol=1e-5, atol=1e-6)
    # float32 input stays float32 and still matches
    h32 = gru_forward(x, GRUParams(**{k: getattr(p, k) for k in p.__dataclass_fields__}))
    np.testing.assert_allclose(h32, expected[:, -1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_weights_round_trip_through_keras(reset_after):
    p = init_gru_params(3, 4, np.random.default_rng(1), convention="source", reset_after=reset_after)
    layer = keras_gru(3, 4, reset_after)
    to_keras(p, layer)
    q = from_keras(layer)
    assert q.convention == "keras"
    back = convert_convention(q, "source")
    for name in ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"):
        np.testing.assert_allclose(getattr(back, name), getattr(p, name), rtol=1e-6, atol=1e-7)
    x = np.random.default_rng(2).normal(size=(2, 6, 3))
    np.testing.assert_allclose(gru_forward(x, p), np.asarray(layer(x.astype("float32"))), atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_conventions_are_the_same_model(reset_after):
    rng = np.random.default_rng(3)
    p = init_gru_params(4, 6, rng, scale=1.0, reset_after=reset_after)
    x = rng.normal(size=(3, 9, 4))
    q = convert_convention(p, "keras")
    assert q.convention == "keras"
    np.testing.assert_array_equal(q.W_z, -p.W_z)
    np.testing.assert_allclose(gru_forward(x, q), gru_forward(x, p), atol=1e-12)
    _, gp = gru_forward(x, p, return_gates=True)
    _, gq = gru_forward(x, q, return_gates=True)
    np.testing.assert_allclose(gq["z"], 1 - gp["z"], atol=1e-12)
    np.testing.assert_allclose(convert_convention(q, "source").W_z, p.W_z)
    # the update rule really differs: using keras weights under the source rule changes the output
    swapped = GRUParams(**{k: getattr(q, k) for k in q.__dataclass_fields__ if k != "convention"})
    assert np.abs(gru_forward(x, swapped) - gru_forward(x, p)).max() > 1e-3


def test_step_matches_source_equations_by_hand():
    """One step written out exactly as the source's four equations."""
    rng = np.random.default_rng(4)
    p = init_gru_params(3, 2, rng, scale=1.0)
    x_t, h_prev = rng.normal(size=(1, 3)), rng.normal(size=(1, 2))

    def sig(a):
        return 1 / (1 + np.exp(-a))

    z = sig(x_t @ p.W_z + h_prev @ p.U_z + p.b_z)
    r = sig(x_t @ p.W_r + h_prev @ p.U_r + p.b_r)
    h_tilde = np.tanh(x_t @ p.W_h + (r * h_prev) @ p.U_h + p.b_h)
    h = (1 - z) * h_prev + z * h_tilde
    h_t, gates = gru_step(x_t, h_prev, p)
    np.testing.assert_allclose(h_t, h, atol=1e-12)
    np.testing.assert_allclose(gates["z"], z, atol=1e-12)
    np.testing.assert_allclose(gates["r"], r, atol=1e-12)
    np.testing.assert_allclose(gates["h_tilde"], h_tilde, atol=1e-12)


@pytest.mark.parametrize("d,u", [(10, 32), (8, 16), (1, 1), (3, 7)])
def test_param_counts_match_keras(d, u):
    for reset_after in (True, False):
        layer = keras_gru(d, u, reset_after)
        assert count_params("gru", d, u, reset_after) == layer.count_params()
    lstm = keras.layers.LSTM(u)
    lstm.build((None, None, d))
    assert count_params("lstm", d, u) == lstm.count_params()
    rnn = keras.layers.SimpleRNN(u)
    rnn.build((None, None, d))
    assert count_params("simple_rnn", d, u) == rnn.count_params()


def test_keras_weights_layout():
    p = init_gru_params(3, 4, np.random.default_rng(5), reset_after=True)
    kernel, recurrent, bias = keras_weights(p)
    assert kernel.shape == (3, 12) and recurrent.shape == (4, 12) and bias.shape == (2, 12)
    q = init_gru_params(3, 4, np.random.default_rng(5), reset_after=False)
    assert keras_weights(q)[2].shape == (12,)


# --- bad input ------------------------------------------------------------------------

P = init_gru_params(3, 4, np.random.default_rng(6))


@pytest.mark.parametrize(
    "x, error, message",
    [
        (np.zeros((5, 3)), ValueError, r"shape \(batch, time, features\).*x\[None\]"),
        (np.zeros((2, 5, 2)), ValueError, r"2 features per step, the GRU expects d=3"),
        (np.zeros((2, 0, 3)), ValueError, r"empty sequences"),
        (np.zeros((0, 4, 3)), ValueError, r"empty batch"),
        (np.full((1, 2, 3), np.nan), ValueError, r"NaN or infinity"),
        (np.array([[[0.0, np.inf, 0.0]]]), ValueError, r"NaN or infinity"),
        (np.array([[["a", "b", "c"]]]), TypeError, r"must hold numbers"),
        ([[[1, 2, 3]], [[1, 2]]], TypeError, r"numeric array"),
    ],
)
def test_bad_inputs_give_clear_errors(x, error, message):
    with pytest.raises(error, match=message):
        gru_forward(x, P)


def test_bad_weights_give_clear_errors():
    good = {k: getattr(P, k) for k in ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h")}
    with pytest.raises(ValueError, match=r"U_r has shape \(3, 3\), expected \(4, 4\)"):
        GRUParams(**{**good, "U_r": np.zeros((3, 3))})
    with pytest.raises(ValueError, match=r"b_h has shape"):
        GRUParams(**{**good, "b_h": np.zeros(5)})
    with pytest.raises(ValueError, match=r"W_h contains NaN"):
        GRUParams(**{**good, "W_h": np.full((3, 4), np.nan)})
    with pytest.raises(ValueError, match=r"convention must be one of"):
        GRUParams(**good, convention="pytorch")
    with pytest.raises(ValueError, match=r"h0 has shape"):
        gru_forward(np.zeros((2, 3, 3)), P, h0=np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"params must be a GRUParams"):
        gru_forward(np.zeros((2, 3, 3)), {"W_z": 1})
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        init_gru_params(3, 4, rng=0)


def test_keras_layer_mismatches_are_reported():
    layer = keras_gru(3, 4, reset_after=True)
    with pytest.raises(ValueError, match="reset_after differs"):
        to_keras(init_gru_params(3, 4, np.random.default_rng(0), reset_after=False), layer)
    with pytest.raises(ValueError, match="size mismatch"):
        to_keras(init_gru_params(3, 5, np.random.default_rng(0), reset_after=True), layer)
    with pytest.raises(ValueError, match="not built"):
        from_keras(keras.layers.GRU(4))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_count_params_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive integer"):
        count_params("gru", bad, 4)
    with pytest.raises(ValueError, match="kind must be"):
        count_params("transformer", 3, 4)
