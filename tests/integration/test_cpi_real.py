"""CPI checks from ../shared/data/real/SOURCES.md, section 1 (TI workbooks, datahub CSV)."""

from pathlib import Path

import pandas as pd
import pytest

from divides.sources import cpi, files

pytestmark = pytest.mark.integration

COVERAGE = {2012: 175, 2013: 176, 2014: 174, 2015: 168, 2016: 176,
            **{y: 180 for y in range(2017, 2024)}}


def _value(obs, iso3, year, indicator="cpi_score"):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)]
    assert len(sel) == 1, (iso3, year, indicator)
    return sel["value"].iloc[0]


@pytest.fixture(scope="module")
def read(real_dir):
    out = {}
    for name in ("CPI2025_Results.xlsx", "CPI2023_GlobalResultsTrends.xlsx",
                 "CPI2022_GlobalResultsTrends.xlsx",
                 "CPI2012.xlsx", "CPI2017.xlsx", "datahub_core/cpi.csv"):
        out[Path(name).stem] = cpi.read(real_dir / "ti_cpi" / name)
    return out


def test_every_file_has_a_reader(real_dir):
    taken = set(files(real_dir, "cpi"))
    others = {p for pat in cpi.OTHER_PATTERNS for p in real_dir.glob(pat)}
    present = {p for p in (real_dir / "ti_cpi").rglob("*") if p.is_file()}
    assert present == taken | others and len(taken) == 6 and not taken & others


def test_reports_balance_and_no_unmapped_names(read):
    for obs, rep in read.values():
        assert rep.balanced and rep.rows_kept == len(obs)
        assert rep.unmapped_names == [] and "unmapped_name" not in rep.dropped


def test_2023_edition_checks(read):
    obs, rep = read["CPI2023_GlobalResultsTrends"]
    assert _value(obs, "DNK", 2023) == 90 and _value(obs, "DNK", 2023, "cpi_rank") == 1
    assert [_value(obs, "DNK", y) for y in range(2014, 2024)] == [
        92, 91, 90, 88, 88, 87, 88, 88, 90, 90]
    assert _value(obs, "SOM", 2023) == 11 and _value(obs, "SOM", 2022) == 12
    for iso3 in ("SSD", "SYR", "VEN"):
        assert _value(obs, iso3, 2023) == 13
    assert [_value(obs, "AZE", y) for y in (2023, 2022, 2021)] == [23, 23, 30]
    score = obs[obs.indicator == "cpi_score"]
    s2023 = score[score.year == 2023]["value"]
    assert (s2023.min(), s2023.max()) == (11, 90)
    # 181 rows with unique ISO3 (43 value columns each), all mapped
    assert rep.rows_read == 181 * 43 and obs.iso3.nunique() == 181
    assert score.groupby("year").size().to_dict() == COVERAGE
    assert sorted(score[score.iso3 == "BRN"]["year"]) == [2012, 2013, 2016, 2017, 2018,
                                                          2019, 2020]
    assert rep.dropped == {"missing": rep.rows_read - rep.rows_kept}


def test_2022_edition_checks_and_agreement(read):
    obs, rep = read["CPI2022_GlobalResultsTrends"]
    assert _value(obs, "DNK", 2022) == 90 and _value(obs, "DNK", 2012) == 90
    assert _value(obs, "SOM", 2022) == 12 and _value(obs, "SOM", 2012) == 8
    assert _value(obs, "AZE", 2022) == 23 and _value(obs, "AZE", 2012) == 27
    assert rep.rows_read == 181 * 39
    new, _ = read["CPI2023_GlobalResultsTrends"]
    key = ["iso3", "year", "indicator"]
    a = obs[(obs.year == 2022) & (obs.indicator == "cpi_score")].set_index(key)["value"]
    b = new[(new.year == 2022) & (new.indicator == "cpi_score")].set_index(key)["value"]
    assert len(a) == 180 and a.sort_index().equals(b.sort_index())


def test_2012_layout_checks(read):
    obs, _ = read["CPI2012"]
    score = obs[obs.indicator == "cpi_score"]
    assert len(score) == 176 and (score.value.min(), score.value.max()) == (8, 90)
    assert (_value(obs, "DNK", 2012), _value(obs, "DNK", 2012, "cpi_rank")) == (90, 1)
    assert (_value(obs, "AZE", 2012), _value(obs, "AZE", 2012, "cpi_rank")) == (27, 139)
    rank174 = obs[(obs.indicator == "cpi_rank") & (obs.value == 174)]
    assert sorted(rank174.iso3) == ["AFG", "PRK", "SOM"]
    assert all(_value(obs, i, 2012) == 8 for i in ("AFG", "PRK", "SOM"))


