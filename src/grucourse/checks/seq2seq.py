"""Checkers of exercise set 7: one greedy decoding step and masked attention weights."""

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
from grucourse.data.seq2seq_data import EOS, PAD

import numpy as np

# --- Exercise 7.1: one greedy decoding step -----------------------------------------------------


def reference_greedy_step(probs, dec_in, t):
    """The reference answer: ``dec_in`` with column ``t + 1`` set to ``argmax_v probs[:, t, v]``, or
    ``PAD`` for a row whose token at ``t`` (for ``t >= 1``) is already ``EOS`` or ``PAD``."""
    out = np.array(dec_in, copy=True)  # (B, T')
    token = np.asarray(probs)[:, t, :].argmax(axis=-1)  # (B,)
    finished = (t >= 1) & np.isin(out[:, t], (EOS, PAD))  # (B,)
    out[:, t + 1] = np.where(finished, PAD, token)
    return out


def _greedy_cases():
    rng = np.random.default_rng(7)
    B, T, V = 5, 6, 13
    cases = []
    for t in (0, 2, 4):
        probs = rng.dirichlet(np.ones(V), size=(B, T))  # (B, T', V)
        dec_in = np.zeros((B, T), dtype=np.int32)  # (B, T')
        dec_in[:, 0] = 1  # BOS
        dec_in[:, 1 : t + 1] = rng.integers(3, V, size=(B, t))  # digits fed so far
        if t >= 2:
            dec_in[1, t] = EOS  # row 1 has just finished
            dec_in[3, t - 1], dec_in[3, t] = EOS, PAD  # row 3 finished a step earlier
        cases.append((probs, dec_in, t))
    return cases


class GreedyStep(Exercise):
    name = "greedy_step"
    hints = (
        "The model's prediction for the token after position t is probs[:, t, :]; "
        "the most likely token of each row is its argmax over the last axis. It goes into "
        "column t + 1 of a copy of dec_in.",
        "A row is finished when its token at position t (t >= 1) is EOS or PAD: write PAD there "
        "instead. np.where(finished, PAD, token) picks per row.",
    )
    solution_code = '''
def greedy_step(probs, dec_in, t):
    out = np.array(dec_in, copy=True)                      # (B, T'): never change the input
    token = probs[:, t, :].argmax(axis=-1)                 # (B,): the most likely next token
    finished = (t >= 1) & np.isin(out[:, t], (EOS, PAD))   # (B,): EOS already written
    out[:, t + 1] = np.where(finished, PAD, token)
    return out
'''
    _wrong = {
        "a finished row (its token at position t is EOS or PAD) must get PAD, not a new token: "
        "after EOS the sequence is over.": lambda p, d, t: _set(d, t + 1, p[:, t].argmax(-1)),
        "you wrote the token into column t; column t holds the token the model has just read, "
        "the new one goes into column t + 1.": lambda p, d, t: _set(d, t, p[:, t].argmax(-1)),
        "you read the prediction at position t + 1; the output at position t is the model's guess "
        "for the token that follows dec_in[:, t].":
            lambda p, d, t: _set(d, t + 1, p[:, t + 1].argmax(-1)),
        "you read the last position's prediction, probs[:, -1]; with a causal model the prediction "
        "for the next token is at position t.": lambda p, d, t: _set(d, t + 1, p[:, -1].argmax(-1)),
        "you took the argmax over the wrong axis: the vocabulary is the last axis of probs.":
            lambda p, d, t: _set(d, t + 1, p.argmax(axis=1)[:, t]),
    }

    def _grade(self, answer):
        need_callable(answer, "greedy_step")
        for probs, dec_in, t in _greedy_cases():
            given = dec_in.copy()
            got = call_answer(answer, probs, given, t, what=f"greedy_step(probs, dec_in, t={t})")
            if not np.array_equal(given, dec_in):
                raise incorrect("your function changed the dec_in it was given; "
                                 "work on a copy (np.array(dec_in, copy=True)) so the caller's "
                                 "array keeps its history.")
            if not isinstance(got, np.ndarray):
                raise invalid(f"greedy_step returned a {type(got).__name__}; return the new "
                               "dec_in as a numpy array (np.array(dec_in, copy=True), then fill "
                               "column t + 1)")
            if got.shape != dec_in.shape:
                raise invalid(f"greedy_step returned shape {got.shape}; return the whole dec_in, "
                               f"shape {dec_in.shape} (batch, steps), with one more column filled")
            need_array(got, f"greedy_step(probs, dec_in, t={t})", integer=True)
            want = reference_greedy_step(probs, dec_in, t)
            if np.array_equal(got, want):
                continue
            for message, f in self._wrong.items():
                if np.array_equal(got, f(probs, dec_in, t)):
                    raise incorrect(message)
            rows = np.flatnonzero((got != want).any(axis=1)).tolist()
            raise incorrect(f"at t = {t}, rows {rows} differ from the expected dec_in "
                             f"(e.g. row {rows[0]}: got {got[rows[0]].tolist()}, expected "
                             f"{want[rows[0]].tolist()}).")
        raise Verdict(CORRECT, "each step writes the most likely token after position t, and "
                                "finished rows stay padded.")


