"""Browser tests: the built book (offline, every page) and the gate chapter live in JupyterLab.

They drive Debian's chromium (``/usr/bin/chromium``) with Playwright for Python; nothing is
downloaded (never ``playwright install``). The book is read from ``$COURSE_BOOK_HTML``
(default ``_build/html``, which ``make book`` writes). Locally a missing browser or book skips
these tests; under ``CI=true`` it fails them. Screenshots of the widgets are saved under the
test's temporary folder (printed), which pytest keeps for the last three runs.
"""

from __future__ import annotations

import functools
import http.server
import os
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_support import jupyterlab_server, require

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
BOOK = Path(os.environ.get("COURSE_BOOK_HTML", ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
GATE_CHAPTER = ROOT / "chapters" / "04_gate_intuition.ipynb"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MAX_WIDGET_PAGE_BYTES = 3_000_000  # HTML + images of one page, without the shared _static/ files
LOCAL_HOSTS = {"127.0.0.1"}
SKIP_DIRS = {"_static", "_sources", "_images", "jupyter_execute", "_downloads"}


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1000})
        yield context
        context.close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the browser closing a connection early (BrokenPipeError) is not a test failure


@pytest.fixture(scope="module")
def book_server():
    require((BOOK / "index.html").exists() or (BOOK / "intro.html").exists(),
            f"no built book at {BOOK}: run `make book` (or set COURSE_BOOK_HTML)")
    server = QuietServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BOOK)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def book_pages() -> list[str]:
    if not BOOK.exists():
        return []
    return sorted(str(p.relative_to(BOOK)) for p in BOOK.rglob("*.html")
                  if not SKIP_DIRS & set(p.relative_to(BOOK).parts))


class PageWatch:
    """Console errors, uncaught exceptions, requests to other hosts and bytes loaded by one page."""

    def __init__(self, page):
        self.errors, self.external, self.bytes_own, self.bytes_static = [], [], 0, 0
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"exception: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", self._count)
        page.route("**/*", self._route)

    def _route(self, route):
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
            self.external.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def _count(self, response):
        try:
            size = len(response.body())
        except Exception:  # redirects and aborted requests have no body
            return
        if "/_static/" in response.url:
            self.bytes_static += size
        else:
            self.bytes_own += size


def frame_stats(page) -> str:
    ms = page.evaluate("globalThis.__gateWidgetFrameMs || []")
    if not ms:
        return "no frames recorded"
    return f"{len(ms)} frames, median {statistics.median(ms):.2f} ms, max {max(ms):.2f} ms"


def canvas_png(locator) -> str:
    return locator.evaluate("c => c.toDataURL()")


def check_animator(page, animator, shots: Path, name: str) -> str:
    """Press play: the step must advance and the drawn values (readout and canvas) must change."""
    animator.scroll_into_view_if_needed()
    last = int(animator.locator(".gw-slider").get_attribute("max"))
    if last < 1:
        return "a single step: nothing to play"
    before_text = animator.locator("table.gw-readout").inner_text()
    before_png = canvas_png(animator.locator("canvas.gw-canvas"))
    before_step = int(animator.get_attribute("data-step"))
    animator.locator(".gw-speed").select_option("20")
    animator.locator("button.gw-play").click()
    page.wait_for_function("([el, n]) => Number(el.dataset.step) >= n", arg=[animator.element_handle(), min(5, last)],
                           timeout=10_000)
    animator.locator("button.gw-play").click()  # pause
    animator.screenshot(path=str(shots / f"{name}-animator.png"))
    after_step = int(animator.get_attribute("data-step"))
    assert after_step > before_step, (before_step, after_step)
    assert animator.locator("table.gw-readout").inner_text() != before_text, "the readout did not change"
    assert canvas_png(animator.locator("canvas.gw-canvas")) != before_png, "the canvas did not change"
    return f"step {before_step} -> {after_step}"


def check_playground(page, playground, shots: Path, name: str) -> str:
    """Move the update-gate bias slider: the plot and the survival readout must change."""
    playground.scroll_into_view_if_needed()
    canvas = playground.locator("canvas.gw-canvas")
    before_png, before_text = canvas_png(canvas), playground.locator(".gw-survival").inner_text()
    slider = playground.locator("input.gw-param").first
    slider.evaluate("s => { s.value = String(Number(s.min) + 0.75 * (Number(s.max) - Number(s.min)));"
                    " s.dispatchEvent(new Event('input', {bubbles: true})); }")
    playground.screenshot(path=str(shots / f"{name}-playground.png"))
    assert canvas_png(canvas) != before_png, "moving a slider did not change the plot"
    after_text = playground.locator(".gw-survival").inner_text()
    assert after_text != before_text, "moving a slider did not change the readout"
    return after_text


