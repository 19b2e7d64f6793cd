// The course's attention animator (an anywidget module): step through a decoder's output steps and
// watch where its attention looks. Runs in JupyterLab and on the static book page (no kernel).
//
// The state `data` holds the weights a_{t,j} of one decoded example (T_out rows, T_src columns; row t
// sums to 1 over the source positions j), the source tokens and the output tokens. Step t shows
// row t on the source itself (each source token shaded by a_{t,j}), the output written so far, and
// the table filled up to row t (later rows show their labels only). Shading: Okabe-Ito blue at opacity a_{t,j}.

const BLUE = [0, 114, 178];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Return what is wrong with an animator payload, or "" if it can be drawn. */
export function checkAttention(data) {
  if (!data || typeof data !== "object") return "no attention weights were handed to the widget";
  const { weights, source, output } = data;
  if (!Array.isArray(source) || source.length === 0) return "the source has no tokens";
  if (!Array.isArray(output) || output.length === 0) return "the output has no tokens";
  if (!Array.isArray(weights) || weights.length !== output.length) {
    return `weights must have one row per output token (${output.length})`;
  }
  for (const [t, row] of weights.entries()) {
    if (!Array.isArray(row) || row.length !== source.length) {
      return `row ${t} of the weights must have one value per source token (${source.length})`;
    }
    if (!row.every((w) => Number.isFinite(w) && w >= 0 && w <= 1)) return `row ${t} holds a weight outside [0, 1]`;
  }
  return "";
}

/** Background and text colour of a cell with weight w in [0, 1] (readable on light and dark pages). */
export function shade(w) {
  const a = Math.round(w * 100) / 100;
  return { background: `rgba(${BLUE.join(", ")}, ${a})`, color: a > 0.55 ? "#ffffff" : "" };
}

/** The source position with the largest weight in row t (the first one on a tie). */
export function peak(row) {
  let best = 0;
  row.forEach((w, j) => { if (w > row[best]) best = j; });
  return best;
}

function paint(cell, w) {
  const { background, color } = shade(w);
  cell.style.background = background;
  cell.style.color = color;
  cell.dataset.w = String(w);
}

function renderAnimator(model, root) {
  const data = model.get("data");
  const title = model.get("title");
  if (title) root.appendChild(el("div", "aw-title", title));
  const problem = checkAttention(data);
  if (problem) {
    root.appendChild(el("div", "aw-message", `Attention animator: nothing to draw, ${problem}.`));
    return () => {};
  }
  const { weights, source, output } = data;
  const T = output.length;

  const bar = el("div", "aw-controls");
  const buttons = [["|\u25c0", "first step"], ["\u25c0", "step back"], ["\u25b6 play", "play / pause"],
    ["\u25b6|", "step forward"]].map(([text, name]) => {
    const b = el("button", "aw-btn", text);
    b.title = name;
    b.setAttribute("aria-label", name);
    bar.appendChild(b);
    return b;
  });
  const [btnFirst, btnBack, btnPlay, btnFwd] = buttons;
  const slider = el("input", "aw-slider");
  Object.assign(slider, { type: "range", min: 0, max: T - 1, step: 1, value: 0 });
  slider.setAttribute("aria-label", "output step");
  bar.appendChild(slider);
  const stepLabel = el("span", "aw-step", "");
  bar.appendChild(stepLabel);
  root.appendChild(bar);

  // The source, shaded by the current row, and the output written so far.
  const strips = el("div", "aw-strips");
  strips.appendChild(el("span", "aw-rowname", "source"));
  const srcRow = el("div", "aw-tokens");
  const srcCells = source.map((tok) => srcRow.appendChild(el("span", "aw-token", tok)));
  strips.appendChild(srcRow);
  strips.appendChild(el("span", "aw-rowname", "output"));
  const outRow = el("div", "aw-tokens");
  const outCells = output.map((tok) => outRow.appendChild(el("span", "aw-token aw-out", tok)));
  strips.appendChild(outRow);
  root.appendChild(strips);
  const readout = el("div", "aw-readout", "");
  readout.setAttribute("aria-live", "polite");
  root.appendChild(readout);

  // The whole table: one row per output step, one column per source position.
  const table = el("table", "aw-table");
  const head = el("tr");
  head.appendChild(el("th", "aw-corner", "t \\ j"));
  // Column j's label on two lines, its position over its token: on a phone the columns are ~25 px
  // wide, and "1 '7'" written on one line ran into its neighbours.
  source.forEach((tok, j) => {
    const th = el("th", "aw-colhead");
    th.setAttribute("scope", "col");
    th.appendChild(el("span", "aw-pos", String(j + 1)));
    th.appendChild(el("span", "aw-tok", `'${tok}'`));
    head.appendChild(th);
  });
  table.appendChild(head);
  const rows = weights.map((row, t) => {
    const tr = el("tr");
    tr.appendChild(el("th", "", `${t + 1} '${output[t]}'`));
    row.forEach((w) => {
      const td = el("td", "aw-cell", w >= 0.1 ? w.toFixed(2) : "");
      paint(td, w);
      tr.appendChild(td);
    });
    table.appendChild(tr);
    return tr;
  });
  const box = el("div", "aw-tablebox");
  box.appendChild(table);
  root.appendChild(box);
  root.appendChild(el("div", "aw-caption", "Row t: the output step and the token it writes; column j: the source"
    + " position and its digit; shade and number: the weight a\u209c,\u2c7c (blank below 0.1)."));

  let step = 0;
  let timer = null;
  function draw() {
    const row = weights[step];
    srcCells.forEach((c, j) => paint(c, row[j]));
    outCells.forEach((c, t) => {
      c.classList.toggle("aw-future", t > step);
      c.classList.toggle("aw-now", t === step);
    });
    rows.forEach((tr, t) => {
      tr.classList.toggle("aw-future", t > step);
      tr.classList.toggle("aw-now", t === step);
    });
    const j = peak(row);
    stepLabel.textContent = `step ${step + 1} of ${T}`;
    readout.textContent = `Step ${step + 1} writes '${output[step]}' and looks most at source position ${j + 1}`
      + ` ('${source[j]}'), with weight ${row[j].toFixed(2)}.`;
    slider.value = String(step);
    root.dataset.step = String(step);
  }
  function setStep(s) {
    step = Math.min(T - 1, Math.max(0, s));
    draw();
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
    btnPlay.textContent = "\u25ae\u25ae pause";
    root.dataset.playing = "true";
    timer = setInterval(() => (step >= T - 1 ? stop() : setStep(step + 1)), 1000 / (data.speed || 2));
  }
  btnPlay.addEventListener("click", () => (timer === null ? play() : stop()));
  btnFirst.addEventListener("click", () => { stop(); setStep(0); });
  btnBack.addEventListener("click", () => { stop(); setStep(step - 1); });
  btnFwd.addEventListener("click", () => { stop(); setStep(step + 1); });
  slider.addEventListener("input", () => { stop(); setStep(Number(slider.value)); });
  if (data.note) root.appendChild(el("div", "aw-note", data.note));
  setStep(0);
  root.dataset.ready = "true";
  return stop;
}

function render({ model, el: host }) {
  const root = el("div", "aw-root");
  host.appendChild(root);
  try {
    return renderAnimator(model, root);
  } catch (e) {
    root.appendChild(el("div", "aw-message", `The attention animator failed to draw: ${e.message}`));
  }
  return () => {};
}

export default { render };
