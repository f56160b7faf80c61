"""JupyterLab starts from the project's venv, serves the notebooks, and stops (bounded)."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from divides import config

pytestmark = pytest.mark.notebooks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_lab_command() -> list[str]:
    """The command ``make lab`` runs (``make -n``: printed, not run)."""
    out = subprocess.run(["make", "-n", "-s", "lab"], cwd=config.PROJECT_ROOT, check=True,
                         capture_output=True, text=True).stdout
    line = [ln for ln in out.splitlines() if "jupyter lab" in ln][-1]
    return shlex.split(line)


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_lab_uses_current_options_and_allows_root_only_as_root():
    cmd = make_lab_command()
    assert cmd[1] == "lab" and cmd[0].endswith("jupyter"), cmd
    assert ("--allow-root" in cmd) == (os.getuid() == 0), cmd
    deprecated = [a for a in cmd if "NotebookApp" in a
                  or a.startswith(("--ServerApp.token", "--notebook-dir"))]
    assert deprecated == [], cmd


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_lab_lists_notebooks_over_rest(tmp_path):
    token = secrets.token_hex(16)
    port = _free_port()
    # What `make lab` runs, from this interpreter, on a free port with a known token.
    cmd = [sys.executable, "-m", "jupyter", *make_lab_command()[1:], "--no-browser",
           f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    cmd = [a.replace("--ServerApp.root_dir=notebooks",
                     f"--ServerApp.root_dir={config.NOTEBOOKS_DIR}") for a in cmd]
    env_home = {"JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
                "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **env_home})
    try:
        url = f"http://127.0.0.1:{port}/api/contents?token={token}"
        deadline = time.monotonic() + 60
        listing = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited early: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    listing = json.load(resp)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "jupyter lab did not answer within 60 s"
        names = {item["name"] for item in listing["content"]}
        expected = {p.name for p in Path(config.NOTEBOOKS_DIR).glob("[0-9][0-9]_*.ipynb")}
        assert expected <= names
        # A wrong token is refused: the server is not open to anyone on the machine.
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token=wrong", timeout=5)
        # The project's kernel is registered, so notebooks import divides without path tricks.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernelspecs?token={token}",
                                    timeout=5) as resp:
            specs = json.load(resp)["kernelspecs"]
        assert "divides" in specs, sorted(specs)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
