// Front end of the course's gate widgets (an anywidget ES module, shipped inside grucourse).
//
// Two views, chosen by the model's `kind`:
//   "animator"   draws precomputed gate values (x_t, z_t, r_t, h~_t, h_t per unit over time) as
//                heat maps and animates them step by step (play/pause, step, speed, time slider).
//   "playground" runs a tiny GRU *in the browser* (gruForward below) while sliders change its
//                gate parameters, so it stays interactive on the static book page (no kernel).
// gruStep/gruForward are also imported by tests/test_widgets_js.py under Node and compared
// with grucourse.core.gru.gru_forward to 1e-6.

export const GATE_COLORS = { x: "#000000", z: "#0072B2", r: "#E69F00", h_tilde: "#CC79A7", h: "#009E73" };
const QUANTITIES = [
  { key: "x", label: "x\u209c input", range: "signed" },
  { key: "z", label: "z\u209c update", range: "unit" },
  { key: "r", label: "r\u209c reset", range: "unit" },
  { key: "h_tilde", label: "h\u0303\u209c candidate", range: "signed" },
  { key: "h", label: "h\u209c state", range: "signed" },
];

// ---------------------------------------------------------------- the GRU, in plain JS

function sigmoid(a) {
  return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a));
}

function checkMatrix(m, rows, cols, name) {
  if (!Array.isArray(m) || m.length !== rows || m.some((row) => !Array.isArray(row) || row.length !== cols)) {
    throw new Error(`${name} must be a ${rows}x${cols} matrix`);
  }
}

function checkVector(v, n, name) {
  if (!Array.isArray(v) || v.length !== n) throw new Error(`${name} must be a vector of length ${n}`);
}

/** Check GRU parameters {W_z, U_z, b_z, W_r, U_r, b_r, W_h, U_h, b_h, b_hh, convention, reset_after}. */
export function checkParams(p) {
  if (!p || !Array.isArray(p.W_z) || !Array.isArray(p.W_z[0])) throw new Error("parameters are missing W_z");
  const d = p.W_z.length;
  const u = p.W_z[0].length;
  for (const g of ["z", "r", "h"]) {
    checkMatrix(p[`W_${g}`], d, u, `W_${g}`);
    checkMatrix(p[`U_${g}`], u, u, `U_${g}`);
    checkVector(p[`b_${g}`], u, `b_${g}`);
  }
  if (p.reset_after) checkVector(p.b_hh, u, "b_hh");
  if (p.convention !== "source" && p.convention !== "keras") throw new Error("convention must be source or keras");
  return { d, u };
}

/**
 * One GRU step, the same equations as grucourse.core.gru (row vectors, W (d,u), U (u,u)):
 *   z = sigmoid(x W_z + h U_z + b_z),  r = sigmoid(x W_r + h U_r + b_r)
 *   h~ = tanh(x W_h + (r*h) U_h + b_h)                 (reset_after false)
 *   h~ = tanh(x W_h + b_h + r*(h U_h + b_hh))          (reset_after true, Keras default)
 *   h = (1-z) h_prev + z h~  (source)   or   z h_prev + (1-z) h~  (keras)
 */
export function gruStep(p, x_t, h_prev) {
  const d = p.W_z.length;
  const u = p.b_z.length;
  const z = new Array(u);
  const r = new Array(u);
  const h_tilde = new Array(u);
  const h = new Array(u);
  for (let j = 0; j < u; j++) {
    let az = p.b_z[j];
    let ar = p.b_r[j];
    for (let i = 0; i < d; i++) {
      az += x_t[i] * p.W_z[i][j];
      ar += x_t[i] * p.W_r[i][j];
    }
    for (let k = 0; k < u; k++) {
      az += h_prev[k] * p.U_z[k][j];
      ar += h_prev[k] * p.U_r[k][j];
    }
    z[j] = sigmoid(az);
    r[j] = sigmoid(ar);
  }
  for (let j = 0; j < u; j++) {
    let a = p.b_h[j];
    for (let i = 0; i < d; i++) a += x_t[i] * p.W_h[i][j];
    if (p.reset_after) {
      let rec = p.b_hh[j];
      for (let k = 0; k < u; k++) rec += h_prev[k] * p.U_h[k][j];
      a += r[j] * rec;
    } else {
      for (let k = 0; k < u; k++) a += r[k] * h_prev[k] * p.U_h[k][j];
    }
    h_tilde[j] = Math.tanh(a);
    h[j] = p.convention === "keras"
      ? z[j] * h_prev[j] + (1 - z[j]) * h_tilde[j]
      : (1 - z[j]) * h_prev[j] + z[j] * h_tilde[j];
  }
  return { z, r, h_tilde, h };
}

