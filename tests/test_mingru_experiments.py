"""The packed experiments of the minGRU chapters (22, 23): data, packing, step-wise training, timing."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.data.tasks import blank_recall_data, parity_data
from grucourse.experiments.mingru_on_text import paired_step_times, step_timer
from grucourse.training.initialisers import update_gate_bias
from grucourse.training.mingru_packed import (
    build_packed_gru,
    build_packed_mingru,
    steps_to_target,
    train_steps_and_track,
)
from grucourse.training.packing import pack_data

import numpy as np
import pytest


def test_blank_recall_shows_the_symbol_once_then_nothing():
    X, y = blank_recall_data(50, 9, np.random.default_rng(0), n_symbols=3)
    assert X.shape == (50, 9, 4) and X.dtype == np.float32 and y.shape == (50,)
    np.testing.assert_array_equal(X[:, 0, :3].argmax(axis=1), y)  # the symbol is the label
    np.testing.assert_array_equal(X[:, 0].sum(axis=1), 2.0)  # one symbol + the marker
    np.testing.assert_array_equal(X[:, 0, 3], 1.0)
    assert not X[:, 1:].any()  # every later step is blank
    assert set(np.unique(y)) == {0, 1, 2}


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0, "T": 5}, "n must be"), ({"n": 3, "T": 1}, "T must be"),
    ({"n": 3, "T": 5, "n_symbols": 1}, "n_symbols"), ({"n": 2.5, "T": 5}, "n must be")])
def test_blank_recall_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        blank_recall_data(rng=np.random.default_rng(0), **kwargs)
    with pytest.raises(TypeError, match="Generator"):
        blank_recall_data(3, 5, 0)


def test_parity_labels_count_the_ones():
    X, y = parity_data(20, 5, np.random.default_rng(1))
    np.testing.assert_array_equal(y, X[:, :, 0].sum(axis=1).astype(int) % 2)


def test_steps_to_target_by_hand():
    done = np.array([0, 5, 10, 15])
    acc = np.array([[0.2, 0.3, 0.1], [0.5, 0.95, 0.2], [0.92, 0.5, 0.3], [1.0, 1.0, 0.4]])  # (4, 3)
    np.testing.assert_array_equal(steps_to_target(done, acc, 0.9), [10.0, 5.0, np.inf])
    with pytest.raises(ValueError, match="acc must be"):
        steps_to_target(done, acc[:2], 0.9)


def test_a_packed_mingru_block_is_the_single_model_of_that_seed():
    rng = np.random.default_rng(2)
    X0, X1 = rng.normal(size=(4, 6, 3)), rng.normal(size=(4, 6, 3))  # (B, T, d) each
    for n_layers in (1, 2):
        packed = build_packed_mingru([0, 1], 3, 5, 2, 6, n_layers=n_layers, bias_z_init=-2.0)
        alone = build_packed_mingru([1], 3, 5, 2, 6, n_layers=n_layers, bias_z_init=-2.0)
        both = packed.predict(np.concatenate([X0, X1], axis=2), verbose=0)  # (B, 2, C)
        np.testing.assert_allclose(both[:, 1], alone.predict(X1, verbose=0)[:, 0], atol=1e-6)
        np.testing.assert_allclose(packed.get_layer("mingru_0").bias.numpy()[:10], -2.0)  # b_z of 2 x 5 units


def test_the_packed_gru_gets_its_keep_bias_in_keras_convention():
    plain = build_packed_gru([3], 2, 4, 2, 5)
    kept = build_packed_gru([3], 2, 4, 2, 5, bias_keep=2.5)
    gap = update_gate_bias(kept.get_layer("gru")) - update_gate_bias(plain.get_layer("gru"))  # (4,)
    np.testing.assert_allclose(gap, 2.5, atol=1e-6)


def test_train_steps_and_track_counts_updates_and_learns_a_short_recall():
    seeds = [0, 1]
    train = pack_data([blank_recall_data(40, 4, np.random.default_rng([s, 1])) for s in seeds])
    test = pack_data([blank_recall_data(20, 4, np.random.default_rng([s, 2])) for s in seeds])
    model = build_packed_mingru(seeds, 5, 6, 4, 4, learning_rate=0.1)
    done, acc = train_steps_and_track(model, train, test, steps=25, eval_every=10, batch_size=8)
    np.testing.assert_array_equal(done, [0, 10, 20, 25])
    assert acc.shape == (4, 2)
    assert acc[-1].min() == 1.0  # three steps back is easy: both seeds learn it
    with pytest.raises(ValueError, match="larger than the training set"):
        train_steps_and_track(model, train, test, steps=1, eval_every=1, batch_size=41)
    with pytest.raises(ValueError, match="steps must be"):
        train_steps_and_track(model, train, test, steps=0, eval_every=1, batch_size=8)


def test_paired_step_times_calls_every_candidate_once_per_round():
    calls = []
    timers = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    times = paired_step_times(timers, repeat=3)
    assert calls == ["a", "b"] * 3
    assert set(times) == {"a", "b"} and all(t.shape == (3,) and (t >= 0).all() for t in times.values())


def test_step_timer_runs_one_update():
    model = build_packed_mingru([0], 5, 3, 4, 4, learning_rate=0.1)
    X, y = blank_recall_data(6, 4, np.random.default_rng(0))
    before = model.get_layer("mingru_0").kernel.numpy().copy()
    step = step_timer(model, (X, y[:, None]))  # one update already, outside any timing
    after_one = model.get_layer("mingru_0").kernel.numpy().copy()
    step()
    assert not np.allclose(before, after_one) and not np.allclose(after_one, model.get_layer("mingru_0").kernel.numpy())
