"""Live autocomplete: a trained character-level GRU that runs in the reader's browser.

:func:`autocomplete` puts the weights of a GRU language model (see
:mod:`grucourse.training.lm_packed`) into the state of an `anywidget <https://anywidget.dev>`_
view, rounded to a few significant digits to keep the page light. Its JavaScript
(``autocomplete.js``, shipped in this package) runs the GRU one character at a time as the reader
types, in JupyterLab and on the static book page (no kernel), shows the most likely next
characters and the update and reset gates of the last characters. The weights are sent in the
source chapter's convention ``h_t = (1 - z_t) h_{t-1} + z_t h~_t`` (Keras's ``z`` is ``1 - z``).
:func:`reference_run` is the numpy run of exactly the shipped (rounded) weights, the ground truth
of the JavaScript tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from grucourse.core.gru import GRUParams, convert_convention, gru_forward
from grucourse.core.language_model import softmax_t
from grucourse.widgets.gate_animator import params_payload
from grucourse.widgets.gate_trace import round_significant

import anywidget
import numpy as np
import traitlets

HERE = Path(__file__).parent


class Autocomplete(anywidget.AnyWidget):
    """A text box, the GRU's top-k next characters and its gates over the last characters."""

    _esm = HERE / "autocomplete.js"
    _css = HERE / "autocomplete.css"
    lm = traitlets.Dict().tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    top_k = traitlets.Int(5).tag(sync=True)
    n_last = traitlets.Int(16).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)


def autocomplete_payload(params: GRUParams, W_head, b_head, alphabet: str,
                         digits: int = 4) -> dict:
    """The JSON the browser runs: ``alphabet``, the GRU (source convention) and the head,
    rounded.

    ``params`` is a one-hot-input GRU with ``reset_after`` (``d = len(alphabet)``); ``W_head``
    ``(u, V)`` and ``b_head`` ``(V,)`` map a state to next-character logits.
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params must be a GRUParams, got {type(params).__name__}")
    if not isinstance(alphabet, str) or len(set(alphabet)) != len(alphabet) or len(alphabet) < 2:
        raise ValueError("alphabet must be a str of at least 2 distinct characters")
    V, u = len(alphabet), params.units
    if params.input_size != V:
        raise ValueError(
            f"the GRU reads {params.input_size} features, the alphabet has {V} characters"
        )
    if not params.reset_after:
        raise ValueError("the browser GRU implements reset_after=True (Keras's default); "
                         "got reset_after=False")
    W_head, b_head = np.asarray(W_head, dtype=float), np.asarray(b_head, dtype=float)
    if W_head.shape != (u, V) or b_head.shape != (V,):
        raise ValueError(f"the head must be W_head ({u}, {V}) and b_head ({V},), "
                         f"got {W_head.shape} and {b_head.shape}")
    src = convert_convention(params, "source")
    gru = {k: (round_significant(np.asarray(v), digits).tolist() if isinstance(v, list) else v)
           for k, v in params_payload(src).items()}
    return {"alphabet": alphabet, "gru": gru, "W_head": round_significant(W_head, digits).tolist(),
            "b_head": round_significant(b_head, digits).tolist()}


def payload_model(payload: dict):
    """The numpy model of exactly the shipped weights:
    ``(GRUParams, W_head (u, V), b_head (V,))``."""
    g = payload["gru"]
    params = GRUParams(**{k: np.array(g[k])
                          for g_ in "zrh" for k in (f"W_{g_}", f"U_{g_}", f"b_{g_}")},
                       b_hh=np.array(g["b_hh"]), convention=g["convention"],
                       reset_after=g["reset_after"])
    return params, np.array(payload["W_head"]), np.array(payload["b_head"])


def reference_run(payload: dict, text: str) -> dict:
    """numpy's ``z, r, h`` ``(T, u)`` and next-character ``probs`` ``(T, V)`` for ``text`` under
    the payload.

    ``text`` is lower-cased and characters outside the alphabet are skipped, as the browser does.
    """
    alphabet = payload["alphabet"]
    ids = [alphabet.index(c) for c in text.lower() if c in alphabet]
    if not ids:
        raise ValueError("text has no character of the model's alphabet")
    params, W, b = payload_model(payload)
    x = np.eye(len(alphabet))[ids][None]  # (1, T, V) one-hot
    _, gates = gru_forward(x, params, return_gates=True)  # each (1, T, u)
    probs = softmax_t(gates["h"][0] @ W + b)  # (T, u) @ (u, V) -> (T, V)
    return {"z": gates["z"][0], "r": gates["r"][0], "h": gates["h"][0], "probs": probs}


def top_k(probs, alphabet: str, k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` most likely characters of one distribution ``(V,)``, most likely first."""
    order = np.argsort(-np.asarray(probs), kind="stable")[:k]  # (k,)
    return [(alphabet[int(i)], float(probs[int(i)])) for i in order]


def autocomplete(params: GRUParams, W_head, b_head, alphabet: str, text: str = "",
                 top_k: int | None = None, n_last: int = 16, title: str | None = None,
                 digits: int = 4) -> Autocomplete:
    """The live autocomplete widget for a trained GRU language model (see
    :func:`autocomplete_payload`).

    ``text`` is typed in at the start; ``top_k`` characters are listed (default 5, or all of a
    smaller alphabet); the gates of the last ``n_last`` characters are drawn. Display the result
    as the last expression of a cell.
    """
    payload = autocomplete_payload(params, W_head, b_head, alphabet, digits)  # checks alphabet
    V = len(alphabet)
    for name, v in (("top_k", top_k), ("n_last", n_last)):
        if (v is not None or name == "n_last") and (isinstance(v, bool) or not isinstance(v, int)
                                                    or v < 1):
            raise ValueError(f"{name} must be a whole number >= 1, got {v!r}")
    if top_k is not None and top_k > V:
        raise ValueError(f"top_k={top_k} asks for more characters than the alphabet's {V} "
                         f"characters ({alphabet!r}): give top_k from 1 to {V}")
    if n_last > 64:
        raise ValueError(f"n_last must be from 1 to 64 (the gates drawn), got {n_last}")
    top_k = min(5, V) if top_k is None else top_k
    return Autocomplete(lm=payload, text=str(text), top_k=top_k, n_last=n_last, title=title or "")


def payload_kilobytes(payload: dict) -> float:
    """Size of the weights' JSON in the page, in kB."""
    return len(json.dumps(payload, separators=(",", ":"))) / 1000
