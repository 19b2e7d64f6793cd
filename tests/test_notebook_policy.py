"""Rules every committed notebook and the book layout follow."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("chapters", "exercises", "solutions")
NOTEBOOKS = sorted(p for f in FOLDERS for p in (ROOT / f).glob("*.ipynb"))
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]
DOWNLOADERS = re.compile(r"keras\.datasets|get_file\(|load_dataset\(|get_rdataset|urlopen|requests\.get|!wget|!curl")


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            if "glob" in node:  # e.g. solutions/*: every matching notebook or page
                files.extend(
                    str(p.relative_to(ROOT).with_suffix("")) for p in sorted(ROOT.glob(node["glob"] + ".*"))
                    if p.suffix in (".ipynb", ".md")
                )
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", toc.get("chapters", [])))
    return files


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_chapters():
    assert any(p.parent.name == "chapters" for p in NOTEBOOKS), "no notebook in chapters/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_outputs_or_execution_counts(path):
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} has outputs: run tools/clean_notebooks.py"
            assert cell.get("execution_count") is None, f"cell {i} has an execution count"
    assert "widgets" not in load(path)["metadata"], "saved widget state: run tools/clean_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_kernelspec_is_python3(path):
    assert load(path)["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_sources(path):
    code = "\n".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "code")
    assert not DOWNLOADERS.search(code), "notebooks must not download anything at run time"
    assert not re.search(r"(^|[\s\"'(=])/(root|home|tmp|Users)/", code), "absolute machine path in a notebook"
    assert "import *" not in code, "no star imports"
    uses_tf = re.search(r"^\s*(import|from)\s+(keras|tensorflow)\b", code, re.M)
    if uses_tf:
        first_tf = uses_tf.start()
        first_gc = code.find("grucourse")
        assert 0 <= first_gc < first_tf, "import grucourse before keras/tensorflow (it quiets TF's logs)"


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    missing = [i for i in IDS if i.removesuffix(".ipynb") not in listed]
    assert not missing, f"notebooks not listed in _toc.yml: {missing}"


def test_every_toc_entry_exists():
    absent = [f for f in toc_files() if not any((ROOT / f"{f}{ext}").exists() for ext in (".ipynb", ".md"))]
    assert not absent, f"_toc.yml lists files that do not exist: {absent}"


def test_requirements_are_exact_pins():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [ln for ln in lines if ln and not ln.startswith("#")]
    loose = [r for r in reqs if r != "-e ." and not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.]+", r)]
    assert not loose, f"requirements.txt must pin every dependency exactly: {loose}"
    assert "-e ." in reqs, "requirements.txt must install the grucourse package (-e .)"


def test_clean_notebooks_tool_agrees():
    from tools import clean_notebooks

    dirty = [p for p in NOTEBOOKS if clean_notebooks.dumps(clean_notebooks.clean(load(p))) != p.read_text()]
    assert not dirty, f"run python tools/clean_notebooks.py on: {dirty}"


# Book-only MyST that JupyterLab (jupyterlab-myst) shows as raw text or drops: links, citations, code
# listings and glued numbers are written so that they render in both places (see the links below).
BOOK_ONLY = {
    "{doc}": "a Markdown link: [chapter 6](06_long_term_dependencies.ipynb)",
    "{ref}": "a Markdown link to the notebook, with #a-heading-slug for a section",
    "{cite": 'plain text, "Cho et al. (2014)", with the entry in references.bib',
    "literalinclude": "a code cell that calls grucourse.display.source.show_source(fn)",
    "{glue": "print the number in the cell (the prose says 'the cell above prints ...')",
    "{numref}": "a Markdown link",
    "{eq}": "a Markdown link or the equation itself",
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markdown_renders_in_jupyterlab_too(path):
    cells = load(path)["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    found = {k: fix for k, fix in BOOK_ONLY.items() if k in markdown}
    assert not found, f"book-only MyST in {path.name}: " + "; ".join(f"{k} -> use {v}" for k, v in found.items())
    assert not re.search(r"^\([\w.-]+\)=\s*$", markdown, re.M), "(label)= targets: link to the notebook instead"
    assert "myst_nb import glue" not in code, "glue hides numbers in JupyterLab: print them instead"


def test_markdown_pages_link_without_book_only_roles():
    pages = [ROOT / "intro.md", ROOT / "exercises" / "index.md", ROOT / "solutions" / "index.md"]
    bad = {p.name: [k for k in ("{doc}", "{ref}", "{cite") if k in p.read_text()] for p in pages}
    assert not any(bad.values()), bad
