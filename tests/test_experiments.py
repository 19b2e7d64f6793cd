"""Packed training equals separate training; the accuracy table has the promised shape; bad input is refused."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.data.tasks import mixed_recall_data, recall_data
from grucourse.layers.models import build_model
from grucourse.training.packing import block_mask, build_packed, pack_weights, unpack_into, unpack_weights
from grucourse.training.recall import accuracy_vs_lag, model_accuracies, model_accuracy

import keras
import numpy as np
import pytest


@pytest.mark.parametrize("n_gates, bias_shape", [(1, (3,)), (3, (2, 9)), (4, (12,))])
def test_pack_unpack_round_trip(n_gates, bias_shape):
    rng = np.random.default_rng(0)
    u = 3
    per_model = [
        [rng.normal(size=(2, n_gates * u)), rng.normal(size=(u, n_gates * u)), rng.normal(size=bias_shape)]
        for _ in range(3)
    ]
    packed = pack_weights(per_model, n_gates)
    assert packed[0].shape == (6, 3 * n_gates * u) and packed[1].shape == (9, 3 * n_gates * u)
    for got, want in zip(unpack_weights(packed, 3, n_gates), per_model, strict=True):
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    mask = block_mask(2, u, 3, n_gates)
    np.testing.assert_array_equal(packed[0] * (1 - mask), 0.0)  # nothing outside the blocks
    assert mask.sum() == 3 * 2 * n_gates * u


def test_pack_keeps_gate_major_layout():
    """Gate g of every model must stay inside Keras's g-th column slice of the packed kernel."""
    u, S = 2, 2
    k = [np.repeat(np.arange(3.0) + 10 * s, u)[None, :] for s in range(S)]  # (1, 3u): gate index (+10s)
    packed = pack_weights([[k[s], np.zeros((u, 3 * u)), np.zeros(3 * u)] for s in range(S)], 3)[0]  # (2, 3*S*u)
    for g in range(3):
        block = packed[:, g * S * u : (g + 1) * S * u]
        assert set(np.unique(block)) <= {0.0, g, 10.0 + g}


def test_mixed_recall_data():
    X, y, lags = mixed_recall_data(12, seed=0, n=300)
    assert X.shape == (300, 13, 5) and y.shape == (300,) and lags.min() >= 1 and lags.max() <= 12
    assert len(np.unique(lags)) > 8
    for i in range(300):
        start = 12 - lags[i]
        np.testing.assert_array_equal(X[i, :start], 0.0)  # blank steps in front
        assert X[i, start, 4] == 1.0 and X[i, :, 4].sum() == 1.0  # one marker, at the symbol to recall
        assert X[i, start, y[i]] == 1.0
        np.testing.assert_array_equal(X[i, start:, :4].sum(axis=1), 1.0)
    X2, y2, _ = mixed_recall_data(12, seed=0, n=300)
    np.testing.assert_array_equal(X, X2)
    Xt, _, _ = mixed_recall_data(12, seed=0, n=300, split="test")
    assert not np.array_equal(X, Xt)


def test_recall_data_padding():
    X, y = recall_data(3, seed=1, n=10, length=8)
    assert X.shape == (10, 8, 5)
    np.testing.assert_array_equal(X[:, :4], 0.0)
    np.testing.assert_array_equal(np.argmax(X[:, 4, :4], axis=1), y)


