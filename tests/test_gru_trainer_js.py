"""The in-page trainer's JavaScript equals numpy, and numpy equals Keras, checked under Node.

- forward pass and every gradient (BPTT) of the GRU, minGRU and SimpleRNN equal a numpy reference
  written here, in float64, on fixtures drawn by numpy with fixed seeds;
- that numpy reference equals ``GradientTape`` on ``keras.layers.GRU`` (and ``grucourse``'s
  ``gru_forward`` / ``mingru_loop``; finite differences for minGRU and SimpleRNN);
- Adam's step equals ``keras.optimizers.Adam``'s and the clipping equals ``tf.clip_by_global_norm``;
- a fixed seed gives the same run twice; the tasks' labels follow from their inputs;
- the weights the page sends back turn, in one line, into a numpy / Keras GRU with the page's outputs.
"""

import json
import shutil
import subprocess
from pathlib import Path

from grucourse.core.gru import gru_forward
from grucourse.core.mingru import MinGRUParams, mingru_loop
from grucourse.widgets.gru_trainer import (
    gru_trainer,
    page_keras_layer,
    page_outputs,
    page_params,
    trainer_config,
)

import numpy as np
import pytest
from test_widgets_js import node

JS = Path(__file__).resolve().parent.parent / "src" / "grucourse" / "widgets" / "gru_trainer.js"
TOL = 1e-6  # asked for; the differences seen are ~1e-15 (printed)

RUNNER = """
import { readFileSync } from "node:fs";
import * as m from "./gru_trainer.mjs";
const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = { grads: [], adam: null, runs: [], tasks: {} };
for (const c of job.cases) {
  const p = m.fromPlain(c.params), T = c.x[0].length, d = c.x[0][0].length;
  const batch = { x: Float64Array.from(c.x.flat(2)), y: Float64Array.from(c.y), B: c.x.length, T, d,
    k: p.k, kind: c.kind };
  const f = m.forward(p, batch), r = m.lossAndGrads(p, batch);
  const g = m.toPlain({ ...p, ...r.grads });
  out.grads.push({ H: Array.from(f.H), loss: r.loss, grads: g });
}
{
  const a = job.adam, p = m.fromPlain(a.params), st = m.adamState(p), norms = [];
  for (const g of a.grads) {
    const gr = m.fromPlain({ ...a.params, ...g });
    norms.push(m.clipGlobalNorm(gr, a.clip));
    m.adamStep(p, gr, st, a.lr);
  }
  out.adam = { params: m.toPlain(p), norms, clipped: m.toPlain(m.fromPlain({ ...a.params, ...a.grads[0] })) };
  const g0 = m.fromPlain({ ...a.params, ...a.grads[0] });
  m.clipGlobalNorm(g0, a.clip);
  out.adam.clipped = m.toPlain(g0);
}
for (const cfg of job.runs) {
  const run = m.createRun(cfg);
  for (let i = 0; i < cfg.steps; i++) m.trainStep(run);
  const e = run.evalBatch, f = m.forward(run.params, e), hd = m.head(run.params, e, f.H);
  out.runs.push({ weights: m.weightsPayload(run), history: run.history, bz0: run.bz0,
    x: Array.from(e.x), y: Array.from(e.y), T: e.T, d: e.d, out: Array.from(hd.out),
    hT: Array.from(f.H.subarray(e.T * e.B * run.params.u)), gates: m.testGates(run) });
}
for (const task of Object.keys(m.TASKS)) {
  const b = m.makeBatch(task, 9, m.makeRng(5, 0), 200);
  out.tasks[task] = { x: Array.from(b.x), y: Array.from(b.y), d: b.d, T: b.T };
}
out.problems = [m.checkConfig({ ...m.DEFAULTS, task: "parity" }), m.checkConfig({ ...m.DEFAULTS, lag: 0 }),
  m.checkConfig(m.DEFAULTS)];
console.log(JSON.stringify(out));
"""


# --- the numpy reference: forward and BPTT in the Keras layout (z, r, h; reset_after=True) -----

