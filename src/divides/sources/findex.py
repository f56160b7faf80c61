"""World Bank Global Findex: DataBank exports (xlsx workbook and wide CSV).

Layouts handled:

* DataBank workbook ``Data_Extract_From_Global_Financial_Inclusion.xlsx`` (Findex 2021
  release), sheet ``Data``: ``Country Name, Country Code, Series Name, Series Code,
  2011 [YR2011]..``; missing = ``..``; 5 footer rows (3 empty, "Data from database",
  "Last Updated"). Group breakdowns are separate series whose code carries a suffix
  (``fin14a.t.d.1`` = female): see ``data/build/findex_groups.csv``, layout ``databank``.
* Wide DataBank CSV ``made_or_received_digitalpayments.csv`` (Findex 2017 release):
  UTF-8 with BOM, one column per series and year, named
  ``<series name> [<code>] - 2017 [YR2017]``; same missing marker and footer.
* World Bank API v2 JSON (``wb_findex/api_v2_json/*.json``, ``divides fetch`` from the
  publisher: ``FX.OWN.TOTL.ZS`` and its ``.FE``/``.MA`` variants, WDI source 2): parsed by
  :mod:`divides.sources._wbapi`; each code's breakdown and group are in the catalogue.
* The Global Findex Database 2025 CSV (``GlobalFindexDatabase2025.csv``): one row per
  economy, wave and group (``countrynewwb, codewb, year, group, group2, ...`` then one
  column per indicator, named by the DataBank code with ``.`` as ``_``: ``fin14b.t.d`` ->
  ``fin14b_t_d``), values as shares 0-1 (x 100 here; a value above 1 raises). Only the
  (group, group2) pairs listed in ``data/build/findex_database_groups.csv`` are read; any other
  pair is counted ``unknown_group`` and named in the report, never guessed. No real copy
  is available to this project's tests (17.6 MB): the layout is from public code that
  reads the file, and the tests use a file written in that layout.
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
from divides.sources import _wbapi

SOURCE = "findex"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("wb_findex/Data_Extract_From_*Inclusion.xlsx", "wb_findex/*.csv",
            "wb_findex/api_v2_json/*.json")
OTHER_PATTERNS = {
    "wb_findex/*_Metadata.xlsx": "read_country_metadata",
    # the same workbook's other sheet (a second glob, as a dict holds one reader per glob)
    "wb_findex/*Inclusion_Metadata.xlsx": "read_series_metadata",
}

ID_COLUMNS = ["Country Name", "Country Code", "Series Name", "Series Code"]
WIDE_ID_COLUMNS = ["Country Name", "Country Code"]
FOOTER_PREFIXES = ("Data from database", "Last Updated")
GROUPS_CSV = config.FINDEX_GROUPS_CSV
DATABASE_GROUPS_CSV = config.FINDEX_DATABASE_GROUPS_CSV
#: Identifying columns of the Findex 2025 database CSV.
DATABASE_ID_COLUMNS = ["countrynewwb", "codewb", "year", "group", "group2"]
#: Fieldwork years that belong to an earlier wave (the 2021 wave ran into 2022 in some
#: economies; DataBank labels those observations 2021).
DATABASE_WAVE_OF_YEAR = {2022: 2021}
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
    if path.suffix.lower() == ".json":
        return _read_api(path)
    if path.suffix.lower() == ".csv":
        header = c.read_csv_checked(path, encoding="utf-8-sig", nrows=0).columns
        if "codewb" in header:
            return _read_database(path)
        return _read_wide_csv(path)
    raise SourceFormatError(path, "file", "a Findex DataBank export (.xlsx or .csv), the "
                            "Findex database CSV or a World Bank API JSON response",
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
    frame = _drop_footer(frame, report, path)

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
    frame = _drop_footer(frame, report, path)
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


def _drop_footer(frame: pd.DataFrame, report: ReadReport, path: Path) -> pd.DataFrame:
    """Footer lines (empty code, and empty name or a DataBank note) are one record each;
    DataBank's ``Last Updated: 06/28/2022`` is the file's edition (``report.release``)."""
    code = frame["Country Code"].astype(str).str.strip()
    name = frame["Country Name"].astype(str).str.strip()
    footer = (code == "") & ((name == "") | name.str.startswith(FOOTER_PREFIXES))
    report.rows_read += int(footer.sum())
    report.drop("footer", int(footer.sum()))
    stamp = name[footer & name.str.startswith("Last Updated")]
    if len(stamp) and not report.release:
        report.release = c.iso_date(stamp.iloc[0].split(":", 1)[-1], path)
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


def _read_api(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """World Bank API v2 JSON (``FX.*`` codes): breakdown and group from the catalogue."""
    cat = catalogue.for_source(SOURCE)
    explicit = cat[cat["breakdown"] != "*"]
    series = {code.casefold(): (ind, b, g) for code, ind, b, g in
              zip(explicit["publisher_code"], explicit["indicator"], explicit["breakdown"],
                  explicit["group"])}
    report = ReadReport(SOURCE, path.name)
    obs = _wbapi.to_observations(path, SOURCE, series, report)
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


@lru_cache(maxsize=1)
def database_groups() -> dict[tuple[str, str], tuple[str, str]]:
    """``{(group, group2): (breakdown, group)}`` of the Findex database CSV."""
    table = pd.read_csv(DATABASE_GROUPS_CSV, dtype=str, keep_default_na=False)
    return {(a.casefold(), b.casefold()): (br, g) for a, b, br, g in
            zip(table["group"], table["group2"], table["breakdown"], table["our_group"])}


def _read_database(path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """The Global Findex Database CSV (one row per economy, wave and group)."""
    frame = c.read_csv_checked(path, encoding="utf-8-sig")
    c.require_columns(frame, DATABASE_ID_COLUMNS, path)
    bases = {code.replace(".", "_").casefold(): ind for code, ind in _base_codes().items()}
    value_cols = {col: bases[col.casefold()] for col in frame.columns
                  if col.casefold() in bases}
    if not value_cols:
        raise SourceFormatError(path, "header", "at least one catalogued indicator column "
                                f"(e.g. {sorted(bases)[:4]})",
                                found=f"columns {list(frame.columns)[:10]}")
    frame["line"] = range(2, len(frame) + 2)  # file line numbers (header = line 1)
    ids = DATABASE_ID_COLUMNS + ["line"] + (["regionwb24_hi"] if "regionwb24_hi" in frame
                                            else [])
    long = frame.melt(id_vars=ids, value_vars=list(value_cols), var_name="column",
                      value_name="raw")
    report = ReadReport(SOURCE, path.name)
    report.rows_read += len(long)
    if "regionwb24_hi" in long.columns:  # aggregates (world, regions) carry no region
        aggregate = long["regionwb24_hi"].str.strip() == ""
        report.drop("aggregate", int(aggregate.sum()))
        long = long.loc[~aggregate].reset_index(drop=True)
    pairs = list(zip(long["group"].str.strip().str.casefold(),
                     long["group2"].str.strip().str.casefold()))
    known = database_groups()
    mapped = pd.Series([known.get(p, known.get((p[0], "*"))) for p in pairs],
                       index=long.index, dtype=object)
    unknown = mapped.isna()
    report.drop("unknown_group", int(unknown.sum()))
    if unknown.any():
        names = sorted({f"{g}/{g2}" for (g, g2), u in zip(pairs, unknown) if u})
        report.notes.append(f"groups not in {DATABASE_GROUPS_CSV.name} (not read): "
                            + ", ".join(names))
    long, mapped = long.loc[~unknown], mapped.loc[~unknown]
    long = long.assign(breakdown=[m[0] for m in mapped], bgroup=[m[1] for m in mapped],
                       indicator=long["column"].map(value_cols)).reset_index(drop=True)
    long = c.resolve_countries(long, Harmoniser(SOURCE), report, path, code_col="codewb",
                               name_col="countrynewwb")
    text = long["raw"].str.strip()
    missing = text == ""
    report.drop("missing", int(missing.sum()))
    long, text = long.loc[~missing], text.loc[~missing]
    share = pd.to_numeric(text, errors="coerce")
    bad = share.isna() | (share < 0) | (share > 1)
    if bad.any():
        i = bad[bad].index[0]
        raise SourceFormatError(path, f"line {long.at[i, 'line']} column "
                                f"{long.at[i, 'column']!r}", "a share between 0 and 1 (the "
                                "database publishes shares, not percent)",
                                found=repr(long.at[i, "raw"]))
    year = c.parse_years(long["year"], path, "line " + long["line"].astype(str)
                         + " column 'year'")
    shifted = year.isin(list(DATABASE_WAVE_OF_YEAR))
    if shifted.any():
        report.notes.append(f"{int(shifted.sum())} values with fieldwork year "
                            f"{sorted(set(year[shifted]))} labelled with their wave "
                            f"{DATABASE_WAVE_OF_YEAR}")
    year = year.replace(DATABASE_WAVE_OF_YEAR)
    obs = pd.DataFrame({"iso3": long["iso3"], "year": year, "indicator": long["indicator"],
                        "breakdown": long["breakdown"], "group": long["bgroup"],
                        "value": (share * 100).round(10)})
    if len(year):
        report.release = str(int(year.max()) + 1)
        report.notes.append(f"release: Findex database, latest wave {int(year.max())}")
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)
