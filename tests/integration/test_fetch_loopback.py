"""Fetch every source from a loopback mirror (127.0.0.1) of the real folder: all files
arrive byte-identical and verified, and the catalogue matches the real folder exactly."""

from __future__ import annotations

import csv
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from divides import fileio
from divides.acquire import fetch
from divides.acquire.downloads import load_catalogue

pytestmark = pytest.mark.integration

#: Files in a real folder that are not published data (the notes, a fetch record).
NOT_CATALOGUED = {"SOURCES.md", fetch.PROVENANCE_CSV}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(real_dir, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    handler = functools.partial(_QuietHandler, directory=str(real_dir))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _published_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and p.name not in NOT_CATALOGUED}


def test_catalogue_lists_exactly_the_real_files_with_their_hashes(real_dir):
    entries = load_catalogue()
    assert {e.path for e in entries} == _published_files(real_dir)
    for e in entries:
        local = real_dir / e.path
        assert local.stat().st_size == e.size_bytes, e.path
        assert fileio.sha256_file(local) == e.sha256, e.path


def test_fetch_all_sources_from_loopback_mirror(real_dir, mirror, tmp_path):
    dest = tmp_path / "real"
    paths = fetch.fetch(None, dest=dest, base_url=mirror, progress=False, timeout_s=10,
                        retries=0)
    entries = load_catalogue()
    assert [p.relative_to(dest).as_posix() for p in paths] == [e.path for e in entries]
    for e in entries:
        assert (dest / e.path).read_bytes() == (real_dir / e.path).read_bytes(), e.path
    assert _published_files(dest) == _published_files(real_dir)  # nothing extra, no temp files
    assert not [p for p in dest.iterdir() if p.name.startswith(".")]
    with open(dest / fetch.PROVENANCE_CSV, encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert [r["path"] for r in records] == sorted(e.path for e in entries)
    by_path = {e.path: e for e in entries}
    for r in records:
        assert r["sha256"] == by_path[r["path"]].sha256
        assert r["url"] == fetch.mirror_url(mirror, r["path"])
        assert r["licence"] == by_path[r["path"]].licence

    # one source again: nothing re-downloaded, the record is byte-identical
    before = (dest / fetch.PROVENANCE_CSV).read_bytes()
    again = fetch.fetch(["natural_earth"], dest=dest, base_url=mirror, progress=False,
                        timeout_s=10, retries=0)
    assert len(again) == 6
    assert (dest / fetch.PROVENANCE_CSV).read_bytes() == before
