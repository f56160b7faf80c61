"""The publishers' endpoints of the package catalogue served on loopback (127.0.0.1) with
the real bytes of ``../shared/data/real`` (the WGI API v2 response ``CC.EST.json`` and the
Data360 files): fetch writes them byte-identical and locks their sha256, and the lock is
reproduced."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from pytest_httpserver import HTTPServer

from divides import fileio
from divides.acquire import publishers, revisions
from divides.acquire.publishers import fetch_publishers, load_endpoints

pytestmark = pytest.mark.integration

#: catalogue path -> the real file served at its URL (SOURCES.md 12b-12d)
SERVED = {
    "wb_wgi/api_v2_json/CC.EST.json": "wb_wgi/api_v2_json/CC.EST.json",
    **{f"un_egov/data360/UN_EGDI_{x}_WIDEF.csv": f"un_egov/data360/UN_EGDI_{x}_WIDEF.csv"
       for x in ("EGDI", "HCI", "OSI", "TTI")},
    # the real ITU file is Data360's long export of the indicator; served at the bulk URL
    "itu/data360/ITU_DH_INT_USR_DAY_WIDEF.csv": "itu/data360/ITU_DH_INT_USR_DAY.csv",
}
CC_EST_SHA256 = "9791825047ad703237659a84ac16e0b7a8d4fd5f3c611ccc2147bd162663f122"


@pytest.fixture
def servers(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    started: dict[str, HTTPServer] = {}
    yield started
    for server in started.values():
        server.clear()
        server.stop()


def test_real_api_and_data360_bytes_land_identical_with_a_lock(real_dir, servers, tmp_path):
    endpoints = tuple(e for e in load_endpoints() if e.path in SERVED)
    assert {e.path for e in endpoints} == set(SERVED)
    for e in endpoints:
        url = urlsplit(e.url)
        server = servers.setdefault(url.netloc, HTTPServer(host="127.0.0.1", port=0))
        if not server.is_running():
            server.start()
        server.expect_request(url.path, query_string=url.query or None).respond_with_data(
            (real_dir / SERVED[e.path]).read_bytes())
    hosts = {h: s.url_for("/").rstrip("/") for h, s in servers.items()}
    dest = tmp_path / "real"
    result = fetch_publishers(None, dest, update=True, hosts=hosts, catalogue=endpoints,
                              retries=0, timeout_s=10)
    assert {c.status for c in result.changes} == {"new"}
    lock = json.loads((dest / publishers.LOCK_NAME).read_text())["files"]
    assert set(lock) == set(SERVED)
    for path, real in SERVED.items():
        assert (dest / path).read_bytes() == (real_dir / real).read_bytes(), path
        assert lock[path]["sha256"] == fileio.sha256_file(real_dir / real), path
        assert lock[path]["size_bytes"] == (real_dir / real).stat().st_size
    cc = lock["wb_wgi/api_v2_json/CC.EST.json"]
    assert cc["sha256"] == CC_EST_SHA256  # the hash SOURCES.md 12b records
    assert cc["edition"] == "2026-03-18" and "pages" not in cc
    assert cc["url"].startswith("https://api.worldbank.org/v2/country/all/indicator/"
                                "GOV_WGI_CC.EST?source=3")
    assert len(revisions.wb_api_values((dest / "wb_wgi/api_v2_json/CC.EST.json").read_bytes())
               ) == 216
    egdi = revisions.data360_values((dest / "un_egov/data360/UN_EGDI_EGDI_WIDEF.csv").read_bytes())
    assert egdi[("DNK", "UN_EGDI_EGDI", "SCORE", "2024")] == 0.98474  # SOURCES.md 12c

    # reproduce: every locked file again, verified against the lock
    for path in SERVED:
        (dest / path).unlink()
    again = fetch_publishers(None, dest, hosts=hosts, catalogue=endpoints, retries=0,
                             timeout_s=10)
    assert len(again.paths) == len(SERVED)
    for path, real in SERVED.items():
        assert (dest / path).read_bytes() == (real_dir / real).read_bytes(), path
