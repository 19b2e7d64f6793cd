"""Every self-check accepts the reference answer, rejects known wrong answers with a specific message,
reports the untouched stub as "not attempted", and answers wrong types or shapes with a clear message."""

import math

from grucourse import checks
from grucourse.checks import CORRECT, INCORRECT, INVALID, NOT_ATTEMPTED, one_unit_gru
from grucourse.checks.core import ERROR, SELF_ASSESS, FailedBuild
from grucourse.core.gru import gru_forward, gru_step, init_gru_params
from grucourse.core.gru_keras import keras_weights

import numpy as np
import pytest


def stub(*args, **kwargs):
    """What tools/make_exercises.py writes in place of a function body."""
    raise NotImplementedError("write your code here")


def reference(exercise, name):
    """Run the exercise's own ``solution()`` code and return the object it defines."""
    ns = {"np": np, "one_unit_gru": one_unit_gru, "gru_step": gru_step}
    exec(exercise.solution_code, ns)  # noqa: S102 - our own reference code
    return ns[name]


def run(exercise, answer, capsys=None):
    result = exercise.check(answer)
    assert result.status in (CORRECT, INCORRECT, NOT_ATTEMPTED, INVALID, ERROR, SELF_ASSESS)
    if capsys is not None:
        assert result.text() in capsys.readouterr().out, "check() must show its verdict"
    return result


def sig(a):
    return 1 / (1 + np.exp(-a))


# --- the stub and wrong types, for every exercise ------------------------------------------

@pytest.mark.parametrize("exercise", checks.EXERCISES, ids=lambda e: e.name)
def test_untouched_stub_is_not_attempted(exercise, capsys):
    result = run(exercise, None, capsys)
    assert result.status == NOT_ATTEMPTED and not result
    assert "replace the stub" in result.message


FUNCTION_EXERCISES = [checks.ex_gru_step, checks.ex_gru_sequence, checks.ex_param_count, checks.ex_to_keras,
                      checks.ex_units_for_budget, checks.ex_half_life]


@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda e: e.name)
def test_function_stub_raising_not_implemented_is_not_attempted(exercise):
    result = run(exercise, stub)
    assert result.status == NOT_ATTEMPTED
    assert "NotImplementedError" in result.message


@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda e: e.name)
def test_a_number_instead_of_a_function_is_invalid(exercise):
    result = run(exercise, 42)
    assert result.status == INVALID
    assert "pass your function itself" in result.message


@pytest.mark.parametrize("exercise", FUNCTION_EXERCISES, ids=lambda e: e.name)
def test_a_function_that_crashes_gives_its_error_not_a_traceback(exercise):
    def broken(*args):
        raise KeyError("oops")

    result = run(exercise, broken)
    assert result.status == ERROR  # an error in the learner's code, with the line that raised it
    assert "raised KeyError at line" in result.message and 'raise KeyError("oops")' in result.message


@pytest.mark.parametrize("exercise", checks.EXERCISES, ids=lambda e: e.name)
def test_hint_and_solution_are_shown(exercise, capsys):
    exercise.hint()
    out = capsys.readouterr().out
    assert out.startswith("Hint") and len(out) > 40
    exercise.hint(99)  # past the last hint: says so and points to the solution, no error
    out = capsys.readouterr().out
    assert f"only {len(exercise.hints)} hint(s)" in out and ".solution()" in out
    exercise.solution()
    assert capsys.readouterr().out.startswith("Solution:")


def test_result_object():
    result = checks.ex_half_life.check(reference(checks.ex_half_life, "half_life"))
    assert result and result.correct and result.exercise == "half_life"
    assert result.text().startswith("Correct: ")
    assert not checks.ex_half_life.check(None)


# --- 2.1 one GRU step ------------------------------------------------------------------------

def test_gru_step_reference_passes(capsys):
    assert run(checks.ex_gru_step, reference(checks.ex_gru_step, "my_gru_step"), capsys).status == CORRECT


@pytest.mark.parametrize("kind, words", [
    ("keras_update", "the Keras way"),
    ("reset_after", "after the product"),
    ("no_reset", "ignores the reset gate"),
    ("no_tanh", "missing its tanh"),
    ("candidate", "you returned the candidate"),
])
def test_gru_step_known_mistakes(kind, words):
    result = run(checks.ex_gru_step, lambda x, h, p: checks.step_variant(x, h, p, kind))
    assert result.status == INCORRECT and words in result.message


