"""divides fetch against a loopback HTTP server (127.0.0.1 only) serving tiny generated
files: success, re-run, archives, and the faults (wrong hash, truncated body, 404, slow
response, retry) that must each give a clear DownloadError and leave no partial file."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from divides import config, fileio
from divides.acquire import fetch
from divides.acquire.downloads import COLUMNS, load_catalogue
from divides.errors import DividesError, DownloadError, SourceFormatError
from divides.run import cli
from divides.sources import MODULE_IDS

pytestmark = pytest.mark.unit

SLOW_HANDLER_MAX_S = 5.0  # the slow route never stalls longer than this


class _Server:
    """Routes: URL path -> (status, body, mode); mode is 'ok', 'truncate' or 'slow'."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, str]] = {}
        self.hits: list[str] = []
        self.fail_first: set[str] = set()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # http.server's name
                path = unquote(self.path)
                server.hits.append(path)
                if path in server.fail_first:
                    server.fail_first.discard(path)
                    self.send_error(503, "try again")
                    return
                status, body, mode = server.routes.get(path, (404, b"not found", "ok"))
                if mode == "slow":
                    server.release.wait(SLOW_HANDLER_MAX_S)
                    return
                if mode == "trickle":  # one byte every 0.3 s: each read is quick, the body not
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for i in range(len(body)):
                        if server.release.wait(0.3):
                            return
                        try:
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                self.send_response(status)
                length = len(body) + 1000 if mode == "truncate" else len(body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode == "truncate" else body)
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def server(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    srv = _Server()
    srv.thread.start()
    yield srv
    srv.release.set()
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _catalogue(tmp_path: Path, rows: list[dict]) -> Path:
    """Write a catalogue CSV with defaults for the columns a test does not care about."""
    path = tmp_path / "downloads.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({"archive_member": "", "licence": "test licence",
                             "citation": "test citation", "publisher_url": "", "note": "",
                             **row})
    return path


def _row(source: str, path: str, body: bytes, url: str = "", **extra) -> dict:
    return {"source": source, "path": path, "url": url, "sha256": _sha(body),
            "size_bytes": str(len(body)), **extra}


