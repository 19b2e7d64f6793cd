"""The contributor map: which grucourse modules each chapter and solutions notebook uses.

    python tools/contributor_map.py            # print the map (a Markdown table)
    python tools/contributor_map.py --write    # put it into README.md, between the contributor-map markers
    python tools/contributor_map.py --check    # exit 1, with a diff, when README.md's map is out of date
    python tools/contributor_map.py --stats    # grucourse modules per chapter, modules and import edges
    python tools/contributor_map.py --stats --root PATH   # the same numbers for another checkout

Everything is read from the tree, with ``ast``: the code cells of ``chapters/*.ipynb`` and
``solutions/*.ipynb``, every module of ``src/grucourse/`` (imports inside functions included) and
``tests/test_*.py``. ``from grucourse.core import mingru`` means the module ``grucourse.core.mingru``;
``from grucourse.checks import ex_carry`` means the package ``grucourse.checks``, whose ``__init__``
says which checks module defines ``ex_carry``. Importing a module also runs its packages' ``__init__``,
so the transitive closure follows those too.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "grucourse"
NOTEBOOK_FOLDERS = ("chapters", "solutions")
START, END = "<!-- contributor-map:start -->", "<!-- contributor-map:end -->"
# the order the rooms are listed in; rooms found in the tree but not here follow, sorted
ROOM_ORDER = ("core", "layers", "data", "training", "measure", "display", "widgets", "checks", "experiments")
SEP = " · "
NONE = "—"
CHAPTER_NAME = re.compile(r"^(\d\d)_(\w+)\.ipynb$")


# ---------------------------------------------------------------- modules and imports


def package_modules(root: Path) -> dict[str, Path]:
    """``{dotted name: file}`` for every module of ``src/grucourse`` (a package is its ``__init__.py``)."""
    src = root / "src"
    out = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imports_of(tree: ast.AST, modules: dict[str, Path], current: str | None = None) -> list[tuple[str, list[str]]]:
    """``[(module, names)]`` for each grucourse import in ``tree``, anywhere in it (functions included).

    ``names`` are the names imported from a package (``from grucourse.checks import ex_carry``), empty otherwise.
    ``current`` is the importing module's dotted name, for relative imports.
    """
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in modules:  # `import grucourse.x.f` with f not a module
                    name = name.rpartition(".")[0]
                if name:
                    out.append((name, []))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if current is None:
                    continue
                pkg = current if is_package(current, modules) else current.rpartition(".")[0]
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                base = f"{pkg}.{base}" if base else pkg
            if base != PACKAGE and not base.startswith(PACKAGE + "."):
                continue
            names = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    out.append((sub, []))  # `from grucourse.core import mingru`: the module
                else:
                    names.append(alias.name)
            if names:
                while base and base not in modules:
                    base = base.rpartition(".")[0]
                if base:
                    out.append((base, names))
    return out


def parse_file(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """``{module: modules it imports}``, as written in its source (no self edges)."""
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m, _ in imports_of(parse_file(path), modules, name) if m != name}
    return graph


def closure(start: Iterable[str], graph: dict[str, set[str]]) -> set[str]:
    """Every module that importing ``start`` runs: their imports, recursively, and their packages' ``__init__``."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in graph:
            continue
        seen.add(name)
        todo.extend(graph[name])
        todo.extend(_parents(name))
    return seen


def leaves(names: Iterable[str], modules: dict[str, Path]) -> set[str]:
    """``names`` without packages (their ``__init__``): the modules that hold code."""
    return {n for n in names if n in modules and not is_package(n, modules)}


# ---------------------------------------------------------------- notebooks


