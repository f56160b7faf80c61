"""Findex, SDG and UNESCO readers on tiny inline files, one quirk at a time."""

import warnings

import pandas as pd
import pytest

from divides.errors import SourceFormatError
from divides.sources import findex, sdg, unesco

pytestmark = pytest.mark.unit

# ---------------------------------------------------------------- Findex DataBank workbook

HEADER = ["Country Name", "Country Code", "Series Name", "Series Code",
          "2017 [YR2017]", "2021 [YR2021]"]
BILLS = "Used a mobile phone or the internet to pay bills"
ROWS = [
    ["Kenya", "KEN", f"{BILLS} (% age 15+)", "fin14a.t.d", 23.51, 44.91],
    ["Kenya", "KEN", f"{BILLS}, female (% age 15+)", "fin14a.t.d.1", 17.83, 37.64],
    ["Kenya", "KEN", f"{BILLS}, male (% age 15+)", "fin14a.t.d.2", 29.86, 52.58],
    ["Kenya", "KEN", f"{BILLS}, rural (% age 15+)", "fin14a.t.d.9", "..", 39.7],
    ["Kenya", "KEN", "Store money using a mobile money account (% with an account)", "fin13b.s",
     50, 60],
    ["Kenya", "KEN", "Paid school fees: using a mobile phone (% age 15+)", "fin34c.2014", 1, 2],
    ["Kosovo", "XKX", f"{BILLS} (% age 15+)", "fin14a.t.d", "..", 20],
]
FOOTER = [[None] * 6] * 3 + [["Data from database: Global Financial Inclusion"] + [None] * 5,
                             ["Last Updated: 06/28/2022"] + [None] * 5]


def _workbook(path, rows=ROWS, header=HEADER, sheet="Data", lead=()):
    table = pd.DataFrame(list(lead) + [header] + rows + FOOTER)
    with pd.ExcelWriter(path) as xw:
        table.to_excel(xw, sheet_name=sheet, header=False, index=False)
    return path


def test_findex_workbook_suffixes_and_ledger(tmp_path):
    obs, rep = findex.read(_workbook(tmp_path / "Data_Extract_From_Global_Inclusion.xlsx"))
    got = {(r.iso3, r.year, r.breakdown, r.group): r.value for r in obs.itertuples()}
    assert got == {
        ("KEN", 2017, "total", "all"): 23.51, ("KEN", 2021, "total", "all"): 44.91,
        ("KEN", 2017, "sex", "female"): 17.83, ("KEN", 2021, "sex", "female"): 37.64,
        ("KEN", 2017, "sex", "male"): 29.86, ("KEN", 2021, "sex", "male"): 52.58,
        ("KEN", 2021, "area", "rural"): 39.7, ("XKX", 2021, "total", "all"): 20.0,
    }
    assert set(obs.indicator) == {"findex_paid_bills_online_pct"}
    # 7 rows x 2 years + 5 footer lines; '.s' out of scope, year variant not catalogued
    assert rep.rows_read == 19 and rep.rows_kept == 8
    assert dict(rep.dropped) == {"footer": 5, "out_of_scope": 2, "not_in_catalogue": 2,
                                 "missing": 2}
    assert any("fin34c.2014" in note for note in rep.notes)


def test_findex_workbook_sex_label_must_match_suffix(tmp_path):
    rows = [["Kenya", "KEN", f"{BILLS}, male (% age 15+)", "fin14a.t.d.1", 1, 2]]
    with pytest.raises(SourceFormatError, match=r"series 'fin14a.t.d.1': expected a series name "
                       r"labelled 'female' \(suffix .1 = sex/female in layout 'databank'\)"):
        findex.read(_workbook(tmp_path / "x.xlsx", rows=rows))


