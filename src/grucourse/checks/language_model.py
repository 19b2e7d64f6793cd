"""Checkers of exercise set 8: a language model by hand (perplexity,
temperature, one generation step)."""

from __future__ import annotations

import math

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    as_array,
    call_answer,
    incorrect,
    invalid,
    need_array,
    need_callable,
)
from grucourse.core.gru import gru_step, init_gru_params
from grucourse.core.language_model import softmax_t
from grucourse.validate import refers_to

import numpy as np

# --- Exercise 8.1: perplexity -------------------------------------------------------------------


class Perplexity(Exercise):
    name = "perplexity"
    hints = (
        "Perplexity is exp of the mean negative log-probability of the characters that came: "
        "exp(-(1/N) * sum(log p_t)).",
        "With numpy: np.exp(-np.mean(np.log(p))). It equals the geometric mean of 1/p.",
    )
    solution_code = '''
def perplexity_of(p):
    p = np.asarray(p, dtype=float)
    return float(np.exp(-np.mean(np.log(p))))   # geometric mean of 1/p
'''
    CASES = ([0.5, 0.25, 0.5, 0.125], [0.9, 0.8, 0.95, 0.6, 0.99, 0.7], [1 / 36] * 5, [0.01, 0.5])
    _wrong = {
        "you took the arithmetic mean of 1/p; perplexity is the geometric mean, exp(-mean(log p)), "
        "so one near-zero probability does not dominate it.": lambda p: np.mean(1 / p),
        "you returned exp(+mean(log p)), the inverse of the perplexity: a good model must have a "
        "small perplexity (>= 1). Mind the minus sign.": lambda p: np.exp(np.mean(np.log(p))),
        "you summed the log-probabilities instead of averaging them: perplexity is per character, "
        "exp(-(1/N) sum log p).": lambda p: np.exp(-np.sum(np.log(p))),
        "you returned the cross-entropy -mean(log p) itself; the perplexity is its exponential.":
            lambda p: -np.mean(np.log(p)),
        "you returned 1/mean(p); the perplexity averages log-probabilities, not probabilities.":
            lambda p: 1 / np.mean(p),
    }

    def _grade(self, answer):
        need_callable(answer, "perplexity_of")
        got = []
        for case in self.CASES:
            v = call_answer(answer, np.array(case), what=f"perplexity_of({case})")
            arr = np.asarray(v) if not isinstance(v, str) else None
            if (arr is None or arr.dtype == object or arr.size != 1
                    or not np.issubdtype(arr.dtype, np.number)):
                raise invalid(f"perplexity_of returned {type(v).__name__} {v!r:.40}; "
                               "return one number")
            got.append(float(arr.reshape(())))
        want = [math.exp(-np.mean(np.log(c))) for c in self.CASES]
        if np.allclose(got, want, rtol=1e-6):
            raise Verdict(CORRECT, "the probabilities 0.5, 0.25, 0.5, 0.125 give "
                                    f"{want[0]:.4f} = 128^(1/4); a uniform guess over 36 "
                                    f"characters gives {want[2]:.0f}.")
        for message, f in self._wrong.items():
            if np.allclose(got, [f(np.array(c)) for c in self.CASES], rtol=1e-6):
                raise incorrect(message)
        raise incorrect(f"for p = 0.5, 0.25, 0.5, 0.125 you returned {got[0]:.4g}, "
                         f"expected {want[0]:.4g}.")


# --- Exercise 8.2: temperature --------------------------------------------------------------------


class Temperature(Exercise):
    name = "temperature"
    hints = (
        "Divide the logits by T, then apply a softmax: p_i = exp(l_i / T) / sum_j exp(l_j / T).",
        "Subtract the largest scaled logit before exp (it cancels in the ratio) so that "
        "large logits do not overflow to inf.",
    )
    solution_code = '''
def with_temperature(logits, T):
    a = np.asarray(logits, dtype=float) / T   # (V,)
    a = a - a.max()                           # same ratios, no overflow
    e = np.exp(a)
    return e / e.sum()
'''
    CASES = (([2.0, 1.0, 0.0, -1.0], 0.5), ([2.0, 1.0, 0.0, -1.0], 1.5),
             ([0.3, -0.2, 1.1, 0.0, 0.7], 1.0), ([800.0, 799.0, 790.0], 1.0))

    def _grade(self, answer):
        need_callable(answer, "with_temperature")
        if refers_to(answer, softmax_t, "softmax_t"):
            raise incorrect("with_temperature calls the course's softmax_t, which is the answer "
                             "to this exercise: write the softmax yourself (divide by T, "
                             "subtract the largest, exponentiate, normalise).")
        got = []
        for logits, T in self.CASES:
            what = f"with_temperature({logits}, {T})"
            with np.errstate(all="ignore"):  # an overflow is reported below, not warned about
                v = call_answer(answer, np.array(logits), T, what=what)
            v = need_array(v, what, (len(logits),))
            if not np.all(np.isfinite(v)) and max(abs(x) for x in logits) / T < 700:
                raise incorrect(f"{what} gave {v}: NaN or inf for ordinary logits, where "
                                 "np.exp stays finite. Look for a 0 / 0 or a NaN your code "
                                 "makes itself (each p_i is exp(l_i / T) / sum_j exp(l_j / T)).")
            if not np.all(np.isfinite(v)):
                raise incorrect(f"{what} gave {v}: exp of large logits overflows. Subtract the "
                                 "largest logit before exp.")
            got.append(as_array(v, what, (len(logits),)))
            if not np.isclose(got[-1].sum(), 1.0):
                raise incorrect(f"your output sums to {got[-1].sum():.4g}; a distribution must "
                                 "sum to 1 (divide by the sum of the exponentials).")
        want = [softmax_t(np.array(lg), T) for lg, T in self.CASES]
        if all(np.allclose(g, w, atol=1e-9) for g, w in zip(got, want, strict=True)):
            top = want[0][0], softmax_t(np.array(self.CASES[0][0]), 1.0)[0], want[1][0]
            raise Verdict(CORRECT, f"the likeliest character has p = {top[0]:.3f} at T = 0.5, "
                                    f"{top[1]:.3f} at T = 1 and {top[2]:.3f} at T = 1.5.")
        times = [softmax_t(np.array(lg) * T, 1.0) for lg, T in self.CASES]
        if all(np.allclose(g, w, atol=1e-9) for g, w in zip(got, times, strict=True)):
            raise incorrect("you multiplied the logits by T; divide them by T, so that T < 1 "
                             "sharpens the distribution and T > 1 flattens it.")
        plain = [softmax_t(np.array(lg), 1.0) for lg, _ in self.CASES]
        if all(np.allclose(g, w, atol=1e-9) for g, w in zip(got, plain, strict=True)):
            raise incorrect("your distribution does not depend on T: divide the logits "
                             "by T before the softmax.")
        raise incorrect(f"for logits [2, 1, 0, -1] at T = 0.5 you returned {np.round(got[0], 4)}, "
                         f"expected {np.round(want[0], 4)}.")


