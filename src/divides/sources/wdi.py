"""World Bank World Development Indicators: bulk-API CSVs and DataBank exports.

Layouts handled:

* API CSV (``API_<code>_DS2_en_csv_v2_<n>.csv``): UTF-8 with BOM, 4 preamble lines before
  the header, a trailing comma on every line (an empty last column), years 1960.. as
  columns, missing = empty; aggregates (``WLD``, ``ARB``...) mixed in with countries.
* The bulk file ``WDICSV.csv`` (all indicators, no preamble): same columns; only the
  catalogue's series are kept, read in chunks so that memory stays bounded.
* DataBank export: ``Country Name, Country Code, Series Name, Series Code, 1991 [YR1991]..``,
  missing = ``..``, 5 footer lines (3 empty, "Data from database", "Last Updated").
* ``Metadata_Country_*.csv``: region and income group per code (read by
  :func:`read_country_metadata`; empty region = aggregate).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from divides import catalogue
from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport
from divides.sources import _common as c
from divides.sources import _wbapi

SOURCE = "wdi"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("wb_wdi/api_csv/API_*.csv", "wb_wdi/databank_extract/*.csv", "wb_wdi/bulk/WDICSV.csv",
            "wb_wdi/api_v2_json/*.json", "wb_wdi/api_zip/*.zip")
OTHER_PATTERNS = {
    "wb_wdi/api_csv/Metadata_Country_*.csv": "read_country_metadata",
    "wb_wdi/api_csv/Metadata_Indicator_*.csv": "read_indicator_metadata",
    # the API ZIPs carry both metadata files beside their data member
    "wb_wdi/api_zip/*.zip": ("read_country_metadata", "read_indicator_metadata"),
}

ID_COLUMNS_API = ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
ID_COLUMNS_DATABANK = ["Country Name", "Country Code", "Series Name", "Series Code"]
FOOTER_PREFIXES = ("Data from database", "Last Updated")


def _sniff(path: Path) -> str:
    """'api' (preamble), 'bulk' (header first, Indicator Code) or 'databank' (Series Code)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise SourceFormatError(path, "file", "a WDI CSV", found="an empty file")
    text = head.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text.splitlines() else ""
    if first.startswith(('"Data Source"', "Data Source")):
        return "api"
    if "Series Code" in first:
        return "databank"
    if "Indicator Code" in first:
        return "bulk"
    raise SourceFormatError(
        path, "line 1", "a WDI API preamble ('\"Data Source\",\"World Development Indicators\"'),"
        " or a header with 'Indicator Code' or 'Series Code'", found=repr(first[:80]))


_LAST_UPDATED = re.compile(rb'"?Last Updated Date"?,\s*"?([^",\r\n]*)"?')


def _api_release(head: bytes, path: Path) -> str:
    """The edition of an API CSV: its preamble's ``"Last Updated Date"`` (ISO date)."""
    m = _LAST_UPDATED.search(head)
    if m is None:
        raise SourceFormatError(path, "preamble", 'a "Last Updated Date" line (the edition)',
                                found="none in the first lines")
    return c.iso_date(m.group(1).decode("utf-8", "replace"), path)


def _series_map() -> dict[str, tuple[str, str, str]]:
    cat = catalogue.for_source(SOURCE)
    return {code: (ind, b, g) for code, ind, b, g in
            zip(cat["publisher_code"], cat["indicator"], cat["breakdown"], cat["group"])}


