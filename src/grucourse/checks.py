"""Self-checks for the exercises, in the style of Kaggle's learntools.

Every exercise is an :class:`Exercise` with three methods:

- ``check(answer)`` grades the learner's object (a function, a number, a :class:`GRUParams`, a model)
  and shows one verdict: correct, incorrect (with a specific message), not attempted (the stub is
  untouched) or a type/shape problem. It never raises on a wrong answer, so a notebook always runs
  top to bottom; it returns a :class:`CheckResult` (truthy only when correct).
- ``hint(n=1)`` shows the n-th hint.
- ``solution()`` shows the reference solution.

The answer is passed explicitly (``ex_gru_step.check(my_gru_step)``): no magic globals.
A stub is recognised as "not attempted" when it is ``None`` or ``...``, or when it is a function that
raises ``NotImplementedError`` (what ``tools/make_exercises.py`` writes in place of a solution).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

from grucourse.gru import GRUParams, count_params, gru_forward, gru_step, init_gru_params, keras_weights

import numpy as np

CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not attempted"
INVALID = "invalid"

_HEADINGS = {
    CORRECT: ("Correct", "#009E73"),
    INCORRECT: ("Incorrect", "#D55E00"),
    NOT_ATTEMPTED: ("Not attempted", "#666666"),
    INVALID: ("Check the type or shape of your answer", "#E69F00"),
}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of ``Exercise.check``: ``status`` is one of correct / incorrect / not attempted / invalid."""

    exercise: str
    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def text(self) -> str:
        return f"{_HEADINGS[self.status][0]}: {self.message}"

    def _ipython_display_(self):
        """``check`` has already shown the verdict; showing the returned object again would repeat it."""


class _Verdict(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _not_attempted(what: str = "") -> _Verdict:
    extra = f" {what}" if what else ""
    return _Verdict(NOT_ATTEMPTED, f"replace the stub with your answer{extra}, then run this check again.")


def _invalid(message: str) -> _Verdict:
    return _Verdict(INVALID, message)


def _incorrect(message: str) -> _Verdict:
    return _Verdict(INCORRECT, message)


def _show(mimebundle: dict) -> None:
    """Display rich output in Jupyter, plain text elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(mimebundle, raw=True)
            return
    except ImportError:  # plain Python without IPython
        pass
    print(mimebundle["text/plain"])


def _is_stub(answer) -> bool:
    return answer is None or answer is Ellipsis


def _call(fn, *args, what="your function"):
    """Call the learner's function; a stub raising NotImplementedError means "not attempted"."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise _not_attempted("(the function still raises NotImplementedError)") from None
    except Exception as exc:  # any error in the learner's code becomes a clear message, not a traceback
        raise _invalid(f"{what} raised {type(exc).__name__}: {exc}") from None


def _need_callable(answer, name: str):
    if _is_stub(answer):
        raise _not_attempted()
    if not callable(answer):
        raise _invalid(f"pass your function itself, e.g. check({name}), not {type(answer).__name__} {answer!r:.60}")


def _as_array(value, name: str, shape: tuple) -> np.ndarray:
    """``value`` as a float array of the given shape, or an INVALID verdict saying what is wrong."""
    several = isinstance(value, tuple | list) and len(value) > 0
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        if several:
            raise _invalid(f"{name} should be one array of shape {shape}, got a {type(value).__name__} of "
                           f"{len(value)} items of different shapes (return only the array)") from None
        raise _invalid(f"{name} should be a numeric array of shape {shape}, got {type(value).__name__}") from None
    if arr.shape != shape:
        if several and np.shape(value[0]) == shape:
            raise _invalid(f"{name} should be one array of shape {shape}, got a {type(value).__name__} of "
                           f"{len(value)} items whose first item has that shape (return only the array)")
        raise _invalid(f"{name} has shape {arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise _invalid(f"{name} contains NaN or infinity")
    return arr


class Exercise:
    """One self-checked exercise: subclasses implement ``_grade(answer)`` by raising a ``_Verdict``."""

    name = "exercise"
    hints: tuple[str, ...] = ()
    solution_code = ""
    solution_note = ""

    def check(self, answer=None) -> CheckResult:
        try:
            self._grade(answer)
            result = CheckResult(self.name, INCORRECT, "the checker could not decide; please report this.")
        except _Verdict as v:
            result = CheckResult(self.name, v.status, v.message)
        except Exception as exc:  # a checker bug must not look like the learner's fault, nor stop the notebook
            result = CheckResult(self.name, INVALID, f"the answer could not be checked ({type(exc).__name__}: {exc})")
        title, colour = _HEADINGS[result.status]
        _show({
            "text/plain": result.text(),
            "text/html": (f'<div style="border-left: 4px solid {colour}; padding: 0.2em 0.6em">'
                          f'<b style="color: {colour}">{title}</b>: {html.escape(result.message)}</div>'),
        })
        return result

    def hint(self, n: int = 1) -> None:
        """Show hint number ``n`` (1-based)."""
        if not self.hints:
            _show({"text/plain": "No hint for this exercise."})
            return
        n = min(max(int(n), 1), len(self.hints))
        more = f" (hint {n} of {len(self.hints)}; ask for hint({n + 1}) for more)" if n < len(self.hints) else ""
        text = f"Hint{more}: {self.hints[n - 1]}"
        _show({"text/plain": text, "text/markdown": text})

    def solution(self) -> None:
        """Show the reference solution."""
        parts = []
        if self.solution_note:
            parts.append(self.solution_note)
        if self.solution_code:
            parts.append(f"```python\n{self.solution_code.strip()}\n```")
        text = "Solution:\n\n" + "\n\n".join(parts)
        _show({"text/plain": text, "text/markdown": text})

    def _grade(self, answer):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        return f"<Exercise {self.name}: use .check(answer), .hint(), .solution()>"


def _match_variants(got: list, variants: dict, atol=1e-6) -> str | None:
    """The message of the first wrong variant whose outputs equal ``got`` on every case."""
    for message, outputs in variants.items():
        if all(np.allclose(g, o, atol=atol) for g, o in zip(got, outputs, strict=True)):
            return message
    return None


# --- Exercise 2.1: one GRU step -------------------------------------------------------------


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _step_variant(x, h, p: GRUParams, kind: str):
    """Known wrong GRU steps, to recognise common mistakes."""
    z = _sig(x @ p.W_z + h @ p.U_z + p.b_z)  # (B, u)
    r = _sig(x @ p.W_r + h @ p.U_r + p.b_r)  # (B, u)
    rec = {"reset_after": r * (h @ p.U_h), "no_reset": h @ p.U_h}.get(kind, (r * h) @ p.U_h)  # (B, u)
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
        "Rows are examples: x_t is (B, d) and W_z is (d, u), so write x_t @ p.W_z (not p.W_z @ x_t). "
        "In the source's convention z_t = 1 means 'take the new candidate': h_t = (1 - z_t) * h_prev + z_t * h_tilde.",
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
                        "The source's equations (used here) read h_t = (1 - z_t) * h_prev + z_t * h_tilde: "
                        "z_t = 1 takes the new candidate.",
        "reset_after": "you applied the reset gate after the product, r * (h_prev @ U_h) (Keras's reset_after=True). "
                       "The source resets before it: (r * h_prev) @ U_h.",
        "no_reset": "your candidate ignores the reset gate: use (r * h_prev) @ U_h, not h_prev @ U_h.",
        "no_tanh": "your candidate is missing its tanh: h_tilde = tanh(x_t W_h + (r * h_prev) U_h + b_h).",
        "candidate": "you returned the candidate h_tilde; the new state mixes it with h_prev using z_t.",
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
        _need_callable(answer, "my_gru_step")
        got, want = [], []
        for x, h, p in self.cases():
            B, u = h.shape
            result = _call(answer, x.copy(), h.copy(), p, what=f"your function (on x_t of shape {x.shape})")
            got.append(_as_array(result, f"the returned h_t (for x_t {x.shape}, h_prev {h.shape})", (B, u)))
            want.append(gru_step(x, h, p)[0])
        if all(np.allclose(g, w, atol=1e-6) for g, w in zip(got, want, strict=True)):
            raise _Verdict(CORRECT, "your GRU step matches the course's gru_step on 3 random batches.")
        cases = self.cases()
        variants = {msg: [_step_variant(x, h, p, kind) for x, h, p in cases] for kind, msg in self._messages.items()}
        known = _match_variants(got, variants)
        if known:
            raise _incorrect(known)
        worst = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want, strict=True))
        raise _incorrect(f"h_t differs from the reference by up to {worst:.3g}. Check z_t, r_t and h_tilde one at a "
                         "time against the equations (gru_step(x_t, h_prev, p) returns them as its second output).")


