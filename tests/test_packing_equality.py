"""Packed == trained separately, for every packed kind of the course.

One packing engine (:mod:`grucourse.training.packing`) places ``S`` models in one wide model. A packed
kind is correct when block ``s`` ends training exactly where model ``s`` trained alone ends, up to
float32 rounding (the sums run in another order). The tests, one per kind:

| packed kind | test | tolerance |
|---|---|---|
| GRU, LSTM, SimpleRNN classifiers | ``test_experiments.py::test_packed_training_equals_separate_training`` | 1e-5 |
| GRU, LSTM, SimpleRNN regressors | ``test_packed.py::test_packed_regression_equals_training_each_seed_alone`` | 1e-4 |
| stacks of 1-3 layers, residual | ``test_stacks.py::test_packed_arms_match_stand_alone_stacks`` | 1e-5 |
| per-step (bidirectional) taggers | ``test_training_tools.py::test_packed_sequence_gru_equals_separate_models`` | 1e-5|
| character LMs | ``test_charlm.py::test_packed_training_equals_separate_models`` | 1e-5 |
| minGRU (1 and 2 layers) | ``test_packed_mingru_training_equals_training_alone`` (here) | 1e-5 |
| encoder-decoders (seed axis) | ``test_packed_seq2seq_training_equals_training_alone`` | 1e-5 |

The last two compare a seed trained beside another seed with the same seed trained alone (a pack of
one, which is the plain model: ``test_mingru_experiments.py`` and ``test_seq2seq.py`` check that a
pack's forward pass equals the single Keras model's).
"""

from grucourse.data.tasks import blank_recall_data
from grucourse.training.mingru_packed import build_packed_mingru
from grucourse.training.packing import pack_data
from grucourse.training.seq2seq_packed import train_packed_seq2seq

import numpy as np
import pytest

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("n_layers", [1, 2])
def test_packed_mingru_training_equals_training_alone(n_layers):
    sets = {s: blank_recall_data(24, 5, np.random.default_rng([s, 1])) for s in (0, 1)}  # (X, y) each
    X_test = np.random.default_rng(9).normal(size=(6, 5, 5)).astype(np.float32)  # (B, T, d)
    trained = {}
    for seeds in ([1, 0], [1]):  # seed 1 first in both, beside seed 0 or alone
        model = build_packed_mingru(seeds, 5, 4, 4, 5, n_layers=n_layers, learning_rate=0.05,
                                    bias_z_init=-1.0)
        X, y = pack_data([sets[s] for s in seeds])  # (24, 5, S*5), (24, S)
        model.fit(X, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        probs = model.predict(np.tile(X_test, (1, 1, len(seeds))), verbose=0)  # (6, S, 4)
        trained[len(seeds)] = probs[:, 0]  # seed 1's block
    np.testing.assert_allclose(trained[2], trained[1], atol=1e-5)
    assert not np.allclose(trained[1], 0.25, atol=1e-3)  # it did learn something


def test_packed_seq2seq_training_equals_training_alone():
    kwargs = dict(units={"plain": 5, "attention": 5}, embed_dim=4, max_len=4, steps=12,
                  batch_size=16, n_train=64)
    beside = train_packed_seq2seq([1, 0], **kwargs)  # seed 1 first: the same batch order
    alone = train_packed_seq2seq([1], **kwargs)
    for kind in ("plain", "attention"):
        for key, w in alone[kind].w.items():
            np.testing.assert_allclose(np.asarray(beside[kind].w[key])[0], np.asarray(w)[0],
                                       atol=1e-5, err_msg=f"{kind} {key}")