def _files(folder: Path) -> list[str]:
    """Every file under ``folder`` (temporary ones included), relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


BODY_A = b"country,year,value\nDNK,2020,96.5\n"
BODY_B = "name;rate\nC\u00f4te d'Ivoire;0,5\n".encode("cp1252")


def test_package_catalogue_covers_every_source_with_pinned_urls():
    entries = load_catalogue()
    assert {e.source for e in entries} == set(MODULE_IDS)
    assert all(e.licence and e.citation and e.size_bytes > 0 for e in entries)
    for e in entries:
        if not e.url:
            assert e.path.endswith(".geojson") and "derived" in e.note
            continue
        assert e.url.startswith("https://raw.githubusercontent.com/"), e.url
        commit = e.url.split("/")[5]
        assert len(commit) == 40 and int(commit, 16) >= 0, e.url
        assert " " not in e.url
        assert e.url.endswith(".zip") == e.in_archive, e.path


def test_catalogue_rejects_bad_hash_naming_row(tmp_path):
    path = _catalogue(tmp_path, [{**_row("wdi", "a/x.csv", BODY_A), "sha256": "abc"}])
    with pytest.raises(SourceFormatError, match=r"row 2 .*sha256.*64 lowercase hex"):
        load_catalogue(path)


def test_unknown_source_names_the_known_ones(tmp_path, capsys):
    with pytest.raises(DividesError, match=r"unknown source 'nope'; known: cpi, .*natural_earth, .*wdi, wgi$"):
        fetch.fetch(["nope"], dest=tmp_path / "out", progress=False)
    assert cli.main(["fetch", "nope", "--dest", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown source 'nope'" in err


def test_fetch_from_mirror_verifies_and_records_provenance(server, tmp_path):
    server.routes = {"/a/x.csv": (200, BODY_A, "ok"), "/b dir/y (1).csv": (200, BODY_B, "ok")}
    cat = _catalogue(tmp_path, [_row("wdi", "a/x.csv", BODY_A),
                                _row("unesco", "b dir/y (1).csv", BODY_B)])
    dest = tmp_path / "out"
    paths = fetch.fetch(None, dest=dest, base_url=server.url + "/", progress=False,
                        catalogue=cat, timeout_s=2, retries=0)
    assert paths == [dest / "a/x.csv", dest / "b dir/y (1).csv"]
    assert (dest / "a/x.csv").read_bytes() == BODY_A
    assert (dest / "b dir/y (1).csv").read_bytes() == BODY_B
    assert _files(dest) == ["PROVENANCE.csv", "a/x.csv", "b dir/y (1).csv"]
    record = list(csv.DictReader(io.StringIO((dest / "PROVENANCE.csv").read_text())))
    assert [r["path"] for r in record] == ["a/x.csv", "b dir/y (1).csv"]
    assert record[1]["url"] == server.url + "/b%20dir/y%20%281%29.csv"
    assert record[0]["sha256"] == _sha(BODY_A) and record[0]["size_bytes"] == str(len(BODY_A))
    assert record[0]["retrieved_on"] == fetch.today()

    # a re-run downloads nothing and rewrites identical provenance bytes
    before, hits = (dest / "PROVENANCE.csv").read_bytes(), len(server.hits)
    fetch.fetch(["wdi"], dest=dest, base_url=server.url, progress=False, catalogue=cat,
                timeout_s=2, retries=0)
    assert len(server.hits) == hits
    assert (dest / "PROVENANCE.csv").read_bytes() == before


def test_fetch_uses_catalogue_url_and_extracts_archive_members(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("x.csv", BODY_A)
        zipped.writestr("y.csv", BODY_B)
        zipped.writestr("README.html", b"<p>not catalogued</p>")
    server.routes = {"/pkg/data.zip": (200, buffer.getvalue(), "ok"),
                     "/plain.csv": (200, BODY_B, "ok")}
    zip_url = server.url + "/pkg/data.zip"
    cat = _catalogue(tmp_path, [
        _row("wdi", "w/x.csv", BODY_A, url=zip_url, archive_member="x.csv"),
        _row("wdi", "w/y.csv", BODY_B, url=zip_url, archive_member="y.csv"),
        _row("itu", "i/plain.csv", BODY_B, url=server.url + "/plain.csv"),
    ])
    dest = tmp_path / "out"
    paths = fetch.fetch(None, dest=dest, progress=False, catalogue=cat, timeout_s=2, retries=0)
    assert sorted(p.relative_to(dest).as_posix() for p in paths) == [
        "i/plain.csv", "w/x.csv", "w/y.csv"]
    assert (dest / "w/x.csv").read_bytes() == BODY_A
    assert (dest / "w/y.csv").read_bytes() == BODY_B
    assert server.hits.count("/pkg/data.zip") == 1  # one download for both members
    assert _files(dest) == ["PROVENANCE.csv", "i/plain.csv", "w/x.csv", "w/y.csv"]
    with open(dest / "PROVENANCE.csv", encoding="utf-8", newline="") as handle:
        record = {r["path"]: r for r in csv.DictReader(handle)}
    assert record["w/y.csv"]["url"] == zip_url and record["w/y.csv"]["archive_member"] == "y.csv"


def test_archive_member_with_wrong_hash_or_missing_leaves_no_file(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("x.csv", BODY_A + b"changed\n")
    server.routes = {"/data.zip": (200, buffer.getvalue(), "ok")}
    zip_url = server.url + "/data.zip"
    cat = _catalogue(tmp_path, [
        _row("wdi", "w/x.csv", BODY_A, url=zip_url, archive_member="x.csv"),
        _row("wdi", "w/gone.csv", BODY_B, url=zip_url, archive_member="gone.csv"),
    ])
    dest = tmp_path / "out"
    with pytest.raises(DownloadError) as info:
        fetch.fetch(None, dest=dest, progress=False, catalogue=cat, timeout_s=2, retries=0)
    message = str(info.value)
    assert message.startswith("2 of 2 downloads failed")
    assert f"w/x.csv: {zip_url} member x.csv: expected sha256 {_sha(BODY_A)}" in message
    assert "w/gone.csv" in message and "expected archive member 'gone.csv', found members x.csv" \
        in message
    assert _files(dest) == ["PROVENANCE.csv"]


def _single(tmp_path, server, route_mode, status=200):
    server.routes = {"/f/x.csv": (status, BODY_A, route_mode)}
    cat = _catalogue(tmp_path, [_row("wdi", "f/x.csv", BODY_A)])
    return cat, server.url + "/f/x.csv"


def _assert_clean_failure(dest: Path, message: str, url: str, expected: str):
    assert message.startswith(f"f/x.csv: {url}: "), message
    assert expected in message, message
    assert "\n" not in message
    assert _files(dest) == ["PROVENANCE.csv"]  # no partial or temporary file
    assert (dest / "PROVENANCE.csv").read_text().strip() == ",".join(fetch.PROVENANCE_COLUMNS)


def test_wrong_hash_gives_clear_error_and_no_file(server, tmp_path):
    cat, url = _single(tmp_path, server, "ok")
    server.routes["/f/x.csv"] = (200, b"tampered\n", "ok")
    dest = tmp_path / "out"
    with pytest.raises(DownloadError) as info:
        fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                    timeout_s=2, retries=0)
    _assert_clean_failure(dest, str(info.value), url,
                          f"expected sha256 {_sha(BODY_A)} ({len(BODY_A)} bytes), found sha256 "
                          f"{_sha(b'tampered' + bytes([10]))} (9 bytes)")


def test_body_longer_than_the_catalogue_size_is_stopped_there(server, tmp_path):
    """A pinned file's body cannot match its hash once it passes the catalogue's size: the
    download stops at that size instead of filling the disk."""
    cat, url = _single(tmp_path, server, "ok")
    big = BODY_A + b"0" * (4 << 20)
    server.routes["/f/x.csv"] = (200, big, "ok")
    dest = tmp_path / "out"
    with pytest.raises(DownloadError) as info:
        fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                    timeout_s=2, retries=0)
    _assert_clean_failure(dest, str(info.value), url,
                          f"expected at most {len(BODY_A)} bytes (its size in the download "
                          "catalogue), found more; stopped")


def test_truncated_body_gives_clear_error_and_no_file(server, tmp_path):
    cat, url = _single(tmp_path, server, "truncate")
    dest = tmp_path / "out"
    with pytest.raises(DownloadError) as info:
        fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                    timeout_s=2, retries=0)
    _assert_clean_failure(dest, str(info.value), url,
                          f"expected {len(BODY_A)} bytes, found the connection closed early")


def test_404_gives_clear_error_and_keeps_the_users_file(server, tmp_path):
    """Issue 27 case 5: a failed download deleted the user's edited copy, silently."""
    cat, url = _single(tmp_path, server, "ok", status=404)
    dest = tmp_path / "out"
    (dest / "f").mkdir(parents=True)
    (dest / "f/x.csv").write_bytes(b"my edited copy\n")  # another hash: kept, and said so
    with pytest.raises(DownloadError) as info:
        fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                    timeout_s=2, retries=0)
    message = str(info.value)
    assert message.startswith(f"f/x.csv: {url}: expected HTTP 200, found HTTP 404")
    assert f"the file already at {dest / 'f/x.csv'} (sha256 " in message
    assert message.endswith("was left as it is") and "\n" not in message
    assert (dest / "f/x.csv").read_bytes() == b"my edited copy\n"
    assert _files(dest) == ["PROVENANCE.csv", "f/x.csv"]


