"""The codebook of the real build, checked against the publishers' metadata files and
../shared/data/real/SOURCES.md."""

from __future__ import annotations

import json
import shutil
import warnings

import bibtexparser
import pandas as pd
import pytest

from divides import config
from divides.build import panel, rules
from divides.report import codebook
from divides.sources import findex, wdi

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(real_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return panel.build("real", raw_dir=real_dir, progress=False)


@pytest.fixture(scope="module")
def outputs(built):
    return codebook.load_build(built.out_dir)


@pytest.fixture(scope="module")
def table(outputs):
    return codebook.codebook_table(outputs.panel, outputs.gaps, outputs.cell_sources,
                                   outputs.manifest, outputs.definitions, outputs.input_files)


def _row(table, variable):
    hit = table[table["variable"] == variable]
    assert len(hit) == 1, variable
    return hit.iloc[0]


def test_internet_definition_is_the_wdi_source_note(real_dir, table):
    meta = wdi.read_indicator_metadata(next(
        (real_dir / "wb_wdi" / "api_csv").glob("Metadata_Indicator_API_IT.NET.USER.ZS_*.csv")))
    note = meta.loc[meta.publisher_code == "IT.NET.USER.ZS", "definition"].iloc[0]
    row = _row(table, "internet_users_pct")
    assert row["definition"] == note
    assert row["definition"].startswith("Internet users are individuals who have used the "
                                        "Internet (from any location) in the last 3 months")
    assert "International Telecommunication Union" in row["definition_source"]
    # WDI literacy: files, but no Metadata_Indicator among them -> catalogue, said so
    lit = _row(table, "literacy_adult_pct")
    assert lit["definition_source"].startswith("catalogue") and "SE.ADT.LITR.ZS" in \
        lit["definition_source"]


def test_findex_gap_definition_is_the_series_metadata(real_dir, table):
    meta = findex.read_series_metadata(
        real_dir / "wb_findex" / "Data_Extract_From_Global_Financial_Inclusion_Metadata.xlsx")
    long = meta.loc[meta.publisher_code == "fin14a.t.d", "definition"].iloc[0]
    assert _row(table, "sex:findex_paid_bills_online_pct")["definition"] == long


def test_itu_definitions_from_the_definitions_sheet(table):
    row = _row(table, "mobile_broadband_per100")
    assert row["definition_source"].startswith("publisher metadata: MobileBroadband")
    assert row["publisher_code"] == "itu:i911mw"


def test_stats_equal_pandas_on_real_columns(outputs, table):
    p = outputs.panel
    for col in ("cpi_score", "wgi_cc_estimate", "egdi", "internet_users_pct"):
        s = p[col].dropna()
        r = _row(table, col)
        assert (r["n"], r["min"], r["max"]) == (len(s), s.min(), s.max())
        assert r["mean"] == pytest.approx(s.mean()) and r["sd"] == pytest.approx(s.std())
        assert r["median"] == pytest.approx(s.median())
    # SOURCES.md: 180 countries scored by the CPI in every year 2017-2023
    assert "2017-2024:180" in _row(table, "cpi_score")["coverage"]


def test_breaks_and_releases_on_real(table):
    cpi = _row(table, "cpi_score")
    assert "2012 (scale)" in cpi["breaks"]
    # the newest edition (read from the workbook) gives every 0-100 score, 2012-2025
    assert "CPI2025_Results.xlsx (edition 2025): 2012-2025" in cpi["release"]
    assert "CPI2023_GlobalResultsTrends.xlsx" not in cpi["release"]
    assert "2014 (methodology)" in _row(table, "egdi")["breaks"]
    assert "(release)" in _row(table, "wgi_cc_estimate")["breaks"]
    wgi_release = _row(table, "wgi_cc_estimate")["release"]
    assert wgi_release.startswith("wgi 2024 (1996-2023) [wgidataset.xlsx]")
    assert "set aside: wgi 2026-03-18 (2015-2015) [CC.EST.json]" in wgi_release
    internet = _row(table, "internet_users_pct")
    assert "wdi 2025-04-15 (1990-2024)" in internet["release"]
    assert "set aside: wdi 2022-05-25 (1991-2020)" in internet["release"]


def test_cell_sources_follow_the_real_panel(outputs, built):
    """One row per non-missing panel cell; a read cell's value is the observation of the
    file it names; the CPI 2012-2023 scores come from the 2025 edition (release decides)."""
    cells = outputs.cell_sources
    long = outputs.panel.melt(id_vars=["iso3", "year"], value_vars=rules.panel_columns(),
                              var_name="panel_column").dropna(subset=["value"])
    assert len(cells) == len(long) and not cells.duplicated(
        ["iso3", "year", "panel_column"]).any()
    both = long.merge(cells, on=["iso3", "year", "panel_column"], suffixes=("", "_cell"))
    assert len(both) == len(long) and (both["value"] - both["value_cell"]).abs().max() < 1e-9
    read = cells[cells["derived_from"] == ""]
    obs = pd.read_parquet(built.out_dir / "observations.parquet")
    hit = read.merge(obs, on=["iso3", "year", "indicator", "breakdown", "group", "source",
                              "file"], suffixes=("", "_obs"))
    assert len(hit) == len(read) and (hit["value"] - hit["value_obs"]).abs().max() < 1e-9
    cpi = cells[(cells["panel_column"] == "cpi_score") & cells["year"].between(2012, 2023)]
    newest = cpi["file"] == "CPI2025_Results.xlsx"
    assert newest.mean() > 0.99 and set(cpi.loc[newest, "release"]) == {"2025"}
    # a cell from an older edition is one the 2025 edition lacks
    in_2025 = obs.loc[(obs["file"] == "CPI2025_Results.xlsx")
                      & obs["indicator"].isin(set(cpi["indicator"])), ["iso3", "year"]]
    older = cpi.loc[~newest, ["iso3", "year"]].merge(in_2025)
    assert older.empty, older


def test_egov_2024_warning_on_real(table):
    # EPI 2024 comes only from the modified third-party copy; EGDI, OSI, TII and HCI 2024
    # from the unmodified Data360 files (which win over the copy), so they carry no warning
    w = _row(table, "epi")["warnings"]
    assert w.startswith("un_egov/modified/EGOV_DATA_2024.csv (2024, 193 values)")
    for col in ("egdi", "osi", "tii", "hci"):
        assert "modified" not in _row(table, col)["warnings"], col
    assert _row(table, "cpi_score")["warnings"] == ""
    assert _row(table, "wgi_cc_estimate")["warnings"] == ""


def test_real_codebook_without_raw_folder(built, tmp_path, monkeypatch):
    processed = tmp_path / "processed"
    shutil.copytree(built.out_dir, processed / "real", ignore=shutil.ignore_patterns("cache"))
    empty = tmp_path / "raw-removed"
    empty.mkdir()
    monkeypatch.setenv(config.REAL_DIR_ENV, str(empty))
    monkeypatch.setattr(config, "PROCESSED_DIR", processed)
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path / "reports")
    with pytest.warns(UserWarning, match="raw files unavailable"):
        paths = codebook.write_codebook("real")  # tries to build, falls back to the build
    out = tmp_path / "reports" / "real"
    assert {p.parent for p in paths} == {out}
    csv = pd.read_csv(out / "codebook.csv", keep_default_na=False)
    row = csv[csv.variable == "internet_users_pct"].iloc[0]
    assert row["definition"].startswith("Internet users are individuals")
    assert csv.loc[csv.variable == "epi", "warnings"].iloc[0].startswith(
        "un_egov/modified/EGOV_DATA_2024.csv")
    md = (out / "codebook.md").read_text(encoding="utf-8")
    assert "> **Warning:** un_egov/modified/EGOV_DATA_2024.csv" in md
    bib = bibtexparser.loads((out / "citations.bib").read_text(encoding="utf-8"))
    cites = codebook.citations_table().set_index("source")
    assert {e["ID"] for e in bib.entries} == {cites.loc[s, "key"] for s in
                                              ("wdi", "wgi", "cpi", "itu", "egov", "findex",
                                               "sdg", "unesco")}
    csl = json.loads((out / "citations.json").read_text(encoding="utf-8"))
    assert all({"id", "type", "title", "author", "issued"} <= set(i) for i in csl)
