"""Run every benchmark script, each in a fresh process, and print their tables (``make bench``).

    python benchmarks/run_all.py                # all of them
    python benchmarks/run_all.py projection     # only the scripts whose name contains "projection"
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["where_time_goes", "projection", "numpy_vs_keras", "fastpath", "batching", "streaming",
         "compile", "cell_types", "mingru", "scan", "deer"]


def main(argv: list[str]) -> int:
    scripts = [HERE / f"bench_{name}.py" for name in ORDER]
    missing = [s.name for s in scripts if not s.exists()]
    extra = sorted(p.name for p in HERE.glob("bench_*.py") if p not in scripts)
    if missing or extra:
        print(f"benchmarks/run_all.py is out of date: missing {missing}, not listed {extra}", file=sys.stderr)
        return 2
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    versions = ", ".join(f"{p} {version(p)}" for p in ("numpy", "tensorflow-cpu", "keras"))
    print(f"Python {platform.python_version()}, {versions}, {os.cpu_count()} CPUs ({platform.machine()})")
    print("Timings are medians of repeated runs; IQR and range show the spread. Shared machines inflate them.\n")
    t0 = time.perf_counter()
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        if subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0:
            failed.append(script.name)
    print(f"all benchmarks: {time.perf_counter() - t0:.0f} s" + (f"; FAILED: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
