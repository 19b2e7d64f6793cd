"""Variable-length batches: pad everything to the longest sequence, or bucket by length?"""

from grucourse.data.batching import make_variable_length_data
from grucourse.experiments.fast_path import compare_batching

from _harness import main


def experiment(rng, repeat):
    seqs = make_variable_length_data(rng, n=256, d=4, min_len=5, max_len=100)
    return compare_batching(rng, seqs, batch_size=32, u=16, repeat=repeat)


if __name__ == "__main__":
    main(
        "256 sequences of 5..100 steps, batches of 32, masked keras GRU (u=16)",
        experiment,
        default_repeat=10,
        notes=lambda r: [
            f"max |padded - bucketed| final state = {r['max_abs_diff_strategies']:.1e}; "
            f"vs unpadded reference {r['max_abs_diff_reference']:.1e}; "
            f"without a mask the states are off by {r['max_abs_diff_unmasked']:.2f}",
            f"pad all / bucketed time: {r['ratio']}",
        ],
    )
