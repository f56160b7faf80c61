"""The layer contracts (issue 23): import-linter's contracts in pyproject.toml hold, and a
contract does fail when a module imports across a layer it must not."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from divides import config

pytestmark = pytest.mark.unit

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path, src: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(src), "PATH": str(LINT.parent)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(project / "pyproject.toml")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture(scope="module")
def lint_available():
    if not LINT.exists():
        pytest.skip("import-linter is not installed (make setup installs it)")


def test_the_layer_contracts_hold(lint_available):
    done = _lint(config.PROJECT_ROOT, config.PACKAGE_DIR.parent)
    assert done.returncode == 0, done.stdout[-4000:]


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("sources/cpi.py", "from divides.build import panel", "readers import no build"),
    ("build/gaps.py", "from divides.models import spec", "build imports no models"),
    ("build/rules.py", "from divides.acquire import fetch", "build imports no models"),
    ("figures/style.py", "from divides.sources import wdi", "Figures import no reader"),
    ("models/tables.py", "from divides.build import store", "public face"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path, lint_available, module, line, contract):
    src = tmp_path / "src"
    shutil.copytree(config.PACKAGE_DIR, src / "divides",
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(config.PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = src / "divides" / module
    target.write_text(target.read_text() + f"\n{line}  # a forbidden edge\n")
    done = _lint(tmp_path, src)
    assert done.returncode != 0
    broken = done.stdout.split("Broken contracts")[-1]
    assert contract.lower() in broken.lower(), broken[:2000]