def test_2017_layout_checks(read):
    obs, rep = read["CPI2017"]
    assert (_value(obs, "DNK", 2017), _value(obs, "DNK", 2017, "cpi_rank")) == (88, 2)
    assert (_value(obs, "NZL", 2017), _value(obs, "NZL", 2017, "cpi_rank")) == (89, 1)
    assert _value(obs, "AZE", 2017) == 31 and _value(obs, "SOM", 2017) == 9
    assert len(obs[obs.indicator == "cpi_score"]) == COVERAGE[2017]
    # the blank line and the "GLOBAL AVARAGE" row at the end
    assert rep.dropped["footer"] == 1 and rep.dropped["aggregate"] > 0


def test_datahub_legacy_csv(read, real_dir):
    obs, rep = read["cpi"]
    raw = pd.read_csv(real_dir / "ti_cpi" / "datahub_core" / "cpi.csv", encoding="cp1252",
                      dtype=str, keep_default_na=False)
    assert len(raw) == 252
    assert (raw["1995"] == "0.0").sum() == 214 and (raw["2017"] == "0.0").sum() == 71
    # only the legacy 0-10 indicator, only before 2012, never a 0.0 placeholder
    assert set(obs.indicator) == {"cpi_score_0_10_legacy"}
    assert obs.year.between(1995, 2011).all() and obs.value.between(0, 10).all()
    assert (obs.value > 0).all()
    # 2012-2017 are rescaled 0-100 values: dropped, counted, never kept as legacy
    nonzero_recent = sum(((raw[str(y)] != "0.0") & (raw[str(y)] != "")).sum()
                         for y in range(2012, 2018))
    assert 0 < rep.dropped["out_of_scope"] <= nonzero_recent
    assert rep.rows_read == 252 * 23
    # cp1252 spellings of Côte d'Ivoire resolve (five+ rows, one country)
    assert "CIV" in set(obs.iso3) and rep.unmapped_names == []
    assert _value(obs, "CIV", 2011, "cpi_score_0_10_legacy") > 0


def test_datapackage_metadata(real_dir):
    meta = cpi.read_datapackage(real_dir / "ti_cpi" / "datahub_core" / "datapackage.json")
    assert meta.loc[0, "path"] == "cpi.csv" and meta.loc[0, "declared_encoding"] == "utf-8"
    assert meta.loc[0, "n_fields"] == 24


def _score(obs, iso3, year):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == "cpi_score")]
    assert len(sel) == 1, (iso3, year)
    return sel["value"].iloc[0]


def test_2025_edition_checks(read):
    """SOURCES.md 12a: Strict Open XML read by calamine; 2025 and 2024 checks."""
    obs, rep = read["CPI2025_Results"]
    assert rep.release == "2025"
    for iso3, score in [("DNK", 89), ("FIN", 88), ("VEN", 10), ("SOM", 9), ("SSD", 9),
                        ("AZE", 30)]:
        assert _score(obs, iso3, 2025) == score, iso3
    rank = obs[(obs.iso3 == "AZE") & (obs.year == 2025) & (obs.indicator == "cpi_rank")]
    assert rank["value"].tolist() == [130]
    assert (obs[(obs.year == 2025) & (obs.indicator == "cpi_score")].iso3.nunique()) == 182
    for iso3, score in [("DNK", 90), ("SOM", 9), ("AZE", 22)]:
        assert _score(obs, iso3, 2024) == score, iso3


def test_2025_edition_equals_2023_edition_on_2012_2023(read):
    new = read["CPI2025_Results"][0]
    old = read["CPI2023_GlobalResultsTrends"][0]
    key = ["iso3", "year", "indicator"]
    a = new[(new.indicator == "cpi_score") & (new.year <= 2023)].set_index(key)["value"]
    b = old[old.indicator == "cpi_score"].set_index(key)["value"]
    both = a.index.intersection(b.index)
    assert len(both) == 2129  # SOURCES.md: all 2,129 scores 2012-2023 equal
    assert (a[both] == b[both]).all()
