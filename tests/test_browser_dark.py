"""Browser tests of the built book as a reader meets it in dark mode, on a phone and in the solutions.

The book is read from ``$COURSE_BOOK_HTML`` (default ``_build/html``, which ``make book`` writes) and
driven with Debian's chromium through Playwright (never ``playwright install``). Locally a missing
browser, book or page skips; under ``CI=true`` it fails.

- Dark mode (``prefers-color-scheme: dark``, so the theme sets ``html[data-theme="dark"]``): axe-core
  finds 0 critical and 0 serious violations on the pages with widgets (chapters 3, 4, 22) and with
  output tables (chapters 8, 17, 18) and on a Practice page with checker outputs.
- A click on the words of a solution's title ("Solution to Exercise (…)") opens its drop-down: no
  page error, no jump to the exercise.
- At 1280 px the code boxes of opened solutions are not cut (``scrollWidth <= clientWidth``), also for
  a line of 88 characters, the longest the notebook linter allows.
- At 390 px (a phone) no display equation and no table is wider than its box, except the ones in
  ``PHONE_EXEMPT`` (with the reason) and tables the page marks as scrolling (``gc-scrolls``).
- The quiz's question is body text, not a 24 px heading.

``$COURSE_DARK_PAGES`` (comma-separated paths under the book) replaces the list of dark-mode pages,
for a small test book. Screenshots at 1280 and 390 px, light and dark, go to
``<book>/../screenshots/reader/``.
"""

from __future__ import annotations

import os

import pytest
import test_browser_layout
from test_browser import BOOK, book_pages, require
from test_browser_layout import AXE, SETTLE

pytestmark = pytest.mark.browser
# the layout tests' module fixtures (one Chromium, one server for the built book), not a copy
browser, server = test_browser_layout.browser, test_browser_layout.server

SHOTS = BOOK.parent / "screenshots" / "reader"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DARK_PAGES = tuple(p for p in os.environ.get("COURSE_DARK_PAGES", "").split(",") if p) or (
    "chapters/03_keras_example.html", "chapters/04_gate_intuition.html", "chapters/22_parallel_mingru.html",
    "chapters/08_gru_vs_lstm.html", "chapters/17_seq2seq_attention.html", "chapters/18_char_language_model.html",
    "solutions/05_parallel_scan.html")
# Display equations or tables that may still scroll sideways on a phone: {page: reason}.
PHONE_EXEMPT: dict[str, str] = {}


def open_page(browser, url: str, *, scheme: str = "light", viewport=DESKTOP):
    """A fresh page (no stored theme) at ``url`` in the given colour scheme, widgets and math settled."""
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, wait_until="load")
    page.evaluate(SETTLE)
    return context, page, errors


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


