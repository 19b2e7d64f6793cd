"""Fused input projection (one matmul for all steps) against one projection per step, numpy."""

from grucourse.experiments.efficiency import compare_projection

from _harness import main

if __name__ == "__main__":
    main(
        "fused vs per-step input projection (numpy, 1 BLAS thread), B=64 T=100 d=10 u=32",
        lambda rng, repeat: compare_projection(rng, repeat=repeat),
        default_repeat=30,
        notes=lambda r: [f"per-step / fused time: {r['ratio']}; max |difference| = {r['max_abs_diff']:.1e}"],
    )
