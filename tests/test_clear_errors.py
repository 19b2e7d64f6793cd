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


# --- issue 25: each error names what was wrong and what is expected ---------------------------


def test_autocomplete_on_a_small_alphabet_does_not_blame_top_k():
    from grucourse.core.gru import init_gru_params
    from grucourse.widgets.autocomplete import autocomplete

    rng = np.random.default_rng(0)
    params = init_gru_params(3, 4, rng, convention="keras", reset_after=True)  # d = len("abc")
    W_head, b_head = rng.normal(size=(4, 3)), rng.normal(size=3)
    w = autocomplete(params, W_head, b_head, alphabet="abc")  # top_k never passed: all 3 characters
    assert w.top_k == 3
    with pytest.raises(ValueError, match=r"top_k=5 .*3 characters") as err:
        autocomplete(params, W_head, b_head, alphabet="abc", top_k=5)  # asked for: name it
    assert "alphabet" in str(err.value)
    with pytest.raises(ValueError, match="alphabet") as err:
        autocomplete(params, W_head, b_head, alphabet=["a", "b", "c"])
    assert "top_k" not in str(err.value)


@pytest.mark.parametrize("tokens, words", [
    ([1, 99, 2], "99"),
    ([1, -4, 2], "-4"),
    ([1.5, 4, 2], "integer"),
])
def test_decode_digits_rejects_tokens_outside_the_vocabulary(tokens, words):
    from grucourse.data.seq2seq_data import decode_digits

    with pytest.raises(ValueError) as err:
        decode_digits(tokens)
    assert words in str(err.value) and "0..12" in str(err.value), str(err.value)


def test_decode_digits_still_reads_good_tokens():
    from grucourse.data.seq2seq_data import decode_digits

    assert decode_digits([1, 4, 12, 2, 5]) == "19"  # BOS skipped, stops at EOS
    assert decode_digits(np.array([[3, 0, 0]])) == "0"
    assert decode_digits([]) == ""