/** Run gruStep over xs (T rows of d numbers); returns {z, r, h_tilde, h}, each T rows of u numbers. */
export function gruForward(p, xs, h0) {
  const { d, u } = checkParams(p);
  if (!Array.isArray(xs) || xs.length === 0) throw new Error("the input sequence is empty");
  xs.forEach((row, t) => checkVector(row, d, `x[${t}]`));
  let h = h0 ? h0.slice() : new Array(u).fill(0);
  const out = { z: [], r: [], h_tilde: [], h: [] };
  for (const x_t of xs) {
    const s = gruStep(p, x_t, h);
    for (const key of ["z", "r", "h_tilde", "h"]) out[key].push(s[key]);
    h = s.h;
  }
  return out;
}

// ---------------------------------------------------------------- small helpers

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toExponential(3) : v.toFixed(4);
}

function showMessage(root, text) {
  const m = el("div", "gw-message", text);
  root.appendChild(m);
  return m;
}

function recordFrame(root, ms) {
  root.dataset.frames = String(Number(root.dataset.frames || 0) + 1);
  root.dataset.lastFrameMs = ms.toFixed(3);
  root.dataset.maxFrameMs = Math.max(Number(root.dataset.maxFrameMs || 0), ms).toFixed(3);
  const all = (globalThis.__gateWidgetFrameMs = globalThis.__gateWidgetFrameMs || []);
  if (all.length < 5000) all.push(ms);
}

// Colour scales: viridis stops for gates in [0, 1]; blue-white-vermillion (Okabe-Ito ends) for signed values.
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const DIVERGING = [[0, 114, 178], [255, 255, 255], [213, 94, 0]];