@pytest.mark.keras
@pytest.mark.parametrize("kind", ["SimpleRNN", "GRU", "LSTM"])
def test_packed_training_equals_separate_training(kind):
    import keras

    separate, packed_models = [], []
    for s in (0, 1):
        keras.utils.set_random_seed(s)
        separate.append(build_model(kind, 3, 5, 4, seq_len=5))
        keras.utils.set_random_seed(s)
        packed_models.append(build_model(kind, 3, 5, 4, seq_len=5))
    data = [recall_data(4, s, 48) for s in (0, 1)]
    X = np.concatenate([x for x, _ in data], axis=2)
    y = np.stack([t for _, t in data], axis=1)
    packed = build_packed(packed_models, kind)
    out = np.asarray(packed(X))  # (48, 2, 4)
    for s in (0, 1):
        np.testing.assert_allclose(out[:, s], np.asarray(separate[s](data[s][0])), atol=1e-6)
    before = separate[0].get_weights()
    packed.fit(X, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    unpack_into(packed, packed_models, kind)
    for s in (0, 1):
        separate[s].fit(*data[s], epochs=1, batch_size=16, shuffle=False, verbose=0)
        for a, b in zip(packed_models[s].get_weights(), separate[s].get_weights(), strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert np.abs(separate[0].get_weights()[1] - before[1]).max() > 1e-4  # training did move the weights


@pytest.mark.keras
@pytest.mark.parametrize("train_on", ["mixed", "each"])
def test_accuracy_vs_lag_table(train_on):
    models = {}
    df = accuracy_vs_lag(["GRU"], [2, 4], [0, 1], train_on=train_on, units=3, n_train=32, n_test=20, epochs=1,
                         models=models)
    assert list(df.columns) == ["kind", "lag", "seed", "train_on", "units", "n_params", "test_accuracy", "chance",
                                "seconds"]
    assert len(df) == 4 and set(df.lag) == {2, 4} and set(df.seed) == {0, 1}
    assert df.test_accuracy.between(0, 1).all() and (df.chance == 0.25).all()
    assert (df.n_params == 3 * 3 * (5 + 3 + 2)).all()
    assert set(models) == {("GRU", lag, s) for lag in (2, 4) for s in (0, 1)}
    same = models[("GRU", 2, 0)] is models[("GRU", 4, 0)]
    assert same == (train_on == "mixed")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"kinds": ["RNN"]}, ValueError, "unknown kinds"),
        ({"kinds": []}, ValueError, "kinds is empty"),
        ({"lags": []}, ValueError, "lags is empty"),
        ({"lags": [0, 3]}, ValueError, "lags must hold integers >= 1"),
        ({"lags": [3, 3]}, ValueError, "repeated"),
        ({"seeds": [-1]}, ValueError, "seeds must hold integers >= 0"),
        ({"train_on": "all"}, ValueError, "train_on must be one of"),
        ({"n_test": 0}, ValueError, "n_test must be an integer >= 1"),
        ({"models": []}, TypeError, "models must be a dict"),
    ],
)
def test_accuracy_vs_lag_bad_input(kwargs, error, message):
    args = {"kinds": ["GRU"], "lags": [2], "seeds": [0], **kwargs}
    with pytest.raises(error, match=message):
        accuracy_vs_lag(args.pop("kinds"), args.pop("lags"), args.pop("seeds"), **args)


def test_with_gate_fixed():
    from grucourse.core.gru import gru_forward, init_gru_params
    from grucourse.training.recall import with_gate_fixed

    rng = np.random.default_rng(0)
    p = init_gru_params(3, 4, rng, convention="keras", reset_after=True)
    x = rng.normal(size=(2, 5, 3))
    _, gates = gru_forward(x, with_gate_fixed(p, "r", 0.3), return_gates=True)
    np.testing.assert_allclose(gates["r"], 0.3)
    z_first = gru_forward(x, p, return_gates=True)[1]["z"][:, 0]  # from h_0 = 0, z does not depend on r
    np.testing.assert_array_equal(gates["z"][:, 0], z_first)
    kept = with_gate_fixed(p, "z", 1.0)  # keras convention: z = 1 keeps the state
    np.testing.assert_allclose(gru_forward(x, kept, h0=np.ones((2, 4))), 1.0, atol=1e-9)
    with pytest.raises(ValueError, match="gate must be"):
        with_gate_fixed(p, "h", 0.5)
    with pytest.raises(ValueError, match=r"value must be a number in \[0, 1\]"):
        with_gate_fixed(p, "z", 1.5)
    with pytest.raises(TypeError, match="GRUParams"):
        with_gate_fixed({}, "z", 0.5)


