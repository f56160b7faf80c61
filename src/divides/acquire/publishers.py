"""``divides fetch --from publishers``: the publishers' own endpoints, pinned by a lock file.

What is fetched is data, not code: ``data/acquire/publishers.csv`` lists one endpoint per file
(source, target path, kind, code, URL template, HTTP method and form, edition rule, and a
publisher sha256 where one is known). Kinds: ``wb_api_json`` (World Bank API v2, pages
followed and joined), ``wb_bulk_zip``, ``data360_csv``, ``ti_xlsx`` (one file name per
edition year; TI's CDN answers with a 307 redirect, followed), ``sdg_csv`` (a form POST),
``uis_json``, ``zip`` and ``file``.

The lock (``publishers.lock.json``) records per file the URL(s), retrieval time, sha256,
size and edition. It lives beside the fetched files, ``data/raw/real/publishers.lock.json``
by default (git-ignored like the data): no publisher is reachable from the machines this
project is built on, so a committed lock would carry hashes nobody downloaded. Where
SOURCES.md gives the real sha256 of an unedited publisher file, the catalogue carries it
(``known_sha256``) and those rows form the seed lock used while no lock exists.

* reproduce (default): download each locked URL and verify its sha256; a mismatch says the
  publisher changed the file and to run ``--update``. Files already present and matching
  are not downloaded again. The lock is only read.
* ``update=True``: take the newest edition of every endpoint (the next TI year first, the
  World Bank's ``lastupdated``), rewrite the lock, and report per file what changed.

Every download goes through pooch (temporary file, then moved) with a requests-based
downloader that can POST a form and keeps the response headers; files are written through
a temporary file beside the target and an atomic rename. ``hosts`` maps a publisher host
(``api.worldbank.org``) to another base URL (a mirror, or a loopback server in tests); the
lock keeps the publisher's URL.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pooch

from divides import config, fileio
from divides.acquire import fetch as _fetch
from divides.acquire import revisions
from divides.acquire.downloads import SHA256_PATTERN
from divides.acquire.fetch import (
    MAX_RESPONSE_BYTES,
    ResponseTooLarge,
    describe,
    one_line,
    pooch_log,
)
from divides.errors import DiskFullError, DividesError, DownloadError, SourceFormatError

LOCK_NAME = "publishers.lock.json"
LOCK_FORMAT = 1
COLUMNS = ("source", "path", "kind", "code", "url", "method", "form", "accept", "edition_rule",
           "edition", "known_sha256", "known_size_bytes", "licence", "citation", "note")
KINDS = ("wb_api_json", "wb_bulk_zip", "data360_csv", "ti_xlsx", "sdg_csv", "uis_json", "zip",
         "file")
EDITION_RULES = ("wb_lastupdated", "wb_csv_last_updated", "last_modified", "year", "sdg_release",
                 "catalogue")
#: The catalogue row of a TI edition not yet known: its URL and path carry ``{year}``.
NEXT_EDITION = "next"
_WB_LAST_UPDATED = re.compile(r'"Last Updated Date","([^"]+)"')


@dataclass(frozen=True)
class Endpoint:
    """One catalogue row; ``url``, ``path`` and ``form`` may hold ``{code}`` / ``{year}``."""

    source: str
    path: str
    kind: str
    code: str
    url: str
    method: str
    form: str
    accept: str
    edition_rule: str
    edition: str
    known_sha256: str
    known_size_bytes: str
    licence: str
    citation: str
    note: str

    def filled(self, year: int | None = None) -> Endpoint:
        """The row with ``{code}`` and ``{year}`` replaced."""
        values = {"code": self.code, "year": "" if year is None else str(year)}
        return replace(self, url=self.url.format(**values), path=self.path.format(**values),
                       form=self.form.format(**values),
                       edition=str(year) if year is not None else self.edition)

    @property
    def slot(self) -> str:
        """Rows that are editions of one file (TI's CPI) share a slot; others are their path."""
        return f"{self.source}:{self.kind}" if self.kind == "ti_xlsx" else self.filled().path


@dataclass
class Change:
    """What ``--update`` did to one file of the lock."""

    path: str
    status: str  # new, removed, changed, unchanged
    old: dict | None = None
    new: dict | None = None
    content: revisions.ContentDiff | None = None
    note: str = ""

    def describe(self) -> str:
        parts = [f"{self.path}: {self.status}"]
        if self.new and self.old and self.status == "changed":
            if self.old.get("edition") != self.new.get("edition"):
                parts.append(f"edition {self.old.get('edition') or '?'} -> "
                             f"{self.new.get('edition') or '?'}")
            parts.append(f"sha256 {self.old['sha256'][:12]} -> {self.new['sha256'][:12]}")
        elif self.new:
            parts.append(f"edition {self.new.get('edition') or 'not stated'}")
        if self.content is not None:
            parts.append(self.content.describe())
        if self.note:
            parts.append(self.note)
        return "; ".join(parts)


@dataclass
class PublisherResult:
    """Paths verified or written, per-file changes (update only), and download failures."""

    paths: list[Path]
    lock_path: Path
    changes: list[Change] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seeded: bool = False


def load_endpoints(csv_path: str | Path | None = None) -> tuple[Endpoint, ...]:
    """Read and check the publisher catalogue (default: the package's ``publishers.csv``)."""
    csv_path = Path(csv_path) if csv_path is not None else config.PUBLISHERS_CSV
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceFormatError(csv_path, "header", f"columns {', '.join(COLUMNS)}",
                                    found=f"missing {', '.join(missing)}")
        rows = list(reader)
    out: list[Endpoint] = []
    for line, row in enumerate(rows, start=2):
        where = f"row {line} ({row.get('path', '')!r})"
        ep = Endpoint(**{c: row[c] for c in COLUMNS})
        checks = [
            ("path", fileio.unsafe_relative(ep.path) is None
             and fileio.unsafe_relative(ep.filled(2000).path) is None,
             "a relative path without '..'", ep.path),
            ("kind", ep.kind in KINDS, f"one of {', '.join(KINDS)}", ep.kind),
            ("edition_rule", ep.edition_rule in EDITION_RULES,
             f"one of {', '.join(EDITION_RULES)}", ep.edition_rule),
            ("url", ep.url.startswith("https://"), "an https:// URL", ep.url),
            ("method", ep.method in ("GET", "POST"), "GET or POST", ep.method),
            ("known_sha256", not ep.known_sha256 or bool(SHA256_PATTERN.match(ep.known_sha256)),
             "empty or 64 lowercase hex digits", ep.known_sha256),
            ("known_size_bytes", (not ep.known_sha256) == (not ep.known_size_bytes)
             and (not ep.known_size_bytes or ep.known_size_bytes.isdigit()),
             "a size exactly when known_sha256 is set", ep.known_size_bytes),
            ("edition", ep.kind != "ti_xlsx" or ep.edition == NEXT_EDITION
             or ep.edition.isdigit(), f"a year or {NEXT_EDITION!r} for ti_xlsx", ep.edition),
        ]
        for column, ok, expected, found in checks:
            if not ok:
                raise SourceFormatError(csv_path, f"{where}, column {column}", expected,
                                        found=repr(found))
        out.append(ep)
    return tuple(out)


def hosts_of(endpoints: tuple[Endpoint, ...]) -> list[str]:
    """The publisher hosts of a catalogue, sorted (what ``hosts`` may override)."""
    return sorted({urlsplit(e.url).netloc for e in endpoints})


def routed(url: str, hosts: dict[str, str] | None) -> str:
    """``url`` with its scheme and host replaced by ``hosts[host]`` when overridden."""
    parts = urlsplit(url)
    base = (hosts or {}).get(parts.netloc)
    if base is None:
        return url
    rest = url[len(f"{parts.scheme}://{parts.netloc}"):]
    return base.rstrip("/") + rest


def default_lock_path(dest: Path) -> Path:
    return dest / LOCK_NAME


def read_lock(path: Path) -> dict[str, dict]:
    """Lock entries by path; an unreadable lock, or an entry whose path is not a relative
    path without ``..`` (the lock is a file people share), is an error naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
        if data.get("lock_format") != LOCK_FORMAT or not isinstance(files, dict):
            raise ValueError(f"lock_format {data.get('lock_format')!r}")
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DividesError(f"{path}: expected a publishers lock (JSON with lock_format "
                           f"{LOCK_FORMAT} and files), found {one_line(exc)}") from exc
    for name, entry in files.items():
        why = fileio.unsafe_relative(name)
        if why is not None:
            raise DividesError(f"{path}: entry {name!r}: expected a relative path without "
                               f"'..' inside the destination folder, found {why}; nothing "
                               "fetched")
        if not isinstance(entry, dict) or not SHA256_PATTERN.match(str(entry.get("sha256"))):
            raise DividesError(f"{path}: entry {name!r}: expected an object with a 64-hex "
                               "sha256; nothing fetched")
    return files


def write_lock(path: Path, files: dict[str, dict]) -> None:
    """Write the lock atomically: sorted keys, two-space indent, LF line ends."""
    data = {"lock_format": LOCK_FORMAT,
            "note": "written by `divides fetch --update`; reproduce with "
                    "`divides fetch --from publishers`",
            "files": {k: files[k] for k in sorted(files)}}
    fileio.write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n")


def seed_lock(endpoints: tuple[Endpoint, ...]) -> dict[str, dict]:
    """Lock entries for the catalogue rows whose publisher sha256 is known (SOURCES.md)."""
    filled = [e.filled() for e in endpoints if e.known_sha256]
    return {e.path: _entry(e, [e.url], e.known_sha256, int(e.known_size_bytes), e.edition,
                           retrieved_at="") for e in filled}


def fetch_publishers(sources: list[str] | tuple[str, ...] | None = None,
                     dest: str | Path | None = None, *, update: bool = False,
                     lock_path: str | Path | None = None, hosts: dict[str, str] | None = None,
                     catalogue: str | Path | tuple[Endpoint, ...] | None = None,
                     timeout_s: float | None = None, retries: int | None = None,
                     progress: bool = False, deadline_s: float | None = None,
                     accept_shrink: bool = False) -> PublisherResult:
    """Reproduce the lock (default) or take the newest editions (``update``) into ``dest``.

    All selected files are attempted; if any failed, DownloadError (with ``.result``) names
    each failed file and URL after the others are in place (and, on update, in the lock).
    On update every body is checked before it replaces a file (:func:`check_body`): a body
    that is not its format, or has far fewer rows than the file on disk (unless
    ``accept_shrink``), is a failure and the old file and its lock entry stay.
    """
    timeout_s = _fetch.DEFAULT_TIMEOUT_S if timeout_s is None else float(timeout_s)
    retries = _fetch.DEFAULT_RETRIES if retries is None else int(retries)
    endpoints = catalogue if isinstance(catalogue, tuple) else load_endpoints(catalogue)
    wanted = _select(endpoints, sources)
    _check_hosts(endpoints, hosts)
    dest = Path(dest) if dest is not None else config.FETCHED_RAW_DIR
    dest.mkdir(parents=True, exist_ok=True)
    lock_path = Path(lock_path) if lock_path is not None else default_lock_path(dest)
    client = _Client(hosts or {}, timeout_s, retries, dest, progress)
    try:
        with _fetch.deadline(deadline_s, dest), pooch_log(progress), client:
            if update:
                result = _update(endpoints, wanted, dest, lock_path, client, accept_shrink)
            else:
                result = _reproduce(endpoints, wanted, dest, lock_path, client)
    except (KeyboardInterrupt, _fetch.DeadlineExceeded) as exc:
        done = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
        report = (f"stopped while fetching {client.current or 'nothing'}; files now under "
                  f"{dest}: {len(done)}; the lock {lock_path} is unchanged by this run")
        if isinstance(exc, KeyboardInterrupt):
            print(f"divides fetch: interrupted (Ctrl-C); {report}", file=sys.stderr,
                  flush=True)
            raise
        raise DownloadError(f"{exc}; {report}") from None
    if result.failures:
        f = result.failures
        head = f[0] if len(f) == 1 else f"{len(f)} downloads failed: " + "; ".join(f)
        error = DownloadError(head)
        error.failures = f  # type: ignore[attr-defined]
        error.result = result  # type: ignore[attr-defined]
        raise error
    return result


def list_endpoints(sources: list[str] | tuple[str, ...] | None = None,
                   catalogue: str | Path | tuple[Endpoint, ...] | None = None) -> list[str]:
    """One line per catalogued endpoint of ``sources`` (all when None or empty): source,
    path, code, kind and URL, tab-separated, in catalogue order. Nothing is downloaded;
    ``divides fetch --from publishers --list`` prints these lines."""
    endpoints = catalogue if isinstance(catalogue, tuple) else load_endpoints(catalogue)
    wanted = _select(endpoints, sources)
    return [f"{e.source}\t{e.path}\t{e.code}\t{e.kind}\t{e.url}"
            for e in endpoints if e.source in wanted]


def _select(endpoints: tuple[Endpoint, ...], sources) -> set[str]:
    return _fetch.chosen_sources({e.source for e in endpoints}, sources,
                                 " for the publishers' endpoints")


def _check_hosts(endpoints: tuple[Endpoint, ...], hosts: dict[str, str] | None) -> None:
    known = hosts_of(endpoints)
    for host, base in (hosts or {}).items():
        if host not in known:
            raise DividesError(f"unknown publisher host {host!r}; the catalogue's hosts: "
                               f"{', '.join(known)}")
        if not base.startswith(("http://", "https://")):
            raise DividesError(f"host {host}: expected a base URL starting with http:// or "
                               f"https://, found {base!r}")


# -- reproduce ---------------------------------------------------------------------------

def _reproduce(endpoints, wanted, dest, lock_path, client) -> PublisherResult:
    seeded = not lock_path.is_file()
    files = seed_lock(endpoints) if seeded else read_lock(lock_path)
    result = PublisherResult(paths=[], lock_path=lock_path, seeded=seeded)
    for path, entry in sorted(files.items()):
        if entry.get("source") not in wanted:
            continue
        try:
            target = fileio.inside(dest, path)
        except ValueError as exc:
            result.failures.append(f"{path}: {exc}; not fetched")
            continue
        if fileio.sha256_matches(target, entry["sha256"]):
            result.paths.append(target)
            continue
        urls = entry.get("pages") or [entry["url"]]
        try:
            body = _join_pages([client.get(u, entry, path)[0] for u in urls], entry["kind"])
        except DownloadError as exc:
            result.failures.append(str(exc) + _fetch.kept_note(target))
            continue
        found = _sha256(body)
        if found != entry["sha256"]:
            when = entry.get("retrieved_at") or "from the catalogue's seed"
            result.failures.append(
                f"{path}: {routed(entry['url'], client.hosts)}: expected sha256 {entry['sha256']} "
                f"({entry['size_bytes']} bytes, locked {when}), found sha256 {found} "
                f"({len(body)} bytes): the publisher changed the file; run "
                "`divides fetch --update` to take the new edition" + _fetch.kept_note(target))
            continue
        client.place(body, target)
        result.paths.append(target)
    return result


# -- update ------------------------------------------------------------------------------

def _update(endpoints, wanted, dest, lock_path, client, accept_shrink=False
            ) -> PublisherResult:
    old = read_lock(lock_path) if lock_path.is_file() else {}
    result = PublisherResult(paths=[], lock_path=lock_path)
    new: dict[str, dict] = {p: e for p, e in old.items() if e.get("source") not in wanted}
    slots: dict[str, list[Endpoint]] = {}
    for e in endpoints:
        if e.source in wanted:
            slots.setdefault(e.slot, []).append(e)
    failed_slots: set[str] = set()
    for slot, rows in slots.items():
        notes: list[str] = []
        try:
            ep, body, entry = _newest(rows, old, client, notes)
            try:
                target = fileio.inside(dest, ep.path)
            except ValueError as exc:
                raise DownloadError(f"{ep.path}: {exc}; not fetched") from None
            before = target.read_bytes() if target.is_file() else None
            check_body(ep, body, before, routed(ep.url, client.hosts), accept_shrink)
        except DownloadError as exc:
            failed_slots.add(slot)
            result.failures.append(str(exc))
            for path, entry in old.items():  # keep what was locked for a failed file
                if _slot_of(entry, path) == slot:
                    new[path] = entry
            continue
        previous = old.get(ep.path)
        if previous and previous["sha256"] == entry["sha256"]:
            entry["retrieved_at"] = previous.get("retrieved_at") or entry["retrieved_at"]
            status = "unchanged"
        else:
            status = "changed" if previous else "new"
        content = None
        if status == "changed" and before is not None:
            content = revisions.compare_bytes(ep.kind, before, body)
            if content is None and ep.kind in revisions.PARSERS:
                notes.append("contents not compared (a file did not parse)")
        elif status == "changed":
            notes.append("old file not on disk, contents not compared")
        client.place(body, target)
        new[ep.path] = entry
        result.paths.append(target)
        result.changes.append(Change(ep.path, status, previous, entry, content,
                                     "; ".join(notes)))
    for path, entry in old.items():
        if path not in new and entry.get("source") in wanted \
                and _slot_of(entry, path) not in failed_slots:
            result.changes.append(Change(path, "removed", entry, None,
                                         note="dropped from the lock (file left in place)"))
    write_lock(lock_path, new)
    result.changes.sort(key=lambda c: c.path)
    return result


def _slot_of(entry: dict, path: str) -> str:
    kind = entry.get("kind", "")
    return f"{entry.get('source')}:{kind}" if kind == "ti_xlsx" else path


def _newest(rows: list[Endpoint], old: dict[str, dict], client, notes: list[str]
            ) -> tuple[Endpoint, bytes, dict]:
    """Download the newest edition of a slot: for TI the year after the newest known or
    locked one first, then the newest known edition; else the one row of the slot."""
    if rows[0].kind != "ti_xlsx":
        return _retrieve(rows[0].filled(), client)
    known = [r for r in rows if r.edition.isdigit()]
    template = next((r for r in rows if r.edition == NEXT_EDITION), None)
    locked = [int(e["edition"]) for p, e in old.items()
              if _slot_of(e, p) == rows[0].slot and str(e.get("edition", "")).isdigit()]
    newest_year = max([int(r.edition) for r in known] + locked)
    candidates: list[Endpoint] = []
    if template is not None:
        candidates.append(template.filled(newest_year + 1))
    locked_rows = [_endpoint_from_entry(p, e) for p, e in old.items()
                   if _slot_of(e, p) == rows[0].slot and int(e.get("edition") or 0) == newest_year]
    candidates += locked_rows or [r.filled() for r in known if int(r.edition) == newest_year]
    for number, ep in enumerate(candidates):
        try:
            return _retrieve(ep, client)
        except DownloadError as exc:
            if number == len(candidates) - 1:
                raise
            notes.append(f"edition {ep.edition} not found ({one_line(exc, 160)})")
    raise DownloadError(f"{rows[0].path}: no edition to fetch")  # unreachable: rows non-empty


def _endpoint_from_entry(path: str, entry: dict) -> Endpoint:
    return Endpoint(source=entry["source"], path=path, kind=entry["kind"],
                    code=entry.get("code", ""), url=entry["url"], method=entry.get("method", "GET"),
                    form=entry.get("form", ""), accept=entry.get("accept", ""),
                    edition_rule="year", edition=str(entry.get("edition", "")), known_sha256="",
                    known_size_bytes="", licence="", citation="", note="")


def _retrieve(ep: Endpoint, client) -> tuple[Endpoint, bytes, dict]:
    """Download one endpoint (all pages), check its shape, and build its lock entry."""
    request = {"method": ep.method, "form": ep.form, "accept": ep.accept}
    try:
        body, headers = client.get(ep.url, request, ep.path)
    except DownloadError as exc:
        status = getattr(getattr(exc.__cause__, "response", None), "status_code", None)
        if ep.kind == "wb_api_json" and status == 404:
            raise DownloadError(f"{ep.path}: {routed(ep.url, client.hosts)}: indicator {ep.code} "
                                "is retired or invalid: the World Bank API answered HTTP 404 "
                                "(expected [meta, records])") from exc
        raise
    urls = [ep.url]
    if ep.kind == "wb_api_json":
        meta = _wb_meta(body, ep, routed(ep.url, client.hosts))
        pages = [body]
        for page in range(2, int(meta.get("pages") or 1) + 1):
            urls.append(f"{ep.url}&page={page}")
            more, _ = client.get(urls[-1], request, ep.path)
            _wb_meta(more, ep, routed(urls[-1], client.hosts))
            pages.append(more)
        body = _join_pages(pages, ep.kind)
        edition = str(meta.get("lastupdated") or "")
    else:
        _check_shape(ep, body, routed(ep.url, client.hosts))
        edition = _edition(ep, body, headers)
    entry = _entry(ep, urls, _sha256(body), len(body), edition, retrieved_at=_now())
    moved = [to for u in urls for to in client.redirects.get(u, [])]
    if moved:  # where the publisher sent us (another host, perhaps): on the record
        entry["redirects"] = moved
    return ep, body, entry


def _entry(ep: Endpoint, urls: list[str], sha256: str, size_bytes: int, edition: str,
           retrieved_at: str) -> dict:
    entry = {"source": ep.source, "kind": ep.kind, "code": ep.code, "url": urls[0],
             "method": ep.method, "form": ep.form, "accept": ep.accept,
             "retrieved_at": retrieved_at, "sha256": sha256, "size_bytes": size_bytes,
             "edition": edition}
    if len(urls) > 1:
        entry["pages"] = urls
    return entry


def _join_pages(pages: list[bytes], kind: str) -> bytes:
    """One page is kept byte for byte; several become the JSON list of the page bodies."""
    if len(pages) == 1 or kind != "wb_api_json":
        return pages[0]
    return b"[" + b",".join(p.strip() for p in pages) + b"]"


def _wb_meta(body: bytes, ep: Endpoint, url: str) -> dict:
    """The ``meta`` of a World Bank API v2 page; an API error message or another shape
    raises DownloadError naming the code (a retired code such as WGI ``CC.EST``)."""
    where = f"{ep.path}: {url}"
    try:
        data = json.loads(body)
    except ValueError:
        raise DownloadError(f"{where}: expected World Bank API JSON [meta, records], found "
                            f"{_preview(body)}") from None
    if isinstance(data, list) and data and isinstance(data[0], dict) and "message" in data[0]:
        messages = data[0]["message"] or [{}]
        said = "; ".join(f"{m.get('id', '?')} {m.get('key', '')}: {m.get('value', '')}"
                         for m in messages)
        raise DownloadError(f"{where}: indicator {ep.code} is retired or invalid: the World Bank "
                            f"API answered with error {said} (expected [meta, records])")
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict)
            and "pages" in data[0] and (data[1] is None or isinstance(data[1], list))):
        raise DownloadError(f"{where}: expected World Bank API JSON [meta, records], found "
                            f"{_preview(body)}")
    if not data[1]:
        raise DownloadError(f"{where}: indicator {ep.code}: expected records, found none "
                            f"(total {data[0].get('total')}; a retired or empty series)")
    return data[0]


def _check_shape(ep: Endpoint, body: bytes, url: str) -> None:
    """A cheap check that the body is the format of its kind (not an HTML error page)."""
    where = f"{ep.path}: {url}"
    if ep.kind in ("wb_bulk_zip", "zip", "ti_xlsx"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as zipped:
                names = zipped.namelist()
        except zipfile.BadZipFile:
            what = "an xlsx workbook (a zip)" if ep.kind == "ti_xlsx" else "a zip archive"
            raise DownloadError(f"{where}: expected {what}, found {_preview(body)}") from None
        if ep.kind == "wb_bulk_zip" and not any(n.startswith(f"API_{ep.code}_") for n in names):
            raise DownloadError(f"{where}: expected a member API_{ep.code}_*.csv, found members "
                                f"{', '.join(sorted(names)[:6])}")
        if ep.kind == "zip" and not any(n.endswith(".shp") for n in names):
            raise DownloadError(f"{where}: expected a shapefile (.shp) member, found members "
                                f"{', '.join(sorted(names)[:6])}")
        return
    if ep.kind in ("data360_csv", "sdg_csv"):
        header = body[:4096].decode("utf-8-sig", errors="replace").splitlines()[:1]
        needed = ("REF_AREA",) if ep.kind == "data360_csv" else (
            "SeriesCode", "GeoAreaCode", "TimePeriod", "Value")
        columns = next(csv.reader(header), []) if header else []
        if not all(n in columns for n in needed):
            raise DownloadError(f"{where}: expected a CSV with columns {', '.join(needed)}, "
                                f"found {_preview(body)}")
        return
    if ep.kind == "uis_json":
        try:
            records = json.loads(body)["records"]
            ok = isinstance(records, list)
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise DownloadError(f"{where}: expected UIS JSON {{\"records\": [...]}}, found "
                                f"{_preview(body)}")


#: The share of its rows a new edition may lose before ``--update`` refuses it (without
#: ``--accept-shrink``): publishers add rows; a body cut at a line end loses many.
MAX_ROW_DROP_SHARE = 0.10


def check_body(ep: Endpoint, body: bytes, before: bytes | None, url: str,
               accept_shrink: bool = False) -> None:
    """Refuse a body that should not replace the file on disk: not its format (an HTML
    page, a workbook that is no workbook, a CSV without the old file's header), or far
    fewer rows than the old file (more than :data:`MAX_ROW_DROP_SHARE` lost) unless
    ``accept_shrink``. DownloadError says why and that the old file and lock stay."""
    where = f"{ep.path}: {url}"
    kept = "; the file on disk and its lock entry are kept"
    if not body:
        raise DownloadError(f"{where}: expected a file, found an empty body{kept}")
    if body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise DownloadError(f"{where}: expected the {ep.kind} file, found an HTML page "
                            f"({_preview(body)}){kept}")
    suffix = PurePosixPath(ep.path).suffix.lower()
    if suffix in (".xlsx", ".zip"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as zipped:
                names = zipped.namelist()
        except zipfile.BadZipFile:
            raise DownloadError(f"{where}: expected {'an xlsx workbook' if suffix == '.xlsx' else 'a zip archive'}, "
                                f"found {_preview(body)}{kept}") from None
        if suffix == ".xlsx" and "[Content_Types].xml" not in names:
            raise DownloadError(f"{where}: expected an xlsx workbook ([Content_Types].xml), found "
                                f"a zip of {', '.join(sorted(names)[:6])}{kept}")
    if suffix == ".csv":
        new_header = _csv_header(body)
        if new_header is None or len(new_header) < 2:
            raise DownloadError(f"{where}: expected a CSV with a header row, found "
                                f"{_preview(body)}{kept}")
        old_header = _csv_header(before) if before else None
        if old_header and not set(old_header) <= set(new_header):
            gone = [c for c in old_header if c not in new_header]
            raise DownloadError(f"{where}: expected the CSV header of the file on disk, found "
                                f"columns {gone[:6]} missing{kept}")
    if before is None or accept_shrink:
        return
    old_rows, new_rows = _row_count(ep.kind, suffix, before), _row_count(ep.kind, suffix, body)
    if old_rows and new_rows is not None and new_rows < old_rows * (1 - MAX_ROW_DROP_SHARE):
        raise DownloadError(f"{where}: expected about the {old_rows} rows of the file on disk, "
                            f"found {new_rows} ({old_rows - new_rows} fewer: a body cut short?); "
                            f"run `divides fetch --update --accept-shrink` if the publisher "
                            f"really removed them{kept}")


def _csv_header(body: bytes) -> list[str] | None:
    try:
        first = body[:1 << 16].decode("utf-8-sig").splitlines()[:1]
    except UnicodeDecodeError:
        try:
            first = body[:1 << 16].decode("cp1252").splitlines()[:1]
        except UnicodeDecodeError:
            return None
    return next(csv.reader(first), None) if first else None


def _row_count(kind: str, suffix: str, body: bytes) -> int | None:
    """Rows (records) of a body, to compare editions; None when not counted (workbooks)."""
    try:
        if suffix == ".csv":
            text = body.decode("utf-8-sig", errors="replace")
            return max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0)
        if kind == "wb_api_json":
            data = json.loads(body)
            pages = data if data and isinstance(data[0], list) else [data]
            return sum(len(p[1] or []) for p in pages)
        if kind == "uis_json":
            return len(json.loads(body)["records"])
        if kind == "wb_bulk_zip":
            with zipfile.ZipFile(io.BytesIO(body)) as zipped:
                name = next(n for n in zipped.namelist() if n.startswith("API_"))
                return zipped.read(name).count(b"\n")
    except (ValueError, KeyError, TypeError, IndexError, StopIteration, zipfile.BadZipFile,
            RecursionError):
        return None
    return None


def _edition(ep: Endpoint, body: bytes, headers: dict) -> str:
    """The edition of a download by the catalogue's rule ('' when the publisher says none)."""
    rule = ep.edition_rule
    if rule == "wb_csv_last_updated":
        with zipfile.ZipFile(io.BytesIO(body)) as zipped:
            name = next(n for n in zipped.namelist() if n.startswith("API_"))
            found = _WB_LAST_UPDATED.search(zipped.read(name)[:2000].decode("utf-8-sig", "replace"))
        return found.group(1) if found else ""
    if rule == "sdg_release":
        releases = {row.get("ReleaseName", "") for row in
                    csv.DictReader(io.StringIO(body.decode("utf-8-sig", "replace")))}
        return max(releases - {""}, default="")
    if rule == "last_modified":
        return headers.get("Last-Modified", "")
    return ep.edition  # year, catalogue


def _preview(body: bytes, limit: int = 80) -> str:
    text = " ".join(body[:limit].decode("utf-8", errors="replace").split())
    return f"{len(body)} bytes starting {text!r}" if body else "an empty body"


# -- HTTP --------------------------------------------------------------------------------

class _Downloader:
    """A pooch downloader over requests that can POST a form and keeps the response headers
    (pooch's HTTPDownloader does neither); redirects (TI's 307) are followed and recorded;
    a body larger than :data:`MAX_RESPONSE_BYTES` is stopped."""

    def __init__(self, method: str, form: str, accept: str, timeout_s: float):
        self.method, self.form, self.accept, self.timeout_s = method, form, accept, timeout_s
        self.headers: dict[str, str] = {}
        self.redirects: list[str] = []

    def __call__(self, url, output_file, pooch_obj, check_only=False):
        import requests

        headers = {"Accept": self.accept} if self.accept else {}
        if self.form:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with requests.request(self.method, url, data=self.form.encode() or None,
                              headers=headers, stream=True, timeout=self.timeout_s,
                              allow_redirects=True) as response:
            response.raise_for_status()
            self.headers = dict(response.headers)
            # every URL a redirect led to, absolute (a Location header may be relative)
            self.redirects = [r.url for r in (*response.history[1:], response)] \
                if response.history else []
            if check_only:
                return True
            written = 0
            with open(output_file, "wb") as out:
                for block in response.iter_content(chunk_size=1 << 16):
                    written += len(block)
                    if written > MAX_RESPONSE_BYTES:
                        raise ResponseTooLarge(f"expected at most {MAX_RESPONSE_BYTES} bytes "
                                               "(MAX_RESPONSE_BYTES), found more; stopped")
                    out.write(block)
        return None


class _Client:
    """Downloads into this run's work folder under ``dest`` (:func:`fileio.work_folder`)
    and returns the bytes; :meth:`place` moves a checked body into place from there."""

    def __init__(self, hosts: dict[str, str], timeout_s: float, retries: int, dest: Path,
                 progress: bool):
        self.hosts, self.timeout_s, self.retries, self.dest = hosts, timeout_s, retries, dest
        self._counter = itertools.count()
        self._context = None
        self._work: Path | None = None
        self.current = ""
        self.redirects: dict[str, list[str]] = {}

    def __enter__(self):
        self._context = fileio.work_folder(self.dest, "publishers")
        self._work = self._context.__enter__()
        return self

    def __exit__(self, *exc):
        self._context.__exit__(*exc)

    def place(self, body: bytes, target: Path) -> None:
        """Write ``body`` in the work folder, then move it to ``target`` in one step."""
        tmp = self._work / f"place-{next(self._counter)}"
        with fileio.writing(target):
            tmp.write_bytes(body)
            fileio.move_into_place(tmp, target)

    def get(self, url: str, request: dict, path: str) -> tuple[bytes, dict]:
        """Body and headers of ``url`` (routed through ``hosts``); DownloadError names
        ``path`` and the URL tried. An HTML page where a data file is expected (by its
        Content-Type) is an error too."""
        actual = routed(url, self.hosts)
        self.current = f"{path} from {actual}"
        name = f"part-{next(self._counter)}"
        downloader = _Downloader(request.get("method") or "GET", request.get("form") or "",
                                 request.get("accept") or "", self.timeout_s)
        pup = pooch.create(path=self._work, base_url="", registry={name: None},
                           urls={name: actual}, retry_if_failed=self.retries)
        try:
            with fileio.writing(self.dest / path):  # a full disk stops, naming the file
                local = Path(pup.fetch(name, downloader=downloader))
        except DiskFullError:
            raise
        except Exception as exc:  # every other failure becomes one DownloadError
            if isinstance(exc, ResponseTooLarge):
                raise DownloadError(f"{path}: {actual}: {exc}") from exc
            raise DownloadError(describe(path, actual, exc, _NoHash(), None, self.timeout_s,
                                          self.retries)) from exc
        if downloader.redirects:
            self.redirects[url] = downloader.redirects
        body = local.read_bytes()
        local.unlink()
        kind = downloader.headers.get("Content-Type", "")
        if "html" in kind.lower():
            raise DownloadError(f"{path}: {actual}: expected a data file, found an HTML page "
                                f"(Content-Type {kind}; {_preview(body)})")
        return body, downloader.headers


class _NoHash:
    """Stands in for fetch's recording downloader: there is no per-part hash to report."""

    last = None


# -- files -------------------------------------------------------------------------------

def _sha256(body: bytes) -> str:
    import hashlib

    return hashlib.sha256(body).hexdigest()


def _now() -> str:
    """Retrieval time, UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
