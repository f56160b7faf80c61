"""The real build checked against ../shared/data/real/SOURCES.md (values quoted there)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from divides import config, provenance
from divides.build import ledger, panel
from divides.build import loaders as api
from divides.build import schemas as panel_schemas
from divides.countries import aggregates

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def built(real_dir):
    """Build once per session into data/processed/real (warm runs do no work)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = panel.build("real", raw_dir=real_dir, progress=False)
    return result


@pytest.fixture(scope="session")
def p(built):
    return api.load_panel("real", build=False)


@pytest.fixture(scope="session")
def g(built):
    return api.load_gaps("real", build=False)


def _at(p, iso3, year, col):
    row = p[(p.iso3 == iso3) & (p.year == year)]
    assert len(row) == 1, (iso3, year)
    return row[col].iloc[0]


def test_outputs_exist_and_are_tagged(built, p, g):
    assert all((built.out_dir / f).exists() for f in panel.OUTPUT_FILES)
    assert provenance.data_kind(p) == "real" and provenance.data_kind(g) == "real"
    meta = p.attrs["divides"]
    assert meta["library_versions"]["pandas"] and meta["package_version"]
    assert any(k.startswith("wb_wgi/") for k in meta["input_sha256"])
    assert built.manifest["sources_without_files"] == []


def test_schemas_pass_and_structure(p, g):
    panel_schemas.validate_panel(p)
    panel_schemas.validate_gaps(g)
    assert not p.duplicated(["iso3", "year"]).any()
    codes = set(aggregates()["code"]) - {""}
    assert not p.iso3.isin(codes).any() and not g.iso3.isin(codes).any()
    assert not p.iso3.isin(["WLD", "ARB", "INX", "EUU", "HIC", "SSF"]).any()
    # the CPI's two scales never share a column
    assert p.loc[p.cpi_score.notna(), "year"].min() == 2012
    assert p.loc[p.cpi_score_0_10_legacy.notna(), "year"].max() <= 2011
    assert p.cpi_score_0_10_legacy.max() <= 10 and p.cpi_score.max() > 10


def test_panel_values_match_sources_md(p):
    assert _at(p, "DNK", 2023, "cpi_score") == 90
    assert _at(p, "AZE", 2021, "cpi_score") == 30
    assert _at(p, "SOM", 2023, "cpi_score") == 11
    assert _at(p, "AZE", 2023, "wgi_cc_estimate") == pytest.approx(-1.195, abs=5e-4)
    assert _at(p, "AZE", 2023, "wgi_cc_pctrank") == pytest.approx(12.3, abs=0.05)
    assert _at(p, "DNK", 2023, "wgi_cc_estimate") == pytest.approx(2.376, abs=5e-4)
    assert _at(p, "DNK", 2023, "internet_users_pct") == pytest.approx(98.8, abs=0.05)
    assert _at(p, "AZE", 2015, "internet_users_pct") == pytest.approx(77.0, abs=0.05)
    assert _at(p, "AZE", 2022, "egdi") == pytest.approx(0.6937, abs=1e-4)
    assert _at(p, "AZE", 2020, "mobile_subs_per100") == pytest.approx(102.02, abs=0.005)
    assert _at(p, "SOM", 2020, "fixed_broadband_per100") == pytest.approx(0.749, abs=5e-4)
    assert _at(p, "DNK", 2020, "mobile_broadband_per100") == pytest.approx(138.7, abs=0.05)
    assert _at(p, "LUX", 2023, "gdp_pc_ppp_const2021_usd") == pytest.approx(130049, abs=1)
    assert _at(p, "NER", 2022, "literacy_adult_female_pct") == pytest.approx(25.7, abs=0.05)
    assert _at(p, "AZE", 2020, "region") == "Europe & Central Asia"
    assert _at(p, "VEN", 2020, "income_group") == "Unclassified"


