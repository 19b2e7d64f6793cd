"""Shared command line of the benchmark scripts: ``--repeat N`` and a table with a title.

Each script answers one question of the efficiency chapters (19-21) with the same function the
chapter calls (from ``grucourse.experiments.efficiency``, ``.fast_path`` or ``.serving_and_scaling``),
only with more repeats; ratios come with their 95% intervals. Run one script, or all of them with
``python benchmarks/run_all.py`` (``make bench``).
"""

from __future__ import annotations

import argparse
import os
import time

import grucourse  # noqa: F401  (TensorFlow's environment variables before TensorFlow is imported)


def main(question: str, experiment, default_repeat: int, notes=None) -> None:
    """Parse ``--repeat``, run ``experiment(rng, repeat) -> result dict`` and print its table.

    ``notes(result) -> list[str]`` adds the correctness numbers under the table.
    """
    parser = argparse.ArgumentParser(description=question)
    parser.add_argument("--repeat", type=int, default=default_repeat, help="timed runs per row (median)")
    args = parser.parse_args()

    from grucourse.measure.timing import format_table
    from grucourse.repro import seed_everything

    rng = seed_everything(0)
    t0 = time.perf_counter()
    result = experiment(rng, args.repeat)
    print(format_table(result["rows"], title=f"{question}  ({args.repeat} interleaved rounds)"))
    for line in notes(result) if notes else []:
        print(line)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"[{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, load average {load:.1f}]\n", flush=True)
