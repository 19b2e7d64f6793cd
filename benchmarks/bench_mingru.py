"""minGRU: one training step (forward + backward) of keras GRU, minGRU as a loop and as a scan."""

import argparse
import os
import time

import grucourse  # noqa: F401  (TensorFlow's environment variables before TensorFlow is imported)

TS = (64, 256, 1024, 4096)
BS = (1, 8, 64)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="paired timed rounds per cell (median)")
    args = parser.parse_args()

    from grucourse.experiments.parallel_mingru import crossover, format_speed_table, speed_table
    from grucourse.repro import seed_everything

    seed_everything(0)
    t0 = time.perf_counter()
    rows = speed_table([(B, T) for B in BS for T in TS], repeat=args.repeat, max_loop_T=1024)
    print(f"one training step, d=10 u=32, float32 (median of {args.repeat} interleaved rounds; "
          "the loop only up to T=1024)")
    print(format_speed_table(rows))
    for B, where in crossover(rows).items():
        print(f"batch {B:>2}: " + "; ".join(f"{k} at T = {v}" for k, v in where.items() if v))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"[{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, load average {load:.1f}]\n", flush=True)
