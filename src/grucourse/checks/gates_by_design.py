"""Checkers of exercise set 3: gates by design (half-life, carrying a
value, resetting at a marker)."""

from __future__ import annotations

import math

from grucourse.checks.core import (
    CORRECT,
    Exercise,
    FailedBuild,
    Verdict,
    call_answer,
    incorrect,
    invalid,
    is_stub,
    need_callable,
    not_attempted,
)
from grucourse.core.gru import GRUParams, gru_forward

import numpy as np

# --- Exercise 3.1: memory half-life ---------------------------------------------------------


class HalfLife(Exercise):
    name = "half_life"
    hints = (
        "With the candidate ignored, each step keeps a fraction (1 - z) of the state (source "
        "convention), so after n steps the fraction is (1 - z)**n.",
        "Solve (1 - z)**n = 1/2 for n with logarithms: n = log(1/2) / log(1 - z). Do not round.",
    )
    solution_code = '''
def half_life(z):
    return np.log(0.5) / np.log(1 - z)   # steps until (1 - z)**n = 1/2
'''
    Z = (0.5, 0.3, 0.1, 0.01, 0.001)
    _wrong = {
        "you used z as the fraction kept; in the source's convention z_t = 1 takes the candidate, "
        "so a step keeps 1 - z of the old state (Keras's convention is the other way round).":
            lambda z: math.log(0.5) / math.log(z),
        "log(2)/z is the small-z approximation: close for z = 0.001, off by a lot for z = 0.5. "
        "Use the exact formula.": lambda z: math.log(2) / z,
        "1/z is the mean lifetime-style guess, not the half-life: solve (1 - z)**n = 1/2 exactly.":
            lambda z: 1 / z,
        "you rounded up to whole steps; return the exact real number.":
            lambda z: math.ceil(math.log(0.5) / math.log(1 - z)),
    }

    def _grade(self, answer):
        need_callable(answer, "half_life")
        got = []
        for z in self.Z:
            v = call_answer(answer, z, what=f"half_life({z})")
            arr = np.asarray(v) if not isinstance(v, str) else None
            if (arr is None or arr.dtype == object or arr.size != 1
                    or not np.issubdtype(arr.dtype, np.number)):
                raise invalid(f"half_life({z}) returned {type(v).__name__} {v!r:.40}; "
                               "return one number")
            got.append(float(arr.reshape(())))
        want = [math.log(0.5) / math.log(1 - z) for z in self.Z]
        if np.allclose(got, want, rtol=1e-6):
            raise Verdict(CORRECT, f"e.g. z = 0.01 keeps half of the state for {want[3]:.1f} "
                                    f"steps, z = 0.001 for {want[4]:.0f}.")
        for message, f in self._wrong.items():
            if np.allclose(got, [f(z) for z in self.Z], rtol=1e-6):
                raise incorrect(message)
        raise incorrect(f"half_life(0.1) returned {got[2]:.4g}, expected about {want[2]:.3g}. "
                         "Check that (1 - z)**half_life(z) equals 0.5.")


# --- Exercises 3.2 and 3.3: gates by design -------------------------------------------------


def one_unit_gru(d: int = 1, **weights) -> GRUParams | FailedBuild:
    """A GRU with ``d`` inputs and one unit (source convention, reset before the product).

    Pass any of ``W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h``; the others are 0. ``U_*`` and
    ``b_*`` are numbers; ``W_*`` is a number when ``d=1`` and a list of ``d`` numbers (one per
    input) otherwise. Example: ``one_unit_gru(b_z=-5.0)``, ``one_unit_gru(d=2, W_z=[0.0, 20.0])``.
    Wrong arguments give a :class:`FailedBuild` that says what is wrong (and that a check reports),
    so a check never grades the parameters of an earlier run.
    """
    names = ("W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h")
    call = "one_unit_gru(...)"
    unknown = sorted(set(weights) - set(names))
    if unknown:
        return FailedBuild(call, f"unknown weight name(s) {unknown}; the names are "
                                 f"{', '.join(names)}")
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        return FailedBuild(call, f"d is the number of inputs, a positive whole number; got {d!r}")
    p = {}
    for n in names:
        try:
            v = np.asarray(weights.get(n, np.zeros(d) if n.startswith("W") else 0.0),
                           dtype=np.float64)
        except (TypeError, ValueError):
            return FailedBuild(call, f"{n} must be a number (or a list of numbers), got "
                                     f"{weights[n]!r:.40}")
        if n.startswith("W"):
            if v.size != d or v.ndim > 1:
                if v.size == 1 and d > 1:
                    return FailedBuild(call, f"{n} is one number but d={d}: "
                                             "give one weight per input, e.g. "
                                             f"{n}={[0.0] * (d - 1) + [float(v.reshape(()))]}")
                hint = f": pass d={v.size}" if v.ndim == 1 and v.size > 1 else ""
                return FailedBuild(call, f"{n} has {v.size} number(s) but d={d}{hint} "
                                         "(one weight per input)")
            v = v.reshape(d, 1)  # (d, 1)
        else:
            if v.size != 1:
                return FailedBuild(call, f"{n} must be one number (the layer has one unit), "
                                         f"got {v.size} numbers")
            v = v.reshape(1, 1) if n.startswith("U") else v.reshape(1)  # (1, 1) or (1,)
        if not np.all(np.isfinite(v)):
            return FailedBuild(call, f"{n} contains NaN or infinity")
        p[n] = v
    return GRUParams(**p)


