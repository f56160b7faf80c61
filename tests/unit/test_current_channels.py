"""The publishers' current channels on tiny generated files: World Bank API v2 JSON, the
WGI 2025 workbook layout, Data360 WIDEF and long CSVs; releases never mixed in a series."""

from __future__ import annotations

import json
import shutil
import warnings
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from divides.build import assemble, inventory, panel
from divides.errors import SourceFormatError
from divides.models import speccurve as sc
from divides.observations import finalize
from divides.sources import egov, itu, wdi, wgi

pytestmark = pytest.mark.unit


# --- World Bank API v2 JSON -------------------------------------------------------------

def _record(code, iso3, name, year, value, iso2="XX"):
    return {"indicator": {"id": code, "value": "Control of Corruption - estimate"},
            "country": {"id": iso2 if iso3 else "", "value": name},
            "countryiso3code": iso3, "date": str(year), "value": value, "unit": "",
            "obs_status": "", "decimal": 1}


def _meta(page, pages, total, lastupdated="2026-03-18"):
    return {"page": page, "pages": pages, "per_page": "2", "total": total, "sourceid": "3",
            "lastupdated": lastupdated}


RECORDS = [_record("GOV_WGI_CC.EST", "DNK", "Denmark", 2015, 2.1589),
           _record("GOV_WGI_CC.EST", "", "Taiwan, China", 2015, 0.9491),
           _record("GOV_WGI_CC.EST", "PYF", "French Polynesia", 2015, None),
           _record("GOV_WGI_CC.SC", "DNK", "Denmark", 2015, 97.5)]


