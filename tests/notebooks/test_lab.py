"""JupyterLab starts from the project's venv, serves the notebooks, and stops (bounded)."""

from __future__ import annotations

import json
import secrets
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


def test_lab_lists_notebooks_over_rest(tmp_path):
    token = secrets.token_hex(16)
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
           "--ip=127.0.0.1", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
           f"--ServerApp.root_dir={config.NOTEBOOKS_DIR}", "--allow-root"]
    env_home = {"JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
                "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    import os

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
