"""UN E-Government Survey data-centre CSVs (``EGOV_DATA_<year>.csv``), 2003-2024.

Layouts, detected from the header (not the file name):

* data centre: ``Survey Year, Country Name, E-Government Rank, E-Government Index,
  E-Participation Index, Online Service Index, Human Capital Index, Telecommunication
  Infrastructure Index``;
* the renamed 2024 copy (``modified/``): ``Survey Year, Country, Rank, E_Index,
  E_Participation, Online_Service, Human_Capital, Tele_Infra, Region``; the user-made
  ``Region`` column (with errors) is ignored.

No country codes: UN names (most with a trailing space) are mapped through
``data/build/countries/egov.csv``. Each row gives six records (rank and five indices).

Not assessed, decided per cell:

* a row whose EGDI is ``0.00000`` is a state the survey did not assess: all six cells
  (including its placeholder last-place rank) count as ``not_assessed``, even where the
  row carries non-zero HCI/TII (EGDI = 0 in 20, 15, 14, 11, 10 and 3 rows of the 2003,
  2004, 2005, 2008, 2010 and 2012 files);
* in assessed rows, HCI ``0.00000`` before 2012 counts as ``not_assessed``: HCI was then
  an unnormalised literacy/enrolment share (smallest published non-zero value 0.096), so 0
  means "no data" (Liechtenstein, Monaco, Andorra, San Marino in 2003-2005);
* every other 0 in an assessed row is kept: OSI, TII, EPI and (from 2012) HCI are min-max
  normalised, so the lowest state scores exactly 0 (e.g. Somalia HCI 2012-2024).

An empty rank (Montenegro, South Sudan before they were assessed) is ``missing``. HCI above
1 in 2003 is allowed through the named exception in ``data/build/range_exceptions.csv``.

Consistency rule (reported in ``report.notes``, not raised): in assessed rows, EGDI equals
the weighted mean of OSI, HCI and TII within 1e-4; the weights are 1/3 each, except
0.34/0.33/0.33 in the 2008 and 2010 editions (found by least squares on those files). The
rule also finds the not-assessed rows (EGDI 0 with non-zero HCI/TII). We report rather than
raise because the published 2008 file itself breaks it in two rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from divides import catalogue
from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport
from divides.sources import _common as c
from divides.sources import _data360

SOURCE = "egov"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("un_egov/EGOV_DATA_*.csv", "un_egov/modified/EGOV_DATA_*.csv",
            "un_egov/data360/*_WIDEF.csv")
OTHER_PATTERNS: dict[str, str] = {}

#: Header -> short name, per layout. Values are the catalogue's publisher codes' short names.
LAYOUTS = {
    "data centre": {
        "Survey Year": "year", "Country Name": "name", "E-Government Rank": "rank",
        "E-Government Index": "egdi", "E-Participation Index": "epi",
        "Online Service Index": "osi", "Human Capital Index": "hci",
        "Telecommunication Infrastructure Index": "tii",
    },
    "renamed 2024 copy": {
        "Survey Year": "year", "Country": "name", "Rank": "rank", "E_Index": "egdi",
        "E_Participation": "epi", "Online_Service": "osi", "Human_Capital": "hci",
        "Tele_Infra": "tii",
    },
}
IGNORED_COLUMNS = {"renamed 2024 copy": {"Region"}, "data centre": set()}
#: Short name -> catalogue publisher_code.
PUBLISHER_CODE = {
    "rank": "E-Government Rank", "egdi": "E-Government Index",
    "epi": "E-Participation Index", "osi": "Online Service Index",
    "hci": "Human Capital Index", "tii": "Telecommunication Infrastructure Index",
}
VALUES = list(PUBLISHER_CODE)
#: EGDI weights of (OSI, HCI, TII) by survey year; 1/3 each otherwise.
EGDI_WEIGHTS = {2008: (0.34, 0.33, 0.33), 2010: (0.34, 0.33, 0.33)}
EGDI_TOLERANCE = 1e-4
#: Before this edition HCI was not min-max normalised, so HCI = 0 means no data.
FIRST_YEAR_HCI_NORMALISED = 2012


def _layout(frame: pd.DataFrame, path: Path) -> str:
    """Which of LAYOUTS the header is, told by its name and EGDI columns."""
    cols = set(frame.columns)
    if {"Country Name", "E-Government Index"} <= cols:
        return "data centre"
    if {"Country", "E_Index"} <= cols:
        return "renamed 2024 copy"
    raise SourceFormatError(path, "header", "'Country Name' and 'E-Government Index' (data "
                            "centre CSV) or 'Country' and 'E_Index' (renamed 2024 copy)",
                            found=f"columns {list(frame.columns)[:10]}")


#: Data360 ``UN_EGDI`` files: one index per file; the EGDI file tells not-assessed states.
DATA360_EGDI = "UN_EGDI_EGDI_WIDEF.csv"


def companions(path: str | Path) -> list[Path]:
    """Other files ``read(path)`` reads: a Data360 OSI, HCI or TTI file needs the EGDI file
    beside it (EGDI = 0 marks a state the survey did not assess)."""
    path = Path(path)
    if path.name.startswith("UN_EGDI_") and path.name != DATA360_EGDI:
        return [path.with_name(DATA360_EGDI)]
    return []


def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read one E-Government Survey CSV (UN data centre or Data360) into observations."""
    path = Path(path)
    if path.name.startswith("UN_EGDI_"):
        return _read_data360(path)
    frame = c.read_csv_checked(path, encoding="utf-8-sig")
    frame.columns = [str(col).strip() for col in frame.columns]
    layout = _layout(frame, path)
    mapping = LAYOUTS[layout]
    c.require_columns(frame, list(mapping), path, where=f"header ({layout})")
    extra = [col for col in frame.columns if col not in mapping
             and col not in IGNORED_COLUMNS[layout]]
    if extra:
        raise SourceFormatError(path, f"header: column(s) {extra}", f"only the {layout} "
                                f"columns {list(mapping)}", found="unexpected columns")
    table = frame[list(mapping)].rename(columns=mapping)
    table["row"] = np.arange(len(table)) + 2  # file line (header is line 1)

    report = ReadReport(SOURCE, path.name)
    report.notes.append(f"layout: {layout}")
    table["year"] = c.parse_years(table["year"].str.strip(), path,
                                  "line " + table["row"].astype(str) + " column 'Survey Year'",
                                  expected="a year")
    if len(table):  # the edition: the survey year inside the file, not its name
        report.release = str(int(table["year"].max()))

    numbers = {}
    for col in VALUES:
        numbers[col], _ = c.parse_values(table[col], path, column_of=pd.Series(
            col, index=table.index), row_of=table["row"])
    num = pd.DataFrame(numbers)
    _check_egdi(table, num, report)

    long = table.melt(id_vars=["year", "name", "row"], value_vars=VALUES, var_name="measure",
                      value_name="raw")
    long["value"] = pd.concat([num[col] for col in VALUES], ignore_index=True).to_numpy()
    long["egdi"] = np.tile(num["egdi"].to_numpy(), len(VALUES))
    report.rows_read += len(long)
    long = c.resolve_countries(long, Harmoniser(SOURCE), report, path, name_col="name")

    not_assessed = (long["egdi"] == 0.0) | (
        (long["measure"] == "hci") & (long["value"] == 0.0)
        & (long["year"] < FIRST_YEAR_HCI_NORMALISED))
    report.drop("not_assessed", int(not_assessed.sum()))
    long = long.loc[~not_assessed]
    missing = long["value"].isna()
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing]

    cat = catalogue.for_source(SOURCE)
    indicator = dict(zip(cat["publisher_code"], cat["indicator"]))
    obs = pd.DataFrame({"iso3": long["iso3"], "year": long["year"],
                        "indicator": long["measure"].map(PUBLISHER_CODE).map(indicator),
                        "breakdown": "total", "group": "all", "value": long["value"]})
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def _read_data360(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """One ``UN_EGDI_<index>_WIDEF.csv`` from World Bank Data360 (EGOV 2003-2024).

    ISO3 codes, no ranks, no EPI; the telecom index is coded ``UN_EGDI_TTI``. The
    not-assessed rules of the UN CSVs apply cell by cell: where the EGDI file has 0 for a
    (country, year), the cell is ``not_assessed`` in every index file; HCI 0 before 2012
    too. The EGDI comes from :func:`companions` (an error when that file is absent).
    """
    report = ReadReport(SOURCE, path.name)
    rec = _data360.to_observations(path, SOURCE, Harmoniser(SOURCE), report)
    egdi_file = ([path] + companions(path))[-1]
    if not egdi_file.exists():
        raise SourceFormatError(egdi_file, "file", f"the Data360 EGDI file beside {path.name} "
                                "(it tells which states were not assessed)",
                                found="no such file")
    egdi, _ = _data360.read_table(egdi_file)
    values, _ = c.parse_values(egdi["raw"], egdi_file, row_of=egdi["row"])
    zero = set(zip(egdi.loc[values == 0.0, "ref_area"], egdi.loc[values == 0.0, "year"]))
    cell = pd.Series(list(zip(rec["ref_area"], rec["year"])), index=rec.index)
    not_assessed = cell.isin(zero) | ((rec["indicator"] == "egov_hci") & (rec["value"] == 0.0)
                                      & (rec["year"] < FIRST_YEAR_HCI_NORMALISED))
    report.drop("not_assessed", int(not_assessed.sum()))
    rec = rec.loc[~not_assessed]
    obs = rec[["iso3", "year", "indicator", "breakdown", "group", "value"]]
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def egdi_deviations(table: pd.DataFrame) -> pd.DataFrame:
    """Rows whose EGDI differs from the weighted mean of OSI, HCI, TII by more than 1e-4.

    ``table`` has numeric ``year, egdi, osi, hci, tii`` (and any other columns, kept).
    Adds ``expected_egdi`` and ``deviation``. Not-assessed rows (EGDI 0 with non-zero
    components) are found too.
    """
    w = np.array([EGDI_WEIGHTS.get(int(y), (1 / 3, 1 / 3, 1 / 3)) for y in table["year"]])
    w = w.reshape(len(table), 3)
    expected = (w[:, 0] * table["osi"].to_numpy() + w[:, 1] * table["hci"].to_numpy()
                + w[:, 2] * table["tii"].to_numpy())
    out = table.assign(expected_egdi=expected, deviation=table["egdi"].to_numpy() - expected)
    return out.loc[out["deviation"].abs() > EGDI_TOLERANCE]


def _check_egdi(table: pd.DataFrame, num: pd.DataFrame, report: ReadReport) -> None:
    """Run the EGDI consistency rule and write what it found into ``report.notes``."""
    both = pd.concat([table[["year", "name"]], num[["egdi", "osi", "hci", "tii"]]], axis=1)
    both = both.dropna(subset=["egdi", "osi", "hci", "tii"])
    dev = egdi_deviations(both)
    zero = dev["egdi"] == 0.0
    assessed = dev.loc[~zero]
    report.notes.append(
        f"EGDI check (weighted mean of OSI, HCI, TII within {EGDI_TOLERANCE:g}): "
        f"{int((both['egdi'] > 0).sum())} assessed rows, {len(assessed)} deviate"
        + (": " + ", ".join(f"{n.strip()} {y} ({d:+.4f})" for n, y, d in zip(
            assessed["name"], assessed["year"], assessed["deviation"])) if len(assessed) else "")
        + f"; {int(zero.sum())} not-assessed rows (EGDI 0) with non-zero components")
