"""Checkers of exercise set 5: the parallel scan (the combine operator, GRU -> minGRU, its
parameters, the scan by hand for T = 8)."""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    as_array,
    call_answer,
    incorrect,
    invalid,
    is_stub,
    need_callable,
    not_attempted,
)
from grucourse.core.gru import init_gru_params

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
        "your b is a1 * b2 + b1: that applies step 2 first. The left pair is the earlier step, "
        "so its b is scaled by the later a: a2 * b1 + b2.":
            lambda a1, b1, a2, b2: (a1 * a2, a1 * b2 + b1),
        "your b is b1 + b2: the earlier step's b1 must decay by the later "
        "step's a2 first (a2 * b1 + b2).":
            lambda a1, b1, a2, b2: (a1 * a2, b1 + b2),
        "your a is a1 + a2: composing two scalings multiplies them (a1 * a2).":
            lambda a1, b1, a2, b2: (a1 + a2, a2 * b1 + b2),
    }

    def _grade(self, answer):
        need_callable(answer, "combine")
        rng = np.random.default_rng(5)
        pairs = [(rng.uniform(0.05, 1, 7), rng.normal(size=7)) for _ in range(3)]
        out = call_answer(answer, pairs[0], pairs[1], what="combine(left, right)")
        if not isinstance(out, tuple | list) or len(out) != 2:
            raise invalid(f"combine should return a pair (a, b), got {type(out).__name__} "
                           f"{out!r:.60}")
        got = [as_array(v, name, (7,)) for v, name in zip(out, ("a", "b"), strict=True)]
        (a1, b1), (a2, b2) = pairs[0], pairs[1]
        if np.allclose(got[0], a1 * a2) and np.allclose(got[1], a2 * b1 + b2):
            left = call_answer(answer, call_answer(answer, pairs[0], pairs[1]), pairs[2],
                               what="combine")
            right = call_answer(answer, pairs[0], call_answer(answer, pairs[1], pairs[2]),
                                what="combine")
            gap = max(float(np.abs(np.asarray(x) - np.asarray(y)).max())
                      for x, y in zip(left, right, strict=True))
            raise Verdict(CORRECT, "and it is associative: on random numbers (e1 o e2) o e3 and "
                                    f"e1 o (e2 o e3) differ by at most {gap:.1e}, rounding only.")
        for message, f in self._wrong.items():
            want = f(a1, b1, a2, b2)
            if np.allclose(got[0], want[0]) and np.allclose(got[1], want[1]):
                raise incorrect(message)
        raise incorrect("apply (a1, b1) and then (a2, b2) to a state h by hand and "
                         "compare with your pair.")


# --- Exercise 5.2: a GRU becomes a minGRU ----------------------------------------------------


class ToMinGRU(Exercise):
    name = "to_mingru"
    hints = (
        "minGRU keeps the update gate's and the candidate's input weights and "
        "biases: W_z, b_z, W_h, b_h.",
        "The GRU here is in Keras's convention (z near 1 keeps): flip it to the source "
        "convention first, grucourse.core.gru.convert_convention(params, 'source'), "
        "which negates W_z and b_z.",
    )
    solution_code = '''
def to_mingru(params):
    p = convert_convention(params, "source")   # minGRU uses (1 - z) h + z h~
    return MinGRUParams(W_z=p.W_z, b_z=p.b_z, W_h=p.W_h, b_h=p.b_h)
'''

    def _grade(self, answer):
        from grucourse.core.mingru import MinGRUParams, from_gru

        need_callable(answer, "to_mingru")
        gru = init_gru_params(3, 4, np.random.default_rng(52), convention="keras", reset_after=True)
        out = call_answer(answer, gru, what="to_mingru(params)")
        if not isinstance(out, MinGRUParams):
            raise invalid(f"to_mingru should return a MinGRUParams, got {type(out).__name__}")
        want = from_gru(gru)
        if all(np.allclose(getattr(out, k), getattr(want, k))
               for k in ("W_z", "b_z", "W_h", "b_h")):
            raise Verdict(CORRECT, "the update gate is negated (Keras's z is 1 - z) and every U, "
                                    "the reset gate and b_hh are gone.")
        if np.allclose(out.W_z, gru.W_z) and np.allclose(out.b_z, gru.b_z):
            raise incorrect("W_z and b_z are copied as they are, but this GRU is in Keras's "
                             "convention (z near 1 keeps). minGRU uses the source convention: "
                             "negate them (convert_convention).")
        if np.allclose(np.abs(out.W_z), np.abs(gru.W_r)):
            raise incorrect("your W_z comes from the reset gate; minGRU keeps the "
                             "update gate and drops r.")
        raise incorrect("compare each of W_z, b_z, W_h, b_h with the GRU's own weights "
                         "in the source convention.")


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
        "that is the GRU's count 3u(d+u+2): minGRU has no recurrent matrices, no reset gate and "
        "one bias per gate.": lambda d, u: 3 * u * (d + u + 2),
        "you kept the recurrent matrices U_z, U_h (u x u): minGRU's gates read the input only.":
            lambda d, u: 2 * u * (d + u + 1),
        "you left out the two biases b_z and b_h.": lambda d, u: 2 * u * d,
        "you kept a third gate (the reset gate): minGRU has only z and the candidate.":
            lambda d, u: 3 * u * (d + 1),
    }

    def _grade(self, answer):
        need_callable(answer, "mingru_param_count")
        got = []
        for d, u in self.CASES:
            v = call_answer(answer, d, u, what=f"mingru_param_count({d}, {u})")
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise invalid(f"mingru_param_count({d}, {u}) returned {type(v).__name__} "
                               f"{v!r:.40}; return a whole number")
            got.append(int(v))
        if got == [2 * u * (d + 1) for d, u in self.CASES]:
            raise Verdict(CORRECT, f"d=10, u=32 gives {got[0]} parameters, against 3u(d+u+2) = "
                                    f"{3 * 32 * 44} for a GRU.")
        for message, f in self._wrong.items():
            if got == [f(d, u) for d, u in self.CASES]:
                raise incorrect(message)
        raise incorrect(f"for d=10, u=32 you returned {got[0]}; count W_z, W_h and the biases.")