# --- Exercise 8.3: one step of stateful generation -----------------------------------------------


class GenerationStep(Exercise):
    name = "generation_step"
    V, U = 5, 4
    hints = (
        "Turn the character id c into a one-hot row x of shape (1, V); one step of the GRU, "
        "gru_step(x, h_prev, params), gives the new state h; the next-character probabilities are "
        "softmax(h @ W_head + b_head).",
        "Return the new state h (1, u), not h_prev: the next call must continue from it. "
        "The probabilities come from the new state, after the character has been read.",
    )
    solution_code = '''
def next_step(params, W_head, b_head, h_prev, c):
    x = np.eye(W_head.shape[1])[[c]]        # (1, V) one-hot of character c
    h, _ = gru_step(x, h_prev, params)       # (1, u) new state
    logits = h[0] @ W_head + b_head          # (V,)
    e = np.exp(logits - logits.max())
    return h, e / e.sum()
'''

    def data(self):
        rng = np.random.default_rng(8)
        params = init_gru_params(self.V, self.U, rng, scale=1.5, convention="keras",
                                 reset_after=True)
        W, b = rng.normal(size=(self.U, self.V)), rng.normal(size=self.V)  # (u, V), (V,)
        h_prev = rng.uniform(-0.8, 0.8, size=(1, self.U))  # (1, u)
        return params, W, b, h_prev, (0, 3, 1)

    def reference(self, params, W, b, h_prev, c):
        h, _ = gru_step(np.eye(self.V)[[c]], h_prev, params)  # (1, u)
        return h, softmax_t(h[0] @ W + b)

    def _grade(self, answer):
        need_callable(answer, "next_step")
        params, W, b, h0, chars = self.data()
        h_ref, got = h0, []
        for c in chars:
            out = call_answer(answer, params, W, b, h_ref.copy(), c, what=f"next_step(..., c={c})")
            if not isinstance(out, tuple | list) or len(out) != 2:
                raise invalid("next_step should return two things, (h, probs), got "
                               f"{type(out).__name__}")
            h = as_array(need_array(out[0], "h", (1, self.U)), "h", (1, self.U))
            p = as_array(need_array(out[1], "probs", (self.V,)), "probs", (self.V,))
            got.append((h, p))
            h_ref = self.reference(params, W, b, h_ref, c)[0]
        h_ref, want = h0, []
        for c in chars:
            want.append(self.reference(params, W, b, h_ref, c))
            h_ref = want[-1][0]
        if all(np.allclose(g[0], w[0], atol=1e-8) and np.allclose(g[1], w[1], atol=1e-8)
               for g, w in zip(got, want, strict=True)):
            raise Verdict(CORRECT, f"after the characters {chars} the likeliest next "
                                    f"one is id {int(np.argmax(want[-1][1]))} with "
                                    f"p = {want[-1][1].max():.3f}.")
        g, w = got[0], want[0]
        zero_h = self.reference(params, W, b, np.zeros((1, self.U)), chars[0])
        if np.allclose(g[0], zero_h[0], atol=1e-8):
            raise incorrect("your step starts from a zero state: use h_prev, the state left by "
                             "the characters before; that is what makes generation stateful.")
        if np.allclose(g[0], h0, atol=1e-8):
            raise incorrect("you returned h_prev unchanged: return the new state after "
                             "reading character c.")
        if np.allclose(g[0], w[0], atol=1e-8):
            if np.allclose(g[1], softmax_t(h0[0] @ W + b), atol=1e-8):
                raise incorrect("your probabilities come from h_prev; compute them from the new "
                                 "state h, after the GRU has read c.")
            if np.allclose(g[1], w[0][0] @ W + b, atol=1e-8):
                raise incorrect("you returned the logits; apply a softmax to get probabilities.")
            raise incorrect("the state is right but the probabilities are not: got "
                             f"{np.round(g[1], 4)}, expected {np.round(w[1], 4)}.")
        raise incorrect(f"after c = {chars[0]} the new state should be {np.round(w[0][0], 4)}, "
                         f"got {np.round(g[0][0], 4)}. Check the one-hot input "
                         "(row c of np.eye(V)).")
