"""No private name crosses a module boundary (issue 23): a module or test uses another
module's public face only. A private *module* (``sources/_common.py``) may be imported by
its own package's modules; its private names stay inside it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from divides import config

pytestmark = pytest.mark.unit

ROOTS = (config.PACKAGE_DIR, config.TESTS_DIR, config.PROJECT_ROOT / "benchmarks")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_module(dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[0] != "divides":
        return False
    path = config.PACKAGE_DIR.joinpath(*parts[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def crossings(path: Path) -> list[str]:
    """``file:line name`` for each private name of another divides module used in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bound: dict[str, str] = {}  # local name -> divides module it is bound to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("divides"):
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if _is_module(dotted):
                    bound[alias.asname or alias.name] = dotted
                elif _private(alias.name):
                    found.append(f"{path.name}:{node.lineno} from {node.module} import "
                                 f"{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("divides") and alias.asname:
                    bound[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in bound and _private(node.attr)
                and not _is_module(f"{bound[node.value.id]}.{node.attr}")):
            found.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_private_name_is_used_across_modules():
    files = [p for root in ROOTS for p in sorted(root.rglob("*.py"))
             if "__pycache__" not in p.parts]
    found = [c for p in files for c in crossings(p)]
    assert not found, "\n".join(found)


def test_the_check_finds_a_private_import_and_a_private_attribute(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from divides.build.assemble import _x\nfrom divides.build import panel\n"
                   "panel._hidden()\nfrom divides.sources import _common as c\nc.public()\n")
    assert crossings(bad) == ["bad.py:1 from divides.build.assemble import _x",
                              "bad.py:3 panel._hidden"]