def test_book_pages_offline(browser_context, book_server, tmp_path):
    """Every page: 0 console errors, 0 requests off 127.0.0.1, math typeset; widget pages animate."""
    pages = book_pages()
    require(bool(pages), f"no HTML pages under {BOOK}")
    print(f"\nscreenshots in {tmp_path}")
    problems, math_pages, widget_pages = [], 0, 0
    for rel in pages:
        page = browser_context.new_page()
        watch = PageWatch(page)
        name = rel.replace("/", "_").removesuffix(".html")
        try:
            page.goto(f"{book_server}/{rel}", wait_until="load")
            if page.locator("span.math, div.math").count():
                math_pages += 1
                page.wait_for_selector("mjx-container", state="attached", timeout=15_000)
            has_widgets = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count() > 0
            notes = []
            # every gate widget's model state names its class once: that many views must render
            expected = page.evaluate(
                "() => [...document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-state+json\"]')]"
                ".map(s => s.textContent).join('').split('grucourse.widgets.gate_animator.Gate').length - 1")
            if rel.endswith("04_gate_intuition.html"):
                assert expected >= 3, f"the gate chapter should hold 3 gate widgets, its state names {expected}"
            if has_widgets:
                widget_pages += 1
                page.wait_for_load_state("networkidle")
            if expected:
                page.wait_for_function(
                    "n => document.querySelectorAll('.gw-root').length >= n && [...document.querySelectorAll("
                    "'.gw-root')].every(r => r.dataset.ready === 'true' || r.querySelector('.gw-message'))",
                    arg=expected, timeout=30_000)
                assert page.locator(".gw-message").count() == 0, page.locator(".gw-message").first.inner_text()
                for i, animator in enumerate(page.locator(".gw-animator").all()):
                    notes.append(check_animator(page, animator, tmp_path, f"{name}-{i}"))
                for i, playground in enumerate(page.locator(".gw-playground").all()):
                    notes.append(check_playground(page, playground, tmp_path, f"{name}-{i}"))
                page.wait_for_timeout(300)
                notes.append(frame_stats(page))
                assert watch.bytes_own <= MAX_WIDGET_PAGE_BYTES, f"{rel} weighs {watch.bytes_own / 1e6:.2f} MB"
            page.wait_for_timeout(200)  # late console errors
            print(f"{rel}: {watch.bytes_own / 1e6:.2f} MB own + {watch.bytes_static / 1e6:.2f} MB _static; "
                  + "; ".join(notes))
            assert not watch.errors, watch.errors
            assert not watch.external, f"requests to other hosts: {watch.external}"
        except Exception as exc:  # collect every page's problem, then fail once
            page.screenshot(path=str(tmp_path / f"{name}-failure.png"), full_page=True)
            problems.append(f"{rel}: {exc}")
        finally:
            page.close()
    assert not problems, "\n".join(problems)
    assert math_pages > 0, "no page has math: MathJax was not checked"
    assert widget_pages > 0, "no page holds widgets: the gate chapter is missing from the book"


@pytest.fixture
def jupyterlab(tmp_path):
    require(GATE_CHAPTER.exists(), f"{GATE_CHAPTER} is missing")
    with jupyterlab_server(tmp_path, GATE_CHAPTER) as (base, work):
        yield base, work


