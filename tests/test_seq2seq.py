"""Tests for the reversal task, the Keras encoder–decoders, greedy decoding and the packed trainer."""

from grucourse.data.seq2seq_data import (
    BOS,
    EOS,
    PAD,
    decode_digits,
    encode_digits,
    make_pairs,
    reversal_pairs,
    stack_pairs,
    token_names,
)
from grucourse.layers.seq2seq import (
    build_seq2seq,
    count_seq2seq_params,
    greedy_decode,
    keras_predict,
    layer_shapes,
    matched_units,
    per_position_accuracy,
    sequence_accuracy,
    token_accuracy,
)
from grucourse.training.seq2seq_packed import PackedSeq2Seq, seed_data, train_packed_seq2seq

import keras
import numpy as np
import pytest

# --- data -------------------------------------------------------------------------------


def test_make_pairs_layout_by_hand():
    p = make_pairs(["314", "27"], max_len=4)
    # digits d are tokens d + 3; PAD 0, BOS 1, EOS 2
    np.testing.assert_array_equal(p.src, [[6, 4, 7, 0], [5, 10, 0, 0]])
    np.testing.assert_array_equal(p.src_mask, [[1, 1, 1, 0], [1, 1, 0, 0]])
    np.testing.assert_array_equal(p.dec_in, [[1, 7, 4, 6, 0], [1, 10, 5, 0, 0]])
    np.testing.assert_array_equal(p.target, [[7, 4, 6, 2, 0], [10, 5, 2, 0, 0]])
    np.testing.assert_array_equal(p.tgt_mask, [[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]])
    np.testing.assert_array_equal(p.lengths, [3, 2])
    assert decode_digits(p.target[0]) == "413" and decode_digits(p.src[1]) == "27"


def test_token_names_label_every_token():
    assert token_names([6, 4, EOS, PAD, BOS]) == ["3", "1", "EOS", "PAD", "BOS"]
    assert token_names(np.array([[12]])) == ["9"]
    with pytest.raises(ValueError, match="integer ids 0..12"):
        token_names([3, 13])
    with pytest.raises(ValueError, match="integer ids"):
        token_names([3.5])


def test_reversal_pairs_properties():
    p = reversal_pairs(300, np.random.default_rng(5), max_len=7, min_len=2)
    assert p.src.shape == (300, 7) and p.target.shape == (300, 8) and len(p) == 300
    assert p.lengths.min() >= 2 and p.lengths.max() <= 7 and len(set(p.lengths.tolist())) == 6
    for i in range(300):
        s, L = decode_digits(p.src[i]), p.lengths[i]
        assert len(s) == L and decode_digits(p.target[i]) == s[::-1]
        assert p.target[i, L] == EOS and (p.target[i, L + 1:] == PAD).all() and (p.src[i, L:] == PAD).all()
        assert p.dec_in[i, 0] == BOS and (p.dec_in[i, 1:L + 1] == p.target[i, :L]).all()
    assert (p.src_mask == (p.src != PAD)).all() and p.tgt_mask.sum() == (p.lengths + 1).sum()
    # the vectorised generator agrees with the one-pair-at-a-time make_pairs
    q = make_pairs([decode_digits(r) for r in p.src], 7)
    for f in ("src", "src_mask", "dec_in", "target", "tgt_mask", "lengths"):
        np.testing.assert_array_equal(getattr(p, f), getattr(q, f))


def test_reversal_pairs_are_reproducible_and_fixed_length():
    a = reversal_pairs(50, np.random.default_rng(1), 6)
    b = reversal_pairs(50, np.random.default_rng(1), 6)
    np.testing.assert_array_equal(a.src, b.src)
    c = reversal_pairs(20, np.random.default_rng(1), 6, length=4)
    assert (c.lengths == 4).all()
    assert not np.array_equal(seed_data(0, 50, 6, "train").src, seed_data(0, 50, 6, "test").src)


