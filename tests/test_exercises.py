"""exercises/ is generated from solutions/ by tools/make_exercises.py and must not drift or leak answers."""

import json
import re

import pytest

from tools import make_exercises as mx

SOLUTION_NOTEBOOKS = sorted(mx.SOLUTIONS.glob("*.ipynb"))
IDS = [p.name for p in SOLUTION_NOTEBOOKS]


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def test_there_are_solution_notebooks():
    assert len(SOLUTION_NOTEBOOKS) >= 4


def test_exercises_are_up_to_date():
    stale = mx.stale()
    assert not stale, f"exercises/ is out of date, run `make exercises`: {stale}"


def test_check_flag_exit_code():
    assert mx.main(["--check"]) == 0


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=IDS)
def test_generated_copy_holds_no_solution_text(path):
    exercise_cells = cells(mx.EXERCISES / path.name)
    exercise_text = "\n".join(source(c) for c in exercise_cells)
    exercise_code = "\n".join(source(c) for c in exercise_cells if c["cell_type"] == "code")
    assert mx.BEGIN not in exercise_text and mx.END not in exercise_text
    assert not mx.SOLUTION_DIRECTIVE.search(exercise_text), "solution drop-downs must stay in solutions/"
    region_lines, solution_only_lines = [], []
    for cell in cells(path):
        text = source(cell)
        for region in re.findall(rf"{mx.BEGIN}\n(.*?)\n\s*(?:% )?{mx.END}", text, flags=re.S):
            region_lines += [ln.strip() for ln in region.split("\n") if len(ln.strip()) > 12]
        if "solution-only" in cell["metadata"].get("tags", []) or mx.SOLUTION_DIRECTIVE.search(text):
            solution_only_lines += [ln.strip() for ln in text.split("\n") if len(ln.strip()) > 40]
    assert region_lines, f"{path.name} has no solution region"
    leaked = [ln for ln in region_lines if ln in exercise_code]
    leaked += [ln for ln in solution_only_lines if ln in exercise_text]
    assert not leaked, f"answer text leaked into exercises/{path.name}: {leaked[:3]}"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=IDS)
def test_labels_do_not_clash_between_the_copies(path):
    def labels(p):
        text = "\n".join(source(c) for c in cells(p) if c["cell_type"] == "markdown")
        return set(re.findall(r"^\s*:label:\s*(\S+)", text, re.M)) | set(re.findall(r"^\(([\w.-]+)\)=", text, re.M))

    sol, ex = labels(path), labels(mx.EXERCISES / path.name)
    assert sol and ex and not (sol & ex)
    assert all(lb.endswith(mx.LABEL_SUFFIX) for lb in ex)


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=IDS)
def test_every_check_in_an_exercise_has_a_stub_to_check(path):
    text = "\n".join(source(c) for c in cells(mx.EXERCISES / path.name))
    assert "# YOUR CODE HERE" in text
    assert ".check(" in text and ".hint()" in text and ".solution()" in text


def test_code_stub_inside_a_function():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    out = mx.replace_regions(src, markdown=False, where="t")
    assert "return x + 1" not in out
    assert '    raise NotImplementedError("write your code here")' in out
    assert out.startswith("def f(x):\n")


def test_code_stub_at_top_level_assigns_none():
    src = "a = 1\n### BEGIN SOLUTION\nmodel = make()\nmodel.fit()\nscore: float = 2.0\n### END SOLUTION\nprint(a)"
    out = mx.replace_regions(src, markdown=False, where="t")
    assert "model = None\nscore = None" in out and "make()" not in out
    assert out.startswith("a = 1\n") and out.endswith("print(a)")


def test_markdown_region_and_labels():
    src = "Question?\n% ### BEGIN SOLUTION\nThe answer is 42.\n% ### END SOLUTION"
    out = mx.replace_regions(src, markdown=True, where="t")
    assert "42" not in out and mx.MD_STUB in out
    assert mx.relabel(":label: ex1\n(sec-a)=\n") == ":label: ex1-exercise\n(sec-a-exercise)=\n"


@pytest.mark.parametrize("src, words", [
    ("### BEGIN SOLUTION\nx = 1\n", "without"),
    ("x = 1\n### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\nprint(1)\n### END SOLUTION\n", "must assign"),
    ("### BEGIN SOLUTION\nx = (\n### END SOLUTION\n", "not valid Python"),
])
def test_bad_markup_is_reported(src, words):
    with pytest.raises(mx.SolutionMarkupError, match=words):
        mx.replace_regions(src, markdown=False, where="t")


