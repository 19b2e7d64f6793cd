"""Browser test of the in-page GRU trainer (``grucourse.widgets.gru_trainer``), offline, no kernel.

On a small page built here from the widget's own module and stylesheet, drawn by the book's loader
(``tools/book_static/course-widgets.js``) exactly as the static book draws it, and, if the built
book holds the trainer, on the built chapter page:

- pressing Train on delayed recall at lag 20 (chrono initialisation, seed 0) brings the test loss
  below ``LOSS_BOUND`` within ``STEPS`` steps (seeds 1-20 all reach <= 0.008 there under Node;
  chance is ln 4 = 1.39); the gate heat maps redraw; no console errors;
- the controls are labelled and work from the keyboard (Enter on Train starts, Space pauses);
- at 390 px the widget does not scroll sideways; axe-core finds 0 critical / 0 serious violations
  in light and in dark mode (if ``node_modules/axe-core`` is installed);
- in JupyterLab the trained weights reach the kernel (the ``weights`` traitlet), and numpy's run of
  them (:func:`grucourse.widgets.gru_trainer.page_outputs`) gives the page's test loss.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from grucourse.widgets.gru_trainer import page_outputs, trainer_config

import numpy as np
import pytest
from browser_support import jupyterlab_server, require
from test_browser import BOOK, PageWatch, book_server, browser_context  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
WIDGETS = ROOT / "src" / "grucourse" / "widgets"
LOADER = ROOT / "tools" / "book_static" / "course-widgets.js"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ORIGIN = "http://127.0.0.1:9"  # never contacted: every request is answered by page.route
STEPS = 150
LOSS_BOUND = 0.1
BOOK_PAGES = ("chapters/04_gate_intuition.html", "chapters/11_training_memory_lags.html")

PAGE_CSS = """body { font-family: sans-serif; max-width: 720px; margin: 0 auto; padding: 8px;
  background: #fff; color: #222; }
@media (prefers-color-scheme: dark) { body { background: #121212; color: #e4e4e4; } }"""

AXE_RUN = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] });
  return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
                                     target: String(v.nodes[0] && v.nodes[0].target) }));
}"""


def standalone_html(**settings) -> str:
    """A page holding one trainer as myst-nb saves it: the widget state and one view."""
    state = {"state": {"trainer": {
        "model_name": "AnyModel", "model_module": "anywidget", "model_module_version": "~0.11.*",
        "state": {"_esm": (WIDGETS / "gru_trainer.js").read_text(), "_css": (WIDGETS / "gru_trainer.css").read_text(),
                  "config": trainer_config(**settings), "weights": {}, "title": "Train a GRU in your browser"}}},
        "version_major": 2, "version_minor": 0}
    view = json.dumps({"model_id": "trainer", "version_major": 2, "version_minor": 1})
    saved = json.dumps(state).replace("</", "<\\/")  # no "</script>" inside the script element
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GRU trainer</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<style>{PAGE_CSS}</style><script src="/course-widgets.js"></script></head>'
            f'<body><main><h1>GRU trainer</h1><div id="out"><script type="application/vnd.jupyter.widget-view+json">'
            f'{view}</script></div></main><script type="application/vnd.jupyter.widget-state+json">'
            f'{saved}</script></body></html>')


def open_standalone(context, **settings):
    page = context.new_page()
    watch = PageWatch(page)
    html = standalone_html(**settings)
    page.route(f"{ORIGIN}/", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.route(f"{ORIGIN}/course-widgets.js",
               lambda route: route.fulfill(body=LOADER.read_text(), content_type="text/javascript"))
    page.goto(f"{ORIGIN}/")
    page.wait_for_selector(".gt-root[data-ready='true']", timeout=20_000)
    return page, watch


def train_until(page, root, steps: int) -> float:
    """Press Train, wait for ``steps`` steps, pause; return the test loss evaluated at ``steps``."""
    root.locator("button.gt-train").click()
    page.wait_for_function("([r, n]) => Number(r.dataset.step) >= n", arg=[root.element_handle(), steps],
                           timeout=120_000, polling=200)
    if root.get_attribute("data-playing") == "true":
        root.locator("button.gt-train").click()
    return root.evaluate("(r, n) => { const h = r.trainerRun.history; return h.evalLoss[h.evalStep.indexOf(n)]; }",
                         steps)


def check_learns(page, root, watch, shots: Path, name: str) -> str:
    gates = root.locator("canvas.gt-gates")
    before_png, before_draws = gates.evaluate("c => c.toDataURL()"), int(root.get_attribute("data-gate-draws"))
    loss = train_until(page, root, STEPS)
    root.screenshot(path=str(shots / f"{name}-trained.png"))
    assert loss is not None and loss < LOSS_BOUND, f"test loss {loss} at step {STEPS}, bound {LOSS_BOUND}"
    assert int(root.get_attribute("data-gate-draws")) >= before_draws + 3, "the gates were not redrawn"
    assert gates.evaluate("c => c.toDataURL()") != before_png, "the gate heat maps did not change"
    assert root.evaluate("r => r.trainerRun.step") >= STEPS
    draws = root.get_attribute("data-gate-draws")
    return f"{name}: test loss {loss:.4f} at step {STEPS} (bound {LOSS_BOUND}); {draws} gate redraws"


def run_axe(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(AXE_RUN)
    print("  axe:", ", ".join(f"{v['id']} ({v['impact']}, {v['nodes']})" for v in found) or "clean")
    return [f"{v['id']} ({v['impact']}) on {v['nodes']} nodes, e.g. {v['target']}"
            for v in found if v["impact"] in ("critical", "serious")]


def test_trainer_learns_on_a_standalone_page(browser_context, tmp_path):  # noqa: F811 - fixture
    page, watch = open_standalone(browser_context, task="recall", lag=20, init="chrono", t_max=40, seed=0,
                                  max_steps=STEPS)
    print(f"\nscreenshots in {tmp_path}")
    try:
        root = page.locator(".gt-root")
        root.screenshot(path=str(tmp_path / "standalone-initial.png"))
        print(check_learns(page, root, watch, tmp_path, "standalone"))
        ms = sorted(page.evaluate("globalThis.__gruTrainerFrameMs || []"))
        print(f"work per animation frame (training slice + redraw): median {ms[len(ms) // 2]:.1f} ms, "
              f"max {ms[-1]:.1f} ms over {len(ms)} frames (the slice stops after 12 ms)")
        assert not watch.errors, watch.errors
        assert root.get_attribute("data-playing") == "false", "max_steps should stop the run by itself"
        sent = root.evaluate("r => r.trainerRun.step")
        assert sent == STEPS
    finally:
        page.close()


def test_a_seed_repeats_in_the_page(browser_context):  # noqa: F811 - fixture
    page, _ = open_standalone(browser_context, task="adding", lag=10, seed=7, max_steps=30)
    try:
        root = page.locator(".gt-root")
        first = (train_until(page, root, 30), root.evaluate("r => r.trainerRun.history.loss"))
        root.locator("button.gt-reset").click()
        assert root.get_attribute("data-step") == "0"
        second = (train_until(page, root, 30), root.evaluate("r => r.trainerRun.history.loss"))
        assert first == second
    finally:
        page.close()


def test_keyboard_labels_phone_and_dark_mode(browser_context, tmp_path):  # noqa: F811 - fixture
    page, watch = open_standalone(browser_context, task="recall", lag=30, init="keep", seed=1)
    try:
        root = page.locator(".gt-root")
        unlabeled = root.evaluate("""r => [...r.querySelectorAll('input, select')]
            .filter(c => !c.closest('label') && !c.getAttribute('aria-label')).length""")
        assert unlabeled == 0
        train = root.locator("button.gt-train")
        train.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("r => Number(r.dataset.step) >= 5", arg=root.element_handle(), timeout=30_000)
        assert train.get_attribute("aria-pressed") == "true"
        page.keyboard.press("Space")  # the button keeps the focus: Space pauses
        page.wait_for_function("r => r.dataset.playing === 'false'", arg=root.element_handle(), timeout=10_000)
        lag = root.locator("input.gt-range").first
        lag.focus()
        page.keyboard.press("ArrowRight")
        assert root.get_attribute("data-step") == "0" and "T = 32 steps" in root.locator(".gt-note").inner_text()
        problems = []
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(300)
            root.locator("button.gt-step").click()  # redraw in the page's colours
            page.screenshot(path=str(tmp_path / f"phone-{scheme}.png"), full_page=True)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            right = root.evaluate(
                "r => Math.max(...[...r.querySelectorAll('*')].map(e => e.getBoundingClientRect().right))")
            assert overflow <= 0 and right <= 390 + 1, (scheme, overflow, right)
            if AXE.exists():
                print(f"\n{scheme} mode:")
                problems += [f"{scheme}: {p}" for p in run_axe(page)]
        assert not problems, "\n".join(problems)
        assert not watch.errors, watch.errors
        print(f"screenshots in {tmp_path}")
    finally:
        page.close()


@pytest.mark.parametrize("rel", BOOK_PAGES)
def test_trainer_learns_in_the_built_book(browser_context, book_server, tmp_path, rel):  # noqa: F811
    path = BOOK / rel
    require(path.exists() and "gru_trainer" in path.read_text(errors="replace"),
            f"{path} is missing or holds no GRU trainer: build the book with the chapter executed")
    page = browser_context.new_page()
    watch = PageWatch(page)
    try:
        page.goto(f"{book_server}/{rel}", wait_until="load")
        page.wait_for_selector(".gt-root[data-ready='true']", timeout=30_000)
        root = page.locator(".gt-root").first
        root.scroll_into_view_if_needed()
        root.locator("select.gt-input").nth(0).select_option("recall")
        root.locator("select.gt-input").nth(2).select_option("chrono")  # task, cell, initialisation
        root.locator("select.gt-input").nth(1).select_option("gru")
        for i, value in ((0, 20), (1, 16)):  # lag, units
            root.locator("input.gt-range").nth(i).evaluate(
                "(s, v) => { s.value = String(v); s.dispatchEvent(new Event('input', {bubbles: true})); }", value)
        for name, value in (("T_max", "40"), ("seed", "0")):
            box = root.locator("label", has_text=name).locator("input")
            box.fill(value)
            box.dispatch_event("change")
        root.locator("select.gt-input").nth(3).select_option("0.01")
        root.locator("select.gt-input").nth(4).select_option("10")
        if not root.locator("input.gt-check").is_checked():
            root.locator("input.gt-check").check()
        print("\n" + check_learns(page, root, watch, tmp_path, Path(rel).stem))
        exceptions = [e for e in watch.errors if e.startswith("exception")]
        assert not exceptions, exceptions
    finally:
        page.close()


LAB_STEPS = 40
LAB_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "gt-lab-0", "metadata": {}, "outputs": [],
               "source": ["import json\n",
                          "from pathlib import Path\n",
                          "from grucourse.widgets.gru_trainer import gru_trainer\n",
                          f"trainer = gru_trainer(task='recall', lag=6, units=5, init='chrono', t_max=8, seed=2, "
                          f"max_steps={LAB_STEPS})\n",
                          "trainer.observe(lambda change: Path('weights.json').write_text(json.dumps(change['new'])),"
                          " names='weights')\n",
                          "trainer"]}],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                 "language_info": {"name": "python"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def test_trainer_in_jupyterlab_sends_its_weights_to_the_kernel(browser_context, tmp_path):  # noqa: F811
    """Train in JupyterLab: the weights traitlet reaches the kernel, and numpy on them gives the page's loss."""
    notebook = tmp_path / "trainer_lab.ipynb"
    notebook.write_text(json.dumps(LAB_NOTEBOOK))
    with jupyterlab_server(tmp_path, notebook) as (base, work):
        page = browser_context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{base}/lab/tree/{notebook.name}", wait_until="load", timeout=60_000)
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                                   " && window.jupyterapp.shell.currentWidget.sessionContext"
                                   " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                                   " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                                   " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                                   ".status === 'idle'", timeout=90_000)
            page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_selector(".gt-root[data-ready='true']", timeout=90_000)
            root = page.locator(".gt-root").first
            root.locator("button.gt-train").click()
            page.wait_for_function("([r, n]) => Number(r.dataset.step) >= n && r.dataset.playing === 'false'",
                                   arg=[root.element_handle(), LAB_STEPS], timeout=60_000)
            deadline, weights = time.time() + 30, {}
            while time.time() < deadline and weights.get("step") != LAB_STEPS:
                path = work / "weights.json"
                weights = json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}
                time.sleep(0.5)
            assert weights.get("step") == LAB_STEPS, f"the kernel did not receive the weights: {weights}"
            ev = root.evaluate("r => { const e = r.trainerRun.evalBatch; return { x: Array.from(e.x),"
                               " y: Array.from(e.y), T: e.T, d: e.d, loss: r.trainerRun.history.evalLoss.at(-1) }; }")
            x = np.array(ev["x"]).reshape(len(ev["y"]), ev["T"], ev["d"])  # (n, T, d)
            logits = page_outputs(weights, x)  # (n, 4)
            logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))  # (n, 4)
            loss = -logp[np.arange(len(ev["y"])), np.array(ev["y"], dtype=int)].mean()
            assert abs(loss - ev["loss"]) < 1e-9, (loss, ev["loss"])
            root.screenshot(path=str(tmp_path / "lab-trainer.png"))
            print(f"\nJupyterLab: {LAB_STEPS} steps in the page; the kernel's numpy loss {loss:.6f} equals the page's")
            assert not [e for e in errors if "gt-" in e or "trainer" in e.lower()], errors
        except Exception:
            page.screenshot(path=str(tmp_path / "lab-failure.png"), full_page=True)
            raise
        finally:
            page.close()
