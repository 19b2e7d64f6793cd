"""Tests for the training tools: memory initialisers, gradient-norm tracing, stateful windows."""

import math

from grucourse.core.gru import convert_convention, gru_forward
from grucourse.core.gru_keras import from_keras
from grucourse.data.streams import (
    bptt_floats,
    echo_stream,
    independent_windows,
    run_stateful,
    stateful_windows,
    unstateful_windows,
)
from grucourse.training.gradients import global_norm, gradient_norm, train_with_trace
from grucourse.training.initialisers import (
    UpdateGateBias,
    bias_half_life,
    chrono_bias,
    half_life_bias,
    recurrent_singular_values,
    set_update_gate_bias,
    update_gate_bias,
)

import keras
import numpy as np
import pytest


def _gru(units=4, d=3, T=5, **kwargs):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((T, d))
    layer = keras.layers.GRU(units, **kwargs)
    model = keras.Model(inputs, layer(inputs))
    return model, layer


# --- initialisers ---------------------------------------------------------------------


def test_half_life_bias_keeps_half_after_n_steps():
    for n in (1, 5, 14.2, 100):
        keep = 1 / (1 + math.exp(-half_life_bias(n)))
        assert keep**n == pytest.approx(0.5, rel=1e-9)
    assert half_life_bias(1) == pytest.approx(0.0)  # σ(0) = 1/2 halves in one step
    assert bias_half_life(3.0) == pytest.approx(math.log(0.5) / math.log(1 / (1 + math.exp(-3))))
    np.testing.assert_allclose(bias_half_life([half_life_bias(7), half_life_bias(30)]), [7, 30])


@pytest.mark.parametrize("bad", [0, -1, "3", True, float("nan")])
def test_half_life_bias_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="half_life"):
        half_life_bias(bad)


def test_chrono_bias_spans_forgetting_times():
    b = chrono_bias(10_000, 50, np.random.default_rng(0))
    assert b.shape == (10_000,)
    times = 1 + np.exp(b)  # forgetting time 1 / (1 - σ(b)) = 1 + e^b
    assert times.min() >= 2 and times.max() <= 50
    assert np.mean(times) == pytest.approx(26, rel=0.02)  # uniform on [2, 50] has mean 26
    with pytest.raises(ValueError, match="t_max"):
        chrono_bias(4, 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        chrono_bias(4, 10, 0)


@pytest.mark.parametrize("reset_after", [True, False])
def test_update_gate_bias_initializer_writes_only_z(reset_after):
    _, layer = _gru(units=4, bias_initializer=UpdateGateBias(2.5), reset_after=reset_after)
    bias = layer.get_weights()[2]
    assert bias.shape == ((2, 12) if reset_after else (12,))
    np.testing.assert_allclose(update_gate_bias(layer), np.full(4, 2.5))
    flat = bias.reshape(-1, 12)
    assert np.all(flat[:, 4:] == 0)  # r and h biases untouched (Keras default: zeros)


def test_keep_bias_means_keep_in_source_convention():
    """Keras b_z = +5 keeps the state; in the source convention that is b_z = -5 (z near 0 keeps)."""
    model, layer = _gru(units=3, d=2, T=20, bias_initializer=UpdateGateBias(5.0), reset_after=False)
    set_update_gate_bias(layer, 5.0)
    params = convert_convention(from_keras(layer), "source")
    np.testing.assert_allclose(params.b_z, -5.0 * np.ones(3), atol=1e-6)
    X = np.random.default_rng(1).normal(size=(2, 20, 2)).astype(np.float32)
    np.testing.assert_allclose(gru_forward(X, params), np.asarray(model(X)), atol=1e-5)


def test_chrono_initializer_and_set_and_errors():
    _, layer = _gru(units=6, bias_initializer=UpdateGateBias(chrono_t_max=40, seed=3))
    np.testing.assert_allclose(update_gate_bias(layer), chrono_bias(6, 40, np.random.default_rng(3)), rtol=1e-6)
    set_update_gate_bias(layer, np.arange(6.0))
    np.testing.assert_allclose(update_gate_bias(layer), np.arange(6.0))
    assert np.all(layer.get_weights()[2][1, :6] == 0)  # recurrent row zeroed: the total is the value
    with pytest.raises(ValueError, match="6 numbers"):
        set_update_gate_bias(layer, [1.0, 2.0])
    with pytest.raises(TypeError, match="GRU"):
        set_update_gate_bias(keras.layers.Dense(3), 1.0)
    with pytest.raises(ValueError, match="not built"):
        set_update_gate_bias(keras.layers.GRU(3), 1.0)
    with pytest.raises(ValueError, match="exactly one"):
        UpdateGateBias()
    with pytest.raises(ValueError, match="GRU bias"):
        UpdateGateBias(1.0)((4, 5))


def test_orthogonal_recurrent_kernel_has_orthonormal_rows():
    _, layer = _gru(units=8)
    sv = recurrent_singular_values(layer)
    np.testing.assert_allclose(sv["U"], np.ones(8), atol=1e-5)  # U U^T = I
    for name in ("U_z", "U_r", "U_h"):
        assert sv[name].max() <= 1 + 1e-5 and sv[name].min() < 0.99  # blocks are contractions, not orthogonal


# --- gradient norms ----------------------------------------------------------------------


def test_global_norm():
    assert global_norm([np.array([3.0]), None, np.array([[4.0]])]) == pytest.approx(5.0)


def _regressor(seed, T=6):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((T, 2))
    return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GRU(3)(inputs)))