def _need_one_unit(answer, name: str, d: int) -> GRUParams:
    if is_stub(answer):
        raise not_attempted()
    if not isinstance(answer, GRUParams):
        raise invalid(f"{name} should be a GRUParams, e.g. one_unit_gru(d={d}, b_z=...), "
                       f"got {type(answer).__name__}")
    if answer.input_size != d or answer.units != 1:
        raise invalid(f"{name} should have d={d} input(s) and 1 unit, got d={answer.input_size}, "
                       f"u={answer.units}; build it with one_unit_gru(d={d}, ...)")
    return answer


class Carry(Exercise):
    name = "carry"
    T = 50
    hints = (
        "In the source's convention h_t = (1 - z_t) h_prev + z_t h_tilde: to keep h_prev, the "
        "update gate must be close to 0 at every step, whatever the input.",
        "z_t = sigmoid(x_t W_z + h_prev U_z + b_z). With W_z = U_z = 0, z_t = sigmoid(b_z); "
        "how negative must b_z be for (1 - z)**50 to stay above 0.95?",
    )
    solution_code = ("carry_params = one_unit_gru(b_z=-10.0)"
                     "   # z = sigmoid(-10) ~ 4.5e-5 at every step")

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
            raise Verdict(CORRECT, f"after {self.T} noisy steps every value is kept "
                                    f"within {err:.2g}.")
        z = gates["z"]
        kept = float(np.exp(np.sum(np.log1p(-np.clip(z, 0, 1 - 1e-12)), axis=1)).min())
        if float(z.mean()) > 0.6:
            raise incorrect(f"the update gate is mostly open (mean z = {z.mean():.2f}), so the "
                             "state is replaced by the candidate. In the source's convention z = 1 "
                             "takes the new value; you need z near 0.")
        if float(z.mean()) > 0.2:
            raise incorrect(f"the update gate is far from closed (mean z = {z.mean():.2f}): "
                             "every step replaces that fraction of the state by the candidate, "
                             f"so the value is gone long before step {self.T}. Make z close "
                             "to 0 whatever the input.")
        raise incorrect(f"the update gate is small (mean z = {z.mean():.3g}) but not small "
                         f"enough: the product of (1 - z_t) over {self.T} steps leaves only "
                         f"{kept:.2f} of the old value in the worst sequence, and the error is "
                         f"{err:.2f} (need < 0.05). Push z closer to 0.")


class ResetAtMarker(Exercise):
    name = "reset_at_marker"
    T = 50
    hints = (
        "Two things must happen at the marker: the state must be overwritten (only the update "
        "gate z can do that), and what overwrites it must be 0 (the candidate "
        "h_tilde = tanh(W_h x + U_h (r * h_prev) + b_h)).",
        "Let the marker channel (x[1]) drive both gates: a large positive W_z[1] with a negative "
        "b_z opens z only at the marker; a large negative W_r[1] with a positive b_r closes r only "
        "at the marker, so the candidate cannot see the old state and equals tanh(0) = 0.",
    )
    solution_code = ("reset_params = one_unit_gru(d=2, W_z=[0.0, 20.0], b_z=-10.0,"
                     "   # z opens only at the marker\n"
                     "                            W_r=[0.0, -20.0], b_r=10.0,"
                     "   # r closes only at the marker\n"
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
            raise invalid(f"keep U_h = 1.0 as given (got {p.U_h[0, 0]:g}): the exercise is about "
                           "an old state that the candidate can see.")
        x, v, marks = self.data()
        _, gates = gru_forward(x, p, h0=v[:, None], return_gates=True)
        h = gates["h"][:, :, 0]  # (n, T)
        t = np.arange(self.T)
        before = t[None, :] < marks[:, None]  # (n, T)
        err_before = float(np.max(np.abs(h - v[:, None])[before]))
        err_after = float(np.max(np.abs(h)[~before]))
        if err_before < 0.05 and err_after < 0.05:
            raise Verdict(CORRECT, "the state is held until the marker, then reset to 0 and "
                                    f"held there (largest errors {err_before:.2g} before, "
                                    f"{err_after:.2g} after).")
        if err_before >= 0.05:
            raise incorrect(f"the state drifts before any marker (error up to {err_before:.2f}): "
                             "without a marker the update gate must stay near 0 so h is kept.")
        i = int(np.argmax(np.abs(v)))
        h_after = float(h[i, marks[i]])
        if abs(h_after - v[i]) < 0.1:
            raise incorrect(f"nothing happened at the marker: h stayed at {h_after:.2f} "
                             f"(it held {v[i]:.2f}). Closing the reset gate does not erase the "
                             "state: r only changes what the candidate sees. Only the update gate "
                             "z decides whether h_prev is overwritten.")
        z_at = float(gates["z"][i, marks[i], 0])
        r_at = float(gates["r"][i, marks[i], 0])
        if z_at > 0.9 and r_at > 0.1:
            raise incorrect(f"at the marker the state is overwritten (z = {z_at:.2f}), "
                             "but by a candidate that still sees the old state "
                             f"(r = {r_at:.2f}, so h became {h_after:.2f} instead of 0). "
                             "Close the reset gate at the marker.")
        raise incorrect("after the marker the state should be 0 and stay there; "
                         f"it reaches {err_after:.2f}. Look at z and r at and after the marker "
                         "(gru_forward(..., return_gates=True)).")


