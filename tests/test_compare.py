"""grucourse.training.compare: summaries against hand computation, structure from Keras weights, tiny training runs."""

import math

from grucourse.data.tasks import adding_problem, delayed_recall
from grucourse.experiments.gru_vs_lstm import layer_structure, parameter_table
from grucourse.measure.stats import summarize
from grucourse.measure.timing import interleaved_times
from grucourse.training.compare import compare_models, learning_curve, score
from grucourse.training.costs import time_costs

import numpy as np
import pandas as pd
import pytest

# --- pure numpy / pandas: no Keras ------------------------------------------------------------


def test_summarize_matches_hand_computation():
    table = pd.DataFrame({"kind": ["GRU", "GRU", "GRU", "LSTM", "LSTM", "SimpleRNN"],
                          "val_score": [1.0, 2.0, 3.0, 4.0, 6.0, 0.5]})
    out = summarize(table, "kind", digits=2).set_index("kind")
    assert list(out.index) == ["GRU", "LSTM", "SimpleRNN"]  # first-appearance order
    assert out.loc["GRU", "mean"] == 2.0 and out.loc["GRU", "std"] == pytest.approx(1.0)  # sqrt(2/2)
    assert out.loc["LSTM", "mean"] == 5.0 and out.loc["LSTM", "std"] == pytest.approx(math.sqrt(2))  # sqrt(2/1)
    assert out.loc["SimpleRNN", "std"] == 0.0 and out.loc["SimpleRNN", "n"] == 1
    assert out.loc["LSTM", "mean ± std"] == "5.00 ± 1.41"


def test_summarize_groups_by_several_columns():
    table = pd.DataFrame({"kind": ["GRU"] * 4, "n_train": [8, 8, 16, 16], "val_score": [0.5, 0.7, 0.9, 0.9]})
    out = summarize(table, ["kind", "n_train"])
    assert out["mean"].tolist() == pytest.approx([0.6, 0.9])
    assert out["std"].tolist() == pytest.approx([math.sqrt(0.02), 0.0])


@pytest.mark.parametrize(
    "table, by, value, error, message",
    [
        ("not a table", "kind", "val_score", TypeError, "pandas DataFrame"),
        (pd.DataFrame({"kind": [], "val_score": []}), "kind", "val_score", ValueError, "empty"),
        (pd.DataFrame({"kind": ["GRU"], "val_score": [1.0]}), "units", "val_score", ValueError, r"no column.*'units'"),
        (pd.DataFrame({"kind": ["GRU"], "val_score": ["high"]}), "kind", "val_score", TypeError, "must be numeric"),
    ],
)
def test_summarize_bad_input(table, by, value, error, message):
    with pytest.raises(error, match=message):
        summarize(table, by, value)


def test_score_by_hand():
    softmax = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
    assert score(softmax, np.array([0, 1, 1, 0])) == 0.75  # row 2 predicts class 2
    sigmoid = np.array([[0.9], [0.2], [0.6], [0.4]])
    assert score(sigmoid, np.array([[1], [0], [0], [0]])) == 0.75
    assert score(np.array([[1.0], [3.0]]), np.array([2.0, 1.0]), task="regression") == pytest.approx(2.5)  # (1+4)/2


