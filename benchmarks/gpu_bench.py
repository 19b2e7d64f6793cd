"""``make bench-gpu``: cuDNN GRU, LSTM, the minGRU scan and quasi-DEER on a GPU, if one is visible.

Without a visible GPU it says so and exits 0, writing nothing: nothing in the course depends on
a GPU. With one, it times one forward pass of each candidate at B in (1, 64) and T up to 4096
(d=10, u=32, float32, interleaved rounds) and writes ``benchmarks/gpu/<device>.json`` naming the
device, the driver, the date and every median with its speed-up over the cuDNN GRU.
"""

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import grucourse  # noqa: F401  (TensorFlow's environment variables before TensorFlow is imported)

OUT = Path(__file__).resolve().parent / "gpu"
CELLS = [(B, T) for B in (1, 64) for T in (256, 1024, 4096)]


def driver() -> str:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        return out.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def main() -> int:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        print("bench-gpu: no GPU is visible to TensorFlow (tf.config.list_physical_devices('GPU') "
              "is empty); nothing timed, no JSON written.")
        return 0
    from grucourse.experiments.deer import UNITS, D, make_gru
    from grucourse.layers.deer import gru_weights, solve
    from grucourse.layers.scan import scan
    from grucourse.measure.stats import time_ratio
    from grucourse.measure.timing import interleaved_times

    import keras
    import numpy as np

    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
    gru, lstm = make_gru(0), keras.layers.LSTM(UNITS, return_sequences=True)
    lstm.build((None, None, D))
    W = tf.constant(np.random.default_rng(1).normal(0, 0.3, (D, 2 * UNITS)).astype(np.float32))
    rows = []
    for B, T in CELLS:
        x = tf.constant(np.random.default_rng(0).normal(size=(B, T, D)).astype(np.float32))

        def mingru(x=x):
            p = tf.matmul(x, W)  # (B, T, 2u)
            z = tf.sigmoid(p[..., :UNITS])  # (B, T, u)
            return scan(1.0 - z, z * p[..., UNITS:])

        fns = {"cuDNN GRU": tf.function(lambda x=x: gru(x)),
               "cuDNN LSTM": tf.function(lambda x=x: lstm(x)),
               "minGRU scan": tf.function(mingru),
               "quasi-DEER": tf.function(lambda x=x: solve(x, *gru_weights(gru))[0])}
        stats = interleaved_times(fns, repeat=7, warmup=2)
        for k, s in stats.items():
            r = time_ratio(stats["cuDNN GRU"]["samples"], s["samples"])
            rows.append({"B": B, "T": T, "candidate": k, "median_s": s["median"],
                         "speedup_vs_cudnn_gru": [r.ratio, r.low, r.high]})
            print(f"B={B:<3} T={T:<5} {k:<12} {s['median'] * 1e3:9.3f} ms  "
                  f"x{r.ratio:.2f} [{r.low:.2f}, {r.high:.2f}] vs cuDNN GRU")
    OUT.mkdir(exist_ok=True)
    path = OUT / (re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") + ".json")
    path.write_text(json.dumps({"device": name, "driver": driver(),
                                "date": datetime.date.today().isoformat(),
                                "tensorflow": tf.__version__, "d": D, "u": UNITS,
                                "rows": rows}, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
