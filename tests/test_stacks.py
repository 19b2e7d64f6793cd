"""Tests for grucourse.training.stacks: packed GRU stacks compute what each seed's stand-alone stack computes."""

from grucourse.training.stacks import (
    fit_stack,
    packed_stack,
    packed_stacks,
    seed_blocks,
    stack_params,
    stack_scores,
    units_for_stack,
    update_step,
)

import keras
import numpy as np
import pytest


def _alone(seed, d, layers, units, residual, n_outputs):
    """The stand-alone stack of one seed, written out with plain Keras layers."""
    keras.utils.set_random_seed(seed)
    grus = [keras.layers.GRU(units, return_sequences=i < layers - 1) for i in range(layers)]
    head = keras.layers.Dense(n_outputs)
    x = keras.Input((None, d))
    h = x
    for i, g in enumerate(grus):
        out = g(h)
        if residual and i > 0:
            out = out + (h[:, -1, :] if i == layers - 1 else h)
        h = out
    y = head(h)
    if n_outputs > 1:
        y = keras.layers.Softmax()(y)
    return keras.Model(x, y)


@pytest.mark.parametrize("n_outputs", [None, 3])
def test_packed_arms_match_stand_alone_stacks(n_outputs):
    seeds, d, T = [0, 5], 2, 6
    arms = [(1, 4, False), (3, 3, False), (2, 3, True), (3, 2, True)]
    model = packed_stacks(seeds, d, arms, n_outputs=n_outputs)
    X = np.random.default_rng(0).normal(size=(7, T, len(seeds) * d)).astype(np.float32)
    out = np.asarray(model(X))  # (7, A·S[, C])
    for a, (layers, units, residual) in enumerate(arms):
        for i, s in enumerate(seeds):
            alone = _alone(s, d, layers, units, residual, n_outputs or 1)
            expected = np.asarray(alone(X[:, :, i * d : (i + 1) * d]))  # (7, C) or (7, 1)
            got = out[:, a * len(seeds) + i]
            np.testing.assert_allclose(got.reshape(expected.shape), expected, atol=1e-5)


def test_training_keeps_the_blocks_apart_and_scores_per_arm_and_seed():
    seeds, d = [0, 1, 2], 2
    rng = np.random.default_rng(1)
    X, y = seed_blocks([(rng.normal(size=(16, 5, d)), rng.integers(0, 2, size=16)) for _ in seeds])
    model = packed_stacks(seeds, d, [(1, 3, False), (2, 2, True)], n_outputs=2, dropout=0.2,
                          recurrent_dropout=0.2)
    model.fit(X, y, epochs=1, batch_size=8, verbose=0)
    kernel = model.layers[1].get_weights()[0]  # (S·d, 3·width) of the first GRU
    assert np.all(kernel[0:d, 3:6] == 0)  # seed 0's inputs feed none of seed 1's units
    scores = stack_scores(model, X, y)
    assert scores.shape == (2, 3) and np.all((scores >= 0) & (scores <= 1))


def test_dropout_switches_every_layer():
    model = packed_stack([0, 1], 2, 3, layers=2, recurrent_dropout=0.3)
    grus = [layer for layer in model.layers if isinstance(layer, keras.layers.GRU)]
    assert len(grus) == 2 and all(g.cell.implementation == 1 for g in grus)
    assert all(g.recurrent_dropout == 0.3 for g in grus)


def test_parameter_counts_and_budget():
    keras.utils.set_random_seed(0)
    x = keras.Input((5, 4))
    h = keras.layers.GRU(6, return_sequences=True)(x)
    h = keras.layers.GRU(6)(h)
    assert stack_params(4, 6, 2, 1) == keras.Model(x, keras.layers.Dense(1)(h)).count_params()
    u = units_for_stack(2, 3, 977)
    assert stack_params(2, u, 3) <= 977 < stack_params(2, u + 1, 3)
    with pytest.raises(ValueError, match="below the smallest"):
        units_for_stack(2, 3, 10)


def test_bad_input_is_explained():
    with pytest.raises(TypeError, match="triple"):
        packed_stacks([0], 2, [(1, 3)])
    with pytest.raises(ValueError, match="dropout"):
        packed_stack([0], 2, 3, dropout=1.5)
    with pytest.raises(ValueError, match="same shape"):
        seed_blocks([(np.zeros((4, 5, 2)), np.zeros(4)), (np.zeros((4, 6, 2)), np.zeros(4))])
    model = packed_stack([0, 1], 2, 3, n_outputs=2)
    with pytest.raises(ValueError, match=r"y \(n, 2\)"):
        stack_scores(model, np.zeros((4, 5, 4)), np.zeros((4, 3)))


def test_fit_stack_is_reproducible_and_learns():
    seeds, d = [0, 1], 2
    rng = np.random.default_rng(2)
    X, y = seed_blocks([(rng.normal(size=(32, 4, d)), rng.integers(0, 2, size=32)) for _ in seeds])
    y[:] = (X[:, :, 0].sum(axis=1) > 0)[:, None]  # seed 0's first feature decides both labels
    runs = []
    for _ in range(2):
        model = packed_stack(seeds, d, 4, n_outputs=2, learning_rate=0.05)
        before = stack_scores(model, X, y)
        fit_stack(model, X, y, epochs=30, batch_size=8, seed=3)
        runs.append(stack_scores(model, X, y))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert runs[0][0, 0] > max(before[0, 0], 0.8)  # seed 0 reads the feature that decides
    with pytest.raises(ValueError, match="epochs"):
        fit_stack(model, X, y, epochs=0)
    with pytest.raises(ValueError, match="batch_size=8"):
        fit_stack(model, X[:4], y[:4], epochs=1, batch_size=8)
    with pytest.raises(TypeError, match="packed_stack"):
        update_step(keras.Sequential())
