"""Helper code for the course "Efficient Sequence Modeling with GRUs".

Importing the package only sets TensorFlow's logging and oneDNN variables (they must be set
before TensorFlow is imported); it never seeds or downloads anything.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN reorders float sums (run-to-run noise) and logs a banner; the course wants neither.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__version__ = "0.1.0"