def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def np_forward(p, x):
    """States and gates of the page's cells: H (T+1, B, u) with H[0] = 0, and z, r, h~, hU."""
    cell, u = p["cell"], p["u"]
    K, Rk, bias = (np.asarray(p[n], dtype=float) for n in ("kernel", "recurrent_kernel", "bias"))
    B, T, _ = x.shape
    H = np.zeros((T + 1, B, u))  # (T+1, B, u)
    cache = {n: np.zeros((T, B, u)) for n in ("z", "r", "ht", "hu")}
    for t in range(T):
        gx = x[:, t] @ K + bias[0]  # (B, d) @ (d, 3u) -> (B, 3u)
        gh = (H[t] @ Rk if cell != "mingru" else np.zeros((B, 3 * u))) + bias[1]  # (B, 3u)
        if cell == "gru":
            z, r = sigmoid(gx[:, :u] + gh[:, :u]), sigmoid(gx[:, u:2 * u] + gh[:, u:2 * u])  # (B, u)
            hu = gh[:, 2 * u:]  # (B, u): h U_h + b'_h
            ht = np.tanh(gx[:, 2 * u:] + r * hu)  # (B, u)
            H[t + 1] = z * H[t] + (1 - z) * ht
            cache["r"][t], cache["hu"][t] = r, hu
        elif cell == "mingru":
            z, ht = sigmoid(gx[:, :u] + gh[:, :u]), gx[:, 2 * u:] + gh[:, 2 * u:]  # (B, u)
            H[t + 1] = z * H[t] + (1 - z) * ht
        else:
            z, ht = np.zeros((B, u)), np.tanh(gx[:, 2 * u:] + gh[:, 2 * u:])  # (B, u)
            H[t + 1] = ht
        cache["z"][t], cache["ht"][t] = z, ht
    return H, cache


def np_loss(p, x, y, kind):
    out = np_forward(p, x)[0][-1] @ np.asarray(p["W_o"]) + np.asarray(p["b_o"])  # (B, k)
    if kind == "class":
        m = out.max(axis=1, keepdims=True)  # (B, 1)
        logp = out - m - np.log(np.exp(out - m).sum(axis=1, keepdims=True))  # (B, k)
        return float(-logp[np.arange(len(y)), y.astype(int)].mean()), out
    return float(((out[:, 0] - y) ** 2).mean()), out


def np_grads(p, x, y, kind):
    """BPTT by hand, the same equations as the page, vectorised over the batch."""
    cell, u = p["cell"], p["u"]
    K, Rk, W_o = (np.asarray(p[n], dtype=float) for n in ("kernel", "recurrent_kernel", "W_o"))
    H, c = np_forward(p, x)
    B, T, _ = x.shape
    loss, out = np_loss(p, x, y, kind)
    if kind == "class":
        prob = np.exp(out - out.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)  # (B, k)
        prob[np.arange(B), y.astype(int)] -= 1
        dout = prob / B  # (B, k)
    else:
        dout = 2 * (out - y[:, None]) / B  # (B, 1)
    g = {"kernel": np.zeros_like(K), "recurrent_kernel": np.zeros_like(Rk), "bias": np.zeros((2, 3 * u)),
         "W_o": H[-1].T @ dout, "b_o": dout.sum(axis=0)}
    dh = dout @ W_o.T  # (B, u)
    for t in reversed(range(T)):
        z, ht, hp = c["z"][t], c["ht"][t], H[t]
        dgx, dgh, dprev = np.zeros((B, 3 * u)), np.zeros((B, 3 * u)), np.zeros((B, u))
        if cell == "gru":
            r, hu = c["r"][t], c["hu"][t]
            dah = dh * (1 - z) * (1 - ht ** 2)  # (B, u)
            dgx[:, :u] = dh * (hp - ht) * z * (1 - z)
            dgx[:, u:2 * u] = dah * hu * r * (1 - r)
            dgx[:, 2 * u:] = dah
            dgh[:, :2 * u], dgh[:, 2 * u:] = dgx[:, :2 * u], dah * r
            dprev = dh * z
        elif cell == "mingru":
            dgx[:, :u] = dh * (hp - ht) * z * (1 - z)
            dgx[:, 2 * u:] = dh * (1 - z)
            dgh[:] = dgx
            dprev = dh * z
        else:
            dgx[:, 2 * u:] = dh * (1 - ht ** 2)
            dgh[:] = dgx
        g["kernel"] += x[:, t].T @ dgx  # (d, B) @ (B, 3u)
        g["bias"] += np.stack([dgx.sum(axis=0), dgh.sum(axis=0)])
        if cell != "mingru":
            g["recurrent_kernel"] += hp.T @ dgh  # (u, B) @ (B, 3u)
            dprev = dprev + dgh @ Rk.T  # (B, 3u) @ (3u, u)
        dh = dprev
    return loss, g


