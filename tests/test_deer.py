"""DEER and quasi-DEER (numpy reference and TensorFlow) against keras.layers.GRU: the step
Jacobian against GradientTape, the states against the sequential layer, gradients through the
fixed point against GradientTape on the layer."""

import grucourse  # noqa: F401  (TensorFlow's environment variables first)
from grucourse.core.deer import (
    deer,
    exact_prefix,
    kalman_smoother,
    linear_recurrence,
    step_jacobian,
    step_parts,
)
from grucourse.core.gru import init_gru_params
from grucourse.core.gru_keras import from_keras
from grucourse.layers.deer import deer_states, gru_weights, solve

import keras
import numpy as np
import pytest
import tensorflow as tf

U, D = 6, 3


def keras_gru(seed=0, scale=1.0, T=5):
    keras.utils.set_random_seed(seed)
    layer = keras.layers.GRU(U, return_sequences=True)
    layer.build((None, T, D))
    w = layer.get_weights()
    layer.set_weights([w[0] * scale, w[1] * scale, w[2] + 0.1])
    return layer


def inputs(B, T, seed=0):
    return np.random.default_rng(seed).normal(size=(B, T, D)).astype(np.float32)


def projections(p, x):
    W = np.concatenate([p.W_z, p.W_r, p.W_h], axis=1)  # (d, 3u)
    return x.astype(np.float64) @ W + np.concatenate([p.b_z, p.b_r, p.b_h])  # (..., 3u)


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_step_jacobian_matches_gradient_tape(scale):
    layer = keras_gru(scale=scale)
    p = from_keras(layer)
    x_t = inputs(4, 1)[:, 0]  # (4, d)
    h = np.random.default_rng(1).uniform(-0.9, 0.9, (4, U)).astype(np.float32)
    h_tf = tf.constant(h)
    with tf.GradientTape() as tape:
        tape.watch(h_tf)
        out, _ = layer.cell(tf.constant(x_t), [h_tf])
    want = tape.batch_jacobian(out, h_tf).numpy()  # (4, u, u): d out_i / d h_j
    J = step_jacobian(p, projections(p, x_t), h.astype(np.float64))
    np.testing.assert_allclose(J, want, atol=2e-6)
    np.testing.assert_allclose(step_jacobian(p, projections(p, x_t), h.astype(np.float64), True),
                               np.diagonal(want, axis1=1, axis2=2), atol=2e-6)
    np.testing.assert_allclose(step_parts(p, projections(p, x_t), h.astype(np.float64))["f"],
                               out.numpy(), atol=2e-6)


@pytest.mark.parametrize("method", ["full", "quasi"])
@pytest.mark.parametrize("T,scale", [(1, 1.0), (9, 1.0), (60, 1.0), (60, 3.0)])
def test_numpy_deer_equals_keras(method, T, scale):
    layer = keras_gru(scale=scale, T=T)
    x = inputs(2, T)
    res = deer(x.astype(np.float64), from_keras(layer), method)
    assert res.converged and res.iterations <= T + 1
    np.testing.assert_allclose(res.states, layer(x).numpy(), atol=1e-5)


def test_iterate_k_is_exact_on_the_first_k_positions():
    layer = keras_gru(scale=3.0, T=30)
    x = inputs(2, 30)
    res = deer(x.astype(np.float64), from_keras(layer), "quasi", keep_iterates=True, tol=1e-12)
    prefix = exact_prefix(res.iterates, res.states, tol=1e-9)  # (K,)
    assert prefix[0] == 0
    assert np.all(prefix[1:] >= np.minimum(np.arange(1, len(prefix)), 30))


def test_damping_and_clipping_reach_the_same_solution():
    layer = keras_gru(scale=3.0, T=40)
    x = inputs(2, 40)
    want = layer(x).numpy()
    plain = deer(x.astype(np.float64), from_keras(layer), "quasi", clip=False)
    damped = deer(x.astype(np.float64), from_keras(layer), "quasi", damping=1.0)
    np.testing.assert_allclose(plain.states, want, atol=1e-5)
    np.testing.assert_allclose(damped.states, want, atol=1e-5)
    assert len(damped.changes) == damped.iterations