def test_itu_gaps_azerbaijan(g):
    latest = g[g.indicator == "itu_internet_users_pct"]
    aze = latest[(latest.iso3 == "AZE") & (latest.source == "itu")].set_index("dimension")
    assert set(aze.index) == {"sex", "area"} and set(aze["year"]) == {2020}
    assert aze.loc["sex", "advantaged_pct"] == pytest.approx(87.0)
    assert aze.loc["sex", "disadvantaged_pct"] == pytest.approx(82.2)
    assert round(aze.loc["sex", "parity_ratio"], 3) == 0.945
    assert aze.loc["area", "advantaged_pct"] == pytest.approx(94.9)
    assert aze.loc["area", "disadvantaged_pct"] == pytest.approx(72.7)
    tur = latest[(latest.iso3 == "TUR") & (latest.source == "itu") & (latest.dimension == "sex")]
    assert tur["gap_pp"].iloc[0] == pytest.approx(83.3 - 72.1)
    # one ITU latest-year gap per country and dimension (newer edition wins)
    itu = latest[latest.source == "itu"]
    assert not itu.duplicated(["iso3", "dimension", "indicator"]).any()


def test_findex_and_other_gap_sources(g):
    ken = g[(g.iso3 == "KEN") & (g.year == 2021)
            & (g.indicator == "findex_paid_bills_online_pct")].set_index("dimension")
    assert ken.loc["sex", "disadvantaged_pct"] == pytest.approx(37.6, abs=0.05)
    assert ken.loc["sex", "advantaged_pct"] == pytest.approx(52.6, abs=0.05)
    assert ken.loc["income", "disadvantaged_pct"] == pytest.approx(33.1, abs=0.05)
    assert ken.loc["income", "advantaged_pct"] == pytest.approx(52.8, abs=0.05)
    aze = g[(g.iso3 == "AZE") & (g.year == 2014) & (g.indicator == "sdg_mobile_own_pct")]
    assert aze["parity_ratio"].iloc[0] == pytest.approx(70.7 / 77.2, abs=1e-3)
    afg = g[(g.iso3 == "AFG") & (g.year == 2018) & (g.source == "unesco")]
    sex = afg[afg.indicator == "unesco_literacy_15plus_pct"]
    assert sex["advantaged_pct"].iloc[0] == pytest.approx(55.5, abs=0.05)
    assert sex["disadvantaged_pct"].iloc[0] == pytest.approx(29.8, abs=0.05)
    age = afg[afg.dimension == "age"]
    assert age["advantaged_pct"].iloc[0] == pytest.approx(65.4, abs=0.05)
    assert age["disadvantaged_pct"].iloc[0] == pytest.approx(13.3, abs=0.05)
    assert set(g["dimension"]) == {"sex", "area", "income", "age", "literacy"}
    assert {"itu", "findex", "sdg", "unesco", "wdi"} <= set(g["source"])


def test_drop_ledger_reconciles(built):
    drops = api.load_drops("real", build=False)
    ledger.check_ledger(drops)
    read = drops[drops.stage == "read"]
    assert (read.groupby("file")["rows"].sum() == read.groupby("file")["of_rows"].first()).all()
    wdi_int = read[read.file.str.startswith("API_IT.NET.USER")].set_index("reason")["rows"]
    assert wdi_int["kept"] == 6038 and wdi_int["aggregate"] == 48 * 65
    assert (drops[(drops.stage == "gaps")].reason == "superseded_edition").any()


def test_overlap_rule_and_disagreement_report(built):
    ov = api.load_overlaps("real", build=False)
    src = ov[(ov.panel_column == "internet_users_pct") & (ov.rule == "source")]
    assert set(src.winner_source) == {"wdi"} and set(src.loser_source) == {"itu"}
    aze = src[(src.iso3 == "AZE") & (src.year == 2020)]
    assert aze["loser_value"].iloc[0] == pytest.approx(84.6)


def test_coverage_counts(built, p):
    cov = api.load_coverage("real", build=False)
    row = cov[(cov.variable == "cpi_score") & (cov.year == 2023) & (cov.region == "All")]
    assert row["n_countries"].iloc[0] == p[(p.year == 2023) & p.cpi_score.notna()].iso3.nunique()
    assert row["n_countries"].iloc[0] == 180
    assert (cov.region != "All").any()


def test_codebook_lists_every_variable(built, p, g):
    from divides.report import codebook

    table = codebook.codebook_table(p, g)
    assert set(p.columns) <= set(table.loc[table.table == "panel", "variable"])
    cpi = table.set_index("variable").loc["cpi_score"]
    assert cpi["first_year"] == 2012 and cpi["n_countries"] >= 180
    assert table["definition"].str.len().gt(0).all()
    assert config.processed_dir("real") == built.out_dir


