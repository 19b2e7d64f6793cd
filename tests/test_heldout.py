"""Held-out seeds by command: every chapter that compares models over seeds keeps its seeds in one
cell tagged `parameters`, with held-out counterparts, and tools/heldout.py re-runs it on those."""

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from tools import heldout

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

# a comment that says where an assert's margin came from, or a paired comparison over seeds
COMPARES = re.compile(
    r"paired_diff|held[- ]out seeds?\b|margins? (?:were )?(?:set on|from|come from) (?:the )?seeds \d",
    re.I)
# "held-out seeds 10-19", "margins from seeds 10-19", "held-out seeds 100-109", "untrained seeds 10-19"
NAMED_RANGE = re.compile(r"(?:held[- ]out|margins? (?:set on|from)|untrained) seeds (\d+)\s*[-–]\s*(\d+)", re.I)
# pages whose margin comments name seeds that no single held-out run can reproduce
EXEMPT = {
    "03_keras_example.ipynb": "one model from seed 0; its margins come from 20 separate one-seed runs (1-20)",
}


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


def compares_over_seeds(path):
    return bool(COMPARES.search("\n".join(source(c) for c in code_cells(load(path)))))


SEED_PAGES = [p for p in CHAPTERS if compares_over_seeds(p) and p.name not in EXEMPT]


def test_the_pages_that_compare_over_seeds_are_found():
    names = {p.name for p in SEED_PAGES}
    expected = {"01_motivation.ipynb", "04_gate_intuition.ipynb", "06_long_term_dependencies.ipynb",
                "08_gru_vs_lstm.ipynb", "09_when_to_prefer_gru.ipynb", "10_training_memory.ipynb",
                "11_training_memory_lags.ipynb", "12_training_generalisation.ipynb",
                "14_app_sensors.ipynb", "17_seq2seq_attention.ipynb",
                "18_char_language_model.ipynb", "23_mingru_learning.ipynb", "25_deer.ipynb"}
    assert expected <= names, sorted(expected - names)
    stale = [name for name in EXEMPT if not (ROOT / "chapters" / name).exists()
             or not compares_over_seeds(ROOT / "chapters" / name)]
    assert not stale, f"exemptions no longer needed: {stale}"