def least_squares_minimiser(a, c, h0, y, lam):
    """argmin over h_1..h_T of sum_t (h_t - a_t h_{t-1} - c_t)^2 + lam sum_t (h_t - y_t)^2 for one
    unit, by a dense least-squares solve: rows of the residuals, unknowns h_1..h_T."""
    T = len(c)
    rows, rhs = [], []
    for t in range(T):  # dynamics rows: h_t - a_t h_{t-1} = c_t (+ a_1 h_0 for t = 1)
        row = np.zeros(T)
        row[t] = 1.0
        if t > 0:
            row[t - 1] = -a[t]
        rows.append(row)
        rhs.append(c[t] + (a[0] * h0 if t == 0 else 0.0))
    for t in range(T):  # observation rows: sqrt(lam) h_t = sqrt(lam) y_t
        row = np.zeros(T)
        row[t] = np.sqrt(lam)
        rows.append(row)
        rhs.append(np.sqrt(lam) * y[t])
    return np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]


@pytest.mark.parametrize("lam", [0.05, 1.0, 20.0])
def test_kalman_smoother_is_the_least_squares_minimiser(lam):
    rng = np.random.default_rng(4)
    B, T, u = 2, 9, 3
    a, c = rng.uniform(-1.2, 1.2, size=(B, T, u)), rng.normal(size=(B, T, u))
    y, h0 = rng.normal(size=(B, T, u)), rng.normal(size=(B, u))
    got = kalman_smoother(a, c, h0, y, lam)  # (B, T, u)
    for b in range(B):
        for i in range(u):
            want = least_squares_minimiser(a[b, :, i], c[b, :, i], h0[b, i], y[b, :, i], lam)
            np.testing.assert_allclose(got[b, :, i], want, atol=1e-10)


def test_kalman_smoother_between_newton_and_standing_still():
    rng = np.random.default_rng(5)
    a, c, y = (rng.normal(size=(1, 12, 4)) for _ in range(3))
    h0 = rng.normal(size=(1, 4))
    np.testing.assert_allclose(kalman_smoother(a, c, h0, y, 1e-12), linear_recurrence(a, c, h0),
                               atol=1e-6)
    np.testing.assert_allclose(kalman_smoother(a, c, h0, y, 1e12), y, atol=1e-6)


def test_quasi_elk_reaches_the_keras_states_and_stops_on_the_residual():
    layer = keras_gru(scale=3.0, T=40)
    x = inputs(2, 40)
    want = layer(x).numpy()
    p = from_keras(layer)
    res = deer(x.astype(np.float64), p, "quasi", elk=0.1, max_iter=200)  # 45 iterations
    assert res.converged
    np.testing.assert_allclose(res.states, want, atol=1e-5)
    capped = deer(x.astype(np.float64), p, "quasi", elk=1e6, max_iter=5)  # steps too short
    assert not capped.converged and capped.iterations == 5


def test_linear_recurrence_full_and_diagonal():
    rng = np.random.default_rng(2)
    a, c, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 3))
    diag = linear_recurrence(a, c, h0)
    full = linear_recurrence(np.einsum("bti,ij->btij", a, np.eye(3)), c, h0)
    np.testing.assert_allclose(diag, full)
    np.testing.assert_allclose(diag[:, 0], a[:, 0] * h0 + c[:, 0])
    np.testing.assert_allclose(diag[:, 1], a[:, 1] * diag[:, 0] + c[:, 1])


