"""Is the course's numpy GRU as fast as Keras? Forward pass, B=64, T=100, d=10, u=32, float32."""

from grucourse.experiments.efficiency import compare_numpy_keras

from _harness import main

if __name__ == "__main__":
    main(
        "numpy vs Keras GRU forward, B=64 T=100 d=10 u=32",
        lambda rng, repeat: compare_numpy_keras(rng, B=64, T=100, d=10, u=32, repeat=repeat),
        default_repeat=30,
        notes=lambda r: [
            f"numpy / Keras time, one BLAS thread: {r['ratios']['np1']}",
            f"numpy / Keras time, OpenBLAS's default threads: {r['ratios']['np']}",
            f"max |numpy - Keras| = {r['max_abs_diff']:.1e}",
        ],
    )
