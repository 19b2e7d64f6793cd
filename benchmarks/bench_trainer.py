"""In-page trainer: training steps per second of the widget's JavaScript (forward + BPTT + Adam) under Node.

The standard setting is a 16-unit GRU on delayed recall at lag 99 (100-step sequences), batches of 32,
the page's default; the other rows change one thing. Node runs the same module the browser runs
(src/grucourse/widgets/gru_trainer.js), on one core; rounds of the settings are interleaved so that the
machine's load falls on all of them alike. A browser's JIT gives numbers of the same order.
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

JS = Path(__file__).resolve().parent.parent / "src" / "grucourse" / "widgets" / "gru_trainer.js"
SETTINGS = [
    ("GRU, 16 units, T = 100, batch 32 (standard)", dict(lag=99)),
    ("GRU, 16 units, T = 100, batch 8", dict(lag=99, batch=8)),
    ("GRU, 16 units, T = 21, batch 32 (lag 20)", dict(lag=20)),
    ("minGRU, 16 units, T = 100, batch 32", dict(lag=99, cell="mingru")),
    ("SimpleRNN, 16 units, T = 100, batch 32", dict(lag=99, cell="simplernn")),
]
RUNNER = """
import * as m from "./gru_trainer.mjs";
const [settings, rounds, seconds] = JSON.parse(process.argv[2]);
const runs = settings.map((s) => m.createRun({ task: "recall", units: 16, init: "chrono", t_max: 100, seed: 0,
  every: 1000, ...s }));
runs.forEach((r) => { for (let i = 0; i < 3; i++) m.trainStep(r); });  // warm up the JIT
const wall = settings.map(() => []), cpu = settings.map(() => []);
for (let k = 0; k < rounds; k++) {
  runs.forEach((r, i) => {
    const t0 = performance.now(), c0 = process.cpuUsage();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) { m.trainStep(r); n += 1; }
    const c = process.cpuUsage(c0);
    wall[i].push(n / ((performance.now() - t0) / 1000));
    cpu[i].push(n / ((c.user + c.system) / 1e6));
  });
}
console.log(JSON.stringify({ wall, cpu }));
"""

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median reported)")
    parser.add_argument("--seconds", type=float, default=1.0, help="seconds per setting per round")
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is missing: install Node.js 18 or newer")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(JS, Path(tmp) / "gru_trainer.mjs")
        (Path(tmp) / "run.mjs").write_text(RUNNER)
        job = json.dumps([[s for _, s in SETTINGS], args.rounds, args.seconds])
        proc = subprocess.run([node, "run.mjs", job], cwd=tmp, capture_output=True, text=True, check=True)
    rates = json.loads(proc.stdout)
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"training steps per second under Node {version}, median (range) of {args.rounds} interleaved "
          f"rounds of {args.seconds:g} s;\nper CPU second = what one free core gives (wall-clock rates "
          "shrink when other programs share the CPU)")
    for (name, _), w, c in zip(SETTINGS, rates["wall"], rates["cpu"], strict=True):
        w, c = sorted(w), sorted(c)
        print(f"  {name:<44} {c[len(c) // 2]:6.1f} per CPU s ({c[0]:.1f} to {c[-1]:.1f}); "
              f"{w[len(w) // 2]:6.1f} per wall s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"[{time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs, load average {load:.1f}]", flush=True)
