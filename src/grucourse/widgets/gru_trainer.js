// The course's in-page GRU trainer (an anywidget module): the reader presses Train and watches a real
// GRU learn, with its gates on show, in JupyterLab and on the static book page (no kernel).
//
// Everything is plain JavaScript written for the course (no framework): the forward pass, backpropagation
// through time (BPTT) and Adam, on Float64Arrays, in the Keras layout and convention, so the same numbers
// mean the same weights in the page, in numpy (grucourse.core.gru, convention="keras", reset_after=True)
// and in keras.layers.GRU:
//   kernel (d, 3u), recurrent_kernel (u, 3u), bias (2, 3u) (row 0 input, row 1 recurrent), gate order z, r, h;
//   z_t  = sigmoid(x_t W_z + h_{t-1} U_z + b_z + b'_z)                      update gate (z ~ 1 keeps)
//   r_t  = sigmoid(x_t W_r + h_{t-1} U_r + b_r + b'_r)                      reset gate
//   h~_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))                 candidate (reset_after=True)
//   h_t  = z_t * h_{t-1} + (1 - z_t) * h~_t                                 (Cho et al. 2014, sec. 2.3)
// minGRU (Feng et al. 2024, sec. 3.2, here in the Keras convention): z_t = sigmoid(x_t W_z + b_z + b'_z),
//   h~_t = x_t W_h + b_h + b'_h, h_t = z_t h_{t-1} + (1 - z_t) h~_t (no reset gate, no recurrent kernel).
// SimpleRNN: h_t = tanh(x_t W_h + b_h + h_{t-1} U_h + b'_h) (the h columns of the same arrays).
// A dense head reads the last state: logits = h_T W_o + b_o (softmax cross-entropy), or y = h_T W_o + b_o (MSE).
// Training runs in slices between animation frames (about 12 ms of work per frame), so the page never freezes;
// every random number comes from a seeded generator, so a seed repeats a run exactly.

// ---------------------------------------------------------------------------------------------------------
// Seeded random numbers
// ---------------------------------------------------------------------------------------------------------

/** A seeded generator: mulberry32 for uniforms in [0, 1), Box-Muller for normals. */
export function makeRng(seed, stream = 0) {
  let a = (Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    int: (n) => Math.floor(uniform() * n),
    normal() {
      const u1 = 1 - uniform();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * uniform());
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Tasks, generated in the page
// ---------------------------------------------------------------------------------------------------------

export const TASKS = {
  recall: { name: "Delayed recall", d: 5, k: 4, kind: "class", chanceLoss: Math.log(4), chanceAcc: 0.25,
    note: "remember the marked first symbol (of 4) for `lag` steps; chance accuracy 0.25" },
  adding: { name: "Adding problem", d: 2, k: 1, kind: "reg", chanceLoss: 1 / 6, chanceAcc: 0.08,
    note: "add the two marked values; predicting 1.0 gives MSE 1/6; accuracy: |error| < 0.04" },
  sum: { name: "Sign of the running sum", d: 1, k: 2, kind: "class", chanceLoss: Math.log(2), chanceAcc: 0.5,
    note: "is the sum of T uniform values above T/2? every step counts a little; chance 0.5" },
};

/** A batch of B sequences of length T = lag + 1: x (B*T*d, index (b*T + t)*d + i) and targets y. */
export function makeBatch(task, lag, rng, B) {
  const spec = TASKS[task];
  if (!spec) throw new Error(`unknown task ${task}: use one of ${Object.keys(TASKS).join(", ")}`);
  const T = lag + 1, d = spec.d;
  const x = new Float64Array(B * T * d), y = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const o = b * T * d;
    if (task === "recall") {
      for (let t = 0; t < T; t++) x[o + t * d + rng.int(4)] = 1;
      x[o + 4] = 1;  // marker channel at step 0
      for (let s = 0; s < 4; s++) if (x[o + s] === 1) y[b] = s;
    } else if (task === "adding") {
      const half = Math.max(1, Math.floor(T / 2));
      const first = rng.int(half), second = half + rng.int(T - half);
      for (let t = 0; t < T; t++) x[o + t * d] = rng.uniform();
      x[o + first * d + 1] = 1;
      x[o + second * d + 1] = 1;
      y[b] = x[o + first * d] + x[o + second * d];
    } else {
      let s = 0;
      for (let t = 0; t < T; t++) { x[o + t] = rng.uniform(); s += x[o + t]; }
      y[b] = s > T / 2 ? 1 : 0;
    }
  }
  return { task, x, y, B, T, d, k: spec.k, kind: spec.kind };
}

// ---------------------------------------------------------------------------------------------------------
// Parameters and initialisation (Keras defaults: glorot_uniform kernel, orthogonal recurrent kernel, zero bias)
// ---------------------------------------------------------------------------------------------------------

export const CELLS = { gru: "GRU", mingru: "minGRU", simplernn: "SimpleRNN" };
const NAMES = ["kernel", "recurrent_kernel", "bias", "W_o", "b_o"];

function glorot(rng, rows, cols) {
  const lim = Math.sqrt(6 / (rows + cols)), w = new Float64Array(rows * cols);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * lim;
  return w;
}

/** Rows of n orthonormal vectors of length m (n <= m), by Gram-Schmidt on normal draws. */
function orthonormalRows(rng, n, m) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const v = Float64Array.from({ length: m }, () => rng.normal());
    for (const q of rows) {
      let dot = 0;
      for (let j = 0; j < m; j++) dot += v[j] * q[j];
      for (let j = 0; j < m; j++) v[j] -= dot * q[j];
    }
    let nrm = 0;
    for (let j = 0; j < m; j++) nrm += v[j] * v[j];
    nrm = Math.sqrt(nrm);
    for (let j = 0; j < m; j++) v[j] /= nrm;
    rows.push(v);
  }
  return rows;
}

