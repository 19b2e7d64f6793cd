"""Training and scoring helpers shared by the application chapters (09-12).

One function trains a small Keras model with early stopping on a validation set, the same way on
every page; one runs the same experiment for several seeds so that asserts can use honest margins.
Keras is imported lazily, so importing this module is cheap.
"""

from __future__ import annotations

import time

from grucourse.validate import as_float_array, check_finite

import numpy as np


def _check_xy(X, y, name: str):
    X = as_float_array(X, f"X_{name}")
    y = np.asarray(y)
    if X.ndim < 2 or X.shape[0] == 0:
        raise ValueError(f"X_{name} must be a non-empty batch of shape (n, ...), got {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X_{name} has {X.shape[0]} rows but y_{name} has {y.shape[0]}")
    check_finite(X, f"X_{name}")
    return X.astype(np.float32), y


def fit_early_stopping(
    model,
    X_train,
    y_train,
    X_val,
    y_val,
    *,
    epochs: int = 100,
    batch_size: int = 32,
    patience: int = 10,
    seed: int = 0,
) -> dict:
    """Train ``model`` (already compiled) with early stopping on the validation loss.

    The best weights (lowest validation loss) are restored at the end. Training batches are
    shuffled with a fixed ``seed``. Returns ``{"epochs": run, "best_epoch": k, "val_loss": best,
    "seconds": wall time, "history": keras history dict}``.
    """
    import grucourse  # noqa: F401  (TensorFlow environment variables first)

    import keras
    import tensorflow as tf

    X_train, y_train = _check_xy(X_train, y_train, "train")
    X_val, y_val = _check_xy(X_val, y_val, "val")
    if epochs < 1 or batch_size < 1 or patience < 0:
        raise ValueError(f"need epochs >= 1, batch_size >= 1, patience >= 0; "
                         f"got {epochs}, {batch_size}, {patience}")
    # tf.data pipelines (not numpy arrays) keep Keras from building a parallel-map dataset that
    # logs a C++ error.
    train = (
        tf.data.Dataset.from_tensor_slices((X_train, y_train))
        .shuffle(X_train.shape[0], seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
    )
    val = tf.data.Dataset.from_tensor_slices((X_val, y_val)).batch(1024)
    stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    t0 = time.perf_counter()
    hist = model.fit(train, validation_data=val, epochs=epochs, shuffle=False, verbose=0,
                     callbacks=[stop])
    seconds = time.perf_counter() - t0
    val_loss = np.asarray(hist.history["val_loss"])
    return {
        "epochs": len(val_loss),
        "best_epoch": int(np.argmin(val_loss)) + 1,
        "val_loss": float(val_loss.min()),
        "seconds": seconds,
        "history": hist.history,
    }


def predict(model, X) -> np.ndarray:
    """Model outputs for ``X`` as a numpy array, without Keras's ``predict`` retracing warnings."""
    X = as_float_array(X, "X").astype(np.float32)
    return np.asarray(model(X, training=False))  # (n, outputs)