def test_score_bad_input():
    with pytest.raises(ValueError, match=r"shape \(n, outputs\) with n = len\(y\) = 3"):
        score(np.zeros((2, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="task must be"):
        score(np.zeros((2, 1)), np.zeros(2), task="ranking")


def test_interleaved_times_calls_each_function_round_robin():
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b"), "c": lambda: calls.append("c")}
    stats = interleaved_times(fns, repeat=3, warmup=1)
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]  # rotating start
    assert list(stats) == ["a", "b", "c"] and all(s["repeat"] == 3 for s in stats.values())
    assert all(0 <= s["q1"] <= s["median"] <= s["q3"] for s in stats.values())
    assert all(len(s["samples"]) == 3 for s in stats.values())  # one timing per round
    assert [float(np.median(s["samples"])) for s in stats.values()] == pytest.approx(
        [s["median"] for s in stats.values()])


@pytest.mark.parametrize(
    "fns, kwargs, error, message",
    [
        ({}, {}, ValueError, "non-empty dict"),
        ({"a": 3}, {}, TypeError, r"fns\['a'\] must be a callable"),
        ({"a": print}, {"repeat": 0}, ValueError, "repeat must be an integer >= 1"),
    ],
)
def test_interleaved_times_bad_input(fns, kwargs, error, message):
    with pytest.raises(error, match=message):
        interleaved_times(fns, **kwargs)


# --- Keras -------------------------------------------------------------------------------------


@pytest.mark.keras
def test_layer_structure_counts_gates_and_states_from_keras():
    gru, lstm, rnn = (layer_structure(k, 10, 32) for k in ("GRU", "LSTM", "SimpleRNN"))
    assert (gru["gates"], gru["states"], gru["cell state"]) == (2, 1, False)
    assert (lstm["gates"], lstm["states"], lstm["cell state"]) == (3, 2, True)
    assert (rnn["gates"], rnn["states"]) == (0, 1)
    for s in (gru, lstm, rnn):
        assert s["params (Keras)"] == s["params (formula)"]
    assert gru["params (Keras)"] == 3 * 32 * (10 + 32 + 2) and lstm["params (Keras)"] == 4 * 32 * (10 + 32 + 1)
    assert (gru["state bytes"], lstm["state bytes"]) == (4 * 32, 8 * 32)


@pytest.mark.keras
def test_parameter_table():
    table = parameter_table(["GRU", "LSTM"], 3, [1, 4])
    assert len(table) == 4 and (table["params (formula)"] == table["params (Keras)"]).all()
    with pytest.raises(ValueError, match="kind must be one of"):
        parameter_table(["Transformer"], 3, [4])


def _recall_data(n=16, lag=3):
    rng = np.random.default_rng(0)
    X, y = delayed_recall(n, lag, rng)
    Xv, yv = delayed_recall(8, lag, rng)
    return X, y, Xv, yv


@pytest.mark.keras
def test_compare_models_table_and_seed_reuse():
    data = _recall_data()
    both = compare_models([("GRU", 3)], data, [0, 1], n_outputs=4, steps=3, batch_size=8)
    assert list(both.columns) == ["kind", "units", "params", "seed", "n_train", "train_score", "val_score", "train_s"]
    assert both["seed"].tolist() == [0, 1] and (both["params"] == 3 * 3 * (5 + 3 + 2)).all()
    assert both["val_score"].between(0, 1).all()
    # The reused model with its optimizer reset gives the same result as a first run with that seed.
    alone = compare_models([("GRU", 3)], data, [1], n_outputs=4, steps=3, batch_size=8)
    assert alone.loc[0, "val_score"] == both.loc[1, "val_score"]
    assert alone.loc[0, "train_score"] == both.loc[1, "train_score"]


@pytest.mark.keras
def test_compare_models_xla_matches_seed_reuse_too():
    data = _recall_data()
    both = compare_models([("LSTM", 2)], data, [0, 1], n_outputs=4, steps=3, batch_size=8, jit_compile=True)
    alone = compare_models([("LSTM", 2)], data, [1], n_outputs=4, steps=3, batch_size=8, jit_compile=True)
    assert alone.loc[0, "train_score"] == both.loc[1, "train_score"]
    assert both["val_score"].between(0, 1).all()


@pytest.mark.keras
def test_compare_models_regression():
    rng = np.random.default_rng(1)
    X, y = adding_problem(16, 4, rng)
    table = compare_models([("LSTM", 2)], (X, y, X[:8], y[:8]), [0], task="regression", steps=2, batch_size=8)
    assert table.loc[0, "val_score"] > 0 and table.loc[0, "params"] == 4 * 2 * (2 + 2 + 1)


@pytest.mark.parametrize(
    "configs, data, seeds, kwargs, error, message",
    [
        ([("GRU", 2)], "data", [0], {}, TypeError, r"data must be a tuple \(X_train, y_train, X_val, y_val\)"),
        ([("GRU", 2)], None, 0, {}, TypeError, "seeds must be a list"),
        ([("GRU", 2)], None, [], {}, ValueError, "seeds is empty"),
        ([("GRU", 2)], None, [0, 0], {}, ValueError, "seeds must be distinct"),
        ([("Transformer", 2)], None, [0], {}, ValueError, "kind must be one of"),
        (["GRU"], None, [0], {}, TypeError, r"\(kind, units\) tuple"),
        ([("GRU", 0)], None, [0], {}, ValueError, "units must be an integer >= 1"),
        ([("GRU", 2)], None, [0], {"n_outputs": 2}, ValueError, "labels go up to 3 but n_outputs=2"),
        ([("GRU", 2)], None, [0], {"task": "ranking"}, ValueError, "task must be"),
        ([("GRU", 2)], "2d", [0], {}, ValueError, r"X_train must have shape \(n, time, features\)"),
        ([("GRU", 2)], "nan", [0], {}, ValueError, "X_val must hold finite numbers"),
        ([("GRU", 2)], "short_y", [0], {}, ValueError, "y_train has 3 labels for 16 sequences"),
    ],
)
def test_compare_models_bad_input(configs, data, seeds, kwargs, error, message):
    X, y, Xv, yv = _recall_data()
    if data is None:
        data = (X, y, Xv, yv)
    elif data == "2d":
        data = (X[:, :, 0], y, Xv, yv)
    elif data == "nan":
        Xv = Xv.copy()
        Xv[0, 0, 0] = np.nan
        data = (X, y, Xv, yv)
    elif data == "short_y":
        data = (X, y[:3], Xv, yv)
    with pytest.raises(error, match=message):
        compare_models(configs, data, seeds, **{"n_outputs": 4, "steps": 1, **kwargs})


@pytest.mark.keras
def test_learning_curve_uses_nested_sizes():
    def make(n, rng):
        return delayed_recall(n, 2, rng)

    table = learning_curve([("GRU", 2)], make, [4, 8], [0, 1], n_val=8, n_outputs=4, steps=2, batch_size=4)
    assert table["n_train"].tolist() == [4, 8, 4, 8] and table["seed"].tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="sizes is empty"):
        learning_curve([("GRU", 2)], make, [], [0])
    with pytest.raises(TypeError, match="make_data must be a function"):
        learning_curve([("GRU", 2)], "data", [4], [0])


