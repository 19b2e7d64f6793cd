"""The learner's path from the README keeps git clean: `make lab` runs `make practice`, which creates
my_work/ (git-ignored) and copies the practice notebooks there without overwriting the learner's copies;
an answer written and run in a copy leaves `git status` clean, so `git pull` keeps working. The copies'
imports and links work from my_work/, and "(with solutions)" links in exercises/ open solutions/.

The course's tree is copied as it stands (tracked files and new, not ignored ones) into a fresh repository,
so the test checks the working tree's Makefile, .gitignore and notebooks whether or not they are committed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANSWER = "    return float(np.exp(-np.mean(np.log(np.asarray(p, dtype=float)))))\n"


def git(*args, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A fresh repository holding the course's tree as it is now (what a learner clones)."""
    if shutil.which("git") is None or shutil.which("make") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git, make and the course's git repository")
    dest = tmp_path_factory.mktemp("learner") / "course"
    files = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=ROOT).split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file() and not rel.startswith("my_work/"):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git("init", "--quiet", cwd=dest)
    git("add", "--all", cwd=dest)
    git("-c", "user.name=learner", "-c", "user.email=learner@example.org", "commit", "--quiet", "-m", "clone",
        cwd=dest)
    assert git("status", "--porcelain", cwd=dest) == ""
    return dest


def make(target: str, cwd: Path) -> str:
    done = subprocess.run(["make", "--no-print-directory", target], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def exercise_names() -> list[str]:
    return sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb"))


def test_make_lab_sets_up_my_work_first():
    makefile = (ROOT / "Makefile").read_text()
    lab = re.search(r"^lab:([^#\n]*)", makefile, re.M)
    assert lab and "practice" in lab.group(1).split(), "make lab should run make practice (my_work/) first"
    assert re.search(r"^my_work/$", (ROOT / ".gitignore").read_text(), re.M), "my_work/ must be git-ignored"
    readme = (ROOT / "README.md").read_text()
    learners = readme[readme.index("## For learners"):readme.index("## For contributors")]
    assert "make practice" in learners and "my_work/" in learners


def test_practice_copies_the_notebooks_into_my_work_and_git_stays_clean(clone):
    assert not (clone / "my_work").exists()
    out = make("practice", clone)
    names = exercise_names()
    assert names and sorted(p.name for p in (clone / "my_work").glob("*.ipynb")) == names, out
    for name in names:
        assert (clone / "my_work" / name).read_bytes() == (clone / "exercises" / name).read_bytes()
    assert git("status", "--porcelain", cwd=clone) == ""


def _answer_in_copy(path: Path) -> None:
    """Write the learner's answer to 8.1 into their copy, as JupyterLab saves it."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and src.startswith("def perplexity_of"):
            src = re.sub(r"    # YOUR CODE HERE\n    raise NotImplementedError\([^)]*\)", ANSWER.rstrip("\n"), src)
            cell["source"] = src.splitlines(keepends=True)
            break
    else:
        raise AssertionError("no perplexity_of cell in the practice notebook")
    path.write_text(json.dumps(nb, indent=1) + "\n")


def test_an_answer_in_my_work_runs_there_and_leaves_git_clean(clone):
    """The copy's imports work from my_work/ (the kernel runs there), its check passes, git sees nothing."""
    import nbformat
    from nbclient import NotebookClient

    make("practice", clone)
    copy = clone / "my_work" / "08_language_model.ipynb"
    _answer_in_copy(copy)
    nb = nbformat.read(copy, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(copy.parent)}}).execute()
    text = "\n".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")
                     for c in nb.cells for o in c.get("outputs", []))
    assert "Correct: the probabilities 0.5, 0.25, 0.5, 0.125" in text, text
    assert "Error in your code" not in text and "Traceback" not in text
    nbformat.write(nb, copy)  # saved with its outputs
    assert git("status", "--porcelain", cwd=clone) == "", "answers in my_work/ must not show in git status"
    again = make("practice", clone)  # e.g. after a git pull: the learner's copy is kept
    assert ANSWER.strip() in copy.read_text(), "make practice overwrote the learner's copy"
    assert "kept" in again and git("status", "--porcelain", cwd=clone) == ""


@pytest.mark.parametrize("name", exercise_names())
def test_links_in_a_practice_notebook_work_from_exercises_and_my_work(name):
    nb = json.loads((ROOT / "exercises" / name).read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for label, target in re.findall(r"\[([^\]]+)\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#")[0]
        assert (ROOT / "exercises" / path).resolve().exists(), f"{name}: {target} does not exist"
        if path.startswith("../"):  # the same file from the learner's copy in my_work/
            assert (ROOT / "my_work" / path).resolve() == (ROOT / "exercises" / path).resolve()
        if "(with solutions)" in label:
            assert path.startswith("../solutions/"), f"{name}: '{label}' opens {target}, not the solutions"
