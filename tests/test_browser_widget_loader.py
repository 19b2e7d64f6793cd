"""Browser test of the book's widget loader, ``tools/book_static/course-widgets.js``, on a made-up page.

The book's own pages (tests/test_browser.py, test_browser_autocomplete.py) show that the course's
widgets draw and animate; this test pins down the loader's contract on states we control: an
anywidget draws from its saved state and its model's ``set`` fires ``change:`` listeners; a widget
that is not an anywidget, and one whose module throws, each get a visible note, never a blank gap.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_browser import browser_context  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

LOADER = Path(__file__).resolve().parent.parent / "tools" / "book_static" / "course-widgets.js"
ORIGIN = "http://course.test"

GOOD_ESM = """
export default {
  render({ model, el }) {
    const p = document.createElement("p");
    p.className = "greeting";
    const draw = () => { p.textContent = `${model.get("word")} x${model.get("count")}`; };
    model.on("change:count", draw);
    draw();
    el.appendChild(p);
    el.querySelector("p").addEventListener("click", () => {
      model.set("count", model.get("count") + 1);
      model.save_changes();
    });
  },
};
"""
BAD_ESM = 'export default { render() { throw new Error("no canvas here"); } };'


def anywidget_state(esm: str, **traits) -> dict:
    return {"model_name": "AnyModel", "model_module": "anywidget", "model_module_version": "~0.11.*",
            "state": {"_esm": esm, "_css": ".greeting { color: rgb(0, 114, 178); }", **traits}}


def page_html() -> str:
    state = {"state": {
        "good": anywidget_state(GOOD_ESM, word="hello", count=1),
        "bad": anywidget_state(BAD_ESM),
        "slider": {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls",
                   "model_module_version": "2.0.0", "state": {"value": 3}},
    }, "version_major": 2, "version_minor": 0}
    views = "".join(
        f'<div id="out-{i}"><script type="application/vnd.jupyter.widget-view+json">'
        f'{json.dumps({"model_id": i, "version_major": 2, "version_minor": 1})}</script></div>'
        for i in ("good", "bad", "slider"))
    return (f'<!doctype html><html><head><script src="/course-widgets.js"></script></head><body>{views}'
            f'<script type="application/vnd.jupyter.widget-state+json">{json.dumps(state)}</script>'
            "</body></html>")


def test_loader_draws_anywidgets_and_explains_the_rest(browser_context):  # noqa: F811 - fixture
    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route(f"{ORIGIN}/", lambda route: route.fulfill(body=page_html(), content_type="text/html"))
    page.route(f"{ORIGIN}/course-widgets.js",
               lambda route: route.fulfill(body=LOADER.read_text(), content_type="text/javascript"))
    try:
        page.goto(f"{ORIGIN}/")
        page.wait_for_function("() => document.documentElement.dataset.courseWidgets", timeout=10_000)
        assert page.evaluate("() => document.documentElement.dataset.courseWidgets") == "rendered 1, failed 2"

        greeting = page.locator("#out-good .course-widget .greeting")
        assert greeting.inner_text() == "hello x1", "the anywidget should draw from its saved state"
        assert greeting.evaluate("p => getComputedStyle(p).color") == "rgb(0, 114, 178)", "its _css is applied"
        greeting.click()
        assert greeting.inner_text() == "hello x2", "model.set should fire the change: listener"

        bad = page.locator("#out-bad .course-widget-note").inner_text()
        assert "failed to draw" in bad and "no canvas here" in bad, bad
        slider = page.locator("#out-slider .course-widget-note").inner_text()
        assert "needs a running Python kernel" in slider and "JupyterLab" in slider, slider
        assert not errors, errors  # a failing widget is reported on the page, not thrown
    finally:
        page.close()
