"""A GRU that learns in the page: train it in the browser and watch its gates learn.

:func:`gru_trainer` returns an `anywidget <https://anywidget.dev>`_ view whose JavaScript
(``gru_trainer.js``, shipped in this package) trains a small recurrent network in the reader's
browser, in JupyterLab and on the static book page (no kernel): forward pass, backpropagation
through time and Adam (``keras.optimizers.Adam``'s update), written for the course, on tasks the
page generates with a seeded generator (delayed recall, the adding problem, the sign of a running
sum). The weights use the Keras layout and convention (Cho et al. 2014, section 2.3, with
``reset_after=True``): kernel ``(d, 3u)``, recurrent kernel ``(u, 3u)``, bias ``(2, 3u)``, gate
order z, r, h, and ``h_t = z_t h_{t-1} + (1 - z_t) h~_t`` (z ≈ 1 keeps)::

    z_t  = σ(x_t W_z + h_{t-1} U_z + b_z + b'_z)
    r_t  = σ(x_t W_r + h_{t-1} U_r + b_r + b'_r)
    h~_t = tanh(x_t W_h + b_h + r_t ⊙ (h_{t-1} U_h + b'_h))

followed by a dense head on the last state. In JupyterLab the page sends the trained weights
back to the kernel (the ``weights`` traitlet); :func:`page_params` and :func:`page_keras_layer`
turn them into :class:`grucourse.core.gru.GRUParams` or a ``keras.layers.GRU`` whose outputs
equal the page's, and :func:`page_outputs` is the numpy run of the whole model.
"""

from __future__ import annotations

from pathlib import Path

from grucourse.core.gru import GRUParams, gru_forward
from grucourse.validate import as_float_array

import anywidget
import numpy as np
import traitlets

HERE = Path(__file__).parent
TRAINER_TASKS = ("recall", "adding", "sum")
TRAINER_CELLS = ("gru", "mingru", "simplernn")
TRAINER_INITS = ("keras", "keep", "chrono")


class GRUTrainer(anywidget.AnyWidget):
    """Settings, Train/Step/Reset, live loss and accuracy, gate heat maps, the ``b_z`` histogram.

    ``config`` holds the starting settings; ``weights`` is written by the page (the trained
    weights in Keras shapes, the settings and the step) whenever training pauses and every 2 s
    while it runs.
    """

    _esm = HERE / "gru_trainer.js"
    _css = HERE / "gru_trainer.css"
    config = traitlets.Dict().tag(sync=True)
    weights = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)


