"""Browser tests of the built book's layout: nothing cut off, phone-usable widgets, accessible pages.

For every page of the book (read from ``$COURSE_BOOK_HTML``, default ``_build/html``):

- at 1280 x 900 no code block, output, table, display equation or widget is wider than its box
  (``scrollWidth > clientWidth + 1``), except inside an element of class ``gc-scrolls``, which the
  page marks with a visible "scroll sideways" note (see :func:`grucourse.display.tables.show_table`);
- at 390 x 844 (a phone) the page does not scroll sideways and no widget or widget control lies
  outside the viewport or scrolls inside its box;
- axe-core (npm, pinned by ``package-lock.json``) finds 0 critical and 0 serious violations;
- the bytes one page loads (HTML, scripts, styles, fonts, images; cache off) stay under a budget.

Screenshots of chapters 3 and 17 at both sizes are written to ``<book>/../screenshots/`` (that is
``_build/screenshots/`` after ``make book``). Every measurement is printed, the test fails once at
the end with the list of all problems.
"""

from __future__ import annotations

import collections
import functools
import threading
from pathlib import Path

import pytest
from test_browser import BOOK, CHROMIUM, CHROMIUM_ARGS, Quiet, QuietServer, book_pages, require

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = BOOK.parent / "screenshots"
SCREENSHOT_PAGES = ("chapters/04_gate_intuition.html", "chapters/19_efficiency.html")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MAX_PAGE_BYTES = 3_000_000  # everything one page loads, without widgets
MAX_WIDGET_PAGE_BYTES = 5_000_000  # with widgets: the course's 5 kB loader, no 3.6 MB widget manager

SETTLE = """async () => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });  // dropdowns, hidden cells
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const n = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]')]
    .map((s) => s.textContent).join('').split('grucourse.widgets.gate_animator.Gate').length - 1;
  const t0 = Date.now();
  while (Date.now() - t0 < 30000) {
    const roots = [...document.querySelectorAll('.gw-root')];
    if (roots.length >= n && roots.every((r) => r.dataset.ready === 'true' || r.querySelector('.gw-message'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
  return n;
}"""

# Elements whose content must fit their box at desktop width.
CUT_BLOCKS = """() => {
  const sel = ['pre', 'table', '.cell_output', '.cell_output .output', 'div.math',
               'mjx-container[display="true"]', '.pst-scrollable-table-container', '.gw-root'].join(', ');
  const main = document.querySelector('main') || document.body;
  const cut = [];
  let checked = 0;
  for (const e of main.querySelectorAll(sel)) {
    if (e.closest('.gc-scrolls') || e.clientWidth === 0) continue;
    checked += 1;
    if (e.scrollWidth > e.clientWidth + 1) {
      const text = (e.innerText || e.textContent || '').trim().split('\\n')[0].slice(0, 60);
      cut.push(`${e.tagName.toLowerCase()}.${[...e.classList].slice(0, 2).join('.')} `
               + `${e.scrollWidth}>${e.clientWidth}px "${text}"`);
    }
  }
  return { checked, cut };
}"""

# At phone width: the page does not scroll sideways; widgets and their controls lie in the viewport.
PHONE_PROBLEMS = """() => {
  const w = window.innerWidth;
  const problems = [];
  const page = document.documentElement.scrollWidth;
  if (page > w + 1) problems.push(`the page scrolls sideways (${page}px in a ${w}px screen)`);
  for (const root of document.querySelectorAll('.gw-root')) {
    if (root.scrollWidth > root.clientWidth + 1) {
      problems.push(`a widget scrolls inside its box (${root.scrollWidth}>${root.clientWidth}px)`);
    }
    const box = root.closest('.cell_output') || root.parentElement;
    if (box && box.scrollWidth > box.clientWidth + 1) {
      problems.push(`a widget's output box scrolls (${box.scrollWidth}>${box.clientWidth}px)`);
    }
    for (const c of root.querySelectorAll('button, input, select, canvas, table, label')) {
      const r = c.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < -1 || r.right > w + 1) {
        const name = c.getAttribute('aria-label') || c.textContent.trim().slice(0, 30) || c.className;
        problems.push(`${c.tagName.toLowerCase()} "${name}" lies at ${r.left.toFixed(0)}..${r.right.toFixed(0)}px`);
      }
    }
  }
  return problems;
}"""

