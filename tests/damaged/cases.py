"""The damaged-input corpus: one function per case, each writing a damaged copy of a clean file.

A case takes a clean raw-data root (the demo set, or the seed files of ``seeds.py``), picks
one file of its source, writes a damaged copy into ``out`` and says what the reader must do
with it:

* ``error``: raise a :class:`divides.errors.DividesError` whose message matches ``match``
  (``{file}`` stands for the damaged file's name: the message must start with it);
* ``drop``: read, with ``n`` more records dropped for ``reason`` than the clean file and
  ``n`` fewer kept (for ``unmapped_name`` a warning must name the new value);
* ``same``: read to exactly the clean file's observations.

Nothing here is a committed binary: every damaged file is made by code from a clean one.
"""

from __future__ import annotations

import csv
import io
import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from divides.countries import Harmoniser
from divides.errors import SourceFormatError, ValidationError

BOM = b"\xef\xbb\xbf"


class NotApplicable(Exception):
    """This clean file cannot carry the damage (e.g. no accented names): use the next root."""


@dataclass
class Damaged:
    path: Path
    n: int = 0  # records the reader must drop (more than for the clean file)
    name: str | None = None  # the new value a warning must name
    added: int = 0  # records the damage added to the file
    strict: bool = True  # other drop reasons and kept rows change only by n


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    pick: str
    what: str
    damage: Callable[[Path, Path, Path], Damaged]
    expect: str  # "error" | "drop" | "same"
    error: type | None = None
    match: str | None = None
    reason: str | None = None


# --------------------------------------------------------------------------------------
# helpers: CSV as rows, xlsx as openpyxl workbooks, picking a country cell
# --------------------------------------------------------------------------------------

@dataclass
class Text:
    rows: list[list[str]]
    bom: bool
    line_end: str
    sep: str


def read_text(path: Path, encoding: str = "utf-8", sep: str = ",") -> Text:
    data = path.read_bytes()
    bom = data.startswith(BOM)
    text = data[len(BOM):].decode(encoding) if bom else data.decode(encoding)
    line_end = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return Text(rows, bom, line_end, sep)


def write_text(path: Path, t: Text, encoding: str = "utf-8", bom: bool | None = None) -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=t.sep, lineterminator=t.line_end).writerows(t.rows)
    data = buf.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((BOM if (t.bom if bom is None else bom) else b"") + data)
    return path


def header_index(rows: list[list[str]], label: str) -> int:
    for i, row in enumerate(rows[:30]):
        if label in [c.strip() for c in row]:
            return i
    raise LookupError(f"no header row with {label!r}")


def _number(text: object) -> bool:
    if isinstance(text, bool) or text is None:
        return False
    if isinstance(text, (int, float)):
        return not math.isnan(float(text))
    try:
        float(str(text).replace(",", "."))
        return str(text).strip() != ""
    except ValueError:
        return False


@cache
def _harmoniser(source: str) -> Harmoniser:
    return Harmoniser(source)


@cache
def _is_country(source: str, code: object = None, name: object = None) -> bool:
    """Whether the reader of ``source`` keeps this code (or, without one, this name)."""
    h = _harmoniser(source)
    if code is not None and str(code).strip():
        return bool(h.resolve_codes(pd.Series([str(code)]))["reason"].isna().iat[0])
    return bool(h.resolve_names(pd.Series([str(name)]))["reason"].isna().iat[0])


def country_rows(source: str, rows, start: int, code_j: int | None, name_j: int | None):
    """Indices of data rows (from ``start``) that are countries for ``source``, lazily."""
    for i in range(start, len(rows)):
        row = rows[i]
        code = row[code_j] if code_j is not None and code_j < len(row) else None
        name = row[name_j] if name_j is not None and name_j < len(row) else None
        if (code or name) and _is_country(source, code, name):
            yield i


def first_value_cell(t_rows, source, start, code_j, name_j, value_cols):
    """(row, col) of the first numeric, non-zero value of a country row."""
    for i in country_rows(source, t_rows, start, code_j, name_j):
        for j in value_cols:
            v = t_rows[i][j] if j < len(t_rows[i]) else None
            if _number(v) and float(str(v).replace(",", ".")) != 0:
                return i, j
    raise LookupError("no numeric country cell")


def sheet_header(ws, label: str, max_rows: int = 25) -> tuple[int, dict[str, int]]:
    """1-based header row holding ``label`` and {stripped label: 1-based column}."""
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=max_rows, values_only=True), 1):
        cells = {str(v).strip(): j for j, v in enumerate(row, 1) if v is not None}
        if label in cells or label.casefold() in {k.casefold() for k in cells}:
            return r, {k: v for k, v in cells.items()}
    raise LookupError(f"no header with {label!r} in sheet {ws.title!r}")


