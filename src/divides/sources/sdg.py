"""UN Statistics Division SDG Global Database: SDG-API CSV downloads.

Layout handled: the standard SDG-API CSV (67 columns in release 2020.Q4.G.02, most of
them empty dimension columns): ``SeriesCode, GeoAreaCode`` (UN M49 numeric),
``GeoAreaName, TimePeriod, Value, Sex`` (``BOTHSEX``/``FEMALE``/``MALE``), ``Units``
and one column per further dimension (``Type of skill``, ``Age``, ``Location``, ...).

* Countries are matched by code: M49 -> ISO3 through the ``m49`` column of
  ``data/build/countries.csv``. Codes that are no country code (regions such as 1 World,
  202 Sub-Saharan Africa) are resolved by name, where ``data/build/aggregates.csv`` lists the
  SDG regional names (dropped as ``aggregate``). The two files at hand carry no regions.
* M49 158, "Other non-specified areas in Eastern Asia", is Taiwan in UN practice (and
  ISO 3166 numeric 158): kept as ``TWN``.
* Every row's name is cross-checked against its code through ``data/build/countries/sdg.csv``;
  a name that resolves to another country raises (a shifted column, a wrong code).
* Catalogue key: ``SeriesCode`` plus ``:<Type of skill>`` when that dimension is set
  (``SE_ADT_ACTS:COPA``); ``Sex`` gives the breakdown (``total/all``, ``sex/female``,
  ``sex/male``). Any other dimension column with more than one value within a series
  raises, so that no two rows collapse onto one observation key silently.
* Values are percent as published. IT_MOB_OWN has three published values above 100 %
  (Costa Rica 2016, South Africa 2015 male): kept as published, allowed through
  ``data/build/range_exceptions.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from divides import catalogue
from divides.countries import Harmoniser, countries
from divides.errors import SourceFormatError
from divides.observations import ReadReport
from divides.sources import _common as c

SOURCE = "sdg"
#: Files this reader takes, relative to a raw-data root laid out like ../shared/data/real.
PATTERNS = ("un_sdg/*.csv",)
OTHER_PATTERNS: dict[str, str] = {}

REQUIRED = ["SeriesCode", "GeoAreaCode", "GeoAreaName", "TimePeriod", "Value", "Sex", "Units"]
#: SDG-API columns that describe the record, not a dimension of the value.
ATTRIBUTE_COLUMNS = frozenset({
    "ID", "Goal", "Target", "Indicator", "ReleaseStatus", "ReleaseName", "SeriesID",
    "SeriesCode", "isDSDSeries", "SeriesDescription", "SeriesObservationCount",
    "GeoAreaCode", "GeoAreaName", "TimePeriod", "Value", "ValueType", "Time_Detail",
    "TimeCoverage", "UpperBound", "LowerBound", "BasePeriod", "Source", "GeoInfoUrl",
    "FootNote", "ObservationID", "Freq", "Nature", "UnitMultiplier", "Units",
    "Observation Status",
})
#: Dimensions the reader keys on; every other dimension must be constant per series.
SKILL_COLUMN = "Type of skill"
SEX_GROUPS = {"BOTHSEX": ("total", "all"), "FEMALE": ("sex", "female"), "MALE": ("sex", "male")}
PERCENT_UNITS = frozenset({"PERCENT"})


def _catalogue_keys() -> dict[tuple[str, str, str], str]:
    cat = catalogue.for_source(SOURCE)
    return {(p, b, g): ind for p, b, g, ind in
            zip(cat["publisher_code"], cat["breakdown"], cat["group"], cat["indicator"])}


def read(path: str | Path) -> tuple[pd.DataFrame, ReadReport]:
    """Read one SDG-API CSV into observations and a read report."""
    path = Path(path)
    frame = c.read_csv_checked(path, encoding="utf-8-sig")
    c.require_columns(frame, REQUIRED, path)
    frame = frame.map(str.strip)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # file line numbers (header = line 1)
    report = ReadReport(SOURCE, path.name)
    report.rows_read = len(frame)

    skill = frame[SKILL_COLUMN] if SKILL_COLUMN in frame.columns else pd.Series("", frame.index)
    _check_dimensions(frame, path)
    _check_vocabulary(frame, path)

    sex = frame["Sex"].map(SEX_GROUPS)
    code = frame["SeriesCode"].where(skill == "", frame["SeriesCode"] + ":" + skill)
    keys = _catalogue_keys()
    indicator = pd.Series([keys.get((k, b, g)) for k, (b, g) in zip(code, sex)],
                          index=frame.index, dtype=object)
    in_cat = indicator.notna()
    report.drop("not_in_catalogue", int((~in_cat).sum()))
    frame = frame.loc[in_cat].assign(indicator=indicator[in_cat],
                                     breakdown=sex[in_cat].str[0], group=sex[in_cat].str[1])

    frame = _resolve(frame, report, path)
    values, missing = c.parse_values(frame["Value"], path, column_of=pd.Series(
        "Value", frame.index), row_of=pd.Series([f"line {i}" for i in frame.index], frame.index))
    report.drop("missing", int(missing.sum()))
    frame = frame.loc[~missing].assign(value=values[~missing])
    year = pd.to_numeric(frame["TimePeriod"], errors="coerce")
    if year.isna().any() or (year % 1 != 0).any():
        bad = frame.loc[year.isna() | (year % 1 != 0), "TimePeriod"]
        raise SourceFormatError(path, f"line {bad.index[0]} column 'TimePeriod'",
                                "a four-digit year", found=repr(bad.iloc[0]))
    obs = pd.DataFrame({
        "iso3": frame["iso3"], "year": year.astype("int64"), "indicator": frame["indicator"],
        "breakdown": frame["breakdown"], "group": frame["group"], "value": frame["value"],
    })
    report.rows_kept += len(obs)
    return c.finish(obs, report, path)


def _check_dimensions(frame: pd.DataFrame, path: Path) -> None:
    """Dimension columns other than Sex and Type of skill must be constant per series."""
    dims = [col for col in frame.columns
            if col not in ATTRIBUTE_COLUMNS and col not in ("Sex", SKILL_COLUMN)]
    for col in dims:
        counts = frame.groupby("SeriesCode")[col].nunique()
        varied = counts[counts > 1]
        if len(varied):
            series = varied.index[0]
            values = sorted(frame.loc[frame["SeriesCode"] == series, col].unique())[:6]
            raise SourceFormatError(
                path, f"column {col!r}", f"one value per series (the reader keys on Sex and "
                f"{SKILL_COLUMN!r} only; another dimension would collapse rows onto one key)",
                found=f"{len(values)} values in {series}: {values}")


def _check_vocabulary(frame: pd.DataFrame, path: Path) -> None:
    bad_sex = ~frame["Sex"].isin(SEX_GROUPS)
    if bad_sex.any():
        raise SourceFormatError(path, f"line {bad_sex[bad_sex].index[0]} column 'Sex'",
                                f"one of {sorted(SEX_GROUPS)}",
                                found=repr(frame.loc[bad_sex, "Sex"].iloc[0]))
    bad_unit = ~frame["Units"].isin(PERCENT_UNITS)
    if bad_unit.any():
        raise SourceFormatError(path, f"line {bad_unit[bad_unit].index[0]} column 'Units'",
                                "PERCENT (the catalogue unit is %)",
                                found=repr(frame.loc[bad_unit, "Units"].iloc[0]))


def _resolve(frame: pd.DataFrame, report: ReadReport, path: Path) -> pd.DataFrame:
    """M49 code -> ISO3; names where the code is no country; names cross-check codes."""
    by_m49 = {str(m): i for m, i in zip(countries()["m49"], countries()["iso3"])
              if str(m).strip() not in ("", "nan")}
    m49 = frame["GeoAreaCode"].str.lstrip("0").replace("", "0")
    if not m49.str.fullmatch(r"\d+").all():
        bad = frame.loc[~m49.str.fullmatch(r"\d+"), "GeoAreaCode"]
        raise SourceFormatError(path, f"line {bad.index[0]} column 'GeoAreaCode'",
                                "a UN M49 numeric code", found=repr(bad.iloc[0]))
    harmoniser = Harmoniser(SOURCE)
    frame = frame.assign(code_iso3=m49.map(by_m49).fillna(""))
    by_name = harmoniser.resolve_names(frame["GeoAreaName"])
    clash = (frame["code_iso3"] != "") & by_name["iso3"].notna() & (
        by_name["iso3"] != frame["code_iso3"])
    if clash.any():
        i = clash[clash].index[0]
        raise SourceFormatError(path, f"line {i} columns 'GeoAreaCode'/'GeoAreaName'",
                                "a name of the country its M49 code stands for",
                                found=f"{frame.at[i, 'GeoAreaCode']} = {frame.at[i, 'code_iso3']}"
                                f" but {frame.at[i, 'GeoAreaName']!r} = {by_name.at[i, 'iso3']}")
    unnamed = (frame["code_iso3"] != "") & (by_name["reason"] == "unmapped_name")
    if unnamed.any():
        names = sorted(frame.loc[unnamed, "GeoAreaName"].unique())
        report.notes.append(f"{len(names)} area names not in the alias table (matched by "
                            f"M49 code): {names}")
    return c.resolve_countries(frame, harmoniser, report, path, code_col="code_iso3",
                               name_col="GeoAreaName")
