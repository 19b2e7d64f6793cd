"""Real-time inference: the latency of one GRU step for one new input (batch 1)."""

from grucourse.experiments.serving_and_scaling import streaming_latency

from _harness import main

if __name__ == "__main__":
    main(
        "one streaming step, batch 1, d=10 u=32 (each run is the mean of 20 calls)",
        lambda rng, repeat: streaming_latency(rng, repeat=repeat),
        default_repeat=20,
        notes=lambda r: [f"max |streamed - full sequence| over {r['T']} steps = {r['max_abs_diff']:.1e}"]
        + [f"{name} / numpy step time: {ratio}" for name, ratio in r["ratios"].items() if name != "numpy"],
    )