def notebook_tree(path: Path) -> ast.Module:
    """The code cells of a notebook as one module; magics and shell lines are left out."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    body = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines()]
        try:
            body.extend(ast.parse("\n".join(lines)).body)
        except SyntaxError as exc:
            print(f"warning: {path.name} cell {i}: not Python ({exc.msg}); skipped", file=sys.stderr)
    return ast.Module(body=body, type_ignores=[])


def room_of(name: str) -> str:
    """``core`` for ``grucourse.core.gru``; ``foundation`` for a module at the package root."""
    parts = name.split(".")
    return parts[1] if len(parts) > 2 else "foundation"


def short(name: str) -> str:
    return name.rpartition(".")[2]


def checks_index(modules: dict[str, Path]) -> dict[str, str]:
    """``{name: checks module}`` for the names ``grucourse.checks`` exports, read from its ``__init__``."""
    pkg = f"{PACKAGE}.checks"
    if pkg not in modules or not is_package(pkg, modules):
        return {}
    owner: dict[str, str] = {}
    for node in parse_file(modules[pkg]).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(pkg + "."):
            for alias in node.names:
                owner[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.Assign):
            value = node.value.func if isinstance(node.value, ast.Call) else node.value
            source = owner.get(value.id) if isinstance(value, ast.Name) else None
            for target in node.targets:
                for t in (target.elts if isinstance(target, ast.Tuple) else [target]):
                    if isinstance(t, ast.Name) and source:
                        owner[t.id] = source
    return owner


@dataclass
class Notebook:
    path: str  # relative to the root, e.g. chapters/08_gru_vs_lstm.ipynb
    direct: set[str]  # modules imported in its cells
    deps: set[str]  # the transitive closure
    checkers: list[str] = field(default_factory=list)


def notebooks(root: Path, modules: dict[str, Path], graph: dict[str, set[str]],
              folders: Iterable[str] = NOTEBOOK_FOLDERS) -> list[Notebook]:
    owner = checks_index(modules)
    out = []
    for folder in folders:
        for path in sorted((root / folder).glob("*.ipynb")):
            found = imports_of(notebook_tree(path), modules)
            direct = {m for m, _ in found}
            checkers = set()
            for m, names in found:
                if room_of(m) == "checks" or m == f"{PACKAGE}.checks":
                    if m != f"{PACKAGE}.checks":
                        checkers.add(m)
                    checkers.update(owner[n] for n in names if n in owner)
            if len(checkers) > 1:  # the shared base (verdicts, Exercise) is no exercise set's checker
                checkers.discard(f"{PACKAGE}.checks.core")
            if not checkers and f"{PACKAGE}.checks" in direct:
                checkers.add(f"{PACKAGE}.checks")
            out.append(Notebook(path.relative_to(root).as_posix(), direct, closure(direct, graph),
                                sorted(checkers)))
    return out


def test_imports(root: Path, modules: dict[str, Path]) -> dict[str, set[str]]:
    """``{test file name: grucourse modules it imports}`` for ``tests/test_*.py``."""
    out = {}
    for path in sorted((root / "tests").glob("test_*.py")):
        try:
            out[path.name] = {m for m, _ in imports_of(parse_file(path), modules)}
        except SyntaxError:
            out[path.name] = set()
    return out


# ---------------------------------------------------------------- the table


def _names(mods: Iterable[str]) -> str:
    return ", ".join(sorted(short(m) for m in mods)) or NONE


def _by_room(mods: Iterable[str]) -> str:
    rooms: dict[str, list[str]] = {}
    for m in mods:
        rooms.setdefault(room_of(m), []).append(short(m))
    order = [r for r in ROOM_ORDER if r in rooms] + sorted(r for r in rooms if r not in ROOM_ORDER)
    return SEP.join(f"{r}: {', '.join(sorted(rooms[r]))}" for r in order) or NONE


def build_map(root: Path = ROOT) -> str:
    """The Markdown table, one row per notebook of chapters/ and solutions/."""
    modules = package_modules(root)
    graph = import_graph(modules)
    tests = test_imports(root, modules)
    side = ("experiments", "widgets", "checks", "foundation")  # rooms with their own column, or left out
    rows = ["| notebook | experiments | code it uses | widgets | checker | tests |", "|---|---|---|---|---|---|"]
    for nb in notebooks(root, modules, graph):
        mods = leaves(nb.direct, modules)
        experiments = {m for m in mods if room_of(m) == "experiments"}
        widgets = {m for m in mods if room_of(m) == "widgets"}
        code = {m for m in mods if room_of(m) not in side}
        checker = ", ".join(short(m) for m in nb.checkers) or NONE
        test_files = sorted(t for t, imported in tests.items() if experiments & imported)
        cells = [f"`{nb.path.removesuffix('.ipynb')}`", _names(experiments), _by_room(code), _names(widgets),
                 checker, ", ".join(t.removesuffix(".py") for t in test_files) or NONE]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def replace_block(readme: str, table: str) -> str:
    """``readme`` with ``table`` between the markers (each marker on its own line)."""
    if readme.count(START) != 1 or readme.count(END) != 1 or readme.index(START) > readme.index(END):
        raise ValueError(f"README.md must hold one '{START}' line before one '{END}' line")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def stale_diff(readme: str, table: str) -> str:
    """Empty when ``readme``'s map equals ``table``; otherwise a message with the unified diff."""
    try:
        wanted = replace_block(readme, table)
    except ValueError as exc:
        return str(exc)
    if wanted == readme:
        return ""
    diff = difflib.unified_diff(readme.splitlines(keepends=True), wanted.splitlines(keepends=True),
                                "README.md", "README.md (regenerated)")
    return ("README.md's contributor map is out of date: run `python tools/contributor_map.py --write`.\n"
            + "".join(diff))


