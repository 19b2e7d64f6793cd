"""Checkers of exercise set 6: training recipes (an update-gate bias for a half-life,
stateful windows, a clip norm)."""

from __future__ import annotations

import math

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
from grucourse.core.activations import sigmoid

import numpy as np

# --- Exercise 6.1: a Keras GRU whose update gate starts with a given half-life ----------------


class HalfLifeLayer(Exercise):
    name = "half_life_layer"
    hints = (
        "In Keras's convention z close to 1 keeps the state: a unit keeps the "
        "fraction sigmoid(b_z) per step, so after n steps sigmoid(b_z)**n is left. "
        "Solve sigmoid(b_z)**n = 1/2 for b_z.",
        "b_z = log(k / (1 - k)) with k = 0.5 ** (1 / half_life). Write it with "
        "keras.layers.GRU(units, bias_initializer=UpdateGateBias(b_z)), or build the layer and "
        "call set_update_gate_bias(layer, b_z).",
    )
    solution_code = '''
def gru_with_half_life(units, half_life):
    keep = 0.5 ** (1 / half_life)  # fraction kept per step
    b_z = np.log(keep / (1 - keep))  # Keras convention: sigmoid(b_z) = keep
    return keras.layers.GRU(units, bias_initializer=UpdateGateBias(b_z))
'''
    CASES = ((4, 10.0), (3, 30.0), (2, 2.5))

    @staticmethod
    def _want(n):
        keep = 0.5 ** (1 / n)
        return math.log(keep / (1 - keep))

    _wrong = {
        "your bias has the wrong sign: that is the source's convention (z near 0 keeps). "
        "Keras keeps the state when z is near 1, so its b_z is positive for a long memory.":
            lambda n: -HalfLifeLayer._want(n),
        "your unit keeps 1 - ln(2)/n per step, the small-gate approximation; it is close for long "
        "half-lives only. Solve sigmoid(b_z)**n = 1/2 exactly.":
            lambda n: math.log((1 - math.log(2) / n) / (math.log(2) / n)),
        "you set the forgetting time 1 + e^b_z to n (b_z = log(n - 1)); the half-life is a "
        "different time: solve sigmoid(b_z)**n = 1/2.": lambda n: math.log(n - 1),
        "you wrote the fraction kept per step, 0.5**(1/n), as the bias; the bias is its logit, "
        "log(k / (1 - k)).": lambda n: 0.5 ** (1 / n),
    }

    def _grade(self, answer):
        from grucourse.training.initialisers import update_gate_bias

        import keras

        need_callable(answer, "gru_with_half_life")
        got = []
        for units, n in self.CASES:
            layer = call_answer(answer, units, n, what=f"gru_with_half_life({units}, {n})")
            if not isinstance(layer, keras.layers.GRU):
                raise invalid(f"gru_with_half_life({units}, {n}) returned {type(layer).__name__}; "
                               "return the keras.layers.GRU layer itself")
            if layer.units != units:
                raise invalid(f"gru_with_half_life({units}, {n}) has {layer.units} "
                               f"units, expected {units}")
            if not layer.built:
                layer(np.zeros((1, 3, 2), dtype=np.float32))  # build it on a tiny input
            try:
                b = update_gate_bias(layer)  # (units,) total Keras b_z
            except ValueError as exc:
                raise invalid(str(exc)) from None
            got.append(b)
        want = [np.full(u, self._want(n)) for u, n in self.CASES]
        if all(np.allclose(g, w, atol=1e-4) for g, w in zip(got, want, strict=True)):
            raise Verdict(CORRECT, "e.g. a half-life of 30 steps needs "
                                    f"b_z = {self._want(30.0):.3f} "
                                    f"(z = {float(sigmoid(np.float64(self._want(30.0)))):.4f}).")
        for message, f in self._wrong.items():
            if all(np.allclose(g, f(n), atol=1e-4)
                   for g, (_, n) in zip(got, self.CASES, strict=True)):
                raise incorrect(message)
        if all(np.allclose(g, 0.0) for g in got):
            raise incorrect("the update-gate bias is still Keras's default 0 "
                             "(half-life one step): set b_z.")
        kept = sigmoid(np.asarray(got[0], dtype=np.float64)) ** self.CASES[0][1]
        raise incorrect(f"with your bias a unit keeps {np.round(kept, 3).tolist()} of its state "
                         "after 10 steps instead of 0.5 in every unit.")


