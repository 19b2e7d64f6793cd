"""Small Keras models used across the chapters, built the same way for SimpleRNN, GRU and LSTM.

The kinds and their names come from :mod:`grucourse.kinds`, the one table of recurrent kinds.
"""

from __future__ import annotations

from grucourse.core.gru_keras import count_params
from grucourse.kinds import check_kind


def recurrent_layer(kind: str, units: int, **kwargs):
    """A Keras recurrent layer of the given ``kind`` ("SimpleRNN", "GRU" or "LSTM")."""
    import keras

    check_kind(kind)
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    return getattr(keras.layers, kind)(units, name=kind.lower(), **kwargs)


def build_model(kind: str, units: int, n_features: int, n_outputs: int,
                task: str = "classification", seq_len: int | None = None,
                learning_rate: float = 1e-2, **layer_kwargs):
    """``Input(seq_len, n_features) -> <kind>(units) -> Dense(n_outputs)``, compiled.

    ``task="classification"``: softmax output with sparse categorical cross-entropy and accuracy
    (``n_outputs`` classes; use ``n_outputs=1`` for a sigmoid with binary cross-entropy).
    ``task="regression"``: linear output with mean squared error.
    """
    import keras

    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
    inputs = keras.Input(shape=(seq_len, n_features))
    h = recurrent_layer(kind, units, **layer_kwargs)(inputs)
    if task == "regression":
        outputs = keras.layers.Dense(n_outputs, name="head")(h)
        loss, metrics = "mse", ["mae"]
    elif n_outputs == 1:
        outputs = keras.layers.Dense(1, activation="sigmoid", name="head")(h)
        loss, metrics = "binary_crossentropy", ["accuracy"]
    else:
        outputs = keras.layers.Dense(n_outputs, activation="softmax", name="head")(h)
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model = keras.Model(inputs, outputs, name=f"{kind.lower()}_{units}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
    return model


def units_for_budget(kind: str, n_features: int, budget: int, reset_after: bool = True) -> int:
    """The number of units whose recurrent layer has the parameter count closest to ``budget``."""
    check_kind(kind)
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive integer, got {budget!r}")
    best, u = 1, 1
    while True:
        n = count_params(kind, n_features, u, reset_after)
        if abs(n - budget) < abs(count_params(kind, n_features, best, reset_after) - budget):
            best = u
        if n > budget:
            return best
        u += 1
