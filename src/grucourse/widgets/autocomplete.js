// Front end of the course's live autocomplete (an anywidget ES module, shipped inside grucourse).
//
// The widget state holds a trained character-level GRU language model (weights in the source
// chapter's convention, h_t = (1 - z_t) h_{t-1} + z_t h~_t, Keras's reset_after form). As the reader
// types, the GRU runs here, in the browser, one character at a time: the next-character
// probabilities are shown as bars and the update and reset gates of the last characters as
// heat maps that change with every keystroke. No kernel is needed: it works on the static page.
// gruStepChar/runText are imported by tests/test_autocomplete_js.py under Node and compared
// with grucourse.core.gru.gru_forward and the Keras model to 1e-5.

// ---------------------------------------------------------------- the GRU, in plain JS

function sigmoid(a) {
  return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a));
}

/** Check the model {alphabet, gru: {W_z, U_z, b_z, ..., b_hh, convention, reset_after}, W_head, b_head}. */
export function checkModel(m) {
  if (!m || typeof m.alphabet !== "string" || m.alphabet.length < 2) return "the model has no alphabet";
  const p = m.gru;
  if (!p || !Array.isArray(p.W_z) || !Array.isArray(p.W_z[0])) return "the model's GRU weights are missing (W_z)";
  const V = m.alphabet.length;
  const u = p.W_z[0].length;
  const shapes = { W: [V, u], U: [u, u] };
  for (const g of ["z", "r", "h"]) {
    for (const k of ["W", "U"]) {
      const w = p[`${k}_${g}`];
      const [rows, cols] = shapes[k];
      if (!Array.isArray(w) || w.length !== rows || w.some((r) => !Array.isArray(r) || r.length !== cols)) {
        return `${k}_${g} must be a ${rows}x${cols} matrix`;
      }
    }
    if (!Array.isArray(p[`b_${g}`]) || p[`b_${g}`].length !== u) return `b_${g} must be a vector of length ${u}`;
  }
  if (!p.reset_after || !Array.isArray(p.b_hh) || p.b_hh.length !== u) return "the GRU must use reset_after with b_hh";
  if (p.convention !== "source") return "the GRU weights must be in the source convention";
  if (!Array.isArray(m.W_head) || m.W_head.length !== u || m.W_head.some((r) => r.length !== V)) {
    return `W_head must be a ${u}x${V} matrix`;
  }
  if (!Array.isArray(m.b_head) || m.b_head.length !== V) return `b_head must be a vector of length ${V}`;
  return "";
}

/**
 * One GRU step for character id c (x_t is one-hot, so x_t W is row c of W), source convention,
 * reset after the recurrent product (Keras's default):
 *   z = sigmoid(W_z[c] + h U_z + b_z),  r = sigmoid(W_r[c] + h U_r + b_r)
 *   h~ = tanh(W_h[c] + b_h + r * (h U_h + b_hh)),   h = (1 - z) h_prev + z h~
 */
export function gruStepChar(p, c, h_prev) {
  const u = p.b_z.length;
  const z = new Array(u);
  const r = new Array(u);
  const h = new Array(u);
  for (let j = 0; j < u; j++) {
    let az = p.W_z[c][j] + p.b_z[j];
    let ar = p.W_r[c][j] + p.b_r[j];
    let rec = p.b_hh[j];
    for (let k = 0; k < u; k++) {
      az += h_prev[k] * p.U_z[k][j];
      ar += h_prev[k] * p.U_r[k][j];
      rec += h_prev[k] * p.U_h[k][j];
    }
    z[j] = sigmoid(az);
    r[j] = sigmoid(ar);
    const h_tilde = Math.tanh(p.W_h[c][j] + p.b_h[j] + r[j] * rec);
    h[j] = (1 - z[j]) * h_prev[j] + z[j] * h_tilde;
  }
  return { z, r, h };
}

