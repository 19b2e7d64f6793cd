"""Helper code for the course "Efficient Sequence Modeling with GRUs".

Importing the package only sets TensorFlow's logging and oneDNN variables (they must be set
before TensorFlow is imported); it never seeds or downloads anything.
"""

import os

# Level 3, not 2: with op determinism on, tf.data logs a harmless C++ "error" line
# (NodeDef mentions attribute use_unbounded_threadpool) under every fit; real failures
# still raise in Python.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN reorders float sums (run-to-run noise) and logs a banner; the course wants neither.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"