def fixture(cell, kind, seed, d=3, u=4, k=3, B=3, T=7):
    rng = np.random.default_rng(seed)
    k = 1 if kind == "reg" else k
    p = {"cell": cell, "d": d, "u": u, "k": k, "kernel": rng.normal(0, 0.7, (d, 3 * u)),
         "recurrent_kernel": rng.normal(0, 0.7, (u, 3 * u)), "bias": rng.normal(0, 0.5, (2, 3 * u)),
         "W_o": rng.normal(0, 0.7, (u, k)), "b_o": rng.normal(0, 0.3, k)}
    x = rng.normal(size=(B, T, d))  # (B, T, d)
    y = rng.integers(0, k, B).astype(float) if kind == "class" else rng.uniform(0, 2, B)
    return p, x, y


CASES = [(cell, kind, seed) for cell in ("gru", "mingru", "simplernn") for kind in ("class", "reg")
         for seed in (0, 1)]
RUNS = [dict(task="recall", lag=5, units=4, init="chrono", t_max=10, seed=3, every=5, steps=25),
        dict(task="recall", lag=5, units=4, init="chrono", t_max=10, seed=3, every=5, steps=25),
        dict(task="recall", lag=5, units=4, init="chrono", t_max=10, seed=4, every=5, steps=25),
        dict(task="adding", lag=8, units=3, init="keep", b_z=1.5, seed=0, every=5, steps=10),
        dict(task="sum", lag=8, units=5, cell="gru", init="keras", seed=0, every=5, steps=10),
        dict(task="recall", lag=3, units=4, cell="gru", init="keras", seed=1, every=5, steps=0)]


@pytest.fixture(scope="module")
def js(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trainer_js")
    shutil.copy(JS, tmp / "gru_trainer.mjs")  # .mjs: Node loads it as the ES module it is
    (tmp / "run.mjs").write_text(RUNNER)
    cases = []
    for cell, kind, seed in CASES:
        p, x, y = fixture(cell, kind, seed)
        cases.append({"params": {n: (v.tolist() if isinstance(v, np.ndarray) else v) for n, v in p.items()},
                      "x": x.tolist(), "y": y.tolist(), "kind": kind})
    rng = np.random.default_rng(11)
    p, _, _ = fixture("gru", "class", 11)
    adam = {"params": {n: (v.tolist() if isinstance(v, np.ndarray) else v) for n, v in p.items()},
            "grads": [{n: rng.normal(0, 0.8, np.shape(p[n])).tolist()
                       for n in ("kernel", "recurrent_kernel", "bias", "W_o", "b_o")} for _ in range(4)],
            "lr": 0.01, "clip": 1.0}
    (tmp / "job.json").write_text(json.dumps({"cases": cases, "adam": adam, "runs": RUNS}))
    proc = subprocess.run([node(), "run.mjs", "job.json"], cwd=tmp, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), adam


def test_js_forward_and_gradients_equal_numpy(js):
    res, _ = js
    worst = {"H": 0.0, "loss": 0.0, "grad": 0.0}
    for (cell, kind, seed), got in zip(CASES, res["grads"], strict=True):
        p, x, y = fixture(cell, kind, seed)
        H, _ = np_forward(p, x)
        worst["H"] = max(worst["H"], float(np.max(np.abs(np.array(got["H"]) - H.ravel()))))
        loss, g = np_grads(p, x, y, kind)
        worst["loss"] = max(worst["loss"], abs(got["loss"] - loss))
        for n, want in g.items():
            err = float(np.max(np.abs(np.array(got["grads"][n], dtype=float) - want)))
            assert err < TOL, (cell, kind, seed, n, err)
            worst["grad"] = max(worst["grad"], err)
    print(f"\nJS vs numpy over {len(CASES)} fixtures (float64): states {worst['H']:.1e}, "
          f"loss {worst['loss']:.1e}, gradients {worst['grad']:.1e}")
    assert max(worst.values()) < TOL, worst


def test_numpy_reference_equals_gradient_tape_on_keras_gru():
    import keras
    import tensorflow as tf

    for kind, seed in (("class", 0), ("reg", 1), ("class", 2)):
        p, x, y = fixture("gru", kind, seed, d=2, u=5, T=9)
        layer = keras.layers.GRU(5, reset_after=True, dtype="float64")
        layer.build((None, None, 2))
        layer.set_weights([p["kernel"], p["recurrent_kernel"], p["bias"]])
        W_o, b_o = tf.Variable(p["W_o"]), tf.Variable(p["b_o"])
        with tf.GradientTape() as tape:
            out = layer(tf.constant(x)) @ W_o + b_o  # (B, k)
            if kind == "class":
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y.astype(int), out))
            else:
                loss = tf.reduce_mean((out[:, 0] - y) ** 2)
        tape_g = tape.gradient(loss, [*layer.trainable_weights, W_o, b_o])
        np_l, g = np_grads(p, x, y, kind)
        assert abs(np_l - float(loss)) < 1e-12
        for name, t in zip(("kernel", "recurrent_kernel", "bias", "W_o", "b_o"), tape_g, strict=True):
            err = float(np.max(np.abs(g[name] - t.numpy())))
            assert err < 1e-10, (kind, name, err)