def test_train_with_trace_matches_plain_sgd_and_clips():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 6, 2)).astype(np.float32)
    y = (10 * rng.normal(size=(8, 1))).astype(np.float32)
    mse = keras.losses.MeanSquaredError()
    a, b = _regressor(0), _regressor(0)
    g0 = gradient_norm(a, X, y, mse)
    lr, clip = 0.01, 0.1 * g0
    trace = train_with_trace([a, b], [(X, y), (X, y)],
                             [keras.optimizers.SGD(lr), keras.optimizers.SGD(lr, global_clipnorm=clip)],
                             mse, epochs=1, batch_size=8)
    assert trace["norm"].shape == (1, 2)
    np.testing.assert_allclose(trace["norm"][0], [g0, g0], rtol=1e-4)  # same start, norm before clipping
    np.testing.assert_allclose(trace["step"][0], [lr * g0, lr * clip], rtol=1e-4)  # the clipped step
    with pytest.raises(ValueError, match="own optimizer"):
        opt = keras.optimizers.SGD(lr)
        train_with_trace([a, b], [(X, y), (X, y)], [opt, opt], mse)
    with pytest.raises(ValueError, match="NaN"):
        gradient_norm(a, np.full((1, 6, 2), np.nan), y[:1], mse)


# --- streams -----------------------------------------------------------------------------


def test_stateful_windows_rows_continue():
    series = np.arange(2 * 3 * 4 + 1)  # 25 steps, B = 2 rows of 12 steps, W = 4: K = 3 windows
    w = stateful_windows(series, batch_size=2, window=4)
    assert w.shape == (6, 4, 1)
    # batch i = rows 2i, 2i+1; row b of batch i+1 continues row b of batch i
    assert w[0, :, 0].tolist() == [0, 1, 2, 3] and w[1, :, 0].tolist() == [12, 13, 14, 15]
    assert w[2, :, 0].tolist() == [4, 5, 6, 7] and w[3, :, 0].tolist() == [16, 17, 18, 19]
    back = unstateful_windows(w, 2)
    assert back[:, :, 0].tolist() == [list(range(12)), list(range(12, 24))]
    assert independent_windows(series, 5)[:, :, 0].tolist()[1] == [5, 6, 7, 8, 9]
    with pytest.raises(ValueError, match="fewer than one window"):
        stateful_windows(series, batch_size=5, window=6)
    with pytest.raises(ValueError, match="shape"):
        stateful_windows(np.zeros((2, 3, 4)), 1, 1)
    with pytest.raises(ValueError, match="NaN"):
        independent_windows([0.0, np.nan], 1)


def test_echo_stream():
    X, y = echo_stream(50, 3, np.random.default_rng(0))
    assert X.shape == (50, 2) and y.shape == (50,)
    assert np.all(y[:3] == -1)
    np.testing.assert_array_equal(y[3:], X[:-3].argmax(axis=1))
    with pytest.raises(ValueError, match="shorter"):
        echo_stream(5, 5, np.random.default_rng(0))


def test_stateful_run_equals_whole_stream():
    B, W, K, u = 2, 5, 4, 3
    series = np.random.default_rng(0).normal(size=(B * W * K, 2)).astype(np.float32)
    keras.utils.set_random_seed(0)
    inp = keras.Input(batch_shape=(B, W, 2))
    stateful = keras.Model(inp, keras.layers.GRU(u, stateful=True, return_sequences=True)(inp))
    whole_in = keras.Input((None, 2))
    whole = keras.Model(whole_in, keras.layers.GRU(u, return_sequences=True)(whole_in))
    whole.set_weights(stateful.get_weights())
    windows = stateful_windows(series, B, W)
    carried = unstateful_windows(run_stateful(stateful, windows, B), B)  # (B, K*W, u)
    ref = np.asarray(whole(series.reshape(B, W * K, 2)))  # the sub-streams run at once
    np.testing.assert_allclose(carried, ref, atol=1e-5)
    fresh = np.asarray(whole(independent_windows(series[: W * K], W)))  # restarts from zero
    assert not np.allclose(fresh.reshape(-1, u)[W:], ref[0, W:], atol=1e-3)
    with pytest.raises(ValueError, match="stateful=True"):
        run_stateful(whole, windows, B)


def test_bptt_floats():
    assert bptt_floats(100, 32, 16) == 4 * 100 * 32 * 16
    assert bptt_floats(200, 32, 16, layers=2) == 4 * bptt_floats(100, 32, 16)
    with pytest.raises(ValueError, match="window"):
        bptt_floats(0, 1, 1)


