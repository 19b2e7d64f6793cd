"""Keras recurrent layers built for timing: the fast-path conditions and compiled forward functions.

Used by chapters 19-21 (through :mod:`grucourse.experiments.efficiency`, ``.fast_path`` and
``.serving_and_scaling``) and ``benchmarks/``. :func:`make_rnn_layer` builds a seeded layer of
any kind in :data:`grucourse.kinds.KINDS`; :func:`forward_fn` runs it eagerly, as a
``tf.function`` graph or compiled by XLA; :func:`fastpath_conditions` checks the cuDNN conditions
of the ``keras.layers.GRU`` docstring on a layer; :func:`small_gru_regressor` is the model the
data-parallel example trains.
"""

from __future__ import annotations

from grucourse.kinds import canonical_kind


def make_rnn_layer(kind: str, units: int, d: int, seed: int = 0, **kwargs):
    """A built ``keras.layers.{SimpleRNN, GRU, LSTM}`` with ``units`` units for ``d`` input
    features."""
    import keras

    cls = getattr(keras.layers, canonical_kind(kind))  # "gru" and "GRU" both give keras.layers.GRU
    keras.utils.set_random_seed(seed)
    layer = cls(units, **kwargs)
    layer.build((None, None, d))
    return layer


def forward_fn(layer, mode: str = "function"):
    """``x -> layer(x)`` run eagerly (``"eager"``), as a ``tf.function`` graph (``"function"``),
    or compiled by XLA (``"xla"``, ``tf.function(jit_compile=True)``)."""
    import tensorflow as tf

    def forward(x):
        return layer(x, training=False)

    if mode == "eager":
        return forward
    if mode == "function":
        return tf.function(forward)
    if mode == "xla":
        return tf.function(forward, jit_compile=True)
    raise ValueError(f"mode must be 'eager', 'function' or 'xla', got {mode!r}")


def fastpath_conditions(layer) -> dict:
    """The cuDNN conditions of the ``keras.layers.GRU`` docstring, checked on ``layer``
    (True = met)."""
    import keras
    import tensorflow as tf

    cell = layer.cell
    # the same identity checks as Keras's own test (keras/src/backend/tensorflow/rnn.py)
    tanhs = (keras.activations.tanh, tf.tanh, keras.ops.tanh)
    sigmoids = (keras.activations.sigmoid, tf.sigmoid, keras.ops.sigmoid)
    return {
        "activation is tanh": cell.activation in tanhs,
        "recurrent_activation is sigmoid": cell.recurrent_activation in sigmoids,
        "recurrent_dropout == 0": cell.recurrent_dropout == 0,
        "unroll is False": not layer.unroll,
        "use_bias is True": bool(cell.use_bias),
        "reset_after is True": bool(cell.reset_after),
    }


FASTPATH_VARIANTS = {
    "default": {},
    "recurrent_dropout=0.2": {"recurrent_dropout": 0.2},
    "reset_after=False": {"reset_after": False},
    "unroll=True": {"unroll": True},
}


def small_gru_regressor(T: int, d: int, u: int, seed: int = 1, learning_rate: float = 0.05):
    """``Input(T, d) -> GRU(u) -> Dense(1)`` compiled with SGD and MSE, weights drawn from ``seed``.

    Build it inside ``strategy.scope()`` to get a data-parallel copy.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(T, d)), keras.layers.GRU(u),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    return model
