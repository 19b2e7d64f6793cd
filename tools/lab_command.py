"""The one JupyterLab command line of the course: `make lab` runs it, the Lab browser test starts it too.

    python tools/lab_command.py            # start JupyterLab on the repository (what `make lab` does)
    python tools/lab_command.py --print    # print the command line instead

JupyterLab serves the repository root (chapters/, exercises/, solutions/ one click away) on
127.0.0.1 with its token on, and opens the first chapter. No positional path: Jupyter Server would
make it the root directory and hide everything else. Notebooks under chapters/, exercises/ and
solutions/ are saved without outputs (grucourse.lab_save), so running them leaves `git status` clean.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_PAGE = "chapters/01_motivation.ipynb"

# Lab settings the course relies on, written to the environment's overrides.json:
# nothing is fetched from the internet (news, update checks), and ipywidgets saves the widget
# state into the notebook, so a reopened notebook shows its widgets again.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
}


def write_overrides(prefix: Path = Path(sys.prefix)) -> Path:
    """Merge LAB_SETTINGS into ``<prefix>/share/jupyter/lab/settings/overrides.json``; return its path."""
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    for plugin, values in LAB_SETTINGS.items():
        current.setdefault(plugin, {}).update(values)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


def lab_command(root: Path = ROOT, jupyter: str | None = None, as_root: bool | None = None) -> list[str]:
    """The ``jupyter lab`` command line that serves ``root`` on 127.0.0.1 and opens the first chapter."""
    jupyter = jupyter or str(Path(sys.executable).parent / "jupyter")
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    cmd = [jupyter, "lab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}",
           f"--LabApp.default_url=/lab/tree/{START_PAGE}",
           # the course's notebooks are saved without outputs: running one leaves `git status` clean
           "--ContentsManager.pre_save_hook=grucourse.lab_save.strip_before_save"]
    if as_root:
        cmd.append("--allow-root")  # Jupyter refuses to run as root without it; token and localhost stay
    return cmd


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd = lab_command()
    if "--print" in argv:
        print(shlex.join(cmd))
        return 0
    write_overrides()
    print("JupyterLab serves the course at the address below (Ctrl-C twice stops it).", flush=True)
    os.execv(cmd[0], cmd)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
