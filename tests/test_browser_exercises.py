"""Browser tests for the Practice pages of the built book: the quiz answers clicks offline and the
solutions open from collapsed drop-downs.

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
def page_at(tmp_path_factory):
    """Open a page of the built book; returns (page, list of requests that left 127.0.0.1)."""
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium`")
    require((BOOK / "solutions" / "01_reader_tasks.html").exists(), f"no Practice pages in {BOOK}: run `make book`")
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(BOOK)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        outside: list[str] = []

        def open_page(path: str):
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("request", lambda r: outside.append(r.url)
                    if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith("data:") else None)
            page.goto(f"{base}/{path}", wait_until="load")
            return page

        yield open_page, outside
        browser.close()
    server.shutdown()


def test_quiz_gives_feedback_offline(page_at):
    open_page, outside = page_at
    page = open_page("solutions/01_reader_tasks.html")
    assert page.locator(".MultipleChoiceQn").count() >= 5, "the gate quiz should render its questions"

    def feedback():
        return [f.inner_text() for f in page.locator(".Feedback").all() if f.inner_text().strip()]

    page.locator(".MCButton", has_text="kept almost unchanged").first.click()
    assert any(t.startswith("Right") for t in feedback()), feedback()
    page.locator(".MCButton", has_text="erased the memory").first.click()
    assert any("cannot erase" in t for t in feedback()), feedback()
    assert page.locator(".Feedback.incorrect").count() >= 1
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
