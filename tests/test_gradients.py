"""Jacobians through time: the analytic GRU Jacobian and the GradientTape route against finite differences."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.core.gru import convert_convention, gru_step, init_gru_params
from grucourse.core.gru_keras import from_keras
from grucourse.core.jacobians import gru_jacobian, gru_jacobian_chain, jacobian_norms
from grucourse.training.gradients import gradient_norm_vs_lag, state_jacobians

import numpy as np
import pytest


def finite_difference_jacobian(f, h, eps=1e-6):
    """Central differences of ``f: (B, u) -> (B, u)``, returned as ``(B, u, u)``."""
    B, u = h.shape
    J = np.zeros((B, u, u))
    for j in range(u):
        e = np.zeros(u)
        e[j] = eps
        J[:, :, j] = (f(h + e) - f(h - e)) / (2 * eps)
    return J


@pytest.mark.parametrize("convention", ["source", "keras"])
@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_jacobian_matches_finite_differences(convention, reset_after):
    rng = np.random.default_rng(3)
    p = init_gru_params(3, 5, rng, scale=1.5, convention=convention, reset_after=reset_after)
    x = rng.normal(size=(4, 3))
    h = rng.uniform(-0.9, 0.9, size=(4, 5))
    J = gru_jacobian(p, x, h)
    assert J.shape == (4, 5, 5)
    J_fd = finite_difference_jacobian(lambda hh: gru_step(x, hh, p)[0], h)
    np.testing.assert_allclose(J, J_fd, atol=1e-8)
    assert np.abs(J - np.eye(5)).max() > 0.05  # not trivially the identity


def test_conventions_give_the_same_jacobian():
    rng = np.random.default_rng(4)
    p = init_gru_params(2, 4, rng, reset_after=True)
    x, h = rng.normal(size=(3, 2)), rng.uniform(-1, 1, size=(3, 4))
    np.testing.assert_allclose(gru_jacobian(p, x, h), gru_jacobian(convert_convention(p, "keras"), x, h), atol=1e-12)


@pytest.mark.parametrize("convention, b_z", [("source", -30.0), ("keras", 30.0)])
def test_keep_gate_gives_the_identity(convention, b_z):
    """z -> 0 (source) or z -> 1 (keras) keeps h_prev: the Jacobian becomes the identity."""
    rng = np.random.default_rng(5)
    p = init_gru_params(3, 4, rng, convention=convention)
    p = type(p)(**{**p.__dict__, "b_z": np.full(4, b_z)})
    J = gru_jacobian(p, rng.normal(size=(2, 3)), rng.uniform(-1, 1, size=(2, 4)))
    np.testing.assert_allclose(J, np.broadcast_to(np.eye(4), J.shape), atol=1e-10)


def test_chain_is_the_product_of_one_step_jacobians():
    rng = np.random.default_rng(6)
    p = init_gru_params(2, 3, rng, scale=1.0)
    x = rng.normal(size=(2, 4, 2))
    C = gru_jacobian_chain(p, x)
    assert C.shape == (2, 5, 3, 3)
    np.testing.assert_allclose(C[:, 4], np.broadcast_to(np.eye(3), (2, 3, 3)))
    # dh_T/dh_0 by finite differences on the initial state
    J_fd = finite_difference_jacobian(lambda h0: gru_forward_final(x, p, h0), np.zeros((2, 3)))
    np.testing.assert_allclose(C[:, 0], J_fd, atol=1e-8)


def gru_forward_final(x, p, h0):
    from grucourse.core.gru import gru_forward

    return gru_forward(x, p, h0=h0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda p: gru_jacobian(p, np.zeros((2, 4)), np.zeros((2, 3))), ValueError, r"x_t must have shape \(batch, 2"),
        (lambda p: gru_jacobian(p, np.zeros((2, 2)), np.zeros((3, 3))), ValueError, "h_prev must have shape"),
        (lambda p: gru_jacobian(p, np.full((1, 2), np.nan), np.zeros((1, 3))), ValueError, "NaN"),
        (lambda p: gru_jacobian("weights", np.zeros((1, 2)), np.zeros((1, 3))), TypeError, "GRUParams"),
        (lambda p: gru_jacobian_chain(p, np.zeros((2, 2))), ValueError, "batch, time, features"),
        (lambda p: jacobian_norms(np.zeros(3)), ValueError, "at least 2 dimensions"),
        (lambda p: jacobian_norms(np.zeros((2, 2)), norm="max"), ValueError, "norm must be one of"),
    ],
)
def test_bad_input(call, error, message):
    p = init_gru_params(2, 3, np.random.default_rng(0))
    with pytest.raises(error, match=message):
        call(p)


def test_jacobian_norms():
    J = np.array([[[3.0, 0.0], [0.0, 4.0]]])
    np.testing.assert_allclose(jacobian_norms(J), [4.0])
    np.testing.assert_allclose(jacobian_norms(J, "fro"), [5.0])


# --- the GradientTape route on Keras layers -----------------------------------------------

keras_only = pytest.mark.keras


def keras_layer(kind, d=3, u=4, seed=0, **kwargs):
    import keras

    keras.utils.set_random_seed(seed)
    layer = getattr(keras.layers, kind)(u, **kwargs)
    layer(np.zeros((1, 2, d), dtype="float32"))  # build
    return layer


def final_state(layer, X, s0):
    """h_T of the whole layer started from the state ``s0`` (a list of tensors)."""
    return np.asarray(layer(X.astype("float32"), initial_state=[s.astype("float32") for s in s0]), dtype=np.float64)


@keras_only
@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_tape_jacobian_wrt_initial_state_matches_finite_differences(kind):
    """dh_T/ds_0 from the tape equals finite differences of the real layer on its initial state."""
    layer = keras_layer(kind)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2, 6, 3))
    J = state_jacobians(layer, X)
    n_states = 2 if kind == "LSTM" else 1
    assert J.shape == (2, 7, 4, 4 * n_states)
    eps = 1e-2  # float32 layer: a larger step, looser tolerance
    J_fd = np.zeros((2, 4, 4 * n_states))
    for j in range(4 * n_states):
        plus, minus = [np.zeros((2, 4)) for _ in range(n_states)], [np.zeros((2, 4)) for _ in range(n_states)]
        plus[j // 4][:, j % 4] += eps
        minus[j // 4][:, j % 4] -= eps
        J_fd[:, :, j] = (final_state(layer, X, plus) - final_state(layer, X, minus)) / (2 * eps)
    np.testing.assert_allclose(J[:, 0], J_fd, atol=2e-3)
    np.testing.assert_allclose(J[:, -1, :, :4], np.broadcast_to(np.eye(4), (2, 4, 4)), atol=1e-6)


@keras_only
@pytest.mark.parametrize("reset_after", [True, False])
def test_tape_matches_the_analytic_gru_chain(reset_after):
    layer = keras_layer("GRU", reset_after=reset_after, seed=2)
    X = np.random.default_rng(2).normal(size=(3, 8, 3))
    tape = state_jacobians(layer, X)
    analytic = gru_jacobian_chain(from_keras(layer), X)
    np.testing.assert_allclose(tape, analytic, atol=1e-5)


@keras_only
def test_simple_rnn_against_its_closed_form():
    """SimpleRNN: h_t = tanh(x W + h U + b), so dh_t/dh_{t-1} = diag(1 - h_t^2) U^T."""
    layer = keras_layer("SimpleRNN", seed=3)
    X = np.random.default_rng(3).normal(size=(1, 5, 3))
    W, U, b = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    h, prod = np.zeros((1, 4)), np.eye(4)
    steps = []
    for t in range(5):
        h = np.tanh(X[:, t] @ W + h @ U + b)  # (1, 4)
        steps.append((1 - h[0] ** 2)[:, None] * U.T)  # (4, 4)
    for J_t in steps[::-1]:
        prod = prod @ J_t
    np.testing.assert_allclose(state_jacobians(layer, X)[0, 0], prod, atol=1e-5)


@keras_only
def test_gradient_norm_vs_lag_layout():
    layer = keras_layer("GRU", seed=4)
    X = np.random.default_rng(4).normal(size=(2, 5, 3))
    lags, norms = gradient_norm_vs_lag(layer, X)
    np.testing.assert_array_equal(lags, np.arange(6))
    assert norms.shape == (2, 6)
    np.testing.assert_allclose(norms[:, 0], 1.0, atol=1e-6)  # lag 0: the identity
    J = state_jacobians(layer, X)
    np.testing.assert_allclose(norms[:, 5], jacobian_norms(J[:, 0]))  # lag T: w.r.t. the initial state


@keras_only
def test_tape_route_bad_input():
    import keras

    with pytest.raises(TypeError, match="recurrent layer"):
        state_jacobians(keras.layers.Dense(3), np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="not built"):
        state_jacobians(keras.layers.GRU(3), np.zeros((1, 2, 3)))
    layer = keras_layer("GRU")
    with pytest.raises(ValueError, match="features per step"):
        state_jacobians(layer, np.zeros((1, 2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        state_jacobians(layer, np.full((1, 2, 3), np.nan))
    with pytest.raises(ValueError, match="go_backwards"):
        state_jacobians(keras_layer("GRU", go_backwards=True), np.zeros((1, 2, 3)))