def _write(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_api_pages_are_joined_and_mapped(tmp_path):
    doc = [[_meta(1, 2, 4), RECORDS[:2]], [_meta(2, 2, 4), RECORDS[2:]]]
    obs, rep = wgi.read(_write(tmp_path / "GOV_WGI_CC.json", doc))
    assert rep.balanced and rep.rows_read == 4 and rep.dropped == {"missing": 1}
    assert rep.release == "2026-03-18"
    got = obs.set_index(["iso3", "indicator"])["value"]
    assert got[("DNK", "wgi_cc_estimate")] == 2.1589
    assert got[("TWN", "wgi_cc_estimate")] == 0.9491  # empty ISO3: mapped by name
    assert got[("DNK", "wgi_cc_score")] == 97.5


def test_api_single_response_equals_its_pages(tmp_path):
    one, _ = wgi.read(_write(tmp_path / "a.json", [_meta(1, 1, 4), RECORDS]))
    two, _ = wgi.read(_write(tmp_path / "b.json", [[_meta(1, 2, 4), RECORDS[:2]],
                                                   [_meta(2, 2, 4), RECORDS[2:]]]))
    cols = ["iso3", "year", "indicator", "value"]
    assert one[cols].equals(two[cols])


@pytest.mark.parametrize("doc, where", [
    ([[_meta(1, 3, 4), RECORDS[:2]], [_meta(2, 3, 4), RECORDS[2:]]], "pages"),
    ([_meta(1, 1, 5), RECORDS], "records"),
    ([{"message": [{"id": "120", "key": "Invalid value",
                    "value": "The provided parameter value is not valid"}]}], "response"),
    ([_meta(1, 1, 1), [dict(RECORDS[0], date="2015Q1")]], "page 1 record 1 'date'"),
    ([_meta(1, 1, 1), [dict(RECORDS[0], value="1,5")]], "page 1 record 1 'value'"),
])
def test_api_incomplete_or_error_responses_are_refused(tmp_path, doc, where):
    path = _write(tmp_path / "GOV_WGI_CC.EST.json", doc)
    with pytest.raises(SourceFormatError) as info:
        wgi.read(path)
    assert str(info.value).startswith(f"GOV_WGI_CC.EST.json: {where}")


def test_api_retired_code_is_counted_not_kept(tmp_path):
    doc = [_meta(1, 1, 1), [_record("CC.EST", "DNK", "Denmark", 2015, 2.0)]]
    obs, rep = wgi.read(_write(tmp_path / "CC.EST.json", doc))
    assert obs.empty and rep.dropped == {"not_in_catalogue": 1}
    assert "CC.EST" in " ".join(rep.notes)


# --- WGI 2025 workbook layout (no real copy here: a file written in that layout) -------

WGI_2025_HEADER = ["Economy (code)", "Economy (name)", "Year",
                   "Governance estimate (approx. -2.5 to +2.5)", "Standard error",
                   "Number of sources", "Governance score (0-100)",
                   "Governance score, lower bound (90%)", "Governance score, upper bound (90%)",
                   "Some new column"]


def write_wgi_2025_workbook(path, rows_by_dim):
    """A workbook in the 2025 layout: a title row, then one long sheet per dimension."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for dim in ("va", "pv", "ge", "rq", "rl", "cc"):
        sheet = book.create_sheet(dim)
        sheet.append([f"Worldwide Governance Indicators 2025: {dim}"])
        sheet.append(WGI_2025_HEADER)
        for row in rows_by_dim.get(dim, []):
            sheet.append(list(row))
    book.create_sheet("Notes").append(["source data follow"])
    book.save(path)
    return path


def test_wgi_2025_workbook_layout(tmp_path):
    rows = {"cc": [["DNK", "Denmark", 2024, 2.05, 0.21, 10, 96.1, 93.0, 99.0, "x"],
                   ["ROU", "Romania", 2023, "..", None, None, None, None, None, None]],
            "ge": [["AZE", "Azerbaijan", 2024, -0.3, 0.2, 9, 40.0, 35.0, 45.0, "x"]]}
    path = write_wgi_2025_workbook(tmp_path / "wgidataset_with_sourcedata-2025.xlsx", rows)
    obs, rep = wgi.read(path)
    assert rep.balanced and rep.release == "2025"
    got = obs.set_index(["iso3", "indicator"])["value"]
    assert got[("DNK", "wgi_cc_estimate")] == 2.05
    assert got[("DNK", "wgi_cc_stderr")] == 0.21
    assert got[("DNK", "wgi_cc_nsource")] == 10
    assert got[("DNK", "wgi_cc_score")] == 96.1
    assert got[("DNK", "wgi_cc_score_lower")] == 93.0
    assert got[("DNK", "wgi_cc_score_upper")] == 99.0
    assert got[("AZE", "wgi_ge_estimate")] == -0.3
    assert rep.dropped["not_in_catalogue"] == 3  # 'Some new column', counted per cell
    assert rep.dropped["missing"] == 6  # ROU: '..' and five empty catalogued cells


def test_wgi_2025_workbook_without_estimate_column_is_refused(tmp_path):
    path = write_wgi_2025_workbook(tmp_path / "w.xlsx", {})
    book = openpyxl.load_workbook(path)
    book["pv"]["D2"] = "Estimate"
    book.save(path)
    with pytest.raises(SourceFormatError, match=r"w\.xlsx: sheet 'pv' row 2: expected a "
                                                r"'Governance estimate' column"):
        wgi.read(path)


# --- Data360 -------------------------------------------------------------------------

WIDEF_HEAD = ("FREQ,FREQ_LABEL,REF_AREA,REF_AREA_LABEL,INDICATOR,INDICATOR_LABEL,UNIT_MEASURE,"
              "UNIT_MEASURE_LABEL,DATABASE_ID,DATABASE_ID_LABEL,UNIT_MULT,UNIT_MULT_LABEL,"
              "OBS_STATUS,OBS_STATUS_LABEL,OBS_CONF,OBS_CONF_LABEL,2003,2022,2024")


def _widef_row(iso3, name, index, values, mult="0"):
    cells = ",".join("" if v is None else str(v) for v in values)
    return (f"A,Annual,{iso3},{name},UN_EGDI_{index},{index},SCORE,Score,UN_EGDI,EGDI,{mult},"
            f"Units,A,Normal value,PU,Public,{cells}")


def _egov_folder(tmp_path, egdi_rows, hci_rows):
    folder = tmp_path / "un_egov" / "data360"
    folder.mkdir(parents=True)
    (folder / "UN_EGDI_EGDI_WIDEF.csv").write_text("\n".join([WIDEF_HEAD, *egdi_rows]) + "\n")
    (folder / "UN_EGDI_HCI_WIDEF.csv").write_text("\n".join([WIDEF_HEAD, *hci_rows]) + "\n")
    return folder


def test_data360_widef_not_assessed_from_the_egdi_file(tmp_path):
    folder = _egov_folder(
        tmp_path,
        [_widef_row("AZE", "Azerbaijan", "EGDI", [0.0, 0.6937, 0.76073]),
         _widef_row("WLD", "World", "EGDI", [0.4, 0.5, 0.6])],
        [_widef_row("AZE", "Azerbaijan", "HCI", [0.7, 0.8, 0.0]),
         _widef_row("WLD", "World", "HCI", [0.4, 0.5, 0.6])])
    obs, rep = egov.read(folder / "UN_EGDI_HCI_WIDEF.csv")
    assert rep.balanced and rep.rows_read == 6
    assert rep.dropped == {"not_assessed": 1, "aggregate": 3}  # AZE 2003: EGDI 0
    assert obs.set_index("year")["value"].to_dict() == {2022: 0.8, 2024: 0.0}
    _, rep_e = egov.read(folder / "UN_EGDI_EGDI_WIDEF.csv")
    assert rep_e.dropped == {"not_assessed": 1, "aggregate": 3}
    assert egov.companions(folder / "UN_EGDI_HCI_WIDEF.csv") == [folder / "UN_EGDI_EGDI_WIDEF.csv"]


def test_data360_component_without_its_egdi_file_is_refused(tmp_path):
    folder = _egov_folder(tmp_path, [], [_widef_row("AZE", "Azerbaijan", "HCI", [1, 1, 1])])
    (folder / "UN_EGDI_EGDI_WIDEF.csv").unlink()
    with pytest.raises(SourceFormatError, match=r"UN_EGDI_EGDI_WIDEF\.csv: file: expected the "
                                                r"Data360 EGDI file beside UN_EGDI_HCI"):
        egov.read(folder / "UN_EGDI_HCI_WIDEF.csv")


def test_data360_unit_multiplier_scales_values(tmp_path):
    folder = _egov_folder(tmp_path, [_widef_row("AZE", "Azerbaijan", "EGDI", [0.5, 0.5, 0.5])],
                          [_widef_row("AZE", "Azerbaijan", "HCI", [1, 2, 3], mult="-1")])
    obs, _ = egov.read(folder / "UN_EGDI_HCI_WIDEF.csv")
    assert np.allclose(obs.sort_values("year")["value"], [0.1, 0.2, 0.3])


LONG_HEAD = ("STRUCTURE,STRUCTURE_ID,ACTION,FREQ,FREQ_LABEL,REF_AREA,REF_AREA_LABEL,INDICATOR,"
             "INDICATOR_LABEL,SEX,SEX_LABEL,AGE,AGE_LABEL,URBANISATION,URBANISATION_LABEL,"
             "UNIT_MEASURE,COMP_BREAKDOWN_1,TIME_PERIOD,OBS_VALUE,UNIT_MULT")


def _long_row(iso3, sex, age, area, year, value, freq="A", comp="_Z"):
    return (f"datastructure,WB.DATA360:DS_DATA360(1.2),I,{freq},Annual,{iso3},{iso3} name,"
            f"ITU_DH_INT_USR_DAY,daily use,{sex},s,{age},a,{area},u,PT_POP,{comp},{year},"
            f"{value},0")


def _long_file(tmp_path, rows):
    folder = tmp_path / "itu" / "data360"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ITU_DH_INT_USR_DAY.csv"
    path.write_text("\n".join([LONG_HEAD, *rows]) + "\n")
    return path


def test_data360_long_dimensions_become_breakdowns(tmp_path):
    path = _long_file(tmp_path, [
        _long_row("TUR", "_T", "_T", "_T", 2022, 95.9),
        _long_row("TUR", "F", "_T", "_T", 2022, 95.48),
        _long_row("TUR", "_T", "Y_GE75", "_T", 2022, 40.1),
        _long_row("TUR", "_T", "_T", "RUR", 2022, 90.0),
        _long_row("TUR", "F", "_T", "RUR", 2022, 88.0),   # two dimensions: not catalogued
        _long_row("TUR", "M", "_T", "_T", 2021, ""),       # empty: missing
        _long_row("TUR", "_T", "Y15T24", "_T", 2020, 347.0),  # impossible share
        _long_row("EUU", "_T", "_T", "_T", 2022, 90.0),    # aggregate
    ])
    obs, rep = itu.read(path)
    assert rep.balanced and rep.rows_read == 8
    assert rep.dropped == {"not_in_catalogue": 1, "missing": 1, "impossible_value": 1,
                           "aggregate": 1}
    got = {(r.breakdown, r.group): r.value for r in obs.itertuples()}
    assert got == {("total", "all"): 95.9, ("sex", "female"): 95.48, ("age", "75plus"): 40.1,
                   ("area", "rural"): 90.0}
    assert "TUR 2020 age/15_24 = 347" in " ".join(rep.notes)


@pytest.mark.parametrize("row, where", [
    (_long_row("TUR", "X", "_T", "_T", 2022, 1.0), "line 2 column 'SEX'"),
    (_long_row("TUR", "_T", "Y65T74", "_T", 2022, 1.0), "line 2 column 'AGE'"),
    (_long_row("TUR", "_T", "_T", "_T", 2022, 1.0, comp="INC"), "line 2 column 'COMP_BREAKDOWN_1'"),
    (_long_row("TUR", "_T", "_T", "_T", 2022, 1.0, freq="Q"), "line 2 column 'FREQ'"),
    (_long_row("TUR", "_T", "_T", "_T", "2022-Q1", 1.0), "line 2 column 'TIME_PERIOD'"),
])
def test_data360_unknown_codes_name_line_and_column(tmp_path, row, where):
    path = _long_file(tmp_path, [row])
    with pytest.raises(SourceFormatError) as info:
        itu.read(path)
    assert str(info.value).startswith(f"ITU_DH_INT_USR_DAY.csv: {where}: expected")


# --- releases: one release per series ----------------------------------------------------

def _obs(rows):
    frame = pd.DataFrame(rows, columns=["iso3", "year", "indicator", "value", "file"])
    return finalize(frame.assign(breakdown="total", group="all", source="wgi"))


def _wgi_obs():
    old = [("DNK", y, "wgi_cc_estimate", 2.0 + y / 1e4, "wgidataset.xlsx") for y in range(2010, 2016)]
    new = [("DNK", 2015, "wgi_cc_estimate", 9.0, "CC.EST.json")]
    return _obs(old + new)


def test_partial_newer_release_is_set_aside_never_mixed():
    obs = _wgi_obs()
    releases = {("wgi", "wgidataset.xlsx"): "2024", ("wgi", "CC.EST.json"): "2026-03-18"}
    aside, records = assemble.choose_releases(obs, releases)
    assert obs.loc[aside, "file"].unique().tolist() == ["CC.EST.json"]
    by_release = {r["release"]: r for r in records}
    assert by_release["2026-03-18"]["status"] == "set_aside"
    assert by_release["2026-03-18"]["why"] == "partial newer release"
    assert by_release["2024"]["status"] == "used" and by_release["2024"]["years"] == [2010, 2015]
    p, _, ledger = assemble.assemble_panel(obs, None, releases)
    series = p.set_index("year")["wgi_cc_estimate"]
    assert series[2015] == pytest.approx(2.2015)  # not the other release's 9.0
    assert ledger.set_index(["file", "reason"])["rows"][("CC.EST.json", "other_release")] == 1


def test_newest_release_covering_all_years_wins_whole():
    old = [("DNK", y, "wgi_cc_estimate", 1.0, "wgidataset.xlsx") for y in range(2010, 2016)]
    new = [("DNK", y, "wgi_cc_estimate", 2.0, "CC.EST.json") for y in range(2010, 2016)]
    obs = _obs(old + new)
    releases = {("wgi", "wgidataset.xlsx"): "2024", ("wgi", "CC.EST.json"): "2026-03-18"}
    p, _, _ = assemble.assemble_panel(obs, None, releases)
    assert (p["wgi_cc_estimate"] == 2.0).all()


def test_without_the_rule_a_file_priority_would_mix_releases():
    """The null the release rule guards against: dedupe alone takes 2015 from the newer file."""
    obs = _wgi_obs()
    releases = {("wgi", "wgidataset.xlsx"): "2024", ("wgi", "CC.EST.json"): "2026-03-18"}
    kept, _ = assemble.dedupe_files(obs, releases)
    assert set(kept["file"]) == {"wgidataset.xlsx", "CC.EST.json"}


def test_content_edition_decides_between_files_not_the_name():
    # by name alone, "... (1).xlsx" sorts first; its content says it is the older edition
    rows = [("DNK", 2023, "cpi_score", 90.0, "CPI2023_GlobalResultsTrends (1).xlsx"),
            ("DNK", 2023, "cpi_score", 91.0, "CPI2023_GlobalResultsTrends.xlsx")]
    obs = _obs(rows).assign(source="cpi")
    releases = {("cpi", "CPI2023_GlobalResultsTrends (1).xlsx"): "2023",
                ("cpi", "CPI2023_GlobalResultsTrends.xlsx"): "2025"}
    kept, lost = assemble.dedupe_files(obs, releases)
    assert kept["value"].tolist() == [91.0] and lost["value"].tolist() == [90.0]


# --- the build: a changed companion file is never served from the read cache ----------

def test_changed_companion_invalidates_the_read_cache(tmp_path):
    folder = _egov_folder(tmp_path, [_widef_row("AZE", "Azerbaijan", "EGDI", [0.5, 0.6, 0.7])],
                          [_widef_row("AZE", "Azerbaijan", "HCI", [0.1, 0.2, 0.3])])
    out = tmp_path / "processed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel.build("real", raw_dir=tmp_path, out_dir=out, progress=False)
        first = pd.read_parquet(out / "panel.parquet").set_index("year")["hci"]
        assert first[2003] == 0.1
        # the EGDI file now says AZE was not assessed in 2003: the HCI file's read changes
        (folder / "UN_EGDI_EGDI_WIDEF.csv").write_text(
            "\n".join([WIDEF_HEAD, _widef_row("AZE", "Azerbaijan", "EGDI", [0.0, 0.6, 0.7])])
            + "\n")
        panel.build("real", raw_dir=tmp_path, out_dir=out, progress=False)
    second = pd.read_parquet(out / "panel.parquet").set_index("year")["hci"]
    assert pd.isna(second.get(2003, np.nan))
    shutil.rmtree(out)


# --- spec curve: the age family's gap ----------------------------------------------------

def test_age_family_is_the_digital_age_gap_and_never_a_literacy_proxy():
    gaps = pd.DataFrame({
        "iso3": ["AZE"] * 3 + ["DNK"] * 3, "year": [2020] * 6, "dimension": ["age"] * 6,
        "indicator": ["unesco_literacy_15_24_vs_65plus_pct", "findex_x_internet_pct",
                      "itu_internet_daily_users_15_24_vs_25_74_pct"] * 2,
        "source": ["unesco", "findex", "itu"] * 2, "gap_pp": [1.0, 2.0, 3.0] * 2,
        "advantaged_group": "age_15_24", "disadvantaged_group": "age_25_74"})
    fams = {k: v for k, v in sc.load_grid()["gap_families"].items() if k == "gap_age_internet_pp"}
    wide = sc.gap_columns(gaps, fams)
    assert (wide["gap_age_internet_pp"] == 3.0).all()
    assert "itu_internet_daily_users" in wide.attrs["gap_choice"]["gap_age_internet_pp"]
    # without the ITU series the family is absent (reported), not replaced by another gap
    fallback = sc.gap_columns(gaps[gaps.source != "itu"], fams)
    assert "gap_age_internet_pp" not in fallback.columns
    assert "gap_age_internet_pp" in fallback.attrs["gap_missing"]


# --- WDI through the API v2 and the bulk indicator ZIP ----------------------------------

def test_wdi_api_json_and_renamed_series_is_named(tmp_path):
    recs = [dict(_record("IT.NET.USER.ZS", "AZE", "Azerbaijan", 2020, 84.6), indicator={
                "id": "IT.NET.USER.ZS", "value": "Individuals using the Internet"}),
            dict(_record("NY.GDP.PCAP.PP.KD.21", "AZE", "Azerbaijan", 2020, 15000.0),
                 indicator={"id": "NY.GDP.PCAP.PP.KD.21", "value": "GDP per capita"})]
    path = _write(tmp_path / "IT.NET.USER.ZS.json", [_meta(1, 1, 2, "2026-02-24"), recs])
    obs, rep = wdi.read(path)
    assert rep.release == "2026-02-24" and rep.dropped == {"not_in_catalogue": 1}
    assert obs[["iso3", "indicator", "value"]].values.tolist() == [
        ["AZE", "wdi_internet_users_pct", 84.6]]
    assert "NY.GDP.PCAP.PP.KD.21" in " ".join(rep.notes)


def test_wdi_bulk_zip_reads_its_api_member(tmp_path):
    csv_text = ('"Data Source","World Development Indicators",\n\n'
                '"Last Updated Date","2026-02-24",\n\n'
                '"Country Name","Country Code","Indicator Name","Indicator Code","2019","2020",\n'
                '"Azerbaijan","AZE","Individuals using the Internet (% of population)",'
                '"IT.NET.USER.ZS","81.1","84.6",\n'
                '"World","WLD","Individuals using the Internet (% of population)",'
                '"IT.NET.USER.ZS","53.5","59.3",\n')
    path = tmp_path / "IT.NET.USER.ZS.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv", csv_text)
        archive.writestr("Metadata_Country_API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv", "x\n")
    obs, rep = wdi.read(path)
    assert rep.balanced and rep.dropped == {"aggregate": 2}
    assert obs.set_index("year")["value"].to_dict() == {2019: 81.1, 2020: 84.6}
    with zipfile.ZipFile(tmp_path / "empty.zip", "w") as archive:
        archive.writestr("readme.txt", "no data")
    with pytest.raises(SourceFormatError, match=r"empty\.zip: archive members: expected "
                                                r"exactly one API_"):
        wdi.read(tmp_path / "empty.zip")


def test_wdi_bulk_zip_metadata_members_give_regions_and_definitions(tmp_path):
    """The bulk ZIP's Metadata_Country member feeds region and income group (as the
    extracted CSV does), its Metadata_Indicator member the publisher's definition."""
    folder = tmp_path / "wb_wdi" / "api_zip"
    folder.mkdir(parents=True)
    path = folder / "IT.NET.USER.ZS.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv", "x\n")
        archive.writestr("Metadata_Country_API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv",
                         '"Country Code","Region","IncomeGroup","SpecialNotes","TableName",\n'
                         '"AZE","Europe & Central Asia","Upper middle income","","Azerbaijan",\n'
                         '"WLD","","","","World",\n')
        archive.writestr("Metadata_Indicator_API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv",
                         '"INDICATOR_CODE","INDICATOR_NAME","SOURCE_NOTE","SOURCE_ORGANIZATION",\n'
                         '"IT.NET.USER.ZS","Individuals using the Internet (% of population)",'
                         '"Internet users are individuals who have used the Internet.","ITU",\n')
    meta = wdi.read_country_metadata(path)
    assert meta.values.tolist() == [["AZE", "Europe & Central Asia", "Upper middle income"]]
    defs = wdi.read_indicator_metadata(path)
    assert defs["definition"].tolist() == [("Internet users are individuals who have used "
                                            "the Internet.")]
    assert inventory.scan(tmp_path).metadata(*inventory.COUNTRY_METADATA) == [path]
    # ... and the build's definition capture finds the same ZIP for the definitions
    assert inventory.scan(tmp_path).metadata("wdi", "read_indicator_metadata") == [path]
    with zipfile.ZipFile(tmp_path / "nometa.zip", "w") as archive:
        archive.writestr("API_X_DS2.csv", "x\n")
    with pytest.raises(SourceFormatError, match="exactly one Metadata_Country_"):
        wdi.read_country_metadata(tmp_path / "nometa.zip")


# --- what `divides fetch --from publishers` writes, a reader must take ----------------

def test_every_publisher_endpoint_lands_where_a_reader_looks(tmp_path):
    from divides import sources
    from divides.acquire import publishers

    for ep in publishers.load_endpoints():
        rel = ep.path.replace("{year}", "2026").replace("{code}", "X")
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    claimed = set()
    for source in sources.MODULE_IDS:
        mod = sources.module(source)
        for pattern in (*mod.PATTERNS, *getattr(mod, "OTHER_PATTERNS", {})):
            claimed |= {p.relative_to(tmp_path).as_posix() for p in tmp_path.glob(pattern)}
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written - claimed == set(), "endpoints whose file no reader takes"
