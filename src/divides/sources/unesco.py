"""UNESCO UIS literacy rates by age group and sex (Makeover Monday 2019 W45 extract).

Layout handled: long ``Country;Year;Age;Gender;Literacy rate``, an Excel European export:

* semicolon separator and **decimal comma** (``0,176121``);
* **Windows-1252** bytes (a non-breaking space in ``"New Caledonia\\xa0"``; the alias
  table maps the lost character of ``"C?te d'Ivoire"``). The encoding is sniffed: strict
  UTF-8 when the bytes decode as UTF-8, else cp1252; a cp1252 reading that shows UTF-8
  mojibake (``Ã´``) means mixed encodings and raises;
* rates are **shares 0-1**, converted to percent (x 100) as the catalogue unit says; a
  value above 1 raises, since it would mean the file already holds percent;
* ``Age`` (``15+``, ``15-24``, ``25-64``, ``65+``) picks the indicator
  (``unesco_literacy_15plus_pct``...), ``Gender`` the breakdown (``total/all``,
  ``sex/female``, ``sex/male``); country names only, no aggregates.

Also the UIS Data API's JSON (``unesco_literacy/uis_api/*.json``, as ``divides fetch``
saves ``GET api.uis.unesco.org/api/public/data/indicators?indicator=<ID>``):
``{"records": [{"indicatorId", "geoUnit", "year", "value", ...}], ...}``. Indicator IDs
(``LR.AG15T99`` = 15+, both sexes; ``.F``/``.M`` by sex; ``LR.AG15T24`` = 15-24) map
through the catalogue; the API gives **percent**, so a file whose values are all <= 1
(shares) is refused rather than multiplied. ``geoUnit`` is an ISO3 code for countries;
regional units (``"SDG: ..."``, ``"WB: ..."``: not three letters) are counted
``aggregate``.
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

SOURCE = "unesco"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("unesco_literacy/*.csv", "unesco_literacy/uis_api/*.json")
OTHER_PATTERNS: dict[str, str] = {}

COLUMNS = ["Country", "Year", "Age", "Gender", "Literacy rate"]
GENDER_GROUPS = {"total": ("total", "all"), "female": ("sex", "female"), "male": ("sex", "male")}
SHARE_TO_PCT = 100.0
#: UTF-8 two-byte letters read as cp1252: a lead byte C2/C3 shown as Â/Ã, then a
#: continuation byte 80-BF shown as one of the characters cp1252 gives those bytes.
MOJIBAKE_RE = re.compile("[\u00c2\u00c3][\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178"
                         "\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


def sniff_encoding(path: Path) -> str:
    """``utf-8-sig`` when the bytes are valid UTF-8, else ``cp1252`` (the publisher's)."""
    raw = Path(path).read_bytes()
    try:
        raw.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


def _catalogue_keys() -> dict[tuple[str, str, str], str]:
    cat = catalogue.for_source(SOURCE)
    return {(p, b, g): ind for p, b, g, ind in
            zip(cat["publisher_code"], cat["breakdown"], cat["group"], cat["indicator"])}


def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read the UNESCO literacy CSV into observations (percent) and a read report."""
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "file", "an existing file", found="no such file")
    if path.suffix.casefold() == ".json":
        return read_api(path)
    encoding = sniff_encoding(path)
    frame = c.read_csv_checked(path, sep=";", encoding=encoding)
    if len(frame.columns) == 1 and "," in str(frame.columns[0]):
        raise SourceFormatError(path, "line 1", "';'-separated columns "
                                f"{COLUMNS}", found=repr(str(frame.columns[0])[:80]))
    c.require_columns(frame, COLUMNS, path)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # file line numbers (header = line 1)
    frame = frame[COLUMNS].map(str.strip)
    if encoding == "cp1252":
        garbled = frame["Country"].str.contains(MOJIBAKE_RE)
        if garbled.any():
            i = garbled[garbled].index[0]
            raise SourceFormatError(path, f"line {i} column 'Country'", "text in one encoding "
                                    "(cp1252, as published, or UTF-8)",
                                    found=f"UTF-8 read as cp1252 in {frame.at[i, 'Country']!r}")
    report = ReadReport(SOURCE, path.name)
    report.rows_read = len(frame)

    bad_gender = ~frame["Gender"].isin(GENDER_GROUPS)
    if bad_gender.any():
        i = bad_gender[bad_gender].index[0]
        raise SourceFormatError(path, f"line {i} column 'Gender'", f"one of "
                                f"{sorted(GENDER_GROUPS)}", found=repr(frame.at[i, "Gender"]))
    sex = frame["Gender"].map(GENDER_GROUPS)
    keys = _catalogue_keys()
    indicator = pd.Series([keys.get((a, b, g)) for a, (b, g) in zip(frame["Age"], sex)],
                          index=frame.index, dtype=object)
    in_cat = indicator.notna()
    report.drop("not_in_catalogue", int((~in_cat).sum()))
    frame = frame.loc[in_cat].assign(indicator=indicator[in_cat], breakdown=sex[in_cat].str[0],
                                     group=sex[in_cat].str[1])

    frame = c.resolve_countries(frame, Harmoniser(SOURCE), report, path, name_col="Country")
    share = _parse_shares(frame["Literacy rate"], path)
    missing = share.isna()
    report.drop("missing", int(missing.sum()))
    frame = frame.loc[~missing].assign(value=(share[~missing] * SHARE_TO_PCT).round(10))
    year = pd.to_numeric(frame["Year"], errors="coerce")
    if year.isna().any():
        i = year[year.isna()].index[0]
        raise SourceFormatError(path, f"line {i} column 'Year'", "a four-digit year",
                                found=repr(frame.at[i, "Year"]))
    obs = pd.DataFrame({
        "iso3": frame["iso3"], "year": year.astype("int64"), "indicator": frame["indicator"],
        "breakdown": frame["breakdown"], "group": frame["group"], "value": frame["value"],
    })
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def _parse_shares(text: pd.Series, path: Path) -> pd.Series:
    """Decimal-comma shares (``0,176121``) -> floats 0-1; NaN where missing."""
    both = text.str.contains(",", regex=False) & text.str.contains(".", regex=False)
    if both.any():
        i = both[both].index[0]
        raise SourceFormatError(path, f"line {i} column 'Literacy rate'", "a decimal-comma "
                                "number such as '0,176121'", found=repr(text[i]))
    where = pd.Series([f"line {i}" for i in text.index], index=text.index)
    values, missing = c.parse_values(text.str.replace(",", ".", regex=False), path,
                                     column_of=pd.Series("Literacy rate", text.index),
                                     row_of=where)
    out_of_range = ~missing & ((values < 0) | (values > 1))
    if out_of_range.any():
        i = out_of_range[out_of_range].index[0]
        raise SourceFormatError(path, f"line {i} column 'Literacy rate'", "a share between 0 "
                                "and 1 (the file publishes shares; the reader converts to %)",
                                found=repr(text[i]))
    return values.where(~missing)


API_FIELDS = ["indicatorId", "geoUnit", "year", "value"]


def read_api(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """A saved UIS Data API response (JSON) -> observations (percent) and a read report."""
    path = Path(path)
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(path, "file", "a UIS API JSON response",
                                found=f"{type(exc).__name__}: {exc}") from None
    except RecursionError:
        raise SourceFormatError(path, "file", "a UIS API JSON response nested a few levels "
                                "deep", found="nesting too deep to read") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise SourceFormatError(path, "top level", 'an object with a "records" list',
                                found=type(doc).__name__ if not isinstance(doc, dict)
                                else f"keys {sorted(doc)[:8]}")
    frame = pd.DataFrame(doc["records"])
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # record numbers, for messages
    report = ReadReport(SOURCE, path.name)
    report.rows_read = len(frame)
    if frame.empty:
        raise SourceFormatError(path, '"records"', "at least one record", found="none")
    missing_fields = [f for f in API_FIELDS if f not in frame.columns]
    if missing_fields:
        raise SourceFormatError(path, '"records"', f"fields {API_FIELDS}",
                                found=f"no {missing_fields}")
    cat = catalogue.for_source(SOURCE)
    keys = {code.casefold(): (ind, b, g) for code, ind, b, g in
            zip(cat["publisher_code"], cat["indicator"], cat["breakdown"], cat["group"])}
    mapped = frame["indicatorId"].astype(str).str.strip().str.casefold().map(keys)
    known = mapped.notna()
    report.drop("not_in_catalogue", int((~known).sum()))
    if (~known).any():
        report.notes.append("indicators not in the catalogue: " + ", ".join(
            sorted(set(frame.loc[~known, "indicatorId"].astype(str)))))
    frame, mapped = frame.loc[known], mapped.loc[known]
    unit = frame["geoUnit"].astype(str).str.strip()
    regional = ~unit.str.fullmatch(r"[A-Za-z]{3}")
    report.drop("aggregate", int(regional.sum()))
    frame, mapped = frame.loc[~regional], mapped.loc[~regional]
    frame = frame.assign(geoUnit=unit[~regional], indicator=[m[0] for m in mapped],
                         breakdown=[m[1] for m in mapped], group=[m[2] for m in mapped])
    frame = c.resolve_countries(frame, Harmoniser(SOURCE), report, path, code_col="geoUnit")
    value = pd.to_numeric(frame["value"], errors="coerce")
    absent = frame["value"].isna()
    bad = value.isna() & ~absent
    if bad.any():
        i = bad[bad].index[0]
        raise SourceFormatError(path, f"record {i} field 'value'", "a number or null",
                                found=repr(frame.at[i, "value"]))
    report.drop("missing", int(absent.sum()))
    frame, value = frame.loc[~absent], value.loc[~absent]
    if len(value) and value.max() <= 1:
        raise SourceFormatError(path, "field 'value'", "percent (the UIS API publishes "
                                "literacy rates in %)", found=f"all {len(value)} values <= 1 "
                                "(shares?)")
    year = c.parse_years(frame["year"], path, pd.Series(
        [f"record {i} field 'year'" for i in frame.index], index=frame.index))
    obs = pd.DataFrame({"iso3": frame["iso3"], "year": year, "indicator": frame["indicator"],
                        "breakdown": frame["breakdown"], "group": frame["group"],
                        "value": value})
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)