@pytest.mark.parametrize("cell", ["mingru", "simplernn"])
def test_numpy_reference_equals_finite_differences(cell):
    p, x, y = fixture(cell, "class", 5, u=3, T=5)
    _, g = np_grads(p, x, y, "class")
    eps = 1e-6
    for name in ("kernel", "recurrent_kernel", "bias", "W_o", "b_o"):
        arr = np.array(p[name], dtype=float)
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            for sign in (1, -1):
                a = arr.copy()
                a[idx] += sign * eps
                num[idx] += sign * np_loss({**p, name: a}, x, y, "class")[0] / (2 * eps)
        assert np.max(np.abs(num - g[name])) < 1e-7, (cell, name)


def test_numpy_forward_equals_the_course_cells():
    p, x, _ = fixture("gru", "class", 3)
    H, _ = np_forward(p, x)
    want = gru_forward(x, page_params(p))  # (B, u)
    assert np.max(np.abs(H[-1] - want)) < 1e-12
    p, x, _ = fixture("mingru", "class", 3)
    u, b = p["u"], np.array(p["bias"])
    src = MinGRUParams(W_z=-p["kernel"][:, :u], b_z=-(b[0, :u] + b[1, :u]),  # z_source = 1 - z_keras
                       W_h=p["kernel"][:, 2 * u:], b_h=b[0, 2 * u:] + b[1, 2 * u:])
    assert np.max(np.abs(np_forward(p, x)[0][1:].transpose(1, 0, 2) - mingru_loop(x, src))) < 1e-12


def test_adam_and_clipping_equal_keras(js):
    import keras
    import tensorflow as tf

    res, adam = js
    names = ("kernel", "recurrent_kernel", "bias", "W_o", "b_o")
    vars_ = [keras.Variable(np.array(adam["params"][n], dtype=float), dtype="float64") for n in names]
    opt = keras.optimizers.Adam(learning_rate=adam["lr"])
    norms = []
    for step in adam["grads"]:
        grads = [tf.constant(np.array(step[n], dtype=float)) for n in names]
        clipped, norm = tf.clip_by_global_norm(grads, adam["clip"])
        norms.append(float(norm))
        opt.apply_gradients(zip(clipped, vars_, strict=True))
    assert np.allclose(res["adam"]["norms"], norms, rtol=0, atol=1e-12)
    first = tf.clip_by_global_norm([tf.constant(np.array(adam["grads"][0][n], dtype=float)) for n in names],
                                   adam["clip"])[0]
    worst = 0.0
    for n, t, v in zip(names, first, vars_, strict=True):
        assert np.max(np.abs(np.array(res["adam"]["clipped"][n]) - t.numpy())) < 1e-14, n
        err = float(np.max(np.abs(np.array(res["adam"]["params"][n]) - v.numpy())))
        assert err < 1e-12, (n, err)
        worst = max(worst, err)
    print(f"\nAdam (4 clipped steps) vs keras.optimizers.Adam: largest difference {worst:.1e}")


