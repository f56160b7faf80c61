"""Two `divides build` + `divides run` on the demo data give byte-identical outputs."""

from __future__ import annotations

import hashlib

import pytest

from divides import config
from divides.build import panel
from divides.run import collect, notebooks, runner

pytestmark = [pytest.mark.slow, pytest.mark.notebooks]


def _hashes() -> dict[str, str]:
    root = config.reports_dir("demo")
    files = [config.processed_dir("demo") / "panel.parquet",
             config.processed_dir("demo") / "gaps.parquet",
             config.processed_dir("demo") / "observations.parquet",
             *sorted((root / "tables").glob("*")), *sorted((root / "figures").glob("*"))]
    return {str(f.relative_to(config.PROJECT_ROOT)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files if f.is_file()}


def test_build_and_run_twice_byte_identical(demo_report):
    first = _hashes()
    assert sum(k.endswith(".png") for k in first) >= 10, "the run wrote the figures"
    assert sum(k.endswith(".csv") for k in first) >= 10, "the run wrote the tables"
    panel.build(data="demo", force=True)
    assert runner.run(data="demo", jobs=2, force=True) == 0  # executed again, not reused
    second = _hashes()
    assert second.keys() == first.keys()
    changed = sorted(k for k in first if first[k] != second[k])
    assert not changed, f"outputs differ between two runs: {changed}"


def test_parallel_run_leaves_the_working_directory_alone(demo_report):
    import os

    before = os.getcwd()
    assert runner.run(data="demo", only=["00", "01"], jobs=2) == 0
    assert os.getcwd() == before


def test_parameterised_run_has_its_own_folder_and_is_skipped_when_unchanged(demo_report):
    before = _hashes()
    default_manifest = (demo_report / "run.json").read_bytes()
    params = {"outcome": "cpi_score"}
    assert runner.run(data="demo", only=["03"], jobs=1, params=params) == 0
    root = notebooks.run_dir("demo", {"outcome": "cpi_score"})
    assert root == demo_report / "runs" / "outcome-cpi_score"
    manifest = collect.read_manifest(root)
    assert list(manifest["notebooks"]) == ["03_egovernment_and_corruption"]
    assert "tables/03_egov_cpi_score.csv" in manifest["tables"]
    assert all((root / f).is_file() for f in manifest["figures"] + manifest["tables"])
    index = (root / "index.html").read_text()
    assert "coverage_heatmap" not in index  # notebook 00's figure is not this run's
    assert _hashes() == before and (demo_report / "run.json").read_bytes() == default_manifest
    # the same run again: nothing changed, the notebook is not executed
    executed = root / "notebooks" / "03_egovernment_and_corruption.ipynb"
    stamp = executed.stat().st_mtime_ns
    assert runner.run(data="demo", only=["03"], jobs=1, params=params) == 0
    assert executed.stat().st_mtime_ns == stamp
    assert collect.read_manifest(root)["notebooks"]["03_egovernment_and_corruption"][
        "status"] == "reused"


def test_case_runs_with_other_donors_name_every_file_by_them(demo_report):
    """Notebook 04 with a screened donor put back: every table and figure of that run names
    the donor set, so its files can never be mistaken for the default pool's."""
    params = {"keep_donors": "GEO"}
    assert runner.run(data="demo", only=["04"], jobs=1, params=params) == 0
    root = notebooks.run_dir("demo", {"keep_donors": ["GEO"]})
    manifest = collect.read_manifest(root)
    files = [f for f in manifest["figures"] + manifest["tables"] if "/inputs/" not in f]
    assert len(files) >= 8
    assert all("post_soviet+GEO" in f for f in files), files
    # the default pool's files, in the default run's folder, are other files
    default = sorted(p.name for p in (demo_report / "tables").glob("04_*"))
    assert default and not any("GEO" in f for f in default)
    assert not set(default) & {f.removeprefix("tables/") for f in files}
