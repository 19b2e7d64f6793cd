"""The attention animator: its payload checks in Python, and its JavaScript helpers under Node."""

import json
import shutil
import subprocess
from pathlib import Path

from grucourse.widgets.attention import AttentionAnimator, attention_animator, attention_payload

import numpy as np
import pytest
from test_widgets_js import node

JS = Path(__file__).resolve().parent.parent / "src" / "grucourse" / "widgets" / "attention.js"


def softmax_rows(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))  # (T_out, T_src)
    return e / e.sum(axis=1, keepdims=True)


def test_payload_rounds_and_keeps_the_tokens():
    w = softmax_rows(np.random.default_rng(0).normal(size=(4, 3)))
    p = attention_payload(w, ["1", "2", "3"], ["3", "2", "1", "EOS"])
    assert p["source"] == ["1", "2", "3"] and p["output"][-1] == "EOS"
    assert np.array(p["weights"]).shape == (4, 3)
    assert np.max(np.abs(np.array(p["weights"]) - w)) <= 5e-4


def test_widget_holds_the_payload():
    w = np.eye(3)
    widget = attention_animator(w, [1, 2, 3], ["x", "y", "z"], title="Where attention looks", speed=4)
    assert isinstance(widget, AttentionAnimator)
    assert widget.data["weights"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    assert widget.data["source"] == ["1", "2", "3"] and widget.data["speed"] == 4.0
    assert widget.title == "Where attention looks"


@pytest.mark.parametrize(("weights", "source", "output", "error", "match"), [
    (np.eye(3), "123", ["a", "b", "c"], TypeError, "list of token strings"),
    (np.eye(3), [], ["a", "b", "c"], ValueError, "source is empty"),
    (np.eye(3), ["1", "2"], ["a", "b", "c"], ValueError, r"shape \(len\(output\), len\(source\)\) = \(3, 2\)"),
    (np.full((2, 2), np.nan), ["1", "2"], ["a", "b"], ValueError, "NaN"),
    (np.array([[1.5, -0.5], [0.5, 0.5]]), ["1", "2"], ["a", "b"], ValueError, r"lie in \[0, 1\]"),
    (np.array([[0.2, 0.2], [0.5, 0.5]]), ["1", "2"], ["a", "b"], ValueError, "row 0 sums to 0.4000"),
])
def test_bad_payloads_are_explained(weights, source, output, error, match):
    with pytest.raises(error, match=match):
        attention_payload(weights, source, output)


def test_bad_speed_is_explained():
    with pytest.raises(ValueError, match="steps per second"):
        attention_animator(np.eye(2), ["1", "2"], ["a", "b"], speed=0)


RUNNER = """
import { checkAttention, shade, peak } from "./attention_widget.mjs";
const good = { source: ["1", "2"], output: ["2", "1", "EOS"], weights: [[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]] };
const problems = [
  checkAttention(null),
  checkAttention({ ...good, source: [] }),
  checkAttention({ ...good, weights: good.weights.slice(0, 2) }),
  checkAttention({ ...good, weights: [[0.1, 0.9], [0.8], [0.5, 0.5]] }),
  checkAttention({ ...good, weights: [[0.1, 0.9], [0.8, 1.2], [0.5, 0.5]] }),
  checkAttention(good),
];
console.log(JSON.stringify({ problems, shades: [shade(0), shade(0.5), shade(0.9)],
  peaks: good.weights.map(peak) }));
"""


def test_js_checks_shades_and_peaks(tmp_path):
    shutil.copy(JS, tmp_path / "attention_widget.mjs")  # .mjs: Node loads it as the ES module it is
    (tmp_path / "run.mjs").write_text(RUNNER)
    proc = subprocess.run([node(), "run.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    assert res["problems"] == [
        "no attention weights were handed to the widget",
        "the source has no tokens",
        "weights must have one row per output token (3)",
        "row 1 of the weights must have one value per source token (2)",
        "row 1 holds a weight outside [0, 1]",
        "",
    ]
    assert res["shades"][0] == {"background": "rgba(0, 114, 178, 0)", "color": ""}
    assert res["shades"][1] == {"background": "rgba(0, 114, 178, 0.5)", "color": ""}
    assert res["shades"][2] == {"background": "rgba(0, 114, 178, 0.9)", "color": "#ffffff"}
    assert res["peaks"] == [1, 0, 0], "the first of two equal weights is the peak"
