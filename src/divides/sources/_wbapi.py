"""World Bank Indicators API v2 JSON responses (WDI source 2, WGI source 3, Findex): one
parser for the modules of the World Bank's sources.

A response is ``[meta, records]`` with ``meta = {page, pages, per_page, total, sourceid,
lastupdated}`` and records ``{indicator: {id, value}, country: {id (ISO2), value},
countryiso3code, date, value, unit, obs_status, decimal}``. A file may hold one response
or the list of all pages of one request (``[[meta, records], [meta, records], ...]``, as
``divides fetch`` saves a paginated answer); pages must be complete and add up to
``total``, else the file is an incomplete download and is refused. An API error
(``[{"message": [...]}]``, e.g. a retired code) is refused with the API's own message.

Quirks of real responses (WGI 2025 release, ``GOV_WGI_CC.EST``): entities with an empty
``countryiso3code`` (Anguilla, Taiwan, ...) are mapped by name; values are ``null``
(counted as missing) or carry float noise (``-0.354028599999999``, kept as is);
``per_page`` is a number or a string.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.sources import _common as c

META_KEYS = ("page", "pages", "total", "lastupdated")


def _pages(doc: object, path: Path) -> list[list]:
    """The response pages of a file, each ``[meta, records]``."""
    if (isinstance(doc, list) and len(doc) == 1 and isinstance(doc[0], dict)
            and "message" in doc[0]):
        msgs = doc[0]["message"]
        text = "; ".join(f"{m.get('key', '')}: {m.get('value', '')}" for m in msgs
                         if isinstance(m, dict)) or str(msgs)
        raise SourceFormatError(path, "response", "World Bank API data ([meta, records])",
                                found=f"an API error message ({text})")
    if isinstance(doc, list) and len(doc) == 2 and isinstance(doc[0], dict):
        return [doc]
    if isinstance(doc, list) and doc and all(isinstance(p, list) and len(p) == 2
                                             and isinstance(p[0], dict) for p in doc):
        return doc
    raise SourceFormatError(path, "top level", "a World Bank API v2 response [meta, records] "
                            "or a list of its pages", found=type(doc).__name__)


def read_response(path: Path) -> tuple[pd.DataFrame, dict]:
    """A saved API v2 JSON file -> (records, meta).

    Records have ``code, code_name, iso3, iso2, name, date, raw, row`` (``row`` =
    ``page P record R``); ``meta`` is the first page's meta with ``lastupdated``.
    """
    try:
        doc = json.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise SourceFormatError(path, "file", "an existing file", found="no such file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(path, "file", "JSON text", found=str(exc)) from None
    except RecursionError:
        raise SourceFormatError(path, "file", "JSON text nested a few levels deep",
                                found="nesting too deep to read") from None
    pages = _pages(doc, path)
    metas = [p[0] for p in pages]
    for i, meta in enumerate(metas, start=1):
        missing = [k for k in META_KEYS if k not in meta]
        if missing:
            raise SourceFormatError(path, f"page {i} meta", f"keys {list(META_KEYS)}",
                                    found=f"missing {missing}")
    n_pages = int(metas[0]["pages"])
    seen = sorted(int(m["page"]) for m in metas)
    if seen != list(range(1, n_pages + 1)):
        raise SourceFormatError(path, "pages", f"pages 1..{n_pages} of the request",
                                found=f"pages {seen} (an incomplete download)")
    if len({m["lastupdated"] for m in metas}) > 1:
        raise SourceFormatError(path, "meta 'lastupdated'", "one value over all pages",
                                found=sorted({m["lastupdated"] for m in metas}))
    rows = []
    for meta, records in pages:
        if records is None:
            records = []
        for j, rec in enumerate(records, start=1):
            try:
                rows.append({"code": rec["indicator"]["id"], "code_name": rec["indicator"]["value"],
                             "iso3": (rec.get("countryiso3code") or "").strip(),
                             "iso2": (rec["country"].get("id") or "").strip(),
                             "name": rec["country"]["value"], "date": rec["date"],
                             "raw": rec["value"], "row": f"page {meta['page']} record {j}"})
            except (KeyError, TypeError, AttributeError) as exc:
                raise SourceFormatError(path, f"page {meta['page']} record {j}",
                                        "indicator.id, country.value, date and value",
                                        found=f"{type(exc).__name__}: {exc}") from None
    total = int(metas[0]["total"])
    if len(rows) != total:
        raise SourceFormatError(path, "records", f"{total} records (meta 'total')",
                                found=f"{len(rows)} (an incomplete download)")
    frame = pd.DataFrame(rows, columns=["code", "code_name", "iso3", "iso2", "name", "date",
                                        "raw", "row"])
    return frame, dict(metas[0])


def years(frame: pd.DataFrame, path: Path) -> pd.Series:
    """``date`` as an int64 year; quarterly or monthly dates are refused."""
    text = frame["date"].astype(str).str.strip()
    bad = ~text.str.fullmatch(r"\d{4}")
    if bad.any():
        r = frame.loc[bad].iloc[0]
        raise SourceFormatError(path, f"{r['row']} 'date'", "an annual date (four digits)",
                                found=repr(r["date"]))
    return text.astype("int64")


def values(frame: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    """(values as float64, is_missing): ``null`` is missing; anything else must be a number."""
    raw = frame["raw"]
    missing = raw.isna()
    numeric = raw.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    bad = ~missing & ~numeric
    if bad.any():
        r = frame.loc[bad].iloc[0]
        raise SourceFormatError(path, f"{r['row']} 'value'", "a number or null",
                                found=repr(r["raw"]))
    return pd.to_numeric(raw.where(~missing), errors="coerce").astype("float64"), missing


def to_observations(path: Path, source: str, series: dict[str, tuple[str, str, str]],
                    report) -> pd.DataFrame:
    """An API v2 file -> observation rows of ``source`` (before ``finish``).

    ``series`` maps a case-folded publisher code to (indicator, breakdown, group); other
    codes count as ``not_in_catalogue`` (and are named in the notes: a renamed series
    must be seen, e.g. ``NY.GDP.PCAP.PP.KD`` becoming ``...KD.21``). Entities with an
    empty ISO3 code are resolved by name. Sets ``report.release`` to ``lastupdated``.
    """
    records, meta = read_response(path)
    report.rows_read += len(records)
    report.release = str(meta["lastupdated"]).strip()
    report.notes.append(f"release: World Bank API source {meta.get('sourceid', '?')}, "
                        f"lastupdated {report.release}")
    records["year"] = years(records, path)
    records = c.resolve_countries(records, Harmoniser(source), report, path, code_col="iso3",
                                  name_col="name")
    mapped = records["code"].astype(str).str.strip().str.casefold().map(series)
    known = mapped.notna()
    report.drop_not_in_catalogue(records.loc[~known, "code"].astype(str))
    if (~known).any():
        report.notes.append("codes not in the catalogue: "
                            + ", ".join(sorted(set(records.loc[~known, "code"].astype(str)))))
    records, mapped = records.loc[known], mapped.loc[known]
    vals, missing = values(records, path)
    report.drop("missing", int(missing.sum()))
    keep = ~missing
    triples = list(mapped[keep])
    return pd.DataFrame({"iso3": records.loc[keep, "iso3"], "year": records.loc[keep, "year"],
                         "indicator": [t[0] for t in triples],
                         "breakdown": [t[1] for t in triples],
                         "group": [t[2] for t in triples], "value": vals[keep]})
