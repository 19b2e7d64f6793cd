"""Run every check of the course in order and end with one summary line.

Stages: ruff, unit and policy tests, notebooks under nbval, the book build
(warnings are errors) and the browser tests against the built book.
Each stage runs even if an earlier one failed; the exit code is non-zero if any failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOTEBOOK_DIRS = ["chapters", "solutions", "exercises"]


def pytest_cmd(*args: str) -> list[str]:
    return [str(BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider", *args]


def stages(junit_dir: Path) -> list[tuple[str, list[str] | None]]:
    notebook_dirs = [d for d in NOTEBOOK_DIRS if any((ROOT / d).glob("*.ipynb"))]
    return [
        ("ruff", [str(BIN / "ruff"), "check", "."]),
        ("unit and policy tests", pytest_cmd("-q", "-n", "2", "-m", "not browser", "tests",
                                             f"--junitxml={junit_dir / 'unit.xml'}")),
        ("notebooks (nbval)", pytest_cmd(
            "-q", "--nbval-lax", "--nbval-current-env",
            "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
            "-n", "2", "--dist", "loadscope", *notebook_dirs,
            f"--junitxml={junit_dir / 'nbval.xml'}")),
        ("book build", [str(BIN / "jupyter-book"), "build", ".", "--warningiserror", "--nitpick",
                        "--keep-going"]),
        ("browser tests", pytest_cmd("-q", "-m", "browser", "tests",
                                     f"--junitxml={junit_dir / 'browser.xml'}")),
    ]


def junit_counts(path: Path) -> tuple[int, int] | None:
    """(passed, failed) from a pytest junit file, or None if there is none."""
    if not path.exists():
        return None
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return tests - bad - skipped, bad


def main() -> int:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0", PYTHONHASHSEED="0")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        junit_dir = Path(tmp)
        for name, cmd in stages(junit_dir):
            print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
            t0 = time.perf_counter()
            rc = subprocess.call(cmd, cwd=ROOT, env=env)
            seconds = time.perf_counter() - t0
            xml = cmd[-1].split("=", 1)[1] if cmd[-1].startswith("--junitxml=") else None
            counts = junit_counts(Path(xml)) if xml else None
            if counts is None:
                counts = (1, 0) if rc == 0 else (0, 1)
            elif rc != 0 and counts[1] == 0:
                counts = (counts[0], 1)  # e.g. nothing collected (exit 5) or an internal error
            results.append((name, rc, seconds, counts))
            print(f"=== {name}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {seconds:.0f} s", flush=True)
    print("\nStage                     result   time   checks passed/failed")
    for name, rc, seconds, (ok, bad) in results:
        print(f"{name:<25} {'ok' if rc == 0 else 'FAILED':<8} {seconds:5.0f} s  {ok}/{bad}")
    passed = sum(c[0] for *_, c in results)
    failed = sum(c[1] for *_, c in results)
    print(f"summary: {passed} passed, {failed} failed")
    return 1 if any(rc != 0 for _, rc, _, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
