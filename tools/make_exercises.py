"""Generate the learners' notebooks in exercises/ from the answered ones in solutions/.

    python tools/make_exercises.py            # (re)write exercises/NN_name.ipynb for every solutions/NN_name.ipynb
    python tools/make_exercises.py --check    # exit 1 and name the exercise notebooks that are out of date

solutions/ is the single source. In it:

- a code region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` lines becomes a stub:
  inside a function body, ``raise NotImplementedError(...)``; at the top level, ``name = None`` for each
  name the region assigns, except names that start with ``_`` (not answers); the checkers report
  ``None`` as "not attempted", so the notebook still runs;
- a Markdown region between ``% ### BEGIN SOLUTION`` and ``% ### END SOLUTION`` (MyST comments) becomes
  an invitation to write the answer;
- Markdown cells that hold a sphinx-exercise ``{solution}``, ``{solution-start}`` or ``{solution-end}``
  directive are dropped, and so are Markdown cells between ``{solution-start}`` and ``{solution-end}``
  (the solution dropdowns exist only in solutions/); code cells there are kept, with their stubs;
- cells tagged ``solution-only`` are dropped;
- labels (``:label: x`` and ``(x)=`` targets) get the suffix ``-exercise`` so the two copies can share a book;
- "(with solutions)" is removed from titles, and a note after the title tells the learner how to work
  (answers in their copy in ``my_work/``, made by ``make practice``; checks, hints, solutions);
- a link whose text says "(with solutions)" to another practice notebook opens ``../solutions/...``;
- the provenance (which file it was generated from) goes to the notebook's metadata
  (``metadata.grucourse.generated_from``), where maintainers and the drift test see it and learners do not.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.clean_notebooks import clean, dumps  # noqa: E402

SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SOLUTION_DIRECTIVE = re.compile(r"^\s*(:{3,}|`{3,})\{solution(-start|-end)?\}", re.M)
BLOCK_START = re.compile(r"^\s*(:{3,}|`{3,})\{solution-start\}", re.M)
BLOCK_END = re.compile(r"^\s*(:{3,}|`{3,})\{solution-end\}", re.M)
LABEL_SUFFIX = "-exercise"
PROVENANCE = ("generated from solutions/{name} by tools/make_exercises.py: edit that file and run "
              "`make exercises`")
LEARNER_NOTE = """:::{{note}} Working in this notebook
Answer in your own copy, `my_work/{name}`: `make practice` (which `make lab` runs) copies every practice notebook
into `my_work/` without overwriting yours, and git ignores that folder, so `git status` stays clean and `git pull`
keeps working. Answers typed into `exercises/` itself would show up in `git status`.
Each exercise has a check cell; the cell under it shows hints (`.hint()`, `.hint(2)`) and the solution.
The worked answers are in [the solutions notebook](../solutions/{name}).
If a widget is missing when you reopen a saved notebook, run all cells again (*Run > Run All Cells*).
:::"""
MD_STUB = "*Write your answer here (double-click this cell to edit it).*"
# A link that says "(with solutions)" to a sibling notebook: in exercises/ it must open solutions/.
WITH_SOLUTIONS_LINK = re.compile(r"(\[[^\]]*\(with solutions\)[^\]]*\])\((\d\d_[\w-]+\.ipynb(?:#[\w-]*)?)\)")


class SolutionMarkupError(ValueError):
    """A solution region that the generator cannot turn into a stub."""


def _code_stub(region: list[str], indent: str, where: str) -> list[str]:
    if indent:
        return [f"{indent}# YOUR CODE HERE", f'{indent}raise NotImplementedError("write your code here")']
    try:
        tree = ast.parse(textwrap.dedent("\n".join(region)))
    except SyntaxError as exc:
        raise SolutionMarkupError(f"{where}: the solution region is not valid Python: {exc}") from None
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for t in targets:
            if isinstance(t, ast.Name) and t.id not in names and not t.id.startswith("_"):  # `_x = ...`: not an answer
                names.append(t.id)
    if not names:
        raise SolutionMarkupError(f"{where}: a top-level solution region must assign the answer to a name")
    return ["# YOUR CODE HERE: replace None with your answer"] + [f"{n} = None" for n in names]


def replace_regions(source: str, markdown: bool, where: str) -> str:
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    begin = ("% " + BEGIN) if markdown else BEGIN
    end = ("% " + END) if markdown else END
    while i < len(lines):
        line = lines[i]
        if line.strip() == begin:
            indent = line[: len(line) - len(line.lstrip())]
            try:
                j = next(k for k in range(i + 1, len(lines)) if lines[k].strip() == end)
            except StopIteration:
                raise SolutionMarkupError(f"{where}: '{begin}' without '{end}'") from None
            out.extend([MD_STUB] if markdown else _code_stub(lines[i + 1: j], indent, where))
            i = j + 1
            continue
        if line.strip() == end:
            raise SolutionMarkupError(f"{where}: '{end}' without '{begin}'")
        out.append(line)
        i += 1
    return "\n".join(out)


def relabel(source: str) -> str:
    source = re.sub(r"^([ \t]*:label:[ \t]*)(\S+)[ \t]*$", rf"\g<1>\g<2>{LABEL_SUFFIX}", source, flags=re.M)
    return re.sub(r"^\(([\w.-]+)\)=[ \t]*$", rf"(\g<1>{LABEL_SUFFIX})=", source, flags=re.M)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def make_exercise(nb: dict, name: str) -> dict:
    """The learner's copy of the solution notebook ``nb`` (a dict in nbformat 4)."""
    nb = copy.deepcopy(nb)
    cells = []
    title_done = False
    in_block = False
    for i, cell in enumerate(nb["cells"]):
        where = f"solutions/{name}, cell {i}"
        src = _source(cell)
        if cell["cell_type"] == "markdown" and BLOCK_START.search(src):
            in_block = True
        elif cell["cell_type"] == "markdown" and BLOCK_END.search(src):
            if not in_block:
                raise SolutionMarkupError(f"{where}: solution-end without solution-start")
            in_block = False
            continue
        if "solution-only" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell["cell_type"] == "markdown":
            if in_block or SOLUTION_DIRECTIVE.search(src):
                continue
            src = relabel(replace_regions(src, markdown=True, where=where))
            src = WITH_SOLUTIONS_LINK.sub(r"\1(../solutions/\2)", src)
            if not title_done and re.search(r"^# ", src, re.M):
                src = re.sub(r"^(# .*?) \(with solutions\)$", r"\1", src, count=1, flags=re.M)
                src = re.sub(r"^(# .*)$", lambda m: m.group(1) + "\n\n" + LEARNER_NOTE.format(name=name), src,
                             count=1, flags=re.M)
                title_done = True
        elif cell["cell_type"] == "code":
            src = replace_regions(src, markdown=False, where=where)
        if BEGIN in src or END in src:
            raise SolutionMarkupError(f"{where}: a solution marker is left over (check its spelling and indentation)")
        cell["source"] = src.splitlines(keepends=True)  # one string per line, as Jupyter and nbstripout write
        cells.append(cell)
    if in_block:
        raise SolutionMarkupError(f"solutions/{name}: solution-start without solution-end")
    nb["cells"] = cells
    nb = clean(nb)
    nb["metadata"]["grucourse"] = {"generated_from": f"solutions/{name}", "note": PROVENANCE.format(name=name)}
    return nb


def expected() -> dict[Path, str]:
    """Every exercise notebook's expected text, keyed by its path."""
    return {EXERCISES / p.name: dumps(make_exercise(json.loads(p.read_text(encoding="utf-8")), p.name))
            for p in sorted(SOLUTIONS.glob("*.ipynb"))}


def stale() -> list[str]:
    """Exercise notebooks that differ from what the generator writes, are missing, or have no solution."""
    want = expected()
    bad = [str(p.relative_to(ROOT)) for p, text in want.items()
           if not p.exists() or p.read_text(encoding="utf-8") != text]
    bad += [f"{p.relative_to(ROOT)} (no solutions/{p.name})"
            for p in sorted(EXERCISES.glob("*.ipynb")) if p not in want]
    return bad


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report exercise notebooks that are out of date")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        for b in bad:
            print(f"out of date: {b}  (run: make exercises)")
        return 1 if bad else 0
    EXERCISES.mkdir(exist_ok=True)
    for path, text in expected().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in sorted(EXERCISES.glob("*.ipynb")):
        if not (SOLUTIONS / path.name).exists():
            print(f"warning: {path.relative_to(ROOT)} has no solutions/{path.name}; delete it if it is obsolete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
