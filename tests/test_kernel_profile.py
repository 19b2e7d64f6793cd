"""The kernels the checks start log errors only: no per-kernel "TCP without encryption" notice."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import execute_notebooks  # noqa: E402

CELL = "import warnings; warnings.warn('a cell warning'); print('ran')"


def run_kernel(ipythondir: str | None) -> subprocess.CompletedProcess:
    """Start a kernel the way nbclient does, run CELL, and return the process's captured output."""
    script = (
        "from jupyter_client.manager import start_new_kernel\n"
        "km, kc = start_new_kernel(kernel_name='python3')\n"
        f"out = []\nkc.execute_interactive({CELL!r}, output_hook=lambda m: out.append(m['content']))\n"
        "kc.stop_channels(); km.shutdown_kernel(now=True)\n"
        "print('OUTPUTS', [c.get('text', '') for c in out])\n")
    env = dict(os.environ)
    env.pop("IPYTHONDIR", None)
    if ipythondir:
        env["IPYTHONDIR"] = ipythondir
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)


def test_quiet_profile_silences_the_kernel_notice_but_not_the_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(execute_notebooks, "KERNEL_PROFILE", tmp_path / "ipython")
    folder = execute_notebooks.quiet_kernel_profile()
    assert Path(folder, "profile_default", "ipython_kernel_config.py").read_text().startswith(
        'c.IPKernelApp.log_level = "ERROR"')
    quiet = run_kernel(folder)
    assert quiet.returncode == 0, quiet.stderr
    assert "without encryption" not in quiet.stderr, quiet.stderr
    assert "a cell warning" in quiet.stdout and "ran" in quiet.stdout, "what a cell prints and warns is kept"
    default = run_kernel(str(tmp_path / "plain"))  # an empty profile: ipykernel's notice, as before
    assert "without encryption" in default.stderr, "the notice this profile removes is no longer printed"
