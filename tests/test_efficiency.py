"""The per-step-projection GRU equals the fused one; the chapter's experiments report correct values."""

import grucourse  # noqa: F401  (sets TensorFlow's environment before keras is imported)
from grucourse.core.gru import gru_forward, init_gru_params
from grucourse.core.gru_variants import gru_forward_per_step
from grucourse.data.batching import make_variable_length_data

import numpy as np
import pytest


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("convention", ["source", "keras"])
@pytest.mark.parametrize("B,T,d,u", [(4, 7, 3, 5), (1, 1, 1, 1), (2, 12, 2, 8)])
def test_per_step_projection_equals_fused(B, T, d, u, reset_after, convention):
    rng = np.random.default_rng(B + 10 * T + 100 * d + 1000 * u)
    p = init_gru_params(d, u, rng, scale=1.5, convention=convention, reset_after=reset_after)
    x = rng.normal(size=(B, T, d))
    h0 = rng.normal(size=(B, u))
    np.testing.assert_allclose(gru_forward_per_step(x, p), gru_forward(x, p), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gru_forward_per_step(x, p, h0=h0), gru_forward(x, p, h0=h0), atol=1e-12)


def test_per_step_projection_errors():
    p = init_gru_params(3, 4, np.random.default_rng(0))
    with pytest.raises(TypeError, match="GRUParams"):
        gru_forward_per_step(np.zeros((1, 2, 3)), {"W_z": 1})
    with pytest.raises(ValueError, match="expects d=3"):
        gru_forward_per_step(np.zeros((1, 2, 5)), p)
    with pytest.raises(ValueError, match="h0 has shape"):
        gru_forward_per_step(np.zeros((1, 2, 3)), p, h0=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        gru_forward_per_step(np.full((1, 2, 3), np.nan), p)


def test_variable_length_data():
    seqs = make_variable_length_data(np.random.default_rng(0), n=50, d=3, min_len=2, max_len=9)
    lengths = [len(s) for s in seqs]
    assert len(seqs) == 50 and min(lengths) >= 2 and max(lengths) <= 9
    assert all(s.shape[1] == 3 and s.dtype == np.float32 for s in seqs)
    with pytest.raises(ValueError, match="min_len"):
        make_variable_length_data(np.random.default_rng(0), min_len=5, max_len=3)
    with pytest.raises(TypeError, match="Generator"):
        make_variable_length_data(0)


@pytest.mark.keras
def test_fastpath_conditions_name_what_is_broken():
    from grucourse.layers.timed import fastpath_conditions, make_rnn_layer

    assert all(fastpath_conditions(make_rnn_layer("gru", 2, 3)).values())
    broken = fastpath_conditions(make_rnn_layer("gru", 2, 3, recurrent_dropout=0.1, activation="relu"))
    assert [k for k, ok in broken.items() if not ok] == ["activation is tanh", "recurrent_dropout == 0"]
    import keras

    # Keras accepts keras.ops.tanh / sigmoid as well as the named activations
    ops_layer = make_rnn_layer("gru", 2, 3, activation=keras.ops.tanh, recurrent_activation=keras.ops.sigmoid)
    assert all(fastpath_conditions(ops_layer).values())
    with pytest.raises(ValueError, match="kind must be"):
        make_rnn_layer("transformer", 2, 3)


@pytest.mark.keras
def test_batching_experiment_is_exact():
    from grucourse.experiments.fast_path import compare_batching

    rng = np.random.default_rng(0)
    seqs = make_variable_length_data(rng, n=12, d=2, min_len=1, max_len=9)
    r = compare_batching(rng, seqs, batch_size=4, u=3, repeat=2)
    assert r["max_abs_diff_strategies"] < 1e-5
    assert r["max_abs_diff_reference"] < 1e-5
    assert r["max_abs_diff_unmasked"] > 1e-3  # padding without a mask changes the states


@pytest.mark.keras
def test_streaming_equals_full_sequence():
    from grucourse.experiments.serving_and_scaling import streaming_latency

    r = streaming_latency(np.random.default_rng(0), d=3, u=4, T=6, repeat=2)
    assert r["max_abs_diff"] < 1e-5
    assert [row[""] for row in r["rows"]][0] == "numpy gru_step"


def test_numpy_experiments_report_equal_outputs_and_consistent_shares():
    from grucourse.experiments.efficiency import compare_projection, projection_time_share

    rng = np.random.default_rng(0)
    r = compare_projection(rng, B=3, T=5, d=2, u=4, repeat=2)
    assert r["max_abs_diff"] < 1e-5 and r["speedup"] > 0
    assert [row[""] for row in r["rows"]] == ["per-step projection (T small matmuls)", "fused projection (one matmul)"]
    s = projection_time_share(rng, B=3, T=5, d=2, u=4, repeat=2)
    assert s["share_flops"] == pytest.approx(2 / (2 + 4))  # d / (d + u)
    assert s["share_time"] > 0


@pytest.mark.keras
def test_fastpath_variants_are_checked():
    from grucourse.experiments.fast_path import compare_fastpath

    with pytest.raises(ValueError, match="start with the default"):
        compare_fastpath(np.random.default_rng(0), variants=("unroll=True",))
    with pytest.raises(ValueError, match="start with the default"):
        compare_fastpath(np.random.default_rng(0), variants=("default", "dropout=0.5"))


@pytest.mark.keras
def test_compilation_and_cell_types_report_ratios_with_intervals():
    from grucourse.experiments.efficiency import compare_cell_types
    from grucourse.experiments.serving_and_scaling import compare_compilation

    r = compare_compilation(np.random.default_rng(0), B=2, T=4, d=3, u=4, repeat=3)
    assert r["max_abs_diff"] < 1e-5  # eager, graph and XLA compute the same numbers
    assert set(r["ratios"]) == {"eager", "function", "xla"} and r["ratios"]["function"].ratio == 1
    for ratio in r["ratios"].values():
        assert ratio.low <= ratio.ratio <= ratio.high and ratio.n == 3
    c = compare_cell_types(np.random.default_rng(0), sizes=(4,), B=2, T=3, d=2, repeat=3)
    assert [row[""] for row in c["rows"]] == ["simple_rnn, u=4", "gru, u=4", "lstm, u=4"]
    assert c["ratios"][4]["simple_rnn"].ratio == 1 and c["gru_vs_lstm"][4].n == 3