/** Fresh weights for cfg = {task, units, cell, init: "keras"|"keep"|"chrono", b_z, t_max} from rng. */
export function initParams(cfg, rng) {
  const spec = TASKS[cfg.task], d = spec.d, u = cfg.units, k = spec.k, G = 3 * u;
  const p = { cell: cfg.cell, d, u, k, kernel: glorot(rng, d, G), recurrent_kernel: new Float64Array(u * G),
    bias: new Float64Array(2 * G), W_o: null, b_o: new Float64Array(k) };
  if (cfg.cell === "simplernn") {  // orthogonal (u, u) in the h columns
    orthonormalRows(rng, u, u).forEach((q, i) => { for (let j = 0; j < u; j++) p.recurrent_kernel[i * G + 2 * u + j] = q[j]; });
  } else if (cfg.cell === "gru") {  // orthogonal (u, 3u), as Keras
    orthonormalRows(rng, u, G).forEach((q, i) => p.recurrent_kernel.set(q, i * G));
  }
  p.W_o = glorot(rng, u, k);
  if (cfg.cell !== "simplernn") {
    if (cfg.init === "keep") for (let j = 0; j < u; j++) p.bias[j] = cfg.b_z;
    if (cfg.init === "chrono") for (let j = 0; j < u; j++) p.bias[j] = Math.log(1 + rng.uniform() * (cfg.t_max - 2));
  }
  return p;
}

/** Plain arrays (from JSON) to Float64Arrays; the shapes follow from d, u, k. */
export function fromPlain(o) {
  const p = { cell: o.cell, d: o.d, u: o.u, k: o.k };
  for (const n of NAMES) p[n] = Float64Array.from(o[n].flat(2));
  return p;
}

/** The weights as nested arrays in Keras shapes: kernel (d, 3u), recurrent_kernel (u, 3u), bias (2, 3u),
 * W_o (u, k), b_o (k). */
export function toPlain(p) {
  const rows = (a, n) => Array.from({ length: a.length / n }, (_, i) => Array.from(a.subarray(i * n, i * n + n)));
  const G = 3 * p.u;
  return { cell: p.cell, d: p.d, u: p.u, k: p.k, kernel: rows(p.kernel, G), recurrent_kernel: rows(p.recurrent_kernel, G),
    bias: rows(p.bias, G), W_o: rows(p.W_o, p.k), b_o: Array.from(p.b_o) };
}

// ---------------------------------------------------------------------------------------------------------
// Forward pass, loss, and backpropagation through time
// ---------------------------------------------------------------------------------------------------------

const sigmoid = (a) => 1 / (1 + Math.exp(-a));

/** Run the batch; keep every state and gate: H ((T+1)*B*u, t=0 is h_0 = 0), Z, R, HT (h~), HU (h U_h + b'_h). */
export function forward(p, batch) {
  const { x, B, T, d } = batch, { u, cell } = p, G = 3 * u;
  const K = p.kernel, Rk = p.recurrent_kernel, bias = p.bias;
  const H = new Float64Array((T + 1) * B * u), Z = new Float64Array(T * B * u), R = new Float64Array(T * B * u);
  const HT = new Float64Array(T * B * u), HU = new Float64Array(T * B * u);
  const gx = new Float64Array(G), gh = new Float64Array(G);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const xo = (b * T + t) * d, hp = (t * B + b) * u, ho = hp + B * u, go = (t * B + b) * u;
      for (let m = 0; m < G; m++) { gx[m] = bias[m]; gh[m] = bias[G + m]; }
      for (let i = 0; i < d; i++) {  // gx = x_t kernel + b  (G,)
        const xi = x[xo + i];
        if (xi === 0) continue;
        const row = i * G;
        for (let m = 0; m < G; m++) gx[m] += xi * K[row + m];
      }
      if (cell !== "mingru") {  // gh = h_{t-1} recurrent_kernel + b'  (G,)
        for (let i = 0; i < u; i++) {
          const hi = H[hp + i];
          if (hi === 0) continue;
          const row = i * G;
          for (let m = 0; m < G; m++) gh[m] += hi * Rk[row + m];
        }
      }
      for (let j = 0; j < u; j++) {
        const hprev = H[hp + j];
        let h;
        if (cell === "gru") {
          const z = sigmoid(gx[j] + gh[j]), r = sigmoid(gx[u + j] + gh[u + j]), hu = gh[2 * u + j];
          const ht = Math.tanh(gx[2 * u + j] + r * hu);
          Z[go + j] = z; R[go + j] = r; HT[go + j] = ht; HU[go + j] = hu;
          h = z * hprev + (1 - z) * ht;
        } else if (cell === "mingru") {
          const z = sigmoid(gx[j] + gh[j]), ht = gx[2 * u + j] + gh[2 * u + j];
          Z[go + j] = z; HT[go + j] = ht;
          h = z * hprev + (1 - z) * ht;
        } else {
          h = Math.tanh(gx[2 * u + j] + gh[2 * u + j]);
          HT[go + j] = h;
        }
        H[ho + j] = h;
      }
    }
  }
  return { H, Z, R, HT, HU };
}

