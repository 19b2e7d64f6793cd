// The course book's widget loader: draws the anywidgets saved in a page, with no kernel and no network.
//
// myst-nb writes what a notebook's widgets held when it ran into the page: one
// <script type="application/vnd.jupyter.widget-state+json"> with every model's state, and one
// <script type="application/vnd.jupyter.widget-view+json"> ({"model_id": ...}) where each widget was shown.
// Every widget of the course is an anywidget, whose state carries its own ES module (`_esm`) and
// stylesheet (`_css`). So a page needs no widget manager (ipywidgets' html-manager is 3.6 MB): for each
// view we import the module from its text, give it a small model (get/set/on/off/save_changes) over the
// saved state, and call its `render({model, el})`, as anywidget does in JupyterLab.
// A model that is not an anywidget gets a visible note instead of a silent gap.
// Progress is readable by tests: <html data-course-widgets="rendered N, failed M">.
(function () {
  "use strict";
  const STATE_TYPE = "application/vnd.jupyter.widget-state+json";
  const VIEW_TYPE = "application/vnd.jupyter.widget-view+json";

  function decodeBuffer(b64) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new DataView(bytes.buffer);
  }

  function readStates() {
    const models = {};
    for (const script of document.querySelectorAll(`script[type="${STATE_TYPE}"]`)) {
      const saved = JSON.parse(script.textContent || "{}").state || {};
      for (const [id, entry] of Object.entries(saved)) {
        const state = Object.assign({}, entry.state);
        for (const buf of entry.buffers || []) {  // binary traits come base64-encoded at a path
          let target = state;
          buf.path.slice(0, -1).forEach((key) => { target = target[key]; });
          target[buf.path[buf.path.length - 1]] = decodeBuffer(buf.data);
        }
        models[id] = { name: entry.model_name, module: entry.model_module, state };
      }
    }
    return models;
  }

  // The part of anywidget's model interface that works without a kernel: the state lives in the page.
  function makeModel(id, state, manager) {
    const listeners = {};
    return {
      model_id: id,
      widget_manager: manager,
      get: (key) => state[key],
      set(key, value) {
        const old = state[key];
        state[key] = value;
        if (old !== value) (listeners[`change:${key}`] || []).slice().forEach((cb) => cb(this, value));
      },
      on(event, cb) { (listeners[event] = listeners[event] || []).push(cb); },
      off(event, cb) {
        if (!event) { Object.keys(listeners).forEach((k) => delete listeners[k]); return; }
        listeners[event] = cb ? (listeners[event] || []).filter((f) => f !== cb) : [];
      },
      save_changes() {},  // no kernel to send to
      send() {},
    };
  }

  function note(el, text) {
    const p = document.createElement("p");
    p.className = "course-widget-note";
    p.textContent = text;
    el.appendChild(p);
  }

  const modules = new Map();  // one import per distinct module text
  function importModule(esm) {
    if (!modules.has(esm)) {
      const url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
      modules.set(esm, import(url).finally(() => URL.revokeObjectURL(url)));
    }
    return modules.get(esm);
  }

  const styled = new Set();
  function addStyle(css) {
    if (!css || styled.has(css)) return;
    styled.add(css);
    const style = document.createElement("style");
    style.textContent = css;
    document.head.appendChild(style);
  }

  async function renderView(script, models, manager, live) {
    const host = document.createElement("div");
    host.className = "course-widget";
    script.after(host);
    const id = JSON.parse(script.textContent || "{}").model_id;
    const saved = models[id];
    if (!saved || saved.module !== "anywidget" || typeof saved.state._esm !== "string") {
      note(host, "This output is an interactive widget that needs a running Python kernel: "
        + "open the notebook in JupyterLab to use it.");
      return false;
    }
    const model = live[id] || (live[id] = makeModel(id, saved.state, manager));
    addStyle(saved.state._css);
    try {
      const mod = await importModule(saved.state._esm);
      let widget = mod.default || mod;
      if (typeof widget === "function") widget = await widget();
      if (typeof widget.initialize === "function" && !model._initialized) {
        model._initialized = true;
        await widget.initialize({ model });
      }
      await widget.render({ model, el: host });
      return true;
    } catch (err) {
      note(host, `This widget failed to draw: ${err && err.message ? err.message : err}`);
      console.error("course-widgets:", err);
      return false;
    }
  }

  async function renderAll() {
    const models = readStates();
    const live = {};
    const manager = {  // what a widget may ask of its manager: another model by id
      get_model: async (ref) => {
        const id = String(ref).replace(/^IPY_MODEL_/, "");
        if (!models[id]) throw new Error(`no saved widget model ${id}`);
        return live[id] || (live[id] = makeModel(id, models[id].state, manager));
      },
    };
    const views = [...document.querySelectorAll(`script[type="${VIEW_TYPE}"]`)];
    const done = await Promise.all(views.map((v) => renderView(v, models, manager, live)));
    const ok = done.filter(Boolean).length;
    document.documentElement.dataset.courseWidgets = `rendered ${ok}, failed ${done.length - ok}`;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();
})();