# --- Exercise 5.4: the scan by hand for T = 8 -------------------------------------------------


def _level(a, b, s, swap=False):
    """One Hillis-Steele level with offset ``s`` on ``a, b`` ``(T,)``: position ``t >= s``
    combines with ``t - s``.

    ``swap=True`` combines in the wrong order (the later pair first), a known mistake.
    """
    a_new, b_new = a.copy(), b.copy()  # (T,): positions t < s keep their pair
    if swap:
        a_new[s:], b_new[s:] = a[s:] * a[:-s], a[:-s] * b[s:] + b[:-s]
    else:
        a_new[s:], b_new[s:] = a[:-s] * a[s:], a[s:] * b[:-s] + b[s:]  # (a1 a2, a2 b1 + b2)
    return a_new, b_new


class ScanByHand(Exercise):
    name = "scan_by_hand"
    A = (0.5,) * 8  # a_t: every step keeps half of the state
    B = (4.0, 2.0, 0.0, 8.0, 4.0, 0.0, 2.0, 6.0)  # b_t
    hints = (
        "Level 1 (offset 1): every position t >= 1 combines with t - 1, the earlier pair "
        "on the left: a becomes a_{t-1} a_t and b becomes a_t b_{t-1} + b_t. Position 0 "
        "has no partner and keeps (0.5, 4).",
        "Level 2 uses offset 2 and the pairs of level 1; level 3 uses offset 4 and the pairs of "
        "level 2. After level 1: a = [0.5, 0.25, 0.25, ...], b = [4, 4, 1, 8, 8, 2, 2, 7].",
    )
    solution_code = '''
levels = [  # (a, b) after each level; a_t = 0.5, b = [4, 2, 0, 8, 4, 0, 2, 6]
    ([1/2, 1/4, 1/4, 1/4, 1/4, 1/4, 1/4, 1/4], [4, 4, 1, 8, 8, 2, 2, 7]),\
                  # offset 1
    ([1/2, 1/4, 1/8, 1/16, 1/16, 1/16, 1/16, 1/16], [4, 4, 2, 9, 8.25, 4, 4, 7.5]),\
        # offset 2
    ([1/2, 1/4, 1/8, 1/16, 1/32, 1/64, 1/128, 1/256], [4, 4, 2, 9, 8.5, 4.25, 4.125, 8.0625]),\
  # offset 4
]
'''
    solution_note = ("The last b is h_t of the loop h_t = 0.5 h_{t-1} + b_t, "
                     "and the last a is 0.5^(t+1).")

    def reference_levels(self):
        """The input and the pairs after levels 1, 2, 3: a list of four ``(a (8,), b (8,))``."""
        a, b = np.array(self.A), np.array(self.B)  # (8,) each
        out = [(a, b)]
        for s in (1, 2, 4):
            out.append(_level(*out[-1], s))
        return out

    def _pairs(self, answer):
        if is_stub(answer):
            raise not_attempted("(levels = [(a, b), (a, b), (a, b)])")
        if callable(answer):
            raise invalid("levels should be a list of three (a, b) pairs of "
                           "numbers, not a function")
        answer = self._one_array(answer)
        if not isinstance(answer, list | tuple):
            raise invalid("levels should be a list of three (a, b) pairs, got "
                           f"{type(answer).__name__}")
        pairs = []
        for k, pair in enumerate(answer, start=1):
            if not isinstance(pair, list | tuple | np.ndarray) or len(pair) != 2:
                raise invalid(f"item {k} of levels should be a pair (a, b) of two "
                               "lists of 8 numbers")
            for v, name in zip(pair, "ab", strict=True):
                try:
                    np.asarray(v, dtype=np.float64)
                except (TypeError, ValueError):
                    raise invalid(f"{name} of item {k} should be 8 numbers (fractions such as "
                                   f"1/16 are fine), got {v!r:.60}") from None
            pairs.append(tuple(as_array(v, f"{name} of item {k}", (8,))
                               for v, name in zip(pair, "ab", strict=True)))
        return pairs

    @staticmethod
    def _one_array(answer):
        """``np.array(levels)`` of shape ``(levels, 2, 8)`` (level, (a, b), t) as the list of
        pairs it holds; an array of any other shape is ambiguous and refused."""
        if not isinstance(answer, np.ndarray) or answer.dtype == object:
            return answer.tolist() if isinstance(answer, np.ndarray) else answer
        if answer.ndim != 3 or answer.shape[1:] != (2, 8):
            raise invalid("as one array, levels should have shape (3, 2, 8): the three levels, "
                           f"each a pair (a, b) of 8 numbers; got shape {answer.shape}")
        return [(row[0], row[1]) for row in answer]

    def _grade(self, answer):
        pairs = self._pairs(answer)
        ref = self.reference_levels()
        if len(pairs) == 4 and self._same(pairs[0], ref[0]):
            raise invalid("leave out the input (level 0): levels holds the pairs "
                           "after levels 1, 2 and 3")
        if len(pairs) != 3:
            raise invalid("levels should hold 3 pairs, one per level (offsets 1, 2, 4) for "
                           f"T = 8; got {len(pairs)}")
        for k, (got, want) in enumerate(zip(pairs, ref[1:], strict=True), start=1):
            if not self._same(got, want):
                self._diagnose(k, got, ref)
        raise Verdict(CORRECT, "after 3 levels b holds every state h_t of the loop "
                                "h_t = 0.5 h_(t-1) + b_t, and a holds 0.5^(t+1): 8 states in 3 "
                                "dependent steps instead of 7.")

    @staticmethod
    def _same(x, y):
        return all(np.allclose(u, v, rtol=0, atol=1e-4) for u, v in zip(x, y, strict=True))

    def _diagnose(self, k, got, ref):
        s, prev, where = 2 ** (k - 1), ref[k - 1], f"level {k} (offset {2 ** (k - 1)})"
        if self._same(got, _level(*prev, s, swap=True)):
            raise incorrect(f"{where} combines in the wrong order: the earlier pair (t - {s}) "
                             f"is the left one, so b becomes a_t b_(t-{s}) + b_t, not "
                             f"a_(t-{s}) b_t + b_(t-{s}).")
        for other in (1, 2, 4):
            if other != s and self._same(got, _level(*prev, other)):
                raise incorrect(f"{where} combined each position with the one {other} "
                                 f"place(s) earlier; level {k} pairs position t with t - {s} "
                                 "(the offset doubles every level).")
        if k < 3 and self._same(got, ref[k + 1]):
            raise incorrect(f"your level {k} is what level {k + 1} gives: one level was skipped.")
        if self._same(got, prev):
            raise incorrect(f"your {where} is the same as the level before it: combine every "
                             f"t >= {s} with t - {s}.")
        want = ref[k]
        if np.allclose(got[1], want[1], atol=1e-4) and np.allclose(got[0], prev[0], atol=1e-4):
            raise incorrect(f"b of {where} is right, but a was not updated: "
                             f"a_t becomes a_(t-{s}) a_t, which the next level needs.")
        if not (np.allclose(got[0][:s], prev[0][:s], atol=1e-4)
                and np.allclose(got[1][:s], prev[1][:s], atol=1e-4)):
            raise incorrect(f"in {where}, positions t < {s} have no partner {s} steps back: "
                             "they keep their pair from the level before.")
        t = int(np.flatnonzero(~(np.isclose(got[0], want[0], atol=1e-4)
                                 & np.isclose(got[1], want[1], atol=1e-4)))[0])
        raise incorrect(f"{where} is off from position t = {t}: combine the pair at "
                         f"t - {s} (left) with the pair at t (right) from level {k - 1}, "
                         "(a1 a2, a2 b1 + b2).")
