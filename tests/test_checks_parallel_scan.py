"""Exercise set 5 (the parallel scan): the reference passes, known wrong answers get specific messages,
the stub is "not attempted", and wrong types or shapes get a clear message."""

from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED, ex_combine, ex_mingru_param_count, ex_to_mingru
from grucourse.gru import convert_convention
from grucourse.mingru import MinGRUParams

import numpy as np
import pytest

EXERCISES = [ex_combine, ex_to_mingru, ex_mingru_param_count]


def reference(exercise, name):
    ns = {"np": np, "convert_convention": convert_convention, "MinGRUParams": MinGRUParams}
    exec(exercise.solution_code, ns)  # noqa: S102 - our own reference code
    return ns[name]


def stub(*args):
    raise NotImplementedError("write your code here")


@pytest.mark.parametrize("exercise,name", [(ex_combine, "combine"), (ex_to_mingru, "to_mingru"),
                                           (ex_mingru_param_count, "mingru_param_count")])
def test_reference_passes_and_stubs_are_not_attempted(exercise, name):
    assert exercise.check(reference(exercise, name)).status == CORRECT
    assert exercise.check(None).status == NOT_ATTEMPTED
    assert exercise.check(stub).status == NOT_ATTEMPTED
    assert exercise.check(3).status == INVALID


def test_combine_correct_message_reports_associativity():
    assert "associative" in ex_combine.check(reference(ex_combine, "combine")).message


@pytest.mark.parametrize("wrong,words", [
    (lambda left, right: (left[0] * right[0], left[0] * right[1] + left[1]), "applies step 2 first"),
    (lambda left, right: (left[0] * right[0], left[1] + right[1]), "must decay"),
    (lambda left, right: (left[0] + right[0], right[0] * left[1] + right[1]), "multiplies them"),
])
def test_combine_wrong_answers(wrong, words):
    r = ex_combine.check(wrong)
    assert r.status == INCORRECT and words in r.message


def test_combine_wrong_type_and_shape():
    assert "a pair (a, b)" in ex_combine.check(lambda left, right: 1.0).message
    assert "shape" in ex_combine.check(lambda left, right: (np.zeros(3), np.zeros(3))).message


def test_to_mingru_wrong_answers():
    def no_flip(p):
        return MinGRUParams(W_z=p.W_z, b_z=p.b_z, W_h=p.W_h, b_h=p.b_h)

    def reset_gate(p):
        q = convert_convention(p, "source")
        return MinGRUParams(W_z=q.W_r, b_z=q.b_r, W_h=q.W_h, b_h=q.b_h)

    r = ex_to_mingru.check(no_flip)
    assert r.status == INCORRECT and "Keras's convention" in r.message
    r = ex_to_mingru.check(reset_gate)
    assert r.status == INCORRECT and "reset gate" in r.message
    assert ex_to_mingru.check(lambda p: p).status == INVALID


@pytest.mark.parametrize("wrong,words", [
    (lambda d, u: 3 * u * (d + u + 2), "GRU's count"),
    (lambda d, u: 2 * u * (d + u + 1), "recurrent matrices"),
    (lambda d, u: 2 * u * d, "biases"),
    (lambda d, u: 3 * u * (d + 1), "reset gate"),
])
def test_param_count_wrong_answers(wrong, words):
    r = ex_mingru_param_count.check(wrong)
    assert r.status == INCORRECT and words in r.message


def test_param_count_must_be_a_whole_number():
    r = ex_mingru_param_count.check(lambda d, u: 2.0 * u * (d + 1))
    assert r.status == INVALID and "whole number" in r.message