# --- Exercise 2.2: from one step to a sequence ---------------------------------------------


class GRUSequence(Exercise):
    name = "gru_sequence"
    hints = (
        "Start from h = h0 (zeros of shape (B, u) when h0 is None), loop over t = 0..T-1, call the step on "
        "x[:, t, :] and the current h, and keep every new h.",
        "Stack the T states along axis 1 so the result has shape (B, T, u): np.stack(states, axis=1). "
        "The first stored state is h_1 (after reading x_1), not h_0.",
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
        "no_feedback": "every step starts again from h0: feed each new state into the next step (h = step(x_t, h)).",
        "with_h0": "your states are shifted by one step: the first one should be h_1 (after reading x_1), "
                   "and the last one h_T; do not store h_0.",
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
        _need_callable(answer, "my_gru_sequence")
        got, want, cases = [], [], self.cases()
        for x, p, h0 in cases:
            B, T, _ = x.shape
            args = (x.copy(), p) if h0 is None else (x.copy(), p, h0.copy())
            result = _call(answer, *args, what=f"your function (on x of shape {x.shape})")
            shape = (B, T, p.units)
            if np.shape(result) == (B, p.units):
                raise _invalid(f"you returned only the last state, shape {np.shape(result)}; return every state, "
                               f"shape (B, T, u) = {shape}")
            if np.shape(result) == (T, B, p.units):
                raise _invalid(f"your states have shape {np.shape(result)} = (T, B, u); put time on axis 1: "
                               f"{shape} (np.stack(states, axis=1))")
            got.append(_as_array(result, f"the returned states (for x {x.shape})", shape))
            want.append(gru_forward(x, p, h0=h0, return_gates=True)[1]["h"])
        if all(np.allclose(g, w, atol=1e-6) for g, w in zip(got, want, strict=True)):
            raise _Verdict(CORRECT, "all T states match the course's gru_forward, with and without h0.")
        for kind, message in self._messages.items():
            variant = [self._variant(x, p, h0, kind) for x, p, h0 in cases]
            if all(np.allclose(g, v, atol=1e-6) for g, v in zip(got, variant, strict=True)):
                raise _incorrect(message)
        if all(np.allclose(g[:, -1], w[:, -1], atol=1e-6) for g, w in zip(got, want, strict=True)):
            raise _incorrect("the last state is right but earlier ones are not: store the state after every step.")
        raise _incorrect("the states differ from gru_forward's; check that you start from h0 (or zeros) and use "
                         "the step function with the same weights p at every step.")


# --- Exercise 2.3: parameter count ----------------------------------------------------------


class ParamCount(Exercise):
    name = "param_count"
    hints = (
        "Each of the 3 blocks (update gate, reset gate, candidate) has an input matrix (d x u), "
        "a recurrent matrix (u x u) and biases.",
        "With reset_after=True (the Keras default) Keras keeps two bias vectors per block (input and recurrent); "
        "with reset_after=False only one. Check against keras.layers.GRU(u).count_params() after building it.",
    )
    solution_code = '''
def gru_param_count(d, u, reset_after=True):
    biases = 2 if reset_after else 1
    return 3 * u * (d + u + biases)   # 3 blocks: W (d x u) + U (u x u) + biases
'''
    CASES = ((10, 32, True), (10, 32, False), (1, 50, True), (3, 7, False), (8, 16, True))
    _wrong = {
        "you counted one bias vector per block in both cases; with reset_after=True (the Keras default) there are "
        "two: 3u(d + u + 2).": lambda d, u, ra: 3 * u * (d + u + 1),
        "you counted two bias vectors per block in both cases; with reset_after=False there is only one: "
        "3u(d + u + 1).": lambda d, u, ra: 3 * u * (d + u + 2),
        "your count has no biases at all.": lambda d, u, ra: 3 * u * (d + u),
        "this is the LSTM's count, 4u(d + u + 1): the GRU has three blocks, not four.":
            lambda d, u, ra: 4 * u * (d + u + 1),
        "this is a SimpleRNN's count, u(d + u + 1): the GRU has three such blocks.": lambda d, u, ra: u * (d + u + 1),
        "you forgot the recurrent matrices U (u x u per block).": lambda d, u, ra: 3 * u * (d + (2 if ra else 1)),
    }

    def _grade(self, answer):
        _need_callable(answer, "gru_param_count")
        got = []
        for d, u, ra in self.CASES:
            n = _call(answer, d, u, ra, what=f"gru_param_count({d}, {u}, reset_after={ra})")
            if isinstance(n, bool) or not isinstance(n, int | np.integer | float | np.floating):
                raise _invalid(f"gru_param_count({d}, {u}, reset_after={ra}) returned {type(n).__name__}; "
                               "return a whole number (int)")
            if not float(n).is_integer():
                raise _invalid(f"gru_param_count({d}, {u}, reset_after={ra}) returned {n}, which is not a whole number")
            got.append(int(n))
        want = [count_params("gru", d, u, ra) for d, u, ra in self.CASES]
        if got == want:
            raise _Verdict(CORRECT, f"e.g. GRU(32) on 10 features has {want[0]} parameters (reset_after=True) "
                                    f"and {want[1]} with reset_after=False.")
        for message, formula in self._wrong.items():
            if got == [formula(*c) for c in self.CASES]:
                raise _incorrect(message)
        bad = next(i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w)
        d, u, ra = self.CASES[bad]
        raise _incorrect(f"gru_param_count({d}, {u}, reset_after={ra}) returned {got[bad]}, expected a different "
                         "number. Count the weights of one block, then multiply by the number of blocks.")


# --- Exercise 2.4: source -> Keras weights --------------------------------------------------


class ToKeras(Exercise):
    name = "to_keras"
    hints = (
        "Keras concatenates the three blocks along the columns in the order z, r, h: "
        "kernel = [W_z | W_r | W_h] of shape (d, 3u), recurrent_kernel = [U_z | U_r | U_h] of shape (u, 3u), "
        "bias of shape (3u,) when reset_after=False.",
        "The two conventions differ by z <-> 1 - z, and sigmoid(-a) = 1 - sigmoid(a): negate W_z, U_z and b_z "
        "(and only those).",
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
        "no_negation": "the blocks are in the right place, but the update gate is not negated. Keras keeps the old "
                       "state with weight z, the source with 1 - z, so W_z, U_z and b_z change sign.",
        "rzh_order": "the blocks are in the order r, z, h (and z is not negated); Keras stores z, r, h.",
        "negate_all": "you negated every block; only the update gate (W_z, U_z, b_z) changes sign.",
    }

    def _grade(self, answer):
        _need_callable(answer, "my_to_keras")
        rng = np.random.default_rng(7)
        got, want, params = [], [], []
        for d, u in ((4, 3), (2, 5)):
            p = init_gru_params(d, u, rng, scale=1.0)
            params.append(p)
            result = _call(answer, p, what="your function")
            if not isinstance(result, list | tuple) or len(result) != 3:
                raise _invalid(f"return a list [kernel, recurrent_kernel, bias] (what layer.set_weights expects), "
                               f"got {type(result).__name__}"
                               + (f" of length {len(result)}" if isinstance(result, list | tuple) else ""))
            shapes = ((d, 3 * u), (u, 3 * u), (3 * u,))
            names = ("kernel", "recurrent_kernel", "bias")
            got.append([_as_array(a, f"{n} (for d={d}, u={u})", s)
                        for a, n, s in zip(result, names, shapes, strict=True)])
            want.append(keras_weights(p))
        if all(np.allclose(g, w) for gg, ww in zip(got, want, strict=True) for g, w in zip(gg, ww, strict=True)):
            raise _Verdict(CORRECT, "kernel, recurrent kernel and bias match what keras.layers.GRU(reset_after=False) "
                                    "needs to compute the same function.")
        for kind, message in self._messages.items():
            variant = [self._variant(p, kind) for p in params]
            if all(np.allclose(g, v) for gg, vv in zip(got, variant, strict=True) for g, v in zip(gg, vv, strict=True)):
                raise _incorrect(message)
        which = [n for i, n in enumerate(("kernel", "recurrent_kernel", "bias"))
                 if not all(np.allclose(gg[i], ww[i]) for gg, ww in zip(got, want, strict=True))]
        raise _incorrect(f"{', '.join(which)} differ from the reference. Keras order is z, r, h along the last axis, "
                         "with the update gate's weights negated.")


# --- Exercise 2.5: units for a parameter budget ---------------------------------------------


class UnitsForBudget(Exercise):
    name = "units_for_budget"
    hints = (
        "A GRU layer with u units on d features has 3u(d + u + 2) parameters (Keras's default). Try u = 1, 2, 3, ... "
        "and stop before the count goes over the budget.",
        "A while loop is enough: u = 1; while count(u + 1) <= budget: u += 1. Return an int.",
    )
    solution_code = '''
def gru_units_for_budget(d, budget):
    u = 1
    while 3 * (u + 1) * (d + (u + 1) + 2) <= budget:   # GRU(u + 1) still fits
        u += 1
    return u
'''
    CASES = ((2, count_params("lstm", 2, 16)), (10, count_params("lstm", 10, 32)), (1, 1000), (64, 50_000))

    @staticmethod
    def largest(d, budget, reset_after=True):
        u = 1
        while count_params("gru", d, u + 1, reset_after) <= budget:
            u += 1
        return u

    def _grade(self, answer):
        _need_callable(answer, "gru_units_for_budget")
        got = []
        for d, budget in self.CASES:
            n = _call(answer, d, budget, what=f"gru_units_for_budget({d}, {budget})")
            number = isinstance(n, int | np.integer | float | np.floating) and not isinstance(n, bool)
            if not number or not float(n).is_integer():
                raise _invalid(f"gru_units_for_budget({d}, {budget}) returned {n!r:.40}; "
                               "return a whole number of units")
            got.append(int(n))
        want = [self.largest(d, b) for d, b in self.CASES]
        if got == want:
            d, b = self.CASES[0]
            raise _Verdict(CORRECT, f"e.g. an LSTM(16) on {d} features has {b} parameters; a GRU with {want[0]} units "
                                    f"({count_params('gru', d, want[0])} parameters) is the widest that fits.")
        if got == [w + 1 for w in want]:
            raise _incorrect("off by one: you returned the first width whose count goes over the budget; return the "
                             "last one that fits.")
        if got == [self.largest(d, b, reset_after=False) for d, b in self.CASES]:
            raise _incorrect("you used 3u(d + u + 1), the count for reset_after=False; Keras's default GRU has two "
                             "bias vectors per block: 3u(d + u + 2).")
        over = [(c, g) for c, g in zip(self.CASES, got, strict=True) if count_params("gru", c[0], g) > c[1]]
        if over:
            (d, b), g = over[0]
            raise _incorrect(f"GRU({g}) on {d} features has {count_params('gru', d, g)} parameters, more than the "
                             f"budget {b}: the answer must fit.")
        (d, b), g = next((c, g) for c, g, w in zip(self.CASES, got, want, strict=True) if g != w)
        raise _incorrect(f"GRU({g}) fits the budget {b} on {d} features, but a wider GRU still fits: look for the "
                         "largest width.")


# --- Exercise 3.1: memory half-life ---------------------------------------------------------


class HalfLife(Exercise):
    name = "half_life"
    hints = (
        "With the candidate ignored, each step keeps a fraction (1 - z) of the state (source convention), "
        "so after n steps the fraction is (1 - z)**n.",
        "Solve (1 - z)**n = 1/2 for n with logarithms: n = log(1/2) / log(1 - z). Do not round.",
    )
    solution_code = '''
def half_life(z):
    return np.log(0.5) / np.log(1 - z)   # steps until (1 - z)**n = 1/2
'''
    Z = (0.5, 0.3, 0.1, 0.01, 0.001)
    _wrong = {
        "you used z as the fraction kept; in the source's convention z_t = 1 takes the candidate, so a step "
        "keeps 1 - z of the old state (Keras's convention is the other way round).":
            lambda z: math.log(0.5) / math.log(z),
        "log(2)/z is the small-z approximation: close for z = 0.001, off by a lot for z = 0.5. Use the exact "
        "formula.": lambda z: math.log(2) / z,
        "1/z is the mean lifetime-style guess, not the half-life: solve (1 - z)**n = 1/2 exactly.": lambda z: 1 / z,
        "you rounded up to whole steps; return the exact real number.":
            lambda z: math.ceil(math.log(0.5) / math.log(1 - z)),
    }

    def _grade(self, answer):
        _need_callable(answer, "half_life")
        got = []
        for z in self.Z:
            v = _call(answer, z, what=f"half_life({z})")
            arr = np.asarray(v) if not isinstance(v, str) else None
            if arr is None or arr.dtype == object or arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
                raise _invalid(f"half_life({z}) returned {type(v).__name__} {v!r:.40}; return one number")
            got.append(float(arr.reshape(())))
        want = [math.log(0.5) / math.log(1 - z) for z in self.Z]
        if np.allclose(got, want, rtol=1e-6):
            raise _Verdict(CORRECT, f"e.g. z = 0.01 keeps half of the state for {want[3]:.1f} steps, z = 0.001 for "
                                    f"{want[4]:.0f}.")
        for message, f in self._wrong.items():
            if np.allclose(got, [f(z) for z in self.Z], rtol=1e-6):
                raise _incorrect(message)
        raise _incorrect(f"half_life(0.1) returned {got[2]:.4g}, expected about {want[2]:.3g}. "
                         "Check that (1 - z)**half_life(z) equals 0.5.")


# --- Exercises 3.2 and 3.3: gates by design -------------------------------------------------


def one_unit_gru(d: int = 1, **weights) -> GRUParams:
    """A GRU with ``d`` inputs and one unit (source convention, reset before the product).

    Pass any of ``W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h`` as numbers (``W_*`` may be a list of
    ``d`` numbers); the others are 0. Example: ``one_unit_gru(b_z=-5.0)``.
    """
    names = ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h")
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise TypeError(f"unknown weight name(s) {unknown}; use {', '.join(names)}")
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    p = {}
    for n in names:
        v = np.asarray(weights.get(n, 0.0), dtype=np.float64)
        if n.startswith("W"):
            v = np.broadcast_to(v, (d,)).reshape(d, 1) if v.size in (1, d) else v
        else:
            v = v.reshape(1, 1) if n.startswith("U") else v.reshape(1)
        p[n] = v
    return GRUParams(**p)


def _need_one_unit(answer, name: str, d: int) -> GRUParams:
    if _is_stub(answer):
        raise _not_attempted()
    if not isinstance(answer, GRUParams):
        raise _invalid(f"{name} should be a GRUParams, e.g. one_unit_gru(d={d}, b_z=...), got {type(answer).__name__}")
    if answer.input_size != d or answer.units != 1:
        raise _invalid(f"{name} should have d={d} input(s) and 1 unit, got d={answer.input_size}, "
                       f"u={answer.units}; build it with one_unit_gru(d={d}, ...)")
    return answer


class Carry(Exercise):
    name = "carry"
    T = 50
    hints = (
        "In the source's convention h_t = (1 - z_t) h_prev + z_t h_tilde: to keep h_prev, the update gate must be "
        "close to 0 at every step, whatever the input.",
        "z_t = sigmoid(x_t W_z + h_prev U_z + b_z). With W_z = U_z = 0, z_t = sigmoid(b_z); how negative must b_z be "
        "for (1 - z)**50 to stay above 0.95?",
    )
    solution_code = "carry_params = one_unit_gru(b_z=-10.0)   # z = sigmoid(-10) ~ 4.5e-5 at every step"

    def data(self):
        rng = np.random.default_rng(11)
        v = np.linspace(-0.9, 0.9, 7)  # (n,) values to carry
        x = rng.uniform(-1, 1, size=(v.size, self.T, 1))  # (n, T, 1) distracting inputs
        return x, v

    def _grade(self, answer):
        p = _need_one_unit(answer, "carry_params", 1)
        x, v = self.data()
        h, gates = gru_forward(x, p, h0=v[:, None], return_gates=True)  # (n, 1), dict of (n, T, 1)
        err = float(np.max(np.abs(h[:, 0] - v)))
        if err < 0.05:
            raise _Verdict(CORRECT, f"after {self.T} noisy steps every value is kept within {err:.2g}.")
        z = gates["z"]
        kept = float(np.exp(np.sum(np.log1p(-np.clip(z, 0, 1 - 1e-12)), axis=1)).min())
        if float(z.mean()) > 0.6:
            raise _incorrect(f"the update gate is mostly open (mean z = {z.mean():.2f}), so the state is replaced by "
                             "the candidate. In the source's convention z = 1 takes the new value; you need z near 0.")
        if float(z.mean()) > 0.2:
            raise _incorrect(f"the update gate is far from closed (mean z = {z.mean():.2f}): every step replaces that "
                             "fraction of the state by the candidate, so the value is gone long before step "
                             f"{self.T}. Make z close to 0 whatever the input.")
        raise _incorrect(f"the update gate is small (mean z = {z.mean():.3g}) but not small enough: the product of "
                         f"(1 - z_t) over {self.T} steps leaves only {kept:.2f} of the old value in the worst "
                         f"sequence, and the error is {err:.2f} (need < 0.05). Push z closer to 0.")


class ResetAtMarker(Exercise):
    name = "reset_at_marker"
    T = 50
    hints = (
        "Two things must happen at the marker: the state must be overwritten (only the update gate z can do that), "
        "and what overwrites it must be 0 (the candidate h_tilde = tanh(W_h x + U_h (r * h_prev) + b_h)).",
        "Let the marker channel (x[1]) drive both gates: a large positive W_z[1] with a negative b_z opens z only "
        "at the marker; a large negative W_r[1] with a positive b_r closes r only at the marker, so the candidate "
        "cannot see the old state and equals tanh(0) = 0.",
    )
    solution_code = ("reset_params = one_unit_gru(d=2, W_z=[0.0, 20.0], b_z=-10.0,   # z opens only at the marker\n"
                     "                            W_r=[0.0, -20.0], b_r=10.0,   # r closes only at the marker\n"
                     "                            U_h=1.0)                      # given")

    def data(self):
        rng = np.random.default_rng(12)
        v = np.array([-0.9, -0.4, 0.3, 0.8, 0.6, -0.7])  # (n,) starting states
        marks = np.array([10, 25, 40, 10, 25, 40])  # (n,) marker steps
        x = np.zeros((v.size, self.T, 2))  # (n, T, 2)
        x[:, :, 0] = rng.uniform(-1, 1, size=(v.size, self.T))  # distracting values
        x[np.arange(v.size), marks, 1] = 1.0  # the marker
        return x, v, marks

    def _grade(self, answer):
        p = _need_one_unit(answer, "reset_params", 2)
        if not np.isclose(p.U_h[0, 0], 1.0):
            raise _invalid(f"keep U_h = 1.0 as given (got {p.U_h[0, 0]:g}): the exercise is about an old state that "
                           "the candidate can see.")
        x, v, marks = self.data()
        _, gates = gru_forward(x, p, h0=v[:, None], return_gates=True)
        h = gates["h"][:, :, 0]  # (n, T)
        t = np.arange(self.T)
        before = t[None, :] < marks[:, None]  # (n, T)
        err_before = float(np.max(np.abs(h - v[:, None])[before]))
        err_after = float(np.max(np.abs(h)[~before]))
        if err_before < 0.05 and err_after < 0.05:
            raise _Verdict(CORRECT, "the state is held until the marker, then reset to 0 and held there "
                                    f"(largest errors {err_before:.2g} before, {err_after:.2g} after).")
        if err_before >= 0.05:
            raise _incorrect(f"the state drifts before any marker (error up to {err_before:.2f}): without a marker "
                             "the update gate must stay near 0 so h is kept.")
        i = int(np.argmax(np.abs(v)))
        h_after = float(h[i, marks[i]])
        if abs(h_after - v[i]) < 0.1:
            raise _incorrect(f"nothing happened at the marker: h stayed at {h_after:.2f} (it held {v[i]:.2f}). "
                             "Closing the reset gate does not erase the state: r only changes what the candidate "
                             "sees. Only the update gate z decides whether h_prev is overwritten.")
        z_at = float(gates["z"][i, marks[i], 0])
        r_at = float(gates["r"][i, marks[i], 0])
        if z_at > 0.9 and r_at > 0.1:
            raise _incorrect(f"at the marker the state is overwritten (z = {z_at:.2f}), but by a candidate that still "
                             f"sees the old state (r = {r_at:.2f}, so h became {h_after:.2f} instead of 0). Close the "
                             "reset gate at the marker.")
        raise _incorrect(f"after the marker the state should be 0 and stay there; it reaches {err_after:.2f}. "
                         "Look at z and r at and after the marker (gru_forward(..., return_gates=True)).")


# --- Exercise 4.1: train a GRU that beats a baseline ----------------------------------------


class BeatBaseline(Exercise):
    """The adding problem (``grucourse.tasks.adding_problem``): beat predicting the mean by a factor."""

    name = "beat_baseline"
    T = 20
    FACTOR = 4.0
    hints = (
        "Use build_model('GRU', units, 2, 1, task='regression', seq_len=20) and train it with "
        "fit_early_stopping(model, X_train, y_train, X_val, y_val, epochs=..., patience=...); ~10 epochs are enough.",
        "If the loss stalls near 0.17 the model predicts the mean: raise the learning rate (1e-2), add units "
        "(16 is plenty) or epochs.",
    )
    solution_code = '''
seed_everything(0)
my_model = build_model("GRU", 16, 2, 1, task="regression", seq_len=20, learning_rate=1e-2)
run = fit_early_stopping(my_model, X_train, y_train, X_val, y_val, epochs=12, batch_size=64, patience=3)
'''

    def test_data(self):
        from grucourse.tasks import adding_problem

        return adding_problem(1000, self.T, np.random.default_rng(99))

    def _grade(self, answer):
        if _is_stub(answer):
            raise _not_attempted()
        # predict_on_batch (Keras models) avoids the tf.data pipeline whose C++ log line predict() prints
        predict = getattr(answer, "predict_on_batch", None) or getattr(answer, "predict", None)
        if predict is None and not callable(answer):
            raise _invalid(f"pass your trained Keras model (anything with .predict), got {type(answer).__name__}")
        X, y = self.test_data()
        try:
            pred = predict(X) if predict is not None else answer(X)
        except NotImplementedError:
            raise _not_attempted() from None
        except Exception as exc:
            raise _invalid(f"predicting on inputs of shape {X.shape} (n, T={self.T}, 2 features) failed with "
                           f"{type(exc).__name__}: {str(exc)[:200]}") from None
        pred = np.asarray(pred, dtype=np.float64)
        if pred.shape not in ((len(y),), (len(y), 1)):
            raise _invalid(f"predictions have shape {pred.shape}, expected ({len(y)}, 1): one number per sequence")
        if not np.all(np.isfinite(pred)):
            raise _invalid("the predictions contain NaN or infinity: training diverged (lower the learning rate)")
        mse = float(np.mean((pred.reshape(-1) - y) ** 2))
        baseline = float(np.mean((1.0 - y) ** 2))
        if mse * self.FACTOR <= baseline:
            ratio = f"{baseline / mse:.0f}x better" if mse > 0 else "perfect"
            raise _Verdict(CORRECT, f"test MSE {mse:.4f} vs {baseline:.4f} for always predicting 1.0: {ratio}.")
        if mse >= 0.9 * baseline:
            raise _incorrect(f"test MSE {mse:.4f} is no better than always predicting 1.0 ({baseline:.4f}): the "
                             "model has not learned to use the markers yet. Train longer or with a larger "
                             "learning rate.")
        raise _incorrect(f"test MSE {mse:.4f} beats the baseline {baseline:.4f}, but needs to be {self.FACTOR:.0f}x "
                         f"smaller (<= {baseline / self.FACTOR:.4f}). Train longer or with more units.")


# --- Chapter 14 reader tasks: self-assessment of written answers ----------------------------


class ReaderTask(Exercise):
    """A written answer: the check looks for the rubric's key ideas; compare with the model answer yourself."""

    MIN_WORDS = 25

    def __init__(self, number: int, title: str, key_points: dict[str, str], need: int, hints: tuple[str, ...],
                 summary: str):
        self.name = f"reader_task_{number}"
        self.number = number
        self.title = title
        self.key_points = key_points  # rubric item -> regex for the words that usually express it
        self.need = need
        self.hints = hints
        self.model_answer = summary  # the short model answer, plain text
        self.solution_note = (f"{summary}\n\nThe full model answer, with the course's measurements and a rubric, is "
                              f"in solutions/01_reader_tasks.ipynb (task {number}).")

    def covered(self, text: str) -> dict[str, bool]:
        return {point: bool(re.search(rx, text, re.I)) for point, rx in self.key_points.items()}

    def _grade(self, answer):
        if _is_stub(answer):
            raise _not_attempted("(write your answer in the string)")
        if not isinstance(answer, str):
            raise _invalid(f"write your answer as a text string, got {type(answer).__name__}")
        words = len(answer.split())
        if words == 0:
            raise _not_attempted("(the string is empty)")
        if words < self.MIN_WORDS:
            raise _incorrect(f"{words} words is too short to cover the rubric; aim for 80-200 words.")
        cov = self.covered(answer)
        found = [p for p, ok in cov.items() if ok]
        missing = [p for p, ok in cov.items() if not ok]
        summary = f"your answer mentions {len(found)} of the {len(cov)} key ideas"
        if len(found) >= self.need:
            tail = f"; you could also discuss: {'; '.join(missing)}." if missing else "."
            raise _Verdict(CORRECT, f"{summary}{tail} This automatic check only looks for key ideas: compare your "
                                    "reasoning with the model answer and its rubric (.solution()).")
        raise _incorrect(f"{summary} (at least {self.need} expected). Missing: {'; '.join(missing)}.")


READER_TASKS = (
    ReaderTask(
        1, "Why the GRU over a plain RNN",
        {
            "vanishing (or exploding) gradients in plain RNNs": r"vanish|explod",
            "long-term dependencies are hard for a plain RNN": r"long[- ](term|range)|distant|far back|many steps",
            "gates decide what to keep or overwrite": r"gate|gating",
            "an additive / identity path through the update gate": r"additive|identity|interpolat|copy|carr(y|ies)",
            "a measurement from the course (gradients or accuracy vs lag)": r"measur|experiment|figure|lag|chapter",
        },
        3,
        ("Start from what goes wrong in a plain RNN when the answer depends on an input many steps back.",
         "Explain why h_t = (1 - z) h_prev + z h_tilde lets information (and gradients) pass unchanged when z is "
         "near 0, and cite the experiments of chapters 1 and 5."),
        "A plain RNN multiplies its state by the same recurrent matrix and squashes it at every step, so gradients "
        "from distant steps vanish (or explode) and long-range dependencies are not learned. The GRU's update gate "
        "interpolates between the old state and a candidate, giving an almost-identity path when z is near 0: "
        "information and gradients survive many steps. Chapter 1 measures this: trained GRUs learn delayed recall "
        "at lags where plain RNNs stay near chance, and keep a large gradient across 30 steps; untrained, the GRU "
        "loses its gradient too, so it is the trained gate that opens the path.",
    ),
    ReaderTask(
        2, "Roles of the update and reset gates",
        {
            "update gate z mixes old state and candidate": r"update gate|\bz\b|z_t",
            "reset gate r controls how much old state the candidate sees": r"reset gate|\br\b|r_t",
            "candidate state h_tilde": r"candidate|h_tilde|h~|tilde",
            "which way z interpolates (z = 1 takes the candidate, source convention)": r"1 ?- ?z|interpolat|convention",
            "reset does not erase the state by itself (only z overwrites)": r"only (the )?update|does not erase|not "
                                                                             r"erase|cannot erase|overwrit",
        },
        3,
        ("Write the two equations that use z and r and say in words what each product does.",
         "Careful: closing the reset gate does not wipe the hidden state; which gate decides whether h_prev is kept?"),
        "The update gate z_t decides, per unit, how much of the state is replaced: h_t = (1 - z_t) h_prev + "
        "z_t h_tilde_t (source convention; Keras swaps z and 1 - z). The reset gate r_t decides how much of h_prev "
        "the candidate sees: h_tilde_t = tanh(x_t W_h + (r_t * h_prev) U_h + b_h). r near 0 lets the unit start "
        "afresh from the input, but only z can actually overwrite the state (chapter 3's gate traces).",
    ),
    ReaderTask(
        3, "GRU vs LSTM: structure, complexity, performance",
        {
            "structure: 2 gates and one state vs 3 gates plus a cell state": r"cell state|three gates|3 gates|two "
                                                                              r"gates|2 gates|output gate",
            "parameter count 3u(d+u+...) vs 4u(d+u+1), about 25% fewer": r"param|3u|4u|25 ?%|three.quarters|3/4",
            "speed / compute per step": r"fast|speed|time|flop|compute|cost",
            "accuracy is comparable, task-dependent": r"comparable|similar|depend|no clear|either|match",
            "evidence from the course's measurements": r"measur|experiment|benchmark|figure|chapter",
        },
        3,
        ("Count the gates and state vectors of each, then count parameters with grucourse.gru.count_params.",
         "For performance, separate speed (time per epoch) from accuracy, and quote chapter 6's measurements."),
        "Structure: the GRU has two gates and one state vector; the LSTM has three gates and a separate cell state. "
        "Complexity: a GRU layer has 3u(d+u+2) parameters in Keras (3u(d+u+1) without reset_after), an LSTM 4u(d+u+1), "
        "so about a quarter fewer for the same width, and 3/4 of the computation per step (measured time on a "
        "small CPU need not follow that ratio: speed must be measured on the target hardware). Performance: "
        "task- and budget-dependent; on the adding problem with a short budget the GRU learned and the LSTM did not "
        "(chapter 6), while Chung et al. (2014) found no consistent winner.",
    ),
    ReaderTask(
        4, "When to prefer the GRU",
        {
            "limited data or small models (fewer parameters, less overfitting)": r"small|limited|less data|fewer "
                                                                                 r"param|overfit",
            "latency, memory or on-device constraints": r"latency|memory|device|edge|embedded|mobile|real.time|speed|"
                                                        r"fast",
            "moderate-length dependencies": r"moderate|not extremely|medium|short",
            "when LSTM might still be preferred (very long or complex dependencies)": r"lstm.*(better|prefer|win)|"
                                                                                      r"very long|counting|complex",
            "justified by evidence, e.g. equal parameter budget comparisons": r"budget|measur|experiment|chapter|"
                                                                              r"evidence|benchmark",
        },
        3,
        ("Think of constraints: data size, compute, latency, memory. Which does the GRU's smaller size help with?",
         "A justified answer also says when you would not pick the GRU, and cites chapters 7 and 13."),
        "Prefer the GRU when data are limited, the training budget is short, or the model must be small (on-device, "
        "streaming, many models), and when dependencies are moderate: at the same width it has about 25% fewer "
        "parameters, one state vector instead of two and 3/4 of the arithmetic per step (chapters 6, 7 and 13; "
        "whether it is faster must be measured on your hardware). The source expects the LSTM to do slightly better "
        "on very long, complex sequences; the course could not confirm it within its budget (chapter 7), so on "
        "such tasks try both at an equal parameter budget: the choice is empirical.",
    ),
    ReaderTask(
        5, "How a GRU processes a sequence in the introductory example",
        {
            "one time step at a time, carrying the hidden state": r"one (time )?step|each (time )?step|step by step|"
                                                                  r"every (time )?step",
            "input shape (batch, 20 steps, 10 features)": r"20|10 features|\(100, ?20, ?10\)|batch",
            "gates computed from x_t and h_prev at each step": r"gate",
            "only the final hidden state (32 numbers) goes to the Dense sigmoid": r"final|last|32|dense|sigmoid",
            "the labels are random, so nothing real can be learned": r"random|chance|no (real )?pattern|meaningless",
        },
        3,
        ("Follow one sequence of shape (20, 10) through GRU(32) and Dense(1, sigmoid): what shape is produced at each "
         "step, and what reaches the Dense layer?",
         "Look at the example's data: X = np.random.rand(100, 20, 10), y random 0/1. What accuracy can it reach on "
         "new data? Chapter 8 measures it."),
        "For each of the 100 sequences, GRU(32) starts from h_0 = 0 and reads the 20 steps one step at a time: at "
        "each step t it computes the update gate z_t and the reset gate r_t from x_t (10 features) and h_{t-1}, forms "
        "the candidate and mixes it into h_t (32 numbers). Only the final state h_20 reaches Dense(1, sigmoid), "
        "which outputs a probability. In the source's example the labels are random, so no model can beat chance "
        "on new data (chapter 8 shows this).",
    ),
)

reader_task_1, reader_task_2, reader_task_3, reader_task_4, reader_task_5 = READER_TASKS

ex_gru_step = GRUStep()
ex_gru_sequence = GRUSequence()
ex_param_count = ParamCount()
ex_to_keras = ToKeras()
ex_units_for_budget = UnitsForBudget()
ex_half_life = HalfLife()
ex_carry = Carry()
ex_reset = ResetAtMarker()
ex_train = BeatBaseline()

EXERCISES = (*READER_TASKS, ex_gru_step, ex_gru_sequence, ex_param_count, ex_to_keras, ex_units_for_budget,
             ex_half_life, ex_carry, ex_reset, ex_train)


# --- Quiz questions (jupyterquiz format: rendered offline, the JS is inlined by jupyterquiz) ----------

QUIZ = [
    {
        "question": r"In the source's convention $h_t = (1 - z_t) h_{t-1} + z_t \tilde h_t$, the update gate "
                    r"of a unit is $z_t = 0.01$ at every step. What happens to that unit's state?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "It is kept almost unchanged: each step keeps 99% of it.", "correct": True,
             "feedback": "Right: z near 0 copies h_{t-1} forward (Keras writes the same model with z and 1 - z "
                         "swapped)."},
            {"answer": "It is replaced by the candidate at almost every step.", "correct": False,
             "feedback": "That is what z near 1 does in this convention. Keras's equation is the other way round, "
                         "which is why the direction of z is a classic confusion."},
            {"answer": "It is reset to zero.", "correct": False,
             "feedback": "No gate sets the state to zero directly; z only mixes old state and candidate."},
        ],
    },
    {
        "question": "The reset gate of a unit is fully open ($r_t = 1$). Does the GRU then behave like a plain RNN?",
        "type": "multiple_choice",
        "answers": [
            {"answer": r"Only if the update gate is also $z_t = 1$ (source convention): then $h_t = \tilde h_t = "
                       r"\tanh(x_t W_h + h_{t-1} U_h + b_h)$, a plain RNN step.", "correct": True,
             "feedback": "Right: the candidate is a plain RNN step when r = 1, but the state is a plain RNN only if "
                         "the update gate also passes the candidate through unmixed."},
            {"answer": "Yes, $r = 1$ always makes it a plain RNN.", "correct": False,
             "feedback": "A classic misconception: with r = 1 the candidate is an RNN step, but z still mixes it with "
                         "the old state, which keeps the additive memory path."},
            {"answer": "No, it becomes a feed-forward layer that ignores the past.", "correct": False,
             "feedback": "That is closer to $r = 0$ and $z = 1$: the candidate then ignores $h_{t-1}$."},
        ],
    },
    {
        "question": "A unit's reset gate closes ($r_t = 0$) at step $t$ while $z_t = 0$. What is $h_t$?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "$h_t = h_{t-1}$: the state is kept.", "correct": True,
             "feedback": "Right: r only changes the candidate, and with z = 0 the candidate is not used."},
            {"answer": "$h_t = 0$: the reset gate erased the memory.", "correct": False,
             "feedback": "The name misleads: the reset gate cannot erase the state, only the update gate can "
                         "overwrite it (exercise 3.3 tests this)."},
        ],
    },
    {
        "question": "keras.layers.GRU(32) reads sequences with 10 features (the source's example). How many "
                    "parameters does the layer have (Keras default reset_after=True)?",
        "type": "multiple_choice",
        "answers": [
            {"answer": str(count_params("gru", 10, 32, True)), "correct": True,
             "feedback": "Right: 3 blocks x 32 units x (10 + 32 + 2)."},
            {"answer": str(count_params("gru", 10, 32, False)), "correct": False,
             "feedback": "That is reset_after=False (one bias vector per block); the Keras default has two."},
            {"answer": str(count_params("lstm", 10, 32)), "correct": False,
             "feedback": "That is an LSTM(32): four blocks."},
        ],
    },
    {
        "question": "Which statement about GRU vs LSTM does the course's evidence support?",
        "type": "multiple_choice",
        "answers": [
            {"answer": "At the same width the GRU has about 25% fewer parameters; which one is more accurate "
                       "depends on the task and the training budget.", "correct": True,
             "feedback": "Right: 3 blocks instead of 4 always; accuracy is an empirical question (chapter 6 found "
                         "the GRU ahead on one task with a short budget, Chung et al. 2014 no consistent winner)."},
            {"answer": "The GRU is always more accurate because it is simpler.", "correct": False,
             "feedback": "Simpler is not always more accurate: the course measured one task and one budget, and "
                         "Chung et al. (2014) found no consistent winner across tasks."},
            {"answer": "The LSTM always learns longer dependencies.", "correct": False,
             "feedback": "Not on the course's measurements: both have an additive memory path, and on longer "
                         "sequences the LSTM did not do better within the training budget (chapter 7)."},
        ],
    },
]


def show_quiz() -> None:
    """Show the multiple-choice quiz (offline: jupyterquiz inlines its JavaScript and the questions)."""
    from jupyterquiz import display_quiz

    display_quiz(QUIZ, shuffle_answers=False, colors={"--jq-multiple-choice-bg": "#0072B2"})  # Okabe-Ito blue