def test_findex_workbook_unknown_suffix(tmp_path):
    rows = [["Kenya", "KEN", f"{BILLS}, other (% age 15+)", "fin14a.t.d.13", 1, 2]]
    with pytest.raises(SourceFormatError, match=r"series 'fin14a.t.d.13': expected a group suffix"):
        findex.read(_workbook(tmp_path / "x.xlsx", rows=rows))


def test_findex_workbook_header_moved(tmp_path):
    path = _workbook(tmp_path / "x.xlsx", lead=[["Global Findex extract"] + [None] * 5])
    with pytest.raises(SourceFormatError, match=r"x.xlsx: sheet 'Data' row 1: expected the "
                       r"DataBank header"):
        findex.read(path)


def test_findex_workbook_column_renamed(tmp_path):
    header = ["Country Name", "Code"] + HEADER[2:]
    with pytest.raises(SourceFormatError, match=r"x.xlsx: sheet 'Data' row 1: expected the "
                       r"DataBank header \['Country Name', 'Country Code'"):
        findex.read(_workbook(tmp_path / "x.xlsx", header=header))


def test_findex_workbook_sheet_missing(tmp_path):
    with pytest.raises(SourceFormatError, match=r"x.xlsx: sheet 'Data': expected present, "
                       r"found sheets \['Sheet1'\]"):
        findex.read(_workbook(tmp_path / "x.xlsx", sheet="Sheet1"))


def test_findex_metadata_workbook_passed_to_read(tmp_path):
    path = _workbook(tmp_path / "m.xlsx", sheet="Country - Metadata")
    with pytest.raises(SourceFormatError, match="read_country_metadata"):
        findex.read(path)


def test_findex_country_metadata(tmp_path):
    table = pd.DataFrame([["Code", "Long Name", "Income Group", "Region", "2-alpha code"],
                          ["KEN", "Republic of Kenya", "Lower middle income",
                           "Sub-Saharan Africa", "KE"],
                          ["VEN", "Venezuela, RB", None, "Latin America & Caribbean", "VE"]])
    path = tmp_path / "m_Metadata.xlsx"
    table.to_excel(path, sheet_name="Country - Metadata", header=False, index=False)
    meta = findex.read_country_metadata(path)
    assert meta.values.tolist() == [
        ["KEN", "KE", "Sub-Saharan Africa", "Lower middle income"],
        ["VEN", "VE", "Latin America & Caribbean", "Unclassified"]]


def test_findex_groups_file_covers_the_twelve_suffixes():
    groups = findex.suffix_map("databank")
    assert sorted(groups, key=int) == [str(i) for i in range(1, 13)]
    assert groups["1"][:2] == ("sex", "female") and groups["2"][:2] == ("sex", "male")
    # the 2018 wide export numbers the sexes the other way round
    wide = findex.suffix_map("wide_2018")
    assert wide["1"][:2] == ("sex", "male") and wide["2"][:2] == ("sex", "female")


# ---------------------------------------------------------------- Findex wide CSV (2018)

DP = "Made or received digital payments in the past year"


def _wide_csv(path, header=None, body=None, encoding="utf-8-sig"):
    cols = [f"{DP} (% age 15+) [g20.t] - 2017 [YR2017]",
            f"{DP}, female  (% age 15+) [g20.t.2] - 2017 [YR2017]",
            f"{DP}, male  (% age 15+) [g20.t.1] - 2017 [YR2017]"]
    header = header or ("Country Name,Country Code," + ",".join(f'"{c}"' for c in cols))
    body = body or ("Kenya,KEN,78.96279907,74.68489838,83.74150085\n"
                    "Central America (excluding high income),CAM,..,..,..\n"
                    "Denmark,DNK,99.39408875,..,99.57\n"
                    ",,,,\n,,,,\n,,,,\n"
                    "Data from database: Global Financial Inclusion,,,,\n"
                    "Last Updated: 10/15/2018,,,,\n")
    path.write_text(header + "\n" + body, encoding=encoding)
    return path


