"""Small clean files in the publishers' own formats, for when the demo set is not available.

Laid out like ``../shared/data/real`` (same folders and file names), with made-up values
for four countries and one aggregate. Only used by the damaged-input corpus when
``divides.demo.write_demo`` cannot run; the cases work on either set of files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import Workbook

#: (iso3, World Bank name, UN E-Government name, M49)
COUNTRIES = [
    ("AZE", "Azerbaijan", "Azerbaijan ", 31),
    ("DNK", "Denmark", "Denmark ", 208),
    ("KEN", "Kenya", "Kenya", 404),
    ("SOM", "Somalia", "Somalia ", 706),
]
YEARS = [2018, 2019, 2020]


def _value(i: int, j: int, base: float, step: float) -> float:
    """A made-up, reproducible number for country ``i`` and year ``j``."""
    return round(base + step * i + 1.5 * j, 2)


def _csv(rows: list[list[object]], quote_all: bool = False, line_end: str = "\n") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
                        lineterminator=line_end)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buf.getvalue()


def _xlsx(path: Path, sheets: list[tuple[str, list[list[object]]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def wdi_api(root: Path) -> Path:
    header = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"] + [
        str(y) for y in YEARS] + [""]
    rows = [["Data Source", "World Development Indicators", ""], [],
            ["Last Updated Date", "2025-01-01", ""], [], header]
    name = "Individuals using the Internet (% of population)"
    for i, (iso3, wb, _, _) in enumerate(COUNTRIES):
        vals = [_value(i, j, 40, 12) for j in range(len(YEARS))]
        if iso3 == "SOM":
            vals[0] = ""
        rows.append([wb, iso3, name, "IT.NET.USER.ZS"] + vals + [""])
    rows.insert(5, ["World", "WLD", name, "IT.NET.USER.ZS", 50.0, 53.0, 59.0, ""])
    text = _csv(rows, quote_all=True)
    return _write(root / "wb_wdi/api_csv/API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv",
                  b"\xef\xbb\xbf" + text.encode("utf-8"))


def wdi_databank(root: Path) -> Path:
    header = ["Country Name", "Country Code", "Series Name", "Series Code"] + [
        f"{y} [YR{y}]" for y in YEARS]
    rows = [header]
    for code, label, base in (("IT.CEL.SETS.P2", ("Mobile cellular subscriptions (per 100 "
                                "people)"), 80), ("IT.NET.BBND.P2", ("Fixed broadband "
                                                 "subscriptions (per 100 people)"), 5)):
        for i, (iso3, wb, _, _) in enumerate(COUNTRIES):
            vals = [_value(i, j, base, 7) for j in range(len(YEARS))]
            if iso3 == "SOM":
                vals[1] = ".."
            rows.append([wb, iso3, label, code] + vals)
    blank = [""] * len(header)
    rows += [blank, blank, blank, ["Data from database: World Development Indicators"]
             + blank[1:], ["Last Updated: 01/01/2025"] + blank[1:]]
    return _write(root / "wb_wdi/databank_extract/world_bank_internet_data.csv",
                  b"\xef\xbb\xbf" + _csv(rows).encode("utf-8"))


def wgi(root: Path) -> Path:
    header = ["codeindyr", "code", "countryname", "year", "indicator", "estimate", "stddev",
              "nsource", "pctrank", "pctranklower", "pctrankupper"]
    rows = [header]
    for i, (iso3, wb, _, _) in enumerate(COUNTRIES):
        for j, year in enumerate(YEARS):
            for k, dim in enumerate(("cc", "ge", "va")):
                est = round(-1.2 + 0.6 * i + 0.05 * j + 0.1 * k, 3)
                cells = [est, 0.2, 6, round(20 + 15 * i + j, 1), 10.0, 40.0]
                if iso3 == "SOM" and year == 2018 and dim == "va":
                    cells = [".."] * 6
                rows.append([f"{iso3}{dim}{year}", iso3, wb, year, dim] + cells)
    return _xlsx(root / "wb_wgi/wgidataset.xlsx", [("Sheet1", rows)])


def cpi_timeseries(root: Path) -> Path:
    header = ["Country / Territory", "ISO3", "Region"]
    for y in sorted(YEARS + [2021], reverse=True):
        score = "CPI Score" if y <= 2013 else "CPI score"
        header += [f"{score} {y}", f"Rank {y}", f"Sources {y}", f"Standard error {y}"]
    rows = [["CORRUPTION PERCEPTIONS INDEX 2021"], ["EMBARGOED UNTIL 01.01.2022"], [],
            header]
    for i, (iso3, wb, _, _) in enumerate(COUNTRIES):
        row = [wb, iso3, "ECA"]
        for j, y in enumerate(sorted(YEARS + [2021], reverse=True)):
            row += [int(20 + 17 * i + j), i + 1, 8, 2.5]
        rows.append(row)
    sheets = [("CPI 2021", [["CPI 2021"], header[:3]]), ("CPI Timeseries 2012 - 2021", rows)]
    return _xlsx(root / "ti_cpi/CPI2021_GlobalResultsTrends.xlsx", sheets)


def cpi_datahub(root: Path) -> Path:
    years = list(range(2005, 2012))
    rows = [["country"] + [str(y) for y in years]]
    names = ["Azerbaijan", "Denmark", "Kenya", "Somalia", "Côte d'Ivoire"]
    for i, name in enumerate(names):
        rows.append([name] + [f"{1.5 + 1.7 * i + 0.1 * j:.1f}" for j in range(len(years))])
    rows[-1][1] = "0.0"  # not assessed
    text = _csv(rows, line_end="\r\n")
    return _write(root / "ti_cpi/datahub_core/cpi.csv", text.encode("cp1252"))


def itu_subscriptions(root: Path) -> Path:
    sheets = []
    for code, label, base in (("i271", "Mobile-cellular subscriptions", 1e6),
                              ("i911", "Mobile-cellular subscriptions per 100 inhabitants", 60)):
        header = ["Indicator", "Country"]
        for y in YEARS:
            header += [f"{y}_value", f"{y}_notes", f"{y}_source"]
        rows = [header]
        for i, (iso3, wb, _, _) in enumerate(COUNTRIES):
            row = [label, wb]
            for j, _y in enumerate(YEARS):
                value = round(base * (1 + 0.1 * i) + 3 * j, 2)
                row += [value, "Estimate" if j == 0 else None, "ITU" if j == 2 else None]
            rows.append(row)
        sheets.append((code, rows))
    sheets.append(("Definitions", [["Indicator Name", "Indicator Description",
                                    "Indicator Definition"],
                                   ["i271", "Mobile-cellular subscriptions", "..."],
                                   ["i911", "per 100 inhabitants", "..."]]))
    return _xlsx(root / "itu/MobileCellularSubscriptions_2000-2020.xlsx", sheets)


def egov(root: Path) -> Path:
    header = ["Survey Year", "Country Name", "E-Government Rank", "E-Government Index",
              "E-Participation Index", "Online Service Index", "Human Capital Index",
              "Telecommunication Infrastructure Index"]
    rows = [header]
    for i, (_, _, un, _) in enumerate(COUNTRIES):
        osi, hci, tii = 0.3 + 0.15 * i, 0.5 + 0.1 * i, 0.2 + 0.2 * i
        egdi = (osi + hci + tii) / 3
        rows.append([2022, un, 4 - i, f"{egdi:.5f}", f"{0.4 + 0.1 * i:.5f}", f"{osi:.5f}",
                     f"{hci:.5f}", f"{tii:.5f}"])
    return _write(root / "un_egov/EGOV_DATA_2022.csv", _csv(rows).encode("utf-8"))


def _findex_series():
    yield "fin14a.t.d", "Used a mobile phone or the internet to pay bills (% age 15+)", ""
    yield ("fin14a.t.d.1", ("Used a mobile phone or the internet to pay bills, female "
           "(% age 15+)"), "female")
    yield ("fin14a.t.d.2", ("Used a mobile phone or the internet to pay bills, male "
           "(% age 15+)"), "male")


def findex_databank(root: Path) -> Path:
    years = [2014, 2017, 2021]
    rows = [["Country Name", "Country Code", "Series Name", "Series Code"]
            + [f"{y} [YR{y}]" for y in years]]
    for code, name, _ in _findex_series():
        for i, (iso3, wb, _, _) in enumerate(COUNTRIES):
            vals = [round(10 + 8 * i + 6 * j, 1) for j in range(len(years))]
            if iso3 == "AZE":
                vals[2] = ".."
            rows.append([wb, iso3, name, code] + vals)
    rows += [[None], [None], [None], ["Data from database: Global Financial Inclusion"],
             ["Last Updated: 01/01/2022"]]
    return _xlsx(root / "wb_findex/Data_Extract_From_Global_Financial_Inclusion.xlsx",
                 [("Data", rows), ("Series - Metadata", [["Code", "Indicator Name"]])])


def findex_wide(root: Path) -> Path:
    years = [2011, 2014, 2017]
    specs = [("g20.t", "Made or received digital payments in the past year (% age 15+)"),
             ("g20.t.2", ("Made or received digital payments in the past year, female  "
              "(% age 15+)")),
             ("g20.t.1", ("Made or received digital payments in the past year, male  "
              "(% age 15+)"))]
    header = ["Country Name", "Country Code"] + [f"{n} [{c}] - {y} [YR{y}]"
                                                 for c, n in specs for y in years]
    rows = [header]
    for i, (iso3, wb, _, _) in enumerate(COUNTRIES):
        vals = [round(20 + 9 * i + 5 * j + k, 1) for k in range(3) for j in range(3)]
        vals[0] = ".."
        rows.append([wb, iso3] + vals)
    blank = [""] * len(header)
    rows += [blank, blank, blank, ["Data from database: Global Financial Inclusion"]
             + blank[1:], ["Last Updated: 10/15/2018"] + blank[1:]]
    return _write(root / "wb_findex/made_or_received_digitalpayments.csv",
                  b"\xef\xbb\xbf" + _csv(rows).encode("utf-8"))


def sdg(root: Path) -> Path:
    header = ["Goal", "Target", "Indicator", "SeriesCode", "SeriesDescription", "GeoAreaCode",
              "GeoAreaName", "TimePeriod", "Value", "Time_Detail", "Source", "Sex", "Units",
              "Reporting Type"]
    rows = [header]
    for i, (_, wb, _, m49) in enumerate(COUNTRIES):
        for j, year in enumerate(YEARS):
            for k, sex in enumerate(("BOTHSEX", "FEMALE", "MALE")):
                rows.append([5, "5.b", "5.b.1", "IT_MOB_OWN", ("Proportion of individuals who "
                             "own a mobile telephone, by sex (%)"), m49, wb, year,
                             f"{50 + 10 * i + j - k:.5f}", year, "ITU", sex, "PERCENT", "G"])
    return _write(root / "un_sdg/sdg_database_ind_own_mobile.csv",
                  _csv(rows).encode("utf-8"))


def unesco(root: Path) -> Path:
    rows = [["Country", "Year", "Age", "Gender", "Literacy rate"]]
    for i, (_, wb, _, _) in enumerate(COUNTRIES + [("CIV", "Côte d'Ivoire", "", 384)]):
        for age in ("15+", "15-24", "65+"):
            for k, gender in enumerate(("female", "male", "total")):
                rows.append([wb, 2018, age, gender, f"{0.3 + 0.1 * i + 0.05 * k:.6f}"
                             .replace(".", ",")])
    text = "".join(";".join(str(v) for v in row) + "\r\n" for row in rows)
    return _write(root / "unesco_literacy/Literacy rates (no pw2).csv", text.encode("cp1252"))


WRITERS = (wdi_api, wdi_databank, wgi, cpi_timeseries, cpi_datahub, itu_subscriptions, egov,
           findex_databank, findex_wide, sdg, unesco)


def write_seeds(root: Path) -> Path:
    """Write every seed file under ``root``; return ``root``."""
    root = Path(root)
    for writer in WRITERS:
        writer(root)
    return root