def test_slow_response_times_out_within_bound(server, tmp_path):
    cat, url = _single(tmp_path, server, "slow")
    dest = tmp_path / "out"
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                    timeout_s=1, retries=0)
    elapsed_s = time.monotonic() - start
    assert elapsed_s < SLOW_HANDLER_MAX_S - 1, elapsed_s
    _assert_clean_failure(dest, str(info.value), url, "expected data within 1 s, found none")


def test_failed_attempt_is_retried(server, tmp_path):
    cat, _url = _single(tmp_path, server, "ok")
    server.fail_first = {"/f/x.csv"}
    dest = tmp_path / "out"
    paths = fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                        timeout_s=2, retries=1)
    assert paths == [dest / "f/x.csv"] and paths[0].read_bytes() == BODY_A
    assert server.hits == ["/f/x.csv", "/f/x.csv"]


def test_file_without_url_is_skipped_with_warning(tmp_path):
    cat = _catalogue(tmp_path, [_row("natural_earth", "n/derived.geojson", BODY_A,
                                     note="derived here")])
    with pytest.warns(UserWarning, match=r"n/derived.geojson: no public URL"):
        assert fetch.fetch(None, dest=tmp_path / "out", progress=False, catalogue=cat) == []


def test_cli_download_failure_exits_nonzero_with_one_line(server, tmp_path, monkeypatch, capsys):
    cat, url = _single(tmp_path, server, "ok", status=404)
    monkeypatch.setattr(config, "DOWNLOADS_CSV", cat)
    monkeypatch.setattr(fetch, "DEFAULT_RETRIES", 0)
    monkeypatch.setattr(fetch, "DEFAULT_TIMEOUT_S", 2.0)
    dest = tmp_path / "out"
    code = cli.main(["fetch", "wdi", "--dest", str(dest), "--base-url", server.url])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith(f"divides fetch: error: f/x.csv: {url}: expected HTTP 200"), err
    assert _files(dest) == ["PROVENANCE.csv"]

    server.routes["/f/x.csv"] = (200, BODY_A, "ok")
    assert cli.main(["fetch", "wdi", "--dest", str(dest), "--base-url", server.url]) == 0
    assert "1 files verified" in capsys.readouterr().out


