"""Install the JavaScript the static book needs from npm and copy it into ``book_js/``.

    python tools/vendor_js.py           # npm ci (if needed) and copy; a stamp skips repeated work
    python tools/vendor_js.py --force   # redo everything

The versions are pinned by ``package.json`` and ``package-lock.json`` (``npm ci``). ``book_js/`` and
``node_modules/`` are git-ignored; ``_config.yml`` serves ``book_js/`` as a static folder:

- ``mathjax/``: MathJax 3's ``tex-mml-chtml.js`` with its woff-v2 fonts (``mathjax_path``).

The widgets need no third-party JavaScript: every widget of the course is an anywidget that carries
its own module, and the course's loader ``tools/book_static/course-widgets.js`` draws them from the
state saved in the page (``nb_ipywidgets_js`` in ``_config.yml``). The page fixes that are our own
code are in the Sphinx extension ``tools/book_fixes.py``.

Nothing here is downloaded at page-view time: the book works with the network cut.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
OUT = ROOT / "book_js"
STAMP = OUT / ".stamp"

# (source under node_modules, destination under book_js)
FILES = [
    ("mathjax/es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
]
FONT_DIRS = [
    ("mathjax/es5/output/chtml/fonts/woff-v2", "mathjax/output/chtml/fonts/woff-v2", (".woff",)),
]


def digest() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json", "tools/vendor_js.py"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def npm() -> str:
    exe = shutil.which("npm")
    if exe:
        return exe
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("npm is missing: installing nodejs and npm with apt-get ...", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nodejs", "npm"], check=True)
        exe = shutil.which("npm")
        if exe:
            return exe
    sys.exit("npm (Node.js 18 or newer) is needed to build the book: install it, e.g. "
             "`sudo apt-get install nodejs npm`, then run `make js`")


def vendor(force: bool = False) -> None:
    want = digest()
    if not force and STAMP.exists() and STAMP.read_text().strip() == want:
        print("book_js/ is up to date")
        return
    lock_stamp = NODE_MODULES / ".package-lock.json"
    if force or not lock_stamp.exists() or lock_stamp.stat().st_mtime < (ROOT / "package-lock.json").stat().st_mtime:
        print("npm ci (pinned by package-lock.json) ...", flush=True)
        subprocess.run([npm(), "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    if OUT.exists():
        shutil.rmtree(OUT)
    for src, dst in FILES:
        target = OUT / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_MODULES / src, target)
    for src, dst, suffixes in FONT_DIRS:
        (OUT / dst).mkdir(parents=True, exist_ok=True)
        for f in sorted((NODE_MODULES / src).iterdir()):
            if f.suffix in suffixes:
                shutil.copyfile(f, OUT / dst / f.name)
    STAMP.write_text(want + "\n")
    size = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"vendored the book's JavaScript into {OUT.relative_to(ROOT)}/ ({size / 1e6:.1f} MB)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="run npm ci and copy again")
    vendor(parser.parse_args(argv).force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
