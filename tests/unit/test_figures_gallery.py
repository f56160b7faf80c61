"""`write_all` writes every figure in the three formats from tagged fixture frames and the
model tables the models layer writes (CSV, data kind in a column)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

from divides.figures import gallery

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
    """A speccurve.csv in the models layer's columns (standardised estimates included)."""
    tables = tmp_path / "tables"
    tables.mkdir()
    specs = fx.make_specs().assign(key_regressor="egdi", status="ok", data_kind="demo",
                                   sample="all", lag_rule="exact", year_first=2012,
                                   year_last=2022)
    specs = specs.assign(coef_std=specs["coef"], ci_low_std=specs["ci_low"],
                         ci_high_std=specs["ci_high"])
    specs.to_csv(tables / "speccurve.csv", index=False)
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


def test_case_without_treated_country_is_skipped_with_reason(tmp_path, monkeypatch):
    panel = fx.make_panel()
    panel = panel[panel["iso3"] != "AZE"]
    panel.attrs = fx.make_panel().attrs
    monkeypatch.setattr(gallery, "_load", lambda data: (panel, fx.make_gaps()))
    result = gallery.write_all("demo", out_dir=tmp_path / "f", dpi=30, formats=("png",),
                               tables_dir=tmp_path, only=["event_study_asan", "cpi_vs_egdi"])
    assert list(result.written) == ["cpi_vs_egdi"]
    assert "AZE" in result.skipped["event_study_asan"]
