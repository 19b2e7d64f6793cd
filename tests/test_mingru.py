"""minGRU: the numpy loop, the numpy scans and the Keras layer agree; gradients, chunks, errors."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.core.gru import init_gru_params
from grucourse.core.mingru import (
    MinGRUParams,
    combine,
    count_mingru_params,
    from_gru,
    init_params,
    mingru_chunked,
    mingru_loop,
    mingru_scan,
    scan_cumprod,
    scan_levels,
    scan_linear,
    scan_log,
)
from grucourse.layers.mingru import MinGRU

import keras
import numpy as np
import pytest

LENGTHS = [1, 2, 3, 5, 8, 17, 64, 100, 257, 1000, 4096]


def layer_with(params, dtype="float64", **kwargs):
    """A built MinGRU holding ``params`` (``W_z, W_h`` in the kernel, ``b_z, b_h`` in the bias)."""
    layer = MinGRU(params.units, return_sequences=True, dtype=dtype, **kwargs)
    layer.build((None, None, params.input_size))
    layer.set_weights([np.concatenate([params.W_z, params.W_h], axis=1), np.concatenate([params.b_z, params.b_h])])
    return layer


def test_two_steps_by_hand():
    # h_1 = (1 - z_1) h_0 + z_1 h~_1 written out with explicit sigmoids, independent of the module
    p = MinGRUParams(W_z=[[2.0]], b_z=[-1.0], W_h=[[3.0]], b_h=[0.5])
    x = np.array([[[0.5], [-1.0]]])  # (1, 2, 1)
    h0 = 0.25
    z1, h1t = 1 / (1 + np.exp(-(2 * 0.5 - 1))), 3 * 0.5 + 0.5
    h1 = (1 - z1) * h0 + z1 * h1t
    z2, h2t = 1 / (1 + np.exp(-(2 * -1.0 - 1))), 3 * -1.0 + 0.5
    h2 = (1 - z2) * h1 + z2 * h2t
    expected = np.array([h1, h2])
    for out in (mingru_loop(x, p, [h0]), mingru_scan(x, p, [h0]), mingru_scan(x, p, [h0], "log"),
                np.asarray(layer_with(p)(x, initial_state=np.array([[h0]])))):
        np.testing.assert_allclose(out[0, :, 0], expected, rtol=0, atol=1e-12)


def test_combine_is_associative_and_composes_steps():
    rng = np.random.default_rng(1)
    e1, e2, e3 = [(rng.uniform(0, 1, 5), rng.normal(size=5)) for _ in range(3)]
    left = combine(combine(e1, e2), e3)
    right = combine(e1, combine(e2, e3))
    np.testing.assert_allclose(left, right, rtol=1e-12)
    h = rng.normal(size=5)
    a, b = combine(e1, e2)
    np.testing.assert_allclose(a * h + b, e2[0] * (e1[0] * h + e1[1]) + e2[1], rtol=1e-12)
    with pytest.raises(AssertionError):  # not commutative: the order of steps matters
        np.testing.assert_allclose(combine(e1, e2), combine(e2, e1))


@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_loop_scan_log_and_keras_agree_float64(T, with_h0):
    rng = np.random.default_rng(T)
    p = init_params(3, 4, rng, scale=1.5)
    x = rng.normal(size=(2, T, 3))  # (B, T, d)
    h0 = rng.normal(size=(2, 4)) if with_h0 else None
    ref = mingru_loop(x, p, h0)  # (B, T, u)
    assert ref.shape == (2, T, 4)
    np.testing.assert_allclose(mingru_scan(x, p, h0), ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(mingru_scan(x, p, h0, "log"), ref, rtol=0, atol=1e-10)
    layer = layer_with(p)
    out = layer(x, initial_state=h0) if with_h0 else layer(x)
    np.testing.assert_allclose(np.asarray(out), ref, rtol=0, atol=1e-10)
    loop_layer = layer_with(p, method="loop")
    out = loop_layer(x, initial_state=h0) if with_h0 else loop_layer(x)
    np.testing.assert_allclose(np.asarray(out), ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("T", [1, 7, 100, 1000, 4096])
@pytest.mark.parametrize("with_h0", [False, True])
def test_float32_scan_and_keras_within_1e5(T, with_h0):
    rng = np.random.default_rng(100 + T)
    p = init_params(3, 4, rng, scale=1.5)
    x = rng.normal(size=(2, T, 3))
    h0 = rng.normal(size=(2, 4)) if with_h0 else None
    ref = mingru_loop(x, p, h0)  # float64 reference
    x32 = x.astype(np.float32)
    assert mingru_scan(x32, p, h0).dtype == np.float32
    np.testing.assert_allclose(mingru_scan(x32, p, h0), ref, rtol=0, atol=1e-5)
    layer = layer_with(p, dtype="float32")
    out = layer(x32, initial_state=None if h0 is None else h0.astype(np.float32))
    np.testing.assert_allclose(np.asarray(out), ref, rtol=0, atol=1e-5)


def test_log_space_float32_loses_precision_over_long_sequences():
    # a*_t = sum log a grows like t; in float32 its rounding error grows with it (the chapter shows this)
    rng = np.random.default_rng(7)
    a = rng.uniform(0.3, 0.7, (1, 4096, 4))
    b = rng.normal(size=(1, 4096, 4))
    ref = scan_linear(a, b)
    err_short = np.abs(scan_log(a[:, :64].astype(np.float32), b[:, :64].astype(np.float32)) - ref[:, :64]).max()
    err_long = np.abs(scan_log(a.astype(np.float32), b.astype(np.float32)) - ref).max()
    assert err_short < 1e-5 < err_long


def test_closed_form_breaks_where_the_scan_does_not():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.3, 0.7, (1, 512, 2)).astype(np.float32)  # the product underflows after ~150 steps
    b = rng.normal(size=(1, 512, 2)).astype(np.float32)
    ref = mingru_loop_ab(a.astype(np.float64), b.astype(np.float64))
    assert not np.all(np.isfinite(scan_cumprod(a, b)))
    np.testing.assert_allclose(scan_linear(a, b), ref, atol=1e-5)
    np.testing.assert_allclose(scan_cumprod(a[:, :20].astype(np.float64), b[:, :20].astype(np.float64)),
                               ref[:, :20], atol=1e-10)


def mingru_loop_ab(a, b):
    h, out = np.zeros(a[:, 0].shape), []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return np.stack(out, axis=1)


def test_scan_has_log2_levels():
    for T, n_levels in [(1, 0), (2, 1), (8, 3), (9, 4), (1000, 10)]:
        assert len(scan_levels(np.full((1, T, 1), 0.5), np.ones((1, T, 1)))) == n_levels + 1


@pytest.mark.parametrize("chunk", [1, 3, 64, 5000])
def test_chunked_equals_full(chunk):
    rng = np.random.default_rng(chunk)
    p = init_params(2, 3, rng)
    x = rng.normal(size=(2, 1000, 2))
    h0 = rng.normal(size=(2, 3))
    for method in ("linear", "log"):
        np.testing.assert_allclose(mingru_chunked(x, p, chunk, h0, method), mingru_loop(x, p, h0), atol=1e-10)


def test_keras_streaming_in_chunks_equals_one_call():
    rng = np.random.default_rng(5)
    p = init_params(2, 3, rng)
    layer = layer_with(p)
    x = rng.normal(size=(2, 100, 2))
    full = np.asarray(layer(x))
    h, parts = np.zeros((2, 3)), []
    for start in range(0, 100, 30):
        part = np.asarray(layer(x[:, start : start + 30], initial_state=h))
        h = part[:, -1]
        parts.append(part)
    np.testing.assert_allclose(np.concatenate(parts, axis=1), full, atol=1e-12)


@pytest.mark.parametrize("method", ["scan", "loop"])
def test_keras_gradients_match_finite_differences(method):
    import tensorflow as tf

    rng = np.random.default_rng(11)
    p = init_params(2, 3, rng, scale=1.5)
    layer = layer_with(p, method=method, chunk=4)
    x = tf.constant(rng.normal(size=(2, 37, 2)))
    h0 = tf.Variable(rng.normal(size=(2, 3)))
    w = tf.constant(rng.normal(size=(2, 37, 3)))

    def loss():
        return tf.reduce_sum(w * layer(x, initial_state=h0))

    with tf.GradientTape() as tape:
        value = loss()
    variables = [layer.kernel, layer.bias, h0]
    grads = tape.gradient(value, variables)
    eps = 1e-6
    for var, g in zip(variables, grads, strict=True):
        flat = var.numpy().ravel()
        numeric = np.empty_like(flat)
        for i in range(flat.size):
            values = []
            for step in (eps, -eps):
                bumped = flat.copy()
                bumped[i] += step
                var.assign(bumped.reshape(var.shape))
                values.append(float(loss()))
            numeric[i] = (values[0] - values[1]) / (2 * eps)  # central difference
            var.assign(flat.reshape(var.shape))
        np.testing.assert_allclose(np.asarray(g).ravel(), numeric, rtol=1e-6, atol=1e-7)


def test_layer_trains_with_fit_and_counts_params():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 50, 3)).astype(np.float32)
    y = x[:, :, 0].mean(axis=1, keepdims=True)  # (64, 1): the mean of feature 0
    model = keras.Sequential([keras.Input((50, 3)), MinGRU(8), keras.layers.Dense(1)])
    assert model.layers[0].count_params() == 2 * 8 * (3 + 1) == count_mingru_params(3, 8)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    clone = MinGRU.from_config(model.layers[0].get_config())
    assert clone.units == 8 and clone.method == "scan" and clone.return_sequences is False


def test_from_gru_keeps_the_input_weights():
    g = init_gru_params(3, 4, np.random.default_rng(2), convention="keras", reset_after=True)
    m = from_gru(g)
    np.testing.assert_array_equal(m.W_z, -g.W_z)  # Keras's z is 1 - z: source convention flips the sign
    np.testing.assert_array_equal(m.W_h, g.W_h)
    assert count_mingru_params(3, 4) == 32  # 2 * 4 * (3 + 1)


def test_bad_inputs_get_clear_errors():
    p = init_params(2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="features per step"):
        mingru_loop(np.zeros((1, 4, 5)), p)
    with pytest.raises(ValueError, match="batch, time, features"):
        mingru_scan(np.zeros((4, 2)), p)
    with pytest.raises(ValueError, match="empty sequences"):
        mingru_scan(np.zeros((1, 0, 2)), p)
    with pytest.raises(ValueError, match="NaN"):
        mingru_scan(np.full((1, 3, 2), np.nan), p)
    with pytest.raises(ValueError, match="h0 has shape"):
        mingru_loop(np.zeros((2, 3, 2)), p, h0=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="method must be"):
        mingru_scan(np.zeros((1, 3, 2)), p, method="fast")
    with pytest.raises(ValueError, match="chunk must be"):
        mingru_chunked(np.zeros((1, 3, 2)), p, chunk=0)
    with pytest.raises(TypeError, match="MinGRUParams"):
        mingru_loop(np.zeros((1, 3, 2)), "weights")
    with pytest.raises(ValueError, match="b_h has shape"):
        MinGRUParams(W_z=np.zeros((2, 3)), b_z=np.zeros(3), W_h=np.zeros((2, 3)), b_h=np.zeros(2))
    with pytest.raises(ValueError, match="a_t > 0"):
        scan_log(np.zeros((1, 2, 1)), np.ones((1, 2, 1)))
    with pytest.raises(ValueError, match="same shape|both have shape"):
        scan_linear(np.ones((1, 2, 1)), np.ones((1, 3, 1)))
    with pytest.raises(ValueError, match="units must be"):
        MinGRU(0)
    with pytest.raises(ValueError, match="method must be"):
        MinGRU(3, method="fast")
    with pytest.raises(ValueError, match="batch, time, features"):
        MinGRU(3).build((None, 4))


def test_masks_are_refused_clearly():
    model_in = keras.Input((5, 2))
    masked = keras.layers.Masking()(model_in)
    with pytest.raises(ValueError, match="does not support masking"):
        MinGRU(3)(masked)


def test_an_explicit_mask_is_refused():
    with pytest.raises(ValueError, match="does not support masking"):
        MinGRU(3)(np.zeros((1, 5, 2), np.float32), mask=np.ones((1, 5), bool))


def test_mingru_animator_payload_has_no_reset_row_and_the_widget_accepts_it(tmp_path):
    import json
    import shutil
    import subprocess
    from pathlib import Path

    from grucourse.widgets.mingru_animator import mingru_animator

    p = init_params(2, 3, np.random.default_rng(4))
    x = np.random.default_rng(5).normal(size=(12, 2))
    data = mingru_animator(p, x, units=[0, 2]).data
    assert "r" not in data and data["T"] == 12 and data["units"] == [0, 2]
    np.testing.assert_allclose(data["h"], mingru_loop(x[None], p)[0][:, [0, 2]], rtol=1e-3, atol=1e-4)
    z = np.asarray(data["z"])
    np.testing.assert_allclose(np.asarray(data["h"])[0], (z[0] * np.asarray(data["h_tilde"])[0]), rtol=1e-3)
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing (the book needs Node.js too: apt-get install nodejs)")
    js = Path(__file__).resolve().parent.parent / "src" / "grucourse" / "widgets" / "gate_widgets.js"
    shutil.copy(js, tmp_path / "gate_widgets.mjs")
    (tmp_path / "payload.json").write_text(json.dumps(data))
    bad = {**data, "z": data["z"][:-1]}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "run.mjs").write_text(
        'import { readFileSync } from "node:fs";\n'
        'import { traceProblem } from "./gate_widgets.mjs";\n'
        'const read = (f) => JSON.parse(readFileSync(f, "utf8"));\n'
        'console.log(JSON.stringify([traceProblem(read("payload.json")), traceProblem(read("bad.json"))]));\n')
    out = subprocess.run([node, "run.mjs"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    ok, bad_msg = json.loads(out)
    assert ok == "" and "z is not a 12 x 2 table" in bad_msg
