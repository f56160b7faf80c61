"""The raw folder is scanned once per build, every file with its role (issue 23), and
finding the raw folder writes nothing: the demo set is written by its own step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from divides import config, demo, provenance
from divides.build import inventory, panel
from divides.errors import InputError
from divides.run import cli

pytestmark = pytest.mark.unit


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A copy of the demo raw folder with a shapefile (a companion beside it) and a stray
    file no reader takes."""
    raw = tmp_path / "raw"
    shutil.copytree(demo.ensure_demo(), raw)
    ne = raw / "natural_earth"
    ne.mkdir()
    for ext in ("shp", "dbf"):
        (ne / f"ne_110m_admin_0_countries.{ext}").write_bytes(b"")
    (raw / "wb_wdi" / "notes.txt").write_text("my notes\n", encoding="utf-8")
    return raw


def test_every_role_appears_in_the_scan_of_the_demo_folder(demo_copy):
    table = inventory.scan(demo_copy).table
    assert set(table["role"]) == set(inventory.ROLES)
    role = dict(zip(table["path"], table["role"]))
    assert role["natural_earth/ne_110m_admin_0_countries.shp"] == "metadata"
    assert role["natural_earth/ne_110m_admin_0_countries.dbf"] == "companion"
    assert role[provenance.DEMO_MARKER_FILE] == "documentation"
    assert role["ti_cpi/datahub_core/cpi.csv"] == "data"
    meta = table[table["reader"] == "read_country_metadata"]
    assert set(meta["source"]) == {"wdi", "findex"}  # no made-up source for WDI's metadata
    assert "wdi_meta" not in set(table["source"])


def test_a_file_of_no_reader_is_not_read_with_its_reason(demo_copy):
    raw = inventory.scan(demo_copy)
    (row,) = raw.table[raw.table["path"] == "wb_wdi/notes.txt"].itertuples()
    assert row.role == "not read" and row.source == ""
    assert row.reason.startswith("matches no file pattern of its folder (wb_wdi/")
    listed = raw.inventory().set_index("path")
    assert listed.loc["wb_wdi/notes.txt", "status"] == "not_read"
    assert listed.loc["wb_wdi/notes.txt", "why"] == row.reason


def test_a_build_scans_its_raw_folder_once(demo_copy, tmp_path, monkeypatch):
    """One listing of the raw folder per read plan, and no consumer globs it again (the
    reads, the country metadata, the codebook capture and the manifest all take the scan)."""
    scans, globs = [], []
    real_scan, real_glob, real_rglob = inventory.scan, Path.glob, Path.rglob

    def counted_scan(root):
        scans.append(root)
        return real_scan(root)

    def under_raw(path: Path) -> bool:
        return path == demo_copy or demo_copy in path.parents

    def glob(self, pattern, *args, **kwargs):
        if under_raw(self):
            globs.append(("glob", self, pattern))
        return real_glob(self, pattern, *args, **kwargs)

    def rglob(self, pattern, *args, **kwargs):
        if under_raw(self):
            globs.append(("rglob", self, pattern))
        return real_rglob(self, pattern, *args, **kwargs)

    monkeypatch.setattr(inventory, "scan", counted_scan)
    monkeypatch.setattr(Path, "glob", glob)
    monkeypatch.setattr(Path, "rglob", rglob)
    with pytest.warns(UserWarning, match="notes.txt is not read"):
        result = panel.build("demo", raw_dir=demo_copy, out_dir=tmp_path / "out",
                             progress=False, force=True)
    assert len(scans) == 1
    assert globs == []  # the scan walks the folder (os.walk, symlinked folders followed)
    statuses = {f["path"]: f["status"] for f in result.manifest["raw_files"]}
    assert statuses["wb_wdi/notes.txt"] == "not_read"
    assert statuses["natural_earth/ne_110m_admin_0_countries.dbf"] == "companion"


@pytest.fixture
def empty_project(tmp_path, monkeypatch) -> Path:
    """Every data path of the project in an empty temporary folder."""
    root = tmp_path / "project"
    monkeypatch.setattr(config, "DEMO_RAW_DIR", root / "data" / "raw" / "demo")
    monkeypatch.setattr(config, "PROCESSED_DIR", root / "data" / "processed")
    monkeypatch.setattr(config, "REPORTS_DIR", root / "reports")
    return root


def test_finding_the_raw_folder_writes_nothing(empty_project):
    assert panel.resolve_raw_dir("demo") == config.DEMO_RAW_DIR
    assert not empty_project.exists()


def test_run_graph_on_a_missing_demo_folder_writes_nothing(empty_project, capsys):
    assert cli.main(["run", "--graph", "--data", "demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("demo: the synthetic demo set")
    assert "listed once the demo step has written" in out
    assert not empty_project.exists()


def test_a_build_on_a_missing_or_stale_demo_folder_names_the_command(empty_project):
    with pytest.raises(InputError, match=r"does not exist or is empty: run `divides demo`"):
        panel.read_plan("demo")
    config.DEMO_RAW_DIR.mkdir(parents=True)
    (config.DEMO_RAW_DIR / provenance.DEMO_MARKER_FILE).write_text(
        "- generator sha256: 0000000000000000\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"another fingerprint\): run `divides demo`"):
        panel.read_plan("demo")
    assert not (empty_project / "data" / "processed").exists()


def test_the_run_graph_writes_the_demo_set_first(empty_project, tmp_path):
    """`divides run --data demo` on a fresh clone: the head step writes the demo set, then
    the reads and the build are listed from its files (and follow it)."""
    from divides.run import graph as pipeline

    assert list(pipeline.data_tasks("demo")) == ["demo"]
    assert pipeline.execute(pipeline.data_tasks("demo"), ["demo"], tmp_path / "db.json") == 0
    assert provenance.demo_state(config.DEMO_RAW_DIR) == "current"
    tasks = pipeline.data_tasks("demo")
    assert list(tasks)[:3] == ["demo", "read", "build"]
    assert all(r["task_dep"] == ["demo"] for r in tasks["read"])
    build = pipeline.describe(tasks).split("\nbuild:", 1)[1]
    assert "demo" in build.split("after: ", 1)[1].split("\n", 1)[0].split(", ")


def test_divides_build_on_a_fresh_clone_runs_the_demo_step_first(empty_project, capsys):
    """`make build` (`divides build --data demo`) on a fresh clone: the command's explicit
    demo step writes the set, says so, and the build follows; resolution alone wrote none."""
    assert cli.main(["build", "--data", "demo"]) == 0
    out = capsys.readouterr().out
    assert "divides demo: wrote" in out
    assert provenance.demo_state(config.DEMO_RAW_DIR) == "current"
    assert (empty_project / "data" / "processed" / "demo" / "current" / "panel.parquet").exists()
    assert cli.main(["build", "--data", "demo"]) == 0  # current: not written again
    assert "divides demo: wrote" not in capsys.readouterr().out