/** The head on h_T: loss (mean over the batch), accuracy, and dL/d(head output) (B*k). */
export function head(p, batch, H) {
  const { B, T, y, k, kind } = batch, { u } = p, base = T * B * u;
  const out = new Float64Array(B * k), dout = new Float64Array(B * k);
  let loss = 0, correct = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < k; c++) {
      let s = p.b_o[c];
      for (let j = 0; j < u; j++) s += H[base + b * u + j] * p.W_o[j * k + c];
      out[b * k + c] = s;
    }
    if (kind === "class") {
      let mx = -Infinity, arg = 0;
      for (let c = 0; c < k; c++) if (out[b * k + c] > mx) { mx = out[b * k + c]; arg = c; }
      let se = 0;
      for (let c = 0; c < k; c++) se += Math.exp(out[b * k + c] - mx);
      loss += Math.log(se) + mx - out[b * k + y[b]];
      for (let c = 0; c < k; c++) dout[b * k + c] = (Math.exp(out[b * k + c] - mx) / se - (c === y[b] ? 1 : 0)) / B;
      correct += arg === y[b] ? 1 : 0;
    } else {
      const e = out[b * k] - y[b];
      loss += e * e;
      dout[b * k] = 2 * e / B;
      correct += Math.abs(e) < 0.04 ? 1 : 0;
    }
  }
  return { loss: loss / B, acc: correct / B, out, dout };
}

/** Loss, accuracy and the gradient of the loss with respect to every weight (same shapes as p), by BPTT. */
export function lossAndGrads(p, batch) {
  const { x, B, T, d, k } = batch, { u, cell } = p, G = 3 * u;
  const f = forward(p, batch), hd = head(p, batch, f.H);
  const g = { kernel: new Float64Array(p.kernel.length), recurrent_kernel: new Float64Array(p.recurrent_kernel.length),
    bias: new Float64Array(p.bias.length), W_o: new Float64Array(p.W_o.length), b_o: new Float64Array(k) };
  let dh = new Float64Array(B * u), dhPrev = new Float64Array(B * u);
  const base = T * B * u;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < k; c++) {
      const dc = hd.dout[b * k + c];
      g.b_o[c] += dc;
      for (let j = 0; j < u; j++) {
        g.W_o[j * k + c] += f.H[base + b * u + j] * dc;
        dh[b * u + j] += p.W_o[j * k + c] * dc;
      }
    }
  }
  const dgx = new Float64Array(G), dgh = new Float64Array(G);
  const Rk = p.recurrent_kernel;
  for (let t = T - 1; t >= 0; t--) {
    dhPrev.fill(0);
    for (let b = 0; b < B; b++) {
      const xo = (b * T + t) * d, hp = (t * B + b) * u, go = (t * B + b) * u;
      for (let j = 0; j < u; j++) {
        const dhj = dh[b * u + j], hprev = f.H[hp + j];
        if (cell === "gru") {
          const z = f.Z[go + j], r = f.R[go + j], ht = f.HT[go + j], hu = f.HU[go + j];
          const dah = dhj * (1 - z) * (1 - ht * ht);          // through h~ = tanh(a_h)
          dgx[j] = dhj * (hprev - ht) * z * (1 - z);          // a_z
          dgx[u + j] = dah * hu * r * (1 - r);                // a_r (r scales h U_h + b'_h)
          dgx[2 * u + j] = dah;
          dgh[j] = dgx[j]; dgh[u + j] = dgx[u + j]; dgh[2 * u + j] = dah * r;
          dhPrev[b * u + j] += dhj * z;                      // the direct path z * h_{t-1}
        } else if (cell === "mingru") {
          const z = f.Z[go + j], ht = f.HT[go + j];
          dgx[j] = dhj * (hprev - ht) * z * (1 - z);
          dgx[u + j] = 0;
          dgx[2 * u + j] = dhj * (1 - z);                     // h~ is linear
          dgh[j] = dgx[j]; dgh[u + j] = 0; dgh[2 * u + j] = dgx[2 * u + j];
          dhPrev[b * u + j] += dhj * z;
        } else {
          const h = f.HT[go + j], da = dhj * (1 - h * h);
          dgx[j] = 0; dgx[u + j] = 0; dgx[2 * u + j] = da;
          dgh[j] = 0; dgh[u + j] = 0; dgh[2 * u + j] = da;
        }
      }
      for (let m = 0; m < G; m++) { g.bias[m] += dgx[m]; g.bias[G + m] += dgh[m]; }
      for (let i = 0; i < d; i++) {  // dkernel += x_t^T dgx
        const xi = x[xo + i];
        if (xi === 0) continue;
        const row = i * G;
        for (let m = 0; m < G; m++) g.kernel[row + m] += xi * dgx[m];
      }
      if (cell !== "mingru") {  // drecurrent += h_{t-1}^T dgh; dh_{t-1} += dgh recurrent^T
        for (let i = 0; i < u; i++) {
          const hi = f.H[hp + i], row = i * G;
          let s = 0;
          for (let m = 0; m < G; m++) { g.recurrent_kernel[row + m] += hi * dgh[m]; s += Rk[row + m] * dgh[m]; }
          dhPrev[b * u + i] += s;
        }
      }
    }
    [dh, dhPrev] = [dhPrev, dh];
  }
  return { loss: hd.loss, acc: hd.acc, grads: g };
}