AXE_RUN = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] });
  return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length,
                                     target: String(v.nodes[0] && v.nodes[0].target) }));
}"""


@pytest.fixture(scope="module")
def browser():
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server():
    require((BOOK / "index.html").exists() or (BOOK / "intro.html").exists(),
            f"no built book at {BOOK}: run `make book` (or set COURSE_BOOK_HTML)")
    httpd = QuietServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BOOK)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


PAGE_BYTES = """() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
  .reduce((sum, e) => sum + (e.decodedBodySize || 0), 0)"""


def open_page(context, url: str):
    """Open ``url`` with the cache off and let it settle; return ``(page, holds_widgets)``."""
    page = context.new_page()
    context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto(url, wait_until="load")
    widgets = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count() > 0
    if widgets:
        page.wait_for_load_state("networkidle")
    page.evaluate(SETTLE)
    return page, widgets


def pages_or_skip() -> list[str]:
    """Every page of the book except redirects (``index.html`` sends the reader to the first page)."""
    pages = [p for p in book_pages() if 'http-equiv="refresh"' not in (BOOK / p).read_text()[:2000].lower()]
    require(bool(pages), f"no HTML pages under {BOOK}")
    return pages


@pytest.fixture(scope="module")
def desktop(browser, server):
    """Load every page once at 1280 x 900: its cut blocks, its weight and (if present) axe's violations."""
    context = browser.new_context(viewport=DESKTOP)
    results = {}
    for rel in pages_or_skip():
        page, widgets = open_page(context, f"{server}/{rel}")
        try:
            found = page.evaluate(CUT_BLOCKS)
            loaded = page.evaluate(PAGE_BYTES)
            if rel in SCREENSHOT_PAGES:
                SHOTS.mkdir(parents=True, exist_ok=True)
                shot = SHOTS / f"{Path(rel).stem}-1280x900.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot {shot}")
            violations = None
            if AXE.exists():
                page.add_script_tag(path=str(AXE))
                violations = page.evaluate(AXE_RUN)
        finally:
            page.close()
        results[rel] = {"widgets": widgets, "checked": found["checked"], "cut": found["cut"], "bytes": loaded,
                        "violations": violations}
    context.close()
    return results


def test_nothing_cut_off_at_desktop_width(desktop):
    """1280 x 900: no block wider than its box, unless the page says that it scrolls."""
    problems = []
    for rel, r in desktop.items():
        print(f"{rel}: {r['checked']} blocks, {len(r['cut'])} cut")
        problems += [f"{rel}: cut {c}" for c in r["cut"]]
    print(f"cut blocks in all pages: {len(problems)}")
    assert not problems, "\n".join(problems)


def test_page_weight(desktop):
    """Everything one page loads (cache off): at most 3 MB, or 5 MB on a page with widgets."""
    problems = []
    for rel, r in desktop.items():
        budget = MAX_WIDGET_PAGE_BYTES if r["widgets"] else MAX_PAGE_BYTES
        print(f"{rel}: {r['bytes'] / 1e6:.2f} MB{' (widgets)' if r['widgets'] else ''}")
        if r["bytes"] > budget:
            problems.append(f"{rel}: loads {r['bytes'] / 1e6:.2f} MB, budget {budget / 1e6:.0f} MB")
    assert not problems, "\n".join(problems)


def test_widgets_fit_a_phone(browser, server):
    """390 x 844: no sideways page scroll; every widget and widget control inside the viewport."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    problems, widget_pages = [], 0
    for rel in pages_or_skip():
        page, _ = open_page(context, f"{server}/{rel}")
        try:
            found = page.evaluate(PHONE_PROBLEMS)
            widget_pages += page.locator(".gw-root").count() > 0
            problems += [f"{rel}: {p}" for p in found]
            if rel in SCREENSHOT_PAGES:
                SHOTS.mkdir(parents=True, exist_ok=True)
                shot = SHOTS / f"{Path(rel).stem}-390x844.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"\n  screenshot {shot}")
        finally:
            page.close()
    context.close()
    print(f"pages with gate widgets: {widget_pages}")
    assert not problems, "\n".join(problems)
    assert widget_pages > 0, "no page holds gate widgets: the phone layout of the widgets was not checked"


def test_axe_finds_no_serious_violations(desktop):
    """axe-core on every page: 0 critical and 0 serious violations (moderate and minor are printed)."""
    require(AXE.exists(), f"{AXE} is missing: run `make js` (npm ci installs axe-core from package-lock.json)")
    problems, by_impact = [], collections.Counter()
    for rel, r in desktop.items():
        violations = r["violations"]
        by_impact.update(v["impact"] for v in violations)
        print(f"{rel}: " + (", ".join(f"{v['id']} ({v['impact']}, {v['nodes']})" for v in violations) or "clean"))
        problems += [f"{rel}: {v['id']} ({v['impact']}) on {v['nodes']} nodes, e.g. {v['target']}"
                     for v in violations if v["impact"] in ("critical", "serious")]
    print("violations by impact over all pages:", dict(by_impact))
    assert not problems, "\n".join(problems)