def sheet_rows(ws) -> list[list[object]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def copy_to(src: Path, out: Path, name: str | None = None) -> Path:
    dst = out / (name or src.name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def edit_book(src: Path, out: Path, fn) -> Damaged:
    book = load_workbook(src)
    result = fn(book)
    dst = out / src.name
    book.save(dst)
    if isinstance(result, Damaged):
        result.path = dst
        return result
    return Damaged(dst, n=result or 0)


def first_file(root: Path, pattern: str, where: Callable[[Path], bool] = lambda p: True) -> Path:
    found = sorted(p for p in root.glob(pattern) if p.is_file() and where(p))
    if not found:
        raise LookupError(f"no clean file {pattern} under {root}")
    return found[0]


# --------------------------------------------------------------------------------------
# generic damages
# --------------------------------------------------------------------------------------

def empty_file(src: Path, root: Path, out: Path) -> Damaged:
    dst = out / src.name
    dst.write_bytes(b"")
    return Damaged(dst)


def truncated(src: Path, root: Path, out: Path) -> Damaged:
    """The first half of the bytes: an xlsx is then a broken zip."""
    data = src.read_bytes()
    dst = out / src.name
    dst.write_bytes(data[: len(data) // 2])
    return Damaged(dst)


def bom_removed(src: Path, root: Path, out: Path) -> Damaged:
    data = src.read_bytes()
    assert data.startswith(BOM), f"{src.name} has no BOM to remove"
    dst = out / src.name
    dst.write_bytes(data[len(BOM):])
    return Damaged(dst)


def other_source(pattern: str, as_name: str):
    """A clean file of another source, copied under this source's folder and name."""
    def damage(src: Path, root: Path, out: Path) -> Damaged:
        return Damaged(copy_to(first_file(root, pattern), out, as_name))
    return damage


# --------------------------------------------------------------------------------------
# CSV sources: layouts (header label, code column, name column, value columns)
# --------------------------------------------------------------------------------------

def _csv_layout(source: str, t: Text):
    rows = t.rows
    if source == "wdi":
        h = header_index(rows, "Country Code")
        hdr = [c.strip() for c in rows[h]]
        vals = [j for j, c in enumerate(hdr) if re.match(r"^\d{4}", c)]
        return h, hdr.index("Country Code"), hdr.index("Country Name"), vals
    if source == "egov":
        h = header_index(rows, "Survey Year")
        hdr = [c.strip() for c in rows[h]]
        vals = [j for j, c in enumerate(hdr) if c.endswith(("Index", "Rank"))]
        return h, None, hdr.index("Country Name"), vals
    if source == "findex":
        h = header_index(rows, "Country Code")
        hdr = [c.strip() for c in rows[h]]
        vals = [j for j, c in enumerate(hdr) if "[YR" in c]
        return h, hdr.index("Country Code"), hdr.index("Country Name"), vals
    if source == "sdg":
        h = header_index(rows, "GeoAreaName")
        hdr = [c.strip() for c in rows[h]]
        return h, None, hdr.index("GeoAreaName"), [hdr.index("Value")]
    if source == "unesco":
        h = header_index(rows, "Country")
        hdr = [c.strip() for c in rows[h]]
        return h, None, hdr.index("Country"), [hdr.index("Literacy rate")]
    raise KeyError(source)


ENCODING = {"unesco": "cp1252"}
SEP = {"unesco": ";"}


def csv_damage(source: str, fn):
    """Wrap ``fn(t, layout) -> n`` editing rows of a CSV of ``source`` in place."""
    def damage(src: Path, root: Path, out: Path) -> Damaged:
        enc = ENCODING.get(source, "utf-8")
        try:
            t = read_text(src, enc, SEP.get(source, ","))
        except UnicodeDecodeError:
            t = read_text(src, "cp1252", SEP.get(source, ","))
        result = fn(t, _csv_layout(source, t))
        d = result if isinstance(result, Damaged) else Damaged(src, n=result or 0)
        d.path = write_text(out / src.name, t, enc)
        return d
    return damage


def set_value(source: str, new: str, column: str | None = None):
    def fn(t: Text, layout) -> int:
        h, code_j, name_j, vals = layout
        if column is not None:
            vals = [[c.strip() for c in t.rows[h]].index(column)]
        i, j = first_value_cell(t.rows, source, h + 1, code_j, name_j, vals)
        t.rows[i][j] = new
        return 1
    return fn


def scale_value(source: str, factor: float, fmt: str = "{:g}"):
    def fn(t: Text, layout) -> int:
        h, code_j, name_j, vals = layout
        i, j = first_value_cell(t.rows, source, h + 1, code_j, name_j, vals)
        v = float(t.rows[i][j].replace(",", "."))
        text = fmt.format(v * factor)
        t.rows[i][j] = text.replace(".", ",") if source == "unesco" else text
        return 1
    return fn


def rename_header(label: str, new: str, source: str):
    def fn(t: Text, layout) -> int:
        h = header_index(t.rows, label)
        t.rows[h] = [new if c.strip() == label else c for c in t.rows[h]]
        return 0
    return fn


def rename_year_column(source: str, new_suffix: str):
    def fn(t: Text, layout) -> Damaged:
        h, _, _, vals = layout
        old = t.rows[h][vals[0]]
        t.rows[h][vals[0]] = old.strip() + new_suffix
        return Damaged(Path(), name=t.rows[h][vals[0]])
    return fn


def duplicate_country_row(source: str):
    def fn(t: Text, layout) -> int:
        h, code_j, name_j, _vals = layout
        i = next(country_rows(source, t.rows, h + 1, code_j, name_j))
        t.rows.insert(i + 1, list(t.rows[i]))
        return 0
    return fn


def _records_of_row(source: str, t: Text, i: int, vals: list[int]) -> int:
    return len(vals)


def rename_country(source: str, new_name: str, every: bool = True, code: str | None = None):
    """A country's name (and code) in a new spelling: every row of that country."""
    def fn(t: Text, layout) -> Damaged:
        h, code_j, name_j, vals = layout
        i = next(country_rows(source, t.rows, h + 1, code_j, name_j))
        old = t.rows[i][name_j]
        hit = [k for k in range(h + 1, len(t.rows)) if len(t.rows[k]) > name_j
               and t.rows[k][name_j] == old] if every else [i]
        for k in hit:
            t.rows[k][name_j] = new_name
            if code is not None:
                t.rows[k][code_j] = code
        # missing cells of the renamed rows now count as unmapped_name: not strict
        return Damaged(Path(), n=len(hit) * len(vals), name=code or new_name, strict=False)
    return fn


def add_aggregate_row(source: str, name: str, code: str | None):
    """A copy of a country row relabelled as an aggregate that aggregates.csv lacks."""
    def fn(t: Text, layout) -> Damaged:
        h, code_j, name_j, vals = layout
        i = next(country_rows(source, t.rows, h + 1, code_j, name_j))
        row = list(t.rows[i])
        row[name_j] = name
        if code_j is not None:
            row[code_j] = code
        t.rows.insert(i, row)
        return Damaged(Path(), n=len(vals), name=code or name, added=len(vals))
    return fn


def datahub_duplicate_row(src: Path, root: Path, out: Path) -> Damaged:
    """A country row of the datahub CSV repeated: its in-scope scores count as duplicate."""
    t = read_text(src, _datahub_encoding(src))
    years = {j: int(c) for j, c in enumerate(t.rows[0]) if re.fullmatch(r"\d{4}", c.strip())}
    i = next(country_rows("cpi", t.rows, 1, None, 0))
    n = sum(1 for j, y in years.items() if y < 2012 and _number(t.rows[i][j])
            and float(t.rows[i][j]) != 0)
    t.rows.insert(i + 1, list(t.rows[i]))
    dst = write_text(out / src.name, t, _datahub_encoding(src))
    # the repeated row's other cells (not assessed, 2012+) are counted again: not strict
    return Damaged(dst, n=n, added=len(years), strict=False)


def _datahub_encoding(path: Path) -> str:
    try:
        path.read_bytes().decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def datahub_resaved_utf8(src: Path, root: Path, out: Path) -> Damaged:
    """The cp1252 CSV re-saved as UTF-8: every record of an accented name is unmapped."""
    data = src.read_bytes()
    if _datahub_encoding(src) != "cp1252" or not any(b > 127 for b in data):
        raise NotApplicable(f"{src.name} has no cp1252 letters to re-encode")
    dst = out / src.name
    text = data.decode("cp1252")
    # cp1252 is kept as published (the CPI reader's decision): accented names come out as
    # mojibake, unmapped and counted, with a warning naming them.
    garbled = {line.split(",")[0] for line in text.splitlines()[1:]
               if any(ord(ch) > 127 for ch in line.split(",")[0])}
    rows = [line for line in text.splitlines()[1:] if line.split(",")[0] in garbled]
    n = sum(len(line.split(",")) - 1 for line in rows)
    dst.write_bytes(text.encode("utf-8"))
    name = min(garbled).encode("utf-8").decode("cp1252")
    return Damaged(dst, n=n, name=name, strict=False)


def wdi_extra_preamble_line(t: Text, layout) -> int:
    h = layout[0]
    t.rows.insert(h, ["Note", "Series revised; see the metadata file"])
    return 0


def latin1_name(source: str, new_name: str):
    """One country name re-typed in latin-1 inside a UTF-8 file (bytes, not text)."""
    def damage(src: Path, root: Path, out: Path) -> Damaged:
        t = read_text(src)
        h, code_j, name_j, _vals = _csv_layout(source, t)
        i = next(country_rows(source, t.rows, h + 1, code_j, name_j))
        marker = "@@LATIN1@@"
        t.rows[i][name_j] = marker
        dst = write_text(out / src.name, t)
        dst.write_bytes(dst.read_bytes().replace(marker.encode(), new_name.encode("latin-1")))
        return Damaged(dst)
    return damage


def unesco_mixed_encoding(src: Path, root: Path, out: Path) -> Damaged:
    """The cp1252 file re-saved as UTF-8 with one name typed in UTF-8 ('Türkiye'), then
    one latin-1 byte elsewhere: neither encoding reads the whole file."""
    t = read_text(src, "cp1252", ";")
    h, _, name_j, _ = _csv_layout("unesco", t)
    t.rows[h + 1][name_j] = "Türkiye"
    t.rows[h + 2][name_j] = "@@LATIN1@@"
    dst = write_text(out / src.name, t, "utf-8", bom=False)
    dst.write_bytes(dst.read_bytes().replace(b"@@LATIN1@@", "Curaçao".encode("latin-1")))
    return Damaged(dst)


def truncated_csv_line(src: Path, root: Path, out: Path) -> Damaged:
    """The file cut in the middle of its last data line (an interrupted download)."""
    data = src.read_bytes().rstrip(b"\r\n")
    last = data.rfind(b"\n")
    cut = last + 1 + (len(data) - last) // 3
    dst = out / src.name
    dst.write_bytes(data[:cut])
    return Damaged(dst)


# --------------------------------------------------------------------------------------
# xlsx sources
# --------------------------------------------------------------------------------------

def _cpi_sheet(book):
    return next(ws for ws in book.worksheets if ws.title.startswith("CPI Timeseries"))


def _cpi_score_cell(book):
    ws = _cpi_sheet(book)
    h, cols = sheet_header(ws, "ISO3")
    score = next(j for k, j in cols.items() if k.casefold().startswith("cpi score"))
    iso = cols["ISO3"]
    for r in range(h + 1, ws.max_row + 1):
        v = ws.cell(r, score).value
        if _number(v) and _is_country("cpi", code=ws.cell(r, iso).value) and float(v) > 10:
            return ws, r, score
    raise LookupError("no CPI score cell")


def cpi_insert_rows(k: int):
    def fn(book):
        _cpi_sheet(book).insert_rows(1, amount=k)
    return fn


def cpi_rename_sheets(book):
    for ws in book.worksheets:
        ws.title = (ws.title[:27] + " (2)")


def cpi_set_score(text):
    def fn(book):
        ws, r, j = _cpi_score_cell(book)
        ws.cell(r, j).value = text(ws.cell(r, j).value)
        return 1
    return fn


def _wgi_cells(book, label: str):
    ws = book.worksheets[0]
    h, cols = sheet_header(ws, "estimate")
    j = cols[label]
    for r in range(h + 1, ws.max_row + 1):
        if _number(ws.cell(r, cols["estimate"]).value) and _is_country(
                "wgi", code=ws.cell(r, cols["code"]).value):
            return ws, r, j, h, cols
    raise LookupError("no WGI country row")


def wgi_set(label: str, value):
    def fn(book):
        ws, r, j, _, _ = _wgi_cells(book, label)
        ws.cell(r, j).value = value(ws.cell(r, j).value)
        return 1
    return fn


def wgi_insert_title_rows(book):
    ws = book.worksheets[0]
    ws.insert_rows(1, amount=3)
    ws.cell(1, 1).value = "Worldwide Governance Indicators, 2024 update"


def wgi_rename_estimate(book):
    ws, _, _, h, cols = _wgi_cells(book, "estimate")
    ws.cell(h, cols["estimate"]).value = "est"


def wgi_duplicate_row(book):
    ws, r, _, _, _ = _wgi_cells(book, "estimate")
    ws.append([c.value for c in ws[r]])


def _itu_value_cell(book):
    for ws in book.worksheets:
        if ws.title == "Definitions":
            continue
        h, cols = sheet_header(ws, "Country")
        vcols = [j for k, j in cols.items() if k.endswith("_value")]
        for r in range(h + 1, ws.max_row + 1):
            name = ws.cell(r, cols["Country"]).value
            if name and _is_country("itu", name=name):
                for j in vcols:
                    if _number(ws.cell(r, j).value) and float(ws.cell(r, j).value) > 0:
                        return ws, r, j
    raise LookupError("no ITU value cell")


def itu_set(value):
    def fn(book):
        ws, r, j = _itu_value_cell(book)
        ws.cell(r, j).value = value(ws.cell(r, j).value)
        return 1
    return fn


def itu_rename_country(new_name: str):
    def fn(book):
        ws, r, _ = _itu_value_cell(book)
        _h, cols = sheet_header(ws, "Country")
        old = ws.cell(r, cols["Country"]).value
        n = 0
        for sheet in book.worksheets:
            if sheet.title == "Definitions":
                continue
            hh, cc = sheet_header(sheet, "Country")
            nvals = sum(1 for k in cc if k.endswith("_value"))
            for rr in range(hh + 1, sheet.max_row + 1):
                if sheet.cell(rr, cc["Country"]).value == old:
                    sheet.cell(rr, cc["Country"]).value = new_name
                    n += nvals
        return Damaged(Path(), n=n, name=new_name, strict=False)
    return fn


def itu_delete_definitions(book):
    del book["Definitions"]


def itu_rename_data_sheet(book):
    ws, _, _ = _itu_value_cell(book)
    h, cols = sheet_header(ws, "Country")
    nvals = sum(1 for k in cols if k.endswith("_value"))
    rows = sum(1 for r in range(h + 1, ws.max_row + 1)
               if any(ws.cell(r, j).value not in (None, "") for j in range(1, ws.max_column + 1)))
    ws.title = ws.title + "_new"
    return Damaged(Path(), n=rows * nvals, strict=False)


def findex_rename_data(book):
    book["Data"].title = "Data (2)"


def findex_insert_title(book):
    ws = book["Data"]
    ws.insert_rows(1, amount=1)
    ws.cell(1, 1).value = "Global Findex Database: digital payments"


def findex_negative(book):
    ws = book["Data"]
    h, cols = sheet_header(ws, "Series Code")
    years = [j for k, j in cols.items() if "[YR" in k]
    for r in range(h + 1, ws.max_row + 1):
        if not _is_country("findex", code=ws.cell(r, cols["Country Code"]).value or ""):
            continue
        for j in years:
            v = ws.cell(r, j).value
            if _number(v) and float(v) > 0:
                ws.cell(r, j).value = -float(v)
                return 1
    raise LookupError("no Findex value")


def book_damage(fn):
    def damage(src: Path, root: Path, out: Path) -> Damaged:
        return edit_book(src, out, fn)
    return damage


# --------------------------------------------------------------------------------------
# the corpus
# --------------------------------------------------------------------------------------

WDI_API = "wb_wdi/api_csv/API_*.csv"
WDI_DB = "wb_wdi/databank_extract/*.csv"
WGI = "wb_wgi/*.xlsx"
CPI_TS = "ti_cpi/CPI*GlobalResultsTrends*.xlsx"
CPI_DATAHUB = "ti_cpi/datahub_core/cpi.csv"
ITU_SUBS = "itu/*Subscriptions_*.xlsx"
EGOV = "un_egov/EGOV_DATA_*.csv"
FINDEX_XLSX = "wb_findex/Data_Extract_From_*Inclusion.xlsx"
FINDEX_CSV = "wb_findex/made_or_received*.csv"
SDG = "un_sdg/*mobile*.csv"
UNESCO = "unesco_literacy/*.csv"

SFE, VE = SourceFormatError, ValidationError
RANGE = r"{file}: column 'value': 1 values outside the catalogue range of their indicator"

CASES = [
    # --- WDI -------------------------------------------------------------------------
    Case("wdi_header_moved", "wdi", WDI_API, "an extra note line above the header",
         csv_damage("wdi", wdi_extra_preamble_line), "error", SFE,
         r"{file}: header: column\(s\) \['Country Name', 'Country Code'"),
    Case("wdi_year_column_renamed", "wdi", WDI_API, "the first year column '<year>' -> '<year> (est.)'",
         csv_damage("wdi", rename_year_column("wdi", " (est.)")), "error", SFE,
         r"{file}: column '\d{4} \(est\.\)': expected only ID and year columns"),
    Case("wdi_dotdot_in_api_csv", "wdi", WDI_API, "'..' where the API CSV leaves cells empty",
         csv_damage("wdi", set_value("wdi", "..")), "drop", reason="missing"),
    Case("wdi_na_in_databank", "wdi", WDI_DB, "'n/a' instead of '..' in a DataBank export",
         csv_damage("wdi", set_value("wdi", "n/a")), "drop", reason="missing"),
    Case("wdi_unknown_marker", "wdi", WDI_DB, "a marker no list knows ('not available')",
         csv_damage("wdi", set_value("wdi", "not available")), "error", SFE,
         r"{file}: data row \d+ column '\d{4} \[YR\d{4}\]' = 'not available': expected a "
         r"number or a missing marker"),
    Case("wdi_decimal_comma", "wdi", WDI_API, "a decimal comma ('45,3') in a value",
         csv_damage("wdi", set_value("wdi", "45,3")), "error", SFE,
         r"{file}: data row \d+ column '\d{4}' = '45,3': expected a number or a missing "
         r"marker"),
    Case("wdi_bom_removed", "wdi", WDI_API, "the UTF-8 BOM removed", bom_removed, "same"),
    Case("wdi_empty_file", "wdi", WDI_API, "a zero-byte file", empty_file, "error", SFE,
         r"{file}: file: expected a WDI CSV, found an empty file"),
    Case("wdi_other_source_file", "wdi", WDI_API, "an EGOV CSV saved as API_*.csv",
         other_source(EGOV, "API_IT.NET.USER.ZS_DS2_en_csv_v2_2.csv"), "error", SFE,
         r"{file}: line 1: expected a WDI API preamble"),
    Case("wdi_duplicate_country_year", "wdi", WDI_API, "a country row repeated",
         csv_damage("wdi", duplicate_country_row("wdi")), "error", VE,
         r"{file}: \d+ rows share a key \(iso3, year, indicator, breakdown, group\); "
         r"expected one value per key"),
    Case("wdi_aggregate_not_listed", "wdi", WDI_API, "an aggregate 'ZZD' not in aggregates.csv",
         csv_damage("wdi", add_aggregate_row("wdi", "Digital frontier economies", "ZZD")),
         "drop", reason="unmapped_name"),
    Case("wdi_negative_percent", "wdi", WDI_API, "internet users -x %",
         csv_damage("wdi", scale_value("wdi", -1)), "error", VE,
         RANGE + r" \(e\.g\. wdi_internet_users_pct expected 0\.\.100\)"),
    # --- WGI -------------------------------------------------------------------------
    Case("wgi_header_moved", "wgi", WGI, "three title rows above the header",
         book_damage(wgi_insert_title_rows), "same"),
    Case("wgi_value_column_renamed", "wgi", WGI, "'estimate' -> 'est'",
         book_damage(wgi_rename_estimate), "error", SFE,
         r"{file}: first 15 rows: expected a header row with \['code', 'countryname', 'year', "
         r"'indicator', 'estimate'\]"),
    Case("wgi_na_marker", "wgi", WGI, "'n/a' instead of '..' in 'estimate'",
         book_damage(wgi_set("estimate", lambda v: "n/a")), "drop", reason="missing"),
    Case("wgi_year_as_text", "wgi", WGI, "a year stored as the text '2019'",
         book_damage(wgi_set("year", lambda v: str(v))), "same"),
    Case("wgi_year_not_a_year", "wgi", WGI, "a year written 'FY<year>'",
         book_damage(wgi_set("year", lambda v: f"FY{v}")), "error", SFE,
         r"{file}: row \d+ column 'year': expected a four-digit year, found 'FY\d{4}'"),
    Case("wgi_truncated_xlsx", "wgi", WGI, "first half of the workbook (broken zip)",
         truncated, "error", SFE, r"{file}: file: expected a readable Excel workbook"),
    Case("wgi_empty_file", "wgi", WGI, "a zero-byte workbook", empty_file, "error", SFE,
         r"{file}: file: expected a non-empty workbook, found an empty file"),
    Case("wgi_duplicate_country_year", "wgi", WGI, "a row repeated at the end",
         book_damage(wgi_duplicate_row), "error", VE, r"{file}: \d+ rows share a key"),
    # --- CPI -------------------------------------------------------------------------
    Case("cpi_header_moved", "cpi", CPI_TS, "two more title rows above the header",
         book_damage(cpi_insert_rows(2)), "same"),
    Case("cpi_header_moved_far", "cpi", CPI_TS, "header pushed below row 15",
         book_damage(cpi_insert_rows(20)), "error", SFE,
         r"{file}: sheet 'CPI Timeseries 2012 - \d{4}': first 15 rows: expected a header row "
         r"with a 'Country / Territory'"),
    Case("cpi_sheets_renamed", "cpi", CPI_TS, "every sheet renamed '<name> (2)'",
         book_damage(cpi_rename_sheets), "error", SFE,
         r"{file}: sheets: expected a 'CPI Timeseries 2012 - <year>' sheet or a 'CPI <year>' "
         r"sheet, found sheets \["),
    Case("cpi_dash_marker", "cpi", CPI_TS, "'-' for a missing score",
         book_damage(cpi_set_score(lambda v: "-")), "drop", reason="missing"),
    Case("cpi_0_10_in_0_100_column", "cpi", CPI_TS, "a score divided by 10 (45 -> 4.5)",
         book_damage(cpi_set_score(lambda v: float(v) / 10 + 0.01)), "error", SFE,
         r"{file}: row \d+ column 'CPI [sS]core \d{4}': expected a whole-number score on "
         r"TI's 0-100 scale"),
    Case("cpi_truncated_xlsx", "cpi", CPI_TS, "first half of the workbook (broken zip)",
         truncated, "error", SFE, r"{file}: file: expected a readable Excel workbook"),
    Case("cpi_other_source_file", "cpi", CPI_TS, "the WGI workbook saved as CPI2099.xlsx",
         other_source(WGI, "CPI2099_GlobalResultsTrends.xlsx"), "error", SFE,
         r"{file}: sheets: expected a 'CPI Timeseries 2012 - <year>' sheet"),
    Case("cpi_datahub_duplicate_row", "cpi", CPI_DATAHUB, "a country row repeated",
         datahub_duplicate_row, "drop", reason="duplicate"),
    Case("cpi_datahub_resaved_utf8", "cpi", CPI_DATAHUB, "the cp1252 CSV re-saved as UTF-8",
         datahub_resaved_utf8, "drop", reason="unmapped_name"),
    # --- ITU -------------------------------------------------------------------------
    Case("itu_dash_marker", "itu", ITU_SUBS, "'-' for a missing value",
         book_damage(itu_set(lambda v: "-")), "drop", reason="missing"),
    Case("itu_new_spelling", "itu", ITU_SUBS, "a country renamed 'Republic of Testland'",
         book_damage(itu_rename_country("Republic of Testland")), "drop",
         reason="unmapped_name"),
    Case("itu_negative_value", "itu", ITU_SUBS, "a negative subscription value",
         book_damage(itu_set(lambda v: -float(v))), "error", VE, RANGE),
    Case("itu_definitions_sheet_missing", "itu", ITU_SUBS, "the 'Definitions' sheet deleted",
         book_damage(itu_delete_definitions), "same"),
    Case("itu_data_sheet_renamed", "itu", ITU_SUBS, "a series sheet 'i271' -> 'i271_new'",
         book_damage(itu_rename_data_sheet), "drop", reason="not_in_catalogue"),
    # --- EGOV ------------------------------------------------------------------------
    Case("egov_value_column_renamed", "egov", EGOV, "'Online Service Index' -> 'OSI'",
         csv_damage("egov", rename_header("Online Service Index", "OSI", "egov")), "error",
         SFE, r"{file}: header \(data centre\): column\(s\) \['Online Service Index'\]: "
         r"expected present"),
    Case("egov_latin1_bytes", "egov", EGOV, "a name typed in latin-1 ('Türkiye') in UTF-8",
         latin1_name("egov", "Türkiye"), "error", SFE,
         r"{file}: line \d+ \(byte \d+\): expected text in utf-8-sig, found undecodable "
         r"byte b'\\xfc'"),
    Case("egov_egdi_above_1", "egov", EGOV, "an EGDI of 1.2",
         csv_damage("egov", set_value("egov", "1.20000",
                                       column="E-Government Index")), "error", VE,
         RANGE + r" \(e\.g\. egov_\w+ expected 0\.\.1\)"),
    Case("egov_duplicate_country_year", "egov", EGOV, "a country row repeated",
         csv_damage("egov", duplicate_country_row("egov")), "error", VE,
         r"{file}: \d+ rows share a key \(iso3, year, indicator, breakdown, group\)"),
    Case("egov_new_spelling", "egov", EGOV, "a name in a new spelling ('Testland (Republic of)')",
         csv_damage("egov", rename_country("egov", "Testland (Republic of)")), "drop",
         reason="unmapped_name"),
    Case("egov_aggregate_not_listed", "egov", EGOV, "a 'Small Island Digital States' row",
         csv_damage("egov", add_aggregate_row("egov", "Small Island Digital States", None)),
         "drop", reason="unmapped_name"),
    Case("egov_na_marker", "egov", EGOV, "'n/a' in an index column",
         csv_damage("egov", set_value("egov", "n/a",
                                       column="E-Participation Index")), "drop",
         reason="missing"),
    Case("egov_year_as_words", "egov", EGOV, "Survey Year 'twenty-two'",
         csv_damage("egov", lambda t, lay: t.rows[lay[0] + 1].__setitem__(0, "twenty-two")),
         "error", SFE, r"{file}: line 2 column 'Survey Year': expected a year, found "
         r"'twenty-two'"),
    Case("egov_other_source_file", "egov", EGOV, "an SDG CSV saved as EGOV_DATA_2030.csv",
         other_source(SDG, "EGOV_DATA_2030.csv"), "error", SFE,
         r"{file}: header: expected 'Country Name' and 'E-Government Index'"),
    Case("egov_truncated_csv", "egov", EGOV, "the file cut inside its last line",
         truncated_csv_line, "error", SFE,
         r"{file}: line \d+: expected 8 fields \(as in the header\), found \d+ \(the "
         r"file ends inside this line: truncated\?\)"),
    Case("egov_empty_file", "egov", EGOV, "a zero-byte file", empty_file, "error", SFE,
         r"{file}: file: expected a non-empty CSV, found an empty file"),
    # --- Findex ----------------------------------------------------------------------
    Case("findex_sheet_renamed", "findex", FINDEX_XLSX, "sheet 'Data' -> 'Data (2)'",
         book_damage(findex_rename_data), "error", SFE,
         r"{file}: sheet 'Data': expected present, found sheets \["),
    Case("findex_header_moved", "findex", FINDEX_XLSX, "a title row above the header",
         book_damage(findex_insert_title), "error", SFE,
         r"{file}: sheet 'Data' row 1: expected the DataBank header"),
    Case("findex_negative_percent", "findex", FINDEX_XLSX, "a negative share of adults",
         book_damage(findex_negative), "error", VE, RANGE),
    Case("findex_bom_removed", "findex", FINDEX_CSV, "the UTF-8 BOM removed", bom_removed,
         "same"),
    Case("findex_dash_marker", "findex", FINDEX_CSV, "'-' instead of '..'",
         csv_damage("findex", set_value("findex", "-")), "drop", reason="missing"),
    # --- SDG -------------------------------------------------------------------------
    Case("sdg_value_column_renamed", "sdg", SDG, "'Value' -> 'ObsValue'",
         csv_damage("sdg", rename_header("Value", "ObsValue", "sdg")), "error", SFE,
         r"{file}: header: column\(s\) \['Value'\]: expected present"),
    Case("sdg_ellipsis_marker", "sdg", SDG, "'...' for a missing value",
         csv_damage("sdg", set_value("sdg", "...")), "drop", reason="missing"),
    Case("sdg_duplicate_country_year", "sdg", SDG, "a line repeated",
         csv_damage("sdg", duplicate_country_row("sdg")), "error", VE,
         r"{file}: 2 rows share a key"),
    Case("sdg_year_as_range", "sdg", SDG, "TimePeriod '2019-2020'",
         csv_damage("sdg", lambda t, lay: t.rows[lay[0] + 1].__setitem__(
             t.rows[lay[0]].index("TimePeriod"), "2019-2020")), "error", SFE,
         r"{file}: line 2 column 'TimePeriod': expected a four-digit year, found '2019-2020'"),
    Case("sdg_negative_percent", "sdg", SDG, "a negative share",
         csv_damage("sdg", scale_value("sdg", -1)), "error", VE, RANGE),
    Case("sdg_other_source_file", "sdg", SDG, "a Findex CSV saved under un_sdg/",
         other_source(FINDEX_CSV, "sdg_database_new.csv"), "error", SFE,
         r"{file}: header: column\(s\) \['SeriesCode', 'GeoAreaCode'"),
    # --- UNESCO ----------------------------------------------------------------------
    Case("unesco_mixed_encoding", "unesco", UNESCO, "UTF-8 text with a latin-1 name",
         unesco_mixed_encoding, "error", SFE,
         r"{file}: line 2 column 'Country': expected text in one encoding"),
    Case("unesco_empty_file", "unesco", UNESCO, "a zero-byte file", empty_file, "error", SFE,
         r"{file}: file: expected a non-empty CSV, found an empty file"),
    Case("unesco_new_spelling", "unesco", UNESCO, "a country renamed 'Testland'",
         csv_damage("unesco", rename_country("unesco", "Testland")), "drop",
         reason="unmapped_name"),
    Case("unesco_percent_in_share_column", "unesco", UNESCO, "a rate as percent (x100)",
         csv_damage("unesco", scale_value("unesco", 100)), "error", SFE,
         r"{file}: line \d+ column 'Literacy rate': expected a share between 0 and 1"),
    Case("unesco_negative_share", "unesco", UNESCO, "a negative rate",
         csv_damage("unesco", scale_value("unesco", -1)), "error", SFE,
         r"{file}: line \d+ column 'Literacy rate': expected a share between 0 and 1"),
]

CASE_IDS = [c.id for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "case ids must be unique"
