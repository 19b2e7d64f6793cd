"""The autocomplete's JavaScript GRU equals numpy (and Keras) to 1e-5 on fixture strings, under Node."""

import json
import shutil
import subprocess
from pathlib import Path

from grucourse.core.gru import init_gru_params
from grucourse.core.language_model import softmax_t
from grucourse.data.text import ALPHABET, encode_text
from grucourse.layers.lm import build_lm, numpy_lm
from grucourse.widgets.autocomplete import autocomplete_payload, reference_run

import numpy as np
from test_widgets_js import node

JS = Path(__file__).resolve().parent.parent / "src" / "grucourse" / "widgets" / "autocomplete.js"
FIXTURES = ["the gated recurrent unit ", "a", "Hello, World! (42)", "assert statements are a convenient way"]

RUNNER = """
import { readFileSync } from "node:fs";
import { runText, cleanText, checkModel } from "./autocomplete.mjs";
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = cases.map((c) => runText(c.lm, cleanText(c.lm.alphabet, c.text).ids));
const bad = { ...cases[0].lm, W_head: [[1]] };
const problems = [checkModel(null), checkModel(bad), checkModel({ ...cases[0].lm, gru: { ...cases[0].lm.gru,
  convention: "keras" } }), checkModel(cases[0].lm)];
console.log(JSON.stringify({ out, problems, cleaned: cleanText(cases[0].lm.alphabet, "AB?c") }));
"""


def run_node(tmp_path, cases):
    shutil.copy(JS, tmp_path / "autocomplete.mjs")  # .mjs: Node loads it as the ES module it is
    (tmp_path / "run.mjs").write_text(RUNNER)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    proc = subprocess.run([node(), "run.mjs", "cases.json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def random_lm(seed, u=8):
    rng = np.random.default_rng(seed)
    V = len(ALPHABET)
    params = init_gru_params(V, u, rng, scale=1.5, convention="keras", reset_after=True)
    return params, rng.normal(size=(u, V)), rng.normal(size=V)


def test_js_matches_numpy_on_the_shipped_weights(tmp_path):
    payloads = [autocomplete_payload(*random_lm(s), ALPHABET) for s in (0, 1)]
    cases = [{"lm": p, "text": t} for p in payloads for t in FIXTURES]
    res = run_node(tmp_path, cases)
    worst = 0.0
    for case, js in zip(cases, res["out"], strict=True):
        ref = reference_run(case["lm"], case["text"])
        for k in ("z", "r", "h", "probs"):
            err = float(np.max(np.abs(np.array(js[k]) - ref[k])))
            worst = max(worst, err)
            assert err < 1e-5, (case["text"], k, err)
    print(f"\nJS autocomplete GRU vs numpy: largest difference {worst:.1e} over {len(cases)} fixtures")
    assert res["problems"][0] == "the model has no alphabet"
    assert "W_head must be a 8x36 matrix" in res["problems"][1]
    assert "source convention" in res["problems"][2]
    assert res["problems"][3] == ""
    assert res["cleaned"] == {"ids": [1, 2, 3], "kept": "abc", "dropped": "?"}


def test_js_matches_keras(tmp_path):
    model = build_lm("GRU", 8, len(ALPHABET), seed=3)
    payload = autocomplete_payload(*numpy_lm(model), ALPHABET, digits=17)  # unrounded: compare with Keras
    cases = [{"lm": payload, "text": t} for t in FIXTURES if len(t) > 1]
    res = run_node(tmp_path, cases)
    for case, js in zip(cases, res["out"], strict=True):
        ids = encode_text("".join(c for c in case["text"].lower() if c in ALPHABET))
        keras_probs = softmax_t(np.asarray(model.predict(ids[None], verbose=0)[0], dtype=float))  # (T, V)
        err = float(np.max(np.abs(np.array(js["probs"]) - keras_probs)))
        assert err < 1e-5, (case["text"], err)
