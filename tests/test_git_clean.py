"""Running a chapter and saving it in place leaves `git status` clean (nbstripout as a git filter).

In a fresh clone, `make git-filter` (part of `make venv`) registers the filter that .gitattributes names;
then a chapter is executed with nbclient and saved over itself, with outputs, execution counts, widget
state and the cell metadata JupyterLab adds, as a learner's Lab would save it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
CHAPTER = "chapters/02_architecture.ipynb"  # a quick chapter (about 11 s of CPU)


def git(*args, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and the course's git repository")
    dest = tmp_path_factory.mktemp("clone") / "course"
    git("clone", "--quiet", str(ROOT), str(dest), cwd=ROOT)
    assert (dest / CHAPTER).exists(), f"{CHAPTER} is not committed"
    subprocess.run(["make", "--no-print-directory", "git-filter", f"VENV={VENV}"], cwd=dest, check=True,
                   capture_output=True, text=True)
    return dest


def test_the_filter_is_registered_for_notebooks(clone):
    assert "nbstripout" in git("config", "filter.nbstripout.clean", cwd=clone)
    assert "filter: nbstripout" in git("check-attr", "filter", "--", CHAPTER, cwd=clone)
    assert git("status", "--porcelain", cwd=clone) == "", "a fresh clone must be clean"


def test_running_and_saving_a_chapter_leaves_git_status_clean(clone):
    path = clone / CHAPTER
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0", PYTHONHASHSEED="0")
    os.environ.update({k: env[k] for k in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTHONHASHSEED")})
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code")
    assert outputs > 0, "the chapter should have produced outputs"
    for cell in nb.cells:  # what JupyterLab adds when it saves
        if cell.cell_type == "code":
            cell.metadata["scrolled"] = True
            cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00.000Z"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                             "version_minor": 0}}
    nbformat.write(nb, path)
    assert '"outputs": []' not in path.read_text() or outputs, "the saved file holds the outputs"
    status = git("status", "--porcelain", cwd=clone)
    assert status == "", f"saving an executed notebook changed tracked files:\n{status}"
    assert git("diff", "--stat", cwd=clone) == ""
