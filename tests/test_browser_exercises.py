"""Browser tests for the Practice part: in the built book the quiz answers clicks offline and the
solutions open from collapsed drop-downs; in JupyterLab a learner runs an exercise notebook, sees
"Not attempted", writes an answer, checks it and asks for a hint and the solution.

Like tests/test_browser.py they drive Debian's chromium with Playwright for Python (nothing is
downloaded) and read the book from ``$COURSE_BOOK_HTML`` (default ``_build/html``). Locally a missing
browser or book skips them; under ``CI=true`` they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_support import jupyterlab_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
BOOK = Path(os.environ.get("COURSE_BOOK_HTML", ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")


def require(condition: bool, message: str) -> None:
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the whole module (Playwright's sync API allows one running instance)."""
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def page_at(browser):
    """Open a page of the built book; returns (open_page, list of requests that left 127.0.0.1)."""
    require((BOOK / "solutions" / "01_reader_tasks.html").exists(), f"no Practice pages in {BOOK}: run `make book`")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BOOK)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    outside: list[str] = []

    def open_page(path: str):
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("request", lambda r: outside.append(r.url)
                if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:") else None)
        page.goto(f"{base}/{path}", wait_until="load")
        return page

    yield open_page, outside
    server.shutdown()


def test_quiz_gives_feedback_offline(page_at):
    open_page, outside = page_at
    page = open_page("solutions/01_reader_tasks.html")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.wait_for_selector(".gq-question", timeout=20000)
    assert page.locator(".gq-question").count() >= 5, "the gate quiz should render its questions"
    assert page.locator(".gq-question sub").count() >= 3, "the quiz's formulas should be typeset (subscripts)"

    def feedback():
        return [f.inner_text() for f in page.locator(".gq-feedback").all() if f.inner_text().strip()]

    page.locator(".gq-option", has_text="kept almost unchanged").first.click()
    assert any(t.startswith("Right") for t in feedback()), feedback()
    page.locator(".gq-option", has_text="erased the memory").first.click()
    assert any("cannot erase" in t for t in feedback()), feedback()
    assert page.locator(".gq-feedback.gq-incorrect").count() >= 1
    assert not errors, errors
    assert not outside, f"the page loaded resources from the internet: {outside[:5]}"


def test_solutions_are_collapsed_until_opened(page_at):
    open_page, outside = page_at
    page = open_page("solutions/02_gru_by_hand.html")
    solution = page.locator("div.solution.dropdown", has_text="One GRU step in numpy").first
    code = solution.locator("text=reset gate").first
    page.wait_for_selector("div.solution.dropdown button.toggle-button")
    assert not code.is_visible(), "the solution should start collapsed"
    solution.locator("button.toggle-button").first.click()
    code.wait_for(state="visible", timeout=5000)
    assert not outside, f"the page loaded resources from the internet: {outside[:5]}"


def test_exercise_pages_show_stubs_and_not_attempted(page_at):
    open_page, _ = page_at
    page = open_page("exercises/02_gru_by_hand.html")
    body = page.locator("article").inner_text()
    assert "NotImplementedError" in body and "Not attempted" in body
    assert "Solution to" not in body and "BEGIN SOLUTION" not in body


EXERCISE = ROOT / "exercises" / "03_gates_by_design.ipynb"


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on a copy of one exercise notebook (Lab must never autosave into the repository)."""
    with jupyterlab_server(tmp_path, EXERCISE) as (base, _):
        yield base


NOTEBOOK_STATE = """() => {
  if (!window.jupyterapp) return null;  // Lab has not started yet: not an error, just not ready
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.sessionContext.session) return null;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const text = (o) => o.text ? [].concat(o.text).join('') :
                      (o.data && o.data['text/plain'] ? [].concat(o.data['text/plain']).join('') : '');
  return {
    status: w.sessionContext.session.kernel ? w.sessionContext.session.kernel.status : 'none',
    counts: cells.map(c => c.model.executionCount),
    errors: cells.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                  .map(o => o.ename + ': ' + o.evalue)),
    outputs: cells.map(c => c.model.outputs.toJSON().map(text).join('\\n')),
    sources: cells.map(c => c.model.sharedModel.getSource()),
  };
}"""

# What a learner types: the carry answer, and the hint/solution lines uncommented.
SET_SOURCES = """([answer]) => {
  const w = window.jupyterapp.shell.currentWidget;
  for (const c of w.content.widgets.filter(c => c.model.type === 'code')) {
    const src = c.model.sharedModel.getSource();
    if (src.includes('carry_params = None')) c.model.sharedModel.setSource(answer);
    if (src.startsWith('# Stuck?') && src.includes('ex_carry')) {
      c.model.sharedModel.setSource('ex_carry.hint()\\nex_carry.solution()');
    }
  }
}"""


def run_all(page, timeout=180_000):
    page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"() => {{ const s = ({NOTEBOOK_STATE})(); return s && (s.errors.length > 0 ||"
        " (s.status === 'idle' && s.counts.every(c => c !== null))); }", timeout=timeout, polling=500)
    return page.evaluate(NOTEBOOK_STATE)


def test_a_learner_works_an_exercise_in_jupyterlab(browser, jupyterlab, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{jupyterlab}/lab/tree/{EXERCISE.name}", wait_until="load", timeout=60_000)
        page.wait_for_function(f"() => {{ const s = ({NOTEBOOK_STATE})(); return s && s.status === 'idle'; }}",
                               timeout=60_000)
        state = run_all(page)
        assert not state["errors"], state["errors"]
        verdicts = [o for o in state["outputs"] if o.startswith(("Correct", "Incorrect", "Not attempted"))]
        assert len(verdicts) == 3 and all(v.startswith("Not attempted") for v in verdicts), verdicts

        page.evaluate(SET_SOURCES, ["carry_params = one_unit_gru(b_z=-12.0)"])
        page.evaluate("void window.jupyterapp.commands.execute('kernelmenu:restart-and-clear')")
        state = run_all(page)
        assert not state["errors"], state["errors"]
        text = "\n".join(state["outputs"])
        assert "Correct: after 50 noisy steps" in text
        assert "Hint (hint 1 of 2" in text and "Solution:" in text and "one_unit_gru(b_z=-10.0)" in text
        assert text.count("Not attempted") == 2  # the two exercises still untouched
    except Exception:
        page.screenshot(path=str(tmp_path / "lab-failure.png"), full_page=True)
        raise
    finally:
        page.close()