# --- Exercise 6.2: windows for a stateful GRU -----------------------------------------------


class StatefulWindows(Exercise):
    name = "stateful_windows"
    hints = (
        "Split the stream into batch_size contiguous sub-streams of L = N // batch_size steps, "
        "one per batch row, and cut each into K = L // window windows.",
        "Batch i must hold window i of every sub-stream: reshape to (B, K, W, f), transpose to "
        "(K, B, W, f), then reshape to (K * B, W, f).",
    )
    solution_code = '''
def stateful_batches(series, batch_size, window):
    N, f = series.shape
    L = N // batch_size                                  # steps per batch row
    K = L // window                                      # windows per row
    sub = series[: batch_size * L].reshape(batch_size, L, f)[:, : K * window]
    win = sub.reshape(batch_size, K, window, f).transpose(1, 0, 2, 3)  # (K, B, W, f)
    return win.reshape(K * batch_size, window, f)
'''
    CASES = ((50, 2, 3, 5), (37, 1, 4, 3), (24, 3, 2, 2))  # (N, f, batch_size, window)

    @staticmethod
    def _series(N, f):
        # (N, f): every value tells its step
        return np.arange(N * f, dtype=np.float64).reshape(N, f)

    def _grade(self, answer):
        from grucourse.data.streams import independent_windows, stateful_windows

        need_callable(answer, "stateful_batches")
        for N, f, B, W in self.CASES:
            series = self._series(N, f)
            want = stateful_windows(series, B, W)  # (K*B, W, f)
            got = call_answer(answer, series.copy(), B, W,
                        what=f"stateful_batches(series of {N} steps, {B}, {W})")
            got = need_array(got, f"stateful_batches(series of {N} steps, {B}, {W})")
            if got.shape != want.shape:
                raise invalid(f"for {N} steps, batch_size={B}, window={W} the windows should have "
                               f"shape {want.shape} (K*B, W, f), got {got.shape}")
            if np.array_equal(got, want):
                continue
            K = want.shape[0] // B
            L = N // B
            stream_major = series[: B * L].reshape(B, L, f)[:, : K * W].reshape(B * K, W, f)
            if np.array_equal(got, stream_major):
                raise incorrect("your windows are in stream order (all windows of row 0, then "
                                 "row 1, ...): a stateful layer carries row b of one batch into "
                                 "row b of the next, so batch i must hold window i of every "
                                 "sub-stream.")
            if np.array_equal(got, independent_windows(series, W)[: K * B]):
                raise incorrect("consecutive windows one after another: then row b of batch "
                                 "i+1 does not continue row b of batch i. Split the stream into "
                                 "batch_size sub-streams first.")
            raise incorrect(f"for {N} steps, batch_size={B}, window={W}: row 0 of batch 1 should "
                             f"start at step {int(want[B, 0, 0] // f)}, the step after row 0 of "
                             f"batch 0 ends; yours starts at value {got[B, 0, 0]:g}.")
        raise Verdict(CORRECT, "row b of every batch continues row b of the batch before, "
                                "as stateful=True needs.")


# --- Exercise 6.3: a clip norm read from a gradient-norm trace -------------------------------


