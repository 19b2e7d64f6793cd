"""What do the arguments that break cuDNN's conditions cost on the CPU's generic kernel?"""

from grucourse.experiments.fast_path import compare_fastpath

from _harness import main

if __name__ == "__main__":
    main(
        "keras.layers.GRU variants on CPU (tf.function, inference), B=64 T=100 d=10 u=32",
        lambda rng, repeat: compare_fastpath(rng, repeat=repeat),
        default_repeat=15,
        notes=lambda r: [f"max |variant - default| at inference: {max(r['max_abs_diff'].values()):.1e}"]
        + [f"{name} / default time: {ratio}" for name, ratio in r["ratios"].items() if name != "default"],
    )