def _whole(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")
    return int(value)


def _choice(name, value, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def trainer_config(task="recall", lag=20, units=16, cell="gru", init="keras", b_z=2.0,
                   t_max=40.0, lr=0.01, clip=True, seed=0, every=10, batch=32,
                   max_steps=5000) -> dict:
    """The checked starting settings of the page (see :func:`gru_trainer`)."""
    for name, v, lo, hi in (("b_z", b_z, -5, 8), ("t_max", t_max, 3, 1000), ("lr", lr, 1e-5, 1)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            raise ValueError(f"{name} must be a number from {lo} to {hi}, got {v!r}")
    if not isinstance(clip, bool):
        raise TypeError(f"clip must be True or False, got {clip!r}")
    return {"task": _choice("task", task, TRAINER_TASKS), "lag": _whole("lag", lag, 1, 100),
            "units": _whole("units", units, 1, 16), "cell": _choice("cell", cell, TRAINER_CELLS),
            "init": _choice("init", init, TRAINER_INITS), "b_z": float(b_z), "t_max": float(t_max),
            "lr": float(lr), "clip": clip, "seed": _whole("seed", seed, 0, 999_999),
            "every": _whole("every", every, 1, 1000), "batch": _whole("batch", batch, 1, 256),
            "max_steps": _whole("max_steps", max_steps, 1, 100_000)}


def gru_trainer(title: str | None = None, **settings) -> GRUTrainer:
    """The in-page trainer with starting ``settings`` (all optional; the reader can change them).

    ``task`` "recall" (delayed recall of one of 4 symbols over ``lag`` steps), "adding" (the
    adding problem) or "sum" (is the sum of ``lag + 1`` uniform values above half its length?);
    ``lag`` 1-100 (sequences of ``lag + 1`` steps); ``units`` 1-16; ``cell`` "gru", "mingru" or
    "simplernn"; ``init`` "keras" (Keras's default), "keep" (update-gate bias ``b_z``) or
    "chrono" (``b_z = log U(1, t_max - 1)``, Tallec & Ollivier 2018); ``lr`` for Adam; ``clip``
    the global gradient norm at 1; ``seed``; ``every`` (redraw the gates every N steps);
    ``batch`` sequences per step; ``max_steps`` where training stops by itself.
    """
    return GRUTrainer(config=trainer_config(**settings), title=str(title or ""))


def _arrays(weights: dict):
    if not isinstance(weights, dict) or "kernel" not in weights:
        raise ValueError("weights must be the trainer's `weights` dict (press Train or Step in "
                         "the page first: it is empty until the page has sent them)")
    d, u, k = (int(weights[n]) for n in ("d", "u", "k"))
    kernel = as_float_array(weights["kernel"], "kernel")  # (d, 3u)
    recurrent = as_float_array(weights["recurrent_kernel"], "recurrent_kernel")  # (u, 3u)
    bias = as_float_array(weights["bias"], "bias")  # (2, 3u)
    for name, arr, shape in (("kernel", kernel, (d, 3 * u)),
                             ("recurrent_kernel", recurrent, (u, 3 * u)),
                             ("bias", bias, (2, 3 * u))):
        if arr.shape != shape:
            raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
    return kernel, recurrent, bias, u, k


def page_params(weights: dict) -> GRUParams:
    """The page's GRU as :class:`GRUParams` (Keras convention, ``reset_after=True``).

    Keras's two z and r bias rows simply add; ``b'_h`` (row 1 of the h columns) becomes ``b_hh``.
    """
    if weights.get("cell") != "gru":
        raise ValueError(f"page_params reads a GRU; the page trained {weights.get('cell')!r}")
    kernel, recurrent, bias, u, _ = _arrays(weights)
    cols = {g: slice(i * u, (i + 1) * u) for i, g in enumerate("zrh")}
    p = {}
    for g, s in cols.items():
        p[f"W_{g}"] = kernel[:, s]  # (d, u)
        p[f"U_{g}"] = recurrent[:, s]  # (u, u)
    p["b_z"] = bias[0, cols["z"]] + bias[1, cols["z"]]  # (u,)
    p["b_r"] = bias[0, cols["r"]] + bias[1, cols["r"]]  # (u,)
    p["b_h"] = bias[0, cols["h"]]  # (u,)
    return GRUParams(**p, b_hh=bias[1, cols["h"]], convention="keras", reset_after=True)


def page_head(weights: dict):
    """The page's dense head: ``W_o`` ``(u, k)`` and ``b_o`` ``(k,)``."""
    _, _, _, u, k = _arrays(weights)
    W_o, b_o = as_float_array(weights["W_o"], "W_o"), as_float_array(weights["b_o"], "b_o")
    if W_o.shape != (u, k) or b_o.shape != (k,):
        raise ValueError(f"the head must be W_o ({u}, {k}) and b_o ({k},), "
                         f"got {W_o.shape} and {b_o.shape}")
    return W_o, b_o


def page_keras_layer(weights: dict, return_sequences: bool = True):
    """A built ``keras.layers.GRU`` (``reset_after=True``) holding the page's weights as is."""
    import keras

    if weights.get("cell") != "gru":
        raise ValueError(f"page_keras_layer reads a GRU; the page trained {weights.get('cell')!r}")
    kernel, recurrent, bias, u, _ = _arrays(weights)
    layer = keras.layers.GRU(u, return_sequences=return_sequences, reset_after=True,
                             dtype="float64")
    layer.build((None, None, kernel.shape[0]))
    layer.set_weights([kernel, recurrent, bias])  # (d, 3u), (u, 3u), (2, 3u)
    return layer


def page_outputs(weights: dict, x) -> np.ndarray:
    """numpy's run of the page's model on ``x`` ``(n, T, d)``: the head's outputs ``(n, k)``
    (logits for the classification tasks, the prediction for the adding problem)."""
    x = as_float_array(x, "x")  # (n, T, d)
    h_T = gru_forward(x, page_params(weights))  # (n, u): the last state
    W_o, b_o = page_head(weights)
    return h_T @ W_o + b_o  # (n, u) @ (u, k) -> (n, k)