def test_itu_daily_use_gaps_by_sex_area_and_age(g):
    """SOURCES.md 12d: ITU daily internet use (Data360) gives time-series gaps, including
    the first digital age gaps (15-24 vs 25-74 and vs 75+)."""
    daily = g[(g.source == "itu") & g.indicator.str.startswith("itu_internet_daily_users")]
    assert set(zip(daily.dimension, daily.indicator)) == {
        ("sex", "itu_internet_daily_users_pct"), ("area", "itu_internet_daily_users_pct"),
        ("age", "itu_internet_daily_users_15_24_vs_25_74_pct"),
        ("age", "itu_internet_daily_users_15_24_vs_75plus_pct")}
    tur = daily[(daily.iso3 == "TUR") & (daily.year == 2022) & (daily.dimension == "sex")]
    assert tur["advantaged_pct"].iloc[0] == pytest.approx(96.29, abs=0.005)
    assert tur["disadvantaged_pct"].iloc[0] == pytest.approx(95.48, abs=0.005)
    assert daily.year.max() == 2024 and daily.iso3.nunique() > 50
    assert not daily.duplicated(["iso3", "year", "dimension", "indicator"]).any()


def test_current_editions_in_the_panel(p):
    """CPI to 2025 (the 2025 edition), EGDI to 2024 (Data360 beside the UN files)."""
    assert _at(p, "AZE", 2025, "cpi_score") == 30 and _at(p, "DNK", 2025, "cpi_score") == 89
    assert _at(p, "AZE", 2024, "egdi") == pytest.approx(0.76073)
    assert p.dropna(subset=["internet_daily_users_pct"]).year.max() == 2024


def test_no_wgi_series_mixes_releases(built):
    """The 2025 API response (2015 only) is recorded and set aside: the WGI panel columns
    keep the 2024 release for all years (AZE 2015: -0.9526, not the 2025 -0.9368)."""
    records = built.manifest["releases"]
    used = {(r["indicator"], r["release"]) for r in records if r["status"] == "used"}
    by_ind: dict = {}
    for ind, rel in used:
        by_ind.setdefault(ind, set()).add(rel)
    assert all(len(rels) == 1 for rels in by_ind.values()), by_ind
    aside = [r for r in records if r["status"] == "set_aside"]
    assert [(r["indicator"], r["release"], r["why"]) for r in aside] == [
        ("wdi_internet_users_pct", "2022-05-25", "older release"),
        ("wgi_cc_estimate", "2026-03-18", "partial newer release")]
    assert built.manifest["file_releases"]["cpi/CPI2025_Results.xlsx"] == "2025"


def test_wgi_2015_value_is_the_2024_release(p):
    assert _at(p, "AZE", 2015, "wgi_cc_estimate") == pytest.approx(-0.9526, abs=5e-5)
    assert _at(p, "DNK", 2015, "wgi_cc_estimate") == pytest.approx(2.1859, abs=5e-5)


def test_data360_and_un_egov_files_agree(built):
    overlaps = pd.read_csv(built.out_dir / "overlaps.csv")
    egov = overlaps[overlaps.panel_column.isin(["egdi", "osi", "hci", "tii"])]
    assert len(egov) > 8000 and set(egov.winner_file.str[:8]) == {"UN_EGDI_"}
    assert egov["diff"].abs().max() < 5e-5


def test_provenance_names_the_editions_figures_cite(p):
    """The panel's provenance carries, per source, the editions its values came from; the
    set-aside WGI 2025 API release is not among them (figure footers cite these)."""
    from divides.figures import style

    editions = p.attrs["divides"]["source_editions"]
    assert "2025" in editions["cpi"] and "2026-03-18" not in editions["wgi"]
    text = style.make_footer(p, sources=["cpi", "wgi"], years="2012-2025", n_countries=1).text
    assert "edition" in text and "2026-03-18" not in text


def test_wdi_series_come_from_one_release(p, built):
    """WDI revises history: internet use comes whole from the 2025-04-15 API release; the
    2022 DataBank extract's values (e.g. the zeros of 1991-1995 that the World Bank has
    since withdrawn) are set aside, never mixed in."""
    wdi = [r for r in built.manifest["releases"] if r["source"] == "wdi"
           and r["indicator"] == "wdi_internet_users_pct"]
    assert {(r["release"], r["status"]) for r in wdi} == {("2025-04-15", "used"),
                                                          ("2022-05-25", "set_aside")}
    assert np.isnan(_at(p, "AFG", 1993, "internet_users_pct"))  # 0.0 in the 2022 extract
