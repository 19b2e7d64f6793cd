"""JupyterLab saves the course's own notebooks without outputs, so running one leaves
`git status` clean.

`make lab` (tools/lab_command.py) installs :func:`strip_before_save` as Jupyter Server's
``FileContentsManager.pre_save_hook``. Notebooks under ``chapters/``, ``exercises/`` and
``solutions/`` are saved as nbstripout cleans them (your edits stay; outputs, execution counts,
widget state and run details go), so the file on disk equals the committed one until you change a
cell. Notebooks elsewhere, e.g. your copies in ``my_work/``, keep their outputs. The same
nbstripout runs as a git filter (`make venv`), so outputs never enter a commit either.
"""

from __future__ import annotations

import nbformat
from nbstripout import strip_output

TRACKED_FOLDERS = ("chapters", "exercises", "solutions")
# What a run adds to metadata.language_info; the committed notebooks keep only its name.
# The Makefile's git filter strips the same keys (NBSTRIPOUT_KEYS; tests/test_git_clean.py
# compares them).
EXTRA_KEYS = [f"metadata.language_info.{k}" for k in
              ("codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter",
               "pygments_lexer", "version")]


# What the nbstripout command line strips besides outputs (its defaults; the function does not
# add them).
NBSTRIPOUT_DEFAULT_KEYS = ["metadata.signature", "metadata.widgets", "cell.metadata.collapsed",
                           "cell.metadata.ExecuteTime", "cell.metadata.execution",
                           "cell.metadata.heading_collapsed", "cell.metadata.hidden",
                           "cell.metadata.scrolled"]


def is_tracked(path: str) -> bool:
    """Whether ``path`` (relative to the server's root) is one of the course's own notebooks."""
    parts = path.strip("/").split("/")
    return len(parts) >= 2 and parts[0] in TRACKED_FOLDERS and parts[-1].endswith(".ipynb")


def strip_before_save(model: dict, path: str, contents_manager=None, **kwargs) -> None:
    """Jupyter Server pre-save hook: strip a course notebook's outputs in ``model`` (in place)."""
    if model.get("type") != "notebook" or not is_tracked(path):
        return
    nb = nbformat.from_dict(model["content"])
    model["content"] = strip_output(nb, keep_output=False, keep_count=False, keep_id=True,
                                    extra_keys=NBSTRIPOUT_DEFAULT_KEYS + EXTRA_KEYS)
