"""README.md's contributor map is current, and each experiments module belongs to one chapter by name."""

import ast
import re
from pathlib import Path

import pytest

from tools import contributor_map as cm

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted(p for p in (ROOT / "src" / "grucourse" / "experiments").glob("*.py") if p.name != "__init__.py")
CHAPTERS = {m.group(2): p for p in sorted((ROOT / "chapters").glob("*.ipynb")) if (m := cm.CHAPTER_NAME.match(p.name))}


def test_readme_map_is_current():
    problem = cm.check(ROOT)
    assert not problem, problem


def test_check_reports_a_tampered_map():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = cm.build_map(ROOT)
    current = cm.replace_block(readme, table)
    assert cm.stale_diff(current, table) == ""
    row = next(line for line in table.splitlines() if line.startswith("| `chapters/"))
    tampered = current.replace(row, row.replace("| `chapters/", "| `chapters/99_", 1))
    problem = cm.stale_diff(tampered, table)
    assert "out of date" in problem and "99_" in problem
    dropped = current.replace(row + "\n", "")
    assert "out of date" in cm.stale_diff(dropped, table)
    assert "must hold one" in cm.stale_diff(readme.replace(cm.START, ""), table)


def test_imports_are_resolved_to_modules():
    modules = cm.package_modules(ROOT)
    tree = ast.parse("from grucourse.core import gru as g\nimport grucourse.measure.stats\n"
                     "def f():\n    from grucourse.display.plots import label\n")
    assert {m for m, _ in cm.imports_of(tree, modules)} == {
        "grucourse.core.gru", "grucourse.measure.stats", "grucourse.display.plots"}
    graph = cm.import_graph(modules)
    assert "grucourse" in cm.closure(["grucourse.core.gru"], graph)  # the package's __init__ runs first


def test_there_are_experiments_modules():
    assert EXPERIMENTS and CHAPTERS


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiments_module_is_named_after_a_chapter(path):
    assert path.stem in CHAPTERS, (
        f"src/grucourse/experiments/{path.name}: its name must be the slug of a chapter (chapters/NN_<slug>.ipynb); "
        f"slugs: {', '.join(sorted(CHAPTERS))}")


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiments_docstring_names_its_chapters(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    named = [slug for slug, nb in CHAPTERS.items()
             if re.search(rf"(?<![\w./])(?:chapters/)?(?:{nb.stem[:2]}_)?{re.escape(slug)}(?:\.ipynb)?(?!\w)", first)]
    assert named, (f"src/grucourse/experiments/{path.name}: the first line of its docstring must name the chapters "
                   f"using it (chapters/NN_slug.ipynb or the slug), got {first!r}")