def test_findex_wide_csv_sex_suffixes_swapped(tmp_path):
    obs, rep = findex.read(_wide_csv(tmp_path / "made_or_received_digitalpayments.csv"))
    got = {(r.iso3, r.group): round(r.value, 1) for r in obs.itertuples()}
    assert got == {("KEN", "all"): 79.0, ("KEN", "female"): 74.7, ("KEN", "male"): 83.7,
                   ("DNK", "all"): 99.4, ("DNK", "male"): 99.6}
    assert set(obs.indicator) == {"findex_digital_payments_pct"}
    assert rep.rows_read == 3 * 3 + 5 and rep.rows_kept == 5
    assert dict(rep.dropped) == {"footer": 5, "aggregate": 3, "missing": 1}


def test_findex_wide_csv_label_contradicts_suffix(tmp_path):
    header = ("Country Name,Country Code,"
              f'"{DP}, male  (% age 15+) [g20.t.2] - 2017 [YR2017]"')
    with pytest.raises(SourceFormatError, match=r"series 'g20.t.2': expected a series name "
                       r"labelled 'female'"):
        findex.read(_wide_csv(tmp_path / "x.csv", header=header, body="Kenya,KEN,1\n"))


def test_findex_wide_csv_column_renamed(tmp_path):
    header = "Country Name,Country Code,Digital payments 2017"
    with pytest.raises(SourceFormatError, match=r"x.csv: header: column 'Digital payments 2017'"
                       r": expected '<series name> \[<series code>\] - <year> \[YR<year>\]'"):
        findex.read(_wide_csv(tmp_path / "x.csv", header=header, body="Kenya,KEN,1\n"))


def test_findex_wide_csv_latin1_bytes(tmp_path):
    path = tmp_path / "x.csv"
    _wide_csv(path)
    path.write_bytes(path.read_bytes().replace(b"Denmark", b"D\xe6nmark"))
    with pytest.raises(SourceFormatError, match=r"x.csv: line 4 \(byte \d+\): expected text in "
                       r"utf-8-sig, found undecodable byte b'\\xe6'"):
        findex.read(path)


# ---------------------------------------------------------------- SDG-API CSV

SDG_HEADER = "Goal,SeriesCode,GeoAreaCode,GeoAreaName,TimePeriod,Value,Sex,Units,Age,Type of skill"
SDG_ROWS = [
    "4,SE_ADT_ACTS,31,Azerbaijan,2014,56.67874,BOTHSEX,PERCENT,,COPA",
    "4,SE_ADT_ACTS,31,Azerbaijan,2014,55.1,FEMALE,PERCENT,,COPA",
    "4,SE_ADT_ACTS,31,Azerbaijan,2014,0.59662,BOTHSEX,PERCENT,,PCPR",
    "4,SE_ADT_ACTS,31,Azerbaijan,2014,3.0,BOTHSEX,PERCENT,,XXXX",
    "4,SE_ADT_ACTS,158,Other non-specified areas in Eastern Asia,2017,40,MALE,PERCENT,,COPA",
    "4,SE_ADT_ACTS,1,World,2017,33,BOTHSEX,PERCENT,,COPA",
    "4,SE_ADT_ACTS,384,Côte d'Ivoire,2017,,BOTHSEX,PERCENT,,COPA",
]


def _sdg(path, rows=SDG_ROWS, header=SDG_HEADER):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_sdg_codes_sex_skill_and_ledger(tmp_path):
    obs, rep = sdg.read(_sdg(tmp_path / "sdg.csv"))
    got = {(r.iso3, r.year, r.indicator, r.group): r.value for r in obs.itertuples()}
    assert got == {
        ("AZE", 2014, "sdg_ict_skill_copa_pct", "all"): 56.67874,
        ("AZE", 2014, "sdg_ict_skill_copa_pct", "female"): 55.1,
        ("AZE", 2014, "sdg_ict_skill_pcpr_pct", "all"): 0.59662,
        ("TWN", 2017, "sdg_ict_skill_copa_pct", "male"): 40.0,  # M49 158 = Taiwan
    }
    assert rep.rows_read == 7 and rep.rows_kept == 4
    assert dict(rep.dropped) == {"not_in_catalogue": 1, "aggregate": 1, "missing": 1}


