"""The pipeline's read steps on the real files: one source per task, several at once in
threads, with an empty read cache, must give the build that `divides build` gives."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from divides import config, fileio
from divides.build import panel
from divides.run import graph

pytestmark = pytest.mark.integration


def test_parallel_read_steps_give_the_serial_build(real_dir, tmp_path, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the real build's known warnings (aliases, regions)
        reference = panel.build("real")
        ref_panel = fileio.read_parquet(reference.out_dir / "panel.parquet")
        ref_gaps = fileio.read_parquet(reference.out_dir / "gaps.parquet")
        monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path)  # no read cache at all
        tasks = graph.data_tasks("real")
        assert len(tasks["read"]) >= 6
        assert graph.execute(tasks, ["build"], tmp_path / "doit.json", jobs=4) == 0
    out = config.processed_dir("real")
    assert (out / "cache").is_dir() and any((out / "cache").glob("*.parquet"))
    pd.testing.assert_frame_equal(fileio.read_parquet(out / "panel.parquet"), ref_panel)
    pd.testing.assert_frame_equal(fileio.read_parquet(out / "gaps.parquet"), ref_gaps)