// ---------------------------------------------------------------------------------------------------------
// Clipping and Adam (keras.optimizers.Adam: beta_1 0.9, beta_2 0.999, epsilon 1e-7)
// ---------------------------------------------------------------------------------------------------------

/** Scale all gradients together so that their global L2 norm is at most maxNorm; return the norm before. */
export function clipGlobalNorm(grads, maxNorm) {
  let s = 0;
  for (const n of NAMES) for (const v of grads[n]) s += v * v;
  const norm = Math.sqrt(s);
  if (norm > maxNorm) for (const n of NAMES) { const a = grads[n]; for (let i = 0; i < a.length; i++) a[i] *= maxNorm / norm; }
  return norm;
}

export function adamState(p) {
  const m = {}, v = {};
  for (const n of NAMES) { m[n] = new Float64Array(p[n].length); v[n] = new Float64Array(p[n].length); }
  return { t: 0, m, v };
}

/** One Adam step as Keras 3 writes it: alpha = lr sqrt(1 - b2^t) / (1 - b1^t),
 * m += (g - m)(1 - b1), v += (g^2 - v)(1 - b2), w -= alpha m / (sqrt(v) + eps).
 * Keras holds lr, b1 and b2 as float32 where it computes alpha (Math.fround does the same), so the
 * steps agree to rounding, not just to 1e-6 (tests/test_gru_trainer_js.py). */