@pytest.mark.parametrize("call, match", [
    (lambda: encode_digits("12a"), "digits"),
    (lambda: encode_digits(""), "non-empty"),
    (lambda: encode_digits([3, 12]), "0..9"),
    (lambda: make_pairs("123"), "list of digit strings"),
    (lambda: make_pairs([]), "empty"),
    (lambda: make_pairs(["12345"], max_len=3), "more than max_len"),
    (lambda: reversal_pairs(5, 0, 4), "Generator"),
    (lambda: reversal_pairs(5, np.random.default_rng(0), 3, min_len=4), "larger than max_len"),
    (lambda: reversal_pairs(0, np.random.default_rng(0), 3), "n must be"),
    (lambda: reversal_pairs(5, np.random.default_rng(0), 3, length=9), "length=9"),
    (lambda: stack_pairs([make_pairs(["1"], 2), make_pairs(["1"], 3)]), "same shape"),
    (lambda: seed_data(0, 5, 3, "valid"), "split"),
])
def test_bad_data_inputs(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# --- models -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_shapes_and_parameter_count(kind):
    model = build_seq2seq(kind, 6, embed_dim=4)
    p = make_pairs(["3141", "27"], 5)
    assert model([p.src, p.dec_in]).shape == (2, 6, 13)
    assert model.count_params() == count_seq2seq_params(kind, 6, embed_dim=4)
    shapes = layer_shapes(model, p.src, p.dec_in).set_index("layer")["output shape"]
    assert shapes["encoder"] == "(2, 5, 6) and (2, 6)" and shapes["head"] == "(2, 6, 13)"
    if kind == "attention":
        assert shapes["s_and_c"] == "(2, 6, 12)"


def test_matched_units_balances_parameters():
    u = matched_units(24)
    n_att, n_plain = count_seq2seq_params("attention", 24), count_seq2seq_params("plain", u)
    assert u == 28 and abs(n_plain - n_att) < 0.02 * n_att
    assert abs(count_seq2seq_params("plain", u + 1) - n_att) > abs(n_plain - n_att)


def _perturbed(kind, seed, units=5):
    keras.utils.set_random_seed(seed)
    model = build_seq2seq(kind, units)
    rng = np.random.default_rng(seed)  # non-zero biases and larger weights exercise every term
    model.set_weights([w + 0.3 * rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_padding_is_masked(kind):
    model = _perturbed(kind, 0)
    short, long = make_pairs(["3141", "9"], 4), make_pairs(["3141", "9"], 9)
    p_short = np.asarray(model([short.src, short.dec_in]))  # (2, 5, V)
    p_long = np.asarray(model([long.src, long.dec_in]))  # (2, 10, V)
    np.testing.assert_allclose(p_long[:, :5], p_short, atol=1e-6)


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_packed_forward_equals_keras(kind):
    models = [_perturbed(kind, s) for s in (0, 1, 2)]
    packed = PackedSeq2Seq(models, kind)
    d = stack_pairs([seed_data(s, 9, 6, "test") for s in (0, 1, 2)])  # arrays (9, 3, ...)
    probs = packed.probs(d.src, d.dec_in)  # (9, 3, 7, V)
    for s, m in enumerate(models):
        np.testing.assert_allclose(probs[:, s], np.asarray(m([d.src[:, s], d.dec_in[:, s]])), atol=1e-5)
    if kind == "attention":
        a = packed.attention_weights(d.src, d.dec_in)  # (9, 3, 7, 6)
        np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-5)
        assert np.all(a[np.broadcast_to(d.src_mask[:, :, None, :] == 0, a.shape)] < 1e-12)
    else:
        with pytest.raises(ValueError, match="attention"):
            packed.attention_weights(d.src, d.dec_in)


# --- greedy decoding and accuracies ---------------------------------------------------------


def test_greedy_feeds_back_its_own_tokens():
    def next_token(src, dec_in):  # p(y_t) puts all mass on dec_in[t] + 1: depends only on the fed-back tokens
        return np.eye(13)[np.minimum(dec_in + 1, 12)]  # (B, T', V)

    out = greedy_decode(next_token, np.array([[3, 4]]), 5)
    np.testing.assert_array_equal(out, [[2, 3, 4, 5, 6]])  # BOS=1 -> 2 -> 3 ...


def test_greedy_matches_teacher_forcing_on_its_own_outputs():
    model = _perturbed("attention", 3)
    p = make_pairs(["31415", "27", "8"], 5)
    out = greedy_decode(keras_predict(model), p.src, 6)  # (3, 6)
    fed = np.concatenate([np.full((3, 1), BOS), out[:, :-1]], axis=1)  # teacher-force the greedy outputs
    np.testing.assert_array_equal(np.asarray(model([p.src, fed])).argmax(-1), out)


def test_an_oracle_decodes_perfectly_and_accuracies_by_hand():
    p = make_pairs(["314", "27"], 3)
    oracle = lambda src, dec_in: np.eye(13)[p.target]  # noqa: E731
    out = greedy_decode(oracle, p.src, 4)
    assert sequence_accuracy(out, p) == 1.0 and token_accuracy(out, p) == 1.0
    wrong = out.copy()
    wrong[0, 1] = 3  # one wrong digit in 4 real tokens of pair 0
    wrong[1, 3] = 9  # after pair 1's EOS: ignored
    assert sequence_accuracy(wrong, p) == 0.5
    assert token_accuracy(wrong, p) == pytest.approx(6 / 7)
    np.testing.assert_allclose(per_position_accuracy(wrong, p), [1, 0.5, 1, 1])
    with pytest.raises(ValueError, match="targets' shape"):
        token_accuracy(out[:, :3], p)
    with pytest.raises(TypeError, match="Pairs"):
        sequence_accuracy(out, p.target)
    with pytest.raises(TypeError, match="integer token ids"):
        greedy_decode(oracle, p.src.astype(float), 4)


def test_bad_model_inputs():
    with pytest.raises(ValueError, match="kind"):
        build_seq2seq("lstm", 4)
    with pytest.raises(ValueError, match="units"):
        build_seq2seq("plain", 0)
    with pytest.raises(ValueError, match="seeds"):
        train_packed_seq2seq([1, 1], units={"plain": 4, "attention": 4})
    with pytest.raises(ValueError, match="units must be a dict"):
        train_packed_seq2seq([0], units=4)
    with pytest.raises(ValueError, match="n_train"):
        train_packed_seq2seq([0], units={"plain": 4, "attention": 4}, n_train=8, batch_size=16)


def test_packed_training_learns_and_exports():
    packed = train_packed_seq2seq([0, 1], units={"plain": 6, "attention": 6}, max_len=3, steps=60, batch_size=32,
                          n_train=640)
    test = stack_pairs([seed_data(s, 100, 3, "test") for s in (0, 1)])
    for kind in ("plain", "attention"):
        out = greedy_decode(packed[kind].probs, test.src, 4)  # (100, 2, 4)
        assert token_accuracy(out, test) > 0.5  # chance is 1/13 per token
        models = [build_seq2seq(kind, 6) for _ in range(2)]
        packed[kind].export(models)
        np.testing.assert_array_equal(greedy_decode(keras_predict(models[1]), test.src[:, 1], 4), out[:, 1])


def test_extra_steps_equal_a_longer_run_alone_and_keep_the_earlier_copy():
    kw = dict(max_len=3, batch_size=16, n_train=64)
    both = train_packed_seq2seq([0, 1], units={"plain": 6, "attention": 6}, steps=6,
                                extra_steps={"plain": 4}, **kw)
    assert sorted(both) == ["attention", "plain", "plain, 10 steps"]
    # references: the plain kind trained alone for 10 steps, both kinds for 6 steps
    alone10 = train_packed_seq2seq([0, 1], kinds=("plain",), units={"plain": 6}, steps=10, **kw)
    both6 = train_packed_seq2seq([0, 1], units={"plain": 6, "attention": 6}, steps=6, **kw)
    for got, want in ((both["plain, 10 steps"], alone10["plain"]), (both["plain"], both6["plain"]),
                      (both["attention"], both6["attention"])):
        for a, b in zip(got.variables, want.variables, strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    moved = max(np.abs(np.asarray(a) - np.asarray(b)).max()
                for a, b in zip(both["plain"].variables, both["plain, 10 steps"].variables, strict=True))
    assert moved > 1e-3  # the copy after 6 steps did not train on with the original
    with pytest.raises(ValueError, match="extra_steps"):
        train_packed_seq2seq([0], units={"plain": 4}, kinds=("plain",), extra_steps={"attention": 3})
    with pytest.raises(ValueError, match="extra_steps"):
        train_packed_seq2seq([0], units={"plain": 4}, kinds=("plain",), extra_steps={"plain": 0})
