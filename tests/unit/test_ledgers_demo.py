"""Ledgers on the demo set: per reader and file, and through the panel's drops.csv.

For every demo file: rows read = rows kept + rows dropped by reason, and rows read equals
a record count made without the reader (``tests/damaged/records.py``). For the panel built
from the same files: every read-stage line of ``drops.csv`` equals the reader's own
report, each (stage, file) adds up to its ``of_rows``, and the panel stage partitions
exactly the observations the readers kept.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from damaged import records  # tests/ is on pythonpath (pyproject)

from divides.sources import SOURCE_IDS, files, module

pytestmark = pytest.mark.unit




@pytest.fixture(scope="module")
def demo_root(tmp_path_factory) -> Path:
    demo = pytest.importorskip("divides.demo")
    return Path(demo.write_demo(out_dir=tmp_path_factory.mktemp("demo_ledgers")))


@pytest.fixture(scope="module")
def demo_reports(demo_root):
    """(source, path, observations, report) for every demo file every reader takes."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source in SOURCE_IDS:
            for path in files(demo_root, source):
                obs, report = module(source).read(path)
                out.append((source, path, obs, report))
    return out


def test_every_source_has_demo_files(demo_root):
    assert [s for s in SOURCE_IDS if not files(demo_root, s)] == []


def test_demo_file_ledgers(demo_reports):
    assert demo_reports
    for source, path, obs, report in demo_reports:
        records.check_ledger(source, path, obs, report)


def test_demo_ledgers_drop_something(demo_reports):
    """The demo set plants the publishers' quirks: the ledgers must show them dropped."""
    reasons = set().union(*(set(r.dropped) for _, _, _, r in demo_reports))
    assert {"aggregate", "missing", "footer", "not_assessed"} <= reasons, reasons


@pytest.fixture(scope="module")
def demo_drops(demo_root, tmp_path_factory) -> pd.DataFrame:
    panel = pytest.importorskip("divides.build.panel")
    out = tmp_path_factory.mktemp("demo_panel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel.build(data="demo", raw_dir=demo_root, out_dir=out, force=True, progress=False)
    return pd.read_csv(out / "drops.csv", dtype={"file": str}), out


def test_panel_read_stage_equals_reader_reports(demo_reports, demo_drops):
    drops, _ = demo_drops
    read = drops[drops["stage"] == "read"]
    for source, path, _, report in demo_reports:
        mine = read[(read["source"] == source) & (read["file"] == path.name)]
        got = dict(zip(mine["reason"], mine["rows"]))
        want = {"kept": report.rows_kept, **dict(report.dropped)}
        assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}, \
            path.name
        assert set(mine["of_rows"]) == {report.rows_read}, path.name
    assert len(read.groupby(["source", "file"])) == len(demo_reports)


def test_panel_ledger_adds_up(demo_drops):
    drops, out = demo_drops
    sums = drops.groupby(["stage", "source", "file"]).agg(rows=("rows", "sum"),
                                                          of_rows=("of_rows", "first"))
    assert (sums["rows"] == sums["of_rows"]).all(), sums[sums["rows"] != sums["of_rows"]]
    kept = drops[(drops["stage"] == "read") & (drops["reason"] == "kept")]
    panel_stage = drops[drops["stage"] == "panel"].groupby("file")["rows"].sum()
    assert kept.set_index("file")["rows"].sort_index().to_dict() == \
        panel_stage.sort_index().to_dict()
    observations = pd.read_parquet(out / "observations.parquet")
    assert len(observations) == int(kept["rows"].sum())