def test_trickling_server_stops_at_the_overall_deadline(server, tmp_path):
    """Case 9: a server sending one byte every 2 s kept `divides fetch` going, silently."""
    cat, url = _single(tmp_path, server, "trickle")
    dest = tmp_path / "out"
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                    timeout_s=1, retries=0, deadline_s=1.5)
    elapsed_s = time.monotonic() - start
    assert elapsed_s < 4, elapsed_s
    msg = str(info.value)
    assert "overall deadline of 1.5 s" in msg and "f/x.csv" in msg and url in msg
    assert "0 of 1 files verified" in msg
    assert _files(dest) == ["PROVENANCE.csv"]  # no temporary file left


def test_ctrl_c_reports_what_was_found_and_leaves_no_temp(server, tmp_path, monkeypatch,
                                                          capsys):
    """Case 9: Ctrl-C lost the failures already found."""
    server.routes = {"/a.csv": (200, BODY_A, "ok"), "/b.csv": (404, b"", "ok")}
    cat = _catalogue(tmp_path, [_row("wdi", "a.csv", BODY_A), _row("wdi", "b.csv", BODY_B),
                                _row("wdi", "c.csv", BODY_A + b"x\n")])
    real = fetch.fetch_file

    def interrupt(entry, *args):
        if entry.path == "c.csv":
            raise KeyboardInterrupt
        return real(entry, *args)

    monkeypatch.setattr(fetch, "fetch_file", interrupt)
    dest = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                    timeout_s=2, retries=0)
    err = capsys.readouterr().err
    assert "interrupted (Ctrl-C)" in err and "1 of 3 files verified" in err
    assert "stopped while fetching c.csv" in err and "b.csv" in err and "404" in err
    assert _files(dest) == ["PROVENANCE.csv", "a.csv"]
    assert "a.csv" in (dest / "PROVENANCE.csv").read_text()


def test_leftovers_removed_and_files_get_normal_permissions(server, tmp_path):
    """Case 9 (issue 14): a killed fetch left its work folder; files were 0600. Issue 27
    case 5: fetch removed every name of a pattern under --dest (Python's tmpXXXX, ours):
    now only the work folders of fetches that no longer run go, by name."""
    cat, _url = _single(tmp_path, server, "ok")
    dest = tmp_path / "out"
    (dest / "f").mkdir(parents=True)
    dead = dest / fileio.WORK_DIR / "fetch-999999999-a1b2c3d4"  # no such process
    (dead / "files" / "f").mkdir(parents=True)
    (dead / "files" / "f" / "tmpab12cd_3").write_bytes(b"half")  # pooch's, in the work folder
    alive = dest / fileio.WORK_DIR / f"fetch-{os.getpid()}-0000beef"  # a running fetch's
    alive.mkdir()
    mine = ["f/keep_me.txt", "f/tmpab12cd_3", f"f/{fileio.TEMP_PREFIX}x.csv-q1w2e3r4.part",
            f"{fileio.TEMP_PREFIX}fetch-x1y2z3/files/f/tmpab12cd_3", "f/.divides-1.part",
            ".publishers-x/a", ".archives-y/b"]
    for name in mine:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_bytes(b"mine")
    fetch.fetch(None, dest=dest, base_url=server.url, progress=False, catalogue=cat,
                timeout_s=2, retries=0)
    assert _files(dest) == sorted(["PROVENANCE.csv", "f/x.csv", *mine])
    assert not dead.exists() and alive.is_dir()
    mask = os.umask(0)
    os.umask(mask)
    for name in ("f/x.csv", "PROVENANCE.csv"):
        assert (dest / name).stat().st_mode & 0o777 == 0o666 & ~mask, name
