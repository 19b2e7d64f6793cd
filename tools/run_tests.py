"""Run every check of the course in order and end with one summary line.

Stages: ruff; the import contracts of the helper package (lint-imports, .importlinter); notebook code
lines of at most 88 characters (they fit the book's column); package code lines of at most 100
characters (the package's source is shown in the book too); unit and policy tests; the notebooks
executed once, two at a time, into the book's cache (the book build then reads them from there); the
book build (warnings are errors); nbval in strict mode, which executes every executed notebook again
and compares each output with the first execution (sanitised for timings and addresses), so a number
that changes between two runs with the same seeds fails and names its cell; the browser tests against
the built book.
The notebook stages run without network (a network namespace with only loopback, when root), so
"nothing is downloaded at run time" is tested. Each stage runs even if an earlier one failed; the
exit code is non-zero if any failed. Stage times and the slowest notebooks are printed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tools"))
from execute_notebooks import one_thread_per_kernel, quiet_kernel_profile  # noqa: E402

EXECUTED = ROOT / "_build" / "executed"  # the executed notebooks, exported from the book's cache
OFFLINE_PROBE = ("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 443), timeout=3)\n"
                 "except OSError:\n    pass\nelse:\n    raise SystemExit('network reachable')")


def offline_prefix() -> list[str]:
    """A command prefix that runs in a fresh network namespace with only loopback up, or [] with a notice."""
    why = None
    if os.geteuid() != 0:
        why = "not root"
    elif not (shutil.which("unshare") and shutil.which("ip")):
        why = "unshare or ip (util-linux, iproute2) missing"
    else:
        prefix = ["unshare", "-n", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "offline"]
        probe = subprocess.run([*prefix, sys.executable, "-c", OFFLINE_PROBE], capture_output=True, text=True)
        if probe.returncode == 0:
            print("notebook stages run offline: network namespace with only loopback (unshare -n)", flush=True)
            return prefix
        why = f"unshare -n failed: {(probe.stderr or probe.stdout).strip()[:200]}"
    print(f"NOTICE: notebook stages run WITH network access ({why}); offline execution is not tested here",
          flush=True)
    return []


def pytest_cmd(*args: str) -> list[str]:
    return [str(BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider", *args]


def stages(junit_dir: Path, offline: list[str]) -> list[tuple[str, list[str] | None]]:
    return [
        ("ruff", [str(BIN / "ruff"), "check", "."]),
        # the helper package's rooms import only the rooms below them (contracts in .importlinter)
        ("import contract", [str(BIN / "lint-imports"), "--no-cache", "--no-logo"]),
        # notebook code fits the book's 684 px column: at most 88 characters a line (the .py files: 120)
        ("notebook line length", [str(BIN / "ruff"), "check", "--isolated", "--select", "E501",
                                  "--line-length", "88", "chapters", "solutions", "exercises"]),
        # the package's source is shown in the book too: at most 100 characters a line
        ("package line length", [str(BIN / "ruff"), "check", "--isolated", "--select", "E501",
                                 "--line-length", "100", "src"]),
        ("unit and policy tests", pytest_cmd("-q", "-n", "2", "-m", "not browser", "tests",
                                             f"--junitxml={junit_dir / 'unit.xml'}")),
        ("execute notebooks", [*offline, str(BIN / "python"), "tools/execute_notebooks.py", "--top", "5",
                               "--export", str(EXECUTED)]),
        ("book build", [*offline, str(BIN / "jupyter-book"), "build", ".", "--warningiserror", "--nitpick",
                        "--keep-going"]),
        ("notebooks reproduce (nbval)", [*offline, *pytest_cmd(
            "-q", "--nbval", "--nbval-current-env",
            "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
            "-n", "2", "--dist", "loadscope", str(EXECUTED.relative_to(ROOT)),
            f"--junitxml={junit_dir / 'nbval.xml'}")]),
        # two test files at a time: each file shares one browser and one server among its tests
        ("browser tests", pytest_cmd("-q", "-n", "2", "--dist", "loadfile", "-m", "browser", "tests",
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
    env.setdefault("IPYTHONDIR", quiet_kernel_profile())  # no per-kernel notice in the log
    env.update(one_thread_per_kernel())  # two notebooks (or test workers) at a time on two cores
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        junit_dir = Path(tmp)
        for name, cmd in stages(junit_dir, offline_prefix()):
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
    subprocess.call([str(BIN / "python"), "tools/execute_notebooks.py", "--times", "--top", "5"], cwd=ROOT, env=env)
    passed = sum(c[0] for *_, c in results)
    failed = sum(c[1] for *_, c in results)
    print(f"summary: {passed} passed, {failed} failed")
    return 1 if any(rc != 0 for _, rc, _, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