def test_solution_blocks_drop_markdown_keep_code():
    def md(s, tags=()):
        return {"cell_type": "markdown", "metadata": {"tags": list(tags)}, "source": s}

    def code(s, tags=()):
        return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": s, "outputs": [],
                "execution_count": None}

    nb = {"cells": [
        md("(p1)=\n# Title (with solutions)"),
        md(":::{exercise} E\n:label: e1\n:::"),
        md(":::{solution-start} e1\n:class: dropdown\n:::"),
        md("Explanation only in solutions."),
        code("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        md(":::{solution-end}\n:::"),
        code("print('verify')", tags=["solution-only"]),
        md("::::{solution} e1\n:class: dropdown\nText\n::::"),
        code("check(f)"),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    out = mx.make_exercise(nb, "x.ipynb")
    texts = [source(c) for c in out["cells"]]
    assert texts[0].startswith("(p1-exercise)=\n# Title\n") and "with solutions" not in texts[0]
    assert "Generated" not in texts[0] and "make exercises" not in texts[0]  # provenance is for maintainers
    assert "my_work/x.ipynb" in texts[0] and "(../solutions/x.ipynb)" in texts[0]  # speaks to the learner
    assert out["metadata"]["grucourse"]["generated_from"] == "solutions/x.ipynb"
    assert ":label: e1-exercise" in texts[1]
    assert len(texts) == 4 and "NotImplementedError" in texts[2] and texts[3] == "check(f)"
    nb["cells"].insert(3, md(":::{solution-start} e2\n:::"))
    nb["cells"].pop()
    nb["cells"].pop()
    nb["cells"].pop()
    nb["cells"].pop()
    nb["cells"].pop()
    with pytest.raises(mx.SolutionMarkupError, match="without solution-end"):
        mx.make_exercise(nb, "x.ipynb")


def _learner_fills_in(path):
    """The exercise notebook as a learner leaves it: every stub replaced by the reference solution,
    and the commented hint/solution lines uncommented."""
    import ast

    from grucourse import checks

    defined = {}
    for ex in checks.EXERCISES:
        if ex.solution_code:
            for node in ast.parse(ex.solution_code).body:
                names = [node.name] if isinstance(node, ast.FunctionDef) else [
                    t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
                for n in names:
                    defined[n] = ex.solution_code
    nb = json.loads(path.read_text(encoding="utf-8"))
    filled = 0
    for cell in nb["cells"]:
        src = source(cell)
        if cell["cell_type"] != "code":
            continue
        if "# YOUR CODE HERE" in src:
            tree = ast.parse(src)
            names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
            names += [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
            cell["source"] = next(defined[n] for n in names if n in defined)
            filled += 1
        elif src.startswith("# Stuck?"):
            cell["source"] = "\n".join(ln[2:] for ln in src.split("\n")[1:])
    return nb, filled


@pytest.mark.parametrize("name", ["02_gru_by_hand.ipynb", "03_gates_by_design.ipynb"])
def test_a_learner_can_attempt_check_hint_and_see_the_solution(name):
    """Run an exercise notebook in a kernel, as a learner who pasted the reference answers would."""
    import nbformat
    from nbclient import NotebookClient

    nb, filled = _learner_fills_in(mx.EXERCISES / name)
    assert filled >= 3
    node = nbformat.reads(json.dumps(nb), as_version=4)  # sources may be lists of lines, as Jupyter writes
    NotebookClient(node, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(mx.ROOT)}}).execute()
    outputs = []
    for cell in node.cells:
        for out in cell.get("outputs", []):
            outputs.append(out.get("text") or out.get("data", {}).get("text/plain", ""))
    text = "\n".join(outputs)
    assert text.count("Correct: ") == filled, text
    assert "Not attempted" not in text and "Incorrect" not in text
    assert text.count("Hint (hint 1 of") == filled and text.count("Solution:") == filled


def test_make_exercises_target():
    makefile = (mx.ROOT / "Makefile").read_text()
    assert re.search(r"^exercises:.*\n\t.*tools/make_exercises\.py", makefile, re.M), "no make exercises"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=IDS)
def test_no_control_characters(path):
    """A TeX command written with one backslash in a Python string (\\to, \\a...) turns into a control character."""
    for i, cell in enumerate(cells(path)):
        bad = sorted({repr(ch) for ch in source(cell) if ord(ch) < 32 and ch != "\n"})
        assert not bad, f"cell {i} holds control characters {bad}"
