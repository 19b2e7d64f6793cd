"""A small causal Transformer language model in numpy: one attention head, the whole model, and
generation with and without a KV cache.

One causal head (Vaswani et al. 2017, section 3.2.1), for queries, keys and values ``(T, k)``::

    A = softmax(Q K^T / sqrt(k) + M),   M[i, j] = -inf for j > i (no look at the future)
    out = A V                                                        (T, k)

A pre-norm block (Xiong et al. 2020) is ``x = x + MHA(LN(x))``, ``x = x + MLP(LN(x))`` with a
ReLU MLP; the model is token embedding + learned position embedding, the blocks, a final LN and a
linear head. Weights follow Keras's layout (:mod:`grucourse.layers.transformer` reads them):
``Wq, Wk, Wv`` ``(d, h, k)``, biases ``(h, k)``, ``Wo`` ``(h, k, d)``.

Generating token ``L + 1`` needs the keys and values of all ``L`` earlier tokens. Without a cache
the model recomputes the whole context for every new token (:func:`transformer_forward` on
``L`` tokens); with a **KV cache** (:func:`kv_step`) each step computes ``q, k, v`` of the new token
only, appends ``k, v`` to the cache and attends over it: ``2 n_layers L d`` cached numbers
(:func:`kv_cache_numbers`), growing with the context, where a GRU keeps ``u`` numbers.
"""

from __future__ import annotations

from grucourse.validate import check_int

import numpy as np

BLOCK_KEYS = ("ln1_g", "ln1_b", "Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo",
              "ln2_g", "ln2_b", "W1", "b1", "W2", "b2")


def causal_attention(q, k, v):
    """One causal head: ``softmax(q k^T / sqrt(k_dim) + mask) v`` for ``q, k, v`` ``(T, k_dim)``.

    Row ``i`` of the result mixes the values of positions ``0..i`` only.
    """
    q, k, v = (np.asarray(a) for a in (q, k, v))
    if q.ndim != 2 or q.shape != k.shape or k.shape != v.shape:
        raise ValueError(f"q, k, v must be (T, k_dim) arrays of one shape, "
                         f"got {q.shape}, {k.shape}, {v.shape}")
    T, kd = q.shape
    scores = q @ k.T / np.sqrt(kd)  # (T, k) @ (k, T) -> (T, T)
    scores = np.where(np.tri(T, dtype=bool), scores, -np.inf)  # (T, T): future masked
    scores = scores - scores.max(axis=-1, keepdims=True)
    A = np.exp(scores)  # (T, T)
    A /= A.sum(axis=-1, keepdims=True)
    return A @ v  # (T, T) @ (T, k) -> (T, k)


def layer_norm(x, g, b, eps):
    """``g * (x - mean) / sqrt(var + eps) + b`` over the last axis (Ba et al. 2016)."""
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1)
    return (x - mu) / np.sqrt(var + eps) * g + b  # (..., d)


