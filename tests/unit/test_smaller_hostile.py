"""Issue 27, case 13 (the smaller items): `--data demo` refuses files that are not the demo
set; a full disk names the path being written; a million junk rows give capped warnings and
manifest lists with exact counts; cross-host redirects are on the record; bad notebook
parameters stop the run before anything runs, in one line."""

from __future__ import annotations

import csv
import errno
import hashlib
import warnings
from urllib.parse import urlsplit

import pooch
import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer

from divides import fileio, provenance
from divides.acquire import fetch
from divides.acquire.downloads import Download
from divides.acquire.publishers import fetch_publishers
from divides.build import panel
from divides.errors import DiskFullError, InputError
from divides.run import cli
from tests.unit.test_fetch_publishers import ep, read_lock, zip_of
from tests.unit.test_panel_cache import (
    _api_csv,
    raw,  # noqa: F401 - the tiny WDI raw folder fixture
)

pytestmark = pytest.mark.unit


def _build(raw_dir, out, data="demo", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return panel.build(data, raw_dir=raw_dir, out_dir=out, progress=False, **kw)


# -- (b) --data demo refuses files that are not the demo set ------------------------------

def test_demo_build_refuses_a_folder_without_the_marker(raw, tmp_path):  # noqa: F811
    """Real (or any other) files built with --data demo were labelled synthetic."""
    (raw / provenance.DEMO_MARKER_FILE).unlink()
    with pytest.raises(InputError, match="is not the demo set") as caught:
        _build(raw, tmp_path / "out")
    assert str(raw) in str(caught.value) and "--data real" in str(caught.value)
    assert not (tmp_path / "out").exists()  # refused before anything was written
    assert _build(raw, tmp_path / "real", data="real").manifest["observations_rows"] > 0


def test_demo_build_refuses_another_fingerprint(raw, tmp_path):  # noqa: F811
    marker = raw / provenance.DEMO_MARKER_FILE
    text = marker.read_text(encoding="utf-8")
    marker.write_text(text.replace("- generator sha256: ", "- generator sha256: 0"),
                      encoding="utf-8")
    with pytest.raises(InputError, match="another generator fingerprint"):
        _build(raw, tmp_path / "out")


def test_demo_build_refusal_is_one_line_at_the_cli(raw, tmp_path, monkeypatch,  # noqa: F811
                                                   capsys):
    monkeypatch.setattr("divides.config.processed_dir", lambda data: tmp_path / "out")
    (raw / provenance.DEMO_MARKER_FILE).unlink()
    assert cli.main(["build", "--data", "demo", "--raw-dir", str(raw)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("divides build: error: --data demo:") and "not the demo set" in err


def test_the_marked_demo_folder_still_builds(raw, tmp_path):  # noqa: F811
    assert _build(raw, tmp_path / "out").manifest["observations_rows"] > 0


# -- (a) a full disk names the path being written ----------------------------------------

def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_in_an_atomic_write_names_the_path(tmp_path):
    target = tmp_path / "kept.csv"
    target.write_bytes(b"old\n")
    with pytest.raises(DiskFullError, match=r"kept\.csv: expected room to write it") as caught, \
            fileio.atomic_path(target):
        _no_space()
    assert str(target) in str(caught.value) and isinstance(caught.value, OSError)
    assert caught.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.csv"]  # no temporary left


def test_full_disk_during_a_build_is_one_line_naming_the_file(raw, tmp_path,  # noqa: F811
                                                              monkeypatch, capsys):
    """A full disk while the build writes its outputs: `OSError: [Errno 28]` without the
    path (exit 1, "probably a bug"); now exit 2, one line naming the file."""
    monkeypatch.setattr("divides.config.processed_dir", lambda data: tmp_path / "out")
    monkeypatch.setattr(pq, "write_table", _no_space)
    assert cli.main(["build", "--raw-dir", str(raw)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"divides build: error: {tmp_path / 'out'}"), err
    assert ".parquet: expected room to write it, found the disk full" in err


def test_full_disk_during_a_fetch_names_the_file_and_keeps_the_old_one(tmp_path,
                                                                       monkeypatch):
    body = b"country,year,value\nDNK,2020,96.5\n"
    cat = (Download(source="wdi", path="a/x.csv", url="http://127.0.0.1:9/a/x.csv",
                    sha256=hashlib.sha256(body).hexdigest(), size_bytes=len(body),
                    archive_member="", licence="l", citation="c", publisher_url="", note=""),)
    dest = tmp_path / "real"
    (dest / "a").mkdir(parents=True)
    (dest / "a/x.csv").write_bytes(b"my edited copy\n")
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", _no_space)
    with pytest.raises(DiskFullError, match=r"x\.csv: expected room to write it") as caught:
        fetch.fetch(["wdi"], dest=dest, progress=False, catalogue=cat, retries=0)
    assert str(dest / "a/x.csv") in str(caught.value)
    assert (dest / "a/x.csv").read_bytes() == b"my edited copy\n"


# -- (d) redirects to another host are on the record -------------------------------------

@pytest.fixture
def two_hosts(monkeypatch):
    """Two loopback servers under two host names: 127.0.0.1 and localhost."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    servers = HTTPServer(host="127.0.0.1", port=0), HTTPServer(host="localhost", port=0)
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.clear()
        server.stop()


def test_pinned_fetch_records_a_redirect_to_another_host(two_hosts, tmp_path):
    first, other = two_hosts
    body = b"country,year,value\nDNK,2020,96.5\n"
    final = other.url_for("/blob/x.csv")
    assert urlsplit(final).hostname == "localhost"
    other.expect_request("/blob/x.csv").respond_with_data(body)
    first.expect_request("/a/x.csv").respond_with_data("", status=302,
                                                       headers={"Location": final})
    asked = first.url_for("/a/x.csv")
    cat = (Download(source="wdi", path="a/x.csv", url=asked,
                    sha256=hashlib.sha256(body).hexdigest(), size_bytes=len(body),
                    archive_member="", licence="l", citation="c", publisher_url="", note=""),)
    dest = tmp_path / "real"
    fetch.fetch(["wdi"], dest=dest, progress=False, catalogue=cat, retries=0)
    assert (dest / "a/x.csv").read_bytes() == body
    with open(dest / fetch.PROVENANCE_CSV, encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["url"] == asked and row["final_url"] == final
    # a re-run (file present and verified) keeps the record byte for byte
    before = (dest / fetch.PROVENANCE_CSV).read_bytes()
    fetch.fetch(["wdi"], dest=dest, progress=False, catalogue=cat, retries=0)
    assert (dest / fetch.PROVENANCE_CSV).read_bytes() == before


def test_pinned_fetch_without_redirect_leaves_final_url_empty(two_hosts, tmp_path):
    first, _ = two_hosts
    body = b"country,year,value\nDNK,2020,96.5\n"
    first.expect_request("/a/x.csv").respond_with_data(body)
    cat = (Download(source="wdi", path="a/x.csv", url=first.url_for("/a/x.csv"),
                    sha256=hashlib.sha256(body).hexdigest(), size_bytes=len(body),
                    archive_member="", licence="l", citation="c", publisher_url="", note=""),)
    fetch.fetch(["wdi"], dest=tmp_path, progress=False, catalogue=cat, retries=0)
    with open(tmp_path / fetch.PROVENANCE_CSV, encoding="utf-8", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["final_url"] == ""


def test_publishers_lock_records_a_redirect_to_another_host(two_hosts, tmp_path):
    first, other = two_hosts
    workbook = zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    final = other.url_for("/blob/CPI2025_Results.xlsx")
    other.expect_request("/blob/CPI2025_Results.xlsx").respond_with_data(workbook)
    first.expect_request("/images/CPI2025_Results.xlsx").respond_with_data(
        "", status=307, headers={"Location": final})
    ti = "files.transparencycdn.org"
    cat = (ep("cpi", "ti_cpi/CPI2025_Results.xlsx", "ti_xlsx", "CPI",
              f"https://{ti}/images/CPI2025_Results.xlsx", edition_rule="year",
              edition="2025"),)
    dest = tmp_path / "real"
    fetch_publishers(["cpi"], dest, update=True, hosts={ti: first.url_for("/").rstrip("/")},
                     catalogue=cat, retries=0)
    entry = read_lock(dest)["ti_cpi/CPI2025_Results.xlsx"]
    assert entry["url"] == f"https://{ti}/images/CPI2025_Results.xlsx"
    assert entry["redirects"] == [final]


# -- (e) bad notebook parameters stop the run before anything runs, in one line -----------

@pytest.mark.parametrize(("param", "expected"), [
    ("05:draws=-5", "-p draws: -5: expected a number >= 0"),
    ("01:trend_indicator=nonexistent", "-p trend_indicator: 'nonexistent' is not an indicator"),
    ("05:backend=evil", "-p backend: 'evil' is not a choice"),
])
def test_bad_parameters_fail_before_running(param, expected, capsys, monkeypatch):
    import papermill

    def never(*args, **kwargs):  # pragma: no cover - reached only when the check is gone
        raise AssertionError("a notebook ran with a bad parameter")

    monkeypatch.setattr(papermill, "execute_notebook", never)
    assert cli.main(["run", "--data", "demo", "--only", param[:2], "-p", param]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("divides run: error:") and expected in err, err


# -- (c) a file of junk names: capped warning and manifest lists, exact counts ------------

def test_junk_names_give_a_capped_warning_and_manifest_with_exact_counts(raw,  # noqa: F811
                                                                         tmp_path):
    """A million junk rows wrote a 19 MB warning line and a 22 MB manifest: the names are
    listed up to observations.NAMES_SHOWN, the counts stay exact."""
    import json

    from divides.observations import NAMES_SHOWN

    n = 20_000
    rows = [(f"Junkland {i}", f"J{i:05d}"[:3] + str(i), [1.0, 2.0, 3.0]) for i in range(n)]
    _api_csv(raw / "wb_wdi" / "api_csv" / "API_IT.NET.USER.ZS_DS2_en_csv_v2_9.csv",
             "IT.NET.USER.ZS", "Individuals using the Internet (% of population)",
             [("Denmark", "DNK", [97.0, 98.0, None]), *rows])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = panel.build("demo", raw_dir=raw, out_dir=tmp_path / "out", progress=False)
    junk = [str(w.message) for w in caught if "not mapped to ISO3" in str(w.message)]
    assert junk and all(len(m) < 2_000 for m in junk), [len(m) for m in junk]
    assert f"... and {n - NAMES_SHOWN} more" in junk[0] and f"{n} wdi names" in junk[0]
    manifest = result.manifest
    name = "API_IT.NET.USER.ZS_DS2_en_csv_v2_9.csv"
    assert len(manifest["unmapped_names"][name]) == NAMES_SHOWN + 1
    assert manifest["unmapped_name_counts"][name] == n
    assert len(json.dumps(manifest)) < 200_000
