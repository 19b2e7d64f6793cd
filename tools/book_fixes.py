"""A small Sphinx extension with the course book's page fixes (listed in ``_config.yml``).

- The course's stylesheet ``book_static/course.css`` (code and outputs that fit the 684 px column,
  one table style, contrast fixes) and the favicon ``book_static/favicon.svg``.
- No theme ``fontawesome.js`` (1.5 MB on every page): ``book_templates/static/webpack-macros.html``
  leaves it out, since the theme's CSS already holds the Font Awesome icons and fonts. The script
  also replaced ``<i class="fa ...">`` by ``<svg>``, which broke the ipywidgets ``Play`` button;
  ``autoReplaceSvg: "nest"`` below keeps that fixed should the script come back.
- The sidebar's expand/collapse toggles (``<summary>`` with only an icon) get an accessible name
  ("Show or hide the sections of <page>"): axe-core's ``summary-name`` rule.
- The solutions' ``### BEGIN/END SOLUTION`` marker lines are not shown in the book.
- A solution drop-down opens on a click anywhere on its title ("Solution to Exercise (…)"): the
  title's link to the exercise becomes plain text (a click on it jumped to the exercise and made
  ``togglebutton.js`` throw "button is not defined"), and ``book_static/course-reader.js`` turns
  a click on any other markup in a drop-down title into a click on its button.
- A printed line too long for the column wraps with a hanging indent (each line of a plain-text
  output becomes a ``<span class="gc-line">``), so a long list no longer restarts at column 0.
- Bibliography entries are list items (``role="listitem"``, not the deprecated ``doc-biblioentry``).
- pydata-sphinx-theme 0.17 logs "Got invalid theme mode" on a reader's first visit (empty
  ``localStorage``); we start such a page in "auto" mode, which is what the theme then picks anyway.
- sphinx-thebe adds its inline ``const THEBE_JS_URL`` script twice under Jupyter Book 1, which throws
  "Identifier 'THEBE_JS_URL' has already been declared" on every page; we drop exact duplicate scripts.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC = HERE / "book_static"
TEMPLATES = HERE / "book_templates"

PAGE_FIXES = """window.FontAwesomeConfig = Object.assign(window.FontAwesomeConfig || {}, {autoReplaceSvg: "nest"});
if (!document.documentElement.dataset.mode) { document.documentElement.dataset.mode = "auto"; }"""


def _script_key(js) -> tuple:
    attributes = getattr(js, "attributes", {}) or {}  # the same script may come with two priorities
    return str(getattr(js, "filename", js) or ""), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def name_toggles(html):
    """Give every icon-only ``<summary>`` of a navigation tree an ``aria-label`` naming its page.

    ``html`` is the BeautifulSoup tree (or HTML string) pydata-sphinx-theme renders into the sidebar;
    returns the same kind of object.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser") if isinstance(html, str) else html
    if not hasattr(soup, "select"):
        return html
    for summary in soup.select("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        item = summary.find_parent("li")
        link = item.find("a", recursive=False) if item is not None else None
        page = link.get_text(" ", strip=True) if link is not None else "this page"
        summary["aria-label"] = f"Show or hide the sections of {page}"
    return str(soup) if isinstance(html, str) else soup


def wrap_toctree(app, pagename, templatename, context, doctree) -> None:
    generate = context.get("generate_toctree_html")
    if callable(generate) and not getattr(generate, "_course_named", False):
        def generate_named(*args, **kwargs):
            return name_toggles(generate(*args, **kwargs))

        generate_named._course_named = True
        context["generate_toctree_html"] = generate_named


def fix_bibliography_roles(app, pagename, templatename, context, doctree) -> None:
    """docutils marks bibliography entries ``role="doc-biblioentry"`` inside a ``role="list"``: ARIA 1.2
    deprecates that role, so the list has no list items (axe-core: aria-required-children, critical)."""
    body = context.get("body")
    if isinstance(body, str) and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


SOLUTION_TITLE_LINK = re.compile(
    r'(<div class="solution dropdown[^"]*"[^>]*>\s*<p class="admonition-title">[^<]*)'
    r'<a class="reference internal"[^>]*>(.*?)</a>', re.S)


def unlink_solution_titles(app, pagename, templatename, context, doctree) -> None:
    """``Solution to<a href="#ex">Exercise (…)</a>`` in a drop-down's title becomes plain text
    ``Solution to Exercise (…)``, so that a click on the title opens the solution."""
    body = context.get("body")
    if not isinstance(body, str) or 'class="solution dropdown' not in body:
        return

    def plain(match):
        text = re.sub(r"<[^>]+>", "", match.group(2)).strip()
        return f"{match.group(1).rstrip()} {text}"

    context["body"] = SOLUTION_TITLE_LINK.sub(plain, body)


STREAM_PRE = re.compile(
    r'(<div class="output stream[^"]*"><div class="highlight"><pre>)(?:<span></span>)?(.*?)(</pre>)', re.S)


def hang_printed_lines(app, pagename, templatename, context, doctree) -> None:
    """Each line of a plain printed output (no colour markup) becomes a ``span.gc-line``, which
    ``course.css`` indents when it wraps: the continuation of a long list no longer starts at
    column 0 like a new line would."""
    body = context.get("body")
    if not isinstance(body, str) or '<div class="output stream' not in body:
        return

    def lines(match):
        text = match.group(2)
        if "<" in text:  # coloured (ANSI) output: its spans may cross lines, leave it as it is
            return match.group(0)
        rows = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
        spans = "".join(f'<span class="gc-line">{row or " "}</span>' for row in rows)
        return f"{match.group(1)}{spans}{match.group(3)}"

    context["body"] = STREAM_PRE.sub(lines, body)


SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def hide_solution_markers(app, doctree, docname) -> None:
    """Drop the ``### BEGIN/END SOLUTION`` lines (they make the exercises) from the shown code."""
    from docutils import nodes

    for block in list(doctree.findall(nodes.literal_block)):
        text = block.astext()
        if not any(marker in text for marker in SOLUTION_MARKERS):
            continue
        kept = "\n".join(line for line in text.split("\n") if line.strip() not in SOLUTION_MARKERS)
        block.rawsource = kept
        block.children = [nodes.Text(kept)]


def add_paths(app, config) -> None:
    config.templates_path = [str(TEMPLATES), *config.templates_path]
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    if not config.html_favicon:
        config.html_favicon = str(STATIC / "favicon.svg")


def setup(app):
    app.connect("config-inited", add_paths)
    app.add_js_file(None, body=PAGE_FIXES, priority=1)  # first script of every page
    app.add_css_file("course.css", priority=900)  # after the theme's and the extensions' styles
    app.add_js_file("course-reader.js", priority=900)
    app.connect("html-page-context", wrap_toctree, priority=900)  # after the theme added its helpers
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)  # after everyone added theirs
    app.connect("html-page-context", fix_bibliography_roles)
    app.connect("html-page-context", unlink_solution_titles)
    app.connect("html-page-context", hang_printed_lines)
    app.connect("doctree-resolved", hide_solution_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
