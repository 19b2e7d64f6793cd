"""Tests for grucourse.data.grammar: embedded Reber strings, corruption, encoding and masks."""

import re

from grucourse.data import grammar as G

import numpy as np
import pytest

# Independent reference: the Reber grammar as a regular expression, derived by hand from the automaton.
# From state 3 the rest is L3 = (T*VPX)* T*V (V | PS); the whole string is B (T S* X (S | X L3) | P L3) E.
L3 = r"(T*VPX)*T*V(V|PS)"
REBER_RE = re.compile(rf"^B(TS*X(S|X{L3})|P{L3})E$")


def test_generated_strings_match_the_regular_expression():
    rng = np.random.default_rng(0)
    for _ in range(300):
        s = G.reber_string(rng)
        assert REBER_RE.match(s), s
        assert G.is_reber(s)
        e = G.embedded_reber_string(rng)
        assert G.is_embedded_reber(e) and e[1] == e[-2] and REBER_RE.match(e[2:-2])


def test_validator_rejects_non_grammatical_strings():
    for s in ["", "B", "BE", "BTXXE", "BTSSXXTVVEE", "BPVV", "BTBTSXSETE", "TXSE"]:
        assert not G.is_reber(s) and not REBER_RE.match(s), s
    assert G.is_reber("BPVVE") and G.is_reber("BTXSE") and G.is_reber("BTSSXXTVPSE")
    assert not G.is_embedded_reber("BTBTXSEPE")  # mismatched outer symbols
    assert G.is_embedded_reber("BTBTXSETE")
    with pytest.raises(TypeError):
        G.is_reber(5)


def test_corruption_is_invalid_and_local_looking():
    rng = np.random.default_rng(1)
    for _ in range(100):
        s = G.embedded_reber_string(rng)
        c = G.corrupt_long_range(s)
        assert not G.is_embedded_reber(c) and c[:-2] == s[:-2] and G.is_reber(c[2:-2])
    with pytest.raises(ValueError, match="valid"):
        G.corrupt_long_range("BTXSE")


def test_dataset_labels_agree_with_validator():
    strings, labels = G.make_grammar_dataset(200, np.random.default_rng(2), max_len=20)
    assert labels.sum() == 100 and max(map(len, strings)) <= 20
    assert all(G.is_embedded_reber(s) == bool(lab) for s, lab in zip(strings, labels, strict=True))
    with pytest.raises(TypeError, match="Generator"):
        G.make_grammar_dataset(10, 0)
    with pytest.raises(ValueError, match="max_len"):
        G.make_grammar_dataset(10, np.random.default_rng(0), max_len=5)


def test_encode_pads_and_masks():
    codes, mask = G.encode_strings(["BTE", "B"])
    np.testing.assert_array_equal(codes, [[1, 5, 2], [1, 0, 0]])
    np.testing.assert_array_equal(mask, [[True, True, True], [True, False, False]])
    codes, mask = G.encode_strings(["BT"], max_len=4, padding="pre")
    np.testing.assert_array_equal(codes, [[0, 0, 1, 5]])
    with pytest.raises(ValueError, match="max_len"):
        G.encode_strings(["BTTT"], max_len=2)
    with pytest.raises(ValueError, match="only"):
        G.encode_strings(["BAD"])
    with pytest.raises(ValueError, match="empty"):
        G.encode_strings([])
    with pytest.raises(TypeError, match="list"):
        G.encode_strings("BTE")


def test_bag_of_characters_counts():
    np.testing.assert_array_equal(G.bag_of_characters(["BTTE"]), [[1, 1, 0, 0, 2, 0, 0]])