def check(root: Path = ROOT, readme: str | None = None) -> str:
    """``stale_diff`` of the README at ``root`` (or of the text ``readme``) against the map of ``root``."""
    if readme is None:
        readme = (root / "README.md").read_text(encoding="utf-8")
    return stale_diff(readme, build_map(root))


# ---------------------------------------------------------------- stats


def stats(root: Path = ROOT) -> dict:
    """Modules per chapter notebook (direct and transitive; packages' ``__init__`` not counted),
    modules in the package and import edges between them (distinct importer -> imported pairs)."""
    modules = package_modules(root)
    graph = import_graph(modules)
    chapters = notebooks(root, modules, graph, folders=("chapters",))
    direct = [len(leaves(nb.direct, modules)) for nb in chapters]
    deps = [len(leaves(nb.deps, modules)) for nb in chapters]
    return {
        "chapters": len(chapters),
        "direct_mean": sum(direct) / len(direct), "direct_max": max(direct),
        "closure_mean": sum(deps) / len(deps), "closure_max": max(deps),
        "modules": len(leaves(modules, modules)), "packages": len(modules) - len(leaves(modules, modules)),
        "edges": sum(len(v) for v in graph.values()),
        "edges_between_modules": sum(len(leaves(v, modules)) for k, v in graph.items() if not is_package(k, modules)),
    }


def format_stats(s: dict, root: Path) -> str:
    return "\n".join([
        f"{root}: {s['chapters']} chapter notebooks",
        f"  grucourse modules per chapter, direct imports:      mean {s['direct_mean']:.1f}, max {s['direct_max']}",
        f"  grucourse modules per chapter, transitive closure:  mean {s['closure_mean']:.1f}, max {s['closure_max']}",
        f"  package: {s['modules']} modules (+ {s['packages']} package __init__), "
        f"{s['edges']} import edges ({s['edges_between_modules']} between modules, __init__ files aside)",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="put the map into README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when README.md's map is out of date")
    mode.add_argument("--stats", action="store_true", help="modules per chapter, modules and import edges")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to read (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.stats:
        print(format_stats(stats(root), root))
        return 0
    readme_path = root / "README.md"
    if args.check:
        problem = check(root)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        print("README.md's contributor map is up to date.")
        return 0
    table = build_map(root)
    if args.write:
        readme = readme_path.read_text(encoding="utf-8")
        new = replace_block(readme, table)
        if new != readme:
            readme_path.write_text(new, encoding="utf-8")
            print("README.md: contributor map updated.")
        else:
            print("README.md: contributor map already up to date.")
        return 0
    print(table, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
