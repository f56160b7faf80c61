"""Readers for what `divides fetch --from publishers` writes and no earlier reader took:
Findex through the World Bank API, the Findex 2025 database CSV, the UIS Data API JSON
(literacy) and Natural Earth's zipped shapefile (integration test, real file)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from divides.errors import SourceFormatError
from divides.sources import findex, unesco

pytestmark = pytest.mark.unit


def _api_record(code, iso3, name, year, value):
    return {"indicator": {"id": code, "value": code}, "country": {"id": "XX", "value": name},
            "countryiso3code": iso3, "date": str(year), "value": value, "unit": "",
            "obs_status": "", "decimal": 1}


def _api_file(path, records, lastupdated="2025-07-16"):
    meta = {"page": 1, "pages": 1, "per_page": 20000, "total": len(records), "sourceid": "2",
            "lastupdated": lastupdated}
    path.write_text(json.dumps([meta, records]), encoding="utf-8")
    return path


def test_findex_api_codes_map_to_their_catalogued_breakdown(tmp_path):
    path = _api_file(tmp_path / "FX.OWN.TOTL.FE.ZS.json", [
        _api_record("FX.OWN.TOTL.FE.ZS", "KEN", "Kenya", 2021, 75.2),
        _api_record("FX.OWN.TOTL.FE.ZS", "KEN", "Kenya", 2017, None),
        _api_record("FX.OWN.TOTL.FE.ZS", "SSF", "Sub-Saharan Africa", 2021, 49.0),
    ])
    obs, report = findex.read(path)
    assert obs[["iso3", "year", "indicator", "breakdown", "group", "value"]].values.tolist() \
        == [["KEN", 2021, "findex_account_pct", "sex", "female", 75.2]]
    assert report.release == "2025-07-16"
    assert report.dropped == {"missing": 1, "aggregate": 1}
    assert report.rows_read == len(obs) + sum(report.dropped.values())


DB_HEADER = ["countrynewwb", "codewb", "regionwb24_hi", "incomegroupwb24", "year", "group",
             "group2", "pop_adult", "account_t_d", "fin14b_t_d", "not_catalogued_col"]


def _db_file(path, rows):
    pd.DataFrame(rows, columns=DB_HEADER).to_csv(path, index=False)
    return path


def test_findex_database_csv_shares_groups_and_waves(tmp_path):
    path = _db_file(tmp_path / "GlobalFindexDatabase2025.csv", [
        ["world", "WLD", "", "", 2024, "all", "", 5e9, 0.79, 0.30, 1],
        ["Kenya", "KEN", "Sub-Saharan Africa", "Lower middle income", 2024, "all", "",
         3e7, 0.8512, "", 1],
        ["Kenya", "KEN", "Sub-Saharan Africa", "Lower middle income", 2024, "gender",
         "women", 1.5e7, 0.8, 0.21, 1],
        ["Kenya", "KEN", "Sub-Saharan Africa", "Lower middle income", 2024, "gender",
         "men", 1.5e7, 0.9, 0.33, 1],
        ["Kenya", "KEN", "Sub-Saharan Africa", "Lower middle income", 2022, "all", "",
         3e7, 0.79, 0.2, 1],
        ["Kenya", "KEN", "Sub-Saharan Africa", "Lower middle income", 2024, "income",
         "poorest 40%", 1e7, 0.7, 0.1, 1],
    ])
    obs, report = findex.read(path)
    got = {(r.year, r.indicator, r.breakdown, r.group): r.value for r in obs.itertuples()}
    assert got[(2024, "findex_account_pct", "total", "all")] == pytest.approx(85.12)
    assert got[(2024, "findex_bought_online_pct", "sex", "female")] == pytest.approx(21.0)
    assert got[(2024, "findex_account_pct", "sex", "male")] == pytest.approx(90.0)
    # the 2021 wave's 2022 fieldwork is labelled 2021, as DataBank labels it
    assert got[(2021, "findex_account_pct", "total", "all")] == pytest.approx(79.0)
    assert set(obs["iso3"]) == {"KEN"}
    # two value columns per row: every cell is counted once, with its reason
    assert report.dropped == {"aggregate": 2, "unknown_group": 2, "missing": 1}
    assert report.rows_read == 12 == len(obs) + sum(report.dropped.values())
    assert any("income/poorest 40%" in n for n in report.notes)
    assert report.release == "2025"


def test_findex_database_percent_instead_of_shares_is_refused(tmp_path):
    path = _db_file(tmp_path / "GlobalFindexDatabase2025.csv", [
        ["Kenya", "KEN", "Sub-Saharan Africa", "", 2024, "all", "", 3e7, 85.12, 0.2, 1]])
    with pytest.raises(SourceFormatError, match=r"line 2 column 'account_t_d'.*share"):
        findex.read(path)


def _uis_file(path, records):
    path.write_text(json.dumps({"hints": [], "records": records}), encoding="utf-8")
    return path


def _uis(ind, geo, year, value):
    return {"indicatorId": ind, "geoUnit": geo, "year": year, "value": value,
            "magnitude": None, "qualifier": None}


def test_uis_api_json_maps_indicators_and_counts_regions(tmp_path):
    path = _uis_file(tmp_path / "LR.AG15T99.json", [
        _uis("LR.AG15T99", "KEN", 2022, 82.6), _uis("LR.AG15T99.F", "KEN", 2022, 79.9),
        _uis("LR.AG15T99.M", "KEN", 2022, 85.5), _uis("LR.AG15T99", "SDG: Africa", 2022, 70.0),
        _uis("LR.AG15T99.GPIA", "KEN", 2022, 0.93), _uis("LR.AG15T99", "KEN", 2021, None)])
    obs, report = unesco.read(path)
    got = {(r.breakdown, r.group): r.value for r in obs.itertuples()}
    assert got == {("total", "all"): 82.6, ("sex", "female"): 79.9, ("sex", "male"): 85.5}
    assert set(obs["indicator"]) == {"unesco_literacy_15plus_pct"}
    assert report.dropped == {"aggregate": 1, "not_in_catalogue": 1, "missing": 1}
    assert any("LR.AG15T99.GPIA" in n for n in report.notes)


def test_uis_api_shares_are_refused_not_multiplied(tmp_path):
    path = _uis_file(tmp_path / "LR.AG15T24.json", [_uis("LR.AG15T24", "KEN", 2022, 0.87)])
    with pytest.raises(SourceFormatError, match="percent"):
        unesco.read(path)


@pytest.mark.parametrize("doc, where", [([1, 2], "top level"), ({"records": []}, "records")])
def test_uis_api_unexpected_shapes_are_refused(tmp_path, doc, where):
    path = tmp_path / "LR.AG15T99.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SourceFormatError, match=where):
        unesco.read(path)
