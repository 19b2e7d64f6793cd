"""chapters/26_gru_vs_transformer.ipynb and 27_cost_per_token.ipynb: GRU or Transformer?

Scoring on equal windows (:func:`window_log_probs`), the cost of one generated token at batch 1
in numpy float32 for a GRU, a Transformer with a KV cache and one without
(:func:`token_steps`, :func:`generation_sweep`), the same costs as formulas
(:func:`token_costs`), the batch at which a GRU step stops being bound by reading ``U``
(:func:`batch_sweep`), and one trained GRU run by Keras, numpy, the page's JavaScript and
onnxruntime (:func:`runtime_table`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from grucourse.core.attention import (
    init_transformer_params,
    kv_step,
    new_cache,
    transformer_forward,
)
from grucourse.core.gru import gru_forward
from grucourse.core.language_model import softmax_t
from grucourse.data.text import ALPHABET, one_hot
from grucourse.layers.lm import numpy_lm
from grucourse.layers.onnx_gru import gru_lm_onnx, onnx_logits, onnx_session
from grucourse.measure.stats import time_ratio
from grucourse.measure.timing import interleaved_times, single_blas_thread
from grucourse.training.lm_packed import packed_log_probs
from grucourse.widgets.autocomplete import autocomplete_payload

import numpy as np
import pandas as pd

F32 = 4  # bytes per float32 number


def window_log_probs(packed, ids, window: int = 64):
    """``log p`` ``(S, P)`` of every seed on ``ids`` cut into windows of ``window`` characters:
    every model sees the same context (at most ``window - 1`` characters, a Transformer's
    ``max_len``)."""
    n_streams = -(-(np.asarray(ids).size - 2) // window)  # ceil: streams of <= window - 1
    return packed_log_probs(packed, ids, n_streams=n_streams)


# --- the cost of one token, in numpy float32 ---------------------------------------------------


def random_gru_lm_weights(u: int, V: int, rng):
    """Random float32 GRU LM weights (Keras layout, reset_after): ``W (V, 3u)``, ``U (u, 3u)``,
    ``b (2, 3u)``, ``W_head (u, V)``, ``b_head (V,)``."""
    def w(*shape):
        return (rng.normal(size=shape) / np.sqrt(shape[0])).astype(np.float32)

    return w(V, 3 * u), w(u, 3 * u), w(2, 3 * u), w(u, V), w(1, V)[0]


def gru_token(weights, h, token: int):
    """One GRU step for a token (Keras convention, reset_after): ``(h_t (1, u), logits (1, V))``.

    ``x_t W`` is row ``token`` of ``W`` (one-hot input); ``h U`` reads all ``3u^2`` of ``U``.
    """
    W, U, b, W_head, b_head = weights
    u = U.shape[0]
    xw = W[token] + b[0]  # (3u,)
    hu = h @ U + b[1]  # (1, u) @ (u, 3u) -> (1, 3u)
    z = 1.0 / (1.0 + np.exp(-(xw[:u] + hu[:, :u])))  # (1, u)
    r = 1.0 / (1.0 + np.exp(-(xw[u:2 * u] + hu[:, u:2 * u])))  # (1, u)
    h_tilde = np.tanh(xw[2 * u:] + r * hu[:, 2 * u:])  # (1, u)
    h = z * h + (1.0 - z) * h_tilde  # (1, u)
    return h, h @ W_head + b_head  # (1, u), (1, V)


def token_steps(L: int, *, d_model: int, u: int, n_heads: int, mlp: int, V: int = 36,
                no_cache: bool = True, seed: int = 0) -> dict:
    """Callables that each generate the token after a context of ``L`` tokens: ``"GRU"``,
    ``"Transformer + KV cache"`` and (if ``no_cache``) ``"Transformer, no cache"``."""
    rng = np.random.default_rng(seed)
    gw = random_gru_lm_weights(u, V, rng)
    h = np.zeros((1, u), np.float32)
    tp = init_transformer_params(rng, V, d_model, n_heads, 1, mlp, L + 1)
    cache = new_cache(tp)
    p0 = tp["blocks"][0]
    cache["K"][0, :, :L] = rng.normal(size=(n_heads, L, d_model // n_heads))  # a filled cache
    cache["V"][0, :, :L] = rng.normal(size=(n_heads, L, d_model // n_heads))
    ids = rng.integers(0, V, size=L + 1)  # (L+1,)
    assert p0["Wk"].dtype == np.float32

    def kv():
        cache["len"] = L
        return kv_step(tp, cache, int(ids[-1]))

    fns = {"GRU": lambda: gru_token(gw, h, int(ids[-1])), "Transformer + KV cache": kv}
    if no_cache:
        fns["Transformer, no cache"] = lambda: transformer_forward(tp, ids)[-1]
    return fns


def token_costs(L, *, d_model: int, u: int, mlp: int, V: int = 36, n_layers: int = 1):
    """FLOPs, bytes read and state bytes of one token at context ``L`` (float32; see the page):

    GRU: ``2 (3u^2 + uV)`` FLOPs, reads ``U`` and the head, ``3u^2 + uV`` numbers; state ``u``.
    KV cache: per layer ``2 (4d^2 + 2dm)`` FLOPs for the weights and ``4 L d`` for attention;
    reads the weights and the ``2 L d`` cached numbers; state ``2 n_layers L d``.
    No cache: ``L`` times the weight FLOPs and ``4 L^2 d`` per layer for attention.
    """
    L = np.asarray(L, dtype=float)
    d, m = d_model, mlp
    w_layer = 4 * d * d + 2 * d * m  # weights of one block (numbers)
    rows = {
        "GRU": (2 * (3 * u * u + u * V) + 0 * L, F32 * (3 * u * u + u * V) + 0 * L,
                F32 * u + 0 * L),
        "Transformer + KV cache": (n_layers * (2 * w_layer + 4 * L * d) + 2 * d * V,
                                   F32 * (n_layers * (w_layer + 2 * L * d) + d * V),
                                   F32 * 2 * n_layers * L * d),
        "Transformer, no cache": (L * (n_layers * 2 * w_layer + 2 * d * V)
                                  + n_layers * 4 * L * L * d,
                                  F32 * (n_layers * (w_layer + 2 * L * d) + d * V),
                                  8 * L),  # only the context's ids are kept (int64)
    }
    return {k: {"flops": f, "bytes": b, "state_bytes": s} for k, (f, b, s) in rows.items()}


def generation_sweep(Ls, *, d_model: int, u: int, n_heads: int, mlp: int,
                     max_no_cache: int = 1024, repeat: int = 9, number: int = 3):
    """Interleaved timings of :func:`token_steps` at every context ``L``; one row per model and
    ``L`` with the median seconds per token and its ratio to the GRU (95% interval)."""
    rows = []
    with single_blas_thread():
        for L in Ls:
            fns = token_steps(int(L), d_model=d_model, u=u, n_heads=n_heads, mlp=mlp,
                              no_cache=L <= max_no_cache)
            times = interleaved_times(fns, repeat=repeat, warmup=1, number=number)
            for name, t in times.items():
                r = time_ratio(t["samples"], times["GRU"]["samples"])
                rows.append({"L": int(L), "model": name, "seconds": t["median"],
                             "q1": t["q1"], "q3": t["q3"], "ratio to GRU": r.ratio,
                             "ratio low": r.low, "ratio high": r.high})
    return pd.DataFrame(rows)


def batch_sweep(u: int, batches, repeat: int = 9, number: int = 5) -> pd.DataFrame:
    """Seconds of the recurrent product ``(B, u) @ (u, 3u)`` for each batch ``B`` (one BLAS
    thread, interleaved): flat while reading ``U`` dominates, linear in ``B`` once compute does.

    ``seconds`` is the fastest of the repeats: a roofline asks what the hardware can do, and on a
    shared machine the fastest run is the one least disturbed by others."""
    rng = np.random.default_rng(0)
    U = rng.normal(size=(u, 3 * u)).astype(np.float32)  # (u, 3u)
    hs = {int(B): rng.normal(size=(int(B), u)).astype(np.float32) for B in batches}
    with single_blas_thread():
        times = interleaved_times({B: (lambda h=h: h @ U) for B, h in hs.items()},
                                  repeat=repeat, warmup=1, number=number)
    return pd.DataFrame([{"B": B, "seconds": t["min"], "flops": 6.0 * u * u * B,
                          "bytes": F32 * (3.0 * u * u + 4 * u * B)} for B, t in times.items()])


# --- one trained GRU, four runtimes ------------------------------------------------------------


def js_probs(payload: dict, ids) -> np.ndarray:
    """Next-character probabilities ``(T, V)`` from the page's JavaScript GRU, run by Node."""
    exe = shutil.which("node")
    if exe is None:
        raise RuntimeError("node is missing: the course needs Node.js (apt-get install nodejs)")
    js = Path(__file__).resolve().parent.parent / "widgets" / "autocomplete.js"
    runner = ('import { readFileSync } from "node:fs";\n'
              'import { runText } from "./autocomplete.mjs";\n'
              'const c = JSON.parse(readFileSync("case.json", "utf8"));\n'
              'console.log(JSON.stringify(runText(c.lm, c.ids).probs));\n')
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(js, Path(tmp) / "autocomplete.mjs")  # .mjs: Node loads an ES module
        (Path(tmp) / "run.mjs").write_text(runner)
        (Path(tmp) / "case.json").write_text(json.dumps({"lm": payload,
                                                         "ids": [int(i) for i in ids]}))
        proc = subprocess.run([exe, "run.mjs"], cwd=tmp, capture_output=True, text=True,
                              timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"node failed: {proc.stderr[-500:]}")
    return np.array(json.loads(proc.stdout))  # (T, V)


