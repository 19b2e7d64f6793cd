"""Checkers of exercise set 2, parameter counts: 2.3 (a GRU layer's parameters)
and 2.5 (units for a budget)."""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    call_answer,
    incorrect,
    invalid,
    need_callable,
)
from grucourse.core.gru_keras import count_params

import numpy as np

# --- Exercise 2.3: parameter count ----------------------------------------------------------


class ParamCount(Exercise):
    name = "param_count"
    hints = (
        "Each of the 3 blocks (update gate, reset gate, candidate) has an input matrix (d x u), "
        "a recurrent matrix (u x u) and biases.",
        "With reset_after=True (the Keras default) Keras keeps two bias vectors per "
        "block (input and recurrent); with reset_after=False only one. Check against "
        "keras.layers.GRU(u).count_params() after building it.",
    )
    solution_code = '''
def gru_param_count(d, u, reset_after=True):
    biases = 2 if reset_after else 1
    return 3 * u * (d + u + biases)   # 3 blocks: W (d x u) + U (u x u) + biases
'''
    CASES = ((10, 32, True), (10, 32, False), (1, 50, True), (3, 7, False), (8, 16, True))
    _wrong = {
        "you counted one bias vector per block in both cases; with reset_after=True (the Keras "
        "default) there are two: 3u(d + u + 2).": lambda d, u, ra: 3 * u * (d + u + 1),
        "you counted two bias vectors per block in both cases; with reset_after=False there is "
        "only one: 3u(d + u + 1).": lambda d, u, ra: 3 * u * (d + u + 2),
        "your count has no biases at all.": lambda d, u, ra: 3 * u * (d + u),
        "this is the LSTM's count, 4u(d + u + 1): the GRU has three blocks, not four.":
            lambda d, u, ra: 4 * u * (d + u + 1),
        "this is a SimpleRNN's count, u(d + u + 1): the GRU has three such blocks.":
            lambda d, u, ra: u * (d + u + 1),
        "you forgot the recurrent matrices U (u x u per block).":
            lambda d, u, ra: 3 * u * (d + (2 if ra else 1)),
    }

    def _grade(self, answer):
        need_callable(answer, "gru_param_count")
        got = []
        for d, u, ra in self.CASES:
            n = call_answer(answer, d, u, ra, what=f"gru_param_count({d}, {u}, reset_after={ra})")
            if isinstance(n, bool) or not isinstance(n, int | np.integer | float | np.floating):
                raise invalid(f"gru_param_count({d}, {u}, reset_after={ra}) returned "
                               f"{type(n).__name__}; return a whole number (int)")
            if not float(n).is_integer():
                raise invalid(f"gru_param_count({d}, {u}, reset_after={ra}) returned {n}, "
                               "which is not a whole number")
            got.append(int(n))
        want = [count_params("gru", d, u, ra) for d, u, ra in self.CASES]
        if got == want:
            raise Verdict(CORRECT, f"e.g. GRU(32) on 10 features has {want[0]} parameters "
                                    f"(reset_after=True) and {want[1]} with reset_after=False.")
        for message, formula in self._wrong.items():
            if got == [formula(*c) for c in self.CASES]:
                raise incorrect(message)
        bad = next(i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
        d, u, ra = self.CASES[bad]
        raise incorrect(f"gru_param_count({d}, {u}, reset_after={ra}) returned {got[bad]}, "
                         "expected a different number. Count the weights of one block, then "
                         "multiply by the number of blocks.")


# --- Exercise 2.5: units for a parameter budget ---------------------------------------------


class UnitsForBudget(Exercise):
    name = "units_for_budget"
    hints = (
        "A GRU layer with u units on d features has 3u(d + u + 2) parameters (Keras's default). "
        "Try u = 1, 2, 3, ... and stop before the count goes over the budget.",
        "A while loop is enough: u = 1; while count(u + 1) <= budget: u += 1. Return an int.",
    )
    solution_code = '''
def gru_units_for_budget(d, budget):
    u = 1
    while 3 * (u + 1) * (d + (u + 1) + 2) <= budget:   # GRU(u + 1) still fits
        u += 1
    return u
'''
    CASES = ((2, count_params("lstm", 2, 16)), (10, count_params("lstm", 10, 32)), (1, 1000),
             (64, 50_000))

    @staticmethod
    def largest(d, budget, reset_after=True):
        u = 1
        while count_params("gru", d, u + 1, reset_after) <= budget:
            u += 1
        return u

    def _grade(self, answer):
        need_callable(answer, "gru_units_for_budget")
        got = []
        for d, budget in self.CASES:
            n = call_answer(answer, d, budget, what=f"gru_units_for_budget({d}, {budget})")
            number = (isinstance(n, int | np.integer | float | np.floating)
                      and not isinstance(n, bool))
            if not number or not float(n).is_integer():
                raise invalid(f"gru_units_for_budget({d}, {budget}) returned {n!r:.40}; "
                               "return a whole number of units")
            got.append(int(n))
        want = [self.largest(d, b) for d, b in self.CASES]
        if got == want:
            d, b = self.CASES[0]
            raise Verdict(CORRECT, f"e.g. an LSTM(16) on {d} features has {b} parameters; a GRU "
                                    f"with {want[0]} units ({count_params('gru', d, want[0])} "
                                    "parameters) is the widest that fits.")
        if got == [w + 1 for w in want]:
            raise incorrect("off by one: you returned the first width whose count goes over the "
                             "budget; return the last one that fits.")
        if got == [self.largest(d, b, reset_after=False) for d, b in self.CASES]:
            raise incorrect("you used 3u(d + u + 1), the count for reset_after=False; Keras's "
                             "default GRU has two bias vectors per block: 3u(d + u + 2).")
        over = [(c, g) for c, g in zip(self.CASES, got, strict=True)
                if count_params("gru", c[0], g) > c[1]]
        if over:
            (d, b), g = over[0]
            raise incorrect(f"GRU({g}) on {d} features has {count_params('gru', d, g)} "
                             f"parameters, more than the budget {b}: the answer must fit.")
        (d, b), g = next((c, g) for c, g, w in zip(self.CASES, got, want, strict=True) if g != w)
        raise incorrect(f"GRU({g}) fits the budget {b} on {d} features, but a wider GRU still "
                         "fits: look for the largest width.")