@pytest.mark.keras
def test_readout_accuracy_matches_keras():
    from grucourse.core.gru_keras import from_keras
    from grucourse.training.recall import readout_accuracy

    import keras

    keras.utils.set_random_seed(0)
    model = build_model("GRU", 4, 5, 4, seq_len=6)
    X, y = recall_data(5, 0, 200)
    keras_acc = float(np.mean(np.argmax(np.asarray(model(X)), axis=1) == y))
    head = model.get_layer("head").get_weights()
    assert readout_accuracy(from_keras(model.get_layer("gru")), head, X, y) == keras_acc
    with pytest.raises(ValueError, match="head must be"):
        readout_accuracy(from_keras(model.get_layer("gru")), [head[0][:3], head[1]], X, y)
    with pytest.raises(ValueError, match="one label per sequence"):
        readout_accuracy(from_keras(model.get_layer("gru")), head, X, y[:5])


@pytest.mark.keras
def test_compare_update_bias_pairs_the_arms():
    from grucourse.training.initialisers import update_gate_bias
    from grucourse.training.recall import compare_update_bias

    kw = {"units": 3, "n_train": 64, "n_test": 40, "epochs": 1}
    same = compare_update_bias(3, [0, 1], update_bias=0.0, **kw)  # b_z = 0 is Keras's default
    assert list(same.columns) == ["seed", "lag", "init", "update_bias", "test_accuracy"]
    assert len(same) == 4 and set(same.init) == {"default", "update bias"}
    wide = same.pivot(index="seed", columns="init", values="test_accuracy")
    np.testing.assert_array_equal(wide["default"], wide["update bias"])  # same start, data, batches
    models = {}
    compare_update_bias(3, [0, 1], update_bias=3.0, models=models, **{**kw, "epochs": 1})
    b_default = update_gate_bias(models[("default", 0)].get_layer("gru"))
    b_keep = update_gate_bias(models[("update bias", 0)].get_layer("gru"))
    assert np.all(b_keep > b_default + 2.0)  # one epoch of Adam at lr 0.01 moves a bias far less than 1


def test_compare_update_bias_bad_input():
    from grucourse.training.recall import compare_update_bias

    with pytest.raises(ValueError, match="update_bias must be a finite number"):
        compare_update_bias(3, [0], update_bias=float("nan"))
    with pytest.raises(ValueError, match="seeds has repeated values"):
        compare_update_bias(3, [0, 0])


def test_readout_accuracy_fixed_at():
    from grucourse.core.gru import init_gru_params
    from grucourse.training.recall import readout_accuracy, readout_accuracy_fixed_at, with_gate_fixed

    rng = np.random.default_rng(0)
    p = init_gru_params(5, 4, rng, scale=1.5, convention="keras", reset_after=True)
    head = [rng.normal(size=(4, 4)), rng.normal(size=4)]
    X, y = recall_data(5, 0, 200)  # (200, 6, 5)
    free = readout_accuracy(p, head, X, y)
    everywhere = readout_accuracy(with_gate_fixed(p, "r", 1.0), head, X, y)
    assert free != everywhere  # fixing r changes the predictions of this GRU
    assert readout_accuracy_fixed_at(p, head, X, y, "r", 1.0, range(6)) == everywhere
    # from h_0 = 0 the reset gate has nothing to reset at step 0, so fixing it there changes nothing
    assert readout_accuracy_fixed_at(p, head, X, y, "r", 1.0, [0]) == free
    with pytest.raises(ValueError, match=r"steps must lie in \[0, 6\)"):
        readout_accuracy_fixed_at(p, head, X, y, "r", 1.0, [6])
    with pytest.raises(ValueError, match="steps is empty"):
        readout_accuracy_fixed_at(p, head, X, y, "r", 1.0, [])
    with pytest.raises(ValueError, match="one label per sequence"):
        readout_accuracy_fixed_at(p, head, X, y[:3], "z", 0.5, [1])


def test_model_accuracies_equal_one_call_per_test_set():
    keras.utils.set_random_seed(0)
    model = build_model("GRU", 3, 5, 4, seq_len=7)
    tests = [recall_data(lag, 0, n, 4, split="test", length=7) for lag, n in ((2, 5), (4, 7), (6, 9))]
    want = [float(np.mean(np.argmax(model(X, training=False).numpy(), axis=1) == y)) for X, y in tests]
    assert model_accuracies(model, tests) == want
    assert [model_accuracy(model, X, y) for X, y in tests] == want
    assert len({round(w, 6) for w in want}) > 1  # the sets differ, so a wrong split would show