def init_transformer_params(rng, n_chars, d_model, n_heads, n_layers, mlp, max_len,
                            dtype=np.float32):
    """Random weights of the model (for timing: the cost of a token does not depend on their
    values)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    for name, v in (("n_chars", n_chars), ("d_model", d_model), ("n_heads", n_heads),
                    ("n_layers", n_layers), ("mlp", mlp), ("max_len", max_len)):
        check_int(v, name)
    if d_model % n_heads:
        raise ValueError(f"d_model={d_model} must be a multiple of n_heads={n_heads}")
    d, h, kd = d_model, n_heads, d_model // n_heads

    def w(*shape):
        return (rng.normal(size=shape) / np.sqrt(shape[0])).astype(dtype)

    blocks = [{"ln1_g": np.ones(d, dtype), "ln1_b": np.zeros(d, dtype),
               "Wq": w(d, h, kd), "bq": np.zeros((h, kd), dtype),
               "Wk": w(d, h, kd), "bk": np.zeros((h, kd), dtype),
               "Wv": w(d, h, kd), "bv": np.zeros((h, kd), dtype),
               "Wo": w(h * kd, d).reshape(h, kd, d), "bo": np.zeros(d, dtype),
               "ln2_g": np.ones(d, dtype), "ln2_b": np.zeros(d, dtype),
               "W1": w(d, mlp), "b1": np.zeros(mlp, dtype),
               "W2": w(mlp, d), "b2": np.zeros(d, dtype)} for _ in range(n_layers)]
    return {"emb": w(n_chars, d), "pos": w(max_len, d), "blocks": blocks,
            "lnf_g": np.ones(d, dtype), "lnf_b": np.zeros(d, dtype),
            "W_head": w(d, n_chars), "b_head": np.zeros(n_chars, dtype), "eps": 1e-3}


def _mha(p, x):
    """Causal multi-head self-attention of ``x`` ``(T, d)`` -> ``(T, d)``."""
    q = np.einsum("td,dhk->htk", x, p["Wq"]) + p["bq"][:, None, :]  # (h, T, k)
    k = np.einsum("td,dhk->htk", x, p["Wk"]) + p["bk"][:, None, :]  # (h, T, k)
    v = np.einsum("td,dhk->htk", x, p["Wv"]) + p["bv"][:, None, :]  # (h, T, k)
    heads = np.stack([causal_attention(q[i], k[i], v[i]) for i in range(q.shape[0])])  # (h,T,k)
    return np.einsum("htk,hkd->td", heads, p["Wo"]) + p["bo"]  # (T, d)


def _mlp(p, x):
    return np.maximum(x @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]  # (T, m) -> (T, d)


def transformer_forward(params, ids):
    """Next-token logits ``(T, V)`` for every prefix of ``ids`` ``(T,)``: the no-cache path."""
    ids = np.asarray(ids)
    T, eps = ids.size, params["eps"]
    if ids.ndim != 1 or T < 1 or T > params["pos"].shape[0]:
        raise ValueError(f"ids must be 1-D with 1 to {params['pos'].shape[0]} tokens (max_len), "
                         f"got shape {ids.shape}")
    x = params["emb"][ids] + params["pos"][:T]  # (T, d)
    for p in params["blocks"]:
        x = x + _mha(p, layer_norm(x, p["ln1_g"], p["ln1_b"], eps))  # (T, d)
        x = x + _mlp(p, layer_norm(x, p["ln2_g"], p["ln2_b"], eps))  # (T, d)
    return layer_norm(x, params["lnf_g"], params["lnf_b"], eps) @ params["W_head"] \
        + params["b_head"]  # (T, d) @ (d, V) -> (T, V)


def new_cache(params, max_len=None):
    """An empty KV cache: ``K, V`` ``(n_layers, h, max_len, k)`` each, and its length 0."""
    p0 = params["blocks"][0]
    L = params["pos"].shape[0] if max_len is None else check_int(max_len, "max_len")
    shape = (len(params["blocks"]), p0["Wk"].shape[1], L, p0["Wk"].shape[2])
    return {"K": np.zeros(shape, p0["Wk"].dtype), "V": np.zeros(shape, p0["Wk"].dtype), "len": 0}


def kv_step(params, cache, token: int):
    """One generation step with the cache: logits ``(V,)`` of the token after ``token``.

    Only the new token's ``q, k, v`` are computed; ``k, v`` are appended to ``cache`` (in place)
    and the query attends over the ``L + 1`` cached positions:
    ``a = softmax(q K[:L+1]^T / sqrt(k)) V[:L+1]`` per head.
    """
    t, eps = cache["len"], params["eps"]
    if t >= cache["K"].shape[2]:
        raise ValueError(f"the cache is full ({t} tokens): make it longer with new_cache(max_len)")
    x = params["emb"][token] + params["pos"][t]  # (d,)
    for i, p in enumerate(params["blocks"]):
        a = layer_norm(x, p["ln1_g"], p["ln1_b"], eps)  # (d,)
        q = np.einsum("d,dhk->hk", a, p["Wq"]) + p["bq"]  # (h, k)
        cache["K"][i, :, t] = np.einsum("d,dhk->hk", a, p["Wk"]) + p["bk"]  # (h, k)
        cache["V"][i, :, t] = np.einsum("d,dhk->hk", a, p["Wv"]) + p["bv"]  # (h, k)
        K, V = cache["K"][i, :, : t + 1], cache["V"][i, :, : t + 1]  # (h, t+1, k) each
        s = (K @ q[:, :, None])[..., 0] / np.sqrt(q.shape[-1])  # (h,t+1,k)@(h,k,1) -> (h,t+1)
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)  # (h, t+1) attention weights
        o = (s[:, None, :] @ V)[:, 0]  # (h, 1, t+1) @ (h, t+1, k) -> (h, k)
        x = x + o.reshape(-1) @ p["Wo"].reshape(-1, x.size) + p["bo"]  # (h k) @ (h k, d) -> (d,)
        x = x + _mlp(p, layer_norm(x, p["ln2_g"], p["ln2_b"], eps))  # (d,)
    cache["len"] = t + 1
    return layer_norm(x, params["lnf_g"], params["lnf_b"], eps) @ params["W_head"] \
        + params["b_head"]  # (V,)


def kv_cache_numbers(n_layers: int, L: int, d_model: int) -> int:
    """Numbers a KV cache holds at context ``L``: a key and a value of ``d_model`` numbers per
    token per layer, ``2 n_layers L d_model``."""
    for name, v in (("n_layers", n_layers), ("L", L), ("d_model", d_model)):
        check_int(v, name, minimum=0)
    return 2 * n_layers * L * d_model
