"""Packed training gives every seed the run it would get alone; the counting task is what it says."""

from grucourse.data.tasks import adding_problem, counting_anbn, sign_of_sum
from grucourse.training.compare import compare_models, train_steps
from grucourse.training.packed import batch_orders, train_packed

import numpy as np
import pytest


def test_counting_anbn_strings_and_labels():
    X, y, k = counting_anbn(3000, 12, np.random.default_rng(0), min_count=3)
    assert X.shape == (3000, 24, 2) and X.dtype == np.float32 and y.shape == (3000, 1)
    a, b = X[..., 0].sum(axis=1), X[..., 1].sum(axis=1)  # (n,), (n,)
    np.testing.assert_array_equal(a, k)
    assert k.min() == 3 and k.max() == 12
    np.testing.assert_array_equal(y[:, 0], a == b)  # balanced exactly when counts agree
    assert set(np.unique(a - b)) == {0, 1, 2, 3}  # near misses by 1 to 3 b's, never more b's
    assert 0.45 < y.mean() < 0.55
    steps = X.sum(axis=2)  # (n, T): 1 on a letter, 0 on padding
    assert np.all(steps[:, -1] == 1)  # every string ends on the last step
    for row in range(20):  # padding, then a's, then b's: never an a after a b
        letters = X[row][steps[row] == 1]
        order = letters[:, 1]  # 0 for a, 1 for b
        assert np.all(np.diff(order) >= 0)
        assert np.all(steps[row, : 24 - len(letters)] == 0)


def test_counting_anbn_length_and_errors():
    X, _, _ = counting_anbn(10, 5, np.random.default_rng(1), length=30)
    assert X.shape == (10, 30, 2)
    with pytest.raises(ValueError, match="length must be an integer >= 10"):
        counting_anbn(10, 5, np.random.default_rng(1), length=8)
    with pytest.raises(ValueError, match="max_count must be an integer >= 4"):
        counting_anbn(10, 3, np.random.default_rng(1), min_count=4)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        counting_anbn(10, 5, 0)


def test_batch_orders_match_compare_models():
    seen = []
    train_steps(lambda x, y: seen.append(x.copy()), np.arange(10), np.arange(10), 7, 4,
           np.random.default_rng(3))
    orders = batch_orders(10, 7, 4, seed=3)  # (7, 4): two batches per epoch, 2 left over
    assert orders.shape == (7, 4)
    np.testing.assert_array_equal(np.stack(seen), orders)
    assert len(set(orders[0]) | set(orders[1])) == 8


@pytest.mark.keras
@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_packed_regression_equals_training_each_seed_alone(kind):
    rng = np.random.default_rng(4)
    X, y = adding_problem(96, 8, rng)
    Xv, yv = adding_problem(40, 8, rng)
    packed = train_packed(kind, 3, [(0, X, y), (5, X, y)], (Xv, yv), steps=12, batch_size=16,
                          eval_at=[6, 12])
    alone = compare_models([(kind, 3)], (X, y, Xv, yv), seeds=[0, 5], task="regression",
                           steps=12, batch_size=16)
    last = packed[packed["steps"] == 12]
    np.testing.assert_allclose(last["val_score"], alone["val_score"], rtol=1e-4)
    np.testing.assert_allclose(last["train_score"], alone["train_score"], rtol=1e-4)
    assert packed["steps"].tolist() == [6, 6, 12, 12]
    quick = train_packed(kind, 3, [(0, X, y)], (Xv, yv), steps=12, batch_size=16, score_train=False)
    assert quick["train_score"].isna().all()
    assert quick["val_score"].iloc[0] == pytest.approx(alone["val_score"].iloc[0], rel=1e-4)


@pytest.mark.keras
def test_packed_classification_with_own_training_sets():
    sets = [sign_of_sum(64, 5, 3, np.random.default_rng(s)) for s in (1, 2)]
    Xv, yv = sign_of_sum(50, 5, 3, np.random.default_rng(9))
    packed, model = train_packed("GRU", 4, [(1, *sets[0]), (2, *sets[1])], (Xv, yv),
                                 task="classification", steps=10, batch_size=16, return_model=True)
    for seed, (X, y) in zip((1, 2), sets, strict=True):
        alone = compare_models([("GRU", 4)], (X, y, Xv, yv), seeds=[seed], steps=10, batch_size=16)
        row = packed[packed["seed"] == seed].iloc[0]
        assert row["val_score"] == pytest.approx(alone["val_score"][0], abs=1e-9)
        assert row["train_score"] == pytest.approx(alone["train_score"][0], abs=1e-9)
    p = model.predict(Xv)  # (50, 2): both members on the same sequences
    assert p.shape == (50, 2) and np.all((p > 0) & (p < 1))


@pytest.mark.parametrize(
    "members, kwargs, error, message",
    [
        ([], {}, ValueError, "members is empty"),
        ([(0, np.zeros((4, 3, 2)))], {}, TypeError, r"\(seed, X_train, y_train\) triple"),
        ([(0, np.zeros((4, 3)), np.zeros(4))], {}, ValueError, r"shape \(n, time, features\)"),
        ([(0, np.zeros((4, 3, 2)), np.zeros(5))], {}, ValueError, "5 targets for 4 sequences"),
        ([(0, np.full((4, 3, 2), np.nan), np.zeros(4))], {}, ValueError, "finite numbers"),
        ([(0, np.zeros((4, 3, 2)), np.zeros(4)), (1, np.zeros((4, 5, 2)), np.zeros(4))], {},
         ValueError, r"same \(time, features\)"),
        ([(0, np.zeros((4, 3, 2)), np.zeros(4))], {"task": "ranking"}, ValueError, "task must be"),
        ([(0, np.zeros((4, 3, 2)), np.zeros(4))], {"eval_at": [5]}, ValueError, "include steps"),
    ],
)
def test_train_packed_bad_input(members, kwargs, error, message):
    val = (np.zeros((2, 3, 2)), np.zeros(2))
    with pytest.raises(error, match=message):
        train_packed("GRU", 2, members, val, steps=3, batch_size=2, **kwargs)
