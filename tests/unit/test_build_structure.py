"""The build's structure (issue 14): one rules module below panel, gaps and schemas (no
import cycle), and a code key that cannot go stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from divides import config
from divides.build import keys as buildkey

pytestmark = pytest.mark.unit

SRC = Path(config.PACKAGE_DIR).parent


def _run(code: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_rules_gaps_and_schemas_do_not_import_the_panel():
    out = _run("""
        import sys
        import divides.build.rules, divides.build.gaps, divides.build.schemas, divides.build.assemble, divides.build.ledger
        print(sorted(m for m in sys.modules if m in ("divides.build.panel", "divides.build.loaders")))
    """)
    assert out.strip() == "[]"


def test_every_module_a_build_imports_is_in_the_code_key(tmp_path):
    """The hand-kept module lists went stale; the key is now every package file below the
    build's consumers. A build (in a fresh process) must import none of those left out."""
    raw = tmp_path / "raw" / "wb_wdi" / "api_csv"
    raw.mkdir(parents=True)
    (raw / "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv").write_text(
        '"Data Source","World Development Indicators",\n\n"Last Updated Date","2025-04-15",\n\n'
        '"Country Name","Country Code","Indicator Name","Indicator Code","2019","2020",\n'
        '"Denmark","DNK","Individuals using the Internet","IT.NET.USER.ZS","97","98",\n',
        encoding="utf-8")
    out = _run("""
        import sys, warnings
        warnings.simplefilter("ignore")
        from divides.build import panel
        panel.build("real", raw_dir=sys.argv[1], out_dir=sys.argv[2], progress=False)
        for name, mod in sorted(sys.modules.items()):
            if name.startswith("divides") and getattr(mod, "__file__", None):
                print(mod.__file__)
    """, str(tmp_path / "raw"), str(tmp_path / "out"))
    keyed = {p.resolve() for p in buildkey.build_code_files()}
    used = {Path(line).resolve() for line in out.split()}
    assert used and used <= keyed, sorted(map(str, used - keyed))


def test_code_key_follows_every_build_file(tmp_path, monkeypatch):
    pkg = tmp_path / "divides"
    shutil.copytree(config.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "PACKAGE_DIR", pkg)
    first = buildkey.code_key()
    (pkg / "figures" / "style.py").write_text("# a figure change\n", encoding="utf-8")
    assert buildkey.code_key() == first  # above the build: not in its key
    shared = pkg / "sources" / "_common.py"
    shared.write_text(shared.read_text() + "\n# a change\n", encoding="utf-8")
    second = buildkey.code_key()
    assert second != first
    (pkg / "sources" / "_new_helper.py").write_text("X = 1\n", encoding="utf-8")
    assert buildkey.code_key() != second  # a new module is in the key without a list


@pytest.mark.parametrize("setting", [
    "data/models/speccurve_grid.toml", "data/models/case_donors.csv",
    "data/report/file_warnings.csv", "data/sources.csv", "data/acquire/publishers.csv",
    "data/demo/demo_params.toml", "models/speccurve/grid.py", "figures/style.py",
    "run/graph.py", "report/codebook.py", "acquire/fetch.py"])
def test_settings_of_the_layers_above_the_build_are_outside_its_key(tmp_path, monkeypatch,
                                                                     setting):
    """Editing the spec-curve grid, the donor table or a figure label must not rebuild the
    panel (it did while everything under data/ was build code)."""
    pkg = tmp_path / "divides"
    shutil.copytree(config.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "PACKAGE_DIR", pkg)
    before = buildkey.code_key()
    edited = pkg / setting
    assert edited.is_file(), setting
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert buildkey.code_key() == before


@pytest.mark.parametrize("build_file", ["data/build/panel_rules.csv", "data/build/countries.csv",
                                        "data/build/indicators.csv",
                                        "build/assemble.py", "catalogue.py"])
def test_the_builds_own_files_are_in_its_key(tmp_path, monkeypatch, build_file):
    pkg = tmp_path / "divides"
    shutil.copytree(config.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "PACKAGE_DIR", pkg)
    before = buildkey.code_key()
    edited = pkg / build_file
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert buildkey.code_key() != before


@pytest.mark.parametrize(("field", "rebuilds"), [
    ("label", False), ("unit", False), ("figure_label", False), ("definition", False),
    ("required", True), ("derived_from", True), ("role", True)])
def test_the_column_registry_enters_the_key_by_the_fields_the_build_reads(
        tmp_path, monkeypatch, field, rebuilds):
    """A figure label or a definition (read by the figures and the codebook) is a setting of
    those layers: editing it must not rebuild the panel; a role or a derivation must."""
    import pandas as pd

    pkg = tmp_path / "divides"
    shutil.copytree(config.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "PACKAGE_DIR", pkg)
    before = buildkey.code_key()
    path = pkg / "data" / "build" / "columns.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = table.index[table["role"] == "derived"][0]
    table.loc[row, field] = {"required": "0" if table.loc[row, "required"] == "1" else "1",
                             "role": "value"}.get(field, table.loc[row, field] + " (edited)")
    table.to_csv(path, index=False, lineterminator="\n")
    assert (buildkey.code_key() != before) is rebuilds
