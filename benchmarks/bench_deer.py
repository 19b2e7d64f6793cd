"""DEER: keras.layers.GRU (sequential) vs quasi-DEER (and full DEER at B = 1) on this CPU,
forward pass and one training step, d=10 u=32 float32, speed-ups with 95% intervals."""

import argparse
import os
import time

import grucourse  # noqa: F401  (TensorFlow's environment variables before TensorFlow is imported)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds per cell")
    args = parser.parse_args()

    from grucourse.experiments.deer import (
        equality_rows,
        format_timing,
        forward_fns,
        make_gru,
        timing_rows,
        train_fns,
    )
    from grucourse.repro import seed_everything

    import numpy as np

    seed_everything(0)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # each (B, T) traces its own graphs: no retracing notes
    t0 = time.perf_counter()
    layer = make_gru(0)
    for r in equality_rows({"untrained": layer}, [4096], B=1):
        print(f"quasi-DEER at B=1 T=4096: {r['iterations']} iterations, "
              f"max |H_deer - H_keras| = {r['max |diff|']:.1e} (float32)")
    print(f"\nforward pass (median of {args.repeat} interleaved rounds; speed-up = keras GRU time / "
          "candidate time)")
    print(format_timing(timing_rows(
        lambda B, T: forward_fns(B, T, layer, ("quasi", "full") if B == 1 and T <= 1024
                                 else ("quasi", "quasi-xla") if B == 1 else ("quasi",)),
        [(1, 256), (1, 1024), (1, 4096), (64, 256), (64, 1024)], args.repeat)))
    print(f"\none training step, gradients through the fixed point (median of {args.repeat} rounds)")
    print(format_timing(timing_rows(lambda B, T: train_fns(B, T, layer, ("quasi-DEER",)),
                                    [(1, 1024), (1, 4096), (64, 256)], args.repeat)))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"[{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, load average {load:.1f}; "
          f"numpy {np.__version__}]\n", flush=True)
