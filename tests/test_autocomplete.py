"""The autocomplete widget's Python side: payload checks, rounding, and the numpy reference run."""

import json

from grucourse.core.gru import convert_convention, gru_forward, init_gru_params
from grucourse.data.text import ALPHABET
from grucourse.widgets.autocomplete import (
    autocomplete,
    autocomplete_payload,
    payload_kilobytes,
    payload_model,
    reference_run,
    top_k,
)

import numpy as np
import pytest

V = len(ALPHABET)


def lm(u=8, reset_after=True):
    rng = np.random.default_rng(0)
    return init_gru_params(V, u, rng, convention="keras", reset_after=reset_after), rng.normal(size=(u, V)), \
        rng.normal(size=V)


def test_payload_is_source_convention_and_rounded():
    params, W, b = lm()
    payload = autocomplete_payload(params, W, b, ALPHABET, digits=3)
    src = convert_convention(params, "source")
    assert payload["gru"]["convention"] == "source"
    assert np.allclose(payload["gru"]["W_z"], src.W_z, rtol=5e-3)  # z of Keras negated into the source's z
    assert not np.allclose(payload["gru"]["W_z"], params.W_z, rtol=5e-3)
    assert len(str(payload["W_head"][0][0]).replace("-", "").replace(".", "").lstrip("0")) <= 3
    assert payload_kilobytes(payload) < payload_kilobytes(autocomplete_payload(params, W, b, ALPHABET, 17))


def test_reference_run_matches_gru_forward_and_skips_unknown_characters():
    params, W, b = lm()
    payload = autocomplete_payload(params, W, b, ALPHABET, digits=17)
    ref = reference_run(payload, "Ab?c")
    x = np.eye(V)[[1, 2, 3]][None]  # (1, 3, V): "abc"
    h, gates = gru_forward(x, params, return_gates=True)
    assert np.allclose(ref["h"], gates["h"][0])
    assert np.allclose(ref["z"], 1 - gates["z"][0])  # source z = 1 - Keras z
    logits = h[0] @ W + b
    assert np.allclose(ref["probs"][-1], np.exp(logits) / np.exp(logits).sum())
    assert [c for c, _ in top_k(ref["probs"][-1], ALPHABET, 2)] == [ALPHABET[i] for i in np.argsort(-logits)[:2]]
    with pytest.raises(ValueError, match="no character"):
        reference_run(payload, "123")


def test_widget_state_and_bad_input():
    params, W, b = lm()
    w = autocomplete(params, W, b, ALPHABET, text="the ", top_k=3)
    assert w.top_k == 3 and w.text == "the " and w.lm["alphabet"] == ALPHABET
    json.dumps(w.lm)  # the state must be JSON
    p2, W2, b2 = payload_model(w.lm)
    assert p2.units == 8 and W2.shape == (8, V)
    with pytest.raises(ValueError, match="reset_after=True"):
        autocomplete(*lm(reset_after=False), ALPHABET)
    with pytest.raises(ValueError, match=r"W_head \(8, 36\)"):
        autocomplete(params, W[:, :5], b, ALPHABET)
    with pytest.raises(ValueError, match="alphabet has 5"):
        autocomplete(params, W, b, "abcde")
    with pytest.raises(ValueError, match="top_k must be"):
        autocomplete(params, W, b, ALPHABET, top_k=0)
    with pytest.raises(TypeError, match="GRUParams"):
        autocomplete_payload({}, W, b, ALPHABET)