def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read one WDI file into observations and a read report."""
    path = Path(path)
    if path.suffix.casefold() == ".json":
        report = ReadReport(SOURCE, path.name)
        series = {code.casefold(): v for code, v in _series_map().items()}
        obs = _wbapi.to_observations(path, SOURCE, series, report)
        report.rows_kept += len(obs)
        return c.finish(obs, report, path)
    if path.suffix.casefold() == ".zip":
        return read_zip(path)
    kind = _sniff(path)
    if kind == "api":
        frame = c.read_csv_checked(path, skiprows=4, encoding="utf-8-sig")
        report = ReadReport(SOURCE, path.name, release=_api_release(path.read_bytes()[:2048],
                                                                    path))
        return _from_wide(frame, path, ID_COLUMNS_API, "Indicator Code", report=report,
                          thousands=False)
    if kind == "bulk":
        return read_bulk(path)
    frame = c.read_csv_checked(path, encoding="utf-8-sig")
    return _from_wide(frame, path, ID_COLUMNS_DATABANK, "Series Code")


def read_zip(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """A World Bank bulk indicator ZIP (``...?downloadformat=csv``): its one
    ``API_<code>_DS2_...csv`` member, read like the extracted file (the ``Metadata_*``
    members beside it are not observations)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist()
                       if Path(n).name.startswith("API_") and n.casefold().endswith(".csv")]
            if len(members) != 1:
                raise SourceFormatError(path, "archive members", "exactly one API_<code>_DS2_"
                                        "...csv", found=f"{archive.namelist()}")
            data = c.read_member(path, archive, members[0])
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(path, "file", "a ZIP archive", found=str(exc)) from None
    try:
        frame = pd.read_csv(io.BytesIO(data), skiprows=4, encoding="utf-8-sig", dtype=str,
                            keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SourceFormatError(path, f"member {members[0]}", "a WDI API CSV (4-line "
                                "preamble, then the header)", found=str(exc).strip()) from None
    report = ReadReport(SOURCE, path.name, release=_api_release(data[:2048], path))
    report.notes.append(f"read archive member {members[0]}")
    return _from_wide(frame, path, ID_COLUMNS_API, "Indicator Code", report=report,
                      thousands=False)


def _from_wide(frame: pd.DataFrame, path: Path, id_cols: list[str], code_col: str,
               report: ReadReport | None = None,
               harmoniser: Harmoniser | None = None, thousands: bool = True
               ) -> tuple[pd.DataFrame, ReadReport]:
    c.require_columns(frame, id_cols, path)
    report = report or ReadReport(SOURCE, path.name)
    harmoniser = harmoniser or Harmoniser(SOURCE)
    years = c.year_columns(frame.columns)
    if not years:
        raise SourceFormatError(path, "header", "year columns such as '2020' or '2020 [YR2020]'",
                                found=f"columns {list(frame.columns)[:8]}")
    # Trailing-comma column (``Unnamed: 69``) must be empty; anything else is unexpected.
    extra = [col for col in frame.columns if col not in id_cols and col not in years]
    for col in extra:
        if not str(col).startswith("Unnamed") or (frame[col].str.strip() != "").any():
            raise SourceFormatError(path, f"column {col!r}", "only ID and year columns "
                                    "(plus the empty trailing-comma column)",
                                    found="an unexpected non-empty column")

    # Footer lines: empty code and name, or "Data from database..." / "Last Updated...".
    name = frame["Country Name"].str.strip()
    footer = (frame["Country Code"].str.strip() == "") & (
        (name == "") | name.str.startswith(FOOTER_PREFIXES))
    report.rows_read += int(footer.sum())
    report.drop("footer", int(footer.sum()))
    stamp = name[footer & name.str.startswith("Last Updated")]
    if len(stamp) and not report.release:  # DataBank: "Last Updated: 05/25/2022"
        report.release = c.iso_date(stamp.iloc[0].split(":", 1)[-1], path)
    frame = frame.loc[~footer]

    long = frame.melt(id_vars=id_cols, value_vars=list(years), var_name="year_col",
                      value_name="raw")
    long["row"] = long.index % max(len(frame), 1)
    report.rows_read += len(long)

    series = _series_map()
    in_cat = long[code_col].isin(series)
    report.drop_not_in_catalogue(long.loc[~in_cat, code_col])
    long = long.loc[in_cat]

    long = c.resolve_countries(long, harmoniser, report, path, code_col="Country Code")
    values, missing = c.parse_values(long["raw"], path, column_of=long["year_col"],
                                     row_of=(long["row"] + 1).map("data row {}".format),
                                     thousands=thousands)
    report.drop("missing", int(missing.sum()))
    long = long.loc[~missing].assign(value=values[~missing])
    mapped = long[code_col].map(series)
    obs = pd.DataFrame({
        "iso3": long["iso3"],
        "year": long["year_col"].map(years).astype("int64"),
        "indicator": mapped.str[0],
        "breakdown": mapped.str[1],
        "group": mapped.str[2],
        "value": long["value"],
    })
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def read_bulk(path: str | Path, chunksize: int = 20_000) -> tuple[pd.DataFrame, ReadReport]:
    """Read the all-indicator bulk ``WDICSV.csv`` keeping only catalogue series.

    The file is streamed in chunks and each chunk is filtered on ``Indicator Code``
    before melting, so peak memory is a chunk plus the kept rows (see benchmarks/).
    """
    path = Path(path)
    report = ReadReport(SOURCE, path.name)
    harmoniser = Harmoniser(SOURCE)
    series = _series_map()
    kept = []
    try:
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                             chunksize=chunksize)
        for chunk in reader:
            c.require_columns(chunk, ID_COLUMNS_API, path)
            years = c.year_columns(chunk.columns)
            wanted = chunk["Indicator Code"].isin(series)
            report.rows_read += int((~wanted).sum()) * len(years)
            report.drop_not_in_catalogue(chunk.loc[~wanted, "Indicator Code"],
                                         n=int((~wanted).sum()) * len(years))
            kept.append(chunk.loc[wanted])
    except pd.errors.ParserError as exc:
        raise SourceFormatError(path, "file", "a CSV table", found=str(exc).strip()) from None
    frame = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=ID_COLUMNS_API)
    return _from_wide(frame, path, ID_COLUMNS_API, "Indicator Code", report, harmoniser,
                      thousands=False)