def _set(dec_in, col, values):
    out = np.array(dec_in, copy=True)
    out[:, col] = values
    return out


# --- Exercise 7.2: masked attention weights -------------------------------------------------------


def reference_masked_softmax(scores, src_mask):
    """Softmax over the last axis of ``scores (B, Tq, Tv)`` with padded positions
    (``src_mask == 0``) at −inf."""
    s = np.where(np.asarray(src_mask)[:, None, :] > 0, scores, -np.inf)  # (B, Tq, Tv)
    s = s - s.max(axis=-1, keepdims=True)  # (B, Tq, Tv): same weights, no overflow
    e = np.exp(s)  # exp(-inf) = 0 on pads
    return e / e.sum(axis=-1, keepdims=True)


def _softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _attention_cases():
    rng = np.random.default_rng(11)
    B, Tq, Tv = 3, 4, 6
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]],
                    dtype=np.float32)  # (B, Tv)
    small = rng.normal(size=(B, Tq, Tv))  # (B, Tq, Tv)
    large = 800.0 + 50.0 * rng.normal(size=(B, Tq, Tv))  # scores whose exp overflows float64
    large[1, :, 4] = 2000.0  # the largest score of row 1 sits on a pad
    return [(small, mask), (large, mask)]


class MaskedAttention(Exercise):
    name = "masked_attention"
    hints = (
        "Set the scores of padded positions to -np.inf with "
        "np.where(src_mask[:, None, :] > 0, scores, -np.inf), then take a softmax over the last "
        "axis (the source positions).",
        "Subtract each row's largest score before np.exp: the weights do not change, and scores of "
        "several hundred no longer overflow to inf (inf / inf is NaN).",
    )
    solution_code = '''
def masked_softmax(scores, src_mask):
    s = np.where(src_mask[:, None, :] > 0, scores, -np.inf)   # (B, Tq, Tv): pads at -inf
    s = s - s.max(axis=-1, keepdims=True)                      # no overflow
    e = np.exp(s)                                              # exp(-inf) = 0
    return e / e.sum(axis=-1, keepdims=True)                   # each row sums to 1
'''
    _wrong = {
        "padded positions get weight: set their scores to -inf before the softmax "
        "(src_mask == 0 marks them).":
            lambda s, m: _softmax(s),
        "you multiplied the softmax by the mask afterwards, so the weights of a row no longer sum "
        "to 1: mask the scores before the softmax, or renormalise.":
            lambda s, m: _softmax(s) * m[:, None, :],
        "multiplying the scores by the mask gives pads the score 0, not -inf: "
        "exp(0) = 1 still gives them weight.":
            lambda s, m: _softmax(s * m[:, None, :]),
        "you took the softmax over the query axis; the weights of one output step are spread over "
        "the source positions, the last axis.":
            lambda s, m: _softmax(np.where(m[:, None, :] > 0, s, -1e9), axis=1),
    }

    def _grade(self, answer):
        need_callable(answer, "masked_softmax")
        for k, (scores, mask) in enumerate(_attention_cases()):
            with np.errstate(all="ignore"):
                got = call_answer(answer, scores.copy(), mask.copy(),
                            what="masked_softmax(scores, src_mask)")
            got = need_array(got, "masked_softmax(scores, src_mask)")
            if got.shape != scores.shape:
                raise invalid(f"masked_softmax returned shape {got.shape}; the weights have "
                               f"the scores' shape {scores.shape} "
                               "(batch, query steps, source positions)")
            want = reference_masked_softmax(scores, mask)
            if np.allclose(got, want, atol=1e-9):
                continue
            with np.errstate(all="ignore"):
                for message, f in self._wrong.items():
                    if np.allclose(got, f(scores, mask), atol=1e-9, equal_nan=True):
                        raise incorrect(message)
            if not np.all(np.isfinite(got)) and k == 0:
                raise incorrect("your weights contain NaN or inf for ordinary scores (between "
                                 f"{scores.min():.1f} and {scores.max():.1f}), where np.exp stays "
                                 "finite: look for a 0 / 0 (a row whose weights are all 0 before "
                                 "you divide) or a NaN your code makes itself.")
            if not np.all(np.isfinite(got)):
                raise incorrect("your weights contain NaN or inf for scores of several hundred "
                                 "(right on ordinary scores): np.exp overflows there, or gives "
                                 "0 / 0 when the largest score sits on a pad. Subtract each row's "
                                 "largest score after masking, before np.exp, so that a padded "
                                 "score is never the largest.")
            pads = got[np.broadcast_to(mask[:, None, :] == 0, got.shape)]
            if np.abs(pads).max() > 1e-12:
                raise incorrect("some padded positions get non-zero weight; "
                                 "they must get exactly 0.")
            raise incorrect("the weights differ from a softmax over the real source positions; "
                             "check that each row of got.sum(-1) is 1 and that you used "
                             "the scores unchanged.")
        raise Verdict(CORRECT, "pads get weight 0, every row sums to 1, and large "
                                "scores do not overflow.")