def test_gru_step_other_wrong_answer_gets_a_general_message():
    result = run(checks.ex_gru_step, lambda x, h, p: 0.5 * checks.step_variant(x, h, p, "source"))
    assert result.status == INCORRECT and "differs from the reference" in result.message


def test_gru_step_wrong_shapes_and_types():
    assert "got a tuple" in run(checks.ex_gru_step, lambda x, h, p: (h, h)).message
    assert "got a tuple" in run(checks.ex_gru_step, lambda x, h, p: (h, {"z": h})).message
    assert run(checks.ex_gru_step, lambda x, h, p: checks.step_variant(x, h, p, "source").tolist()).correct
    assert "has shape (5, 3), expected (3, 5)" in run(checks.ex_gru_step, lambda x, h, p: h.T).message
    assert "numeric array" in run(checks.ex_gru_step, lambda x, h, p: "h").message
    assert "NaN" in run(checks.ex_gru_step, lambda x, h, p: h * np.nan).message


# --- 2.2 from one step to a sequence ------------------------------------------------------------

def test_gru_sequence_reference_passes():
    assert run(checks.ex_gru_sequence, reference(checks.ex_gru_sequence, "my_gru_sequence")).status == CORRECT


@pytest.mark.parametrize("kind, words", [
    ("no_feedback", "starts again from h0"),
    ("with_h0", "shifted by one step"),
    ("reversed", "backwards"),
])
def test_gru_sequence_known_mistakes(kind, words):
    def wrong(x, p, h0=None):
        return checks.GRUSequence._variant(x, p, h0, kind)

    result = run(checks.ex_gru_sequence, wrong)
    assert result.status == INCORRECT and words in result.message


def test_gru_sequence_wrong_shapes():
    def last_only(x, p, h0=None):
        return gru_forward(x, p, h0=h0)  # (B, u)

    def time_major(x, p, h0=None):
        return gru_forward(x, p, h0=h0, return_gates=True)[1]["h"].transpose(1, 0, 2)  # (T, B, u)

    def no_h0(x, p):
        return gru_forward(x, p, return_gates=True)[1]["h"]

    assert "only the last state" in run(checks.ex_gru_sequence, last_only).message
    assert "put time on axis 1" in run(checks.ex_gru_sequence, time_major).message
    assert "raised TypeError" in run(checks.ex_gru_sequence, no_h0).message


# --- 2.3 parameter count ----------------------------------------------------------------------

def test_param_count_reference_passes():
    result = run(checks.ex_param_count, reference(checks.ex_param_count, "gru_param_count"))
    assert result.status == CORRECT and "4224" in result.message


@pytest.mark.parametrize("formula, words", [
    (lambda d, u, ra=True: 3 * u * (d + u + 1), "one bias vector per block"),
    (lambda d, u, ra=True: 3 * u * (d + u + 2), "two bias vectors per block"),
    (lambda d, u, ra=True: 3 * u * (d + u), "no biases"),
    (lambda d, u, ra=True: 4 * u * (d + u + 1), "LSTM"),
    (lambda d, u, ra=True: u * (d + u + 1), "SimpleRNN"),
])
def test_param_count_known_mistakes(formula, words):
    result = run(checks.ex_param_count, formula)
    assert result.status == INCORRECT and words in result.message


def test_param_count_wrong_types():
    assert "return a whole number" in run(checks.ex_param_count, lambda d, u, ra=True: "4224").message
    assert "not a whole number" in run(checks.ex_param_count, lambda d, u, ra=True: 0.5).message
    assert run(checks.ex_param_count, lambda d, u, ra=True: float(3 * u * (d + u + (2 if ra else 1)))).correct


# --- 2.4 source -> Keras weights -------------------------------------------------------------

def test_to_keras_reference_passes():
    fn = reference(checks.ex_to_keras, "my_to_keras")
    assert run(checks.ex_to_keras, fn).status == CORRECT
    p = init_gru_params(3, 2, np.random.default_rng(0))
    for a, b in zip(fn(p), keras_weights(p), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind, words", [
    ("no_negation", "not negated"),
    ("rzh_order", "order r, z, h"),
    ("negate_all", "negated every block"),
])
def test_to_keras_known_mistakes(kind, words):
    result = run(checks.ex_to_keras, lambda p: checks.ToKeras._variant(p, kind))
    assert result.status == INCORRECT and words in result.message