def test_numpy_deer_rejects_bad_input():
    p = from_keras(keras_gru())
    x = inputs(1, 4).astype(np.float64)
    with pytest.raises(ValueError, match="method must be one of"):
        deer(x, p, "newton")
    with pytest.raises(ValueError, match="damping"):
        deer(x, p, damping=-1.0)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="Levenberg-Marquardt weight"):
            deer(x, p, elk=bad)
    with pytest.raises(ValueError, match="method='quasi'"):
        deer(x, p, "full", elk=0.1)
    with pytest.raises(ValueError, match="reset_after=True"):
        deer(x, init_gru_params(D, U, np.random.default_rng(0)))
    with pytest.raises(TypeError, match="GRUParams"):
        deer(x, {"W_z": 1})


@pytest.mark.parametrize("solver", ["quasi", "full"])
@pytest.mark.parametrize("T", [1, 2, 70])
def test_tensorflow_solver_equals_keras_in_float32(solver, T):
    layer = keras_gru(scale=2.0, T=T)
    x = tf.constant(inputs(3, T))
    H, k = tf.function(lambda: solve(x, *gru_weights(layer), solver=solver))()
    assert int(k) <= T + 1
    np.testing.assert_allclose(H.numpy(), layer(x).numpy(), atol=1e-5)


def test_gradients_through_the_fixed_point_match_gradient_tape():
    layer = keras_gru(scale=2.0, T=40)
    x = tf.constant(inputs(2, 40))
    w = tf.constant(np.random.default_rng(3).normal(size=(2, 40, U)).astype(np.float32))
    grads = []
    for run in (layer, lambda v: deer_states(layer, v)):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(w * run(x))
        grads.append(tape.gradient(loss, [x, *layer.trainable_variables]))
    for got, want in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=2e-5 * np.abs(want).max())


def test_gru_weights_rejects_other_layers():
    with pytest.raises(ValueError, match="not built"):
        gru_weights(keras.layers.GRU(3))
    layer = keras.layers.GRU(3, reset_after=False)
    layer.build((None, 4, 2))
    with pytest.raises(ValueError, match="reset_after=True"):
        gru_weights(layer)
    with pytest.raises(ValueError, match="solver must be one of"):
        solve(tf.zeros((1, 4, D)), *gru_weights(keras_gru()), solver="newton")


def test_chapter_helpers_on_small_sizes():
    from grucourse.experiments import deer as exp

    layer = exp.make_gru(seed=1, recurrent_scale=2.0)
    rows = exp.iterations_vs_T({"g": layer}, (4, 9))
    assert [(r["method"], r["T"]) for r in rows] == [("full", 4), ("quasi", 4), ("full", 9),
                                                     ("quasi", 9)]
    assert all(r["converged"] and r["iterations"] <= r["T"] + 1 for r in rows)
    err, prefix, res = exp.convergence_map(layer, T=12, method="quasi", rows=30)
    assert err.shape == (30, 12) and res.converged
    assert np.all(prefix >= np.minimum(np.arange(len(prefix)), 12))
    eq = exp.equality_rows({"g": layer}, (3,), solvers=("quasi", "full"), B=1)
    assert [r["solver"] for r in eq] == ["quasi", "full"]
    assert all(r["max |diff|"] < 1e-5 for r in eq)


def test_timing_rows_name_their_baseline():
    from grucourse.experiments.deer import format_timing, timing_rows

    rows = timing_rows(lambda B, T: {"keras GRU": lambda: sum(range(2000)), "fast": lambda: 0},
                       [(1, 8)], repeat=3)
    assert rows[0]["x fast"].n == 3 and rows[0]["x fast"].ratio > 1
    text = format_timing(rows)
    assert "B=1" in text and "fast:" in text and "vs keras GRU" in text


def test_bench_gpu_says_no_gpu_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "gpu_bench.py"
    spec = importlib.util.spec_from_file_location("gpu_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "OUT", tmp_path / "gpu")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    assert mod.main() == 0
    assert "no GPU is visible" in capsys.readouterr().out
    assert not (tmp_path / "gpu").exists()
