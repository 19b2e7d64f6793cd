"""The work-efficient (blocked) scan vs the chunked Hillis-Steele scan: one minGRU training step
against keras.layers.GRU on this CPU, d=10 u=32 float32, speed-ups with 95% intervals."""

import argparse
import os
import time

import grucourse  # noqa: F401  (TensorFlow's environment variables before TensorFlow is imported)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds per cell")
    args = parser.parse_args()

    from grucourse.experiments.deer import format_timing, make_gru, timing_rows, train_fns
    from grucourse.repro import seed_everything

    seed_everything(0)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # each (B, T) traces its own graphs: no retracing notes
    t0 = time.perf_counter()
    layer = make_gru(0)
    kinds = ("minGRU blocked scan", "minGRU Hillis-Steele scan", "minGRU without the scan")
    print(f"one training step (median of {args.repeat} interleaved rounds; speed-up = keras GRU "
          "time / candidate time;\n'without the scan' is the profile: the same step with h = b)")
    print(format_timing(timing_rows(lambda B, T: train_fns(B, T, layer, kinds),
                                    [(1, 1024), (1, 4096), (64, 1024), (64, 4096)], args.repeat)))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"[{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, load average {load:.1f}]\n",
          flush=True)