def test_to_keras_wrong_types_and_shapes():
    fn = reference(checks.ex_to_keras, "my_to_keras")
    assert "got list of length 2" in run(checks.ex_to_keras, lambda p: fn(p)[:2]).message
    assert "got dict" in run(checks.ex_to_keras, lambda p: {"kernel": 1}).message
    bias_2d = run(checks.ex_to_keras, lambda p: [*fn(p)[:2], np.stack([fn(p)[2], 0 * fn(p)[2]])])
    assert bias_2d.status == INVALID and "bias" in bias_2d.message and "expected (9,)" in bias_2d.message
    transposed = run(checks.ex_to_keras, lambda p: [fn(p)[0].T, *fn(p)[1:]])
    assert transposed.status == INVALID and "kernel" in transposed.message


# --- 2.5 units for a parameter budget -----------------------------------------------------------

def test_units_for_budget_reference_passes():
    fn = reference(checks.ex_units_for_budget, "gru_units_for_budget")
    result = run(checks.ex_units_for_budget, fn)
    assert result.status == CORRECT and "1216" in result.message
    assert fn(2, 1216) == 18  # 3 * 18 * (2 + 18 + 2) = 1188 <= 1216 < 3 * 19 * 23 = 1311


@pytest.mark.parametrize("formula, words", [
    (lambda d, b: checks.UnitsForBudget.largest(d, b) + 1, "off by one"),
    (lambda d, b: checks.UnitsForBudget.largest(d, b, reset_after=False), "reset_after=False"),
    (lambda d, b: checks.UnitsForBudget.largest(d, b) + 3, "more than the budget"),
    (lambda d, b: 1, "a wider GRU still fits"),
])
def test_units_for_budget_known_mistakes(formula, words):
    result = run(checks.ex_units_for_budget, formula)
    assert result.status == INCORRECT and words in result.message


def test_units_for_budget_wrong_types():
    assert "whole number of units" in run(checks.ex_units_for_budget, lambda d, b: 17.5).message
    assert "whole number of units" in run(checks.ex_units_for_budget, lambda d, b: "18").message


# --- 3.1 half-life ----------------------------------------------------------------------------

def test_half_life_reference_passes():
    fn = reference(checks.ex_half_life, "half_life")
    assert run(checks.ex_half_life, fn).status == CORRECT
    assert (1 - 0.2) ** fn(0.2) == pytest.approx(0.5)


@pytest.mark.parametrize("formula, words", [
    (lambda z: math.log(0.5) / math.log(z), "z as the fraction kept"),
    (lambda z: math.log(2) / z, "small-z approximation"),
    (lambda z: 1 / z, "not the half-life"),
    (lambda z: math.ceil(math.log(0.5) / math.log(1 - z)), "rounded"),
])
def test_half_life_known_mistakes(formula, words):
    result = run(checks.ex_half_life, formula)
    assert result.status == INCORRECT and words in result.message


def test_half_life_wrong_types():
    assert "return one number" in run(checks.ex_half_life, lambda z: "ten").message
    assert "return one number" in run(checks.ex_half_life, lambda z: [1.0, 2.0]).message
    assert run(checks.ex_half_life, lambda z: np.array([math.log(0.5) / math.log(1 - z)])).correct


# --- 3.2 carry and 3.3 reset -------------------------------------------------------------------

def test_carry_reference_passes():
    assert run(checks.ex_carry, reference(checks.ex_carry, "carry_params")).status == CORRECT


@pytest.mark.parametrize("params, words", [
    (one_unit_gru(b_z=10.0), "mostly open"),  # the Keras intuition: z = 1 keeps
    (one_unit_gru(), "far from closed"),  # all zeros: z = 0.5
    (one_unit_gru(b_z=-3.0), "not small enough"),
])
def test_carry_known_mistakes(params, words):
    result = run(checks.ex_carry, params)
    assert result.status == INCORRECT and words in result.message


def test_carry_wrong_types_and_shapes():
    assert "should be a GRUParams" in run(checks.ex_carry, {"b_z": -10}).message
    assert "d=1 input(s) and 1 unit, got d=2" in run(checks.ex_carry, one_unit_gru(d=2)).message
    big = init_gru_params(1, 3, np.random.default_rng(0))
    assert "got d=1, u=3" in run(checks.ex_carry, big).message


def test_reset_reference_passes():
    assert run(checks.ex_reset, reference(checks.ex_reset, "reset_params")).status == CORRECT


