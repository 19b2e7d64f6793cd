"""Padding and bucketing variable-length sequences: correct batches and clear errors."""

from grucourse.data.batching import bucket_by_length, fixed_batches, pad_batch, padding_waste

import numpy as np
import pytest


def seqs_of(lengths, d=2, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(L, d)) for L in lengths]


def test_pad_batch_right_pads_and_masks():
    seqs = seqs_of([3, 1, 2])
    x, mask, lengths = pad_batch(seqs, value=-9.0)
    assert x.shape == (3, 3, 2) and x.dtype == np.float32
    assert lengths.tolist() == [3, 1, 2]
    assert mask.tolist() == [[True, True, True], [True, False, False], [True, True, False]]
    for i, s in enumerate(seqs):
        np.testing.assert_allclose(x[i, : len(s)], s, rtol=1e-6)
        assert np.all(x[i, len(s) :] == -9.0)


def test_pad_batch_to_a_longer_maxlen():
    x, mask, _ = pad_batch(seqs_of([2, 4]), maxlen=6)
    assert x.shape == (2, 6, 2)
    assert mask.sum(axis=1).tolist() == [2, 4]


def test_pad_batch_errors():
    with pytest.raises(ValueError, match="empty"):
        pad_batch([])
    with pytest.raises(TypeError, match="list of"):
        pad_batch(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="sequence 1 has 3 features.*sequence 0 has 2"):
        pad_batch([np.zeros((2, 2)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="NaN"):
        pad_batch([np.zeros((2, 2)), np.array([[0.0, np.nan]])])
    with pytest.raises(ValueError, match="reshape"):
        pad_batch([np.zeros(4)])
    with pytest.raises(ValueError, match="0 time steps"):
        pad_batch([np.zeros((0, 2))])
    with pytest.raises(ValueError, match="maxlen must be an integer >= the longest sequence \\(3\\)"):
        pad_batch(seqs_of([3, 1]), maxlen=2)
    with pytest.raises(TypeError, match="numbers"):
        pad_batch([np.array([["a", "b"]])])


def test_bucket_by_length_sorts_and_covers_every_index():
    lengths = np.array([5, 1, 9, 3, 7, 2, 8])
    batches = bucket_by_length(lengths, batch_size=3)
    assert [b.tolist() for b in batches] == [[1, 5, 3], [0, 4, 6], [2]]
    assert sorted(np.concatenate(batches).tolist()) == list(range(7))


def test_fixed_batches_keep_order():
    assert [b.tolist() for b in fixed_batches(5, 2)] == [[0, 1], [2, 3], [4]]


def test_padding_waste_by_hand():
    lengths = np.array([1, 3, 2, 4])
    # in order: batches [1,3] and [2,4] compute 2*3 + 2*4 = 14 steps for 10 real ones
    assert padding_waste(lengths, fixed_batches(4, 2)) == pytest.approx(1 - 10 / 14)
    # bucketed: [1,2] and [3,4] compute 2*2 + 2*4 = 12 steps
    assert padding_waste(lengths, bucket_by_length(lengths, 2)) == pytest.approx(1 - 10 / 12)
    # equal lengths waste nothing
    assert padding_waste([4, 4, 4], bucket_by_length([4, 4, 4], 2)) == 0.0


def test_bucketing_never_wastes_more_than_fixed_batches():
    rng = np.random.default_rng(3)
    for _ in range(20):
        lengths = rng.integers(1, 50, size=int(rng.integers(1, 40)))
        for bs in (1, 4, 16):
            assert padding_waste(lengths, bucket_by_length(lengths, bs)) <= padding_waste(
                lengths, fixed_batches(len(lengths), bs)
            ) + 1e-12


def test_length_and_batch_errors():
    with pytest.raises(ValueError, match="non-empty"):
        bucket_by_length([], 2)
    with pytest.raises(ValueError, match=">= 1"):
        bucket_by_length([3, 0], 2)
    with pytest.raises(TypeError, match="integers"):
        bucket_by_length([1.5, 2.0], 2)
    with pytest.raises(ValueError, match="batch_size"):
        bucket_by_length([1, 2], 0)
    with pytest.raises(ValueError, match="exactly once"):
        padding_waste([1, 2, 3], [np.array([0, 1])])
    with pytest.raises(ValueError, match="n must be"):
        fixed_batches(0, 2)