@pytest.mark.keras
def test_time_costs_tiny():
    table = time_costs(["GRU", "LSTM"], [2], seq_len=3, n_features=2, n_train=4, batch_size=2, repeat=1)
    assert table["kind"].tolist() == ["GRU", "LSTM"]
    assert (table["epoch_s"] > 0).all() and (table["latency_s"] > 0).all()
    assert table["flops_per_step"].tolist() == [2 * 3 * (2 * 2 + 2 * 2), 2 * 4 * (2 * 2 + 2 * 2)]
    only_latency = time_costs(["GRU"], [2], seq_len=3, n_features=2, n_train=4, batch_size=2, repeat=1, train=False)
    assert only_latency["epoch_s"].isna().all() and (only_latency["latency_s"] > 0).all()
    assert [len(t) for t in table["epoch_samples"]] == [1, 1]  # repeat rounds
    assert [len(t) for t in table["latency_samples"]] == [10, 10]  # 10 * repeat rounds
    assert only_latency["epoch_samples"].tolist() == [()]
    fewer = time_costs(["GRU"], [2], seq_len=3, n_features=2, n_train=4, batch_size=2, repeat=1,
                       train=False, latency_repeat=3)
    assert [len(t) for t in fewer["latency_samples"]] == [3]
    with pytest.raises(ValueError, match="smaller than batch_size"):
        time_costs(["GRU"], [2], n_train=2, batch_size=4)
