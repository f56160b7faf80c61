"""World Bank Data360 CSVs, the channel through which EGOV and ITU series are now also
distributed: one parser for both of its layouts, used by the publishers' modules.

* ``WIDEF`` (wide): ``FREQ, FREQ_LABEL, REF_AREA, REF_AREA_LABEL, INDICATOR, ...,
  UNIT_MULT, ..., OBS_CONF_LABEL`` then one column per year (``2003, 2004, ...``);
* long, SDMX-style: ``STRUCTURE, STRUCTURE_ID (WB.DATA360:DS_DATA360(1.2)), ACTION, FREQ,
  ..., REF_AREA, ..., INDICATOR, ..., SEX, AGE, URBANISATION, ..., TIME_PERIOD, OBS_VALUE``.

Dimensions (``SEX``, ``AGE``, ``URBANISATION``; ``_T`` = total) become the observation's
breakdown and group through ``data/build/data360_dimensions.csv``; an unknown code is an error
naming the line, never a silently new group. ``REF_AREA`` is ISO3. Values are multiplied
by ``10 ** UNIT_MULT`` (0 in every file seen: units). Layouts are told from the header.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from divides import catalogue, config
from divides.errors import SourceFormatError
from divides.sources import _common as c

WIDE_ID_COLUMNS = ["FREQ", "REF_AREA", "REF_AREA_LABEL", "INDICATOR", "UNIT_MULT"]
LONG_ID_COLUMNS = ["STRUCTURE_ID", "FREQ", "REF_AREA", "REF_AREA_LABEL", "INDICATOR",
                   "UNIT_MULT", "TIME_PERIOD", "OBS_VALUE"]
#: Dimensions in the order their breakdowns are joined when more than one is not total.
DIMENSIONS = ("URBANISATION", "SEX", "AGE")
#: Extra breakdown columns Data360 carries; only "not applicable" (``_Z``) is understood.
COMPOSITE_COLUMNS = ("COMP_BREAKDOWN_1", "COMP_BREAKDOWN_2", "COMP_BREAKDOWN_3")
TOTAL_CODES = {"_T", "_Z", ""}


@lru_cache(maxsize=1)
def dimension_codes() -> pd.DataFrame:
    """``data/build/data360_dimensions.csv``: (dimension, code) -> (breakdown, group)."""
    return pd.read_csv(config.DATA360_DIMENSIONS_CSV, dtype=str,
                       keep_default_na=False)


def layout(columns: list[str]) -> str | None:
    """``widef``, ``long`` or None (not a Data360 table)."""
    cols = set(columns)
    if set(LONG_ID_COLUMNS) <= cols:
        return "long"
    if set(WIDE_ID_COLUMNS) <= cols and c.year_columns(columns):
        return "widef"
    return None


def read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """A Data360 CSV -> (records, layout).

    One record per (row, year) cell of a wide file or per line of a long file, with
    ``ref_area, ref_area_label, indicator, year, raw, unit_mult, breakdown, group, row``
    (``row`` = "line N" of the file). Every header, frequency and dimension problem
    raises, naming the line and column.
    """
    frame = c.read_csv_checked(path, encoding="utf-8-sig")
    frame.columns = [str(col).strip() for col in frame.columns]
    kind = layout(list(frame.columns))
    if kind is None:
        raise SourceFormatError(path, "header", f"a Data360 table: {WIDE_ID_COLUMNS} and year "
                                f"columns (WIDEF) or {LONG_ID_COLUMNS} (long)",
                                found=f"columns {list(frame.columns)[:12]}")
    frame["row"] = [f"line {i}" for i in np.arange(len(frame)) + 2]
    _check_frequency(frame, path)
    breakdown, group = _breakdowns(frame, path)
    frame["breakdown"], frame["group"] = breakdown, group
    ids = ["REF_AREA", "REF_AREA_LABEL", "INDICATOR", "UNIT_MULT", "breakdown", "group", "row"]
    if kind == "widef":
        years = c.year_columns(frame.columns)
        long = frame.melt(id_vars=ids, value_vars=list(years), var_name="year_col",
                          value_name="raw")
        long["year"] = long["year_col"].map(years).astype("int64")
        long["row"] = long["row"] + " column " + long["year_col"].astype(str)
    else:
        long = frame[ids + ["TIME_PERIOD", "OBS_VALUE"]].rename(columns={"OBS_VALUE": "raw"})
        long["year"] = c.parse_years(long["TIME_PERIOD"].str.strip(), path,
                                     long["row"] + " column 'TIME_PERIOD'",
                                     expected="an annual period (four-digit year)")
    mult = pd.to_numeric(long["UNIT_MULT"].str.strip().replace("", "0"), errors="coerce")
    if mult.isna().any():
        r = long.loc[mult.isna()].iloc[0]
        raise SourceFormatError(path, f"{r['row']} column 'UNIT_MULT'", "a power of ten",
                                found=repr(r["UNIT_MULT"]))
    out = pd.DataFrame({"ref_area": long["REF_AREA"].str.strip(),
                        "ref_area_label": long["REF_AREA_LABEL"],
                        "indicator": long["INDICATOR"].str.strip(), "year": long["year"],
                        "raw": long["raw"], "unit_mult": mult.astype("int64"),
                        "breakdown": long["breakdown"], "group": long["group"],
                        "row": long["row"]})
    return out.reset_index(drop=True), kind


def scale(values: pd.Series, unit_mult: pd.Series) -> pd.Series:
    """Values in units: ``value * 10 ** UNIT_MULT``."""
    return values * np.power(10.0, unit_mult.to_numpy())


def _check_frequency(frame: pd.DataFrame, path: Path) -> None:
    bad = frame["FREQ"].str.strip() != "A"
    if bad.any():
        r = frame.loc[bad].iloc[0]
        raise SourceFormatError(path, f"{r['row']} column 'FREQ'", "annual data ('A')",
                                found=repr(r["FREQ"]))


def _breakdowns(frame: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    """(breakdown, group) per row from the dimension columns present."""
    for col in COMPOSITE_COLUMNS:
        if col in frame.columns:
            bad = ~frame[col].str.strip().isin(TOTAL_CODES)
            if bad.any():
                r = frame.loc[bad].iloc[0]
                raise SourceFormatError(path, f"{r['row']} column {col!r}",
                                        "'_Z' (not applicable)", found=repr(r[col]))
    codes = dimension_codes()
    parts_b = pd.Series("", index=frame.index)
    parts_g = pd.Series("", index=frame.index)
    for dim in DIMENSIONS:
        if dim not in frame.columns:
            continue
        value = frame[dim].str.strip()
        table = codes[codes["dimension"] == dim]
        known = dict(zip(table["code"], zip(table["breakdown"], table["group"])))
        unknown = ~value.isin(TOTAL_CODES) & ~value.isin(known)
        if unknown.any():
            r = frame.loc[unknown].iloc[0]
            raise SourceFormatError(path, f"{r['row']} column {dim!r}",
                                    f"one of {sorted(TOTAL_CODES - {''}) + sorted(known)} "
                                    "(data/build/data360_dimensions.csv)", found=repr(r[dim]))
        split = ~value.isin(TOTAL_CODES)
        b = value.map({code: bg[0] for code, bg in known.items()}).fillna("")
        g = value.map({code: bg[1] for code, bg in known.items()}).fillna("")
        joiner = np.where((parts_b != "") & split, "_", "")
        parts_b = parts_b.where(~split, parts_b + joiner + b)
        parts_g = parts_g.where(~split, parts_g + joiner + g)
    total = parts_b == ""
    return parts_b.where(~total, "total"), parts_g.where(~total, "all")


def to_observations(path: Path, source: str, harmoniser, report) -> pd.DataFrame:
    """A Data360 file of ``source`` -> observation rows (before ``finish``).

    Countries by ``REF_AREA`` (ISO3; aggregates such as ``EUU`` dropped by code) with the
    label as fallback; series by (``INDICATOR``, breakdown, group) through the catalogue
    rows of ``source`` (others counted as ``not_in_catalogue``); empty cells ``missing``.
    Returns ``iso3, year, indicator, breakdown, group, value, row`` plus ``indicator_code``.
    """
    records, kind = read_table(path)
    report.notes.append(f"layout: Data360 {kind}")
    if len(records) and not report.release:  # the edition: the newest year the file holds
        report.release = str(int(records["year"].max()))
    report.rows_read += len(records)
    records = c.resolve_countries(records, harmoniser, report, path, code_col="ref_area",
                                  name_col="ref_area_label")
    cat = catalogue.for_source(source)
    series = {(code, b, g): ind for code, ind, b, g in
              zip(cat["publisher_code"], cat["indicator"], cat["breakdown"], cat["group"])}
    key = list(zip(records["indicator"], records["breakdown"], records["group"]))
    records["indicator_code"] = records["indicator"]
    records["indicator"] = [series.get(k) for k in key]
    known = records["indicator"].notna()
    report.drop_not_in_catalogue(records.loc[~known, "indicator_code"].astype(str))
    records = records.loc[known]
    values, missing = c.parse_values(records["raw"], path, row_of=records["row"])
    report.drop("missing", int(missing.sum()))
    records = records.loc[~missing].assign(value=scale(values[~missing],
                                                       records.loc[~missing, "unit_mult"]))
    return records
