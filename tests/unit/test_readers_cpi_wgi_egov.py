"""CPI, WGI and EGOV readers on tiny inline files: each layout quirk and damaged inputs."""

import json
import warnings

import openpyxl
import pytest

from divides.countries import UnmappedCountryWarning
from divides.errors import SourceFormatError
from divides.sources import cpi, egov, wgi

pytestmark = pytest.mark.unit


def _xlsx(path, sheets):
    """Write ``{sheet name: [row, ...]}`` with openpyxl (None = empty cell)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def _get(obs, iso3, year, indicator):
    sel = obs[(obs.iso3 == iso3) & (obs.year == year) & (obs.indicator == indicator)]
    assert len(sel) == 1, (iso3, year, indicator)
    return sel["value"].iloc[0]


# --- CPI ------------------------------------------------------------------------------

TS_HEADER = ["Country / Territory", "ISO3", "Region", "CPI score 2023", "Rank 2023",
             "Sources 2023", "Standard error 2023", "CPI Score 2013", "Sources 2013",
             "Standard error 2013"]
TS_ROWS = [["Denmark", "DNK", "WE/EU", 90, 1, 8, 1.8, 91, 7, 2.1],
           ["Brunei Darussalam", "BRN", "AP", None, None, None, None, 60, 3, 4.0],
           ["Kosovo", "KSV", "ECA", 41, 83, 7, 1.2, 33, 4, 2.0]]


def _timeseries(path, preamble):
    return _xlsx(path, {"CPI 2023": [["other sheet"]],
                        "CPI Timeseries 2012 - 2023": preamble + [TS_HEADER] + TS_ROWS})


@pytest.mark.parametrize("preamble", [
    [["CPI 2023: timeseries"], ["EMBARGOED UNTIL 30.01.2024"], []],  # header on row 4
    [["CPI 2022: timeseries"], []],                                  # header on row 3
])
def test_cpi_timeseries_header_found_and_capitals(tmp_path, preamble):
    obs, rep = cpi.read(_timeseries(tmp_path / "CPI2023_GlobalResultsTrends.xlsx", preamble))
    assert _get(obs, "DNK", 2023, "cpi_score") == 90 and _get(obs, "DNK", 2023, "cpi_rank") == 1
    assert _get(obs, "DNK", 2013, "cpi_score") == 91  # 'CPI Score 2013' capital S
    assert _get(obs, "DNK", 2013, "cpi_sources_n") == 7
    assert _get(obs, "XKX", 2023, "cpi_stderr") == 1.2  # TI's KSV
    assert sorted(obs[obs.iso3 == "BRN"].indicator) == ["cpi_score", "cpi_sources_n",
                                                        "cpi_stderr"]
    assert rep.rows_read == 3 * 7 and dict(rep.dropped) == {"missing": 4}  # Brunei 2023
    assert f"row {len(preamble) + 1}" in rep.notes[0]


def test_cpi_timeseries_renamed_column_raises(tmp_path):
    rows = [TS_HEADER[:3] + ["Score 2023"] + TS_HEADER[4:]] + TS_ROWS
    f = _xlsx(tmp_path / "CPI_bad.xlsx", {"CPI Timeseries 2012 - 2023": [["title"], []] + rows})
    with pytest.raises(SourceFormatError, match=r"CPI_bad.xlsx: sheet 'CPI Timeseries 2012 - "
                       r"2023' row 3: column 'Score 2023': expected 'CPI score <year>'"):
        cpi.read(f)


def test_cpi_header_moved_out_of_reach_raises(tmp_path):
    f = _timeseries(tmp_path / "CPI_moved.xlsx", [["x"]] * 16)
    with pytest.raises(SourceFormatError, match=r"first 15 rows: expected a header row with "
                       r"a 'Country / Territory'"):
        cpi.read(f)


def test_cpi_missing_iso3_column_raises(tmp_path):
    rows = [["Country / Territory", "Code"] + TS_HEADER[2:]] + TS_ROWS
    f = _xlsx(tmp_path / "CPI_noiso.xlsx", {"CPI Timeseries 2012 - 2023": rows})
    with pytest.raises(SourceFormatError, match=r"row 1: column 'iso3': expected present"):
        cpi.read(f)


def test_cpi_sheet_missing_raises(tmp_path):
    f = _xlsx(tmp_path / "CPI_sheets.xlsx", {"Scores": [["a"]]})
    with pytest.raises(SourceFormatError, match=r"sheets: expected a 'CPI Timeseries 2012 - "
                       r"<year>' sheet or a 'CPI <year>' sheet, found sheets \['Scores'\]"):
        cpi.read(f)


def test_cpi_non_numeric_value_names_row_and_column(tmp_path):
    rows = [TS_HEADER, TS_ROWS[0][:3] + ["ninety"] + TS_ROWS[0][4:]]
    f = _xlsx(tmp_path / "CPI_text.xlsx", {"CPI Timeseries 2012 - 2023": rows})
    with pytest.raises(SourceFormatError, match=r"row 2 column 'CPI score 2023' = 'ninety'"):
        cpi.read(f)


def test_cpi_2012_two_header_rows_names_only(tmp_path):
    rows = [
        ["Country Rank", "Country / Territory", None, "CPI 2012 Score", None, "Surveys Used",
         "Standard Error", "90% Confidence interval", None, "Data sources", None],
        [None, None, None, None, None, None, None, "Lower", "Upper", "AFDB", "WB"],
        [1, "Denmark", "EU", 90, None, 7, 2, 87, 93, 0, 88],
        [174, "Korea (North)", "AP", 8, None, 3, 3.4, 2, 13, 0, 0],
        [174, "Australias", "AP", 85, None, 7, 1.5, 82, 88, 0, 80],
        [175, "Atlantis", "AF", 5, None, 3, 2.0, 1, 9, 0, 0],
    ]
    f = _xlsx(tmp_path / "CPI2012.xlsx", {"CPI 2012": rows})
    with pytest.warns(UnmappedCountryWarning, match=r"\['Atlantis'\]"):
        obs, rep = cpi.read(f)
    assert _get(obs, "PRK", 2012, "cpi_score") == 8 and _get(obs, "PRK", 2012, "cpi_rank") == 174
    assert _get(obs, "AUS", 2012, "cpi_score") == 85  # TI's typo, via cpi.csv
    assert _get(obs, "DNK", 2012, "cpi_sources_n") == 7
    assert _get(obs, "DNK", 2012, "cpi_stderr") == 2
    # 4 kept + 4 not kept (Lower, Upper, AFDB, WB) columns per row
    assert rep.rows_read == 4 * 8 and rep.unmapped_names == ["Atlantis"]
    assert dict(rep.dropped) == {"not_in_catalogue": 16, "unmapped_name": 4}


def test_cpi_2012_stray_values_in_unnamed_column_raise(tmp_path):
    rows = [["Country Rank", "Country / Territory", None, "CPI 2012 Score", None,
             "Surveys Used", "Standard Error"],
            [None] * 7, [1, "Denmark", "EU", 90, 99, 7, 2]]
    f = _xlsx(tmp_path / "CPI2012.xlsx", {"CPI 2012": rows})
    with pytest.raises(SourceFormatError, match=r"column 5 \(nan\): expected a known CPI column"):
        cpi.read(f)


def test_cpi_2017_trailing_spaces_footer_and_average(tmp_path):
    rows = [["CPI 2017: Global Scores "], [],
            ["Country", "ISO3", "Region", "CPI Score 2017", "Rank ", "standard error",
             "Lower CI ", "Upper CI", "number of sources"],
            ["New Zealand", "NZL", "AP", 89, 1, 2.4, 85, 93, 8],
            ["Denmark", "DNK", "WE/EU", 88, 2, 2.75, 83, 93, 8],
            [None] * 9,
            ["GLOBAL AVARAGE", None, None, 43.07, None, None, None, None, None]]
    obs, rep = cpi.read(_xlsx(tmp_path / "CPI2017.xlsx", {"CPI 2017": rows, "EU": [["x"]]}))
    assert _get(obs, "DNK", 2017, "cpi_rank") == 2 and _get(obs, "NZL", 2017, "cpi_score") == 89
    assert _get(obs, "DNK", 2017, "cpi_stderr") == 2.75
    assert rep.rows_read == 1 + 3 * 6
    # CI columns count first (not_in_catalogue), then the average row's kept columns
    assert dict(rep.dropped) == {"footer": 1, "aggregate": 4, "not_in_catalogue": 6}


DATAHUB = ("country,2010,2011,2012\r\n"
           "Denmark,9.3,9.4,9.0\r\n"
           "Côte d´Ivoire,2.2,0.0,2.9\r\n"
           "Cote d'Ivoire,2.1,2.2,0.0\r\n"
           "Ivory Coast,0.0,2.5,0.0\r\n"
           "Yugoslavia,1.3,0.0,0.0\r\n")


def test_cpi_datahub_cp1252_zero_scale_and_duplicates(tmp_path):
    f = tmp_path / "cpi.csv"
    f.write_bytes(DATAHUB.encode("cp1252"))
    obs, rep = cpi.read(f)
    assert set(obs.indicator) == {"cpi_score_0_10_legacy"} and set(obs.year) == {2010, 2011}
    # first non-missing spelling kept: 2010 from 'Côte d´Ivoire', 2011 from 'Cote d'Ivoire'
    assert _get(obs, "CIV", 2010, "cpi_score_0_10_legacy") == 2.2
    assert _get(obs, "CIV", 2011, "cpi_score_0_10_legacy") == 2.2
    assert _get(obs, "DNK", 2011, "cpi_score_0_10_legacy") == 9.4
    assert rep.rows_read == 5 * 3 and rep.balanced
    assert dict(rep.dropped) == {"not_assessed": 4, "not_a_country": 3, "out_of_scope": 2,
                                 "duplicate": 2}
    assert any("2 of them differ" in n and "'Cote d'Ivoire' 2010 = 2.1" in n
               and "'Ivory Coast' 2011 = 2.5" in n for n in rep.notes)
    assert any("out_of_scope" in n for n in rep.notes)


def test_cpi_datahub_utf8_bytes_are_not_guessed(tmp_path):
    f = tmp_path / "cpi.csv"
    f.write_bytes("country,2010\r\nCôte d’Ivoire,2.2\r\n".encode())
    # utf-8 bytes read as cp1252 give mojibake: an unmapped name, not a silent fix
    with pytest.warns(UnmappedCountryWarning):
        _, rep = cpi.read(f)
    assert rep.dropped == {"unmapped_name": 1}


def test_cpi_datahub_extra_column_raises(tmp_path):
    f = tmp_path / "cpi.csv"
    f.write_text("country,2010,notes\nDenmark,9.3,x\n", encoding="cp1252")
    with pytest.raises(SourceFormatError, match=r"cpi.csv: header: column\(s\) \['notes'\]"):
        cpi.read(f)


def test_cpi_datapackage(tmp_path):
    f = tmp_path / "datapackage.json"
    f.write_text(json.dumps({"resources": [{"name": "cpi", "path": "cpi.csv",
                                            "encoding": "utf-8",
                                            "schema": {"fields": [{"name": "country"}]}}]}))
    meta = cpi.read_datapackage(f)
    assert meta.to_dict("records") == [{"resource": "cpi", "path": "cpi.csv",
                                        "declared_encoding": "utf-8", "n_fields": 1,
                                        "fields": "country"}]
    f.write_text("{broken")
    with pytest.raises(SourceFormatError, match=r"datapackage.json: line 1 column 2"):
        cpi.read_datapackage(f)


# --- WGI ------------------------------------------------------------------------------

WGI_HEADER = ["codeindyr", "code", "countryname", "year", "indicator", "estimate", "stddev",
              "nsource", "pctrank", "pctranklower", "pctrankupper"]
WGI_ROWS = [
    ["DNKcc2023", "DNK", "Denmark", 2023, "cc", 2.376, 0.2, 9, 100, 98, 100],
    ["KSVcc2023", "KSV", "Kosovo", 2023, "cc", -0.3, 0.25, 5, 40, 30, 50],
    ["ZARpv2009", "ZAR", "Congo, Dem. Rep.", 2009, "pv", -3.2, 0.3, 8, 0.5, 0, 2],
    ["JEYcc2023", "JEY", "Jersey, Channel Islands", 2023, "cc", "..", "..", "..", "..", "..",
     ".."],
    ["ANTcc2004", "ANT", "Netherlands Antilles (former)", 2004, "cc", 0.6, 0.3, 3, 70, 60, 80],
]


def test_wgi_codes_markers_and_measures(tmp_path):
    obs, rep = wgi.read(_xlsx(tmp_path / "wgidataset.xlsx", {"Sheet1": [WGI_HEADER] + WGI_ROWS}))
    assert _get(obs, "DNK", 2023, "wgi_cc_estimate") == 2.376
    assert _get(obs, "DNK", 2023, "wgi_cc_stderr") == 0.2
    assert _get(obs, "DNK", 2023, "wgi_cc_nsource") == 9
    assert _get(obs, "XKX", 2023, "wgi_cc_pctrank") == 40
    assert _get(obs, "COD", 2009, "wgi_pv_estimate") == -3.2  # below -3: still in range
    assert not obs.iso3.isin(["JEY", "ANT", "KSV", "ZAR"]).any()
    assert rep.rows_read == 5 * 6 and rep.rows_kept == 3 * 4
    assert dict(rep.dropped) == {"not_a_country": 6, "not_in_catalogue": 8, "missing": 4}


def test_wgi_renamed_column_raises(tmp_path):
    header = [("sd" if h == "stddev" else h) for h in WGI_HEADER]
    f = _xlsx(tmp_path / "wgidataset.xlsx", {"Sheet1": [header] + WGI_ROWS})
    with pytest.raises(SourceFormatError, match=r"wgidataset.xlsx: row 1: column\(s\) "
                       r"\['stddev'\]: expected present"):
        wgi.read(f)


def test_wgi_header_missing_raises(tmp_path):
    f = _xlsx(tmp_path / "wgidataset.xlsx", {"Sheet1": WGI_ROWS})
    with pytest.raises(SourceFormatError, match=r"first 15 rows: expected a header row"):
        wgi.read(f)


def test_wgi_bad_year_and_value_name_the_row(tmp_path):
    rows = [WGI_HEADER, WGI_ROWS[0][:3] + ["y2023"] + WGI_ROWS[0][4:]]
    with pytest.raises(SourceFormatError, match=r"row 2 column 'year': expected a four-digit"):
        wgi.read(_xlsx(tmp_path / "a.xlsx", {"Sheet1": rows}))
    rows = [WGI_HEADER, WGI_ROWS[0][:5] + ["high"] + WGI_ROWS[0][6:]]
    with pytest.raises(SourceFormatError, match=r"row 2 column 'estimate' = 'high'"):
        wgi.read(_xlsx(tmp_path / "b.xlsx", {"Sheet1": rows}))


# --- EGOV -----------------------------------------------------------------------------

EGOV_HEADER = ("Survey Year,Country Name,E-Government Rank,E-Government Index,"
               "E-Participation Index,Online Service Index,Human Capital Index,"
               "Telecommunication Infrastructure Index\n")
EGOV_2003 = EGOV_HEADER + (
    '2003,"Iraq ",174,0.00000,0.00000,0.00000,0.93000,0.01578\n'
    '2003,"Denmark ",4,0.82000,0.50000,0.70000,0.99000,0.74000\n'
    '2003,Micronesia (Federated States of),90,0.50000,0.10000,0.05000,1.42200,0.02800\n'
    '2003,"Liechtenstein ",154,0.17770,0.06900,0.21397,0.00000,0.31915\n'
    '2003,Montenegro,,0.00000,0.00000,0.00000,0.00000,0.00000\n'
    '2003,"Somalia ",170,0.04880,0.00000,0.00000,0.14640,0.00000\n'
)


def test_egov_2003_quirks(tmp_path):
    f = tmp_path / "EGOV_DATA_2003.csv"
    f.write_text(EGOV_2003, encoding="utf-8")
    obs, rep = egov.read(f)
    assert set(obs.iso3) == {"DNK", "FSM", "LIE", "SOM"}  # Iraq, Montenegro not assessed
    assert _get(obs, "FSM", 2003, "egov_hci") == 1.422  # named range exception
    assert _get(obs, "SOM", 2003, "egov_osi") == 0.0  # a genuine 0 in an assessed row
    assert obs[(obs.iso3 == "LIE") & (obs.indicator == "egov_hci")].empty  # 0 = no data
    assert _get(obs, "LIE", 2003, "egov_rank") == 154
    assert rep.rows_read == 6 * 6 and dict(rep.dropped) == {"not_assessed": 13}
    assert rep.notes[0] == "layout: data centre"
    # Denmark's EGDI is planted 0.01 above the mean; Iraq is found as a not-assessed row
    check = rep.notes[1]
    assert "4 assessed rows, 1 deviate: Denmark 2003 (+0.0100)" in check
    assert "1 not-assessed rows (EGDI 0) with non-zero components" in check


def test_egov_renamed_2024_layout_ignores_region(tmp_path):
    f = tmp_path / "any_name.csv"
    f.write_text("Survey Year,Country,Rank,E_Index,E_Participation,Online_Service,"
                 "Human_Capital,Tele_Infra,Region\r\n"
                 "2024,Denmark ,1,0.98474,0.98630,0.99000,0.96000,0.99423,Europe\r\n"
                 "2024,Türkiye,27,0.80000,0.70000,0.75000,0.80000,0.85000,Asia\r\n",
                 encoding="utf-8")
    obs, rep = egov.read(f)
    assert _get(obs, "DNK", 2024, "egov_egdi") == 0.98474
    assert _get(obs, "TUR", 2024, "egov_rank") == 27
    assert rep.rows_read == 12 and rep.rows_kept == 12
    assert rep.notes[0] == "layout: renamed 2024 copy"


def test_egov_empty_rank_in_assessed_row_is_missing(tmp_path):
    f = tmp_path / "EGOV_DATA_2014.csv"
    f.write_text(EGOV_HEADER + "2014,Viet Nam ,,0.50000,0.40000,0.50000,0.60000,0.40000\n",
                 encoding="utf-8")
    obs, rep = egov.read(f)
    assert dict(rep.dropped) == {"missing": 1} and set(obs.iso3) == {"VNM"}


def test_egdi_weights_by_edition():
    import pandas as pd
    table = pd.DataFrame({"year": [2010, 2012, 2010], "egdi": [0.5, 0.5, 0.51],
                          "osi": [0.5, 0.5, 0.6], "hci": [0.5, 0.5, 0.5], "tii": [0.5, 0.5, 0.4]})
    # 2010: 0.34*0.6 + 0.33*0.5 + 0.33*0.4 = 0.501 -> only the third row deviates
    dev = egov.egdi_deviations(table)
    assert dev.index.tolist() == [2]
    assert dev["expected_egdi"].iloc[0] == pytest.approx(0.501)


def test_egov_unknown_layout_and_renamed_column_raise(tmp_path):
    f = tmp_path / "EGOV_DATA_2022.csv"
    f.write_text(EGOV_HEADER.replace("E-Government Index", "EGDI") + "2022,Denmark,1,"
                 "0.9,0.9,0.9,0.9,0.9\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"EGOV_DATA_2022.csv: header: expected "
                       r"'Country Name' and 'E-Government Index'"):
        egov.read(f)
    f.write_text(EGOV_HEADER.replace("Human Capital Index", "HCI") + "2022,Denmark,1,"
                 "0.9,0.9,0.9,0.9,0.9\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"header \(data centre\): column\(s\) "
                       r"\['Human Capital Index'\]: expected present"):
        egov.read(f)


def test_egov_unmapped_name_counted_and_warned(tmp_path):
    f = tmp_path / "EGOV_DATA_2022.csv"
    f.write_text(EGOV_HEADER + "2022,Atlantis ,5,0.9,0.9,0.9,0.9,0.9\n"
                 "2022,Denmark ,1,0.90000,0.9,0.9,0.9,0.9\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obs, rep = egov.read(f)
    assert any("Atlantis" in str(w.message) for w in caught
               if issubclass(w.category, UnmappedCountryWarning))
    assert dict(rep.dropped) == {"unmapped_name": 6} and set(obs.iso3) == {"DNK"}


def test_egov_non_numeric_index_names_line(tmp_path):
    f = tmp_path / "EGOV_DATA_2022.csv"
    f.write_text(EGOV_HEADER + "2022,Denmark,1,high,0.9,0.9,0.9,0.9\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"row 2 column 'egdi' = 'high'"):
        egov.read(f)
