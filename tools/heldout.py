"""Re-run a chapter on its held-out seeds and say which of its asserts hold.

    python tools/heldout.py chapters/12_training_generalisation.ipynb
    python tools/heldout.py --show-output chapters/12_training_generalisation.ipynb
    make heldout NB=chapters/12_training_generalisation.ipynb

A chapter that compares models over seeds keeps its seeds in one code cell tagged ``parameters``
(papermill's convention), each with a held-out counterpart: ``SEEDS = list(range(10))`` and
``HELDOUT_SEEDS = list(range(10, 20))``. The asserts' margins were set on the held-out seeds (their
comments say so). This tool inserts, right after the parameters cell, a cell that sets every ``X`` to
``HELDOUT_X``, executes the notebook (continuing past errors, so a failing assert does not stop the
run) and prints, for every code cell with an ``assert`` statement, PASS or FAIL with the error; with
``--show-output`` also what each of those cells printed, so the held-out numbers can be read.
The chapter itself is never written: the executed copy goes to _build/heldout/.
Exit code 0 if every assert cell held and no other cell raised, 1 otherwise, 2 for a notebook this
tool cannot re-run (no parameters cell, no HELDOUT_ names).
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "_build" / "heldout"
TAG = "parameters"
PREFIX = "HELDOUT_"
INJECTED_ID = "heldout-injected"
TIMEOUT_S = 600
ASSERT_LINE = re.compile(r"^\s*assert\b", re.M)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ARROW = re.compile(r"^\s*-*>\s*(\d+)\s?(.*)$")  # IPython's "----> 5 assert ..." line of a traceback


class HeldoutError(Exception):
    """A notebook this tool cannot re-run on held-out seeds."""


@dataclass
class CellResult:
    index: int  # position in the chapter (without the inserted cell), as JupyterLab counts
    cell_id: str
    status: str  # PASS, FAIL, NOT RUN (for cells without asserts: ERROR)
    error: str = ""  # "AssertionError: <first line of the message>"
    line: str = ""  # "line 3: assert ..." where the traceback names it
    output: str = ""  # the text the cell printed

    @property
    def where(self) -> str:
        return f"cell {self.index} ({self.cell_id})"


@dataclass
class HeldoutRun:
    notebook: Path
    substitutions: dict[str, str]  # {"SEEDS": "HELDOUT_SEEDS"}
    page_values: dict[str, str]  # {"SEEDS": "[0, 1, ...]"}, shown in the report
    heldout_values: dict[str, str]
    asserts: list[CellResult] = field(default_factory=list)
    other_errors: list[CellResult] = field(default_factory=list)  # cells without asserts that raised
    stopped: str = ""  # why the run ended early, if it did
    seconds: float = 0.0
    executed_copy: Path | None = None

    @property
    def failed(self) -> list[CellResult]:
        return [r for r in self.asserts if r.status != "PASS"]

    @property
    def exit_code(self) -> int:
        return 1 if (self.failed or self.other_errors or self.stopped) else 0


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def parameters_index(nb) -> int:
    """The index of the notebook's one code cell tagged ``parameters``."""
    found = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and TAG in c.get("metadata", {}).get("tags", [])]
    if not found:
        raise HeldoutError(
            f"no code cell tagged {TAG!r}: a chapter that compares models over seeds keeps them in one "
            f"cell tagged {TAG!r} (cell.metadata.tags), e.g. SEEDS = list(range(10)) and "
            f"HELDOUT_SEEDS = list(range(10, 20))")
    if len(found) > 1:
        raise HeldoutError(f"{len(found)} cells tagged {TAG!r} (cells {found}): keep the seeds in one")
    return found[0]


