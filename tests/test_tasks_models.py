"""Generated tasks have the promised shapes and answers; model builders match the formulas."""

from grucourse.core.gru_keras import count_params
from grucourse.data.tasks import adding_problem, delayed_recall, sign_of_sum

import numpy as np
import pytest


def test_delayed_recall_shapes_and_answer():
    X, y = delayed_recall(50, lag=7, rng=np.random.default_rng(0), n_symbols=3)
    assert X.shape == (50, 8, 4) and X.dtype == np.float32 and y.shape == (50,)
    np.testing.assert_array_equal(X[:, :, :3].sum(axis=2), 1.0)  # one symbol per step
    np.testing.assert_array_equal(X[:, 0, 3], 1.0)
    np.testing.assert_array_equal(X[:, 1:, 3], 0.0)
    np.testing.assert_array_equal(np.argmax(X[:, 0, :3], axis=1), y)
    assert set(np.unique(y)) == {0, 1, 2}
    X2, y2 = delayed_recall(50, lag=7, rng=np.random.default_rng(0), n_symbols=3)
    np.testing.assert_array_equal(X, X2)


def test_adding_problem_answer_and_baseline():
    X, y = adding_problem(4000, 30, np.random.default_rng(1))
    assert X.shape == (4000, 30, 2)
    np.testing.assert_array_equal(X[:, :, 1].sum(axis=1), 2.0)
    assert np.all(X[:, :15, 1].sum(axis=1) == 1) and np.all(X[:, 15:, 1].sum(axis=1) == 1)
    np.testing.assert_allclose((X[:, :, 0] * X[:, :, 1]).sum(axis=1), y, rtol=1e-6)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.01  # the documented baseline


def test_sign_of_sum():
    X, y = sign_of_sum(2000, 20, 10, np.random.default_rng(2), feature=3)
    assert X.shape == (2000, 20, 10) and y.shape == (2000, 1)
    np.testing.assert_array_equal(y[:, 0], X[:, :, 3].sum(axis=1) > 10)
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: delayed_recall(0, 5, np.random.default_rng(0)), "n must be an integer >= 1"),
        (lambda: delayed_recall(5, 2.5, np.random.default_rng(0)), "lag must be"),
        (lambda: delayed_recall(5, 3, np.random.default_rng(0), n_symbols=1), "n_symbols must be an integer >= 2"),
        (lambda: adding_problem(5, 1, np.random.default_rng(0)), "T must be an integer >= 2"),
        (lambda: sign_of_sum(5, 4, 3, np.random.default_rng(0), feature=3), r"feature must be an index in \[0, 3\)"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="numpy Generator"):
        adding_problem(5, 4, rng=42)


@pytest.mark.keras
@pytest.mark.parametrize("kind, name", [("SimpleRNN", "simple_rnn"), ("GRU", "gru"), ("LSTM", "lstm")])
def test_build_model_counts(kind, name):
    from grucourse.layers.models import build_model

    model = build_model(kind, 8, n_features=5, n_outputs=3)
    assert model.get_layer(kind.lower()).count_params() == count_params(name, 5, 8)
    assert model.output_shape == (None, 3)
    reg = build_model(kind, 4, n_features=2, n_outputs=1, task="regression", seq_len=10)
    assert reg.input_shape == (None, 10, 2) and reg.loss == "mse"


def test_units_for_budget():
    from grucourse.layers.models import units_for_budget

    budget = count_params("lstm", 6, 32)
    u = units_for_budget("GRU", 6, budget)
    assert abs(count_params("gru", 6, u) - budget) <= abs(count_params("gru", 6, u + 1) - budget)
    assert abs(count_params("gru", 6, u) - budget) <= abs(count_params("gru", 6, u - 1) - budget)
    assert u > 32  # a GRU needs more units than an LSTM for the same budget
    with pytest.raises(ValueError, match="kind must be one of"):
        units_for_budget("Transformer", 6, 100)
    with pytest.raises(ValueError, match="budget must be a positive integer"):
        units_for_budget("GRU", 6, 0)


@pytest.mark.keras
def test_build_model_rejects_bad_arguments():
    from grucourse.layers.models import build_model

    with pytest.raises(ValueError, match="kind must be one of"):
        build_model("Transformer", 8, 3, 2)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        build_model("GRU", 0, 3, 2)
    with pytest.raises(ValueError, match="task must be"):
        build_model("GRU", 4, 3, 2, task="ranking")
