"""Exercise set 8: each checker accepts the reference, rejects known wrong answers with specific messages,
reports the untouched stub as not attempted, and answers wrong types and shapes clearly."""

from grucourse.checks import (
    CORRECT,
    INCORRECT,
    INVALID,
    NOT_ATTEMPTED,
    ex_generation_step,
    ex_perplexity,
    ex_temperature,
)
from grucourse.core.gru import gru_step

import numpy as np
import pytest


def stub(*args, **kwargs):
    raise NotImplementedError("write your code here")


def reference(exercise, name):
    ns = {"np": np, "gru_step": gru_step}
    exec(exercise.solution_code, ns)  # noqa: S102 - our own reference code
    return ns[name]


@pytest.mark.parametrize("exercise", [ex_perplexity, ex_temperature, ex_generation_step], ids=lambda e: e.name)
def test_stub_reference_and_types(exercise, capsys):
    assert exercise.check(None).status == NOT_ATTEMPTED
    assert exercise.check(stub).status == NOT_ATTEMPTED
    name = {"perplexity": "perplexity_of", "temperature": "with_temperature", "generation_step": "next_step"}
    result = exercise.check(reference(exercise, name[exercise.name]))
    assert result.status == CORRECT, result.message
    assert result.text() in capsys.readouterr().out
    bad = exercise.check(3.0)
    assert bad.status == INVALID and "pass your function itself" in bad.message


def test_perplexity_wrong_answers():
    cases = {
        lambda p: np.mean(1 / p): "arithmetic mean",
        lambda p: np.exp(np.mean(np.log(p))): "minus sign",
        lambda p: np.exp(-np.sum(np.log(p))): "summed",
        lambda p: -np.mean(np.log(p)): "cross-entropy",
        lambda p: 1 / np.mean(p): "1/mean(p)",
    }
    for f, words in cases.items():
        r = ex_perplexity.check(f)
        assert r.status == INCORRECT and words in r.message, r.message
    r = ex_perplexity.check(lambda p: [1.0, 2.0])
    assert r.status == INVALID and "one number" in r.message
    assert ex_perplexity.check(lambda p: 2 ** (-np.mean(np.log2(p)))).status == CORRECT  # base 2 is the same


def test_temperature_wrong_answers():
    def naive(lg, T):
        e = np.exp(np.asarray(lg) / T)
        return e / e.sum()

    def times(lg, T):
        e = np.exp(np.asarray(lg) * T - np.max(np.asarray(lg) * T))
        return e / e.sum()

    def no_t(lg, T):
        e = np.exp(np.asarray(lg) - np.max(lg))
        return e / e.sum()

    for f, words in ((naive, "overflows"), (times, "multiplied the logits by T"), (no_t, "does not depend on T"),
                     (lambda lg, T: np.exp(np.asarray(lg) / T), "sums to")):
        r = ex_temperature.check(f)
        assert r.status == INCORRECT and words in r.message, r.message
    r = ex_temperature.check(lambda lg, T: np.ones((2, 2)))
    assert r.status == INVALID and "shape" in r.message


def test_generation_step_wrong_answers():
    def softmax(a):
        e = np.exp(a - a.max())
        return e / e.sum()

    def zero_state(params, W, b, h_prev, c):
        h, _ = gru_step(np.eye(W.shape[1])[[c]], np.zeros_like(h_prev), params)
        return h, softmax(h[0] @ W + b)

    def old_probs(params, W, b, h_prev, c):
        h, _ = gru_step(np.eye(W.shape[1])[[c]], h_prev, params)
        return h, softmax(h_prev[0] @ W + b)

    def logits(params, W, b, h_prev, c):
        h, _ = gru_step(np.eye(W.shape[1])[[c]], h_prev, params)
        return h, h[0] @ W + b

    def same_state(params, W, b, h_prev, c):
        return h_prev, softmax(h_prev[0] @ W + b)

    for f, words in ((zero_state, "zero state"), (old_probs, "come from h_prev"), (logits, "softmax"),
                     (same_state, "h_prev unchanged")):
        r = ex_generation_step.check(f)
        assert r.status == INCORRECT and words in r.message, r.message
    r = ex_generation_step.check(lambda *a: np.zeros(3))
    assert r.status == INVALID and "(h, probs)" in r.message
    r = ex_generation_step.check(lambda params, W, b, h, c: (np.zeros((2, 4)), np.ones(5) / 5))
    assert r.status == INVALID and "shape" in r.message


# --- issue 25: answers outside the task's specification are never called correct ------------


def _softmax(a):
    e = np.exp(a - a.max())
    return e / e.sum()


def test_generation_step_probs_of_shape_1_v_are_not_v():
    def row_probs(params, W, b, h_prev, c):
        h, _ = gru_step(np.eye(W.shape[1])[[c]], h_prev, params)
        return h, _softmax(h @ W + b)  # (1, V): the task asks for (V,)

    r = ex_generation_step.check(row_probs)
    assert r.status == INVALID and "(1, 5)" in r.message and "(5,)" in r.message, r.message


def test_generation_step_lists_are_not_arrays():
    right = reference(ex_generation_step, "next_step")
    r = ex_generation_step.check(lambda *a: (right(*a)[0], right(*a)[1].tolist()))
    assert r.status == INVALID and "numpy array" in r.message, r.message


def test_temperature_a_python_list_is_not_an_array():
    right = reference(ex_temperature, "with_temperature")
    r = ex_temperature.check(lambda lg, T: right(lg, T).tolist())
    assert r.status == INVALID and "numpy array" in r.message and "list" in r.message, r.message


def test_temperature_by_calling_softmax_t_is_not_an_answer():
    from grucourse.core import language_model
    from grucourse.core.language_model import softmax_t

    ns = {"softmax_t": softmax_t, "sm": softmax_t, "lm": language_model, "np": np}
    exec("def direct(logits, T):\n    return softmax_t(logits, T)\n"  # noqa: S102
         "def alias(logits, T):\n    return sm(np.asarray(logits), T)\n"
         "def attr(logits, T):\n    return lm.softmax_t(logits, T)\n"
         "def nested(logits, T):\n    f = lambda a: softmax_t(a, T)\n    return f(logits)\n", ns)
    for name in ("direct", "alias", "attr", "nested"):
        r = ex_temperature.check(ns[name])
        assert r.status != CORRECT and "softmax_t" in r.message, (name, r.message)


def test_temperature_nan_on_ordinary_logits_gets_no_overflow_advice():
    r = ex_temperature.check(lambda lg, T: np.full(len(lg), np.nan))
    assert r.status == INCORRECT and "NaN" in r.message, r.message
    assert "overflow" not in r.message, r.message


def test_practice_8_does_not_hand_out_softmax_t():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "exercises" / "08_language_model.ipynb").read_text()
    assert "softmax_t" not in text, "the exercise notebook should not import the answer to 8.2"