export function adamStep(p, grads, st, lr, b1 = 0.9, b2 = 0.999, eps = 1e-7) {
  st.t += 1;
  const f = Math.fround, alpha = f(lr) * Math.sqrt(1 - f(b2) ** st.t) / (1 - f(b1) ** st.t);
  for (const n of NAMES) {
    const w = p[n], g = grads[n], m = st.m[n], v = st.v[n];
    for (let i = 0; i < w.length; i++) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
      w[i] -= alpha * m[i] / (Math.sqrt(v[i]) + eps);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// A training run: everything a seed determines
// ---------------------------------------------------------------------------------------------------------

export const DEFAULTS = { task: "recall", lag: 20, units: 16, cell: "gru", init: "keras", b_z: 2, t_max: 40,
  lr: 0.01, clip: true, seed: 0, batch: 32, every: 10, n_eval: 100 };

export function checkConfig(cfg) {
  if (!TASKS[cfg.task]) return `task must be one of ${Object.keys(TASKS).join(", ")}`;
  if (!CELLS[cfg.cell]) return `cell must be one of ${Object.keys(CELLS).join(", ")}`;
  if (!["keras", "keep", "chrono"].includes(cfg.init)) return "init must be keras, keep or chrono";
  for (const [n, lo, hi] of [["lag", 1, 200], ["units", 1, 32], ["batch", 1, 256], ["every", 1, 1000], ["n_eval", 1, 1000]]) {
    if (!Number.isInteger(cfg[n]) || cfg[n] < lo || cfg[n] > hi) return `${n} must be a whole number from ${lo} to ${hi}`;
  }
  if (!(cfg.lr > 0 && cfg.lr <= 1)) return "lr must be in (0, 1]";
  if (!(cfg.t_max > 2)) return "t_max must be > 2";
  if (!Number.isFinite(cfg.b_z)) return "b_z must be a number";
  if (!Number.isInteger(cfg.seed)) return "seed must be a whole number";
  return "";
}

export function createRun(config) {
  const cfg = { ...DEFAULTS, ...config };
  const problem = checkConfig(cfg);
  if (problem) throw new Error(problem);
  const params = initParams(cfg, makeRng(cfg.seed, 1));
  const evalBatch = makeBatch(cfg.task, cfg.lag, makeRng(cfg.seed, 3), cfg.n_eval);
  const run = { cfg, params, adam: adamState(params), dataRng: makeRng(cfg.seed, 2), evalBatch, step: 0,
    history: { step: [], loss: [], evalStep: [], evalLoss: [], evalAcc: [] }, bz0: updateBias(params) };
  evaluate(run);
  return run;
}

/** The update-gate bias seen by the gate, b_z + b'_z (u,). */
export function updateBias(p) {
  const G = 3 * p.u;
  return Array.from({ length: p.u }, (_, j) => p.bias[j] + p.bias[G + j]);
}

export function trainStep(run) {
  const { cfg } = run, batch = makeBatch(cfg.task, cfg.lag, run.dataRng, cfg.batch);
  const { loss, grads } = lossAndGrads(run.params, batch);
  if (cfg.clip) clipGlobalNorm(grads, 1.0);
  adamStep(run.params, grads, run.adam, cfg.lr);
  run.step += 1;
  run.history.step.push(run.step);
  run.history.loss.push(loss);
  if (run.step % cfg.every === 0) evaluate(run);
  return loss;
}

export function evaluate(run) {
  const f = forward(run.params, run.evalBatch), hd = head(run.params, run.evalBatch, f.H);
  run.history.evalStep.push(run.step);
  run.history.evalLoss.push(hd.loss);
  run.history.evalAcc.push(hd.acc);
  return hd;
}

/** z, r, h~, h (each T rows of u) of one test sequence (the first of the evaluation set). */
export function testGates(run) {
  const e = run.evalBatch, one = { ...e, B: 1, x: e.x.subarray(0, e.T * e.d), y: e.y.subarray(0, 1) };
  const f = forward(run.params, one), u = run.params.u, rows = (a, off) =>
    Array.from({ length: e.T }, (_, t) => Array.from(a.subarray((t + off) * u, (t + off + 1) * u)));
  return { z: rows(f.Z, 0), r: rows(f.R, 0), h_tilde: rows(f.HT, 0), h: rows(f.H, 1), T: e.T, u,
    x: rows(one.x, 0).map((_, t) => Array.from(one.x.subarray(t * e.d, (t + 1) * e.d))) };
}

/** What goes back to Python: the weights in Keras shapes, the settings and the step. */
export function weightsPayload(run) {
  return { ...toPlain(run.params), config: { ...run.cfg }, step: run.step,
    eval_loss: run.history.evalLoss.at(-1), eval_acc: run.history.evalAcc.at(-1) };
}

// ---------------------------------------------------------------------------------------------------------
// Drawing (canvas; text and axes in the page's own colour, so light and dark themes both read)
// ---------------------------------------------------------------------------------------------------------

const BLUE = [0, 114, 178], ORANGE = [213, 94, 0], MID = [204, 204, 204];
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function mix(a, b, w) { return a.map((v, i) => Math.round(v + (b[i] - v) * w)); }

/** Colour of a gate value in [0, 1] (viridis, five stops). */
export function gateColour(v) {
  const s = Math.min(1, Math.max(0, v)) * 4, i = Math.min(3, Math.floor(s));
  return `rgb(${mix(VIRIDIS[i], VIRIDIS[i + 1], s - i).join(",")})`;
}

/** Colour of a state value in [-1, 1]: blue (-1), grey (0), orange (+1). */
export function stateColour(v) {
  const s = Math.min(1, Math.max(-1, v));
  return `rgb(${(s < 0 ? mix(MID, BLUE, -s) : mix(MID, ORANGE, s)).join(",")})`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function fit(canvas, w, h) {
  const dpr = (typeof window !== "undefined" && window.devicePixelRatio) || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = "11px system-ui, sans-serif";
  return ctx;
}

function axes(ctx, x0, y0, w, h, ink) {
  ctx.strokeStyle = ink;
  ctx.globalAlpha = 0.6;
  ctx.lineWidth = 1;
  ctx.strokeRect(x0 + 0.5, y0 + 0.5, w, h);
  ctx.globalAlpha = 1;
}

function line(ctx, xs, ys, sx, sy, colour, width, dash = []) {
  if (!xs.length) return;
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  xs.forEach((x, i) => (i ? ctx.lineTo(sx(x), sy(ys[i])) : ctx.moveTo(sx(x), sy(ys[i]))));
  ctx.stroke();
  ctx.setLineDash([]);
}

function smooth(ys, a = 0.05) {
  let s = ys[0];
  return ys.map((y) => (s += a * (y - s)));
}

function thin(xs, ys, n) {  // at most n points, for long runs
  if (xs.length <= n) return [xs, ys];
  const k = Math.ceil(xs.length / n), ox = [], oy = [];
  for (let i = 0; i < xs.length; i += k) { ox.push(xs[i]); oy.push(ys[i]); }
  return [ox, oy];
}

/** Loss (training batches, smoothed, and the fixed evaluation set) and evaluation accuracy against the step. */
function drawCurves(canvas, run, width, ink) {
  const H = 230, ctx = fit(canvas, width, H), spec = TASKS[run.cfg.task], hs = run.history;
  const x0 = 44, pw = width - x0 - 10, ph = 78, tops = [18, 134];
  const last = Math.max(50, run.step), sx = (s) => x0 + (s / last) * pw;
  const lossMax = spec.chanceLoss * 1.6;  // chance sits at 5/8 of the height; larger losses are clipped
  const panels = [[tops[0], lossMax, "loss"], [tops[1], 1, "accuracy"]];
  ctx.fillStyle = ink;
  for (const [top, ymax, name] of panels) {
    axes(ctx, x0, top, pw, ph, ink);
    ctx.fillStyle = ink;
    ctx.textAlign = "right";
    ctx.fillText(ymax.toFixed(ymax < 1 ? 2 : 1), x0 - 4, top + 9);
    ctx.fillText("0", x0 - 4, top + ph);
    ctx.textAlign = "left";
    ctx.fillText(name, 2, top - 5);
  }
  const sl = (y) => tops[0] + ph - (Math.min(y, lossMax) / lossMax) * ph, sa = (y) => tops[1] + ph - y * ph;
  line(ctx, [0, last], [spec.chanceLoss, spec.chanceLoss], sx, sl, ink, 1, [4, 3]);
  line(ctx, [0, last], [spec.chanceAcc, spec.chanceAcc], sx, sa, ink, 1, [4, 3]);
  if (hs.loss.length) {
    const [xs, ys] = thin(hs.step, smooth(hs.loss), pw);
    line(ctx, xs, ys, sx, sl, `rgb(${BLUE.join(",")})`, 1.5);
  }
  line(ctx, ...thin(hs.evalStep, hs.evalLoss, pw), sx, sl, `rgb(${ORANGE.join(",")})`, 2);
  line(ctx, ...thin(hs.evalStep, hs.evalAcc, pw), sx, sa, `rgb(${ORANGE.join(",")})`, 2);
  ctx.fillStyle = ink;
  ctx.textAlign = "center";
  ctx.fillText(`training step (0 to ${last})`, x0 + pw / 2, H - 4);
  ctx.textAlign = "left";
}

/** Heat maps of the input x and of z, r, h~ and h (units down, time across) for the test sequence. */
function drawGates(canvas, gates, cell, width, ink) {
  const { T, u } = gates, d = gates.x[0].length, x0 = 30, pw = width - x0 - 8, cw = pw / T;
  const ch = Math.max(3, Math.min(8, Math.floor(64 / u))), ph = ch * u, xh = 6 * d, gap = 14;
  const H = 8 + xh + gap + 4 * (ph + gap) + 10, ctx = fit(canvas, width, H);
  const rows = [["x", gates.x, gateColour, true, xh / d], ["z", gates.z, gateColour, cell !== "simplernn", ch],
    ["r", gates.r, gateColour, cell === "gru", ch], ["h\u0303", gates.h_tilde, stateColour, cell !== "simplernn", ch],
    ["h", gates.h, stateColour, true, ch]];
  let top = 8;
  for (const [name, m, colour, shown, rh] of rows) {
    const n = m[0].length;
    ctx.fillStyle = ink;
    ctx.textAlign = "left";
    ctx.font = "bold 13px system-ui, sans-serif";
    ctx.fillText(name, 4, top + Math.min(n * rh, 14));
    ctx.font = "11px system-ui, sans-serif";
    if (!shown) {
      ctx.fillText(cell === "mingru" ? "minGRU has no reset gate" : "SimpleRNN has no gates", x0 + 4, top + 12);
    } else {
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < n; j++) {
          ctx.fillStyle = colour(m[t][j]);
          ctx.fillRect(x0 + t * cw, top + j * rh, Math.ceil(cw), rh);
        }
      }
      axes(ctx, x0 - 0.5, top - 0.5, pw, n * rh, ink);
    }
    top += n * rh + gap;
  }
  ctx.fillStyle = ink;
  ctx.textAlign = "center";
  ctx.fillText(`time step t = 0 \u2026 ${T - 1} (input channels / units top to bottom)`, x0 + pw / 2, H - 4);
  ctx.textAlign = "left";
}

/** Histogram of the update-gate biases b_z now (filled) and at step 0 (outline). */
function drawHistogram(canvas, bz0, bz, cell, width, ink) {
  const H = 150, ctx = fit(canvas, width, H), x0 = 34, pw = width - x0 - 10, ph = 96, top = 10;
  if (cell === "simplernn") {
    ctx.fillStyle = ink;
    ctx.fillText("SimpleRNN has no update gate", x0, top + 20);
    return;
  }
  const lo = -4, hi = 8, nb = 24, bw = (hi - lo) / nb;
  const count = (v) => { const c = new Array(nb).fill(0); v.forEach((b) => { c[Math.min(nb - 1, Math.max(0, Math.floor((b - lo) / bw)))] += 1; }); return c; };
  const c0 = count(bz0), c1 = count(bz), cmax = Math.max(1, ...c0, ...c1);
  const sx = (b) => x0 + ((b - lo) / (hi - lo)) * pw, sy = (c) => top + ph - (c / cmax) * ph;
  ctx.fillStyle = `rgba(${BLUE.join(",")}, 0.75)`;
  c1.forEach((c, i) => c && ctx.fillRect(sx(lo + i * bw) + 1, sy(c), pw / nb - 2, top + ph - sy(c)));
  ctx.strokeStyle = `rgb(${ORANGE.join(",")})`;
  ctx.lineWidth = 2;
  c0.forEach((c, i) => c && ctx.strokeRect(sx(lo + i * bw) + 1, sy(c), pw / nb - 2, top + ph - sy(c)));
  axes(ctx, x0, top, pw, ph, ink);
  ctx.fillStyle = ink;
  ctx.textAlign = "center";
  for (let b = lo; b <= hi; b += 2) ctx.fillText(String(b), sx(b), top + ph + 12);
  ctx.fillText("update-gate bias b_z (Keras convention: large b_z keeps)", x0 + pw / 2, H - 10);
  ctx.textAlign = "right";
  ctx.fillText(String(cmax), x0 - 4, top + 9);
  ctx.fillText("0", x0 - 4, top + ph);
  ctx.textAlign = "left";
  ctx.fillText("units", 2, top + ph / 2);
}

// ---------------------------------------------------------------------------------------------------------
// The widget
// ---------------------------------------------------------------------------------------------------------

function control(label, input, cls = "") {
  const wrap = el("label", `gt-field ${cls}`);
  wrap.appendChild(el("span", "gt-label", label));
  wrap.appendChild(input);
  return wrap;
}

function select(options, value) {
  const s = el("select", "gt-input");
  for (const [v, text] of options) {
    const o = el("option", "", text);
    o.value = String(v);
    s.appendChild(o);
  }
  s.value = String(value);
  return s;
}

function number(value, min, max, step) {
  const i = el("input", "gt-input gt-number");
  Object.assign(i, { type: "number", min, max, step, value });
  return i;
}

function range(value, min, max) {
  const i = el("input", "gt-range");
  Object.assign(i, { type: "range", min, max, step: 1, value });
  return i;
}

function render({ model, el: host }) {
  const root = el("div", "gt-root");
  host.appendChild(root);
  const title = model.get("title");
  if (title) root.appendChild(el("div", "gt-title", title));
  const start = { ...DEFAULTS, max_steps: 5000, ...(model.get("config") || {}) };
  const problem = checkConfig(start);
  if (problem) {
    root.appendChild(el("div", "gt-message", `GRU trainer: ${problem}.`));
    return () => {};
  }
  const ui = {
    task: select(Object.entries(TASKS).map(([k, t]) => [k, t.name]), start.task),
    lag: range(start.lag, 1, 100), cell: select(Object.entries(CELLS), start.cell), units: range(start.units, 1, 16),
    init: select([["keras", "Keras default"], ["keep", "keep bias b_z"], ["chrono", "chrono (T_max)"]], start.init),
    b_z: number(start.b_z, -5, 8, 0.5), t_max: number(start.t_max, 3, 1000, 1),
    lr: select([[0.001, "0.001"], [0.003, "0.003"], [0.01, "0.01"], [0.03, "0.03"], [0.1, "0.1"]], start.lr),
    clip: Object.assign(el("input", "gt-check"), { type: "checkbox", checked: start.clip }),
    seed: number(start.seed, 0, 999999, 1), every: select([[1, "1"], [5, "5"], [10, "10"], [25, "25"], [50, "50"]], start.every),
  };
  if (![...ui.lr.options].some((o) => o.selected && Number(o.value) === start.lr)) {
    const o = el("option", "", String(start.lr)); o.value = String(start.lr); ui.lr.appendChild(o); ui.lr.value = o.value;
  }
  const lagOut = el("output", "gt-out", String(start.lag)), unitsOut = el("output", "gt-out", String(start.units));
  const settings = el("div", "gt-controls");
  const lagBox = control("lag", ui.lag); lagBox.appendChild(lagOut);
  const unitsBox = control("units", ui.units); unitsBox.appendChild(unitsOut);
  settings.append(control("task", ui.task), lagBox, control("cell", ui.cell), unitsBox, control("initialisation", ui.init),
    control("b_z", ui.b_z), control("T_max", ui.t_max), control("learning rate", ui.lr), control("clip gradients (norm 1)", ui.clip, "gt-inline"),
    control("seed", ui.seed), control("redraw gates every N steps", ui.every));
  const buttons = el("div", "gt-controls");
  const btnTrain = el("button", "gt-btn gt-train", "\u25b6 Train"), btnStep = el("button", "gt-btn gt-step", "Step");
  const btnReset = el("button", "gt-btn gt-reset", "Reset");
  [btnTrain, btnStep, btnReset].forEach((b) => { b.type = "button"; buttons.appendChild(b); });
  const readout = el("span", "gt-readout");
  buttons.appendChild(readout);
  const note = el("div", "gt-note"), status = el("div", "gt-status");
  status.setAttribute("role", "status");
  const canvases = {};
  const section = (name, label) => {
    const box = el("figure", "gt-figure");
    const cap = el("figcaption", "gt-caption", label);
    const c = el("canvas", `gt-canvas gt-${name}`);
    c.setAttribute("role", "img");
    c.setAttribute("aria-label", label);
    box.append(cap, c);
    canvases[name] = c;
    return box;
  };
  const figs = el("div", "gt-figs");
  figs.append(section("curves", "Loss (blue: training batches, smoothed; orange: test set) and test accuracy; dashed: chance"),
    section("gates", "One test sequence: input x and gates z, r from 0 (dark purple) to 1 (yellow); h\u0303, h from \u22121 (blue) to +1 (orange)"),
    section("hist", "Update-gate biases b_z: now (blue bars) and at step 0 (orange outline)"));
  root.append(settings, buttons, note, status, figs);

  let run = null, playing = false, frame = null, gateDraws = 0, lastSent = 0, rate = 0;
  const ink = () => getComputedStyle(root).color || "currentColor";
  const width = () => Math.max(240, Math.min(680, Math.floor(root.clientWidth || 600)));
  const cfgFromUi = () => ({ ...start, task: ui.task.value, lag: Number(ui.lag.value), cell: ui.cell.value,
    units: Number(ui.units.value), init: ui.init.value, b_z: Number(ui.b_z.value), t_max: Number(ui.t_max.value),
    lr: Number(ui.lr.value), clip: ui.clip.checked, seed: Math.trunc(Number(ui.seed.value) || 0), every: Number(ui.every.value) });

  function send() {
    lastSent = performance.now();
    model.set("weights", weightsPayload(run));
    model.save_changes();
  }
  function drawGatesNow() {
    drawGates(canvases.gates, testGates(run), run.cfg.cell, width(), ink());
    drawHistogram(canvases.hist, run.bz0, updateBias(run.params), run.cfg.cell, width(), ink());
    gateDraws += 1;
    root.dataset.gateDraws = String(gateDraws);
  }
  function show() {
    const hs = run.history, loss = hs.evalLoss.at(-1), acc = hs.evalAcc.at(-1);
    readout.textContent = `step ${run.step} \u00b7 test loss ${loss.toFixed(3)} \u00b7 accuracy ${acc.toFixed(2)}`
      + (playing && rate ? ` \u00b7 ${Math.round(rate)} steps/s` : "");
    Object.assign(root.dataset, { step: String(run.step), loss: String(loss), acc: String(acc), playing: String(playing) });
    drawCurves(canvases.curves, run, width(), ink());
  }
  function say() {
    const hs = run.history;
    status.textContent = `${playing ? "Training" : "Paused"} at step ${run.step}: test loss ${hs.evalLoss.at(-1).toFixed(3)}, `
      + `test accuracy ${hs.evalAcc.at(-1).toFixed(2)}.`;
  }
  function reset() {
    pause();
    const cfg = cfgFromUi(), bad = checkConfig(cfg);
    lagOut.textContent = ui.lag.value;
    unitsOut.textContent = ui.units.value;
    ui.b_z.disabled = cfg.init !== "keep";
    ui.t_max.disabled = cfg.init !== "chrono";
    if (bad) { status.textContent = `Cannot start: ${bad}.`; return; }
    run = createRun(cfg);
    root.trainerRun = run;  // for tests and the curious: the whole run, history included
    note.textContent = `${TASKS[cfg.task].name}, T = ${cfg.lag + 1} steps: ${TASKS[cfg.task].note.replace("`lag`", String(cfg.lag))}. `
      + `${CELLS[cfg.cell]}, ${cfg.units} units, batches of ${cfg.batch}, Adam.`;
    show(); drawGatesNow(); say(); send();
  }
  function tick() {
    frame = null;
    if (!playing) return;
    const t0 = performance.now();
    let n = 0, redraw = false;
    while (performance.now() - t0 < 12 && run.step < run.cfg.max_steps) {
      trainStep(run);
      n += 1;
      if (run.step % run.cfg.every === 0) redraw = true;
    }
    const now = performance.now();
    (globalThis.__gruTrainerFrameMs = globalThis.__gruTrainerFrameMs || []).push(now - t0);  // work per frame
    if (tick.last) rate = 0.8 * (rate || n / ((now - tick.last) / 1000)) + 0.2 * (n / ((now - tick.last) / 1000));
    tick.last = now;
    if (redraw) drawGatesNow();
    show();
    if (run.step >= run.cfg.max_steps) { pause(); return; }
    if (now - lastSent > 2000) send();
    frame = requestAnimationFrame(tick);
  }
  function play() {
    if (playing) return;
    playing = true;
    tick.last = 0;
    btnTrain.textContent = "\u275a\u275a Pause";
    btnTrain.setAttribute("aria-pressed", "true");
    say();
    frame = requestAnimationFrame(tick);
  }
  function pause() {
    if (frame !== null) cancelAnimationFrame(frame);
    frame = null;
    if (!playing) return;
    playing = false;
    btnTrain.textContent = "\u25b6 Train";
    btnTrain.setAttribute("aria-pressed", "false");
    show(); drawGatesNow(); say(); send();
  }
  btnTrain.setAttribute("aria-pressed", "false");
  btnTrain.addEventListener("click", () => (playing ? pause() : play()));
  btnStep.addEventListener("click", () => { pause(); trainStep(run); if (run.step % run.cfg.every) evaluate(run); show(); drawGatesNow(); say(); send(); });
  btnReset.addEventListener("click", reset);
  for (const inp of Object.values(ui)) inp.addEventListener(inp.type === "range" ? "input" : "change", reset);
  model.on("change:config", () => {  // new settings from Python: show them and start again
    const c = { ...start, ...(model.get("config") || {}) };
    if (checkConfig(c)) return;
    for (const [k, inp] of Object.entries(ui)) {
      if (inp.type === "checkbox") { inp.checked = Boolean(c[k]); continue; }
      inp.value = String(c[k]);
      if (inp.tagName === "SELECT" && inp.value !== String(c[k])) {  // a value the menu does not list
        const o = el("option", "", String(c[k])); o.value = String(c[k]); inp.appendChild(o); inp.value = o.value;
      }
    }
    Object.assign(start, c);
    reset();
  });
  reset();
  root.dataset.ready = "true";
  let lastWidth = width();
  const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => {
    if (width() !== lastWidth && run) { lastWidth = width(); show(); drawGatesNow(); }
  }) : null;
  if (ro) ro.observe(root);
  return () => { pause(); if (ro) ro.disconnect(); };
}

export default { render };