/** p(next character) = softmax(h W_head + b_head). */
export function nextProbs(m, h) {
  const V = m.b_head.length;
  const logits = m.b_head.slice();
  for (let k = 0; k < h.length; k++) for (let c = 0; c < V; c++) logits[c] += h[k] * m.W_head[k][c];
  const top = Math.max(...logits);
  const e = logits.map((a) => Math.exp(a - top));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Lower-case the text and keep the characters of the alphabet; returns {ids, kept, dropped}. */
export function cleanText(alphabet, text) {
  const ids = [];
  let kept = "";
  let dropped = "";
  for (const ch of String(text).toLowerCase()) {
    const i = alphabet.indexOf(ch);
    if (i >= 0) {
      ids.push(i);
      kept += ch;
    } else {
      dropped += ch;
    }
  }
  return { ids, kept, dropped };
}

/** Run the GRU over character ids from a zero state: {z, r, h, probs} per step. */
export function runText(m, ids) {
  const u = m.gru.b_z.length;
  let h = new Array(u).fill(0);
  const out = { z: [], r: [], h: [], probs: [] };
  for (const c of ids) {
    const s = gruStepChar(m.gru, c, h);
    h = s.h;
    out.z.push(s.z);
    out.r.push(s.r);
    out.h.push(h);
    out.probs.push(nextProbs(m, h));
  }
  return out;
}

// ---------------------------------------------------------------- the view

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const show = (ch) => (ch === " " ? "\u2423" : ch); // a visible space

function gateColour(v, rgb) {
  const a = Math.max(0, Math.min(1, v));
  const mix = (c) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(rgb[0])},${mix(rgb[1])},${mix(rgb[2])})`;
}

function recordFrame(root, ms) {
  root.dataset.frames = String(Number(root.dataset.frames || 0) + 1);
  root.dataset.lastFrameMs = ms.toFixed(3);
  const all = (globalThis.__autocompleteFrameMs = globalThis.__autocompleteFrameMs || []);
  if (all.length < 5000) all.push(ms);
}

function renderAutocomplete(model, root) {
  const m = model.get("lm");
  const problem = checkModel(m);
  if (problem) throw new Error(problem);
  const alphabet = m.alphabet;
  const u = m.gru.b_z.length;
  const topK = Math.max(1, Math.min(alphabet.length, model.get("top_k") || 5));
  const nLast = Math.max(1, model.get("n_last") || 16);
  const title = model.get("title");
  if (title) root.appendChild(el("div", "ac-title", title));

  const row = el("div", "ac-inputrow");
  const input = el("input", "ac-input");
  input.type = "text";
  input.setAttribute("aria-label", "Type text for the GRU to continue");
  input.autocomplete = "off";
  input.spellcheck = false;
  const reset = el("button", "ac-btn", "clear");
  reset.type = "button";
  row.append(input, reset);
  const dropped = el("div", "ac-note ac-dropped");
  const sugHead = el("div", "ac-head", "Next character (click one to type it):");
  const sug = el("div", "ac-suggest");
  const bars = [];
  for (let i = 0; i < topK; i++) {
    const b = el("button", "ac-sugrow");
    b.type = "button";
    const ch = el("span", "ac-char");
    const barBox = el("span", "ac-barbox");
    const bar = el("span", "ac-bar");
    barBox.appendChild(bar);
    const pct = el("span", "ac-pct");
    b.append(ch, barBox, pct);
    sug.appendChild(b);
    bars.push({ b, ch, bar, pct });
  }
  root.append(row, dropped, sugHead, sug);

  const grids = {};
  for (const [key, label, rgb] of [["z", "update gate z\u209c", [0, 114, 178]], ["r", "reset gate r\u209c", [230, 159, 0]]]) {
    const box = el("div", "ac-gatebox");
    box.appendChild(el("div", "ac-head", `${label} of the last ${nLast} characters (rows: the ${u} units; white 0, dark 1)`));
    const grid = el("div", "ac-grid");
    grid.style.gridTemplateColumns = `repeat(${nLast}, minmax(0, 1fr))`;
    const cells = [];
    for (let k = 0; k < u; k++) {
      for (let t = 0; t < nLast; t++) {
        const c = el("span", "ac-cell");
        grid.appendChild(c);
        cells.push(c);
      }
    }
    const labels = [];
    for (let t = 0; t < nLast; t++) {
      const l = el("span", "ac-collabel");
      grid.appendChild(l);
      labels.push(l);
    }
    box.appendChild(grid);
    root.appendChild(box);
    grids[key] = { cells, labels, rgb };
  }
  root.appendChild(el("div", "ac-note",
    "Source convention: h\u209c = (1 \u2212 z\u209c) h\u209c\u208b\u2081 + z\u209c h\u0303\u209c, so a light z\u209c keeps the " +
    "past and a dark one writes the new candidate. The GRU runs in your browser."));

  // cache: the states after each prefix, so a keystroke at the end costs one GRU step
  let ids = [];
  let cache = { z: [], r: [], h: [], probs: [] };

  function update(text) {
    const t0 = performance.now();
    const cleaned = cleanText(alphabet, text);
    let same = 0;
    while (same < ids.length && same < cleaned.ids.length && ids[same] === cleaned.ids[same]) same++;
    for (const key of ["z", "r", "h", "probs"]) cache[key].length = same;
    let h = same > 0 ? cache.h[same - 1] : new Array(u).fill(0);
    for (let t = same; t < cleaned.ids.length; t++) {
      const s = gruStepChar(m.gru, cleaned.ids[t], h);
      h = s.h;
      cache.z.push(s.z);
      cache.r.push(s.r);
      cache.h.push(h);
      cache.probs.push(nextProbs(m, h));
    }
    ids = cleaned.ids;
    const T = ids.length;
    const probs = T > 0 ? cache.probs[T - 1] : null;
    dropped.textContent = cleaned.dropped ? `Not in the model's alphabet, skipped: ${[...new Set(cleaned.dropped)].join(" ")}` : "";
    const order = probs ? probs.map((p, c) => [p, c]).sort((a, b) => b[0] - a[0]).slice(0, topK) : [];
    bars.forEach((bar, i) => {
      if (!order[i]) {
        bar.b.hidden = true;
        return;
      }
      const [p, c] = order[i];
      bar.b.hidden = false;
      bar.b.dataset.char = alphabet[c];
      bar.b.dataset.p = String(p);
      bar.ch.textContent = show(alphabet[c]);
      bar.bar.style.width = `${(100 * p).toFixed(1)}%`;
      bar.pct.textContent = `${(100 * p).toFixed(1)}%`;
    });
    sugHead.textContent = T > 0 ? "Next character (click one to type it):" : "Type something to see the next character.";
    for (const key of ["z", "r"]) {
      const g = grids[key];
      for (let col = 0; col < nLast; col++) {
        const t = T - nLast + col;
        g.labels[col].textContent = t >= 0 ? show(cleaned.kept[t]) : "";
        for (let k = 0; k < u; k++) {
          const cell = g.cells[k * nLast + col];
          const v = t >= 0 ? cache[key][t][k] : null;
          cell.style.backgroundColor = v === null ? "transparent" : gateColour(v, g.rgb);
          cell.title = v === null ? "" : `unit ${k}, '${cleaned.kept[t]}': ${key} = ${v.toFixed(3)}`;
        }
      }
    }
    root.dataset.text = cleaned.kept;
    recordFrame(root, performance.now() - t0);
  }

  input.addEventListener("input", () => update(input.value));
  reset.addEventListener("click", () => {
    input.value = "";
    update("");
  });
  bars.forEach((bar) => bar.b.addEventListener("click", () => {
    input.value += bar.b.dataset.char || "";
    update(input.value);
  }));
  input.value = model.get("text") || "";
  update(input.value);
  root.dataset.ready = "true";
  return () => {};
}

function render({ model, el: host }) {
  const root = el("div", "ac-root");
  host.appendChild(root);
  try {
    return renderAutocomplete(model, root);
  } catch (e) {
    root.appendChild(el("div", "ac-message", `The autocomplete widget failed to draw: ${e.message}`));
  }
  return () => {};
}

export default { render };
