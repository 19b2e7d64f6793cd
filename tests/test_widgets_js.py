"""The playground's JavaScript GRU step equals grucourse.core.gru.gru_forward to 1e-6, checked under Node."""

import json
import os
import shutil
import subprocess
from pathlib import Path

from grucourse.core import handset
from grucourse.core.gru import gru_forward, init_gru_params
from grucourse.widgets.gate_animator import params_payload

import numpy as np
import pytest

JS = Path(__file__).resolve().parent.parent / "src" / "grucourse" / "widgets" / "gate_widgets.js"

RUNNER = """
import { readFileSync } from "node:fs";
import { gruForward, traceProblem } from "./gate_widgets.mjs";
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = { results: cases.map((c) => gruForward(c.params, c.x, c.h0)), errors: [] };
for (const [params, x] of [[{ ...cases[0].params, W_z: [[1]] }, cases[0].x], [cases[0].params, []]]) {
  try { gruForward(params, x, null); out.errors.push(""); } catch (e) { out.errors.push(e.message); }
}
out.problems = [traceProblem(null), traceProblem({ T: 0, units: [0] }),
  traceProblem({ T: 1, units: [0], x: [[0]], z: [[NaN]], r: [[0]], h_tilde: [[0]], h: [[0]] })];
console.log(JSON.stringify(out));
"""


def node() -> str:
    exe = shutil.which("node")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is missing (the book needs Node.js too: apt-get install nodejs)")
        pytest.skip("node is missing")
    return exe


def fixtures():
    rng = np.random.default_rng(7)
    cases = []
    for convention in ("source", "keras"):
        for reset_after in (False, True):
            p = init_gru_params(3, 4, rng, scale=1.5, convention=convention, reset_after=reset_after)
            x = rng.normal(size=(25, 3))  # (T, d)
            h0 = rng.uniform(-0.5, 0.5, size=4)  # (u,)
            cases.append((p, x, h0))
    x = handset.demo_sequence(60, np.random.default_rng(0), marker=40)
    cases.append((handset.reset_at_marker_params(), x, np.zeros(1)))
    return cases


def test_js_gru_matches_numpy(tmp_path):
    exe = node()
    cases = fixtures()
    payload = [{"params": params_payload(p), "x": x.tolist(), "h0": h0.tolist()} for p, x, h0 in cases]
    (tmp_path / "cases.json").write_text(json.dumps(payload))
    shutil.copy(JS, tmp_path / "gate_widgets.mjs")  # .mjs: Node loads it as the ES module it is
    (tmp_path / "run.mjs").write_text(RUNNER)
    proc = subprocess.run([exe, "run.mjs", "cases.json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    worst = 0.0
    for (p, x, h0), js in zip(cases, out["results"], strict=True):
        _, ref = gru_forward(x[None], p, h0=h0[None], return_gates=True)
        for k in ("z", "r", "h_tilde", "h"):
            err = np.max(np.abs(np.array(js[k]) - ref[k][0]))
            worst = max(worst, err)
            assert err < 1e-6, (p.convention, p.reset_after, k, err)
    print(f"\nJS GRU vs numpy: largest difference {worst:.1e} over {len(cases)} fixtures")
    assert "W_r must be a 1x3 matrix" in out["errors"][0] or "must be" in out["errors"][0]
    assert "empty" in out["errors"][1]
    assert all(out["problems"]), out["problems"]  # malformed payloads give a message, never a blank widget