# --- packed experiments ------------------------------------------------------------------


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequence_gru_equals_separate_models(bidirectional):
    from grucourse.training.recipes import packed_sequence_gru

    seeds, d, u, C, T = [3, 5], 2, 3, 4, 7
    packed = packed_sequence_gru(seeds, d, u, C, bidirectional=bidirectional, crop_end=2)
    X = np.random.default_rng(0).normal(size=(5, T, len(seeds) * d)).astype(np.float32)
    out = np.asarray(packed(X))  # (5, T - 2, S, C)
    assert out.shape == (5, T - 2, 2, C)
    for i, s in enumerate(seeds):
        keras.utils.set_random_seed(s)  # the same draws as inside packed_sequence_gru
        layers = [keras.layers.GRU(u, return_sequences=True) for _ in range(2 if bidirectional else 1)]
        for layer in layers:
            layer.build((None, None, d))
        head = keras.layers.Dense(C)
        head.build((None, len(layers) * u))
        x = keras.Input((T, d))
        if bidirectional:
            bi = keras.layers.Bidirectional(keras.layers.GRU(u, return_sequences=True))
            h = bi(x)
            bi.forward_layer.set_weights(layers[0].get_weights())
            bi.backward_layer.set_weights(layers[1].get_weights())
        else:
            rnn = keras.layers.GRU(u, return_sequences=True)
            h = rnn(x)
            rnn.set_weights(layers[0].get_weights())
        dense = keras.layers.Dense(C, activation="softmax")
        ref = keras.Model(x, dense(keras.layers.Cropping1D((0, 2))(h)))
        dense.set_weights(head.get_weights())
        np.testing.assert_allclose(out[:, :, i], np.asarray(ref(X[:, :, i * d : (i + 1) * d])), atol=1e-5)


def test_future_symbol_task_and_recall_inits():
    from grucourse.training.recipes import future_symbol_task, memory_inits, train_recall_inits

    X, y = future_symbol_task(6, 10, 3, np.random.default_rng(0))
    assert X.shape == (6, 10, 4) and y.shape == (6, 7)
    np.testing.assert_array_equal(y, X.argmax(-1)[:, 3:])
    with pytest.raises(ValueError, match="ahead"):
        future_symbol_task(2, 3, 3, np.random.default_rng(0))
    table = train_recall_inits(3, [0, 1], memory_inits(t_max=5), units=4, n_train=64, n_test=32, epochs=1)
    assert sorted(table.init.unique()) == ["chrono", "default", "keep"] and len(table) == 6
    assert table.test_accuracy.between(0, 1).all()
    with pytest.raises(TypeError, match="inits"):
        train_recall_inits(3, [0], {}, n_train=8)


def test_blank_recall_inits_pairs_seeds_and_explains_bad_input():
    from grucourse.training.recipes import memory_inits, train_blank_recall_inits

    table = train_blank_recall_inits(5, [0, 1], memory_inits(t_max=5), units=4, n_train=20, n_test=8,
                                     steps=3, batch_size=5)
    assert len(table) == 6 and sorted(table.init.unique()) == ["chrono", "default", "keep"]
    assert set(table.seed) == {0, 1} and (table.lag == 5).all()
    assert table.test_accuracy.between(0, 1).all()
    again = train_blank_recall_inits(5, [0, 1], memory_inits(t_max=5), units=4, n_train=20, n_test=8,
                                     steps=3, batch_size=5)
    np.testing.assert_array_equal(table.test_accuracy, again.test_accuracy)  # seeded: same numbers
    with pytest.raises(TypeError, match="inits"):
        train_blank_recall_inits(5, [0], {"keep": 3.0})
    four = train_blank_recall_inits(5, [0, 1], memory_inits(t_max=5, matched=True), units=4,
                                    n_train=20, n_test=8, steps=3, batch_size=5)
    assert sorted(four.init.unique()) == ["chrono", "default", "keep", "matched"] and len(four) == 8
    with pytest.raises(ValueError, match="lag"):
        train_blank_recall_inits(0, [0], memory_inits())
    with pytest.raises(ValueError, match="batch_size"):
        train_blank_recall_inits(5, [0], memory_inits(), n_train=4, batch_size=10)


def test_matched_keep_start_forgets_over_t_max_steps():
    from grucourse.training.initialisers import update_gate_bias
    from grucourse.training.recipes import memory_inits

    import keras

    inits = memory_inits(keep_bias=3.0, t_max=300, matched=True)
    assert list(inits) == ["default", "keep", "chrono", "matched"]
    assert list(memory_inits(t_max=300)) == ["default", "keep", "chrono"]
    layer = keras.layers.GRU(6)
    layer.build((None, None, 2))
    inits["matched"](layer, 0)
    b_z = update_gate_bias(layer)  # (6,)
    keep = 1.0 / (1.0 + np.exp(-b_z))  # sigma(b_z): share kept per step, Keras convention
    np.testing.assert_allclose(1.0 / (1.0 - keep), 300.0, rtol=1e-5)  # forgetting time = t_max
    with pytest.raises(ValueError, match="t_max > 2"):
        memory_inits(t_max=2, matched=True)
