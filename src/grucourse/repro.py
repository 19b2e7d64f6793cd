"""Reproducibility: one call seeds Python, numpy, Keras and TensorFlow and makes TF deterministic.

:func:`quiet_retracing` silences TensorFlow's retracing notice where every model is a new
function by design.
"""

from __future__ import annotations

import contextlib

import numpy as np


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Keras/TensorFlow (``keras.utils.set_random_seed``), turn on op determinism,
    and return a fresh ``np.random.default_rng(seed)`` to pass to numpy code explicitly.

    Importing ``grucourse.repro`` imports ``grucourse`` first, which sets TensorFlow's
    environment variables before TensorFlow loads here.
    Call it at the top of a notebook and again before each training run whose
    numbers the page quotes; nothing in the course seeds at import time.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))
    tf.config.experimental.enable_op_determinism()
    return np.random.default_rng(int(seed))


@contextlib.contextmanager
def quiet_retracing():
    """Silence TensorFlow's "triggered tf.function retracing" warning inside the block.

    TF warns when several functions are traced within a few calls. Where every model is a new
    function by design (each is traced once and then reused), the warning does not apply.
    """
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)
