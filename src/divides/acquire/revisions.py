"""What changed between two editions of a publisher file: new years and revised values.

Small pure functions over the raw bytes of the tabular formats that ``divides fetch
--update`` takes from the publishers (World Bank API v2 JSON and bulk ZIP, Data360 CSV,
SDG CSV, UIS JSON). Each turns a file into ``{(series..., year): value}``; ``compare``
counts years that are new, values that differ (revised), and observations added or removed.
They only report on a download: the readers in ``divides.sources`` stay the sole way data
enters the panel, so nothing here drops or renames anything.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass

Key = tuple[str, ...]
Values = dict[Key, float | None]

#: Data360 columns that identify a series (whichever are present), beside the year.
DATA360_KEYS = ("REF_AREA", "INDICATOR", "SEX", "AGE", "URBANISATION", "COMP_BREAKDOWN_1",
                "COMP_BREAKDOWN_2", "COMP_BREAKDOWN_3", "UNIT_MEASURE")
#: SDG CSV columns that identify a series before the dimension columns start.
SDG_KEYS = ("SeriesCode", "GeoAreaCode")
#: SDG columns after ObservationID that describe an observation, not the series.
SDG_NOT_KEYS = {"Nature", "Observation Status", "Reporting Type"}


@dataclass(frozen=True)
class ContentDiff:
    """Counts of a comparison; ``new_years`` are years present only in the new file."""

    new_years: tuple[str, ...]
    dropped_years: tuple[str, ...]
    revised: int
    added: int
    removed: int

    def describe(self) -> str:
        years = f"new years {', '.join(self.new_years)}" if self.new_years else "no new years"
        if self.dropped_years:
            years += f", years gone {', '.join(self.dropped_years)}"
        return (f"{years}; {self.revised} values revised, {self.added} added, "
                f"{self.removed} removed")


def _number(text) -> float | None:
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    text = str(text).strip()
    if text in ("", "..", "NaN", "nan"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def wb_api_values(body: bytes) -> Values:
    """World Bank API v2 JSON: one page ``[meta, records]`` or a list of pages."""
    data = json.loads(body)
    pages = data if data and isinstance(data[0], list) else [data]
    out: Values = {}
    for page in pages:
        for rec in page[1] or []:
            who = rec.get("countryiso3code") or rec.get("country", {}).get("value", "")
            out[(rec["indicator"]["id"], who, str(rec["date"]))] = _number(rec.get("value"))
    return out


def data360_values(body: bytes) -> Values:
    """Data360 CSV, wide (one column per year, ``_WIDEF``) or long (TIME_PERIOD, OBS_VALUE)."""
    rows = _csv_rows(body)
    if not rows:
        return {}
    columns = list(rows[0])
    keys = [c for c in DATA360_KEYS if c in columns]
    out: Values = {}
    if "TIME_PERIOD" in columns and "OBS_VALUE" in columns:
        for row in rows:
            out[(*(row[k] for k in keys), row["TIME_PERIOD"])] = _number(row["OBS_VALUE"])
        return out
    years = [c for c in columns if c.strip().isdigit()]
    for row in rows:
        for year in years:
            out[(*(row[k] for k in keys), year.strip())] = _number(row[year])
    return out


def sdg_values(body: bytes) -> Values:
    """SDG Global Database CSV: series, area and dimension columns, ``TimePeriod``, ``Value``."""
    rows = _csv_rows(body)
    if not rows:
        return {}
    columns = list(rows[0])
    after = columns[columns.index("ObservationID") + 1:] if "ObservationID" in columns else []
    keys = [*SDG_KEYS, *(c for c in after if c not in SDG_NOT_KEYS)]
    return {(*(row.get(k, "") for k in keys), row["TimePeriod"]): _number(row["Value"])
            for row in rows}


def uis_values(body: bytes) -> Values:
    """UIS API JSON ``{"records": [{indicatorId, geoUnit, year, value, ...}]}``."""
    return {(r["indicatorId"], r["geoUnit"], str(r["year"])): _number(r.get("value"))
            for r in json.loads(body)["records"]}


def wb_zip_values(body: bytes) -> Values:
    """World Bank bulk ZIP: the ``API_*.csv`` member (4 preamble lines, a column per year)."""
    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        name = next(n for n in zipped.namelist() if n.startswith("API_"))
        text = zipped.read(name).decode("utf-8-sig")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"Country Name"'))
    out: Values = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines[start:]))):
        for column, value in row.items():
            if column and column.isdigit():
                out[(row["Indicator Code"], row["Country Code"], column)] = _number(value)
    return out


#: Parser per catalogue kind; kinds without one (workbooks, other ZIPs) compare by sha256 only.
PARSERS = {"wb_api_json": wb_api_values, "wb_bulk_zip": wb_zip_values,
           "data360_csv": data360_values, "sdg_csv": sdg_values, "uis_json": uis_values}


def compare(old: Values, new: Values) -> ContentDiff:
    """Compare two parsed files. Missing values (None) count as absent observations, so a
    value that appears or vanishes is added or removed, never revised."""
    old_obs = {k: v for k, v in old.items() if v is not None}
    new_obs = {k: v for k, v in new.items() if v is not None}
    old_years = {k[-1] for k in old_obs}
    new_years = {k[-1] for k in new_obs}
    revised = sum(1 for k, v in new_obs.items() if k in old_obs and old_obs[k] != v)
    return ContentDiff(
        new_years=tuple(sorted(new_years - old_years)),
        dropped_years=tuple(sorted(old_years - new_years)),
        revised=revised,
        added=sum(1 for k in new_obs if k not in old_obs),
        removed=sum(1 for k in old_obs if k not in new_obs))


def compare_bytes(kind: str, old: bytes, new: bytes) -> ContentDiff | None:
    """Compare two editions of a file of ``kind``; None when the kind has no parser or a
    file does not parse (the change is then reported by sha256 alone)."""
    parser = PARSERS.get(kind)
    if parser is None:
        return None
    try:
        return compare(parser(old), parser(new))
    except (ValueError, KeyError, IndexError, TypeError, StopIteration, zipfile.BadZipFile):
        return None
