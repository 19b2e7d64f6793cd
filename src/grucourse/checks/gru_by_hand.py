"""Checkers of exercise set 2: a GRU by hand (2.1 one step, 2.2 a sequence, 2.4 Keras weights).

The parameter-count exercises 2.3 and 2.5 are in ``param_counts``.
"""

from __future__ import annotations

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    Verdict,
    as_array,
    call_answer,
    incorrect,
    invalid,
    match_variants,
    need_callable,
)
from grucourse.checks.param_counts import ParamCount, UnitsForBudget  # noqa: F401  (exercise set 2)
from grucourse.core.gru import GRUParams, gru_forward, gru_step, init_gru_params
from grucourse.core.gru_keras import keras_weights

import numpy as np

# --- Exercise 2.1: one GRU step -------------------------------------------------------------


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def step_variant(x, h, p: GRUParams, kind: str):
    """Known wrong GRU steps, to recognise common mistakes."""
    z = _sig(x @ p.W_z + h @ p.U_z + p.b_z)  # (B, u)
    r = _sig(x @ p.W_r + h @ p.U_r + p.b_r)  # (B, u)
    rec = {"reset_after": r * (h @ p.U_h),
           "no_reset": h @ p.U_h}.get(kind, (r * h) @ p.U_h)  # (B, u)
    pre = x @ p.W_h + rec + p.b_h  # (B, u)
    h_tilde = pre if kind == "no_tanh" else np.tanh(pre)  # (B, u)
    if kind == "keras_update":
        return z * h + (1 - z) * h_tilde
    if kind == "candidate":
        return h_tilde
    return (1 - z) * h + z * h_tilde


class GRUStep(Exercise):
    name = "gru_step"
    hints = (
        "Compute z_t and r_t first (sigmoid of x_t W + h_prev U + b), then the candidate "
        "h_tilde = tanh(x_t W_h + (r_t * h_prev) U_h + b_h), then mix h_prev and h_tilde with z_t.",
        "Rows are examples: x_t is (B, d) and W_z is (d, u), so write x_t @ p.W_z "
        "(not p.W_z @ x_t). In the source's convention z_t = 1 means 'take the new candidate': "
        "h_t = (1 - z_t) * h_prev + z_t * h_tilde.",
    )
    solution_code = '''
def my_gru_step(x_t, h_prev, p):
    z = 1 / (1 + np.exp(-(x_t @ p.W_z + h_prev @ p.U_z + p.b_z)))  # (B, u) update gate
    r = 1 / (1 + np.exp(-(x_t @ p.W_r + h_prev @ p.U_r + p.b_r)))  # (B, u) reset gate
    h_tilde = np.tanh(x_t @ p.W_h + (r * h_prev) @ p.U_h + p.b_h)  # (B, u) candidate
    return (1 - z) * h_prev + z * h_tilde                          # (B, u) new state
'''
    _messages = {
        "keras_update": "you mixed the states the Keras way, h_t = z*h_prev + (1-z)*h_tilde. "
                        "The source's equations (used here) read h_t = (1 - z_t) * h_prev "
                        "+ z_t * h_tilde: z_t = 1 takes the new candidate.",
        "reset_after": "you applied the reset gate after the product, r * (h_prev @ U_h) (Keras's "
                       "reset_after=True). The source resets before it: (r * h_prev) @ U_h.",
        "no_reset": "your candidate ignores the reset gate: "
                    "use (r * h_prev) @ U_h, not h_prev @ U_h.",
        "no_tanh": "your candidate is missing its tanh: "
                   "h_tilde = tanh(x_t W_h + (r * h_prev) U_h + b_h).",
        "candidate": "you returned the candidate h_tilde; the new state mixes it "
                     "with h_prev using z_t.",
    }

    def cases(self):
        rng = np.random.default_rng(2024)
        out = []
        for B, d, u in ((3, 4, 5), (1, 1, 1), (2, 10, 3)):
            p = init_gru_params(d, u, rng, scale=1.5)
            x = rng.normal(size=(B, d))  # (B, d)
            h = rng.uniform(-1, 1, size=(B, u))  # (B, u)
            out.append((x, h, p))
        return out

    def _grade(self, answer):
        need_callable(answer, "my_gru_step")
        got, want = [], []
        for x, h, p in self.cases():
            B, u = h.shape
            result = call_answer(answer, x.copy(), h.copy(), p,
                           what=f"your function (on x_t of shape {x.shape})")
            got.append(as_array(result, f"the returned h_t (for x_t {x.shape}, h_prev {h.shape})",
                                 (B, u)))
            want.append(gru_step(x, h, p)[0])
        if all(np.allclose(g, w, atol=1e-6) for g, w in zip(got, want, strict=True)):
            raise Verdict(CORRECT, "your GRU step matches the course's gru_step on "
                                    "3 random batches.")
        cases = self.cases()
        variants = {msg: [step_variant(x, h, p, kind) for x, h, p in cases]
                    for kind, msg in self._messages.items()}
        known = match_variants(got, variants)
        if known:
            raise incorrect(known)
        worst = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want, strict=True))
        raise incorrect(f"h_t differs from the reference by up to {worst:.3g}. Check z_t, r_t "
                         "and h_tilde one at a time against the equations "
                         "(gru_step(x_t, h_prev, p) returns them as its second output).")