def test_a_seed_repeats_the_run_exactly(js):
    res, _ = js
    a, b, other = res["runs"][:3]
    assert a["history"] == b["history"] and a["weights"] == b["weights"]
    assert a["history"]["loss"] != other["history"]["loss"]
    assert len(a["history"]["evalLoss"]) == 1 + 25 // 5  # step 0 and every 5 steps


def test_initialisations(js):
    res, _ = js
    chrono, keep, keras_init, fresh = res["runs"][0], res["runs"][3], res["runs"][4], res["runs"][5]
    assert all(0 <= b <= np.log(9) for b in chrono["bz0"])  # b_z = log U(1, t_max - 1), t_max = 10
    assert keep["bz0"] == [1.5] * 3 and keras_init["bz0"] == [0.0] * 5
    w = fresh["weights"]  # Keras's defaults: glorot_uniform, orthogonal, zeros
    rec, ker = np.array(w["recurrent_kernel"]), np.array(w["kernel"])  # (u, 3u), (d, 3u)
    assert np.allclose(rec @ rec.T, np.eye(4), atol=1e-12)
    assert np.abs(ker).max() <= np.sqrt(6 / (5 + 12)) and np.all(np.array(w["bias"]) == 0)


def test_weights_back_in_python_give_the_page_outputs(js):
    res, _ = js
    for run in res["runs"]:
        w = run["weights"]
        n = len(run["y"])
        x = np.array(run["x"]).reshape(n, run["T"], run["d"])  # (n, T, d)
        out = page_outputs(w, x)  # (n, k)
        assert np.max(np.abs(out.ravel() - np.array(run["out"]))) < 1e-10
        layer = page_keras_layer(w, return_sequences=False)
        keras_h = np.asarray(layer(x))  # (n, u)
        assert np.max(np.abs(keras_h.ravel() - np.array(run["hT"]))) < 1e-10
        gates = run["gates"]
        _, tr = gru_forward(x[:1], page_params(w), return_gates=True)
        assert np.max(np.abs(tr["z"][0] - np.array(gates["z"]))) < 1e-10
        assert np.max(np.abs(tr["h_tilde"][0] - np.array(gates["h_tilde"]))) < 1e-10


def test_tasks_labels_follow_from_inputs(js):
    res, _ = js
    t = res["tasks"]
    rec = np.array(t["recall"]["x"]).reshape(200, 10, 5)
    assert np.all(rec[:, 0, 4] == 1) and np.all(rec[:, 1:, 4] == 0)
    assert np.array_equal(rec[:, 0, :4].argmax(axis=1), np.array(t["recall"]["y"]))
    assert 30 < np.bincount(np.array(t["recall"]["y"], dtype=int)).min()  # all 4 symbols occur
    add = np.array(t["adding"]["x"]).reshape(200, 10, 2)
    assert np.all(add[:, :, 1].sum(axis=1) == 2) and np.all(add[:, :5, 1].sum(axis=1) == 1)
    assert np.allclose((add[:, :, 0] * add[:, :, 1]).sum(axis=1), t["adding"]["y"])
    s = np.array(t["sum"]["x"]).reshape(200, 10)
    assert np.array_equal((s.sum(axis=1) > 5).astype(float), np.array(t["sum"]["y"]))
    assert res["problems"][0].startswith("task must be one of") and "lag" in res["problems"][1]
    assert res["problems"][2] == ""


def test_python_side_checks_its_input():
    assert gru_trainer(lag=80, init="chrono", t_max=80).config["lag"] == 80
    for bad in ({"task": "parity"}, {"lag": 0}, {"lag": 20.5}, {"units": 40}, {"cell": "lstm"},
                {"lr": 0}, {"seed": -1}):
        with pytest.raises(ValueError):
            trainer_config(**bad)
    with pytest.raises(TypeError):
        trainer_config(clip="yes")
    with pytest.raises(ValueError, match="press Train"):
        page_params({"cell": "gru"})
    with pytest.raises(ValueError, match="minGRU|mingru"):
        page_params({"cell": "mingru"})
