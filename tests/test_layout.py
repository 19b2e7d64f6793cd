"""The helper package keeps its layout: rooms that import only the rooms below them, no private imports.

- The import contracts in `.importlinter` (which room may import which) pass `lint-imports`, and they
  really fail on a planted violation in a copy of the package.
- No module imports another module's private name (``from grucourse.x import _y``,
  or ``module._y`` on an imported module), and no module is imported by a private path
  (``import grucourse.x._y``); import-linter does not check names, so an AST walk does.
- Every module is at most 300 lines, and no two modules define the same public top-level name.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "grucourse"
CONTRACTS = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MAX_LINES = 300
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(root: Path, dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[0] != root.name:
        return False
    base = root.joinpath(*parts[1:])
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _absolute(root: Path, path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` reads from, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = _module_name(root, path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, *([node.module] if node.module else [])])


def _private_imports_in(root: Path, path: Path) -> list[tuple[int, str]]:
    """(line, what) for each private import in the module at ``path`` of the package at ``root``."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bound: dict[str, str] = {}  # local name -> the grucourse module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != root.name:
                    continue
                if any(_is_private(part) for part in alias.name.split(".")):
                    found.append((alias.lineno, f"imports the private module {alias.name}"))
                bound[alias.asname or root.name] = alias.name if alias.asname else root.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(root, path, node)
            if source.split(".")[0] != root.name:
                continue
            if any(_is_private(part) for part in source.split(".")):
                found.append((node.lineno, f"imports from the private module {source}"))
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if _is_module(root, full):
                    bound[alias.asname or alias.name] = full
                    if _is_private(alias.name):
                        found.append((alias.lineno, f"imports the private module {full}"))
                elif _is_private(alias.name):
                    found.append((alias.lineno, f"imports the private name {alias.name} from {source}"))
    for node in ast.walk(tree):  # module._name on a grucourse module bound by an import
        if not isinstance(node, ast.Attribute):
            continue
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in bound:
            continue
        dotted = bound[base.id]
        for attr in chain:
            if _is_private(attr) and _is_module(root, dotted):
                found.append((node.lineno, f"uses the private name {attr} of {dotted}"))
                break
            dotted = f"{dotted}.{attr}"
    return found


def private_imports(root: Path) -> list[str]:
    """Every private import in the package at ``root`` (a ``.../grucourse`` folder), as 'file:line: what'."""
    found = set()
    for path in _modules(root):
        rel = path.relative_to(root.parent)
        found.update(f"{rel}:{line}: {what}" for line, what in _private_imports_in(root, path))
    return sorted(found)


def run_lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(CONTRACTS)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}{result.stderr}"
    assert "BROKEN" not in result.stdout


def _plant(path: Path, line: str) -> int:
    """Append ``line`` to the module at ``path``; returns its line number."""
    text = path.read_text(encoding="utf-8")
    text = text if text.endswith("\n") else text + "\n"
    path.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


def _copy_package(tmp_path: Path) -> Path:
    copy = tmp_path / "src" / "grucourse"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_import_contracts_fail_on_planted_violations(tmp_path):
    copy = _copy_package(tmp_path)
    experiments = sorted(p for p in (copy / "experiments").glob("*.py") if p.name != "__init__.py")
    importer, imported = experiments[0], experiments[1]
    planted = {
        "core imports foundation only": (
            "grucourse.core.gru -> grucourse.widgets.gate_trace",
            _plant(copy / "core" / "gru.py", "from grucourse.widgets import gate_trace  # planted")),
        "the experiments modules (one per chapter) never import one another": (
            f"grucourse.experiments.{importer.stem} -> grucourse.experiments.{imported.stem}",
            _plant(importer, f"from grucourse.experiments import {imported.stem}  # planted")),
        "foundation (grucourse, validate, kinds, repro, lab_save) imports nothing from grucourse": (
            "grucourse.validate -> grucourse.kinds",
            _plant(copy / "validate.py", "from grucourse import kinds  # planted")),
    }
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(copy.parent), os.environ.get("PYTHONPATH", "")]))
    result = run_lint_imports(tmp_path, env)
    out = " ".join(result.stdout.split())  # rich wraps long lines
    print(result.stdout)
    assert result.returncode != 0, f"planted violations not caught:\n{result.stdout}{result.stderr}"
    for contract, (chain, line) in planted.items():
        assert f"{contract} BROKEN" in out, f"{contract!r} not broken:\n{result.stdout}"
        # the planted line exists only in the copy: lint-imports really read the copy
        assert re.search(rf"{re.escape(chain)} \(l\.{line}\)", out), f"{chain} (l.{line}) not named:\n{out}"


def test_no_private_imports():
    found = private_imports(PACKAGE)
    assert not found, "private imports (make the name public, or move it):\n" + "\n".join(found)


def test_private_import_checker_catches_planted_imports(tmp_path):
    copy = _copy_package(tmp_path)
    before = set(private_imports(copy))
    user = copy / "training" / "compare.py"
    lines = [
        _plant(user, "from grucourse.training.packing import _columns  # planted"),
        _plant(user, "from .packing import (\n    pack,\n    _columns as columns,  # planted\n)") + 2,
        _plant(user, "import grucourse.training._hidden  # planted"),
        _plant(user, "from grucourse.training import packing  # planted"),
        _plant(user, "columns = packing._columns  # planted"),
    ]
    checker = _plant(copy / "checks" / "deer.py", "from grucourse.core.gru import _check_h0  # planted")
    new = sorted(set(private_imports(copy)) - before)
    rel = "grucourse/training/compare.py"
    assert new == sorted([
        f"{rel}:{lines[0]}: imports the private name _columns from grucourse.training.packing",
        f"{rel}:{lines[1]}: imports the private name _columns from grucourse.training.packing",
        f"{rel}:{lines[2]}: imports the private module grucourse.training._hidden",
        f"{rel}:{lines[4]}: uses the private name _columns of grucourse.training.packing",
        f"grucourse/checks/deer.py:{checker}: imports the private name _check_h0 from grucourse.core.gru",
    ]), new


def test_modules_are_short():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in _modules(PACKAGE)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"modules over {MAX_LINES} lines (split them):\n" + "\n".join(long)


def test_public_names_are_defined_once():
    where = defaultdict(list)
    for path in _modules(PACKAGE):
        if path.name == "__init__.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, DEFINITIONS) and not node.name.startswith("_"):
                where[node.name].append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    twice = [f"{name}: {', '.join(places)}" for name, places in sorted(where.items()) if len(places) > 1]
    assert not twice, "public names defined in more than one module:\n" + "\n".join(twice)
