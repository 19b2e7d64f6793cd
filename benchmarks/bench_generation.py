"""GRU or Transformer: seconds per generated token at batch 1, context 16 to 4096 (numpy float32).

The full sweep of chapters/27_cost_per_token.ipynb, with the Transformer without a cache timed
up to 4096 too (seconds per token there), and the roofline fractions. One BLAS thread; the three
models are timed in interleaved rounds and reported as ratios to the GRU with 95% intervals.
Run: ``python benchmarks/bench_generation.py [--repeat N]``.
"""

import argparse

import grucourse  # noqa: F401  (TensorFlow's environment variables before TensorFlow is imported)
from grucourse.experiments.gru_vs_transformer import generation_sweep, token_costs
from grucourse.measure.roofline import measure_bandwidth, measure_peak_flops
from grucourse.measure.timing import single_blas_thread

import numpy as np

D, HEADS, MLP, U = 128, 4, 512, 256
LS = (16, 64, 256, 1024, 4096)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="interleaved rounds per context")
    args = parser.parse_args()
    with single_blas_thread():
        peak, bw = measure_peak_flops(256), measure_bandwidth(64)
    print(f"one BLAS thread: matmul {peak / 1e9:.1f} GFLOP/s, copy {bw / 1e9:.1f} GB/s")
    sweep = generation_sweep(LS, d_model=D, u=U, n_heads=HEADS, mlp=MLP, max_no_cache=4096,
                             repeat=args.repeat, number=1)
    costs = token_costs(np.array(LS), d_model=D, u=U, mlp=MLP)
    print(f"{'L':>5} {'model':24} {'µs/token':>11} {'ratio to GRU [95% CI]':>24} "
          f"{'% peak':>7} {'% DRAM bw':>9}")
    for row in sweep.itertuples():
        i = LS.index(row.L)
        c = costs[row.model]
        ci = f"{row._6:.2f} [{row._7:.2f}, {row._8:.2f}]"
        print(f"{row.L:5d} {row.model:24} {row.seconds * 1e6:11.1f} {ci:>24} "
              f"{100 * c['flops'][i] / row.seconds / peak:7.1f} "
              f"{100 * c['bytes'][i] / row.seconds / bw:9.0f}")


if __name__ == "__main__":
    main()
