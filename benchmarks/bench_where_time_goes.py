"""Where does the time of a GRU forward go: the parallel input projection or the sequential loop?"""

from grucourse.experiments.efficiency import projection_time_share

from _harness import main

if __name__ == "__main__":
    main(
        "numpy GRU: input projection vs the whole forward, B=64 T=100 d=10 u=32",
        lambda rng, repeat: projection_time_share(rng, repeat=repeat),
        default_repeat=30,
        notes=lambda r: [
            f"the projection is {r['share_flops']:.0%} of the FLOPs; projection / whole forward time: "
            f"{r['share_time_ratio']}"
        ],
    )