@pytest.mark.parametrize("path", SEED_PAGES, ids=lambda p: p.name)
def test_page_keeps_its_seeds_in_one_parameters_cell(path):
    nb = load(path)
    tagged = [i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters', want 1"
    cell = nb["cells"][tagged[0]]
    assert cell["cell_type"] == "code"
    code = code_cells(nb)
    assert code.index(cell) == 1, "the parameters cell comes right after the setup (import) cell"

    # only `NAME = value` statements: it prints nothing and swapping a name is a pure substitution
    tree = ast.parse(source(cell))
    assert all(isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
               for s in tree.body), "the parameters cell holds assignments only"
    assert not any(isinstance(n, ast.Call) and getattr(n.func, "id", "") not in ("list", "range", "tuple")
                   for n in ast.walk(tree)), "the parameters cell calls nothing but list/range/tuple"
    values = {}
    exec(compile(tree, "parameters", "exec"), {"__builtins__": {}, "list": list, "range": range,
                                                "tuple": tuple}, values)
    names = heldout.heldout_names(source(cell))
    seeds = {n for n in values if not n.startswith(heldout.PREFIX)}
    assert seeds == set(names), f"every seeds name needs its HELDOUT_ name: {seeds ^ set(names)}"

    def as_set(v):
        return set(v) if isinstance(v, (list, tuple, range)) else {v}

    for name, held in names.items():
        assert not as_set(values[name]) & as_set(values[held]), f"{held} overlaps {name}"
        assert type(values[name]) is type(values[held]), f"{held} is not the same kind of value as {name}"

    # the rest of the page uses the names, not the literal seeds
    rest = "\n".join(source(c) for c in code if c is not cell)
    for name in names:
        assert re.search(rf"\b{name}\b", rest), f"{name} is never used outside the parameters cell"
        expr = ast.get_source_segment(source(cell), next(s.value for s in tree.body
                                                           if s.targets[0].id == name))
        if "range(" in expr:
            inner = re.search(r"range\([^)]*\)", expr).group(0)
            assert inner not in rest, f"{inner} still written out elsewhere: use {name}"

    # the held-out seeds are those the asserts' comments name
    held_out = set().union(*(as_set(values[h]) for h in names.values()))
    for lo, hi in NAMED_RANGE.findall(rest):
        named = set(range(int(lo), int(hi) + 1))
        assert named <= held_out, f"a comment names seeds {lo}-{hi}, not in the HELDOUT_ values"


def write_notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def parameters(text):
    cell = nbformat.v4.new_code_cell(text)
    cell.metadata["tags"] = ["parameters"]
    return cell


def test_heldout_runs_the_notebook_on_the_heldout_seeds(tmp_path, capsys):
    path = write_notebook(tmp_path / "tiny.ipynb", [
        nbformat.v4.new_markdown_cell("# tiny"),
        parameters("SEEDS = [0, 1]\nHELDOUT_SEEDS = [2, 3]"),
        nbformat.v4.new_code_cell("print('seeds', SEEDS)\nassert SEEDS == [2, 3], SEEDS"),
        nbformat.v4.new_code_cell('x = 1\nassert False, "boom\\nsecond line"'),
        nbformat.v4.new_code_cell("y = 2  # no assert"),
    ])
    before = path.read_bytes()
    run = heldout.run_heldout(path, out_dir=tmp_path / "out", timeout=60)
    heldout.print_report(run, show_output=True)
    report = capsys.readouterr().out

    assert path.read_bytes() == before, "the notebook itself must not be written"
    assert run.substitutions == {"SEEDS": "HELDOUT_SEEDS"}
    assert [(r.index, r.status) for r in run.asserts] == [(2, "PASS"), (3, "FAIL")]
    assert run.asserts[1].error == "AssertionError: boom"
    assert "assert False" in run.asserts[1].line
    assert run.other_errors == [] and run.stopped == ""
    assert run.exit_code == 1
    assert "SEEDS = HELDOUT_SEEDS = [2, 3]" in report
    assert "| seeds [2, 3]" in report  # --show-output
    assert "PASS" in report and "FAIL" in report and "boom" in report
    assert report.rstrip().endswith("1 assert cells hold, 1 fail")

    executed = nbformat.read(run.executed_copy, as_version=4)
    assert run.executed_copy.parent == tmp_path / "out"
    injected = executed.cells[2]
    assert injected.id == heldout.INJECTED_ID and injected.outputs == [], "the inserted cell prints nothing"


def test_heldout_exit_code_is_0_when_every_assert_holds(tmp_path):
    path = write_notebook(tmp_path / "ok.ipynb", [
        parameters("SEEDS = [0]\nHELDOUT_SEEDS = [5]"),
        nbformat.v4.new_code_cell("assert SEEDS == [5]"),
    ])
    run = heldout.run_heldout(path, out_dir=tmp_path / "out", timeout=60)
    assert [r.status for r in run.asserts] == ["PASS"] and run.exit_code == 0


def test_a_notebook_without_a_parameters_cell_gives_a_clear_error(tmp_path, capsys):
    path = write_notebook(tmp_path / "plain.ipynb", [nbformat.v4.new_code_cell("SEEDS = [0]\nassert True")])
    with pytest.raises(heldout.HeldoutError, match="no code cell tagged 'parameters'"):
        heldout.run_heldout(path, out_dir=tmp_path / "out")
    assert heldout.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "no code cell tagged 'parameters'" in err and "HELDOUT_SEEDS" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("SEEDS = [0, 1]", "defines no HELDOUT_"),
    ("HELDOUT_SEEDS = [2, 3]", "defines HELDOUT_SEEDS but not SEEDS"),
])
def test_a_parameters_cell_without_heldout_pairs_gives_a_clear_error(tmp_path, text, message):
    path = write_notebook(tmp_path / "nb.ipynb", [parameters(text)])
    with pytest.raises(heldout.HeldoutError, match=message):
        heldout.run_heldout(path, out_dir=tmp_path / "out")


def test_two_parameters_cells_are_refused(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [parameters("A = 1\nHELDOUT_A = 2"), parameters("B = 1")])
    with pytest.raises(heldout.HeldoutError, match="2 cells tagged"):
        heldout.run_heldout(path, out_dir=tmp_path / "out")


def test_the_inserted_cell_swaps_every_heldout_name():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy"),
                parameters("SEEDS = list(range(10))\nLAG_SEEDS = [3]\nHELDOUT_SEEDS = list(range(10, 20))\n"
                           "HELDOUT_LAG_SEEDS = [4]"),
                nbformat.v4.new_code_cell("print(SEEDS)")]
    out, names, i = heldout.with_heldout_seeds(nb)
    assert i == 1 and len(nb.cells) == 3, "the original notebook is not changed"
    assert names == {"LAG_SEEDS": "HELDOUT_LAG_SEEDS", "SEEDS": "HELDOUT_SEEDS"}
    code = out.cells[2].source
    assert "SEEDS = HELDOUT_SEEDS" in code and "LAG_SEEDS = HELDOUT_LAG_SEEDS" in code
    assert "print" not in code
    assert out.cells[3].source == "print(SEEDS)"
