"""requirements.lock covers exactly pyproject's dependencies (and the extras setup installs).

The lock is what ``make setup`` installs; pyproject.toml is where dependencies are declared.
When someone adds, drops or narrows a dependency in pyproject.toml without ``make lock``,
these tests fail and say which package and what to run.
"""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from divides import config

pytestmark = pytest.mark.unit

ROOT = config.PROJECT_ROOT
FIX = "run `make lock` and commit requirements.lock"


def setup_extras(makefile: str) -> list[str]:
    """The extras ``make setup`` installs and ``make lock`` compiles (``EXTRAS := ...``)."""
    match = re.search(r"^EXTRAS\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert match, "Makefile: no `EXTRAS := ...` line"
    return match.group(1).split("#")[0].split()


def parse_lock(text: str) -> dict[str, dict]:
    """``{name: {"version": str, "hashes": int, "via": set[str]}}`` from a uv lock file."""
    pins: dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        head = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        if head:
            current = canonicalize_name(head.group(1).split("[")[0])
            pins[current] = {"version": head.group(2), "hashes": 0, "via": set()}
        elif current and "--hash=sha256:" in line:
            pins[current]["hashes"] += 1
        elif current and line.strip().startswith("# via "):
            via = line.strip()[len("# via "):]
            pins[current]["via"] = {v.strip().split(" (")[0] for v in via.split(",")}
    return pins


def declared(pyproject: dict, extras: list[str]) -> list[Requirement]:
    reqs = [Requirement(r) for r in pyproject["project"]["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in pyproject["project"]["optional-dependencies"][extra]]
    return reqs


def drift(pyproject: dict, extras: list[str], lock_text: str) -> list[str]:
    """Every way the lock disagrees with pyproject, one line each (empty when in step)."""
    pins = parse_lock(lock_text)
    problems = []
    reqs = declared(pyproject, extras)
    for req in reqs:
        name = canonicalize_name(req.name)
        if name not in pins:
            problems.append(f"{req.name}: in pyproject.toml, missing from the lock")
        elif not req.specifier.contains(pins[name]["version"], prereleases=True):
            problems.append(f"{req.name}: the lock pins {pins[name]['version']}, pyproject.toml "
                            f"asks {req.specifier}")
    wanted = {canonicalize_name(r.name) for r in reqs}
    for name, pin in pins.items():
        if "divides" in pin["via"] and name not in wanted:
            problems.append(f"{name}: the lock has it for divides, pyproject.toml no longer asks")
        if pin["hashes"] == 0:
            problems.append(f"{name}: pinned without a hash")
    return problems


def test_lock_and_pyproject_in_step():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extras = setup_extras((ROOT / "Makefile").read_text(encoding="utf-8"))
    assert extras, "Makefile EXTRAS is empty"
    problems = drift(pyproject, extras, (ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert problems == [], f"{FIX}: " + "; ".join(problems)


def test_drift_is_detected():
    """The check itself can fail: an added, a dropped and a narrowed dependency."""
    pyproject = {"project": {"dependencies": ["pandas>=2.2", "numpy>=1.26"],
                             "optional-dependencies": {"dev": ["pytest>=8"]}}}
    lock = ("numpy==2.4.6 \\\n    --hash=sha256:aa\n    # via divides (pyproject.toml), pandas\n"
            "pandas==3.1.1 \\\n    --hash=sha256:bb\n    # via divides (pyproject.toml)\n"
            "pytest==9.2.0 \\\n    --hash=sha256:cc\n    # via divides (pyproject.toml)\n")
    assert drift(pyproject, ["dev"], lock) == []
    added = {"project": {**pyproject["project"],
                         "dependencies": pyproject["project"]["dependencies"] + ["filelock>=3"]}}
    assert drift(added, ["dev"], lock) == ["filelock: in pyproject.toml, missing from the lock"]
    assert drift(pyproject, [], lock) == [
        "pytest: the lock has it for divides, pyproject.toml no longer asks"]
    narrowed = {"project": {**pyproject["project"], "dependencies": ["pandas>=4", "numpy>=1.26"]}}
    assert drift(narrowed, ["dev"], lock) == [
        "pandas: the lock pins 3.1.1, pyproject.toml asks >=4"]
    unhashed = lock.replace("    --hash=sha256:cc\n", "")
    assert drift(pyproject, ["dev"], unhashed) == ["pytest: pinned without a hash"]


def test_lock_is_for_setup_and_written_by_make_lock():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "#    make lock" in text.splitlines()[1], "the lock was not written by `make lock`"
    assert "/work/" not in text and "/tmp/" not in text, "a machine path in the lock"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK)" in makefile
    assert "--no-deps -e ." in makefile


def test_environment_yml_installs_the_lock():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_items = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == [f"python={py['project']['requires-python'].lstrip('>=')}"]
    assert pip_items == ["--require-hashes", "-r requirements.lock"], pip_items