@pytest.mark.parametrize("params, words", [
    # the misconception: a closed reset gate alone does not erase the state
    (one_unit_gru(d=2, b_z=-10.0, W_r=[0.0, -20.0], b_r=10.0, U_h=1.0), "Only the update gate"),
    # the update gate opens, but the candidate still sees the old state
    (one_unit_gru(d=2, W_z=[0.0, 20.0], b_z=-10.0, U_h=1.0), "Close the reset gate"),
    # the update gate is open all the time
    (one_unit_gru(d=2, b_z=10.0, U_h=1.0), "drifts before any marker"),
])
def test_reset_known_mistakes(params, words):
    result = run(checks.ex_reset, params)
    assert result.status == INCORRECT and words in result.message


def test_reset_wrong_types_and_given_weight():
    assert "keep U_h = 1.0" in run(checks.ex_reset, one_unit_gru(d=2, W_z=[0.0, 20.0], b_z=-10.0)).message
    assert "should have d=2" in run(checks.ex_reset, one_unit_gru(d=1, U_h=1.0)).message
    assert "should be a GRUParams" in run(checks.ex_reset, [0.0, 20.0]).message


def test_one_unit_gru_builds_and_validates():
    p = one_unit_gru(d=2, W_z=[1.0, 2.0], b_r=3.0)
    assert p.W_z.shape == (2, 1) and p.U_h.shape == (1, 1) and p.b_r.tolist() == [3.0]
    assert p.W_h.tolist() == [[0.0], [0.0]]
    # Wrong arguments give a FailedBuild that says what is wrong, and the next check reports it
    # (a raised error would leave the previous run's answer in the variable, and the check would grade that).
    cases = {
        "unknown weight name": dict(W_q=1.0),
        "d is the number of inputs, a positive whole number": dict(d=0),
        "W_z has 2 number(s) but d=1: pass d=2": dict(W_z=[0.0, 20.0]),
        "W_z is one number but d=2: give one weight per input": dict(d=2, W_z=20.0),
        "b_z must be one number": dict(b_z=[1.0, 2.0]),
        "NaN": dict(U_h=float("nan")),
    }
    for words, kwargs in cases.items():
        built = one_unit_gru(**kwargs)
        assert isinstance(built, FailedBuild) and words in built.message, (kwargs, built)
        result = run(checks.ex_reset, built)
        assert result.status == INVALID and "not built yet" in result.message and words in result.message


# --- 4.1 train a GRU that beats the baseline (fake models: no training in unit tests) ---------------

class Oracle:
    def predict(self, X, verbose=0):
        return (X[:, :, 0] * X[:, :, 1]).sum(axis=1)[:, None]  # (n, 1): the exact sum


class Mean:
    def predict(self, X, verbose=0):
        return np.ones((len(X), 1))  # (n, 1): the baseline


class Halfway:
    def predict(self, X, verbose=0):
        return 0.5 * (Oracle().predict(X) + Mean().predict(X))  # better than the mean, not enough


def test_train_oracle_passes():
    result = run(checks.ex_train, Oracle())
    assert result.status == CORRECT and "perfect" in result.message


@pytest.mark.parametrize("model, words", [
    (Mean(), "no better than always predicting 1.0"),
    (Halfway(), "needs to be 4x"),
])
def test_train_known_mistakes(model, words):
    result = run(checks.ex_train, model)
    assert result.status == INCORRECT and words in result.message


def test_train_wrong_types_and_shapes():
    assert "expected (1000, 1)" in run(checks.ex_train, lambda X: X).message
    assert "NaN" in run(checks.ex_train, lambda X: np.full((len(X), 1), np.nan)).message
    assert "anything with .predict" in run(checks.ex_train, 3.5).message
    assert "failed with ValueError" in run(checks.ex_train, lambda X: np.ones((2, 3)) @ np.ones((2, 3))).message
    assert run(checks.ex_train, stub).status == NOT_ATTEMPTED
    assert run(checks.ex_train, lambda X: Oracle().predict(X)[:, 0]).correct  # shape (n,) is fine too


# --- reader tasks -----------------------------------------------------------------------------

# Reader tasks: tests/test_checks_reader_tasks.py


def test_quiz_questions_are_well_formed():
    for q in checks.QUIZ:
        assert q["type"] == "multiple_choice" and q["question"]
        assert sum(a["correct"] for a in q["answers"]) == 1, q["question"]
        assert all(a["feedback"] for a in q["answers"])
