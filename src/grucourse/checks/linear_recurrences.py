"""Checkers of exercise set 9: what linear recurrences cannot track (chapter 23).

9.1 ``parity_transition(x)``: the pairs ``(a_t, b_t)`` of a linear recurrence
``h_t = a_t h_{t-1} + b_t`` (``h_{-1} = 0``) whose state is the parity of the bits so far
(within :data:`TOLERANCE` of 0 or 1 at every step).
9.2 ``parity_unit()``: the four weights ``(w_z, b_z, w_h, b_h)`` of one negative-range minGRU unit
(``a_t = 1 - 2 sigmoid(x_t w_z + b_z)``, ``b_t = z_t (x_t w_h + b_h)``) that tracks parity in
float32. Both are run at lengths the learner never saw (up to :data:`LENGTHS`' last); the message
names the first length that fails and why.
"""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    call_answer,
    incorrect,
    invalid,
    need_array,
    need_callable,
)
from grucourse.core.mingru import MinGRUParams, mingru_loop

import numpy as np

LENGTHS = (1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
TOLERANCE = 0.25  # the state must lie this close to the parity (0 or 1) after every bit


def _strings(T: int, n: int = 8) -> np.ndarray:
    """``n`` bit strings of length ``T`` ``(n, T)``, the first all ones (flip after flip)."""
    bits = np.random.default_rng([9, T]).integers(0, 2, size=(n, T))  # (n, T)
    bits[0] = 1
    return bits


def _first_wrong_length(states_for):
    """The first ``T`` in :data:`LENGTHS` where a state ``states_for(bits)`` lies further than
    :data:`TOLERANCE` from the parity of its prefix, with that ``bits`` ``(n, T)`` and the states
    ``(n, T)``; ``None`` if none."""
    for T in LENGTHS:
        bits = _strings(T)
        h = states_for(bits)  # (n, T)
        if not np.all(np.abs(h - np.cumsum(bits, axis=1) % 2) < TOLERANCE):
            return T, bits, h
    return None


def _run(a, b):
    """States of ``h_t = a_t h_{t-1} + b_t`` from 0, a numpy loop over time: ``(n, T)``."""
    h, out = np.zeros(a.shape[0]), np.empty_like(a)
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]  # (n,)
        out[:, t] = h
    return out


# --- Exercise 9.1: the sign-flip step of parity ----------------------------------------------


class ParityTransition(Exercise):
    name = "parity_transition"
    hints = (
        "Keep the state on a 0 (a = 1, b = 0). On a 1 the state must become 1 - h: "
        "write 1 - h as a h + b.",
        "1 - h = (-1) h + 1, so on a 1: a = -1, b = 1. Both at once: a = 1 - 2x, b = x.",
    )
    solution_code = '''
def parity_transition(x):
    a = 1.0 - 2.0 * x   # +1 keeps (a 0), -1 flips (a 1)
    b = 1.0 * x         # h -> 1 - h on a 1
    return a, b
'''

    def _grade(self, answer):
        need_callable(answer, "parity_transition")
        bits = _strings(5)
        out = call_answer(answer, bits.astype(np.float64), what="parity_transition(x)")
        if not isinstance(out, tuple | list) or len(out) != 2:
            raise invalid("parity_transition should return a pair (a, b) of arrays shaped "
                           f"like x, got {type(out).__name__} {out!r:.60}")
        for v, name in zip(out, "ab", strict=True):
            need_array(v, name, bits.shape)

        def states_for(bits):
            a, b = call_answer(answer, bits.astype(np.float64), what="parity_transition(x)")
            a, b = (need_array(v, n, bits.shape).astype(np.float64)
                    for v, n in zip((a, b), "ab", strict=True))
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                raise invalid("a or b contains NaN or infinity")
            return _run(a, b)

        wrong = _first_wrong_length(states_for)
        if wrong is None:
            raise Verdict(CORRECT, f"after every bit of strings up to {LENGTHS[-1]} bits the "
                                    "state is the parity so far: a = -1 on a 1 flips it, "
                                    "exactly, at any length. No a in [0, 1] could do this.")
        T, bits, _ = wrong
        a, b = (np.asarray(v, dtype=np.float64)
                for v in call_answer(answer, bits.astype(np.float64), what="parity_transition(x)"))
        why = self._why(a[bits == 1], a[bits == 0], b[bits == 1], b[bits == 0])
        raise incorrect(f"first wrong at length {T}: {why}")

    @staticmethod
    def _why(a1, a0, b1, b0):
        if np.all(a1 >= 0):
            return ("a is never negative on a 1, so the state can be reset or scaled but never "
                    "flipped: an even state and an odd one keep their order. Let a be -1 on a 1.")
        if np.any(a0 <= 0):
            return "on a 0 parity does not change: keep the state (a = 1, b = 0 there)."
        smallest = min(np.abs(a1).min(), np.abs(a0).min() if a0.size else 1.0)
        if smallest < 1 - 1e-9:
            return (f"|a| is {smallest:.3g}, not 1: every step shrinks the gap between odd and "
                    "even by that factor, so a long string wears it away. Use a = -1 on a 1 "
                    "and a = +1 on a 0, exactly.")
        if np.any(np.abs(b0) > 1e-9):
            return "on a 0 parity does not change: keep the state (a = 1, b = 0 there)."
        return ("flipping alone, h -> -h, leaves h = 0 at 0 forever: on a 1 the state must "
                "become 1 - h, so b = 1 there.")


