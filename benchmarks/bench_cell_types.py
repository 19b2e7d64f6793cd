"""SimpleRNN, GRU and LSTM: cost per time step against the FLOP ratios 1 : 3 : 4."""

from grucourse.experiments.efficiency import compare_cell_types

from _harness import main

if __name__ == "__main__":
    main(
        "Keras layers in tf.function, B=64 T=50 d=10 (each run: mean of 3 calls)",
        lambda rng, repeat: compare_cell_types(rng, sizes=(32, 128, 512), repeat=repeat, number=3),
        default_repeat=10,
        notes=lambda r: [f"u={u}: GRU / LSTM time: {ratio}" for u, ratio in r["gru_vs_lstm"].items()],
    )