def _metadata_csv(path: Path, prefix: str) -> pd.DataFrame:
    """A ``Metadata_*`` CSV as text columns: the file itself, or the ZIP member whose name
    starts with ``prefix`` (``Metadata_Country_``, ``Metadata_Indicator_``)."""
    if path.suffix.casefold() != ".zip":
        return c.read_csv_checked(path, encoding="utf-8-sig")
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if Path(n).name.startswith(prefix)]
            if len(members) != 1:
                raise SourceFormatError(path, "archive members", f"exactly one {prefix}...csv",
                                        found=f"{archive.namelist()}")
            data = c.read_member(path, archive, members[0])
    except zipfile.BadZipFile as exc:
        raise SourceFormatError(path, "file", "a ZIP archive", found=str(exc)) from None
    try:
        return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str,
                           keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SourceFormatError(path, f"member {members[0]}", "a CSV",
                                found=str(exc).strip()) from None


def read_country_metadata(path: str | Path) -> pd.DataFrame:
    """``Metadata_Country`` (a CSV or a bulk ZIP's member) -> iso3, region, income_group for
    economies (aggregates out).

    Aggregates are recognised by code (their Region is blank too). A country whose Region
    is blank keeps its row with region and income_group missing (NaN), so that the build
    can count and warn about it instead of dropping it from regional samples unseen; a
    blank IncomeGroup beside a Region is the World Bank's "Unclassified" (Venezuela).
    """
    path = Path(path)
    frame = _metadata_csv(path, "Metadata_Country_")
    c.require_columns(frame, ["Country Code", "Region", "IncomeGroup"], path)
    resolved = Harmoniser(SOURCE).resolve_codes(frame["Country Code"])
    frame = frame.assign(iso3=resolved["iso3"]).dropna(subset=["iso3"])
    region = frame["Region"].str.strip()
    blank = region == ""
    income = frame["IncomeGroup"].str.strip().replace("", "Unclassified")
    return pd.DataFrame({
        "iso3": frame["iso3"].astype(str),
        "region": region.mask(blank),
        "income_group": income.mask(blank & (frame["IncomeGroup"].str.strip() == "")),
    }).sort_values("iso3").reset_index(drop=True)


def read_indicator_metadata(path: str | Path) -> pd.DataFrame:
    """``Metadata_Indicator`` (a CSV or a bulk ZIP's member) -> the publisher's definition
    and source note per series."""
    path = Path(path)
    frame = _metadata_csv(path, "Metadata_Indicator_")
    c.require_columns(frame, ["INDICATOR_CODE", "INDICATOR_NAME", "SOURCE_NOTE",
                              "SOURCE_ORGANIZATION"], path)
    return pd.DataFrame({
        "publisher_code": frame["INDICATOR_CODE"].str.strip(),
        "publisher_name": frame["INDICATOR_NAME"].str.strip(),
        "definition": frame["SOURCE_NOTE"].str.strip(),
        "source_organization": frame["SOURCE_ORGANIZATION"].str.strip(),
    })