# --- Exercise 9.2: weights of a negative-range minGRU unit ------------------------------------


class ParityUnit(Exercise):
    name = "parity_unit"
    hints = (
        "You want z_t ~ x_t: z = sigmoid(w_z (x - 1/2)) with a large w_z, i.e. b_z = -w_z / 2. "
        "Then a = 1 - 2z is about +1 on a 0 and -1 on a 1.",
        "b_t = z_t h_tilde_t should be x_t: a constant candidate h_tilde = 1 (w_h = 0, b_h = 1). "
        "How large must w_z be? |a| = 1 - 2 sigmoid(-w_z / 2); float32 needs it within 1e-7 of 1.",
    )
    solution_code = '''
def parity_unit():
    w_z, b_z = 40.0, -20.0   # z = sigmoid(40 (x - 1/2)): ~0 on a 0, ~1 on a 1
    w_h, b_h = 0.0, 1.0      # h_tilde = 1, so b = z ~ x
    return w_z, b_z, w_h, b_h
'''

    def _grade(self, answer):
        need_callable(answer, "parity_unit")
        out = call_answer(answer, what="parity_unit()")
        if not isinstance(out, tuple | list) or len(out) != 4:
            raise invalid("parity_unit should return four numbers (w_z, b_z, w_h, b_h), got "
                           f"{type(out).__name__} {out!r:.60}")
        vals = []
        for v, name in zip(out, ("w_z", "b_z", "w_h", "b_h"), strict=True):
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise invalid(f"{name} should be one number, got {type(v).__name__} {v!r:.40}")
            if not np.isfinite(v):
                raise invalid(f"{name} is {v}: give a finite number")
            vals.append(float(v))
        w_z, b_z, w_h, b_h = vals
        p = MinGRUParams(W_z=[[w_z]], b_z=[b_z], W_h=[[w_h]], b_h=[b_h])

        def states_for(bits):
            x = bits[:, :, None].astype(np.float32)  # (n, T, 1): float32, as a layer runs
            return mingru_loop(x, p, signed=True)[:, :, 0]  # (n, T)

        wrong = _first_wrong_length(states_for)
        if wrong is None:
            raise Verdict(CORRECT, f"the unit's state is the parity in float32 on strings up to "
                                    f"{LENGTHS[-1]} bits: a = {self._a(w_z + b_z):+.7f} on a 1, "
                                    f"{self._a(b_z):+.7f} on a 0.")
        T = wrong[0]
        a1, a0 = self._a(w_z + b_z), self._a(b_z)
        z1 = 1 / (1 + np.exp(-(w_z + b_z)))  # the gate on a 1
        if a1 >= 0:
            why = (f"on a 1 the transition is a = {a1:+.3f} >= 0, so it never flips; make "
                   "z near 1 on a 1 (w_z + b_z large and positive).")
        elif a0 <= 0:
            why = (f"on a 0 the transition is a = {a0:+.3f}: it should keep (a near +1), so "
                   "z near 0 on a 0 (b_z large and negative).")
        elif abs(w_h + b_h - 1) > 0.05:
            why = (f"h_tilde is {w_h + b_h:.3f} on a 1 (b = z h_tilde = {z1 * (w_h + b_h):.3f}); "
                   "b should be 1 on a 1 and 0 on a 0: a constant h_tilde = 1.")
        else:
            why = (f"the signs are right, but |a| = {min(abs(a1), a0):.6f} < 1: the gap between "
                   "odd and even shrinks by that factor every step. Make w_z (and -b_z) larger, "
                   "so the gate saturates.")
        raise incorrect(f"first wrong at length {T}: {why}")

    @staticmethod
    def _a(p):
        return float(1.0 - 2.0 / (1.0 + np.exp(-p)))


ex_parity_transition = ParityTransition()
ex_parity_unit = ParityUnit()
