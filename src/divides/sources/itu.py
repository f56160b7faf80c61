"""ITU (World Telecommunication/ICT Indicators database): country files and aggregates.

Layouts handled (country names only, no codes, in every ITU file):

* Latest-year internet use by sex and urban/rural (the 2019/20 edition as a legacy
  ``.xls``, the 2021 edition as ``.xlsx``): a title row, **two header rows**
  (``Latest year | All | Gender: Male, Female | Urban: Total, Male, Female | Rural: ...``),
  irregular empty spacer columns, values stored as strings with ``...`` for missing,
  footnote markers (``1`` in a spacer cell, ``(1)`` after a name or year), and a footer
  (``Source:`` and an age-scope note). Columns are located from the header rows, never
  by position: the names sit in column B of the ``.xls`` and column A of the ``.xlsx``.
  The 2021 edition's second sheet ``in-scope population`` (survey age scope per country)
  is read by :func:`read_in_scope`, not as observations.
* Subscriptions 2000-2020 (``*Subscriptions_*.xlsx``): one sheet per ITU series code
  (``i271``, ``i911``...), columns ``Indicator, Country, 2000_value, 2000_notes,
  2000_source, ...``; only the values become observations (notes and sources are free
  text: :func:`read_value_notes`). The ``Definitions`` sheet is read by
  :func:`read_definitions`; ``read`` notes that it skipped it.
* Regional/global aggregates workbook: stacked sub-tables per sheet; read by
  :func:`read_aggregates` into an aggregate-level table, never mixed with countries.

Ledger unit (see ``_common``): one value cell of a country row, plus one record per
footer line. Entirely empty rows are layout, not records.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from divides import catalogue
from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport
from divides.sources import _common as c
from divides.sources import _data360

SOURCE = "itu"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = (
    "itu/*Individuals using the Internet by gender*.xls",
    "itu/IndividualsUsingInternetByGender*.xlsx",
    "itu/*Subscriptions_*.xlsx",
    "itu/data360/*.csv",
)
OTHER_PATTERNS = {
    "itu/ITU_regional_global_*aggregates*.xlsx": "read_aggregates",
    "itu/IndividualsUsingInternetByGender*.xlsx": "read_in_scope",
    "itu/*Subscriptions_*.xlsx": "read_definitions",
}

LATEST_INDICATOR = "itu_internet_users_pct"
#: (upper header, lower header) of the latest-year tables -> (breakdown, group).
LATEST_COLUMNS = {
    ("all", "individuals"): ("total", "all"),
    ("gender", "male"): ("sex", "male"),
    ("gender", "female"): ("sex", "female"),
    ("urban", "total"): ("area", "urban"),
    ("urban", "male"): ("area_sex", "urban_male"),
    ("urban", "female"): ("area_sex", "urban_female"),
    ("rural", "total"): ("area", "rural"),
    ("rural", "male"): ("area_sex", "rural_male"),
    ("rural", "female"): ("area_sex", "rural_female"),
}
IN_SCOPE_SHEET = "in-scope population"
DEFINITIONS_SHEET = "Definitions"
FOOTER_PREFIXES = ("source", "note")
#: A footnote marker: ``1``, ``(1)``, ``*``, alone in a cell or after a name or year.
FOOTNOTE = r"(?:\(\d{1,2}\)|\d{1,2}|\*{1,3})"
FOOTNOTE_RE = re.compile(rf"^{FOOTNOTE}$")
NAME_NOTE_RE = re.compile(r"^(.*?\S)\s*(\(\d{1,2}\)|\*{1,3})$")
YEAR_RE = re.compile(rf"^(\d{{4}})(?:\.0)?\s*({FOOTNOTE})?$")
SUB_COLUMN_RE = re.compile(r"^(\d{4})_(value|notes|source)$")
#: calamine reads both the legacy .xls and the .xlsx files (xlrd is deprecated in pandas).
ENGINE = "calamine"
#: A share of individuals cannot exceed this (Data360 series are checked against it).
PERCENT_MAX = 100.0


def _text(value: object) -> str:
    """A cell as stripped text ('' for empty/NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return " ".join(str(value).split())


def _cell(row: int, col: int) -> str:
    """Excel-style address of a 0-based (row, column) of a sheet read with header=None."""
    return f"row {row + 1} column {get_column_letter(col + 1)}"


def _blank(raw: pd.DataFrame) -> pd.Series:
    return raw.apply(lambda r: all(_text(v) == "" for v in r), axis=1)


def _series_map() -> dict[str, tuple[str, str, str]]:
    cat = catalogue.for_source(SOURCE)
    return {code: (ind, b, g) for code, ind, b, g in
            zip(cat["publisher_code"], cat["indicator"], cat["breakdown"], cat["group"])
            if b == "total"}


def _split_note(text: str) -> tuple[str, str]:
    """'Country (1)' -> ('Country', '(1)'); names with words in parentheses are kept."""
    m = NAME_NOTE_RE.match(text)
    return (m.group(1), m.group(2)) if m else (text, "")


# --------------------------------------------------------------------------------------
# read: dispatch on the workbook's content
# --------------------------------------------------------------------------------------

def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read one ITU country file (latest-year internet use, or subscriptions)."""
    path = Path(path)
    if path.suffix.casefold() == ".csv":
        return _read_data360(path)
    sheets = c.sheet_names(path, engine=ENGINE)
    if any(s.startswith("By ") for s in sheets):
        raise SourceFormatError(path, f"sheets {sheets}", "an ITU country file (the "
                                "aggregates workbook is read by itu.read_aggregates)",
                                found="the regional/global aggregates workbook")
    if DEFINITIONS_SHEET in sheets or _looks_like_subscriptions(path, sheets[0]):
        return _read_subscriptions(path, sheets)
    return _read_latest(path, sheets)


def _looks_like_subscriptions(path: Path, sheet: str) -> bool:
    head = c.read_excel_checked(path, sheet, nrows=5, engine=ENGINE)
    return any({"indicator", "country"} <= {_text(v).casefold() for v in row}
               for row in head.itertuples(index=False))


# --------------------------------------------------------------------------------------
# ITU DataHub series through World Bank Data360 (long CSV with SEX, AGE, URBANISATION)
# --------------------------------------------------------------------------------------

def _read_data360(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """An ITU DataHub series from Data360 (e.g. ``ITU_DH_INT_USR_DAY``, daily internet use).

    Unlike the latest-year tables, these are time series (2003-2024) with one breakdown
    at a time (sex, age group or urban/rural), the first country-level internet data by
    age; regional aggregates (``EUU``, ``ECS``, ...) are mixed in and dropped by code.
    """
    report = ReadReport(SOURCE, path.name)
    rec = _data360.to_observations(path, SOURCE, Harmoniser(SOURCE), report)
    # ITU_DH_INT_USR_DAY (2026 snapshot) carries nine shares above 100 % (Mexico 75+ in
    # 2014: 347 %; UK 25-74 in 2005-2007; Egypt 2013): impossible, so set aside and listed.
    above = rec["value"] > PERCENT_MAX
    if above.any():
        report.drop("impossible_value", int(above.sum()))
        report.notes.append("set aside, share above 100 %: " + "; ".join(
            f"{r.iso3} {r.year} {r.breakdown}/{r.group} = {r.value:g} ({r.row})"
            for r in rec.loc[above].itertuples()))
        rec = rec.loc[~above]
    obs = rec[["iso3", "year", "indicator", "breakdown", "group", "value"]]
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


# --------------------------------------------------------------------------------------
# Latest-year internet use by sex and urban/rural
# --------------------------------------------------------------------------------------

def _latest_layout(raw: pd.DataFrame, path: Path) -> tuple[int, int, int, dict[int, tuple]]:
    """Header row, name column, year column and {value column: (breakdown, group)}."""
    lower = c.find_header_row(raw, ["Economy name", "year"], path)
    if lower == 0:
        raise SourceFormatError(path, "row 1", "a title row and an upper header row "
                                "('Latest', 'All', 'Gender', 'Urban', 'Rural') above "
                                "'Economy name'", found="'Economy name' in row 1")
    upper = lower - 1
    span, name_col, year_col, columns = "", None, None, {}
    for col in range(raw.shape[1]):
        top, low = _text(raw.iat[upper, col]).casefold(), _text(raw.iat[lower, col]).casefold()
        if top:
            span = top
        if not low:
            continue
        if low == "economy name":
            name_col = col
        elif low == "year" and span == "latest":
            year_col = col
        elif (span, low) in LATEST_COLUMNS:
            if LATEST_COLUMNS[(span, low)] in columns.values():
                raise SourceFormatError(path, _cell(lower, col), "each header once",
                                        found=f"a second {span!r}/{low!r}")
            columns[col] = LATEST_COLUMNS[(span, low)]
        else:
            raise SourceFormatError(path, _cell(lower, col), "one of the headers "
                                    f"{sorted(set(LATEST_COLUMNS))} (upper, lower)",
                                    found=f"{span!r}/{low!r}")
    if year_col is None:
        raise SourceFormatError(path, f"rows {upper + 1}-{lower + 1}", "'Latest' above "
                                "'year'", found=f"upper header {list(map(_text, raw.iloc[upper]))}")
    missing = sorted(k for k, v in LATEST_COLUMNS.items() if v not in columns.values())
    if missing:
        raise SourceFormatError(path, f"header rows {upper + 1}-{lower + 1}",
                                f"columns {missing} (upper, lower header)", found="them missing")
    return lower, name_col, year_col, columns


def _read_latest(path: Path, sheets: list[str]) -> tuple[pd.DataFrame, ReadReport]:
    report = ReadReport(SOURCE, path.name)
    for extra in sheets[1:]:
        if extra.casefold() != IN_SCOPE_SHEET:
            raise SourceFormatError(path, f"sheet {extra!r}", f"only the table and "
                                    f"{IN_SCOPE_SHEET!r}", found=f"sheets {sheets}")
        report.notes.append(f"sheet {extra!r}: survey age scope per country, read by "
                            "itu.read_in_scope (not observations)")
    raw = c.read_excel_checked(path, sheets[0], engine=ENGINE)
    lower, name_col, year_col, columns = _latest_layout(raw, path)
    spacers = [col for col in range(raw.shape[1]) if col not in columns
               and col not in (name_col, year_col)]
    blank = _blank(raw)

    records, in_footer = [], False
    for i in range(lower + 1, len(raw)):
        if blank.iat[i]:
            continue
        name = _text(raw.iat[i, name_col])
        if in_footer or name.casefold().startswith(FOOTER_PREFIXES):
            in_footer = True
            report.rows_read += 1
            report.drop("footer")
            continue
        if not name:
            raise SourceFormatError(path, _cell(i, name_col), "an economy name (or a "
                                    "'Source:' footer)", found="an empty cell in a non-empty row")
        name, name_note = _split_note(name)
        year_text = _text(raw.iat[i, year_col])
        m = YEAR_RE.match(year_text)
        if not m:
            raise SourceFormatError(path, _cell(i, year_col), "a year such as 2019 or "
                                    "'2019 (1)'", found=repr(year_text))
        notes = [n for n in (name_note, m.group(2) or "") if n]
        for col in spacers:
            cell = _text(raw.iat[i, col])
            if cell and not FOOTNOTE_RE.match(cell):
                raise SourceFormatError(path, _cell(i, col), "an empty spacer cell or a "
                                        "footnote marker such as '1'", found=repr(cell))
            if cell:
                notes.append(cell)
        if notes:
            report.notes.append(f"{name}: footnote marker(s) {notes} (row {i + 1})")
        for col, (breakdown, group) in columns.items():
            records.append({"name": name, "year": int(m.group(1)), "breakdown": breakdown,
                            "group": group, "raw": raw.iat[i, col],
                            "where": f"row {i + 1}", "col": get_column_letter(col + 1)})
    long = pd.DataFrame(records, columns=["name", "year", "breakdown", "group", "raw",
                                          "where", "col"])
    if len(long):  # the table has no edition stamp: its newest "latest year" + 1
        report.release = str(int(long["year"].max()) + 1)
        report.notes.append(f"edition {report.release}: newest latest year "
                            f"{int(long['year'].max())} + 1 (the table carries no stamp)")
    report.rows_read += len(long)
    long = c.resolve_countries(long, Harmoniser(SOURCE), report, path, name_col="name")
    values, missing = c.parse_values(long["raw"], path, column_of=long["col"],
                                     row_of=long["where"])
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing]
    obs = pd.DataFrame({"iso3": long["iso3"], "year": long["year"],
                        "indicator": LATEST_INDICATOR, "breakdown": long["breakdown"],
                        "group": long["group"], "value": values[~missing]})
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def read_in_scope(path: str | Path) -> pd.DataFrame:
    """The ``in-scope population`` sheet: survey age scope per economy (not observations).

    Returns iso3, economy_name, in_scope_population (as published, e.g. "Population age
    6+; 1+ (2019)"), and age_from/age_to of its first range (age_to empty for "15+").
    """
    path = Path(path)
    sheets = c.sheet_names(path, engine=ENGINE)
    sheet = next((s for s in sheets if s.casefold() == IN_SCOPE_SHEET), None)
    if sheet is None:
        raise SourceFormatError(path, f"sheet {IN_SCOPE_SHEET!r}", "present", found=f"sheets {sheets}")
    raw = c.read_excel_checked(path, sheet, engine=ENGINE)
    head = c.find_header_row(raw, ["Country", "In-scope population"], path)
    cells = [_text(v).casefold() for v in raw.iloc[head]]
    name_col, scope_col = cells.index("country"), cells.index("in-scope population")
    rows = []
    for i in range(head + 1, len(raw)):
        name, scope = _text(raw.iat[i, name_col]), _text(raw.iat[i, scope_col])
        if not name and not scope:
            continue
        if not name or not scope:
            raise SourceFormatError(path, f"row {i + 1}", "a country and its in-scope population",
                                    found=f"{name!r}, {scope!r}")
        rows.append({"economy_name": _split_note(name)[0], "in_scope_population": scope})
    table = pd.DataFrame(rows, columns=["economy_name", "in_scope_population"])
    resolved = Harmoniser(SOURCE).resolve_names(table["economy_name"])
    table = table.assign(iso3=resolved["iso3"]).dropna(subset=["iso3"])
    ages = table["in_scope_population"].str.extract(r"age\s*(\d+)\s*(?:-\s*(\d+)|\+)",
                                                    flags=re.IGNORECASE)
    return pd.DataFrame({
        "iso3": table["iso3"].astype(str),
        "economy_name": table["economy_name"],
        "in_scope_population": table["in_scope_population"],
        "age_from": pd.to_numeric(ages[0]).astype("Int64"),
        "age_to": pd.to_numeric(ages[1]).astype("Int64"),
    }).sort_values("iso3", kind="mergesort").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Subscriptions: value/notes/source triplets per year
# --------------------------------------------------------------------------------------

def _subscription_sheet(path: Path, sheet: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """One data sheet -> frame with Indicator, Country, <year>_<kind> columns; {col: year}."""
    raw = c.read_excel_checked(path, sheet, engine=ENGINE)
    head = c.find_header_row(raw, ["Indicator", "Country"], path)
    names = [_text(v) for v in raw.iloc[head]]
    value_cols, seen = {}, set()
    for col, name in enumerate(names):
        if name in ("Indicator", "Country"):
            continue
        m = SUB_COLUMN_RE.match(name)
        if not m:
            if name == "" and raw.iloc[head + 1:, col].map(_text).eq("").all():
                continue  # an empty trailing column
            raise SourceFormatError(path, f"sheet {sheet!r} {_cell(head, col)}",
                                    "'<year>_value', '<year>_notes' or '<year>_source'",
                                    found=repr(name))
        seen.add(m.group(1))
        if m.group(2) == "value":
            value_cols[name] = int(m.group(1))
    lost = sorted(y for y in seen if f"{y}_value" not in value_cols)
    if lost:
        raise SourceFormatError(path, f"sheet {sheet!r} row {head + 1}",
                                "a '<year>_value' column for each year", found=f"none for {lost}")
    if not value_cols:
        raise SourceFormatError(path, f"sheet {sheet!r} row {head + 1}",
                                "columns such as '2000_value'", found=f"headers {names[:8]}")
    frame = raw.iloc[head + 1:].copy()
    frame.columns = [n or f"_empty{i}" for i, n in enumerate(names)]
    frame = frame.loc[~_blank(frame)]
    frame["row"] = frame.index + 1
    return frame, value_cols


def _footnote_rows(frame: pd.DataFrame, value_cols, path: Path, sheet: str,
                   report: ReadReport) -> pd.DataFrame:
    """Rows without a country name: footnotes when they have no value (counted as footer
    rows), an error naming the row when they do."""
    no_name = frame["Country"].map(_text).eq("")
    if not no_name.any():
        return frame
    with_values = no_name & frame[list(value_cols)].map(_text).ne("").any(axis=1)
    if with_values.any():
        row = frame.loc[with_values, "row"].iloc[0]
        raise SourceFormatError(path, f"sheet {sheet!r} row {row} column 'Country'",
                                "a country name in a row with values", found="an empty cell")
    report.rows_read += int(no_name.sum())
    report.drop("footer", int(no_name.sum()))
    return frame.loc[~no_name]


def _read_subscriptions(path: Path, sheets: list[str]) -> tuple[pd.DataFrame, ReadReport]:
    report = ReadReport(SOURCE, path.name)
    harmoniser = Harmoniser(SOURCE)
    series = _series_map()
    frames = []
    for sheet in sheets:
        if sheet == DEFINITIONS_SHEET:
            report.notes.append(f"sheet {sheet!r}: series definitions, read by "
                                "itu.read_definitions (not observations)")
            continue
        frame, value_cols = _subscription_sheet(path, sheet)
        frame = _footnote_rows(frame, value_cols, path, sheet, report)
        for kind in ("notes", "source"):
            cols = [col for col in frame.columns if str(col).endswith(f"_{kind}")]
            n = int(frame[cols].map(_text).ne("").sum().sum()) if cols else 0
            report.notes.append(f"sheet {sheet!r}: {n} non-empty {kind} cells not kept in "
                                "observations (free text; itu.read_value_notes)")
        long = frame.melt(id_vars=["Country", "row"], value_vars=list(value_cols),
                          var_name="year_col", value_name="raw")
        long["code"] = sheet
        report.rows_read += len(long)
        if sheet not in series:
            report.drop("not_in_catalogue", len(long))
            report.notes.append(f"sheet {sheet!r}: series not in indicators.csv")
            continue
        long["year"] = long["year_col"].map(value_cols)
        frames.append(long)
    long = (pd.concat(frames, ignore_index=True) if frames else
            pd.DataFrame(columns=["Country", "row", "year_col", "raw", "code", "year"]))
    long = c.resolve_countries(long, harmoniser, report, path, name_col="Country")
    values, missing = c.parse_values(long["raw"].reset_index(drop=True), path,
                                     column_of=long["year_col"].reset_index(drop=True),
                                     row_of=("sheet " + long["code"] + " row " +
                                             long["row"].astype(str)).reset_index(drop=True))
    values.index, missing.index = long.index, long.index
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing]
    mapped = long["code"].map(series)
    obs = pd.DataFrame({"iso3": long["iso3"], "year": long["year"].astype("int64"),
                        "indicator": mapped.str[0], "breakdown": mapped.str[1],
                        "group": mapped.str[2], "value": values[~missing]})
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def read_value_notes(path: str | Path) -> pd.DataFrame:
    """Non-empty notes/source cells of a subscriptions file, tidy (iso3, year, code, ...)."""
    path = Path(path)
    harmoniser = Harmoniser(SOURCE)
    out = []
    for sheet in c.sheet_names(path, engine=ENGINE):
        if sheet == DEFINITIONS_SHEET:
            continue
        frame, value_cols = _subscription_sheet(path, sheet)
        frame = frame.loc[frame["Country"].map(_text).ne("")]  # footnote rows: no country
        for year in sorted(set(value_cols.values())):
            part = pd.DataFrame({"country": frame["Country"].map(_text), "year": year,
                                 "publisher_code": sheet,
                                 "notes": frame.get(f"{year}_notes", pd.Series(
                                     "", index=frame.index)).map(_text),
                                 "source_note": frame.get(f"{year}_source", pd.Series(
                                     "", index=frame.index)).map(_text)})
            out.append(part[(part["notes"] != "") | (part["source_note"] != "")])
    cols = ["iso3", "year", "publisher_code", "notes", "source_note"]
    if not out:
        return pd.DataFrame(columns=cols)
    table = pd.concat(out, ignore_index=True)
    table["iso3"] = harmoniser.resolve_names(table["country"])["iso3"]
    return table.dropna(subset=["iso3"])[cols].reset_index(drop=True)


def read_definitions(path: str | Path) -> pd.DataFrame:
    """The ``Definitions`` sheet: publisher_code, description, definition."""
    path = Path(path)
    raw = c.read_excel_checked(path, DEFINITIONS_SHEET, engine=ENGINE)
    head = c.find_header_row(raw, ["Indicator Name", "Indicator Description",
                                   "Indicator Definition"], path)
    cells = [_text(v) for v in raw.iloc[head]]
    body = raw.iloc[head + 1:]
    body = body.loc[~_blank(body)]
    return pd.DataFrame({
        "publisher_code": body.iloc[:, cells.index("Indicator Name")].map(_text),
        "description": body.iloc[:, cells.index("Indicator Description")].map(_text),
        "definition": body.iloc[:, cells.index("Indicator Definition")].map(_text),
    }).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Regional/global aggregates: stacked sub-tables
# --------------------------------------------------------------------------------------

#: Column labels of the aggregates workbook -> (breakdown, group).
AGGREGATE_GROUPS = {
    "total": ("total", "all"),
    "urban": ("area", "urban"),
    "rural": ("area", "rural"),
    "female": ("sex", "female"),
    "male": ("sex", "male"),
    "youth (15-24)": ("age", "15-24"),
    "rest of the population": ("age", "rest_of_population"),
}
AGGREGATE_COLUMNS = ["sheet", "table", "measure", "area", "year", "breakdown", "group",
                     "value"]
AGGREGATE_FOOTER_PREFIXES = ("notes:", "source:")
TITLE_YEAR_RE = re.compile(r",\s*(\d{4})\s*$")
HEADER_YEAR_RE = re.compile(r"^(\d{4})(?:\.0)?\s*\*{0,2}$")


def _is_number(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and not math.isnan(value))


def read_aggregates(path: str | Path) -> pd.DataFrame:
    """ITU regional/global aggregates -> sheet, table, measure, area, year, breakdown,
    group, value (aggregate areas such as World, LDCs, Africa; never country rows)."""
    return read_aggregates_report(path)[0]


def read_aggregates_report(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """:func:`read_aggregates` plus its read report (value cells + footer lines).

    Each sheet stacks sub-tables: a title row (text in column A, optionally measure
    labels such as 'Millions' / 'Per 100 inhabitants' over column blocks, inherited by
    later sub-tables of the sheet), header rows with years and/or group labels (Total,
    Urban, Rural, Female, Male, Youth (15-24)...; a sub-table without a year row takes
    the year from its title, e.g. '..., 2020'), then one row per area. A blank row ends
    a block; a header row right after it continues the same sub-table. Everything from
    'Notes:' or 'Source:' on is footer.
    """
    path = Path(path)
    report = ReadReport(SOURCE, path.name)
    out = []
    for sheet in c.sheet_names(path, engine=ENGINE):
        raw = c.read_excel_checked(path, sheet, engine=ENGINE)
        out.extend(_aggregate_sheet(raw, sheet, path, report))
    table = pd.DataFrame(out, columns=AGGREGATE_COLUMNS + ["raw", "where"])
    report.rows_read += len(table)
    values, missing = c.parse_values(table["raw"], path, row_of=table["where"])
    report.drop("missing", int(missing.sum()))
    table = table.loc[~missing].assign(value=values[~missing])[AGGREGATE_COLUMNS]
    table["year"] = table["year"].astype("int64")
    report.rows_kept = len(table)
    report.observations = len(table)
    dupes = table.duplicated(["sheet", "table", "measure", "area", "year", "breakdown", "group"])
    if dupes.any():
        raise SourceFormatError(path, f"{int(dupes.sum())} cells", "one value per sheet, "
                                "table, measure, area, year and group",
                                found=f"repeats, e.g. {table[dupes].iloc[0].to_dict()}")
    report.check()
    return table.reset_index(drop=True), report


def _aggregate_sheet(raw: pd.DataFrame, sheet: str, path: Path,
                     report: ReadReport) -> list[dict]:
    ncol = raw.shape[1]
    title, title_year = None, None
    measure: dict[int, str] = {}
    years: dict[int, int] = {}
    groups: dict[int, str] = {}
    state, footer, out = "outside", False, []
    for i in range(len(raw)):
        cells = [raw.iat[i, col] for col in range(ncol)]
        texts = [_text(v) for v in cells]
        if not any(texts):
            state = "after_blank" if state != "outside" else state
            continue
        first = texts[0]
        if footer or first.casefold().startswith(AGGREGATE_FOOTER_PREFIXES):
            footer = True
            report.rows_read += 1
            report.drop("footer")
            continue
        if not first:  # a header row: years or group labels
            header_years = {col: HEADER_YEAR_RE.match(t) for col, t in enumerate(texts) if t}
            if all(header_years.values()):
                years = {col: int(m.group(1)) for col, m in header_years.items()}
            else:
                labels = {col: t.casefold() for col, t in enumerate(texts) if t}
                bad = {col: t for col, t in labels.items() if t not in AGGREGATE_GROUPS}
                if bad:
                    col = min(bad)
                    raise SourceFormatError(path, f"sheet {sheet!r} {_cell(i, col)}",
                                            "years or group labels "
                                            f"{sorted(AGGREGATE_GROUPS)}", found=repr(texts[col]))
                groups = labels
            if title is None:
                raise SourceFormatError(path, f"sheet {sheet!r} row {i + 1}",
                                        "a sub-table title row above the header", found="none")
            state = "header"
            continue
        has_numbers = any(_is_number(v) for v in cells[1:])
        if state in ("header", "data"):  # an area row
            out.extend(_area_cells(cells, first, i, sheet, title, title_year, measure,
                                   years, groups, path))
            state = "data"
            continue
        if has_numbers:
            raise SourceFormatError(path, f"sheet {sheet!r} row {i + 1}", "a header row "
                                    "(years or Total/Urban/Rural...) before area rows",
                                    found=f"values in row starting {first!r}")
        # A title row: new sub-table; measure labels (if any) replace the inherited ones.
        title = first
        m = TITLE_YEAR_RE.search(first)
        title_year = int(m.group(1)) if m else None
        labels = {col: t for col, t in enumerate(texts) if col and t}
        if labels:
            measure, current = {}, None
            for col in range(1, ncol):
                current = labels.get(col, current)
                measure[col] = current
        years, groups = {}, {}
        state = "title"
    return out


def _area_cells(cells, area, i, sheet, title, title_year, measure, years, groups,
                path) -> list[dict]:
    """The value cells of one area row, labelled from the current sub-table headers."""
    if years:
        columns = sorted(years)
        group_of, current = {}, None
        for col in range(1, max(columns) + 1):
            current = groups.get(col, current)
            group_of[col] = current
    elif groups and title_year is not None:
        columns = sorted(groups)
        group_of = groups
    else:
        raise SourceFormatError(path, f"sheet {sheet!r} row {i + 1}", "a year header row "
                                "or a title ending in a year", found=f"none for {title!r}")
    out = []
    for col in range(1, len(cells)):
        if col not in columns:
            if _text(cells[col]):
                raise SourceFormatError(path, f"sheet {sheet!r} {_cell(i, col)}",
                                        "an empty spacer cell (no year/group header above)",
                                        found=repr(cells[col]))
            continue
        breakdown, group = AGGREGATE_GROUPS[group_of.get(col) or "total"]
        out.append({"sheet": sheet, "table": title, "measure": (measure.get(col) or "").strip(),
                    "area": area, "year": years.get(col, title_year), "breakdown": breakdown,
                    "group": group, "value": None, "raw": cells[col], "where": _cell(i, col)})
    return out
