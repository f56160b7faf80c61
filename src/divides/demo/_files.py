"""Byte-reproducible file writing for the demo set (CSV text and xlsx workbooks).

openpyxl stamps ``docProps/core.xml`` with the current time on every save and gives
every zip entry the current time (TECH-NOTES.md, "Deterministic xlsx"). :func:`write_xlsx`
writes the workbook parts itself with a fixed ``ZipInfo.date_time`` and fixed
created/modified stamps, so the same rows give the same bytes; :func:`deterministic_zip`
does the same for an archive saved by openpyxl.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_STAMP = "2024-01-01T00:00:00Z"
_STAMP_RE = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def write_text(path: Path, text: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    """Write ``text`` exactly (no newline translation), optionally with a UTF-8 BOM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Iterable[Sequence[object]]]]) -> Path:
    """Workbook with one sheet per (name, rows); None cells stay empty.

    The SpreadsheetML parts are written directly (strings inline, numbers as numbers):
    openpyxl's cell-by-cell writer took about 10 s for the WGI sheet alone, this takes
    well under one. The result opens in Excel, openpyxl and calamine alike.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [name for name, _ in sheets]
    parts = {
        "[Content_Types].xml": _content_types(len(names)),
        "_rels/.rels": _ROOT_RELS,
        "docProps/app.xml": _APP,
        "docProps/core.xml": _CORE.format(stamp=FIXED_STAMP),
        "xl/workbook.xml": _workbook(names),
        "xl/_rels/workbook.xml.rels": _workbook_rels(len(names)),
        "xl/styles.xml": _STYLES,
    }
    for k, (_, rows) in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{k}.xml"] = _sheet_xml(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, text in parts.items():
            entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, text.encode("utf-8"), compresslevel=6)
    path.write_bytes(buffer.getvalue())
    return path


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = "http://schemas.openxmlformats.org"
_ROOT_RELS = (_XML + f'<Relationships xmlns="{_NS}/package/2006/relationships">'
              f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/officeDocument" '
              'Target="xl/workbook.xml"/>'
              f'<Relationship Id="rId2" Type="{_NS}/package/2006/relationships/metadata/core-properties" '
              'Target="docProps/core.xml"/>'
              f'<Relationship Id="rId3" Type="{_NS}/officeDocument/2006/relationships/extended-properties" '
              'Target="docProps/app.xml"/></Relationships>')
_APP = (_XML + f'<Properties xmlns="{_NS}/officeDocument/2006/extended-properties">'
        '<Application>divides demo</Application></Properties>')
_CORE = (_XML + f'<cp:coreProperties xmlns:cp="{_NS}/package/2006/metadata/core-properties" '
         'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
         '<dc:title>synthetic demo data</dc:title><dc:creator>divides demo</dc:creator>'
         '<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
         '<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
         '</cp:coreProperties>')
_STYLES = (_XML + f'<styleSheet xmlns="{_NS}/spreadsheetml/2006/main">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for k in range(1, n + 1))
    return (_XML + f'<Types xmlns="{_NS}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + sheets +
            '<Override PartName="/docProps/core.xml" ContentType="application/'
            'vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>')


def _workbook(names: list[str]) -> str:
    sheets = "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{k}" r:id="rId{k}"/>'
                     for k, name in enumerate(names, start=1))
    return (_XML + f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" '
            f'xmlns:r="{_NS}/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>')


def _workbook_rels(n: int) -> str:
    rels = "".join(f'<Relationship Id="rId{k}" Type="{_NS}/officeDocument/2006/relationships/'
                   f'worksheet" Target="worksheets/sheet{k}.xml"/>' for k in range(1, n + 1))
    rels += (f'<Relationship Id="rId{n + 1}" Type="{_NS}/officeDocument/2006/relationships/styles" '
             'Target="styles.xml"/>')
    return _XML + f'<Relationships xmlns="{_NS}/package/2006/relationships">{rels}</Relationships>'


def _column_letter(k: int) -> str:
    letters = ""
    k += 1
    while k:
        k, rem = divmod(k - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_LETTERS = [_column_letter(k) for k in range(200)]


def _sheet_xml(rows: Iterable[Sequence[object]]) -> str:
    out = [_XML, f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = []
        for k, value in enumerate(row):
            if value is None:
                continue
            ref = f"{_LETTERS[k]}{r}"
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            else:
                text = escape(str(value))
                space = ' xml:space="preserve"' if text != text.strip() else ""
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite an xlsx archive with fixed entry times and fixed core.xml stamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _STAMP_RE.sub(rb"\g<1>" + FIXED_STAMP.encode() + rb"\g<3>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content, compresslevel=6)
    return out.getvalue()


def csv_line(cells: Sequence[object], quote_all: bool = False, sep: str = ",") -> str:
    """One CSV line: cells quoted when needed (or always), no line end."""
    out = []
    for cell in cells:
        text = "" if cell is None else str(cell)
        if quote_all or any(ch in text for ch in (sep, '"', "\n", "\r")):
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    return sep.join(out)
