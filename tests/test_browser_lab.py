"""JupyterLab as a learner uses it, started with the same command line as `make lab` (tools/lab_command.py).

Through the UI: Lab lands on the first chapter; the file browser at the root lists chapters/, exercises/
and solutions/; an exercise opens from the file browser; jupyterlab-myst renders the MyST (no raw
`:::`, `{doc}`, `{dropdown}`, `{exercise}` or `(label)=` text); the Answers dropdown is closed until
clicked; a link to another notebook opens it in Lab; the quiz's math is typeset and a click gives
feedback; no page errors and no request to any host but 127.0.0.1.

Lab runs over a copy of the learner's folders (autosave never touches the repository); only the token
(empty) and the port are test-only. Screenshots go to the test's temporary folder (printed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_support import free_port, require, serving

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
sys.path.insert(0, str(ROOT))
from tools.lab_command import START_PAGE, lab_command, write_overrides  # noqa: E402

RAW = [":::", "{doc}", "{ref}", "{dropdown}", "{exercise}", "{solution", "{cite}", ":label:", "{glue"]
LABEL_LINE = re.compile(r"^\([\w.-]+\)=$", re.M)
P = ".jp-NotebookPanel:not(.lm-mod-hidden) "  # the notebook in the active tab

# null until Lab has created its app and opened a document (window.jupyterapp is undefined at first)
CURRENT_PATH = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return w && w.context ? w.context.path : null;
}"""
RENDERED_TEXT = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return [...w.node.querySelectorAll('.jp-MarkdownCell .jp-Cell-inputArea > .myst, '
                                     + '.jp-MarkdownCell .jp-RenderedMarkdown')]
    .map(e => e.innerText).join('\\n');
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab`'s command line over a copy of the course; yields (base_url, root, screenshot folder)."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "course"
    root.mkdir()
    for folder in ("chapters", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name in ("README.md", "intro.md"):
        shutil.copy(ROOT / name, root / name)
    write_overrides()  # what `make lab` writes before it starts Lab
    # Test-only settings: no windowing, so every cell is rendered (a learner's Lab renders them on scroll).
    settings = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = free_port()
    cmd = lab_command(root) + ["--no-browser", f"--ServerApp.port={port}", "--IdentityProvider.token=",
                               "--LabApp.expose_app_in_browser=True"]
    assert cmd[1] == "lab" and "chapters/" not in cmd, "no positional path: it would become the root"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "cfg"), JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "ws"))
    with serving(cmd, port, tmp / "lab.log", cwd=tmp, env=env, timeout=90):
        shots = tmp / "screenshots"
        shots.mkdir()
        print(f"screenshots in {shots}")
        yield f"http://127.0.0.1:{port}", root, shots


@pytest.fixture(scope="module")
def page(lab):
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    base, _, _ = lab
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.outside, pg.errors = [], []
        pg.on("request", lambda r: pg.outside.append(r.url)
              if urlparse(r.url).hostname not in ("127.0.0.1", None) and not r.url.startswith(("data:", "blob:"))
              else None)
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.goto(base + "/", wait_until="load")
        pg.wait_for_function(CURRENT_PATH, timeout=90_000)
        yield pg
        browser.close()


def wait_for_notebook(page, path: str):
    page.wait_for_function(f"() => ({CURRENT_PATH})() === {json.dumps(path)}", timeout=60_000)
    page.wait_for_selector(P + ".jp-MarkdownCell .myst", timeout=60_000)
    page.wait_for_timeout(1500)  # let every cell render


def assert_no_raw_myst(page, where: str):
    text = page.evaluate(RENDERED_TEXT)
    assert len(text) > 200, f"{where}: nothing rendered"
    raw = [s for s in RAW if s in text] + LABEL_LINE.findall(text)
    assert not raw, f"{where}: raw MyST visible in Lab: {raw}"


def test_lab_lands_on_the_first_chapter_and_lists_every_folder(page, lab):
    _, _, shots = lab
    wait_for_notebook(page, START_PAGE)
    page.locator(".jp-BreadCrumbs-home").first.click()  # the file browser's root
    page.wait_for_selector(".jp-DirListing-item[title*='exercises'], .jp-DirListing-item:has-text('exercises')")
    names = [n.strip() for n in page.locator(".jp-DirListing-itemText").all_inner_texts()]
    assert {"chapters", "exercises", "solutions"} <= set(names), names
    page.screenshot(path=str(shots / "lab_start.png"))
    assert_no_raw_myst(page, START_PAGE)


def test_an_exercise_opens_from_the_file_browser_and_renders(page, lab):
    _, _, shots = lab
    page.locator(".jp-BreadCrumbs-home").first.click()
    page.locator(".jp-DirListing-item", has_text="exercises").first.dblclick()
    item = page.locator(".jp-DirListing-item", has_text="03_gates_by_design.ipynb").first
    item.wait_for(timeout=20_000)
    item.dblclick()
    wait_for_notebook(page, "exercises/03_gates_by_design.ipynb")
    assert_no_raw_myst(page, "exercises/03_gates_by_design.ipynb")
    text = page.evaluate(RENDERED_TEXT)
    assert "Working in this notebook" in text and "my_work/" in text, "the first cell speaks to the learner"
    assert "Generated from" not in text
    assert page.locator(P + ".myst .katex, " + P + ".myst math").count() > 3, "math is typeset"
    page.screenshot(path=str(shots / "lab_exercise.png"))


def test_answers_are_closed_and_a_link_opens_the_other_notebook(page, lab):
    base, _, shots = lab
    page.goto(f"{base}/lab/tree/chapters/04_gate_intuition.ipynb")
    wait_for_notebook(page, "chapters/04_gate_intuition.ipynb")
    assert_no_raw_myst(page, "chapters/04_gate_intuition.ipynb")
    dropdown = page.locator(P + "details.myst-dropdown", has_text="Answers").last
    dropdown.scroll_into_view_if_needed()
    assert dropdown.get_attribute("open") is None, "the Answers dropdown must start closed"
    body = dropdown.locator(":scope > :not(summary)").first
    assert not body.is_visible()
    page.screenshot(path=str(shots / "lab_chapter3_answers_closed.png"))
    dropdown.locator("summary").click()
    body.wait_for(state="visible", timeout=5000)
    link = page.locator(P + ".myst a", has_text="The GRU’s equations, step by step").first
    link.scroll_into_view_if_needed()
    link.click()
    wait_for_notebook(page, "chapters/05_equations.ipynb")


def test_quiz_typesets_math_and_gives_feedback_offline(page, lab):
    base, _, shots = lab
    page.goto(f"{base}/lab/tree/exercises/01_reader_tasks.ipynb")
    wait_for_notebook(page, "exercises/01_reader_tasks.ipynb")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel", timeout=60_000)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    quiz = page.locator(P + ".gq-quiz")
    quiz.wait_for(timeout=120_000)
    assert quiz.locator(".gq-question").count() == 5
    assert quiz.locator("sub").count() >= 3 and "\\(" not in quiz.inner_text()
    quiz.locator(".gq-option", has_text="erased the memory").first.click()
    feedback = quiz.locator(".gq-feedback.gq-incorrect").first
    feedback.wait_for(timeout=5000)
    assert "cannot erase" in feedback.inner_text()
    quiz.locator(".gq-option", has_text="kept almost unchanged").first.click()
    assert quiz.locator(".gq-feedback.gq-correct").first.inner_text().startswith("Right")
    quiz.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "lab_quiz.png"))
    # Saving the run notebook keeps the file as committed: make lab's pre-save hook strips the outputs.
    _, root, _ = lab
    saved = root / "exercises" / "01_reader_tasks.ipynb"
    before = saved.stat().st_mtime_ns
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
    assert saved.stat().st_mtime_ns != before, "Lab did not save the notebook"
    assert saved.read_bytes() == (ROOT / "exercises" / "01_reader_tasks.ipynb").read_bytes(), \
        "a run and saved exercise notebook should equal the committed file"
    assert not page.errors, page.errors
    assert not page.outside, f"Lab or the notebooks requested other hosts: {page.outside[:5]}"