CELL_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext || !w.sessionContext.session) return null;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return {
    status: w.sessionContext.session.kernel ? w.sessionContext.session.kernel.status : 'none',
    counts: cells.map(c => c.model.executionCount),
    errors: cells.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                  .map(o => o.ename + ': ' + o.evalue)),
  };
}"""


def test_gate_chapter_in_jupyterlab(browser_context, jupyterlab, tmp_path):
    """Open the gate chapter in JupyterLab, run all cells: no cell errors, the widgets render and animate."""
    base, _ = jupyterlab
    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    print(f"\nscreenshots in {tmp_path}")
    try:
        page.goto(f"{base}/lab/tree/{GATE_CHAPTER.name}", wait_until="load", timeout=60_000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=60_000)
        page.wait_for_function(f"() => {{ const s = ({CELL_STATE})(); return s && s.status === 'idle'; }}",
                               timeout=60_000)
        t0 = time.perf_counter()
        page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(
            f"() => {{ const s = ({CELL_STATE})(); return s && (s.errors.length > 0 ||"
            " (s.status === 'idle' && s.counts.every(c => c !== null))); }", timeout=240_000, polling=500)
        state = page.evaluate(CELL_STATE)
        print(f"all {len(state['counts'])} code cells ran in {time.perf_counter() - t0:.1f} s")
        assert not state["errors"], state["errors"]
        page.wait_for_selector(".gw-animator .gw-canvas", timeout=30_000)
        assert page.locator(".gw-animator").count() >= 2
        assert page.locator(".gw-playground").count() >= 1
        assert page.locator(".gw-message").count() == 0
        print(check_animator(page, page.locator(".gw-animator").first, tmp_path, "lab-0"))
        print(check_playground(page, page.locator(".gw-playground").first, tmp_path, "lab-0"))
        print(frame_stats(page))
        widget_errors = [e for e in errors if "gw-" in e or "gate" in e.lower()]
        assert not widget_errors, widget_errors
    except Exception:
        page.screenshot(path=str(tmp_path / "lab-failure.png"), full_page=True)
        raise
    finally:
        page.close()


FAKE_MODEL = """async ([source, states]) => {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const widget = (await import(url)).default;
  const models = states.map((state) => {
    const listeners = {};
    return {
      get: (k) => state[k], set: (k, v) => { state[k] = v; }, save_changes: () => {},
      on: (e, f) => { listeners[e] = f; }, off: (e) => { delete listeners[e]; },
    };
  });
  for (const model of models) {
    const host = document.createElement("div");
    document.body.appendChild(host);
    widget.render({ model, el: host });
  }
  return document.querySelectorAll(".gw-root").length;
}"""


def test_widget_frames_and_messages_in_the_browser(browser_context, tmp_path):
    """The widget JS alone in a blank page: a T=200, u=16 animator plays (frame times printed),
    hovering reads a value, and malformed data shows a message instead of a blank widget."""
    from grucourse.core.gru import init_gru_params
    from grucourse.widgets.gate_animator import gate_animator, gate_playground

    import numpy as np

    rng = np.random.default_rng(0)
    big = gate_animator(init_gru_params(8, 16, rng), rng.normal(size=(200, 8)), title="T=200, u=16")
    play = gate_playground()
    states = [
        {"kind": "animator", "data": big.data, "step": 0, "title": big.title},
        {"kind": "animator", "data": {"T": 0, "units": [0]}, "step": 0, "title": "empty"},
        {"kind": "animator", "data": {}, "step": 0, "title": "no data"},
        {"kind": "playground", "params": {}, "controls": [], "sequence": {}, "title": "no params"},
        {"kind": "playground", "params": play.params, "controls": play.controls, "sequence": play.sequence,
         "title": "playground"},
        {"kind": "something else"},
    ]
    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        page.set_content(f"<html><head><style>{big._css}</style></head><body></body></html>")
        assert page.evaluate(FAKE_MODEL, [big._esm, states]) == len(states)
        messages = page.locator(".gw-message").all_inner_texts()
        print("\nmessages:", *messages, sep="\n  ")
        assert len(messages) == 4, messages
        assert "empty" in messages[0] and "no gate values" in messages[1] and "W_z" in messages[2]
        assert "Unknown gate widget kind" in messages[3]
        animator = page.locator(".gw-animator").first
        page.evaluate("globalThis.__gateWidgetFrameMs = []")
        print(check_animator(page, animator, tmp_path, "blank-T200-u16"))
        canvas = animator.locator("canvas.gw-canvas")
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + int(canvas.get_attribute("data-plot-left")) + 30, box["y"] + 60)
        assert "t = " in animator.locator(".gw-hover").inner_text()
        print(f"T=200, u=16 animator: first render {animator.get_attribute('data-render-ms')} ms; "
              f"{frame_stats(page)}")
        page.evaluate("globalThis.__gateWidgetFrameMs = []")
        check_playground(page, page.locator(".gw-playground", has=page.locator("canvas")), tmp_path, "blank")
        print("playground (two GRU runs + plot per slider move):", frame_stats(page))
        assert not errors, errors
    except Exception:
        page.screenshot(path=str(tmp_path / "blank-failure.png"), full_page=True)
        raise
    finally:
        page.close()
