"""GRU vs LSTM (chapters/08_gru_vs_lstm.ipynb): what each layer carries, counted from Keras's
own weights.

:func:`layer_structure` reads the weight blocks, gates and states of a built Keras layer, and
:func:`parameter_table` sets Keras's parameter count beside the formulas of
:func:`grucourse.core.gru_keras.count_params` (GRU ``3u(d+u+2)``, LSTM ``4u(d+u+1)``,
SimpleRNN ``u(d+u+1)``; Chung et al. 2014, section 3). Accuracy and timing over seeds live in
:mod:`grucourse.training.compare`, which chapter 9 shares.
"""

from __future__ import annotations

from collections.abc import Sequence

from grucourse.core.gru_keras import count_params
from grucourse.kinds import check_kind
from grucourse.layers.models import recurrent_layer
from grucourse.validate import check_int

import numpy as np
import pandas as pd

# --- structure -------------------------------------------------------------------------------


def layer_structure(kind: str, n_features: int, units: int) -> dict:
    """Count what a Keras ``kind`` layer carries, from its weights and states (not from a table).

    ``weight blocks`` is the kernel's column count over ``units`` (``kernel`` has shape
    ``(d, blocks * u)``): GRU 3 (z, r, h~), LSTM 4 (i, f, c~, o), SimpleRNN 1. Gates are the
    blocks squashed by a sigmoid, i.e. all but the tanh candidate. ``states`` is how many tensors
    the layer returns besides its output with ``return_state=True``: a GRU returns ``h``, an
    LSTM ``h`` and the cell ``c``. Memory is float32 bytes of the weights and of the state carried
    from one step to the next for one sequence.
    """
    import keras

    check_kind(kind)
    d = check_int(n_features, "n_features")
    u = check_int(units, "units")
    layer = recurrent_layer(kind, u, return_state=True)
    outputs = layer(keras.ops.zeros((1, 2, d)))  # builds the weights; [output, *states]
    kernel = layer.cell.kernel  # (d, blocks * u)
    blocks = int(kernel.shape[1]) // u
    states = outputs[1:]
    params = int(layer.count_params())
    return {
        "kind": kind,
        "units": u,
        "weight blocks": blocks,
        "gates": blocks - 1,
        "states": len(states),
        "cell state": len(states) == 2,
        "params (Keras)": params,
        "params (formula)": count_params(kind, d, u),
        "weight bytes": 4 * params,
        "state bytes": 4 * sum(int(np.prod(s.shape[1:])) for s in states),
    }


def parameter_table(kinds: Sequence[str], n_features: int, units: Sequence[int]) -> pd.DataFrame:
    """Parameters of each kind for each unit count: the formula, ``count_params`` and Keras's
    count."""
    d = check_int(n_features, "n_features")
    units = [check_int(u, "units") for u in units]
    if not units:
        raise ValueError("units is empty: pass unit counts such as [8, 16, 32]")
    rows = []
    for kind in kinds:
        check_kind(kind)
        for u in units:
            s = layer_structure(kind, d, u)
            rows.append({"kind": kind, "units": u, "params (formula)": s["params (formula)"],
                         "params (Keras)": s["params (Keras)"]})
    return pd.DataFrame(rows)
