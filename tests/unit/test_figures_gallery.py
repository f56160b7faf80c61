"""`write_all` writes every figure in the three formats from tagged fixture frames and the
model tables the models layer writes (CSV, data kind in a column)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from divides.figures import gallery  # noqa: E402

pytestmark = pytest.mark.unit

_spec = importlib.util.spec_from_file_location(
    "figures_fixtures", Path(__file__).with_name("test_figures_charts.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

EXPECTED = ("gap_dumbbell_area", "gap_dumbbell_sex", "parity_vs_internet", "cpi_vs_egdi",
            "coef_pooled_vs_twfe", "event_study_asan", "synth_asan", "spec_curve_egdi",
            "coverage_heatmap", "map_internet_users", "map_gap_sex", "map_cpi_score",
            "map_egdi")


def _tables(tmp_path: Path) -> Path:
    tables = tmp_path / "tables"
    tables.mkdir()
    fx.make_specs().assign(key_regressor="egdi", status="ok", data_kind="demo").to_csv(
        tables / "speccurve.csv", index=False)
    fx.make_event_study().assign(data_kind="demo").to_csv(tables / "event_study.csv",
                                                          index=False)
    fx.make_synth().assign(data_kind="demo").to_csv(tables / "synthetic_control.csv",
                                                    index=False)
    return tables


def test_write_all_writes_every_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "_load", lambda data: (fx.make_panel(), fx.make_gaps()))
    result = gallery.write_all("demo", out_dir=tmp_path / "figures", dpi=40,
                               tables_dir=_tables(tmp_path))
    assert result.skipped == {}
    assert sorted(result.written) == sorted(EXPECTED)
    for name in EXPECTED:
        for fmt in ("png", "svg", "pdf"):
            assert (tmp_path / "figures" / f"{name}.{fmt}").stat().st_size > 1000


def test_missing_model_table_is_skipped_with_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(gallery, "_load", lambda data: (fx.make_panel(), fx.make_gaps()))
    empty = tmp_path / "none"
    empty.mkdir()
    result = gallery.write_all("demo", out_dir=tmp_path / "f", dpi=30, formats=("png",),
                               tables_dir=empty, only=["event_study_asan", "cpi_vs_egdi"])
    assert list(result.written) == ["cpi_vs_egdi"]
    assert "event_study.csv not found" in result.skipped["event_study_asan"]
