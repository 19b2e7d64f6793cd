"""Shared by the browser tests: skip-or-fail, a server process on a free port, a headless JupyterLab."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def require(condition: bool, message: str) -> None:
    """Skip locally, fail under CI=true: CI must never silently skip the browser tests."""
    if not condition:
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def serving(cmd: list[str], port: int, log: Path, *, cwd: Path, env: dict, timeout: float = 90):
    """Run ``cmd`` (writing to ``log``) until it accepts connections on ``port``; stop it on exit."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        try:
            deadline = time.time() + timeout
            while time.time() < deadline:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.5)
            else:
                pytest.fail(f"{Path(cmd[0]).name} {cmd[1] if len(cmd) > 1 else ''} did not start: see {log}")
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def jupyterlab_server(tmp_path: Path, notebook: Path):
    """Start JupyterLab on 127.0.0.1 over a copy of ``notebook``; yield ``(base_url, work_dir)``.

    The copy keeps Lab's autosave out of the repository. The token is empty only inside the test,
    and ``expose_app_in_browser`` lets the test drive ``window.jupyterapp``.
    """
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"))
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                         "checkForUpdates": False}))
    cmd = [str(Path(sys.executable).parent / "jupyter"), "lab", "--allow-root", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--IdentityProvider.token=",
           "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
           f"--ServerApp.root_dir={work}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}"]
    with serving(cmd, port, tmp_path / "lab.log", cwd=work, env=env, timeout=60):
        yield f"http://127.0.0.1:{port}", work
