"""World Bank Global Findex: DataBank exports (xlsx workbook and wide CSV).

Layouts handled:

* DataBank workbook ``Data_Extract_From_Global_Financial_Inclusion.xlsx`` (Findex 2021
  release), sheet ``Data``: ``Country Name, Country Code, Series Name, Series Code,
  2011 [YR2011]..``; missing = ``..``; 5 footer rows (3 empty, "Data from database",
  "Last Updated"). Group breakdowns are separate series whose code carries a suffix
  (``fin14a.t.d.1`` = female): see ``data/findex_groups.csv``, layout ``databank``.
* Wide DataBank CSV ``made_or_received_digitalpayments.csv`` (Findex 2017 release):
  UTF-8 with BOM, one column per series and year, named
  ``<series name> [<code>] - 2017 [YR2017]``; same missing marker and footer.
* ``*_Metadata.xlsx``: income group, region and ISO2 code per economy
  (:func:`read_country_metadata`); the ``Series - Metadata`` sheet of either workbook
  gives the publisher's names and definitions (:func:`read_series_metadata`).

SEX SUFFIXES DIFFER BETWEEN THE TWO FILES -- decided per file layout, from the data:

* xlsx (2022 export): ``.1`` = female, ``.2`` = male. The series names say so
  ("..., female (% age 15+)" on ``fin14a.t.d.1``) and the SOURCES.md check agrees
  (Kenya 2021 female 37.6 on ``.1``, male 52.6 on ``.2``).
* wide CSV (2018 export): ``[g20.t.2]`` = female, ``[g20.t.1]`` = male. The column
  names say so and the check agrees (Kenya 2017 female 74.7 on ``.2``, male 83.7 on ``.1``).

So the suffix map is chosen by layout (``databank`` or ``wide_2018`` in
``findex_groups.csv``) and, for every group series, the label in the publisher's
series name (", female", ", rural", ...) must match the mapped group: a mismatch
raises instead of silently swapping women and men.

Series codes ending in ``.s`` give a share of a subgroup (e.g. "% with an account")
rather than of adults 15+: dropped as ``out_of_scope`` and counted. Codes carrying a
questionnaire year (``fin5.2017.d``, ``fin34c.2014``) are distinct series: kept as
their own indicator when catalogued, else ``not_in_catalogue``; the report notes them.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from divides import catalogue, config
from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport
from divides.sources import _common as c

SOURCE = "findex"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("wb_findex/Data_Extract_From_*Inclusion.xlsx", "wb_findex/*.csv")
OTHER_PATTERNS = {
    "wb_findex/*_Metadata.xlsx": "read_country_metadata",
    # the same workbook's other sheet (a second glob, as a dict holds one reader per glob)
    "wb_findex/*Inclusion_Metadata.xlsx": "read_series_metadata",
}

ID_COLUMNS = ["Country Name", "Country Code", "Series Name", "Series Code"]
WIDE_ID_COLUMNS = ["Country Name", "Country Code"]
FOOTER_PREFIXES = ("Data from database", "Last Updated")
GROUPS_CSV = config.PACKAGE_DATA_DIR / "findex_groups.csv"
#: ``<series name> [<code>] - 2017 [YR2017]`` (the name may hold commas and newlines).
WIDE_COLUMN_RE = re.compile(
    r"^(?P<name>.*?)\s*\[(?P<code>[^\[\]]+)\]\s*-\s*(?P<year>\d{4})\s*\[YR\d{4}\]\s*$",
    re.DOTALL)
GROUP_SUFFIX_RE = re.compile(r"^(?P<stem>.+)\.(?P<suffix>\d{1,2})$")
YEAR_VARIANT_RE = re.compile(r"\.(?:19|20)\d\d(?:\.|$)")
#: calamine reads the 27k-row Data sheet in 0.3 s, openpyxl in 1.4 s (same values).
EXCEL_ENGINE = "calamine" if importlib.util.find_spec("python_calamine") else None


@lru_cache(maxsize=1)
def group_table() -> pd.DataFrame:
    """The code-suffix -> (breakdown, group) maps per file layout."""
    return pd.read_csv(GROUPS_CSV, dtype=str, keep_default_na=False)


def suffix_map(layout: str) -> dict[str, tuple[str, str, str]]:
    """``{"1": ("sex", "female", "female"), ...}`` (breakdown, group, label) for a layout."""
    table = group_table()
    table = table[table["layout"] == layout]
    if table.empty:
        raise ValueError(f"{GROUPS_CSV.name}: no rows for layout {layout!r}")
    return {s: (b, g, lab) for s, b, g, lab in
            zip(table["suffix"], table["breakdown"], table["group"], table["label"])}


def _base_codes() -> dict[str, str]:
    cat = catalogue.for_source(SOURCE)
    return dict(zip(cat["publisher_code"], cat["indicator"]))


def classify_codes(codes: pd.Series, names: pd.Series, layout: str, path: Path
                   ) -> pd.DataFrame:
    """Per series code: indicator, breakdown, group, or the drop reason.

    Returns a frame indexed like ``codes`` with columns ``indicator``, ``breakdown``,
    ``group`` and ``reason`` (None when kept). A group label that contradicts the
    series name raises :class:`SourceFormatError`.
    """
    bases = _base_codes()
    groups = suffix_map(layout)
    out = {"indicator": [], "breakdown": [], "group": [], "reason": []}
    cache: dict[tuple[str, str], tuple] = {}
    for code, name in zip(codes.astype(str).str.strip(), names.astype(str)):
        key = (code, name)
        if key not in cache:
            cache[key] = _classify_one(code, name, bases, groups, layout, path)
        for col, val in zip(out, cache[key]):
            out[col].append(val)
    return pd.DataFrame(out, index=codes.index)


def _classify_one(code, name, bases, groups, layout, path):
    if code.endswith(".s"):
        return None, None, None, "out_of_scope"
    if code in bases:
        return bases[code], "total", "all", None
    m = GROUP_SUFFIX_RE.match(code)
    if m and m.group("stem") in bases:
        suffix = m.group("suffix")
        if suffix not in groups:
            raise SourceFormatError(path, f"series {code!r}", f"a group suffix listed in "
                                    f"{GROUPS_CSV.name} for layout {layout!r} "
                                    f"({sorted(groups, key=int)})", found=f".{suffix}")
        breakdown, group, label = groups[suffix]
        text = " ".join(name.split()).casefold()
        if f", {label.casefold()}" not in text:
            raise SourceFormatError(path, f"series {code!r}", f"a series name labelled "
                                    f"{label!r} (suffix .{suffix} = {breakdown}/{group} in "
                                    f"layout {layout!r})", found=repr(name[:120]))
        return bases[m.group("stem")], breakdown, group, None
    return None, None, None, "not_in_catalogue"


def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read one Findex file (DataBank workbook or wide CSV) into observations and a report."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls"):
        return _read_workbook(path)
    if path.suffix.lower() == ".csv":
        return _read_wide_csv(path)
    raise SourceFormatError(path, "file", "a Findex DataBank export (.xlsx or .csv)",
                            found=f"a {path.suffix or 'suffix-less'} file")


def _read_workbook(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    try:
        raw = c.read_excel_checked(path, "Data", engine=EXCEL_ENGINE)
    except SourceFormatError as exc:
        if exc.where == "sheet 'Data'" and "Country - Metadata" in (exc.found or ""):
            raise SourceFormatError(path, exc.where, "present (this is the metadata workbook: "
                                    "read it with read_country_metadata)", found=exc.found
                                    ) from None
        raise
    header = _cells(raw.iloc[0]) if len(raw) else []
    if not all(col in header for col in ID_COLUMNS):
        raise SourceFormatError(path, "sheet 'Data' row 1", f"the DataBank header {ID_COLUMNS} "
                                "+ year columns", found=f"{header[:8]}")
    frame = raw.iloc[1:].copy()
    frame.columns = header
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # Excel row numbers, for messages
    for col in ID_COLUMNS:
        frame[col] = frame[col].map(lambda v: "" if pd.isna(v) else str(v).strip())
    years = c.year_columns(frame.columns)
    if not years:
        raise SourceFormatError(path, "sheet 'Data' row 1", "year columns such as "
                                "'2021 [YR2021]'", found=f"columns {header[:8]}")
    extra = [col for col in frame.columns if col not in ID_COLUMNS and col not in years]
    for col in extra:
        if col != "" or frame[col].notna().any():
            raise SourceFormatError(path, f"sheet 'Data' column {col!r}", "only the DataBank ID "
                                    "and year columns", found="an unexpected column")
    report = ReadReport(SOURCE, path.name)
    frame = _drop_footer(frame, report)

    long = frame.melt(id_vars=ID_COLUMNS, value_vars=list(years), var_name="year_col",
                      value_name="raw", ignore_index=False)
    long["row"] = long.index
    long = long.reset_index(drop=True)
    report.rows_read += len(long)
    return _finish_long(long, path, report, layout="databank", years=years)


def _read_wide_csv(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    frame = c.read_csv_checked(path, encoding="utf-8-sig")
    c.require_columns(frame, WIDE_ID_COLUMNS, path)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # file line numbers (header = line 1)
    spec = {}
    for col in frame.columns:
        if col in WIDE_ID_COLUMNS:
            continue
        m = WIDE_COLUMN_RE.match(str(col))
        if not m:
            raise SourceFormatError(path, f"header: column {str(col)[:90]!r}", "'<series name> "
                                    "[<series code>] - <year> [YR<year>]'", found="another name")
        spec[col] = (m.group("name"), m.group("code").strip(), int(m.group("year")))
    if not spec:
        raise SourceFormatError(path, "header", "series-year columns such as '... [g20.t] - "
                                "2017 [YR2017]'", found=f"columns {list(frame.columns)[:8]}")
    report = ReadReport(SOURCE, path.name)
    frame = _drop_footer(frame, report)
    long = frame.melt(id_vars=WIDE_ID_COLUMNS, value_vars=list(spec), var_name="column",
                      value_name="raw", ignore_index=False)
    long["row"] = long.index
    long = long.reset_index(drop=True)
    long["Series Name"] = long["column"].map(lambda k: spec[k][0])
    long["Series Code"] = long["column"].map(lambda k: spec[k][1])
    long["year_col"] = long["column"].map(lambda k: spec[k][2])
    report.rows_read += len(long)
    return _finish_long(long, path, report, layout="wide_2018",
                        years={y: y for y in long["year_col"].unique()})


def _drop_footer(frame: pd.DataFrame, report: ReadReport) -> pd.DataFrame:
    """Footer lines (empty code, and empty name or a DataBank note) are one record each."""
    code = frame["Country Code"].astype(str).str.strip()
    name = frame["Country Name"].astype(str).str.strip()
    footer = (code == "") & ((name == "") | name.str.startswith(FOOTER_PREFIXES))
    report.rows_read += int(footer.sum())
    report.drop("footer", int(footer.sum()))
    return frame.loc[~footer]


def _finish_long(long: pd.DataFrame, path: Path, report: ReadReport, layout: str,
                 years: dict) -> tuple[pd.DataFrame, ReadReport]:
    classes = classify_codes(long["Series Code"], long["Series Name"], layout, path)
    variant = long["Series Code"].astype(str).str.contains(YEAR_VARIANT_RE)
    if variant.any():
        kept_variant = variant & classes["reason"].isna()
        report.notes.append(
            f"{int(variant.sum())} records of questionnaire-year series codes "
            f"({', '.join(sorted(long.loc[variant, 'Series Code'].unique())[:6])}...): "
            f"{int(kept_variant.sum())} of them belong to a catalogue indicator of their own, "
            "the others are out_of_scope (.s) or not_in_catalogue")
    for reason, n in classes["reason"].value_counts().items():
        report.drop(reason, int(n))
    keep = classes["reason"].isna()
    long = pd.concat([long.loc[keep], classes.loc[keep, ["indicator", "breakdown", "group"]]],
                     axis=1)

    harmoniser = Harmoniser(SOURCE)
    long = c.resolve_countries(long, harmoniser, report, path, code_col="Country Code",
                               name_col="Country Name")
    values, missing = c.parse_values(long["raw"], path, column_of=long["year_col"],
                                     row_of=long["row"])
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing].assign(value=values[~missing])
    obs = pd.DataFrame({
        "iso3": long["iso3"],
        "year": long["year_col"].map(years).astype("int64"),
        "indicator": long["indicator"],
        "breakdown": long["breakdown"],
        "group": long["group"],
        "value": long["value"],
    })
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def read_country_metadata(path: str | Path) -> pd.DataFrame:
    """``Country - Metadata`` sheet -> iso3, iso2, region, income_group per economy."""
    path = Path(path)
    raw = c.read_excel_checked(path, "Country - Metadata", engine=EXCEL_ENGINE)
    frame = _header_first(raw, path, "Country - Metadata",
                          ["Code", "Income Group", "Region", "2-alpha code"])
    frame = frame[frame["Code"] != ""]
    resolved = Harmoniser(SOURCE).resolve_codes(frame["Code"])
    bad = resolved["reason"] == "unmapped_name"
    if bad.any():
        raise SourceFormatError(path, "sheet 'Country - Metadata' column 'Code'",
                                "World Bank economy codes accepted by countries.csv",
                                found=f"{sorted(frame.loc[bad, 'Code'])}")
    keep = resolved["reason"].isna()
    frame = frame.loc[keep].assign(iso3=resolved.loc[keep, "iso3"])
    return pd.DataFrame({
        "iso3": frame["iso3"].astype(str),
        "iso2": frame["2-alpha code"],
        "region": frame["Region"],
        "income_group": frame["Income Group"].replace("", "Unclassified"),
    }).sort_values("iso3").reset_index(drop=True)


def read_series_metadata(path: str | Path) -> pd.DataFrame:
    """``Series - Metadata`` sheet -> publisher_code, publisher_name, definition, licence."""
    path = Path(path)
    raw = c.read_excel_checked(path, "Series - Metadata", engine=EXCEL_ENGINE)
    frame = _header_first(raw, path, "Series - Metadata",
                          ["Code", "Indicator Name", "Long definition", "License Type"])
    frame = frame[frame["Code"] != ""]
    return pd.DataFrame({
        "publisher_code": frame["Code"],
        "publisher_name": frame["Indicator Name"],
        "definition": frame["Long definition"],
        "licence": frame["License Type"],
    }).reset_index(drop=True)


def _cells(row: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(v).strip() for v in row.tolist()]


def _header_first(raw: pd.DataFrame, path: Path, sheet: str, required: list[str]
                  ) -> pd.DataFrame:
    """A sheet whose first row is the header, as stripped strings."""
    header = _cells(raw.iloc[0]) if len(raw) else []
    frame = raw.iloc[1:].copy()
    frame.columns = header
    c.require_columns(frame, required, path, where=f"sheet {sheet!r} row 1")
    return frame[required].map(lambda v: "" if pd.isna(v) else str(v).strip())
