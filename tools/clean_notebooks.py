"""Strip outputs and execution counts from the course notebooks and set their kernel.

    python tools/clean_notebooks.py            # clean every notebook in place
    python tools/clean_notebooks.py --check    # exit 1 and list notebooks that need cleaning

Committed notebooks carry no outputs (the book and nbval execute them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("chapters", "exercises", "solutions")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def clean(nb: dict) -> dict:
    """Return ``nb`` without outputs, execution counts or widget state, with the python3 kernel, in the form
    nbstripout writes (sources as lists of lines), so the git filter leaves committed notebooks unchanged."""
    for cell in nb.get("cells", []):
        if isinstance(cell.get("source"), str):  # one string per line, as Jupyter and nbstripout write it
            cell["source"] = cell["source"].splitlines(keepends=True)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    meta = nb.setdefault("metadata", {})
    meta["kernelspec"] = dict(KERNELSPEC)
    meta.setdefault("language_info", {"name": "python"})
    meta.pop("widgets", None)
    return nb


def dumps(nb: dict) -> str:
    """The notebook as Jupyter and nbstripout write it (sorted keys), so the git filter changes nothing."""
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def notebooks() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that need cleaning")
    args = parser.parse_args(argv)
    dirty = []
    for path in notebooks():
        text = path.read_text(encoding="utf-8")
        cleaned = dumps(clean(json.loads(text)))
        if cleaned != text:
            dirty.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(cleaned, encoding="utf-8")
    verb = "need cleaning" if args.check else "cleaned"
    for path in dirty:
        print(f"{verb}: {path}")
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())
