"""Shared steps of the readers: open safely, check columns, parse numbers, harmonise.

Every reader follows the same shape: open the file (errors name the file), check the
header (errors list missing and present columns), reshape to one record per candidate
value, resolve countries, parse values (missing markers counted), map series to
catalogue indicators, then :func:`finish` validates and balances the ledger.

The ledger unit is the *record*: a line of a long file, a (row, year) cell of a wide
file, one footer line. ``rows_read`` counts records, so drops by reason add up to it.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pandas as pd

from divides.countries import Harmoniser
from divides.errors import SourceFormatError
from divides.observations import ReadReport, finalize

#: Strings publishers use for "no value". Compared after stripping whitespace.
MISSING_MARKERS = frozenset({"", "..", "...", "-", "–", "—", "n/a", "N/A", "na", "NA", "nan", "NaN",
                             "None", "x", "…"})


def read_csv_checked(path: Path, **kwargs) -> pd.DataFrame:
    """``pd.read_csv`` with errors that name the file and say what was expected."""
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "file", "an existing file", found="no such file")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file", "a non-empty CSV", found="an empty file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, **kwargs)
    except UnicodeDecodeError as exc:
        enc = kwargs.get("encoding", "utf-8")
        # pandas reports offsets within its decoded chunk (after a BOM): re-decode the
        # whole file to find the absolute byte and its line.
        raw = path.read_bytes()
        try:
            raw.decode("utf-8" if enc.lower().replace("_", "-") == "utf-8-sig" else enc)
            start = exc.start
        except UnicodeDecodeError as whole:
            start = whole.start
        line = _line_of_byte(path, start)
        raise SourceFormatError(path, f"line {line} (byte {start})", f"text in {enc}",
                                found=f"undecodable byte {raw[start:start + 1]!r}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceFormatError(path, "file", "a CSV table", found=str(exc).strip()) from None
    _check_cut_last_line(frame, path, kwargs)
    return frame


def _check_cut_last_line(frame: pd.DataFrame, path: Path, kwargs: dict) -> None:
    """A file that ends inside a line with fewer fields than the header was cut off (an
    interrupted download); pandas would pad that line with empty cells, i.e. 'missing'."""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 65536))
        tail = fh.read()
    if tail.endswith((b"\n", b"\r")):
        return
    last = tail.rsplit(b"\n", 1)[-1].decode(kwargs.get("encoding") or "utf-8", errors="replace")
    fields = len(next(csv.reader([last], delimiter=kwargs.get("sep", ","))))
    if fields < frame.shape[1]:
        with open(path, "rb") as fh:
            line = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) + 1
        raise SourceFormatError(path, f"line {line}", f"{frame.shape[1]} fields (as in the "
                                "header)", found=f"{fields} (the file ends inside this line: "
                                "truncated?)")


#: Limits on what a published file may make the reader allocate: the largest real file is
#: a few MB, the largest sheet about 32,000 rows x 40 columns.
MAX_MEMBER_BYTES = 512 << 20  # an archive member, uncompressed
MAX_COMPRESSION_RATIO = 200  # uncompressed / compressed size of one member
MAX_SHEET_CELLS = 20_000_000  # rows x columns of one worksheet's used range
_CELL_REF = re.compile(rb'<(?:\w+:)?(?:c|dimension)\s[^>]*?(?:r|ref)="(?:[A-Z]+[0-9]+:)?([A-Z]+)([0-9]+)"')


def read_member(path: Path, archive: zipfile.ZipFile, name: str) -> bytes:
    """The bytes of member ``name``, refused (SourceFormatError naming file and member)
    when its size or compression ratio is beyond :data:`MAX_MEMBER_BYTES` /
    :data:`MAX_COMPRESSION_RATIO` (a 4 GiB member in a 4 MB zip), before it is inflated."""
    info = archive.getinfo(name)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > MAX_MEMBER_BYTES or ratio > MAX_COMPRESSION_RATIO:
        raise SourceFormatError(path, f"member {name}", f"at most {MAX_MEMBER_BYTES} bytes "
                                f"and a compression ratio of {MAX_COMPRESSION_RATIO}",
                                found=f"{info.file_size} bytes from {info.compress_size} "
                                "(not inflated)")
    with archive.open(name) as member:
        data = member.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise SourceFormatError(path, f"member {name}", f"at most {MAX_MEMBER_BYTES} bytes",
                                found="more than its header says (not inflated further)")
    return data


def check_sheet_size(path: Path) -> None:
    """Refuse an xlsx whose worksheets reach beyond :data:`MAX_SHEET_CELLS` cells (one cell
    at XFD1048576 made calamine ask for 512 GiB and abort the process), reading the
    worksheets' cell references before any Excel engine allocates the grid."""
    if path.suffix.casefold() not in (".xlsx", ".xlsm"):
        return
    try:
        with zipfile.ZipFile(path) as book:
            sheets = [n for n in book.namelist()
                      if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            for name in sheets:
                rows = cols = 0
                tail = b""
                with book.open(name) as sheet:
                    while block := sheet.read(1 << 20):
                        for col, row in _CELL_REF.findall(tail + block):
                            rows = max(rows, int(row))
                            cols = max(cols, _column_number(col))
                        tail = block[-200:]
                if rows * cols > MAX_SHEET_CELLS:
                    raise SourceFormatError(path, f"worksheet {name}", f"at most "
                                            f"{MAX_SHEET_CELLS} cells", found=f"cells up to "
                                            f"row {rows}, column {cols} ({rows * cols} cells)")
    except zipfile.BadZipFile:
        return  # the Excel engine names the damage


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ch - 64)
    return number


