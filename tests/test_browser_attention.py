"""Browser test of chapter 15's attention animator on the built book page (offline, no kernel).

The widget must draw from the weights saved in the page, step forward and back, and play: at each
step the source tokens are shaded by that step's row of weights and the readout names its peak.
"""

from __future__ import annotations

import json

import pytest
from test_browser import BOOK, PageWatch, book_server, browser_context, require  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

PAGE = "chapters/17_seq2seq_attention.html"
SAVED = """() => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]')]
  .flatMap(s => Object.values(JSON.parse(s.textContent).state))
  .filter(m => m.state && m.state.data && m.state.data.weights).map(m => m.state.data)"""


def test_attention_animator_steps_and_plays(browser_context, book_server, tmp_path):  # noqa: F811
    require((BOOK / PAGE).exists(), f"{BOOK / PAGE} is missing: run `make book`")
    page = browser_context.new_page()
    watch = PageWatch(page)
    try:
        page.goto(f"{book_server}/{PAGE}", wait_until="load")
        saved = page.evaluate(SAVED)
        assert len(saved) == 1, f"the chapter should hold one attention animator, its state holds {len(saved)}"
        data = saved[0]
        root = page.locator(".aw-root")
        root.wait_for(state="attached", timeout=20_000)
        page.wait_for_function("() => document.querySelector('.aw-root').dataset.ready === 'true'", timeout=20_000)
        assert page.locator(".aw-message").count() == 0, page.locator(".aw-message").first.inner_text()
        assert root.locator(".aw-table tr").count() == len(data["output"]) + 1  # a header row, then one per step

        def shown_row():
            return [float(c.get_attribute("data-w")) for c in root.locator(".aw-strips .aw-tokens").first
                    .locator(".aw-token").all()]

        forward = root.get_by_role("button", name="step forward")
        for t in range(3):
            assert root.get_attribute("data-step") == str(t)
            assert shown_row() == data["weights"][t], f"step {t}: the source is not shaded by row {t}"
            row = data["weights"][t]
            j = row.index(max(row))
            readout = root.locator(".aw-readout").inner_text()
            assert f"looks most at source position {j + 1} ('{data['source'][j]}')" in readout, readout
            forward.click()
        root.get_by_role("button", name="first step").click()
        assert root.get_attribute("data-step") == "0"

        root.get_by_role("button", name="play / pause").click()
        page.wait_for_function("() => Number(document.querySelector('.aw-root').dataset.step) >= 2",
                               timeout=5_000)
        page.screenshot(path=str(tmp_path / "attention-1280.png"), full_page=False)
        exceptions = [e for e in watch.errors if e.startswith("exception")]
        assert not exceptions, exceptions
        print(f"\nattention animator: {len(data['output'])} steps x {len(data['source'])} source tokens, "
              f"{len(json.dumps(data)) / 1e3:.1f} kB of state")
    finally:
        page.close()
