"""Record counts of a raw file, computed without the readers, for the ledger tests.

The readers count records (a value cell of a wide file, a line of a long file, a footer
line); ``rows_read == rows_kept + dropped`` is checked by the readers themselves, so the
ledger tests also check ``rows_read`` against these counts, made the simplest possible way
(plain ``pandas.read_csv`` / ``read_excel`` and the published layouts of SOURCES.md). A
reader that skips rows without counting them fails here even if its own sums agree.

``expected_records(source, path)`` returns None for layouts with no simple count (the
CPI single-year workbooks with two header rows, the ITU latest-year tables).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from divides.observations import DROP_REASONS

YEAR = re.compile(r"^\s*\d{4}(\s*\[YR\d{4}\])?\s*$")


def _csv(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, **kw)


def _blank(frame: pd.DataFrame) -> pd.Series:
    return frame.apply(lambda r: all(pd.isna(v) or str(v).strip() == "" for v in r), axis=1)


def _wdi(path: Path) -> int:
    if path.suffix == ".json":  # World Bank API v2 (the Enterprise Surveys series)
        return _wb_api(path)
    head = path.read_bytes()[:200].decode("utf-8-sig", errors="replace")
    frame = _csv(path, encoding="utf-8-sig", skiprows=4 if "Data Source" in
                 head.splitlines()[0] else 0)
    years = [c for c in frame.columns if YEAR.match(str(c))]
    footer = frame["Country Code"].str.strip() == ""
    return int((~footer).sum()) * len(years) + int(footer.sum())


def _wb_api(path: Path) -> int:
    """Records of a World Bank API v2 file (one response or a list of its pages)."""
    import json

    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    pages = [doc] if isinstance(doc[0], dict) else doc
    return sum(len(records or []) for _, records in pages)


def _data360(path: Path) -> int:
    """Cells of a Data360 WIDEF file (rows x year columns), or lines of a long one."""
    frame = _csv(path, encoding="utf-8-sig")
    if "OBS_VALUE" in frame.columns:
        return len(frame)
    return len(frame) * sum(bool(YEAR.match(str(c))) for c in frame.columns)


def _wgi(path: Path) -> int:
    if path.suffix == ".json":
        return _wb_api(path)
    raw = pd.read_excel(path, header=None, dtype=object, engine="calamine")
    h = next(i for i in range(15) if "estimate" in [str(v).strip() for v in raw.iloc[i]])
    body = raw.iloc[h + 1:]
    blank = _blank(body)
    return int((~blank).sum()) * 6 + int(blank.sum())


def _cpi(path: Path) -> int | None:
    if path.suffix == ".csv":
        frame = _csv(path, encoding="cp1252")
        return len(frame) * (len(frame.columns) - 1)
    with pd.ExcelFile(path, engine="calamine") as book:
        sheet = next((s for s in book.sheet_names if s.startswith("CPI Timeseries")), None)
        if sheet is None:
            return None
        raw = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    h = next(i for i in range(15) if "ISO3" in [str(v).strip() for v in raw.iloc[i]])
    labels = [str(v).strip() for v in raw.iloc[h]]
    body = raw.iloc[h + 1:]
    measures = [j for j, lab in enumerate(labels) if lab not in (
        "Country / Territory", "ISO3", "Region", "nan", "")]
    blank = _blank(body)
    return int((~blank).sum()) * len(measures) + int(blank.sum())


def _itu(path: Path) -> int | None:
    if path.suffix == ".csv":
        return _data360(path)
    with pd.ExcelFile(path, engine="calamine") as book:
        if "Definitions" not in book.sheet_names:
            return None
        sheets = {s: pd.read_excel(book, sheet_name=s, header=None, dtype=object)
                  for s in book.sheet_names
                  if s != "Definitions"}
    total = 0
    for raw in sheets.values():
        h = next(i for i in range(10) if "Country" in [str(v).strip() for v in raw.iloc[i]])
        values = [v for v in raw.iloc[h] if str(v).endswith("_value")]
        total += int((~_blank(raw.iloc[h + 1:])).sum()) * len(values)
    return total


def _egov(path: Path) -> int:
    if path.name.startswith("UN_EGDI_"):
        return _data360(path)
    return len(_csv(path, encoding="utf-8-sig")) * 6


def _findex(path: Path) -> int:
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, sheet_name="Data", header=None, dtype=object,
                            engine="calamine")
        frame = raw.iloc[1:]
        frame.columns = [str(v).strip() for v in raw.iloc[0]]
        years = [c for c in frame.columns if YEAR.match(c)]
        code = frame["Country Code"].map(lambda v: "" if pd.isna(v) else str(v).strip())
    else:
        frame = _csv(path, encoding="utf-8-sig")
        years = [c for c in frame.columns if c not in ("Country Name", "Country Code")]
        code = frame["Country Code"].str.strip()
    footer = code == ""
    return int((~footer).sum()) * len(years) + int(footer.sum())


def _lines(path: Path, **kw) -> int:
    return len(_csv(path, **kw))


def expected_records(source: str, path: Path) -> int | None:
    """Records the reader of ``source`` must count for ``path`` (None: no simple count)."""
    path = Path(path)
    if source == "wdi":
        return _wdi(path)
    if source == "wgi":
        return _wgi(path)
    if source == "cpi":
        return _cpi(path)
    if source == "itu":
        return _itu(path)
    if source == "egov":
        return _egov(path)
    if source == "findex":
        return _findex(path)
    if source == "sdg":
        return _lines(path, encoding="utf-8-sig")
    if source == "unesco":
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            enc = "utf-8-sig"
        except UnicodeDecodeError:
            enc = "cp1252"
        return _lines(path, encoding=enc, sep=";")
    raise KeyError(source)


def check_ledger(source: str, path: Path, obs: pd.DataFrame, report) -> None:
    """The checks of the real and the demo ledger tests for one file read by one reader."""
    assert report.source == source and report.file == path.name
    assert set(report.dropped) <= set(DROP_REASONS), dict(report.dropped)
    assert all(n > 0 for n in report.dropped.values()), dict(report.dropped)
    assert report.rows_read == report.rows_kept + sum(report.dropped.values()), str(report)
    assert report.rows_kept == len(obs) == report.observations, str(report)
    assert (obs["file"] == path.name).all() and (obs["source"] == source).all()
    expected = expected_records(source, path)
    if expected is not None:
        assert report.rows_read == expected, f"{report}: independent count {expected}"
