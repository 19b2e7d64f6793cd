"""The hand-set one-unit GRU of chapter 3: forgetting with and without the reset gate, written share."""

from grucourse.core import handset
from grucourse.core.gru import gru_forward

import numpy as np
import pytest


def _x(marker=None):
    return handset.demo_sequence(80, np.random.default_rng(1), write_value=1.0, marker=marker)


def test_update_gate_alone_forgets_when_the_candidate_ignores_the_past():
    x = _x(marker=40)
    _, open_reset = gru_forward(x[None], handset.reset_at_marker_params(use_reset_gate=False), return_gates=True)
    assert open_reset["h"][0, 40, 0] > 0.5  # U_h = 1: the overwrite writes tanh(h_39)
    p = handset.reset_at_marker_params(use_reset_gate=False, u_h=0.0)
    _, no_feedback = gru_forward(x[None], p, return_gates=True)
    assert abs(no_feedback["h"][0, 40, 0]) < 1e-3  # U_h = 0: the update gate alone wipes


def test_written_share_equals_keep_product_without_feedback():
    x = _x()
    p = handset.carry_params(b_z=-3.0)
    p_no_feedback = type(p)(**{**p.__dict__, "U_h": np.zeros((1, 1))})
    share = handset.written_share(p_no_feedback, x)  # (80,)
    _, gates = gru_forward(x[None], p_no_feedback, return_gates=True)
    keep = np.cumprod(1 - gates["z"][0, 1:, 0])  # (79,)
    assert share[0] == 1.0
    np.testing.assert_allclose(share[1:], keep, rtol=1e-9, atol=1e-12)


def test_written_share_exceeds_keep_product_with_feedback():
    x = _x()
    p = handset.carry_params(b_z=-3.0)
    share = handset.written_share(p, x)
    _, gates = gru_forward(x[None], p, return_gates=True)
    keep = np.cumprod(1 - gates["z"][0, 1:, 0])
    assert keep[49] < 0.1 and share[50] > 0.5  # U_h = 1 feeds the old state back into h~
    assert np.allclose(handset.written_share(handset.carry_params(), x)[1:], 1.0, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"write_step": 79}, "write_step"), ({"value_feature": 3}, "value_feature"),
     ({"value_feature": 2}, "nothing was written")],
)
def test_written_share_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        handset.written_share(handset.carry_params(), _x(), **kwargs)


def test_written_share_bad_shape():
    with pytest.raises(ValueError, match="shape"):
        handset.written_share(handset.carry_params(), np.zeros((5, 2)))