def _assignments(source: str) -> dict[str, ast.expr]:
    """{name: value expression} of the top-level ``name = value`` statements of a cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise HeldoutError(f"the {TAG!r} cell is not plain Python: {e}") from None
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            found[node.target.id] = node.value
    return found


def heldout_names(source: str) -> dict[str, str]:
    """{X: HELDOUT_X} for every ``HELDOUT_X`` the parameters cell assigns; X must be assigned there too."""
    assigned = _assignments(source)
    pairs = {name.removeprefix(PREFIX): name for name in assigned if name.startswith(PREFIX)}
    if not pairs:
        raise HeldoutError(
            f"the {TAG!r} cell defines no {PREFIX}* name: give each seeds name its held-out seeds, e.g. "
            f"HELDOUT_SEEDS = list(range(10, 20)) next to SEEDS")
    orphans = sorted(h for x, h in pairs.items() if x not in assigned)
    if orphans:
        raise HeldoutError(f"the {TAG!r} cell defines {', '.join(orphans)} but not "
                           f"{', '.join(o.removeprefix(PREFIX) for o in orphans)}")
    return dict(sorted(pairs.items()))


def _shown(expr: ast.expr) -> str:
    """The value of a simple seeds expression (list(range(10, 20)) -> [10, ..., 19]), else its text."""
    names = {"list": list, "tuple": tuple, "range": range}

    def value(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [value(e) for e in node.elts]
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
                and not node.keywords):
            return names[node.func.id](*(value(a) for a in node.args))
        raise ValueError(ast.unparse(node))

    try:
        v = value(expr)
    except (ValueError, TypeError):
        return ast.unparse(expr)
    return str(list(v) if isinstance(v, (range, tuple)) else v)


def with_heldout_seeds(nb):
    """A copy of ``nb`` with a cell after the parameters cell that sets each X to HELDOUT_X."""
    import nbformat

    i = parameters_index(nb)
    params = _source(nb["cells"][i])
    names = heldout_names(params)
    lines = ["# inserted by tools/heldout.py: the page's seeds replaced by its held-out seeds"]
    lines += [f"{x} = {h}" for x, h in names.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines), id=INJECTED_ID)
    cell.metadata["tags"] = ["injected-parameters"]
    out = copy.deepcopy(nb)
    out.cells.insert(i + 1, cell)
    return out, names, i


def kernel_env() -> dict[str, str]:
    """The environment the course's notebooks run in (as tools/run_tests.py sets it)."""
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(0, str(ROOT / "tools"))
    from execute_notebooks import quiet_kernel_profile

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0", PYTHONHASHSEED="0")
    env.setdefault("IPYTHONDIR", quiet_kernel_profile())  # no "running over TCP" notice per kernel
    return env


def _error(cell) -> tuple[str, str] | None:
    """("AssertionError: first line of the message", "line N: the statement") of a cell that raised."""
    for out in cell.get("outputs", []):
        if out.get("output_type") != "error":
            continue
        message = (out.get("evalue") or "").strip().splitlines()
        error = out.get("ename", "Error") + (f": {message[0]}" if message else "")
        line = ""
        frames = [ANSI.sub("", t) for t in out.get("traceback", [])]
        for frame in frames:  # the first frame is the cell's own; its arrow marks the statement
            for text in frame.splitlines():
                m = ARROW.match(text)
                if m:
                    line = f"line {m.group(1)}: {m.group(2).strip()}"
                    break
            if line:
                break
        return error, line
    return None


