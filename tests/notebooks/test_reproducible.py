"""Two `divides build` + `divides run` on the demo data give byte-identical outputs."""

from __future__ import annotations

import hashlib

import pytest

from divides import config, panel, runner

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
    assert runner.run(data="demo", jobs=2) == 0
    second = _hashes()
    assert second.keys() == first.keys()
    changed = sorted(k for k in first if first[k] != second[k])
    assert not changed, f"outputs differ between two runs: {changed}"


def test_parallel_run_leaves_the_working_directory_alone(demo_report):
    import os

    before = os.getcwd()
    assert runner.run(data="demo", only=["00", "01"], jobs=2) == 0
    assert os.getcwd() == before
