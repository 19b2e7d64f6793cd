"""Eager, tf.function or XLA (jit_compile=True): the same Keras GRU forward on CPU."""

from grucourse.experiments.serving_and_scaling import compare_compilation

from _harness import main

if __name__ == "__main__":
    main(
        "keras.layers.GRU forward on CPU, B=64 T=100 d=10 u=32",
        lambda rng, repeat: compare_compilation(rng, repeat=repeat),
        default_repeat=10,
        notes=lambda r: [f"max |difference| between the three = {r['max_abs_diff']:.1e}"]
        + [f"{mode} / tf.function time: {ratio}" for mode, ratio in r["ratios"].items() if mode != "function"],
    )
