"""The scans of grucourse.layers.scan against a plain numpy loop, values and gradients."""

import grucourse  # noqa: F401  (TensorFlow's environment variables first)
from grucourse.layers.scan import (
    SCAN_METHODS,
    block_size,
    blocked_scan,
    linear_scan,
    matrix_scan,
    scan,
    scan_with_gradient,
)

import numpy as np
import pytest
import tensorflow as tf


def loop(a, b):
    """Reference: h_t = a_t h_{t-1} + b_t, h_{-1} = 0, one step after the other."""
    h, out = np.zeros_like(b[:, 0]), np.empty_like(b)  # (B, u), (B, T, u)
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        out[:, t] = h
    return out


def data(B, T, u, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.0, 1.0, (B, T, u)).astype(np.float32),
            rng.normal(size=(B, T, u)).astype(np.float32))


@pytest.mark.parametrize("method", SCAN_METHODS)
@pytest.mark.parametrize("B,T,chunk", [(1, 1, None), (2, 7, None), (3, 100, None), (2, 33, 4),
                                       (1, 64, 64), (2, 10, 16)])
def test_scan_matches_loop(method, B, T, chunk):
    a, b = data(B, T, 5)
    got = tf.function(lambda: scan(tf.constant(a), tf.constant(b), method, chunk))().numpy()
    np.testing.assert_allclose(got, loop(a, b), atol=2e-5, rtol=1e-5)


def test_blocked_and_hillis_steele_functions_agree_with_loop():
    a, b = data(2, 50, 3, seed=1)
    np.testing.assert_allclose(blocked_scan(tf.constant(a), tf.constant(b)).numpy(), loop(a, b),
                               atol=2e-5)
    np.testing.assert_allclose(linear_scan(tf.constant(a), tf.constant(b), 4).numpy(), loop(a, b),
                               atol=2e-5)


def test_blocked_scan_unknown_length_falls_back():
    a, b = data(2, 21, 3, seed=2)
    f = tf.function(blocked_scan, input_signature=[tf.TensorSpec((None, None, 3))] * 2)
    np.testing.assert_allclose(f(a, b).numpy(), loop(a, b), atol=2e-5)


def test_block_size_is_power_of_two_near_sqrt():
    assert [block_size(T) for T in (1, 2, 16, 1000, 4096)] == [1, 1, 4, 32, 64]


@pytest.mark.parametrize("method", SCAN_METHODS)
def test_gradient_matches_autodiff_of_a_loop(method):
    a, b = data(2, 37, 4, seed=3)
    a, b = tf.constant(a), tf.constant(b)
    w = tf.constant(np.random.default_rng(4).normal(size=(2, 37, 4)).astype(np.float32))

    def loss(h):
        return tf.reduce_sum(w * h)  # every state gets a different weight

    with tf.GradientTape() as tape:
        tape.watch([a, b])
        h, hs = tf.zeros_like(b[:, 0]), []
        for t in range(37):
            h = a[:, t] * h + b[:, t]
            hs.append(h)
        want = tape.gradient(loss(tf.stack(hs, axis=1)), [a, b])
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        got = tape.gradient(loss(scan_with_gradient(a, b, 8, method)), [a, b])
    for g, v in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), v.numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("T,chunk", [(1, None), (9, None), (40, 8), (13, 4)])
def test_matrix_scan_matches_loop(T, chunk):
    rng = np.random.default_rng(5)
    A = (rng.normal(size=(2, T, 3, 3)) * 0.5).astype(np.float32)
    c = rng.normal(size=(2, T, 3)).astype(np.float32)
    h, want = np.zeros((2, 3), np.float32), np.empty_like(c)
    for t in range(T):
        h = np.einsum("bij,bj->bi", A[:, t], h) + c[:, t]
        want[:, t] = h
    got = tf.function(lambda: matrix_scan(tf.constant(A), tf.constant(c), chunk))().numpy()
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)


def test_bad_arguments_are_named():
    a, b = data(1, 4, 2)
    with pytest.raises(ValueError, match="method must be one of"):
        scan(tf.constant(a), tf.constant(b), "blelloch")
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        scan(tf.constant(a), tf.constant(b), "blocked", 0)


def test_mingru_still_exports_the_scans():
    from grucourse.layers import mingru

    assert mingru.linear_scan is linear_scan and mingru.scan_with_gradient is scan_with_gradient