def runtime_probs(model, ids) -> dict:
    """Next-character probabilities ``(T, V)`` of one Keras GRU LM on ``ids`` ``(T,)`` in four
    runtimes: Keras, numpy (:mod:`grucourse.core.gru`), JavaScript (Node) and onnxruntime."""
    ids = np.asarray(ids, dtype=np.int64)
    params, W_head, b_head = numpy_lm(model)
    V = W_head.shape[1]
    h_all = np.stack([gru_forward(one_hot(ids[None, : t + 1], V).astype(np.float64), params)[0]
                      for t in range(ids.size)])  # (T, u): state after each prefix
    payload = autocomplete_payload(params, W_head, b_head, ALPHABET, digits=17)
    session = onnx_session(gru_lm_onnx(model))
    return {
        "Keras": softmax_t(np.asarray(model(ids[None])[0], dtype=np.float64)),
        "numpy (grucourse)": softmax_t(h_all @ W_head + b_head),  # (T, u) @ (u, V) -> (T, V)
        "JavaScript (page)": js_probs(payload, ids),
        "onnxruntime": softmax_t(onnx_logits(session, ids[None])[0].astype(np.float64)),
    }


def runtime_table(model, ids) -> pd.DataFrame:
    """Largest absolute difference from Keras of each runtime's probabilities on ``ids``."""
    probs = runtime_probs(model, ids)
    return pd.DataFrame([{"runtime": k,
                          "max |p - p_Keras|": float(np.abs(p - probs["Keras"]).max())}
                         for k, p in probs.items() if k != "Keras"])