def _printed(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(_source({"source": out.get("text", "")}))
        elif out.get("output_type") in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain")
            if text:
                parts.append(_source({"source": text}) + "\n")
    return "".join(parts).rstrip("\n")


def collect(executed, run: HeldoutRun) -> None:
    """Fill ``run`` with the result of every assert cell (and every other cell that raised)."""
    index = -1
    for cell in executed.cells:
        if cell.get("id") == INJECTED_ID:
            continue
        index += 1
        if cell["cell_type"] != "code":
            continue
        has_assert = bool(ASSERT_LINE.search(_source(cell)))
        err = _error(cell)
        result = CellResult(index, cell.get("id", "?"), "PASS", output=_printed(cell))
        if err:
            result.error, result.line = err
            result.status = "FAIL" if has_assert else "ERROR"
        elif cell.get("execution_count") is None and _source(cell).strip():
            result.status = "NOT RUN"
        if has_assert:
            run.asserts.append(result)
        elif result.status == "ERROR":
            run.other_errors.append(result)


def prepare(path: Path):
    """(path, notebook, notebook with the held-out cell, {X: HELDOUT_X}, index of the parameters cell)."""
    import nbformat

    path = Path(path).resolve()
    if not path.is_file():
        raise HeldoutError(f"no such notebook: {path}")
    nb = nbformat.read(path, as_version=4)
    heldout, names, i = with_heldout_seeds(nb)
    return path, nb, heldout, names, i


def run_heldout(path: Path, out_dir: Path = OUT_DIR, timeout: int = TIMEOUT_S) -> HeldoutRun:
    """Execute the notebook at ``path`` on its held-out seeds; write the executed copy to ``out_dir``."""
    import nbformat
    from nbclient import NotebookClient

    path, nb, heldout, names, i = prepare(path)
    out_dir = Path(out_dir).resolve()
    if out_dir == path.parent:
        raise HeldoutError(f"the executed copy must not overwrite the notebook: choose another folder than "
                           f"{out_dir}")
    assigned = _assignments(_source(nb.cells[i]))
    run = HeldoutRun(path, names, {x: _shown(assigned[x]) for x in names},
                     {x: _shown(assigned[h]) for x, h in names.items()})
    client = NotebookClient(heldout, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute(env=kernel_env())
    except Exception as e:  # the kernel died or could not start: report what ran
        run.stopped = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
    run.seconds = time.perf_counter() - t0
    collect(heldout, run)
    out_dir.mkdir(parents=True, exist_ok=True)
    run.executed_copy = out_dir / path.name
    nbformat.write(heldout, run.executed_copy)
    return run


def _shown_path(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def print_report(run: HeldoutRun, show_output: bool = False, file: TextIO | None = None) -> None:
    file = file or sys.stdout

    def say(text=""):
        print(text, file=file)

    say(f"held-out run of {_shown_path(run.notebook)}")
    for x, h in run.substitutions.items():
        say(f"  {x} = {h} = {run.heldout_values[x]}   (the page: {run.page_values[x]})")
    say(f"executed in {run.seconds:.0f} s; executed copy: "
        f"{_shown_path(run.executed_copy) if run.executed_copy else '-'}")
    if run.stopped:
        say(f"the run stopped early: {run.stopped}")
    say()
    for r in sorted([*run.asserts, *run.other_errors], key=lambda r: r.index):  # in the page's order
        note = " (no assert)" if r.status == "ERROR" else ""
        say(f"{r.status:<7} {r.where}{note}" + (f", {r.line}" if r.line else ""))
        if r.error:
            say(f"        {r.error}")
        if show_output and r.output and r.status != "ERROR":
            for text in r.output.splitlines():
                say(f"      | {text}")
    held = len(run.asserts) - len(run.failed)
    summary = f"{held} assert cells hold, {len(run.failed)} fail"
    if run.other_errors:
        k = len(run.other_errors)
        summary += f"; {k} other cell{'s' if k != 1 else ''} (without asserts) raised an error"
    say()
    say(summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="e.g. chapters/12_training_generalisation.ipynb")
    parser.add_argument("--show-output", action="store_true", help="also print what each assert cell printed")
    parser.add_argument("--timeout", type=int, default=TIMEOUT_S, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    try:
        prepare(args.notebook)  # a notebook it cannot run fails here, before a kernel starts
        print(f"executing {args.notebook} on its held-out seeds (as long as the chapter takes) ...",
              flush=True)
        run = run_heldout(args.notebook, timeout=args.timeout)
    except HeldoutError as e:
        print(f"heldout: {args.notebook}: {e}", file=sys.stderr)
        return 2
    print_report(run, show_output=args.show_output)
    return run.exit_code


if __name__ == "__main__":
    sys.exit(main())
