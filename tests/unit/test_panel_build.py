"""Unit tests of the panel and gap layer on tiny inline frames (no real files)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from divides import fileio, provenance
from divides.build import assemble, gaps, ledger, rules
from divides.build import schemas as panel_schemas
from divides.errors import InputError, ValidationError
from divides.observations import finalize

pytestmark = pytest.mark.unit


def _obs(rows):
    cols = ["iso3", "year", "indicator", "value", "breakdown", "group", "source", "file"]
    return finalize(pd.DataFrame(rows, columns=cols))


def _ledger_ok(ledger, obs):
    per_file = ledger.groupby("file")["rows"].sum()
    assert (ledger.groupby("file")["of_rows"].first() == per_file).all()
    assert per_file.sum() == len(obs)


def test_rules_are_data_and_consistent():
    cand = rules.panel_candidates()
    internet = cand[cand.panel_column == "internet_users_pct"].sort_values("priority")
    assert internet["indicator"].tolist() == ["wdi_internet_users_pct", "itu_internet_users_pct"]
    assert not cand.duplicated(["panel_column", "priority"]).any()
    assert rules.panel_columns()[:len(rules.REQUIRED_PANEL_COLUMNS)] == rules.REQUIRED_PANEL_COLUMNS
    assert {"cpi_score", "log_gdp_pc_ppp", "urban_pct"} <= set(rules.REQUIRED_PANEL_COLUMNS)
    assert rules.DERIVED_COLUMNS["log_gdp_pc_ppp"][0] == "gdp_pc_ppp_const2021_usd"
    assert rules.file_rule("itu", "IndividualsUsingInternetByGender.xlsx")["priority"] == 1
    older = rules.file_rule("itu", "10. Individuals using the Internet by gender and "
                            "urban-rural location.xls")
    # one channel: the edition read from the content decides, not a name-based priority
    assert older["priority"] == 1 and older["latest_year_table"]
    # DataBank extracts and API CSVs: one channel; the edition in the content decides
    assert rules.file_rule("wdi", "world_bank_internet_data.csv")["priority"] == 1


def test_priority_overlap_and_ledger():
    obs = _obs([
        ("AZE", 2020, "wdi_internet_users_pct", 84.6, "total", "all", "wdi", "API_x.csv"),
        ("AZE", 2020, "wdi_internet_users_pct", 80.0, "total", "all", "wdi", "databank.csv"),
        ("AZE", 2020, "itu_internet_users_pct", 84.0, "total", "all", "itu", "itu.xlsx"),
        ("AZE", 2019, "itu_internet_users_pct", 81.0, "total", "all", "itu", "itu.xlsx"),
        ("AZE", 2011, "cpi_score", 24.0, "total", "all", "cpi", "cpi.xlsx"),
        ("AZE", 2011, "cpi_score_0_10_legacy", 2.4, "total", "all", "cpi", "cpi.csv"),
        ("AZE", 2013, "cpi_score_0_10_legacy", 2.8, "total", "all", "cpi", "cpi.csv"),
        ("AZE", 2020, "wdi_gdp_pc_ppp_const2021_usd", 20000.0, "total", "all", "wdi", "API_g.csv"),
        ("AZE", 2020, "wdi_secure_servers_count", 5.0, "total", "all", "wdi", "databank.csv"),
    ])
    editions = {("wdi", "API_x.csv"): "2025-04-15", ("wdi", "databank.csv"): "2022-05-25"}
    with pytest.raises(InputError, match=r"'API_x.csv' and 'databank.csv' are both edition "
                                         r"\(none found\).*AZE 2020.*84.6 vs 80"):
        assemble.assemble_panel(obs, None)  # no editions: only the names could decide
    p, overlaps, ledger = assemble.assemble_panel(obs, None, editions)
    assert not p.duplicated(["iso3", "year"]).any()
    row = p.set_index("year").loc[2020]
    # WDI revises history (data/build/releases.csv): the series comes whole from the newest
    # release covering its years; the DataBank value is another release, set aside
    assert row["internet_users_pct"] == 84.6
    assert p.set_index("year").loc[2019, "internet_users_pct"] == 81.0   # ITU fills a gap
    assert row["log_gdp_pc_ppp"] == pytest.approx(np.log(20000.0))
    assert np.isnan(p.set_index("year").loc[2011, "cpi_score"])          # 0-100 before 2012
    assert p.set_index("year").loc[2011, "cpi_score_0_10_legacy"] == 2.4
    assert 2013 not in set(p.loc[p.cpi_score_0_10_legacy.notna(), "year"])
    by = overlaps.set_index(["rule", "loser_file"])
    assert ("file", "databank.csv") not in by.index  # set aside before any file ranking
    assert by.loc[("source", "itu.xlsx"), "diff"] == pytest.approx(84.0 - 84.6)
    reasons = ledger.groupby("reason")["rows"].sum().to_dict()
    assert reasons == {"used": 4, "other_release": 1, "lower_priority_source": 1,
                       "out_of_scope": 2, "not_a_panel_column": 1}
    _ledger_ok(ledger, obs)
    panel_schemas.validate_panel(p)


def test_panel_schema_refuses_duplicates_and_mixed_cpi_scales():
    obs = _obs([("DNK", 2015, "cpi_score", 91.0, "total", "all", "cpi", "a.xlsx")])
    p, _, _ = assemble.assemble_panel(obs, None)
    panel_schemas.validate_panel(p)
    with pytest.raises(ValidationError, match="iso3"):
        panel_schemas.validate_panel(pd.concat([p, p], ignore_index=True))
    bad = p.copy()
    bad["cpi_score_0_10_legacy"] = 9.1
    with pytest.raises(ValidationError, match="only before 2012"):
        panel_schemas.validate_panel(bad)
    agg = p.assign(iso3="WLD")
    with pytest.raises(ValidationError, match="aggregate"):
        panel_schemas.validate_panel(agg)


def _itu(iso3, year, group, value, file, breakdown="sex"):
    return (iso3, year, "itu_internet_users_pct", value, breakdown, group, "itu", file)


NEW = "IndividualsUsingInternetByGender.xlsx"
OLD = "10. Individuals using the Internet by gender and urban-rural location.xls"


def test_gap_metrics_pairing_and_edition_rule():
    obs = _obs([
        _itu("AZE", 2020, "male", 87.0, NEW), _itu("AZE", 2020, "female", 82.2, NEW),
        _itu("AZE", 2020, "urban", 94.9, NEW, "area"), _itu("AZE", 2020, "rural", 72.7, NEW,
                                                            "area"),
        _itu("AZE", 2018, "male", 83.9, OLD), _itu("AZE", 2018, "female", 75.8, OLD),
        _itu("DNK", 2020, "male", 97.4, NEW),                       # female missing: unpaired
        _itu("BOL", 2019, "male", 50.0, NEW), _itu("BOL", 2018, "female", 45.0, NEW),
        _itu("TUR", 2020, "male", 83.3, NEW),
        _itu("TUR", 2020, "female", 72.1, NEW),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g, ledger, _ = gaps.compute_gaps(obs)
    aze = g[(g.iso3 == "AZE")].set_index("dimension")
    assert len(aze) == 2 and set(aze["year"]) == {2020}       # 2018 edition superseded
    assert aze.loc["sex", "parity_ratio"] == pytest.approx(82.2 / 87.0)
    assert round(aze.loc["sex", "parity_ratio"], 3) == 0.945
    assert aze.loc["sex", "gap_pp"] == pytest.approx(4.8)
    assert aze.loc["area", "relative_gap"] == pytest.approx((94.9 - 72.7) / 94.9)
    assert aze.loc["sex", "advantaged_group"] == "male"
    assert not ((g.iso3 == "DNK") | (g.iso3 == "BOL")).any()  # no pair in one year
    counts = ledger.groupby("reason")["rows"].sum().to_dict()
    assert counts == {"computed": 3, "superseded_edition": 1, "unpaired": 3}
    assert (ledger.groupby("file")["rows"].sum()
            == ledger.groupby("file")["of_rows"].first()).all()
    panel_schemas.validate_gaps(g)


def test_latest_year_edition_is_read_from_content_not_the_file_name():
    """Issue 14: two ITU latest-year tables with the same country and year: the edition
    the reader found in the content decides (here the file with the old table's name holds
    the newer edition), never the name; without editions the two are never paired."""
    obs = _obs([
        _itu("AZE", 2019, "male", 80.0, NEW), _itu("AZE", 2019, "female", 70.0, NEW),
        _itu("AZE", 2019, "male", 81.0, OLD), _itu("AZE", 2019, "female", 77.0, OLD),
        _itu("TUR", 2019, "male", 83.3, NEW), _itu("TUR", 2019, "female", 72.1, OLD),
    ])
    g, ledger, _ = gaps.compute_gaps(obs, file_release={("itu", NEW): "2020",
                                                        ("itu", OLD): "2021"})
    aze = g[g.iso3 == "AZE"]
    assert len(aze) == 1 and aze["file"].iloc[0] == OLD and aze["gap_pp"].iloc[0] == 4.0
    assert not (g.iso3 == "TUR").any()  # two editions are never mixed in one gap
    counts = ledger.groupby("reason")["rows"].sum().to_dict()
    assert counts == {"computed": 1, "superseded_edition": 1, "unpaired": 2}
    g0, _, _ = gaps.compute_gaps(obs)  # editions unknown: the file names keep them apart
    assert not (g0.iso3 == "TUR").any()


def test_gap_zero_advantaged_gives_empty_ratios_and_parity_not_capped():
    obs = _obs([
        ("KEN", 2021, "sdg_mobile_own_pct", 0.0, "sex", "male", "sdg", "s.csv"),
        ("KEN", 2021, "sdg_mobile_own_pct", 0.0, "sex", "female", "sdg", "s.csv"),
        ("LSO", 2021, "sdg_mobile_own_pct", 60.0, "sex", "male", "sdg", "s.csv"),
        ("LSO", 2021, "sdg_mobile_own_pct", 66.0, "sex", "female", "sdg", "s.csv"),
    ])
    g, _, _ = gaps.compute_gaps(obs)
    g = g.set_index("iso3")
    assert np.isnan(g.loc["KEN", "parity_ratio"]) and g.loc["KEN", "gap_pp"] == 0
    assert g.loc["LSO", "parity_ratio"] == pytest.approx(1.1)   # above 1, not capped
    assert g.loc["LSO", "gap_pp"] == pytest.approx(-6.0)


def test_gap_definitions_cover_the_issue_sources():
    d = gaps.definitions()
    assert set(d["dimension"]) == set(gaps.DIMENSIONS)
    have = set(zip(d["dimension"], d["source"]))
    for want in [("sex", "itu"), ("area", "itu"), ("income", "findex"), ("age", "findex"),
                 ("sex", "sdg"), ("age", "unesco"), ("sex", "wdi")]:
        assert want in have


def test_parquet_round_trip_keeps_provenance(tmp_path):
    frame = provenance.tag(pd.DataFrame({"a": [1.0]}), data="demo", input_sha256={"f": "x"})
    path = tmp_path / "t.parquet"
    fileio.write_parquet(frame, path)
    back = fileio.read_parquet(path)
    assert provenance.data_kind(back) == "demo"
    assert back.attrs["divides"]["input_sha256"] == {"f": "x"}
    import pyarrow.parquet as pq

    assert b"divides" in pq.read_schema(path).metadata


def test_ledger_check_refuses_unbalanced():
    drops = pd.DataFrame({"stage": ["read", "read"], "source": ["wdi", "wdi"],
                          "file": ["f", "f"], "reason": ["kept", "missing"], "rows": [3, 1],
                          "of_rows": [5, 5]})
    with pytest.raises(AssertionError, match="reconcile"):
        ledger.check_ledger(drops)


def test_rank_files_channel_then_release_then_name():
    """The one file-ranking rule (panel and gaps): the channel of file_priority.csv first,
    then the newest release found in the content, the file name only last."""
    from divides.build.rules import rank_files

    frame = pd.DataFrame({
        "k": [1, 1, 1, 2, 2],
        "source": ["cpi"] * 5,
        "file": ["cpi.csv", "CPI_b.xlsx", "CPI_a.xlsx", "CPI_z.xlsx", "CPI_y.xlsx"]})
    releases = {("cpi", "cpi.csv"): "2030", ("cpi", "CPI_b.xlsx"): "2025",
                ("cpi", "CPI_a.xlsx"): "2023"}
    ranked = rank_files(frame, ["k"], releases)
    # key 1: the datahub copy (channel 5) loses despite its newer release; 2025 beats 2023
    # whatever the names; key 2: no release found, so the name decides (stable order)
    assert ranked["file"].tolist() == ["CPI_b.xlsx", "CPI_a.xlsx", "cpi.csv", "CPI_y.xlsx",
                                       "CPI_z.xlsx"]
    assert ranked["file_priority"].tolist() == [1, 1, 5, 1, 1]
    assert ranked["file_release"].tolist() == ["2025", "2023", "2030", "", ""]
    # another tie-break, and the file read from another column
    later = rank_files(frame.assign(year=[1, 2, 3, 4, 5], first=frame["file"]), ["k"],
                       releases, then={"year": False}, file_column="first")
    assert later.loc[later["k"] == 2, "year"].tolist() == [5, 4]
