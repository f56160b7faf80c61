"""Issue 27, cases 10, 11 and 13 (JSON depth): inputs that would make a reader allocate
without bound end in a clear error naming the file, before anything is allocated."""

from __future__ import annotations

import io
import json
import time
import zipfile

import openpyxl
import pytest

from divides.errors import SourceFormatError
from divides.sources import _common, _wbapi, unesco, wdi, wgi

pytestmark = pytest.mark.unit


def test_case10_a_cell_at_xfd1048576_is_refused_before_calamine(tmp_path):
    """Case 10: rc 134, "memory allocation of 549755813888 bytes failed", no file named."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Country"
    sheet["XFD1048576"] = 1
    path = tmp_path / "wgidataset.xlsx"
    book.save(path)
    start = time.perf_counter()
    for read in (wgi.read, lambda p: _common.read_excel_checked(p, 0, engine="calamine")):
        with pytest.raises(SourceFormatError) as info:
            read(path)
        message = str(info.value)
        assert message.startswith(f"{path.name}: worksheet xl/worksheets/sheet1.xml: expected at "
                                  f"most {_common.MAX_SHEET_CELLS} cells, found cells up to "
                                  "row 1048576, column 16384")
    assert time.perf_counter() - start < 5


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def test_case11_an_archive_member_that_inflates_without_bound_is_refused(tmp_path):
    """Case 11: a 4.2 MB WDI bulk ZIP with a 4 GiB member reached 4.4 GB of memory before
    a bare MemoryError (here: 32 MB of zeros, a ratio near 1000)."""
    path = tmp_path / "API_IT.NET.USER.ZS_DS2_en_csv_v2_1.zip"
    path.write_bytes(_zip({"API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv": b"0" * (32 << 20)}))
    assert path.stat().st_size < 200_000
    with pytest.raises(SourceFormatError) as info:
        wdi.read(path)
    assert str(info.value).startswith(
        f"{path.name}: member API_IT.NET.USER.ZS_DS2_en_csv_v2_1.csv: expected at most "
        f"{_common.MAX_MEMBER_BYTES} bytes and a compression ratio of "
        f"{_common.MAX_COMPRESSION_RATIO}, found {32 << 20} bytes from ")


@pytest.mark.parametrize("reader", ["wb_api", "uis"])
def test_case13_deeply_nested_json_is_a_clear_error(tmp_path, reader):
    """Case 13: deeply nested JSON gave a bare RecursionError."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SourceFormatError) as info:
        (_wbapi.read_response if reader == "wb_api" else unesco.read_api)(path)
    assert str(info.value).startswith(f"{path.name}: file: expected ")
    assert "found nesting too deep to read" in str(info.value)
    json.loads("[" * 50 + "]" * 50)  # ordinary nesting stays fine
