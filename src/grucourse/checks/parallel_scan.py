"""Checkers of exercise set 5: the parallel scan (the combine operator, GRU -> minGRU, its parameters)."""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    _as_array,
    _call,
    _incorrect,
    _invalid,
    _need_callable,
    _Verdict,
)
from grucourse.gru import init_gru_params

import numpy as np

# --- Exercise 5.1: the combine operator -------------------------------------------------------


class Combine(Exercise):
    name = "combine"
    hints = (
        "Apply step 1, then step 2 to a state h: a_2 (a_1 h + b_1) + b_2. Read off the factor of h "
        "and the rest.",
        "return a1 * a2, a2 * b1 + b2",
    )
    solution_code = '''
def combine(left, right):
    (a1, b1), (a2, b2) = left, right   # step 1, then step 2
    return a1 * a2, a2 * b1 + b2        # a2 (a1 h + b1) + b2
'''
    _wrong = {
        "your b is a1 * b2 + b1: that applies step 2 first. The left pair is the earlier step, so its b "
        "is scaled by the later a: a2 * b1 + b2.": lambda a1, b1, a2, b2: (a1 * a2, a1 * b2 + b1),
        "your b is b1 + b2: the earlier step's b1 must decay by the later step's a2 first (a2 * b1 + b2).":
            lambda a1, b1, a2, b2: (a1 * a2, b1 + b2),
        "your a is a1 + a2: composing two scalings multiplies them (a1 * a2).":
            lambda a1, b1, a2, b2: (a1 + a2, a2 * b1 + b2),
    }

    def _grade(self, answer):
        _need_callable(answer, "combine")
        rng = np.random.default_rng(5)
        pairs = [(rng.uniform(0.05, 1, 7), rng.normal(size=7)) for _ in range(3)]
        out = _call(answer, pairs[0], pairs[1], what="combine(left, right)")
        if not isinstance(out, tuple | list) or len(out) != 2:
            raise _invalid(f"combine should return a pair (a, b), got {type(out).__name__} {out!r:.60}")
        got = [_as_array(v, name, (7,)) for v, name in zip(out, ("a", "b"), strict=True)]
        (a1, b1), (a2, b2) = pairs[0], pairs[1]
        if np.allclose(got[0], a1 * a2) and np.allclose(got[1], a2 * b1 + b2):
            left = _call(answer, _call(answer, pairs[0], pairs[1]), pairs[2], what="combine")
            right = _call(answer, pairs[0], _call(answer, pairs[1], pairs[2]), what="combine")
            gap = max(float(np.abs(np.asarray(x) - np.asarray(y)).max()) for x, y in zip(left, right, strict=True))
            raise _Verdict(CORRECT, f"and it is associative: on random numbers (e1 o e2) o e3 and e1 o (e2 o e3) "
                                    f"differ by at most {gap:.1e}, rounding only.")
        for message, f in self._wrong.items():
            want = f(a1, b1, a2, b2)
            if np.allclose(got[0], want[0]) and np.allclose(got[1], want[1]):
                raise _incorrect(message)
        raise _incorrect("apply (a1, b1) and then (a2, b2) to a state h by hand and compare with your pair.")


# --- Exercise 5.2: a GRU becomes a minGRU ----------------------------------------------------


class ToMinGRU(Exercise):
    name = "to_mingru"
    hints = (
        "minGRU keeps the update gate's and the candidate's input weights and biases: W_z, b_z, W_h, b_h.",
        "The GRU here is in Keras's convention (z near 1 keeps): flip it to the source convention first, "
        "grucourse.gru.convert_convention(params, 'source'), which negates W_z and b_z.",
    )
    solution_code = '''
def to_mingru(params):
    p = convert_convention(params, "source")   # minGRU uses (1 - z) h + z h~
    return MinGRUParams(W_z=p.W_z, b_z=p.b_z, W_h=p.W_h, b_h=p.b_h)
'''

    def _grade(self, answer):
        from grucourse.mingru import MinGRUParams, from_gru

        _need_callable(answer, "to_mingru")
        gru = init_gru_params(3, 4, np.random.default_rng(52), convention="keras", reset_after=True)
        out = _call(answer, gru, what="to_mingru(params)")
        if not isinstance(out, MinGRUParams):
            raise _invalid(f"to_mingru should return a MinGRUParams, got {type(out).__name__}")
        want = from_gru(gru)
        if all(np.allclose(getattr(out, k), getattr(want, k)) for k in ("W_z", "b_z", "W_h", "b_h")):
            raise _Verdict(CORRECT, "the update gate is negated (Keras's z is 1 - z) and every U, the reset gate "
                                    "and b_hh are gone.")
        if np.allclose(out.W_z, gru.W_z) and np.allclose(out.b_z, gru.b_z):
            raise _incorrect("W_z and b_z are copied as they are, but this GRU is in Keras's convention (z near 1 "
                             "keeps). minGRU uses the source convention: negate them (convert_convention).")
        if np.allclose(np.abs(out.W_z), np.abs(gru.W_r)):
            raise _incorrect("your W_z comes from the reset gate; minGRU keeps the update gate and drops r.")
        raise _incorrect("compare each of W_z, b_z, W_h, b_h with the GRU's own weights in the source convention.")


# --- Exercise 5.3: count minGRU's parameters -------------------------------------------------


class MinGRUParamCount(Exercise):
    name = "mingru_param_count"
    hints = (
        "Two input matrices W_z and W_h of shape (d, u), and two biases of length u.",
        "2 * u * d + 2 * u = 2u(d + 1).",
    )
    solution_code = '''
def mingru_param_count(d, u):
    return 2 * u * (d + 1)   # W_z, W_h (d x u each) and b_z, b_h
'''
    CASES = ((10, 32), (1, 1), (3, 7), (128, 64))
    _wrong = {
        "that is the GRU's count 3u(d+u+2): minGRU has no recurrent matrices, no reset gate and one bias per "
        "gate.": lambda d, u: 3 * u * (d + u + 2),
        "you kept the recurrent matrices U_z, U_h (u x u): minGRU's gates read the input only.":
            lambda d, u: 2 * u * (d + u + 1),
        "you left out the two biases b_z and b_h.": lambda d, u: 2 * u * d,
        "you kept a third gate (the reset gate): minGRU has only z and the candidate.":
            lambda d, u: 3 * u * (d + 1),
    }

    def _grade(self, answer):
        _need_callable(answer, "mingru_param_count")
        got = []
        for d, u in self.CASES:
            v = _call(answer, d, u, what=f"mingru_param_count({d}, {u})")
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise _invalid(f"mingru_param_count({d}, {u}) returned {type(v).__name__} {v!r:.40}; "
                               "return a whole number")
            got.append(int(v))
        if got == [2 * u * (d + 1) for d, u in self.CASES]:
            raise _Verdict(CORRECT, f"d=10, u=32 gives {got[0]} parameters, against 3u(d+u+2) = "
                                    f"{3 * 32 * 44} for a GRU.")
        for message, f in self._wrong.items():
            if got == [f(d, u) for d, u in self.CASES]:
                raise _incorrect(message)
        raise _incorrect(f"for d=10, u=32 you returned {got[0]}; count W_z, W_h and the biases.")
