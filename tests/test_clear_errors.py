"""Helpers a learner calls by hand say what is wrong and what is expected, instead of a deep traceback."""

from grucourse.core.gru import init_gru_params

import numpy as np
import pytest


@pytest.mark.parametrize("d, u, words", [
    (3, 0, "u (units) must be a positive whole number, got 0"),
    (0, 4, "d (inputs) must be a positive whole number, got 0"),
    (3, 2.5, "u (units) must be a positive whole number, got 2.5"),
    (3, True, "u (units)"),
])
def test_init_gru_params_rejects_empty_or_fractional_sizes(d, u, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        init_gru_params(d, u, np.random.default_rng(0))


def test_gate_animator_on_a_model_without_a_gru_says_why():
    from grucourse.widgets.gate_animator import gate_animator

    import keras

    lstm = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    x = np.zeros((6, 3), dtype="float32")
    with pytest.raises(ValueError, match="no GRU layer") as err:
        gate_animator(lstm, x)
    assert "LSTM" in str(err.value) and "get_layer" not in str(err.value)
