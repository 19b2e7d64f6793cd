"""A small Sphinx extension with the course book's page fixes (listed in ``_config.yml``).

- FontAwesome (pydata-sphinx-theme) replaces ``<i class="fa ...">`` by ``<svg>``, which breaks the
  ipywidgets ``Play`` button ("Cannot set properties of undefined (setting 'className')");
  ``autoReplaceSvg: "nest"`` keeps the ``<i>``. The script must run before the deferred fontawesome.js.
- pydata-sphinx-theme 0.17 logs "Got invalid theme mode" on a reader's first visit (empty
  ``localStorage``); we start such a page in "auto" mode, which is what the theme then picks anyway.
- sphinx-thebe adds its inline ``const THEBE_JS_URL`` script twice under Jupyter Book 1, which throws
  "Identifier 'THEBE_JS_URL' has already been declared" on every page; we drop exact duplicate scripts.
"""

from __future__ import annotations

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


def setup(app):
    app.add_js_file(None, body=PAGE_FIXES, priority=1)  # first script of every page
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)  # after everyone added theirs
    return {"parallel_read_safe": True, "parallel_write_safe": True}