AXE_SERIOUS = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] });
  return r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id} (${v.nodes.length} nodes), e.g. ${v.nodes.slice(0, 3)
      .map((n) => n.target.join(' ') + ': ' + ((n.any[0] || {}).message || '')).join(' | ')}`);
}"""


@pytest.mark.parametrize("path", DARK_PAGES)
def test_dark_mode_has_no_serious_axe_violations(browser, server, path):
    require((BOOK / path).exists(), f"{BOOK / path} is missing: build the whole book (make book)")
    name = path.replace("/", "_").removesuffix(".html")
    for scheme in ("dark", "light"):
        for size, viewport in (("1280", DESKTOP), ("390", PHONE)):
            context, page, _ = open_page(browser, f"{server}/{path}", scheme=scheme, viewport=viewport)
            try:
                assert page.evaluate("document.documentElement.dataset.theme") == scheme
                shoot(page, f"{name}-{scheme}-{size}")
                if scheme == "dark" and size == "1280":
                    page.add_script_tag(path=str(AXE))
                    found = page.evaluate(AXE_SERIOUS)
                    assert not found, f"{path} in dark mode:\n" + "\n".join(found)
            finally:
                context.close()


SOLUTION_STATE = """(i) => {
  const box = document.querySelectorAll('div.solution.dropdown')[i];
  const content = box.querySelector(':scope > section, :scope > .cell, :scope > p:not(.admonition-title)');
  return { hidden: box.classList.contains('toggle-hidden'),
           shown: !!content && content.getBoundingClientRect().height > 0,
           expanded: box.querySelector('.toggle-button').getAttribute('aria-expanded') };
}"""

# Where the words "Exercise (" of solution i's title are on screen (a real click on the words).
TITLE_WORDS = """(i) => {
  const title = document.querySelectorAll('div.solution.dropdown')[i].querySelector('.admonition-title');
  title.scrollIntoView({ block: 'center' });
  const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.textContent.indexOf('Exercise');
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, Math.min(node.textContent.length, at + 8));
    const r = range.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  }
  return null;
}"""


def solution_pages() -> list[str]:
    return [p for p in book_pages() if p.startswith("solutions/") and p != "solutions/index.html"]


def test_click_on_solution_title_opens_it(browser, server):
    pages = solution_pages()
    require(bool(pages), f"no Practice pages with solutions in {BOOK}: run `make book`")
    opened, problems = 0, []
    for path in pages:
        context, page, errors = open_page(browser, f"{server}/{path}")
        try:
            n = page.locator("div.solution.dropdown").count()
            for i in range(n):
                before = page.evaluate(SOLUTION_STATE, i)
                if not before["hidden"]:
                    problems.append(f"{path} solution {i + 1}: shown before any click")
                    continue
                url = page.url
                spot = page.evaluate(TITLE_WORDS, i)
                if spot is None:
                    problems.append(f"{path} solution {i + 1}: no 'Exercise' in its title")
                    continue
                page.mouse.click(spot["x"], spot["y"])
                page.wait_for_timeout(100)
                after = page.evaluate(SOLUTION_STATE, i)
                if after["hidden"] or not after["shown"] or after["expanded"] != "true":
                    problems.append(f"{path} solution {i + 1}: a click on its title left it closed {after}")
                elif page.url != url:
                    problems.append(f"{path} solution {i + 1}: the click jumped to {page.url}")
                else:
                    opened += 1
            problems += [f"{path}: {e}" for e in errors]
        finally:
            context.close()
    print(f"\n{opened} solutions opened by a click on their title on {len(pages)} pages")
    assert opened > 0 and not problems, "\n".join(problems)


CUT_SOLUTION_CODE = """() => {
  document.querySelectorAll('div.solution.dropdown.toggle-hidden .toggle-button').forEach((b) => b.click());
  const cut = [];
  const boxes = [...document.querySelectorAll('div.solution.dropdown pre')];
  for (const pre of boxes) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      cut.push(`${pre.scrollWidth}>${pre.clientWidth}px "${pre.innerText.split('\\n')[0].slice(0, 50)}"`);
    }
  }
  // The longest line the notebook linter allows (88 characters) must fit a solution's code box too.
  const code = document.querySelector('div.solution.dropdown div.highlight pre');
  let longest = null;
  if (code) {
    const probe = code.cloneNode(false);
    probe.textContent = '#'.repeat(88);
    code.parentElement.appendChild(probe);
    longest = { scroll: probe.scrollWidth, client: probe.clientWidth };
    probe.remove();
  }
  return { n: boxes.length, cut, longest };
}"""


def test_code_in_opened_solutions_is_not_cut(browser, server):
    pages = solution_pages()
    require(bool(pages), f"no Practice pages with solutions in {BOOK}: run `make book`")
    problems, checked = [], 0
    for path in pages:
        context, page, _ = open_page(browser, f"{server}/{path}")
        try:
            found = page.evaluate(CUT_SOLUTION_CODE)
            checked += found["n"]
            problems += [f"{path}: {c}" for c in found["cut"]]
            longest = found["longest"]
            if longest and longest["scroll"] > longest["client"] + 1:
                problems.append(f"{path}: an 88-character line needs {longest['scroll']} px in a "
                                f"{longest['client']} px solution code box")
        finally:
            context.close()
    print(f"\n{checked} code boxes in opened solutions on {len(pages)} pages")
    assert checked > 0 and not problems, "\n".join(problems)


WIDE_ON_PHONE = """() => {
  const wide = [];
  const describe = (e) => (e.innerText || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
  for (const box of document.querySelectorAll('main div.math, main mjx-container[display="true"]')) {
    if (box.clientWidth === 0 || box.closest('.gc-scrolls')) continue;
    if (box.scrollWidth > box.clientWidth + 1) {
      wide.push(`equation ${box.scrollWidth}>${box.clientWidth}px "${describe(box)}"`);
    }
  }
  // an inline formula cannot wrap: wider than its line, it is cut off or pushes the text sideways
  for (const m of document.querySelectorAll('main mjx-container:not([display="true"])')) {
    if (m.closest('table, pre, .gc-scrolls')) continue;
    const line = m.closest('p, li, dd, div');
    const width = m.getBoundingClientRect().width;
    if (line && line.clientWidth > 0 && width > line.clientWidth + 1) {
      wide.push(`inline formula ${Math.round(width)}>${line.clientWidth}px "${describe(m)}"`);
    }
  }
  for (const table of document.querySelectorAll('main table')) {
    if (table.closest('.gc-scrolls') || table.closest('.gw-root, .aw-root, .ac-root, .gt-root')) continue;
    const box = table.closest('.pst-scrollable-table-container, .output, .cell_output, section') || table.parentElement;
    const width = table.getBoundingClientRect().width;
    if (width > box.clientWidth + 1 || box.scrollWidth > box.clientWidth + 1) {
      wide.push(`table ${Math.round(width)}>${box.clientWidth}px "${describe(table)}"`);
    }
  }
  return wide;
}"""


def test_equations_and_tables_fit_a_phone(browser, server):
    pages = [p for p in book_pages() if p.startswith(("chapters/", "solutions/")) or p == "intro.html"]
    require(bool(pages), f"no chapter pages in {BOOK}: run `make book`")
    problems = []
    for path in pages:
        context, page, _ = open_page(browser, f"{server}/{path}", viewport=PHONE)
        try:
            wide = page.evaluate(WIDE_ON_PHONE)
            if wide and path not in PHONE_EXEMPT:
                problems += [f"{path}: {w}" for w in wide]
            elif wide:
                print(f"{path} (exempt: {PHONE_EXEMPT[path]}): {wide}")
        finally:
            context.close()
    assert not problems, "at 390 px these scroll sideways inside their box:\n" + "\n".join(problems)


QUIZ_SIZES = """() => {
  const body = parseFloat(getComputedStyle(document.querySelector('.bd-article') || document.body).fontSize);
  return [...document.querySelectorAll('.gq-prompt')].map((q) => ({
    size: parseFloat(getComputedStyle(q).fontSize), body }));
}"""


def test_quiz_question_is_body_text(browser, server):
    pages = [p for p in book_pages() if "grucourse.widgets.quiz" in (BOOK / p).read_text(errors="ignore")
             or "gq-quiz" in (BOOK / p).read_text(errors="ignore")]
    require(bool(pages), f"no page with a quiz in {BOOK}: run `make book`")
    for path in pages:
        context, page, _ = open_page(browser, f"{server}/{path}")
        try:
            page.wait_for_selector(".gq-prompt", timeout=15_000)
            for q in page.evaluate(QUIZ_SIZES):
                assert q["size"] <= q["body"] * 1.05, f"{path}: quiz question at {q['size']} px, body {q['body']} px"
        finally:
            context.close()