function ramp(stops, s) {
  const x = Math.min(1, Math.max(0, s)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + f * (stops[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function colourFor(range, v, scale) {
  return range === "unit" ? ramp(VIRIDIS, v) : ramp(DIVERGING, 0.5 + 0.5 * (v / scale));
}

function gradientCss(stops) {
  return `linear-gradient(to right, ${stops.map((c) => `rgb(${c.join(",")})`).join(", ")})`;
}

function legend(label, stops, lo, hi) {
  const box = el("div", "gw-legend");
  box.appendChild(el("span", "gw-legend-label", label));
  box.appendChild(el("span", "gw-legend-tick", lo));
  const bar = el("span", "gw-legend-bar");
  bar.style.background = gradientCss(stops);
  box.appendChild(bar);
  box.appendChild(el("span", "gw-legend-tick", hi));
  return box;
}

function isMatrix(m, rows, cols) {
  return Array.isArray(m) && m.length === rows &&
    m.every((row) => Array.isArray(row) && row.length === cols && row.every((v) => Number.isFinite(v)));
}

/** Return an error message for a malformed animator payload, or "" if it can be drawn. */
export function traceProblem(data) {
  if (!data || typeof data !== "object" || !Number.isInteger(data.T)) return "no gate values were handed to the widget";
  const T = data.T;
  if (T < 1) return "the sequence is empty (T = 0)";
  if (!Array.isArray(data.units) || data.units.length === 0) return "no units were selected";
  const u = data.units.length;
  if (!isMatrix(data.x, T, (data.x[0] || []).length)) return "x is not a T x d table of finite numbers";
  for (const q of ["z", "r", "h_tilde", "h"]) {
    if (q === "r" && data.r === undefined) continue; // minGRU has no reset gate
    if (!isMatrix(data[q], T, u)) return `${q} is not a ${T} x ${u} table of finite numbers`;
  }
  return "";
}

// ---------------------------------------------------------------- the gate animator

/** The width the widget may use: its box once laid out, else the output area's, else a desktop column. */
function availableWidth(root) {
  for (let e = root; e; e = e.parentElement) {
    const w = e.getBoundingClientRect().width;
    if (w > 0) return Math.floor(w);
  }
  return 680;
}

/** Call redraw(width) whenever the widget's box changes width by more than a few pixels. */
function onWidthChange(root, redraw) {
  if (typeof ResizeObserver === "undefined") return () => {};
  let last = availableWidth(root);
  let pending = null;
  const observer = new ResizeObserver(() => {
    const w = availableWidth(root);
    if (Math.abs(w - last) < 4) return;
    last = w;
    if (pending !== null) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => { pending = null; redraw(w); });
  });
  observer.observe(root);
  return () => observer.disconnect();
}

/** Size a canvas to cssW x cssH CSS pixels at the screen's pixel density (at most 2x); returns dpr. */
function sizeCanvas(canvas, cssW, cssH) {
  const dpr = Math.max(1, Math.min(2, globalThis.devicePixelRatio || 1));
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  return dpr;
}

/** Mouse position in the canvas's own CSS pixels, also when CSS shrank the canvas (max-width). */
function canvasPoint(canvas, ev, cssW, cssH) {
  const rect = canvas.getBoundingClientRect();
  return [(ev.clientX - rect.left) * (cssW / rect.width), (ev.clientY - rect.top) * (cssH / rect.height)];
}

function renderAnimator(model, root) {
  const tStart = performance.now();
  const data = model.get("data");
  const problem = traceProblem(data);
  const title = model.get("title");
  if (title) root.appendChild(el("div", "gw-title", title));
  if (problem) {
    showMessage(root, `Gate animator: nothing to draw, ${problem}.`);
    return () => {};
  }
  const T = data.T;
  const units = data.units;
  const d = data.x[0].length;
  const shown = ["z", "r", "h_tilde", "h"].filter((key) => data[key] !== undefined); // no r for minGRU
  const blocks = QUANTITIES.filter((q) => data[q.key] !== undefined)
    .map((q) => ({ ...q, rows: q.key === "x" ? d : units.length }));
  const xScale = Math.max(1e-9, ...data.x.map((row) => Math.max(...row.map(Math.abs))));
  const stateScale = 1; // tanh keeps h~ and h in (-1, 1)
  const maxRows = Math.max(...blocks.map((b) => b.rows));

  // Controls.
  const bar = el("div", "gw-controls");
  const btnFirst = el("button", "gw-btn gw-first", "|\u25c0");
  btnFirst.title = "first step";
  btnFirst.setAttribute("aria-label", "first step");
  const btnBack = el("button", "gw-btn gw-back", "\u25c0");
  btnBack.title = "step back";
  btnBack.setAttribute("aria-label", "step back");
  const btnPlay = el("button", "gw-btn gw-play", "\u25b6 play");
  btnPlay.title = "play / pause";
  const btnFwd = el("button", "gw-btn gw-forward", "\u25b6|");
  btnFwd.title = "step forward";
  btnFwd.setAttribute("aria-label", "step forward");
  const slider = el("input", "gw-slider");
  Object.assign(slider, { type: "range", min: 0, max: T - 1, step: 1, value: 0 });
  slider.setAttribute("aria-label", "time step");
  const speed = el("select", "gw-speed");
  speed.setAttribute("aria-label", "speed");
  for (const s of [2, 5, 10, 20, 40]) {
    const o = el("option", "", `${s} steps/s`);
    o.value = String(s);
    if (s === (data.speed || 10)) o.selected = true;
    speed.appendChild(o);
  }
  const stepLabel = el("span", "gw-step", "");
  for (const c of [btnFirst, btnBack, btnPlay, btnFwd, slider, stepLabel, speed]) bar.appendChild(c);
  root.appendChild(bar);

  const canvas = el("canvas", "gw-canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "heat maps of the input, update gate, reset gate, candidate and state over time");
  root.appendChild(canvas);
  const hover = el("div", "gw-hover", "Hover over the heat maps to read exact values.");
  root.appendChild(hover);
  const legends = el("div", "gw-legends");
  legends.appendChild(legend(data.r === undefined ? "gate z\u209c" : "gates z\u209c, r\u209c", VIRIDIS, "0", "1"));
  legends.appendChild(legend("h\u0303\u209c, h\u209c", DIVERGING, "\u22121", "+1"));
  legends.appendChild(legend("x\u209c", DIVERGING, `\u2212${+xScale.toPrecision(3)}`, `+${+xScale.toPrecision(3)}`));
  root.appendChild(legends);
  if (data.note) root.appendChild(el("div", "gw-note", data.note));

  // Readout at the current step: one row per unit, then the inputs x_t one value each.
  const table = el("table", "gw-readout");
  root.appendChild(table);
  const head = el("tr");
  const headings = { z: "z\u209c update", r: "r\u209c reset", h_tilde: "h\u0303\u209c candidate", h: "h\u209c state" };
  for (const h of ["unit", ...shown.map((key) => headings[key])]) {
    head.appendChild(el("th", "", h));
  }
  table.appendChild(head);
  const cells = units.map((unit) => {
    const tr = el("tr");
    tr.appendChild(el("td", "", String(unit)));
    const tds = shown.map((key) => {
      const td = el("td", `gw-val gw-${key}`);
      tr.appendChild(td);
      return td;
    });
    table.appendChild(tr);
    return tds;
  });
  const xBox = el("div", "gw-xvals");
  xBox.appendChild(el("span", "gw-xvals-label", "x\u209c"));
  const xCells = Array.from({ length: d }, (_, i) => {
    const item = el("span", "gw-xval");
    item.appendChild(el("span", "gw-xval-name", d > 1 ? `in ${i}` : "in"));
    const v = el("span", "gw-xval-value");
    item.appendChild(v);
    xBox.appendChild(item);
    return v;
  });
  root.appendChild(xBox);

  // Layout (CSS pixels), recomputed when the widget's width changes (phone, side panel, zoom).
  let lay = null;
  let base = null;
  let dpr = 1;
  const ctx = canvas.getContext("2d");

  function layout(avail) {
    const narrow = avail < 480;
    const labelW = narrow ? 58 : 150; // wide: room for "h̃ₜ candidate" and "unit 7" side by side
    const plotW = Math.max(120, Math.min(avail - labelW - 10, Math.max(240, T * 24))); // 2 px: the border
    const rowH = Math.max(4, Math.min(14, Math.floor(88 / maxRows))); // 8 units: 11 px rows, labelled
    const gap = 8;
    const axisH = 26;
    let y = 4;
    for (const b of blocks) {
      b.y = y;
      b.h = b.rows * rowH;
      y += b.h + gap;
    }
    lay = { narrow, labelW, plotW, cellW: plotW / T, rowH, axisY: y, cssW: labelW + plotW + 8, cssH: y + axisH };
    dpr = sizeCanvas(canvas, lay.cssW, lay.cssH);
    canvas.dataset.plotLeft = String(labelW); // where the heat maps start (CSS px), for tests
    prerender();
  }

  // Pre-render every cell once into an off-screen canvas; a frame then only copies it and overlays.
  function prerender() {
    const { narrow, labelW, plotW, cellW, rowH, axisY, cssW, cssH } = lay;
    base = document.createElement("canvas");
    base.width = canvas.width;
    base.height = canvas.height;
    const bctx = base.getContext("2d");
    bctx.scale(dpr, dpr);
    bctx.fillStyle = "#ffffff";
    bctx.fillRect(0, 0, cssW, cssH);
    bctx.textBaseline = "middle";
    for (const b of blocks) {
      bctx.fillStyle = GATE_COLORS[b.key];
      bctx.font = "bold 13px sans-serif";
      bctx.textAlign = "left";
      bctx.fillText(narrow ? b.label.split(" ")[0] : b.label, 2, b.y + Math.min(b.h / 2, 8));
      const values = data[b.key];
      const scale = b.key === "x" ? xScale : stateScale;
      for (let i = 0; i < b.rows; i++) {
        if (rowH >= 10 && b.rows > 1) {
          bctx.fillStyle = "#333";
          bctx.font = "11px sans-serif";
          bctx.textAlign = "right";
          const name = b.key === "x" ? `in ${i}` : narrow ? `u${units[i]}` : `unit ${units[i]}`;
          bctx.fillText(name, labelW - 4, b.y + (i + 0.5) * rowH);
        }
        for (let t = 0; t < T; t++) {
          bctx.fillStyle = colourFor(b.range, values[t][i], scale);
          bctx.fillRect(labelW + t * cellW, b.y + i * rowH, Math.ceil(cellW), rowH);
        }
      }
      bctx.strokeStyle = "#999";
      bctx.lineWidth = 0.5;
      bctx.strokeRect(labelW, b.y, plotW, b.h);
    }
    // Time axis: whole steps only, at most about one label per 44 px.
    bctx.fillStyle = "#222";
    bctx.font = "11px sans-serif";
    bctx.textAlign = "center";
    const most = Math.max(2, Math.floor(plotW / 44));
    const tickEvery = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500].find((s) => T / s <= most) || 1000;
    for (let t = 0; t < T; t += tickEvery) {
      bctx.fillRect(labelW + (t + 0.5) * cellW, axisY - 2, 1, 4);
      bctx.fillText(String(t), labelW + (t + 0.5) * cellW, axisY + 9);
    }
    bctx.textAlign = "right";
    bctx.fillText(narrow ? "step t" : "time step t", labelW - 4, axisY + 9);
  }

  let step = Math.min(T - 1, Math.max(0, model.get("step") || 0));
  let timer = null;

  function draw() {
    const t0 = performance.now();
    const { labelW, plotW, cellW, axisY } = lay;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(base, 0, 0);
    ctx.scale(dpr, dpr);
    // Dim the steps not reached yet (lightly: the whole sequence stays readable), outline the current one.
    ctx.fillStyle = "rgba(255,255,255,0.35)";
    const x0 = labelW + (step + 1) * cellW;
    for (const b of blocks) ctx.fillRect(x0, b.y, labelW + plotW - x0, b.h);
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2;
    ctx.strokeRect(labelW + step * cellW - 1, 2, cellW + 2, axisY - 6);
    units.forEach((unit, i) => {
      shown.forEach((key, k) => {
        cells[i][k].textContent = fmt(data[key][step][i]);
      });
    });
    data.x[step].forEach((v, i) => { xCells[i].textContent = fmt(v); });
    stepLabel.textContent = `t = ${step} / ${T - 1}`;
    slider.value = String(step);
    root.dataset.step = String(step);
    recordFrame(root, performance.now() - t0);
  }

  function setStep(s, sync = true) {
    step = Math.min(T - 1, Math.max(0, s));
    draw();
    if (sync) {
      try {
        model.set("step", step);
        model.save_changes();
      } catch (e) {
        /* no kernel (static page): the step lives in the browser only */
      }
    }
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    btnPlay.textContent = "\u25b6 play";
    root.dataset.playing = "false";
  }

  function play() {
    if (step >= T - 1) setStep(0);
    stop();
    btnPlay.textContent = "\u25ae\u25ae pause";  // two bars: U+23F8 is missing from common fonts
    root.dataset.playing = "true";
    timer = setInterval(() => {
      if (step >= T - 1) stop();
      else setStep(step + 1);
    }, 1000 / Number(speed.value));
  }

  btnPlay.addEventListener("click", () => (timer === null ? play() : stop()));
  btnFirst.addEventListener("click", () => { stop(); setStep(0); });
  btnBack.addEventListener("click", () => { stop(); setStep(step - 1); });
  btnFwd.addEventListener("click", () => { stop(); setStep(step + 1); });
  slider.addEventListener("input", () => { stop(); setStep(Number(slider.value)); });
  speed.addEventListener("change", () => { if (timer !== null) play(); });
  canvas.addEventListener("mousemove", (ev) => {
    const [px, py] = canvasPoint(canvas, ev, lay.cssW, lay.cssH);
    const t = Math.floor((px - lay.labelW) / lay.cellW);
    const b = blocks.find((bb) => py >= bb.y && py < bb.y + bb.h);
    if (!b || t < 0 || t >= T) {
      hover.textContent = "Hover over the heat maps to read exact values.";
      return;
    }
    const i = Math.floor((py - b.y) / lay.rowH);
    const who = b.key === "x" ? `input ${i}` : `unit ${units[i]}`;
    hover.textContent = `t = ${t}, ${who}: ${b.label.split(" ")[0]} = ${fmt(data[b.key][t][i])}`;
  });
  const onStep = () => {
    const s = model.get("step");
    if (Number.isInteger(s) && s !== step) setStep(s, false);
  };
  model.on("change:step", onStep);
  layout(availableWidth(root));
  setStep(step, false);
  const unobserve = onWidthChange(root, (w) => { layout(w); draw(); });
  root.dataset.renderMs = (performance.now() - tStart).toFixed(3); // first render: every cell drawn once
  root.dataset.ready = "true";
  return () => {
    stop();
    unobserve();
    model.off("change:step", onStep);
  };
}

// ---------------------------------------------------------------- the gate playground

function copyParams(p) {
  return JSON.parse(JSON.stringify(p));
}

function buildSequence(seq, marker) {
  const xs = seq.x.map((row) => row.slice());
  if (Number.isInteger(seq.marker_feature)) {
    xs.forEach((row) => { row[seq.marker_feature] = 0; });
    if (marker >= 0 && marker < xs.length) xs[marker][seq.marker_feature] = 1;
  }
  return xs;
}

function renderPlayground(model, root) {
  const title = model.get("title");
  if (title) root.appendChild(el("div", "gw-title", title));
  const baseParams = model.get("params");
  const controls = model.get("controls") || [];
  const seq = model.get("sequence") || {};
  let problem = "";
  try {
    checkParams(baseParams);
    if (!Array.isArray(seq.x) || seq.x.length === 0) problem = "the input sequence is empty";
  } catch (e) {
    problem = e.message;
  }
  if (problem) {
    showMessage(root, `Gate playground: cannot run the GRU, ${problem}.`);
    return () => {};
  }
  const T = seq.x.length;
  const unit = seq.unit || 0;
  const writeStep = seq.write_step || 0;
  const keepName = baseParams.convention === "keras" ? "z\u209c" : "(1 \u2212 z\u209c)";

  const panel = el("div", "gw-sliders");
  root.appendChild(panel);
  const values = {};
  const inputs = [];
  function addSlider(spec, value) {
    const row = el("label", "gw-slider-row");
    row.appendChild(el("span", "gw-slider-name", spec.label));
    const input = el("input", "gw-param");
    Object.assign(input, { type: "range", min: spec.min, max: spec.max, step: spec.step, value });
    input.dataset.name = spec.id;
    const out = el("span", "gw-slider-value", String(value));
    row.appendChild(input);
    row.appendChild(out);
    panel.appendChild(row);
    values[spec.id] = Number(value);
    input.addEventListener("input", () => {
      values[spec.id] = Number(input.value);
      out.textContent = input.value;
      update();
    });
    inputs.push(input);
  }
  for (const c of controls) {
    let v = baseParams[c.name];
    for (const i of c.index || []) v = v[i];
    addSlider({ ...c, id: c.name + JSON.stringify(c.index || []) }, c.value !== undefined ? c.value : v);
  }
  if (Number.isInteger(seq.marker_feature)) {
    addSlider({ id: "marker", label: "marker at step", min: -1, max: T - 1, step: 1 }, seq.marker);
  }
  addSlider({ id: "k", label: "k steps after the write", min: 1, max: T - 1 - writeStep, step: 1 },
    Math.min(seq.k || 10, T - 1 - writeStep));

  const canvas = el("canvas", "gw-canvas");
  let cssW = 660;
  let cssH = 240;
  let dpr = 1;
  function layout(avail) {
    cssW = Math.max(240, Math.min(680, avail - 2));
    cssH = cssW < 480 ? 210 : 240;
    dpr = sizeCanvas(canvas, cssW, cssH);
  }
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "line plot of z, r, candidate and state of the tiny GRU over time");
  root.appendChild(canvas);
  const keys = document.createElement("div");
  keys.className = "gw-keys";
  for (const [key, name] of [["z", "z\u209c update gate"], ["r", "r\u209c reset gate"],
    ["h_tilde", "h\u0303\u209c candidate"], ["h", "h\u209c state"]]) {
    const k = el("span", "gw-key", name);
    k.style.borderColor = GATE_COLORS[key];
    keys.appendChild(k);
  }
  root.appendChild(keys);
  const readout = el("div", "gw-survival");
  root.appendChild(readout);
  const ctx = canvas.getContext("2d");

  function update() {
    const t0 = performance.now();
    const p = copyParams(baseParams);
    for (const c of controls) {
      const id = c.name + JSON.stringify(c.index || []);
      const idx = c.index || [];
      if (idx.length === 0) p[c.name] = values[id];
      else {
        let target = p[c.name];
        for (const i of idx.slice(0, -1)) target = target[i];
        target[idx[idx.length - 1]] = values[id];
      }
    }
    const marker = values.marker === undefined ? -1 : values.marker;
    const k = values.k;
    let out;
    let without;
    try {
      const xs = buildSequence(seq, marker);
      out = gruForward(p, xs, seq.h0 || null);
      // The same run with nothing written: the difference is what the written value still contributes.
      const xs0 = xs.map((row) => row.slice());
      if (Number.isInteger(seq.value_feature)) xs0[writeStep][seq.value_feature] = 0;
      without = gruForward(p, xs0, seq.h0 || null);
    } catch (e) {
      readout.textContent = `The GRU could not run: ${e.message}`;
      return;
    }
    // Plot.
    const L = 40;
    const R = 10;
    const top = 20; // the marker's label sits above the plot, never on the curves
    const bottom = 36;
    const w = cssW - L - R;
    const h = cssH - top - bottom;
    const X = (t) => L + (t / Math.max(1, T - 1)) * w;
    const Y = (v) => top + (1 - (v + 1) / 2) * h;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, cssW, cssH);
    ctx.strokeStyle = "#ddd";
    ctx.lineWidth = 1;
    ctx.fillStyle = "#222";
    ctx.font = "11px sans-serif";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of [-1, -0.5, 0, 0.5, 1]) {
      ctx.beginPath();
      ctx.moveTo(L, Y(v));
      ctx.lineTo(L + w, Y(v));
      ctx.stroke();
      ctx.fillText(String(v), L - 4, Y(v));
    }
    ctx.textAlign = "center";
    const most = Math.max(2, Math.floor(w / 44));
    const tickEvery = [1, 2, 5, 10, 20, 25, 50, 100].find((s) => T / s <= most) || 200;
    for (let t = 0; t < T; t += tickEvery) ctx.fillText(String(t), X(t), top + h + 11);
    ctx.fillText("time step t", L + w / 2, top + h + 27);
    ctx.save();
    ctx.translate(10, top + h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText("value", 0, 0);
    ctx.restore();
    // Marker and the k-step window.
    ctx.fillStyle = "rgba(0,0,0,0.06)";
    ctx.fillRect(X(writeStep), top, X(writeStep + k) - X(writeStep), h);
    if (marker >= 0) {
      ctx.strokeStyle = "#D55E00";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(X(marker), top);
      ctx.lineTo(X(marker), top + h);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#B34700";
      ctx.textAlign = X(marker) > L + w - 60 ? "right" : "left";
      ctx.fillText("marker", X(marker) + (ctx.textAlign === "left" ? 3 : -3), top - 9);
    }
    for (const key of ["z", "r", "h_tilde", "h"]) {
      ctx.strokeStyle = GATE_COLORS[key];
      ctx.lineWidth = key === "h" ? 2.5 : 1.5;
      ctx.setLineDash(key === "h_tilde" ? [3, 2] : []);
      ctx.beginPath();
      out[key].forEach((row, t) => (t === 0 ? ctx.moveTo(X(t), Y(row[unit])) : ctx.lineTo(X(t), Y(row[unit]))));
      ctx.stroke();
    }
    ctx.setLineDash([]);
    // How much of the written state survives k steps later?
    const end = Math.min(T - 1, writeStep + k);
    const written = out.h[writeStep][unit] - without.h[writeStep][unit];
    const later = out.h[end][unit] - without.h[end][unit];
    let keep = 1;
    for (let t = writeStep + 1; t <= Math.min(T - 1, writeStep + k); t++) {
      const zt = out.z[t][unit];
      keep *= baseParams.convention === "keras" ? zt : 1 - zt;
    }
    const share = Math.abs(written) < 1e-6 ? NaN : later / written;
    readout.textContent = Number.isNaN(share)
      ? `Nothing was written at step ${writeStep}.`
      : `After k = ${k} steps, ${(100 * share).toFixed(1)}% of what was written at step ${writeStep} is still ` +
        `in the state (h with the value minus h without it); the update gate alone keeps ` +
        `\u220f${keepName} = ${fmt(keep)}.`;
    root.dataset.survival = String(share);
    recordFrame(root, performance.now() - t0);
  }

  layout(availableWidth(root));
  update();
  const unobserve = onWidthChange(root, (width) => { layout(width); update(); });
  root.dataset.ready = "true";
  return unobserve;
}

// ---------------------------------------------------------------- anywidget entry point

function render({ model, el: host }) {
  const root = el("div", "gw-root");
  host.appendChild(root);
  const kind = model.get("kind");
  try {
    if (kind === "animator" || kind === "playground") root.classList.add(`gw-${kind}`);
    if (kind === "animator") return renderAnimator(model, root);
    if (kind === "playground") return renderPlayground(model, root);
    showMessage(root, `Unknown gate widget kind ${JSON.stringify(kind)}.`);
  } catch (e) {
    showMessage(root, `The gate widget failed to draw: ${e.message}`);
  }
  return () => {};
}

export default { render };