def read_excel_checked(path: Path, sheet_name, engine: str | None = None,
                       **kwargs) -> pd.DataFrame:
    """``pd.read_excel`` with errors naming the file and sheet (missing sheet, broken zip).

    ``engine`` is passed to ``pd.ExcelFile`` (e.g. ``"calamine"``, about 5x faster than
    openpyxl on a 27k-row sheet); None lets pandas choose.
    """
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "file", "an existing file", found="no such file")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file", "a non-empty workbook", found="an empty file")
    check_sheet_size(path)
    try:
        book = pd.ExcelFile(path, engine=engine)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceFormatError(path, "file", "a readable Excel workbook",
                                found=f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - xlrd and openpyxl raise their own types for damaged files
        raise SourceFormatError(path, "file", "a readable Excel workbook",
                                found=f"{type(exc).__name__}: {exc}") from None
    with book:
        names = book.sheet_names
        if isinstance(sheet_name, str) and sheet_name not in names:
            raise SourceFormatError(path, f"sheet {sheet_name!r}", "present",
                                    found=f"sheets {names}")
        if isinstance(sheet_name, int) and sheet_name >= len(names):
            raise SourceFormatError(path, f"sheet number {sheet_name}", "present",
                                    found=f"sheets {names}")
        return pd.read_excel(book, sheet_name=sheet_name, header=None, dtype=object, **kwargs)


def sheet_names(path: Path, engine: str | None = None) -> list[str]:
    """Sheet names of a workbook, with the same clear errors as :func:`read_excel_checked`."""
    path = Path(path)
    if not path.exists():
        raise SourceFormatError(path, "file", "an existing file", found="no such file")
    if path.stat().st_size == 0:
        raise SourceFormatError(path, "file", "a non-empty workbook", found="an empty file")
    check_sheet_size(path)
    try:
        with pd.ExcelFile(path, engine=engine) as book:
            return list(book.sheet_names)
    except Exception as exc:  # noqa: BLE001 - as above: any damage is a SourceFormatError
        raise SourceFormatError(path, "file", "a readable Excel workbook",
                                found=f"{type(exc).__name__}: {exc}") from None


def _line_of_byte(path: Path, offset: int) -> int:
    with open(path, "rb") as fh:
        return fh.read(offset).count(b"\n") + 1


def require_columns(frame: pd.DataFrame, required: Iterable[str], path: Path,
                    where: str = "header") -> None:
    """Raise naming the missing and the present columns (PUDL-style loud rename)."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceFormatError(path, f"{where}: column(s) {missing}", "present",
                                found=f"columns {list(map(str, frame.columns))[:20]}")


def find_header_row(raw: pd.DataFrame, must_contain: Iterable[str], path: Path,
                    max_rows: int = 15) -> int:
    """Index of the first row (within ``max_rows``) whose cells include all ``must_contain``."""
    wanted = [w.casefold() for w in must_contain]
    for i in range(min(max_rows, len(raw))):
        cells = {str(v).strip().casefold() for v in raw.iloc[i].tolist()}
        if all(w in cells for w in wanted):
            return i
    raise SourceFormatError(path, f"first {max_rows} rows", f"a header row with {list(must_contain)}",
                            found="none")


def parse_values(values: pd.Series, path: Path, column_of: pd.Series | None = None,
                 row_of: pd.Series | None = None, thousands: bool = True
                 ) -> tuple[pd.Series, pd.Series]:
    """Strings -> floats; return (values, is_missing). Unknown text raises, naming where.

    With ``thousands`` numbers may carry thousands separators (``"1,234"``); a format that
    never writes them (the World Bank's API CSV) passes False, so that ``"216,728"`` there
    is an error, not 216728. Anything else that is neither a number nor a missing marker
    is an error, never a silent NaN.
    """
    text = values.astype("string").str.strip().fillna("")
    is_missing = text.isin(MISSING_MARKERS)
    cleaned = text.where(~is_missing, None)
    if thousands:
        cleaned = cleaned.str.replace(r"(?<=\d),(?=\d{3}\b)", "", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    bad = numbers.isna() & ~is_missing
    if bad.any():
        idx = bad[bad].index[:5]
        where = []
        for i in idx:
            col = f" column {column_of[i]!r}" if column_of is not None else ""
            # a bare number is a row number; "line 5", "sheet x row 5" are kept as written
            row = (f"record {i}" if row_of is None else str(row_of[i])
                   if str(row_of[i])[:1].isalpha() else f"row {row_of[i]}")
            where.append(f"{row}{col} = {values[i]!r}")
        raise SourceFormatError(path, "; ".join(where), "a number or a missing marker "
                                f"{sorted(m for m in MISSING_MARKERS if m)}",
                                found=f"{int(bad.sum())} non-numeric cells")
    return numbers.astype("float64"), is_missing


def parse_years(values: pd.Series, path: Path, where: pd.Series, expected: str = "a four-digit year"
                ) -> pd.Series:
    """Whole-number years as int64; the first cell that is not one raises, naming ``where``
    of its row (e.g. ``"row 12 column 'year'"``)."""
    years = pd.to_numeric(values, errors="coerce")
    bad = years.isna() | (years != years.round())
    if bad.any():
        i = bad[bad].index[0]
        raise SourceFormatError(path, str(where[i]), expected, found=repr(values[i]))
    return years.astype("int64")


YEAR_RE = re.compile(r"^\s*(\d{4})(?:\s*\[YR\d{4}\])?\s*$")


def year_columns(columns: Iterable[object]) -> dict[object, int]:
    """Columns that are years (``2020``, ``"2020"``, ``"2020 [YR2020]"``) -> the year."""
    out = {}
    for col in columns:
        m = YEAR_RE.match(str(col))
        if m:
            out[col] = int(m.group(1))
    return out


#: A footer line where a country name belongs ("Source: ITU", "Notes: ...").
FOOTER_RE = r"(?i)^(?:sources?|notes?)\s*:"


def resolve_countries(frame: pd.DataFrame, harmoniser: Harmoniser, report: ReadReport,
                      path: Path, code_col: str | None = None,
                      name_col: str | None = None) -> pd.DataFrame:
    """Add ``iso3``; drop (and count) aggregates and unmapped entries.

    When both columns are given, codes decide and names are only used where the code is
    empty. Aggregates are always recognised by code first. An empty code where there is
    no name to fall back on is an error naming the row; a name such as ``Source: ...`` or
    ``Note: ...`` is a footer line, counted as ``footer`` (not an unmapped country).
    """
    def cells(col: str) -> pd.Series:  # empty cells (NaN, None) as "", all as str
        return frame[col].astype("string").fillna("").str.strip().astype(object)

    if code_col is not None:
        codes = cells(code_col)
        empty = codes == ""
        if empty.any() and name_col is None:
            rows = frame.loc[empty, "row"] if "row" in frame.columns else frame.index[empty]
            raise SourceFormatError(path, f"row(s) {sorted(set(map(str, rows)))[:5]} column "
                                    f"{code_col!r}", "a country code", found="an empty cell")
        resolved = harmoniser.resolve_codes(codes)
        if name_col is not None and empty.any():
            resolved.loc[empty] = harmoniser.resolve_names(cells(name_col).loc[empty])
        shown = codes + (" " + cells(name_col) if name_col else "")
    else:
        names = cells(name_col)
        resolved = harmoniser.resolve_names(names)
        shown = names
    footer = shown.str.strip().str.contains(FOOTER_RE)
    resolved.loc[footer, ["iso3", "reason"]] = [None, "footer"]
    report.unmapped_names = sorted(set(report.unmapped_names) |
                                   set(harmoniser.warn_unmapped(shown, resolved, Path(path).name)))
    report.aliases_used = sorted(set(report.aliases_used) | set(harmoniser.used_aliases()))
    for reason, n in resolved["reason"].value_counts().items():
        report.drop(reason, int(n))
    keep = resolved["reason"].isna()
    out = frame.loc[keep].copy()
    out["iso3"] = resolved.loc[keep, "iso3"].astype(str)
    return out


def finish(obs: pd.DataFrame, report: ReadReport, path: Path) -> tuple[pd.DataFrame, ReadReport]:
    """Canonical layout, schema and range checks, balanced ledger."""
    obs = finalize(obs.assign(source=report.source, file=Path(path).name))
    from divides.schemas import validate_observations  # pandera: only when a file is read

    validate_observations(obs, Path(path).name)
    report.observations = len(obs)
    report.check()
    return obs, report


def iso_date(text: str, path: Path) -> str:
    """A World Bank date stamp (``2025-04-15`` or ``05/25/2022``) as ``YYYY-MM-DD``."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            pass
    raise SourceFormatError(path, "'Last Updated' stamp", "a date such as 2025-04-15 or "
                            "05/25/2022", found=repr(text))
