"""Browser test of the live autocomplete on the built book page (offline, no kernel).

Types a string into the chapter's widget and checks, keystroke by keystroke, that the suggestions
change and equal the numpy run of the weights saved in the page (to 1e-5); prints the work per
keystroke (asserted <= 16 ms, one frame at 60 Hz) and the page weight (asserted <= 5 MB); saves
screenshots at 1280x900 and 390x844 and checks that the phone view does not scroll sideways.
"""

from __future__ import annotations

import json
import statistics

from grucourse.autocomplete import reference_run, top_k

import numpy as np
import pytest
from test_browser import BOOK, PageWatch, book_server, browser_context, require  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

PAGE = "chapters/16_char_language_model.html"
TYPED = "the function retu"
MAX_FRAME_MS = 16.0
MAX_PAGE_BYTES = 5_000_000

SUGGESTIONS = """root => [...root.querySelectorAll('.ac-sugrow')].filter(b => !b.hidden)
  .map(b => [b.dataset.char, Number(b.dataset.p)])"""

STATE = """() => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]')]
  .map(s => s.textContent)"""


def saved_payload(page) -> dict:
    """The autocomplete's weights as saved in the page's widget state."""
    for text in page.evaluate(STATE):
        for model in json.loads(text)["state"].values():
            lm = model.get("state", {}).get("lm")
            if lm:
                return lm
    raise AssertionError("no autocomplete state in the page")


def test_autocomplete_in_the_book(browser_context, book_server, tmp_path):  # noqa: F811
    require((BOOK / PAGE).exists(), f"{BOOK / PAGE} is missing: build the book with the chapter executed")
    page = browser_context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    watch = PageWatch(page)
    print(f"\nscreenshots in {tmp_path}")
    try:
        page.goto(f"{book_server}/{PAGE}", wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_selector(".ac-root[data-ready='true']", timeout=30_000)
        assert page.locator(".ac-message").count() == 0, page.locator(".ac-message").first.inner_text()
        root = page.locator(".ac-root").first
        payload = saved_payload(page)
        alphabet = payload["alphabet"]
        u = len(payload["gru"]["b_z"])
        root.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "desktop-1280x900.png"))
        root.screenshot(path=str(tmp_path / "widget-initial.png"))

        box = root.locator("input.ac-input")
        root.locator("button.ac-btn").click()  # clear
        assert root.locator(".ac-sugrow:not([hidden])").count() == 0
        page.evaluate("globalThis.__autocompleteFrameMs = []")
        seen, worst = [], 0.0
        for i, ch in enumerate(TYPED):
            box.press(ch if ch != " " else "Space")
            got = root.evaluate(SUGGESTIONS)
            want = top_k(reference_run(payload, TYPED[: i + 1])["probs"][-1], alphabet, 5)
            assert [c for c, _ in got] == [c for c, _ in want], (TYPED[: i + 1], got, want)
            worst = max(worst, max(abs(g - w) for (_, g), (_, w) in zip(got, want, strict=True)))
            seen.append(tuple(c for c, _ in got))
        assert worst < 1e-5, worst
        assert len(set(seen)) >= len(TYPED) // 3, f"the suggestions hardly changed: {seen}"
        assert root.get_attribute("data-text") == TYPED
        z_title = root.locator(".ac-gatebox").first.locator(".ac-cell").last.get_attribute("title")
        assert z_title.startswith(f"unit {u - 1}, 'u'"), z_title  # the newest column is the last typed letter
        ms = page.evaluate("globalThis.__autocompleteFrameMs")
        assert len(ms) == len(TYPED)
        print(f"typed {TYPED!r}: suggestions equal numpy to {worst:.1e}; {len(set(seen))} different top-5 lists")
        print(f"work per keystroke (GRU step + redraw, u = {u}): median {statistics.median(ms):.2f} ms, "
              f"max {max(ms):.2f} ms")
        print("per keystroke (ms):", [round(v, 2) for v in ms])
        assert max(ms) <= MAX_FRAME_MS, ms

        root.locator(".ac-sugrow").first.click()  # clicking a suggestion types it
        assert root.get_attribute("data-text") == TYPED + seen[-1][0]
        root.screenshot(path=str(tmp_path / "widget-typed.png"))

        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        root.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "phone-390x844.png"))
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        right = root.evaluate("r => r.getBoundingClientRect().right")
        assert overflow <= 0 and right <= 390, (overflow, right)

        total = watch.bytes_own + watch.bytes_static
        print(f"page weight {total / 1e6:.2f} MB ({watch.bytes_own / 1e6:.2f} MB page + "
              f"{watch.bytes_static / 1e6:.2f} MB shared _static); "
              f"weights in the state {len(json.dumps(payload)) / 1e3:.1f} kB")
        assert watch.bytes_own <= MAX_PAGE_BYTES
        # Failed requests and console errors of the shared book files are checked page by page in
        # tests/test_browser.py; here, no uncaught exception (the widget's JavaScript must never throw).
        exceptions = [e for e in watch.errors if e.startswith("exception")]
        assert not exceptions, exceptions
        if len(exceptions) < len(watch.errors):
            print("other page errors (see tests/test_browser.py):", *watch.errors, sep="\n  ")
        assert not watch.external, f"requests to other hosts: {watch.external}"
    except Exception:
        page.screenshot(path=str(tmp_path / "autocomplete-failure.png"), full_page=True)
        raise
    finally:
        page.close()


def test_reference_top_k_is_numpy():
    """The expected suggestions come from numpy, not from the JavaScript under test."""
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(5))
    assert [c for c, _ in top_k(probs, "abcde", 2)] == ["abcde"[i] for i in np.argsort(-probs)[:2]]
