"""Running a chapter and saving it leaves `git status` clean, and no output ever enters a commit.

Two standard mechanisms, both set up by the course's commands:
- `make lab` saves the course's notebooks through Jupyter Server's pre-save hook
  ``grucourse.lab_save.strip_before_save`` (nbstripout), so the saved file equals the committed one;
- `make venv` (its `git-filter` step) registers nbstripout as the git filter that .gitattributes names, so
  even a notebook saved with outputs by another tool is committed without them.
The chapter is executed with nbclient in a fresh clone and saved through Jupyter Server's own
FileContentsManager, as JupyterLab saves it, with the cell metadata Lab adds.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from grucourse import lab_save

import nbformat
import pytest

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
    make = ["make", "--no-print-directory", "git-filter", f"VENV={VENV}"]
    plan = subprocess.run([*make, "-n"], cwd=dest, check=True, capture_output=True, text=True).stdout
    assert "pip" not in plan, "git-filter must not reinstall the shared .venv from a temporary clone"
    subprocess.run(make, cwd=dest, check=True, capture_output=True, text=True)
    return dest


@pytest.fixture(scope="module")
def executed(clone):
    """The chapter after a run, as JupyterLab holds it: outputs, counts, widget state, Lab's cell metadata."""
    from nbclient import NotebookClient

    path = clone / CHAPTER
    nb = nbformat.read(path, as_version=4)
    for key, value in {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}.items():
        os.environ.setdefault(key, value)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    assert sum(len(c.get("outputs", [])) for c in nb.cells if c.cell_type == "code") > 0, "no outputs"
    assert "version" in nb.metadata.language_info, "a run records the kernel's details"
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata["scrolled"] = True
            cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00.000Z"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                             "version_minor": 0}}
    return nb


def lab_save_as(clone: Path, nb, path: str) -> None:
    """Save ``nb`` at ``path`` the way JupyterLab does: through Jupyter Server, with make lab's hook."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    manager = FileContentsManager(root_dir=str(clone), pre_save_hook=lab_save.strip_before_save)
    if "/" in path:
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
    manager.save({"type": "notebook", "format": "json", "content": json.loads(json.dumps(copy.deepcopy(nb)))}, path)


def test_a_fresh_clone_has_the_filter_and_is_clean(clone):
    assert "nbstripout" in git("config", "filter.nbstripout.clean", cwd=clone)
    assert "filter: nbstripout" in git("check-attr", "filter", "--", CHAPTER, cwd=clone)
    assert git("status", "--porcelain", cwd=clone) == ""


def test_running_and_saving_a_chapter_in_lab_leaves_git_status_clean(clone, executed):
    lab_save_as(clone, executed, CHAPTER)
    status = git("status", "--porcelain", cwd=clone)
    assert status == "", f"saving an executed notebook changed tracked files:\n{status}"
    assert '"outputs": []' in (clone / CHAPTER).read_text()


def test_a_copy_in_my_work_keeps_its_outputs_and_is_ignored(clone, executed):
    lab_save_as(clone, executed, "my_work/02_architecture.ipynb")
    saved = nbformat.read(clone / "my_work" / "02_architecture.ipynb", as_version=4)
    assert any(c.get("outputs") for c in saved.cells if c.cell_type == "code"), "my_work/ keeps outputs"
    assert git("status", "--porcelain", cwd=clone) == "", "my_work/ is git-ignored"


def test_outputs_saved_by_another_tool_never_enter_a_commit(clone, executed):
    nbformat.write(executed, clone / CHAPTER)  # bypasses Lab's hook: outputs on disk
    git("add", CHAPTER, cwd=clone)
    staged = subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=clone).returncode
    assert staged == 0, "the git filter should have staged the notebook without its outputs"


def test_the_git_filter_and_the_lab_hook_strip_the_same_keys():
    makefile = (ROOT / "Makefile").read_text()
    words = re.search(r"NBSTRIPOUT_KEYS := \$\(addprefix metadata\.language_info\.,([^)]*)\)", makefile, re.S)
    assert words, "NBSTRIPOUT_KEYS not found in the Makefile"
    assert [f"metadata.language_info.{w}" for w in words.group(1).replace("\\", " ").split()] == lab_save.EXTRA_KEYS