# --- Exercise 2.2: from one step to a sequence ---------------------------------------------


class GRUSequence(Exercise):
    name = "gru_sequence"
    hints = (
        "Start from h = h0 (zeros of shape (B, u) when h0 is None), loop over t = 0..T-1, call the "
        "step on x[:, t, :] and the current h, and keep every new h.",
        "Stack the T states along axis 1 so the result has shape (B, T, u): "
        "np.stack(states, axis=1). The first stored state is h_1 (after reading x_1), not h_0.",
    )
    solution_code = '''
def my_gru_sequence(x, p, h0=None):
    B, T, _ = x.shape
    h = np.zeros((B, p.units)) if h0 is None else h0    # (B, u)
    states = []
    for t in range(T):
        h = gru_step(x[:, t, :], h, p)[0]                 # (B, u): the same weights at every step
        states.append(h)
    return np.stack(states, axis=1)                       # (B, T, u)
'''
    _messages = {
        "no_feedback": "every step starts again from h0: feed each new state into the next "
                       "step (h = step(x_t, h)).",
        "with_h0": "your states are shifted by one step: the first one should be h_1 "
                   "(after reading x_1), and the last one h_T; do not store h_0.",
        "reversed": "you read the sequence backwards; a GRU layer reads x_1 first.",
    }

    def cases(self):
        rng = np.random.default_rng(5)
        out = []
        for B, T, d, u, with_h0 in ((2, 6, 3, 4, False), (3, 5, 2, 2, True), (1, 7, 1, 3, True)):
            p = init_gru_params(d, u, rng, scale=1.5)
            x = rng.normal(size=(B, T, d))  # (B, T, d)
            h0 = rng.uniform(-1, 1, size=(B, u)) if with_h0 else None  # (B, u) or None
            out.append((x, p, h0))
        return out

    @staticmethod
    def _variant(x, p, h0, kind):
        B, T, _ = x.shape
        start = np.zeros((B, p.units)) if h0 is None else h0  # (B, u)
        if kind == "no_feedback":
            return np.stack([gru_step(x[:, t], start, p)[0] for t in range(T)], axis=1)  # (B, T, u)
        if kind == "reversed":
            return gru_forward(x[:, ::-1], p, h0=h0, return_gates=True)[1]["h"]
        hs = gru_forward(x, p, h0=h0, return_gates=True)[1]["h"]  # (B, T, u)
        return np.concatenate([start[:, None], hs[:, :-1]], axis=1)  # with_h0: (B, T, u)

    def _grade(self, answer):
        need_callable(answer, "my_gru_sequence")
        got, want, cases = [], [], self.cases()
        for x, p, h0 in cases:
            B, T, _ = x.shape
            args = (x.copy(), p) if h0 is None else (x.copy(), p, h0.copy())
            result = call_answer(answer, *args, what=f"your function (on x of shape {x.shape})")
            shape = (B, T, p.units)
            if np.shape(result) == (B, p.units):
                raise invalid(f"you returned only the last state, shape {np.shape(result)}; "
                               f"return every state, shape (B, T, u) = {shape}")
            if np.shape(result) == (T, B, p.units):
                raise invalid(f"your states have shape {np.shape(result)} = (T, B, u); put time "
                               f"on axis 1: {shape} (np.stack(states, axis=1))")
            got.append(as_array(result, f"the returned states (for x {x.shape})", shape))
            want.append(gru_forward(x, p, h0=h0, return_gates=True)[1]["h"])
        if all(np.allclose(g, w, atol=1e-6) for g, w in zip(got, want, strict=True)):
            raise Verdict(CORRECT, "all T states match the course's gru_forward, "
                                    "with and without h0.")
        for kind, message in self._messages.items():
            variant = [self._variant(x, p, h0, kind) for x, p, h0 in cases]
            if all(np.allclose(g, v, atol=1e-6) for g, v in zip(got, variant, strict=True)):
                raise incorrect(message)
        if all(np.allclose(g[:, -1], w[:, -1], atol=1e-6) for g, w in zip(got, want, strict=True)):
            raise incorrect("the last state is right but earlier ones are not: store the "
                             "state after every step.")
        raise incorrect("the states differ from gru_forward's; check that you start from h0 (or "
                         "zeros) and use the step function with the same weights p at every step.")


