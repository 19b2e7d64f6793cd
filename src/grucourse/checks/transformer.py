"""Checkers of exercise set 10: GRU or Transformer? (the bytes of a KV cache, Keras GRU weights
in ONNX's layout)."""

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
from grucourse.core.attention import kv_cache_numbers

import numpy as np

# --- Exercise 10.1: the bytes of a KV cache ---------------------------------------------------


class KVCacheBytes(Exercise):
    name = "kv_cache_bytes"
    hints = (
        "Every layer keeps, for every token of the context, one key and one value of d_model "
        "numbers each.",
        "2 * n_layers * L * d_model numbers, times bytes_per_number.",
    )
    solution_code = '''
def kv_cache_bytes(n_layers, L, d_model, bytes_per_number):
    return 2 * n_layers * L * d_model * bytes_per_number   # a key and a value per token
'''
    CASES = ((12, 4096, 768, 2), (1, 16, 128, 4), (2, 1, 8, 4), (32, 8192, 4096, 2))
    _wrong = {
        "you counted the keys only (or the values only): the cache holds both, a factor 2.":
            lambda n, L, d, b: n * L * d * b,
        "you left out the layers: every layer has its own keys and values.":
            lambda n, L, d, b: 2 * L * d * b,
        "you returned numbers, not bytes: multiply by bytes_per_number.":
            lambda n, L, d, b: 2 * n * L * d,
        "you returned bits: a byte is 8 bits, bytes_per_number is already in bytes.":
            lambda n, L, d, b: 2 * n * L * d * b * 8,
        "you squared L: the cache grows linearly with the context (the attention scores, "
        "not kept between tokens, grow with L per token).":
            lambda n, L, d, b: 2 * n * L * L * d * b,
    }

    def _grade(self, answer):
        need_callable(answer, "kv_cache_bytes")
        got = []
        for case in self.CASES:
            v = call_answer(answer, *case, what=f"kv_cache_bytes{case}")
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise invalid(f"kv_cache_bytes{case} returned {type(v).__name__} {v!r:.40}; "
                               "return a whole number of bytes")
            got.append(int(v))
        want = [kv_cache_numbers(n, L, d) * b for n, L, d, b in self.CASES]
        if got == want:
            raise Verdict(CORRECT, f"12 layers of width 768 at 4,096 tokens in float16 keep "
                                    f"{want[0] / 1e6:.0f} MB per sequence; a GRU of 2,048 units "
                                    "keeps 4 kB whatever the context.")
        for message, f in self._wrong.items():
            if got == [f(*case) for case in self.CASES]:
                raise incorrect(message)
        raise incorrect(f"for 12 layers, L = 4096, d_model = 768, 2 bytes you returned "
                         f"{got[0]:,}; count keys and values per token per layer.")


# --- Exercise 10.2: Keras GRU weights in ONNX's layout -----------------------------------------


def _reference_onnx(kernel, recurrent, bias):
    return kernel.T[None], recurrent.T[None], bias.reshape(1, -1)


class ToOnnx(Exercise):
    name = "to_onnx"
    hints = (
        "Keras's kernel is (d, 3u) with the gate blocks z, r, h in columns; ONNX's W is "
        "(1, 3u, d) with the same blocks in rows: a transpose, no reordering.",
        "W = kernel.T[None], R = recurrent.T[None], B = bias.reshape(1, -1) (the input-bias row "
        "then the recurrent-bias row).",
    )
    solution_code = '''
def to_onnx(kernel, recurrent, bias):
    W = kernel.T[None]           # (d, 3u) -> (1, 3u, d); blocks z, r, h stay in order
    R = recurrent.T[None]        # (u, 3u) -> (1, 3u, u)
    B = bias.reshape(1, -1)      # (2, 3u) -> (1, 6u) = [Wb_zrh, Rb_zrh]
    return W, R, B
'''

    def _wrong(self, k, rc, b):
        u = rc.shape[0]
        rzh = np.concatenate([np.arange(u, 2 * u), np.arange(u), np.arange(2 * u, 3 * u)])
        return {
            "your W is the kernel reshaped, not transposed: reshape keeps the memory order, so "
            "the numbers land in the wrong places. Use kernel.T.":
                (k.reshape(1, 3 * u, -1), rc.reshape(1, 3 * u, u), b.reshape(1, -1)),
            "you reordered the gates to r, z, h: that is PyTorch's order. ONNX keeps Keras's "
            "z, r, h.": (k.T[rzh][None], rc.T[rzh][None], b[:, rzh].reshape(1, -1)),
            "your B interleaves the two bias rows (bias.T): ONNX wants all input biases, then "
            "all recurrent biases: bias.reshape(1, -1).":
                (k.T[None], rc.T[None], b.T.reshape(1, -1)),
            "your B has the recurrent biases set to zero: with linear_before_reset=1 the "
            "recurrent bias of h is multiplied by r, so it must stay separate.":
                (k.T[None], rc.T[None], np.concatenate([b[0], 0 * b[1]])[None]),
        }

    def _grade(self, answer):
        need_callable(answer, "to_onnx")
        rng = np.random.default_rng(10)
        d, u = 5, 3
        k, rc, b = rng.normal(size=(d, 3 * u)), rng.normal(size=(u, 3 * u)), \
            rng.normal(size=(2, 3 * u))
        out = call_answer(answer, k.copy(), rc.copy(), b.copy(),
                          what="to_onnx(kernel, recurrent, bias)")
        if not isinstance(out, tuple | list) or len(out) != 3:
            raise invalid(f"to_onnx should return three arrays (W, R, B), got "
                           f"{type(out).__name__} {out!r:.60}")
        shapes = ((1, 3 * u, d), (1, 3 * u, u), (1, 6 * u))
        got = [need_array(v, name, shape)
               for v, name, shape in zip(out, ("W", "R", "B"), shapes, strict=True)]
        want = _reference_onnx(k, rc, b)
        if all(np.allclose(g, w) for g, w in zip(got, want, strict=True)):
            raise Verdict(CORRECT, "transposed, same gate order z, r, h, and B = [input biases, "
                                    "recurrent biases]: onnxruntime's GRU node with "
                                    "linear_before_reset=1 now equals Keras.")
        for message, wrong in self._wrong(k, rc, b).items():
            if all(np.allclose(g, w) for g, w in zip(got, wrong, strict=True)):
                raise incorrect(message)
        bad = [n for n, g, w in zip("WRB", got, want, strict=True) if not np.allclose(g, w)]
        raise incorrect(f"{', '.join(bad)} differ from ONNX's layout; W[0, :u] should be the "
                         "transpose of the kernel's first u columns (the z gate).")


ex_kv_cache_bytes = KVCacheBytes()
ex_to_onnx = ToOnnx()