def test_sdg_mobile_series_has_no_skill(tmp_path):
    rows = ["5,IT_MOB_OWN,31,Azerbaijan,2014,77.2075,MALE,PERCENT,,",
            "5,IT_MOB_OWN,31,Azerbaijan,2014,70.65596,FEMALE,PERCENT,,"]
    obs, _ = sdg.read(_sdg(tmp_path / "m.csv", rows=rows))
    assert obs[["indicator", "group", "value"]].values.tolist() == [
        ["sdg_mobile_own_pct", "female", 70.65596], ["sdg_mobile_own_pct", "male", 77.2075]]


def test_sdg_second_dimension_would_collapse_rows(tmp_path):
    rows = ["5,IT_MOB_OWN,31,Azerbaijan,2014,70,FEMALE,PERCENT,15-24,",
            "5,IT_MOB_OWN,31,Azerbaijan,2014,60,FEMALE,PERCENT,25+,"]
    with pytest.raises(SourceFormatError, match=r"m.csv: column 'Age': expected one value per "
                       r"series .* found 2 values in IT_MOB_OWN: \['15-24', '25\+'\]"):
        sdg.read(_sdg(tmp_path / "m.csv", rows=rows))


def test_sdg_name_contradicts_code(tmp_path):
    rows = ["5,IT_MOB_OWN,31,Denmark,2014,70,FEMALE,PERCENT,,"]
    with pytest.raises(SourceFormatError, match=r"line 2 columns 'GeoAreaCode'/'GeoAreaName': "
                       r"expected a name of the country its M49 code stands for, found 31 = AZE"):
        sdg.read(_sdg(tmp_path / "m.csv", rows=rows))


@pytest.mark.parametrize("old, new, match", [
    ("FEMALE", "F", r"line 2 column 'Sex': expected one of \['BOTHSEX', 'FEMALE', 'MALE'\]"),
    ("PERCENT", "NUMBER", r"line 2 column 'Units': expected PERCENT"),
    ("70", "seventy", r"line 2 column 'Value' = 'seventy'"),
    (",31,", ",AZ,", r"line 2 column 'GeoAreaCode': expected a UN M49 numeric code"),
])
def test_sdg_bad_cells_name_line_and_column(tmp_path, old, new, match):
    rows = ["5,IT_MOB_OWN,31,Azerbaijan,2014,70,FEMALE,PERCENT,,".replace(old, new, 1)]
    with pytest.raises(SourceFormatError, match=match):
        sdg.read(_sdg(tmp_path / "m.csv", rows=rows))


def test_sdg_column_renamed(tmp_path):
    with pytest.raises(SourceFormatError, match=r"m.csv: header: column\(s\) \['GeoAreaCode'\]"):
        sdg.read(_sdg(tmp_path / "m.csv", header=SDG_HEADER.replace("GeoAreaCode", "M49")))


def test_sdg_latin1_bytes(tmp_path):
    path = _sdg(tmp_path / "m.csv")
    path.write_bytes(path.read_bytes().replace("Côte".encode(), "Côte".encode("latin-1")))
    with pytest.raises(SourceFormatError, match=r"m.csv: line 8 \(byte \d+\): expected text in "
                       r"utf-8-sig, found undecodable byte b'\\xf4'"):
        sdg.read(path)


# ---------------------------------------------------------------- UNESCO literacy

UNESCO = ("Country;Year;Age;Gender;Literacy rate\r\n"
          "Afghanistan;2018;15+;female;0,298052\r\n"
          "Afghanistan;2018;15+;total;0,430197\r\n"
          "Afghanistan;2018;65+;male;0,24745\r\n"
          "Afghanistan;2018;0-14;male;0,1\r\n"
          "New Caledonia\xa0;2014;15+;female;0,975\r\n"
          "C?te d'Ivoire;2014;15-24;male;0,6\r\n"
          "Atlantis;2014;15-24;male;0,6\r\n"
          "Niger;2012;25-64;female;\r\n")