# --- Exercise 2.4: source -> Keras weights --------------------------------------------------


class ToKeras(Exercise):
    name = "to_keras"
    hints = (
        "Keras concatenates the three blocks along the columns in the order z, r, h: "
        "kernel = [W_z | W_r | W_h] of shape (d, 3u), recurrent_kernel = [U_z | U_r | U_h] of "
        "shape (u, 3u), bias of shape (3u,) when reset_after=False.",
        "The two conventions differ by z <-> 1 - z, and sigmoid(-a) = 1 - sigmoid(a): "
        "negate W_z, U_z and b_z (and only those).",
    )
    solution_code = '''
def my_to_keras(p):
    kernel = np.concatenate([-p.W_z, p.W_r, p.W_h], axis=1)     # (d, 3u), z negated
    recurrent = np.concatenate([-p.U_z, p.U_r, p.U_h], axis=1)  # (u, 3u)
    bias = np.concatenate([-p.b_z, p.b_r, p.b_h])               # (3u,)
    return [kernel, recurrent, bias]
'''

    @staticmethod
    def _variant(p, kind):
        sz = 1 if kind in ("no_negation", "rzh_order") else -1
        sr = -1 if kind == "negate_all" else 1
        blocks = [(sz * p.W_z, sz * p.U_z, sz * p.b_z), (sr * p.W_r, sr * p.U_r, sr * p.b_r),
                  (sr * p.W_h, sr * p.U_h, sr * p.b_h)]
        if kind == "rzh_order":
            blocks = [blocks[1], blocks[0], blocks[2]]
        return [np.concatenate([b[i] for b in blocks], axis=-1 if i == 2 else 1) for i in range(3)]

    _messages = {
        "no_negation": "the blocks are in the right place, but the update gate is not negated. "
                       "Keras keeps the old state with weight z, the source with 1 - z, so "
                       "W_z, U_z and b_z change sign.",
        "rzh_order": "the blocks are in the order r, z, h (and z is not negated); "
                     "Keras stores z, r, h.",
        "negate_all": "you negated every block; only the update gate (W_z, U_z, b_z) changes sign.",
    }

    def _grade(self, answer):
        need_callable(answer, "my_to_keras")
        rng = np.random.default_rng(7)
        got, want, params = [], [], []
        for d, u in ((4, 3), (2, 5)):
            p = init_gru_params(d, u, rng, scale=1.0)
            params.append(p)
            result = call_answer(answer, p, what="your function")
            if not isinstance(result, list | tuple) or len(result) != 3:
                raise invalid("return a list [kernel, recurrent_kernel, bias] "
                               f"(what layer.set_weights expects), got {type(result).__name__}"
                               + (f" of length {len(result)}"
                                  if isinstance(result, list | tuple) else ""))
            shapes = ((d, 3 * u), (u, 3 * u), (3 * u,))
            names = ("kernel", "recurrent_kernel", "bias")
            got.append([as_array(a, f"{n} (for d={d}, u={u})", s)
                        for a, n, s in zip(result, names, shapes, strict=True)])
            want.append(keras_weights(p))
        if all(np.allclose(g, w) for gg, ww in zip(got, want, strict=True)
               for g, w in zip(gg, ww, strict=True)):
            raise Verdict(CORRECT, "kernel, recurrent kernel and bias match what "
                                    "keras.layers.GRU(reset_after=False) needs to compute "
                                    "the same function.")
        for kind, message in self._messages.items():
            variant = [self._variant(p, kind) for p in params]
            if all(np.allclose(g, v) for gg, vv in zip(got, variant, strict=True)
                   for g, v in zip(gg, vv, strict=True)):
                raise incorrect(message)
        which = [n for i, n in enumerate(("kernel", "recurrent_kernel", "bias"))
                 if not all(np.allclose(gg[i], ww[i]) for gg, ww in zip(got, want, strict=True))]
        raise incorrect(f"{', '.join(which)} differ from the reference. Keras order is "
                         "z, r, h along the last axis, with the update gate's weights negated.")
