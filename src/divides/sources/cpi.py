"""Transparency International Corruption Perceptions Index: TI workbooks and the datahub CSV.

Layouts handled (detected from sheet names and header cells, never from the file name):

* GlobalResultsTrends workbooks (2022, 2023 editions): sheet ``CPI Timeseries 2012 - <year>``,
  title (and in 2023 an "EMBARGOED" line) above the header, so the header row is searched
  for (3rd row in 2022, 4th in 2023). Columns ``CPI score <year>``, ``Rank <year>``
  (2017 on), ``Sources <year>``, ``Standard error <year>``; TI writes ``CPI Score 2013`` and
  ``CPI Score 2012`` with a capital S, so headers are compared case-folded. Brunei's gaps
  (2014, 2015, 2021-2023) are empty cells, counted as ``missing``.
* ``CPI2017.xlsx``: sheet ``CPI 2017``, header on the 3rd row, trailing spaces and mixed case
  in column names (``Rank ``, ``standard error``), a blank line and a ``GLOBAL AVARAGE`` row
  at the end (footer and aggregate).
* ``CPI2012.xlsx``: sheet ``CPI 2012``, two header rows (labels, then sub-labels such as
  ``Lower``/``Upper`` and source acronyms), an unnamed region column, no ISO3: names are
  mapped through ``data/build/countries/cpi.csv``.
* datahub.io ``cpi.csv`` (tidied legacy, 1995-2017): Windows-1252 although its
  ``datapackage.json`` says utf-8, wide ``country, 1995 .. 2017``, ``0.0`` = not assessed,
  every year on a 0-10 scale. Up to 2011 that is TI's own scale (``cpi_score_0_10_legacy``);
  2012-2017 are TI's 0-100 scores divided by 10 by the packagers, which are neither TI's
  legacy index nor its published 0-100 values, so they are dropped as ``out_of_scope``
  (the TI workbooks are the 0-100 source). Several spellings of one country (five Côte
  d'Ivoire rows) give duplicate (iso3, year) values: the first non-missing value in file
  order is kept, the others are counted as ``duplicate`` (disagreeing ones are listed in the
  report notes).

Columns TI publishes that the catalogue does not keep (confidence intervals, score range,
the individual source scores) are counted as ``not_in_catalogue``, one record per cell.
The 0-100 (2012 on) and 0-10 (before 2012) scores are different indicators, never mixed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from divides import catalogue
from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport
from divides.sources import _common as c

SOURCE = "cpi"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("ti_cpi/CPI*.xlsx", "ti_cpi/datahub_core/cpi.csv")
OTHER_PATTERNS = {"ti_cpi/datahub_core/datapackage.json": "read_datapackage"}

ENGINE = "calamine"  # same values as openpyxl on these workbooks, several times faster
TIMESERIES_SHEET = re.compile(r"^CPI Timeseries 2012 - (\d{4})\s*$")
SINGLE_YEAR_SHEET = re.compile(r"^CPI (\d{4})\s*$")
#: Normalised header label (or timeseries prefix) -> catalogue publisher_code.
MEASURES = {
    "cpi score": "CPI score",
    "rank": "Rank",
    "country rank": "Rank",
    "sources": "Sources",
    "number of sources": "Sources",
    "surveys used": "Sources",
    "standard error": "Standard error",
}
TIMESERIES_COLUMN = re.compile(r"^(cpi score|rank|sources|standard error) (\d{4})$")
SCORE_COLUMN = re.compile(r"^cpi (?:score )?(\d{4})(?: score)?$")
#: Single-year columns TI publishes that are not in the catalogue (derived or per-source).
NOT_KEPT_SINGLE_YEAR = {"lower ci", "upper ci"}
NAME_LABELS = ("country / territory", "country")
ATTRIBUTE_LABELS = {"country / territory", "country", "iso3", "region"}
#: First year of TI's 0-100 scale; the datahub values from here on are rescaled 0-100 scores.
FIRST_YEAR_0_100 = 2012
HEADER_SEARCH_ROWS = 15


def _norm(label: object) -> str:
    """Header label for comparison: trimmed, single spaces, case-folded ('' for empty)."""
    if label is None or (isinstance(label, float) and pd.isna(label)):
        return ""
    return " ".join(str(label).split()).casefold()


def _indicator_of(publisher_code: str) -> str:
    cat = catalogue.for_source(SOURCE)
    hit = cat.loc[cat["publisher_code"] == publisher_code, "indicator"]
    if len(hit) != 1:
        raise LookupError(f"indicators.csv: expected one cpi row for {publisher_code!r}")
    return str(hit.iloc[0])


def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read one CPI file (TI workbook or datahub CSV) into observations and a read report."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return read_datahub(path)
    sheets = _sheet_names(path)
    timeseries = [s for s in sheets if TIMESERIES_SHEET.match(s)]
    single = [s for s in sheets if SINGLE_YEAR_SHEET.match(s)]
    if timeseries:
        return _read_timeseries(path, timeseries[0])
    if single:
        return _read_single_year(path, single[0])
    raise SourceFormatError(path, "sheets", "a 'CPI Timeseries 2012 - <year>' sheet or a "
                            "'CPI <year>' sheet", found=f"sheets {sheets}")


def _sheet_names(path: Path) -> list[str]:
    """Sheet names (read with the same engine as the data, errors naming the file)."""
    if not path.exists():
        raise SourceFormatError(path, "file", "an existing file", found="no such file")
    try:
        with pd.ExcelFile(path, engine=ENGINE) as book:
            return [str(s) for s in book.sheet_names]
    except Exception as exc:  # noqa: BLE001 -- each engine raises its own types
        raise SourceFormatError(path, "file", "a readable Excel workbook",
                                found=f"{type(exc).__name__}: {exc}") from None


def _header_row(raw: pd.DataFrame, path: Path, sheet: str) -> int:
    """First row (of the first 15) with a 'Country / Territory' or 'Country' cell."""
    for i in range(min(HEADER_SEARCH_ROWS, len(raw))):
        if any(_norm(v) in NAME_LABELS for v in raw.iloc[i].tolist()):
            return i
    raise SourceFormatError(path, f"sheet {sheet!r}: first {HEADER_SEARCH_ROWS} rows",
                            "a header row with a 'Country / Territory' (or 'Country') cell",
                            found="none")


def _read_timeseries(path: Path, sheet: str) -> tuple[pd.DataFrame, ReadReport]:
    raw = c.read_excel_checked(path, sheet, engine=ENGINE)
    h = _header_row(raw, path, sheet)
    labels = [_norm(v) for v in raw.iloc[h].tolist()]
    where = f"sheet {sheet!r} row {h + 1}"
    for need in ("country / territory", "iso3"):
        if need not in labels:
            raise SourceFormatError(path, f"{where}: column {need!r}", "present",
                                    found=f"columns {[v for v in raw.iloc[h].tolist()][:12]}")
    columns: dict[int, tuple[str, int] | None] = {}
    for j, label in enumerate(labels):
        if label in ATTRIBUTE_LABELS:
            continue
        m = TIMESERIES_COLUMN.match(label)
        if m:
            columns[j] = (_indicator_of(MEASURES[m.group(1)]), int(m.group(2)))
        elif label == "" and raw.iloc[h + 1:, j].isna().all():
            continue  # an empty spacer column
        else:
            raise SourceFormatError(path, f"{where}: column {raw.iloc[h, j]!r}",
                                    "'CPI score <year>', 'Rank <year>', 'Sources <year>' or "
                                    "'Standard error <year>'", found="an unknown column")
    if not any(ind == _indicator_of("CPI score") for ind, _ in columns.values()):
        raise SourceFormatError(path, f"{where}", "'CPI score <year>' columns",
                                found=f"columns {raw.iloc[h].tolist()[:12]}")
    report = ReadReport(SOURCE, path.name)
    report.release = TIMESERIES_SHEET.match(sheet).group(1)  # the edition, from the sheet
    report.notes.append(f"read sheet {sheet!r} (header on row {h + 1}); other sheets not read")
    return _from_wide(raw, h, h + 1, labels.index("country / territory"), labels.index("iso3"),
                      columns, path, report)


def _read_single_year(path: Path, sheet: str) -> tuple[pd.DataFrame, ReadReport]:
    raw = c.read_excel_checked(path, sheet, engine=ENGINE)
    h = _header_row(raw, path, sheet)
    labels = [_norm(v) for v in raw.iloc[h].tolist()]
    where = f"sheet {sheet!r} row {h + 1}"
    two_rows = "iso3" not in labels  # the 2012 layout: sub-labels below, names only
    sub = [_norm(v) for v in raw.iloc[h + 1].tolist()] if two_rows else [""] * len(labels)
    years = {int(m.group(1)) for lab in labels if (m := SCORE_COLUMN.match(lab))}
    if len(years) != 1:
        raise SourceFormatError(path, f"{where}", "one score column such as 'CPI Score 2017' "
                                "or 'CPI 2012 Score'", found=f"columns {raw.iloc[h].tolist()[:10]}")
    year = years.pop()
    name_j = next(j for j, lab in enumerate(labels) if lab in NAME_LABELS)
    columns: dict[int, tuple[str, int] | None] = {}
    required = {"CPI score", "Rank", "Sources", "Standard error"}
    found = set()
    first = h + (2 if two_rows else 1)
    for j, (label, sublabel) in enumerate(zip(labels, sub)):
        if j == name_j or label in ("iso3", "region"):
            continue
        if SCORE_COLUMN.match(label):
            columns[j] = (_indicator_of("CPI score"), year)
            found.add("CPI score")
        elif label in MEASURES:
            columns[j] = (_indicator_of(MEASURES[label]), year)
            found.add(MEASURES[label])
        elif label in NOT_KEPT_SINGLE_YEAR or (two_rows and sublabel):
            columns[j] = None  # confidence interval, score range, single-source scores
        elif label == "" and j == name_j + 1 and two_rows:
            continue  # the unnamed 2012 region column (AF, AM, AP, EE, EU, ME)
        elif label == "" and raw.iloc[first:, j].isna().all():
            continue  # an empty spacer column
        else:
            raise SourceFormatError(path, f"{where}: column {j + 1} ({raw.iloc[h, j]!r})",
                                    "a known CPI column (score, rank, sources, standard "
                                    "error, confidence interval)", found="an unknown column")
    if found != required:
        raise SourceFormatError(path, f"{where}: column(s) {sorted(required - found)}",
                                "present", found=f"columns {raw.iloc[h].tolist()[:12]}")
    report = ReadReport(SOURCE, path.name)
    report.release = str(year)  # a single-year edition
    report.notes.append(f"read sheet {sheet!r} (header on row {h + 1}"
                        f"{' and ' + str(h + 2) if two_rows else ''}); other sheets not read")
    code_j = None if two_rows else labels.index("iso3")
    return _from_wide(raw, h, first, name_j, code_j, columns, path, report)


def _from_wide(raw: pd.DataFrame, h: int, first: int, name_j: int, code_j: int | None,
               columns: dict[int, tuple[str, int] | None], path: Path,
               report: ReadReport) -> tuple[pd.DataFrame, ReadReport]:
    """Data rows from ``first`` on -> observations; one record per value cell.

    ``h`` is the header row (for column names in errors); rows are reported as Excel rows.
    """
    body = raw.iloc[first:]
    blank = body.isna().all(axis=1) | body.map(lambda v: _norm(v) == "").all(axis=1)
    report.rows_read += int(blank.sum())
    report.drop("footer", int(blank.sum()))
    body = body.loc[~blank]
    long = pd.DataFrame({
        "row": [i + 1 for i in body.index for _ in columns],
        "col": [j for _ in body.index for j in columns],
        "name": [body.at[i, name_j] for i in body.index for _ in columns],
        "code": [body.at[i, code_j] if code_j is not None else "" for i in body.index
                 for _ in columns],
        "raw": [body.at[i, j] for i in body.index for j in columns],
    })
    long["name"] = long["name"].map(lambda v: "" if _norm(v) == "" else str(v))
    long["code"] = long["code"].map(lambda v: "" if _norm(v) == "" else str(v).strip())
    report.rows_read += len(long)
    kept_col = long["col"].map(lambda j: columns[j] is not None)
    report.drop("not_in_catalogue", int((~kept_col).sum()))
    long = long.loc[kept_col]
    long = c.resolve_countries(long, Harmoniser(SOURCE), report, path,
                               code_col="code" if code_j is not None else None, name_col="name")
    header = {j: str(raw.iat[h, j]).strip() for j in columns}
    values, missing = c.parse_values(long["raw"], path, column_of=long["col"].map(header),
                                     row_of=long["row"])
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing].assign(value=values[~missing])
    target = long["col"].map(columns)
    _check_0_100_scale(long, target.str[0] == _indicator_of("CPI score"), header, path)
    obs = pd.DataFrame({"iso3": long["iso3"], "year": target.str[1], "indicator": target.str[0],
                        "breakdown": "total", "group": "all", "value": long["value"]})
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def _check_0_100_scale(long: pd.DataFrame, is_score: pd.Series, header: dict[int, str],
                       path: Path) -> None:
    """TI's 0-100 scores are whole numbers, and a year's scores reach far above 10: a
    fraction (4.5), or a column whose scores are all 10 or less, is a 0-10 score in the
    0-100 column, which no range check would catch."""
    scores = long.loc[is_score]
    frac = scores["value"] % 1 != 0
    if frac.any():
        r = scores.loc[frac].iloc[0]
        raise SourceFormatError(path, f"row {r['row']} column {header[r['col']]!r}",
                                "a whole-number score on TI's 0-100 scale (0-10 scores "
                                "belong to cpi_score_0_10_legacy)", found=f"{r['value']:g}")
    top = scores.groupby("col")["value"].agg(["max", "size"])
    low = top[(top["max"] <= 10) & (top["size"] >= 5)]
    if len(low):
        j = low.index[0]
        raise SourceFormatError(path, f"column {header[j]!r}", "scores on TI's 0-100 scale",
                                found=f"{int(low.at[j, 'size'])} scores, all 10 or less "
                                "(a 0-10 column?)")


def read_datahub(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """The datahub.io legacy CSV: 0-10 scores up to 2011 as ``cpi_score_0_10_legacy``."""
    path = Path(path)
    frame = c.read_csv_checked(path, encoding="cp1252")
    c.require_columns(frame, ["country"], path)
    years = c.year_columns(frame.columns)
    if not years:
        raise SourceFormatError(path, "header", "year columns '1995' .. '2017'",
                                found=f"columns {list(frame.columns)[:8]}")
    extra = [col for col in frame.columns if col != "country" and col not in years]
    if extra:
        raise SourceFormatError(path, f"header: column(s) {extra}", "only 'country' and year "
                                "columns", found="unexpected columns")
    report = ReadReport(SOURCE, path.name)
    long = frame.melt(id_vars=["country"], value_vars=list(years), var_name="year_col",
                      value_name="raw")
    long["row"] = long.index % max(len(frame), 1) + 2  # file line (header is line 1)
    long["order"] = range(len(long))
    report.rows_read += len(long)
    long = c.resolve_countries(long, Harmoniser(SOURCE), report, path, name_col="country")
    values, missing = c.parse_values(long["raw"], path, column_of=long["year_col"],
                                     row_of=long["row"])
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing].assign(value=values[~missing])
    zero = long["value"] == 0.0
    report.drop("not_assessed", int(zero.sum()))
    long = long.loc[~zero]
    long["year"] = long["year_col"].map(years).astype("int64")
    rescaled = long["year"] >= FIRST_YEAR_0_100
    report.drop("out_of_scope", int(rescaled.sum()))
    if rescaled.any():
        report.notes.append(
            f"{int(rescaled.sum())} values of {FIRST_YEAR_0_100}-{long['year'].max()} dropped "
            "(out_of_scope): TI's 0-100 scores divided by 10 by the packagers; the TI "
            "workbooks are the 0-100 source")
    long = long.loc[~rescaled]
    # File order among spellings of one country: keep the first non-missing value.
    long = long.sort_values(["row"], kind="mergesort")
    dup = long.duplicated(["iso3", "year"], keep="first")
    report.drop("duplicate", int(dup.sum()))
    if dup.any():
        first = long.loc[~dup].set_index(["iso3", "year"])["value"]
        later = long.loc[dup]
        differ = later[later["value"].to_numpy() != first.loc[
            list(zip(later["iso3"], later["year"]))].to_numpy()]
        report.notes.append(
            f"{int(dup.sum())} duplicate (iso3, year) values from other spellings dropped; "
            f"the first non-missing in file order is kept; {len(differ)} of them differ from "
            "the kept value" + (": " + ", ".join(
                f"'{r.country}' {r.year} = {r.value:g}" for r in differ.head(10).itertuples())
                if len(differ) else ""))
    long = long.loc[~dup]
    obs = pd.DataFrame({"iso3": long["iso3"], "year": long["year"],
                        "indicator": _indicator_of("CPI score (0-10)"),
                        "breakdown": "total", "group": "all", "value": long["value"]})
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def read_datapackage(path: str | Path) -> pd.DataFrame:
    """``datapackage.json`` -> one row per resource: name, path, declared encoding, fields.

    Kept so that every file of the folder is read by some reader; the declared encoding is
    reported as published (utf-8), though the CSV itself is Windows-1252.
    """
    path = Path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceFormatError(path, "file", "an existing file", found="no such file") from None
    except json.JSONDecodeError as exc:
        raise SourceFormatError(path, f"line {exc.lineno} column {exc.colno}", "JSON",
                                found=exc.msg) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("resources"), list):
        raise SourceFormatError(path, "key 'resources'", "a list of resources",
                                found=type(meta.get("resources") if isinstance(meta, dict)
                                           else meta).__name__)
    rows = []
    for i, res in enumerate(meta["resources"]):
        fields = res.get("schema", {}).get("fields", [])
        rows.append({"resource": res.get("name", f"resource {i}"), "path": res.get("path", ""),
                     "declared_encoding": res.get("encoding", ""),
                     "n_fields": len(fields),
                     "fields": ",".join(str(f.get("name", "")) for f in fields)})
    return pd.DataFrame(rows, columns=["resource", "path", "declared_encoding", "n_fields",
                                       "fields"])