def _unesco(path, text=UNESCO, encoding="cp1252"):
    path.write_bytes(text.encode(encoding))
    return path


def test_unesco_quirks_and_ledger(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obs, rep = unesco.read(_unesco(tmp_path / "lit.csv"))
    got = {(r.iso3, r.indicator, r.breakdown, r.group): round(r.value, 4)
           for r in obs.itertuples()}
    assert got == {
        ("AFG", "unesco_literacy_15plus_pct", "sex", "female"): 29.8052,
        ("AFG", "unesco_literacy_15plus_pct", "total", "all"): 43.0197,
        ("AFG", "unesco_literacy_65plus_pct", "sex", "male"): 24.745,
        ("NCL", "unesco_literacy_15plus_pct", "sex", "female"): 97.5,  # NBSP in the name
        ("CIV", "unesco_literacy_15_24_pct", "sex", "male"): 60.0,     # lost character
    }
    assert rep.rows_read == 8 and rep.rows_kept == 5
    assert dict(rep.dropped) == {"not_in_catalogue": 1, "unmapped_name": 1, "missing": 1}
    assert rep.unmapped_names == ["Atlantis"] and "Atlantis" in str(caught[0].message)


def test_unesco_utf8_copy_reads_the_same(tmp_path, quiet):
    obs_cp, _ = unesco.read(_unesco(tmp_path / "a.csv"))
    obs_u8, _ = unesco.read(_unesco(tmp_path / "b.csv", encoding="utf-8"))
    cols = ["iso3", "year", "indicator", "group", "value"]
    pd.testing.assert_frame_equal(obs_cp[cols], obs_u8[cols])


def test_unesco_shares_not_percent(tmp_path):
    text = "Country;Year;Age;Gender;Literacy rate\r\nNiger;2012;65+;female;8,0\r\n"
    with pytest.raises(SourceFormatError, match=r"line 2 column 'Literacy rate': expected a share "
                       r"between 0 and 1"):
        unesco.read(_unesco(tmp_path / "lit.csv", text))


def test_unesco_decimal_point_and_comma_mixed(tmp_path):
    text = "Country;Year;Age;Gender;Literacy rate\r\nNiger;2012;65+;female;1.000,5\r\n"
    with pytest.raises(SourceFormatError, match=r"expected a decimal-comma number"):
        unesco.read(_unesco(tmp_path / "lit.csv", text))


def test_unesco_comma_separated_export(tmp_path):
    text = "Country,Year,Age,Gender,Literacy rate\r\nNiger,2012,65+,female,0.08\r\n"
    with pytest.raises(SourceFormatError, match=r"lit.csv: line 1: expected ';'-separated"):
        unesco.read(_unesco(tmp_path / "lit.csv", text))


def test_unesco_column_renamed(tmp_path):
    with pytest.raises(SourceFormatError, match=r"header: column\(s\) \['Gender'\]"):
        unesco.read(_unesco(tmp_path / "lit.csv", UNESCO.replace("Gender", "Sex")))


def test_unesco_unknown_gender(tmp_path):
    with pytest.raises(SourceFormatError, match=r"line 3 column 'Gender': expected one of"):
        unesco.read(_unesco(tmp_path / "lit.csv", UNESCO.replace(";total;", ";both;")))


def test_unesco_mixed_encodings(tmp_path):
    path = tmp_path / "lit.csv"
    path.write_bytes(UNESCO.replace("C?te", "Côte").encode("utf-8").replace(b"\xc2\xa0", b"\xa0"))
    with pytest.raises(SourceFormatError, match=r"line 7 column 'Country': expected text in one "
                       r"encoding"):
        unesco.read(path)
