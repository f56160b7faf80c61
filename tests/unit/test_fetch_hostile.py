"""Issue 27, cases 1, 7 and 11: a shared lock that points outside --dest, bodies that must
not replace good files on --update, and bodies that expand without bound. Loopback servers
only (pytest-httpserver on 127.0.0.1), as in test_fetch_publishers."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest

from divides import fileio
from divides.acquire import publishers
from divides.acquire.publishers import fetch_publishers
from divides.errors import DividesError, DownloadError
from tests.unit.test_fetch_publishers import (
    D360,
    data360_widef,
    ep,
    files_under,
    read_lock,
    zip_of,
)

pytestmark = pytest.mark.unit

WGI_HOST = "www.worldbank.org"


def _lock(dest: Path, files: dict[str, dict]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / publishers.LOCK_NAME
    path.write_text(json.dumps({"lock_format": publishers.LOCK_FORMAT, "files": files}))
    return path


def _entry(url: str, body: bytes) -> dict:
    return {"source": "egov", "kind": "data360_csv", "code": "X", "url": url, "method": "GET",
            "form": "", "accept": "", "retrieved_at": "", "edition": "",
            "sha256": hashlib.sha256(body).hexdigest(), "size_bytes": len(body)}


def _d360_ep(path="un_egov/data360/UN_EGDI_EGDI_WIDEF.csv"):
    return ep("egov", path, "data360_csv", "UN_EGDI_EGDI",
              f"https://{D360}/data360-data/data/UN_EGDI/UN_EGDI_EGDI_WIDEF.csv")


@pytest.mark.parametrize("name", ["../../victim_write.csv", "ABSOLUTE", "un_egov/../../x.csv"])
def test_case1_lock_paths_outside_dest_are_refused(hosts, tmp_path, name):
    """Case 1: an entry "../../victim_write.csv" wrote two levels above --dest; an absolute
    entry whose download failed deleted that file."""
    body = b"REF_AREA,2020\nDNK,1\n"
    hosts[D360].expect_request("/f.csv").respond_with_data(body)
    victim = tmp_path / "victim_write.csv"
    victim.write_bytes(b"precious\n")
    name = str(victim) if name == "ABSOLUTE" else name
    dest = tmp_path / "a" / "b"
    lock = _lock(dest, {name: _entry(f"https://{D360}/f.csv", body)})
    with pytest.raises(DividesError) as info:
        fetch_publishers(["egov"], dest, hosts=hosts.urls, catalogue=(_d360_ep(),), retries=0)
    message = str(info.value)
    assert message.startswith(f"{lock}: entry {name!r}: expected a relative path without '..'")
    assert victim.read_bytes() == b"precious\n"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        publishers.LOCK_NAME, "victim_write.csv"]


def test_case1_lock_path_through_a_symlink_out_of_dest_is_refused(hosts, tmp_path):
    body = b"REF_AREA,2020\nDNK,1\n"
    hosts[D360].expect_request("/f.csv").respond_with_data(body)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dest = tmp_path / "real"
    _lock(dest, {"un_egov/x.csv": _entry(f"https://{D360}/f.csv", body)})
    os.symlink(elsewhere, dest / "un_egov")
    with pytest.raises(DownloadError) as info:
        fetch_publishers(["egov"], dest, hosts=hosts.urls, catalogue=(_d360_ep(),), retries=0)
    assert "un_egov/x.csv: expected a path inside" in str(info.value)
    assert "a symlink leaves the folder" in str(info.value)
    assert list(elsewhere.iterdir()) == []


def test_case7_update_keeps_the_workbook_when_the_publisher_sends_html(hosts, tmp_path):
    """Case 7: an HTML page with status 200 replaced the WGI workbook; the lock was
    rewritten, exit 0."""
    workbook = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<wb/>"})
    route = "/content/dam/sites/govindicators/doc/wgidataset_with_sourcedata-2025.xlsx"
    cat = (ep("wgi", "wb_wgi/wgidataset_with_sourcedata-2025.xlsx", "file", "WGI 2025 workbook",
              f"https://{WGI_HOST}{route}"),)
    hosts[WGI_HOST].expect_request(route).respond_with_data(workbook)
    dest = tmp_path / "real"
    fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    lock_before = (dest / publishers.LOCK_NAME).read_bytes()
    for content_type in ("text/html; charset=utf-8", "application/octet-stream"):
        hosts[WGI_HOST].clear()
        hosts[WGI_HOST].expect_request(route).respond_with_data(
            b"<!DOCTYPE html><html><body>Maintenance</body></html>", content_type=content_type)
        with pytest.raises(DownloadError) as info:
            fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat,
                             retries=0)
        assert "wgidataset_with_sourcedata-2025.xlsx" in str(info.value)
        assert "found an HTML page" in str(info.value)
        assert (dest / cat[0].path).read_bytes() == workbook
        assert (dest / publishers.LOCK_NAME).read_bytes() == lock_before


def test_case7_update_refuses_a_body_cut_to_half_its_rows(hosts, tmp_path):
    """Case 7: bodies cut at a line end without Content-Length replaced the EGOV files with
    half their rows ("1176 removed")."""
    rows = {f"C{n:02d}": ["0.5", "0.6"] for n in range(40)}
    full = data360_widef([2020, 2022], rows)
    cut = b"".join(full.splitlines(keepends=True)[:21])
    route = "/data360-data/data/UN_EGDI/UN_EGDI_EGDI_WIDEF.csv"
    cat = (_d360_ep(),)
    hosts[D360].expect_request(route).respond_with_data(full, content_type="text/csv")
    dest = tmp_path / "real"
    fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    lock_before = (dest / publishers.LOCK_NAME).read_bytes()
    hosts[D360].clear()
    hosts[D360].expect_request(route).respond_with_data(cut, content_type="text/csv")
    with pytest.raises(DownloadError) as info:
        fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    message = str(info.value)
    assert message.startswith(f"{cat[0].path}: ")
    assert "expected about the 40 rows of the file on disk, found 20 (20 fewer" in message
    assert "--accept-shrink" in message and "file on disk and its lock entry are kept" in message
    assert (dest / cat[0].path).read_bytes() == full
    assert (dest / publishers.LOCK_NAME).read_bytes() == lock_before
    # the user says the rows are really gone: the new file and lock are taken
    fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0,
                     accept_shrink=True)
    assert (dest / cat[0].path).read_bytes() == cut
    assert read_lock(dest)[cat[0].path]["sha256"] == hashlib.sha256(cut).hexdigest()


def test_case7_update_refuses_a_csv_without_the_old_header(hosts, tmp_path):
    full = data360_widef([2020], {"DNK": ["0.9"]})
    route = "/data360-data/data/UN_EGDI/UN_EGDI_EGDI_WIDEF.csv"
    cat = (_d360_ep(),)
    hosts[D360].expect_request(route).respond_with_data(full)
    dest = tmp_path / "real"
    fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    hosts[D360].clear()
    hosts[D360].expect_request(route).respond_with_data(b"REF_AREA,error\nDNK,quota\n")
    with pytest.raises(DownloadError, match="expected the CSV header of the file on disk"):
        fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=cat, retries=0)
    assert (dest / cat[0].path).read_bytes() == full


def test_case11_a_gzip_response_that_expands_past_the_limit_is_stopped(hosts, tmp_path,
                                                                       monkeypatch):
    """Case 11: a 2 MB gzip response in --update wrote 2 GiB to disk per file."""
    monkeypatch.setattr(publishers, "MAX_RESPONSE_BYTES", 1 << 20)
    bomb = gzip.compress(b"REF_AREA,2020\n" + b"0" * (8 << 20))
    assert len(bomb) < 20_000
    route = "/data360-data/data/UN_EGDI/UN_EGDI_EGDI_WIDEF.csv"
    hosts[D360].expect_request(route).respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="text/csv")
    dest = tmp_path / "real"
    with pytest.raises(DownloadError) as info:
        fetch_publishers(None, dest, update=True, hosts=hosts.urls, catalogue=(_d360_ep(),),
                         retries=0)
    message = str(info.value)
    assert message.startswith("un_egov/data360/UN_EGDI_EGDI_WIDEF.csv: ")
    assert f"expected at most {1 << 20} bytes" in message
    assert files_under(dest) == [publishers.LOCK_NAME]
    assert not (dest / fileio.WORK_DIR).exists()