class ClipFromTrace(Exercise):
    name = "clip_from_trace"
    hints = (
        "A clip norm should leave the ordinary steps of a healthy run alone and cut only its rare "
        "spikes: here, at most 10% of the recorded steps may lie above it.",
        "Drop the non-finite entries (np.isfinite), then take the 90th percentile: "
        "np.percentile(norms, 90).",
    )
    solution_code = '''
def clip_norm_from_trace(norms):
    norms = np.asarray(norms, dtype=float)  # (steps,) gradient norms of a healthy run
    norms = norms[np.isfinite(norms)]       # steps that were not recorded are NaN
    return float(np.percentile(norms, 90))  # at most 10% of the steps get clipped
'''
    TOUCH = 0.1  # the largest fraction of healthy steps the clip may touch

    @staticmethod
    def _traces():
        """Three healthy traces ``(steps,)``: log-normal norms, a few spikes,
        some steps not recorded (NaN)."""
        traces = []
        for seed, n, scale in ((0, 100, 1.0), (1, 200, 0.05), (2, 300, 20.0)):
            rng = np.random.default_rng([seed, 63])
            norms = scale * rng.lognormal(0.0, 0.3, size=n)  # (n,) ordinary steps
            spikes = rng.choice(n, size=n // 20, replace=False)
            norms[spikes] *= 10.0  # rare large gradients
            blank = rng.choice(n, size=n // 10, replace=False)
            norms[blank] = np.nan  # steps the trace did not record
            traces.append(norms)
        return traces

    def _grade(self, answer):
        need_callable(answer, "clip_norm_from_trace")
        for trace in self._traces():
            finite = np.sort(trace[np.isfinite(trace)])  # (m,)
            m = finite.size
            k = int(self.TOUCH * m)  # at most k steps may lie above the clip
            low, high = finite[m - k - 1], finite[m - k]  # the clips that touch exactly k steps
            got = call_answer(answer, trace.copy(),
                        what=f"clip_norm_from_trace(a trace of {trace.size} steps)")
            if (isinstance(got, (bool, np.bool_))
                    or not isinstance(got, (int, float, np.integer, np.floating))):
                if isinstance(got, np.ndarray) and got.size == 1:
                    got = got.item()
                else:
                    raise invalid(f"clip_norm_from_trace returned {type(got).__name__}; "
                                   "return one number")
            got = float(got)
            if math.isnan(got):
                raise incorrect("your clip norm is NaN: the trace holds NaN where a step was "
                                 "not recorded, and NaN spreads through max, mean and percentile. "
                                 "Keep np.isfinite(norms) first.")
            if low * (1 - 1e-9) <= got < high and not np.isclose(got, high, rtol=1e-9):
                continue  # exactly k steps lie above it: no smaller clip does that
            # fraction of recorded steps the clip would touch
            clipped = float(np.mean(finite > got))
            if np.isclose(got, finite[-1]):
                raise incorrect("your clip norm is the largest norm of the trace: it never "
                                 "touches a step, so it would not stop the next spike either. "
                                 "Cut the rare spikes: at most 10% of steps.")
            if np.isclose(got, finite.mean()):
                raise incorrect("your clip norm is the mean norm: the spikes pull it up, "
                                 f"and it still clips {clipped:.0%} of the ordinary steps. "
                                 "Use a percentile of the norms.")
            if np.isclose(got, np.median(finite)):
                raise incorrect("your clip norm is the median: it clips half of the steps of a "
                                 "healthy run, which slows training everywhere. At most 10% of "
                                 "the steps should be clipped.")
            if np.isclose(got, high, rtol=1e-9):
                raise incorrect(f"your clip norm is one rank too high: it clips {k - 1} of "
                                 f"the {m} recorded steps, where {k} (10%) may be clipped. The "
                                 "task asks for the smallest such clip: the next norm down "
                                 "(np.percentile(norms, 90) lies between the two).")
            if got < low:
                raise incorrect(f"your clip norm clips {clipped:.0%} of the steps of "
                                 "a healthy run; it should touch at most 10% of them "
                                 "(the rare spikes) and no more.")
            raise incorrect(f"your clip norm clips only {clipped:.0%} of the steps: it is higher "
                             "than it needs to be. The smallest clip that touches at most 10% of "
                             "the steps is the 90th percentile.")
        raise Verdict(CORRECT, "the clip leaves 90% of the healthy steps alone "
                                "and cuts the spikes.")
