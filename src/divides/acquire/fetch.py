"""``divides fetch``: download the published files of the catalogue, verified by sha256.

This is the pinned mirror (``--from pinned``, the default): fixed copies of each file.
The publishers' own endpoints and their lock are in ``divides.acquire.publishers``.

Files land in ``data/raw/real/<path>`` (``config.FETCHED_RAW_DIR``), laid out exactly like
``../shared/data/real``, so the readers take either folder. Downloads go through pooch,
which streams into a work folder under ``dest`` and keeps a file only when the sha256
matches; the file is then moved into place in one step: a failed or mismatching download
leaves no file behind and never removes a file that was there (a copy of one's own with
another hash stays, and the error says so). Files that the catalogue lists as members of a
zip archive are extracted from the downloaded archive into the work folder, checked
against their own sha256 and then moved into place; the archive itself is kept only for
the duration of the call. Every path is checked to stay inside ``dest`` (no ``..``, no
absolute path, no symlink leading out). Work files live in one folder of this run under
``dest/.divides-work/`` (:func:`divides.fileio.work_folder`): fetch removes that folder
and nothing else, never a file found by a pattern. ``base_url`` fetches every file from a
mirror laid out like ``../shared/data/real`` instead (no archives there).

Beside the files, ``PROVENANCE.csv`` records per file the URL used (and ``final_url``, the
URL the body came from when redirects led elsewhere, another host perhaps), sha256, size, the
date retrieved, licence and citation; rows are sorted by path and a file that is already present
and verified keeps its earlier record, so a re-run rewrites identical bytes.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import signal
import sys
import threading
import warnings
import zipfile
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

import pooch

from divides import config, fileio
from divides.acquire.downloads import Download, load_catalogue, source_ids
from divides.errors import DiskFullError, DividesError, DownloadError

#: Seconds without data before a connection or read is given up (requests' timeout).
DEFAULT_TIMEOUT_S = 60.0
#: Extra attempts after a failed download or a hash mismatch (pooch waits 1 s, 2 s, ...).
DEFAULT_RETRIES = 2
#: Seconds the whole ``divides fetch`` may take: a server that trickles bytes (each within
#: the per-read timeout) would otherwise keep it going without end.
DEFAULT_DEADLINE_S = 3600.0
PROVENANCE_CSV = "PROVENANCE.csv"
PROVENANCE_COLUMNS = ("path", "source", "url", "final_url", "archive_member", "sha256",
                      "size_bytes", "retrieved_on", "licence", "citation")


def fetch(sources: list[str] | tuple[str, ...] | None = None, dest: str | Path | None = None,
          base_url: str | None = None, progress: bool = True, *,
          catalogue: str | Path | tuple[Download, ...] | None = None,
          timeout_s: float | None = None, retries: int | None = None,
          deadline_s: float | None = None) -> list[Path]:
    """Download the files of ``sources`` (default: all) into ``dest``; return their paths.

    Every file is verified against the catalogue's sha256; files already present with the
    right hash are not downloaded again. All selected files are attempted; if any failed,
    DownloadError names each failed file and URL after the others are in place.
    ``catalogue`` is a CSV path or loaded entries (default: the package's downloads.csv);
    ``timeout_s`` (per read) and ``retries`` default to DEFAULT_TIMEOUT_S and
    DEFAULT_RETRIES; ``deadline_s`` (the whole call) to DEFAULT_DEADLINE_S. Ctrl-C stops
    it with a report of the files verified and the failures found so far; temporary files
    of earlier killed runs are removed first, and the files land with normal permissions.
    """
    timeout_s = DEFAULT_TIMEOUT_S if timeout_s is None else float(timeout_s)
    retries = DEFAULT_RETRIES if retries is None else int(retries)
    entries = catalogue if isinstance(catalogue, tuple) else load_catalogue(catalogue)
    selected = select(entries, sources)
    dest = Path(dest) if dest is not None else config.FETCHED_RAW_DIR
    dest.mkdir(parents=True, exist_ok=True)
    for entry in selected:
        _target(dest, entry)  # every path inside dest before anything is downloaded
    downloader = _RecordingDownloader(progress=progress, timeout_s=timeout_s)
    old_records = _read_provenance(dest / PROVENANCE_CSV)
    records: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    present: list[Download] = []

    def note(entry: Download, url: str, downloaded: bool, member: str = "",
             final_url: str = "") -> None:
        present.append(entry)
        old = old_records.get(entry.path)
        if not downloaded and old is not None and old.get("sha256") == entry.sha256:
            records[entry.path] = old
            return
        records[entry.path] = {
            "path": entry.path, "source": entry.source, "url": url,
            "final_url": final_url if final_url != url else "", "archive_member": member,
            "sha256": entry.sha256, "size_bytes": str(entry.size_bytes),
            "retrieved_on": today() if downloaded else "",
            "licence": entry.licence, "citation": entry.citation}

    current = {"what": "", "url": ""}
    try:
        with deadline(deadline_s, dest), pooch_log(progress), \
                fileio.work_folder(dest, "fetch") as work:
            _fetch_all(selected, base_url, dest, downloader, retries, timeout_s, work, note,
                       failures, current)
    except DiskFullError:  # the files already in place stay, with their records if room
        with suppress(DiskFullError):
            _write_provenance(dest / PROVENANCE_CSV, {
                **{p: r for p, r in old_records.items() if (dest / p).is_file()}, **records})
        raise
    except (KeyboardInterrupt, DeadlineExceeded) as exc:
        all_records = {**{p: r for p, r in old_records.items() if (dest / p).is_file()},
                       **records}
        _write_provenance(dest / PROVENANCE_CSV, all_records)
        report = interrupted_report(dest, [e.path for e in present], failures,
                                    len(selected), current)
        if isinstance(exc, KeyboardInterrupt):
            print(f"divides fetch: interrupted (Ctrl-C); {report}", file=sys.stderr, flush=True)
            raise
        raise DownloadError(f"{exc}; {report}") from None

    all_records = {**{p: r for p, r in old_records.items() if (dest / p).is_file()}, **records}
    _write_provenance(dest / PROVENANCE_CSV, all_records)
    if failures:
        head = failures[0] if len(failures) == 1 else (
            f"{len(failures)} of {len(selected)} downloads failed: " + "; ".join(failures))
        error = DownloadError(head)
        error.failures = failures  # type: ignore[attr-defined]
        raise error
    order = {e.path: i for i, e in enumerate(selected)}
    return [dest / e.path for e in sorted(present, key=lambda e: order[e.path])]


def _fetch_all(selected, base_url, dest, downloader, retries, timeout_s, work, note, failures,
               current) -> None:
    """Every selected file, then every archive; ``current`` names the one in progress."""
    archives: dict[str, list[Download]] = {}
    for entry in selected:
        if base_url is not None:
            url = mirror_url(base_url, entry.path)
        elif not entry.url:
            warnings.warn(f"{entry.path}: no public URL ({entry.note}); not fetched, use a "
                          "mirror (--base-url) for it", stacklevel=2)
            continue
        elif entry.in_archive:
            archives.setdefault(entry.url, []).append(entry)
            continue
        else:
            url = entry.url
        current.update(what=entry.path, url=url)
        try:
            downloader.final_url = ""
            downloaded = fetch_file(entry, url, dest, downloader, retries, timeout_s,
                                    Path(work) / "files")
            note(entry, url, downloaded, final_url=downloader.final_url if downloaded else "")
        except DownloadError as exc:
            failures.append(str(exc))
    for number, (url, members) in enumerate(archives.items()):
        current.update(what=", ".join(m.path for m in members), url=url)
        downloader.final_url = ""
        done, errors = _fetch_archive(url, members, dest, Path(work) / str(number),
                                      downloader, retries, timeout_s)
        for entry, downloaded in done:
            note(entry, url, downloaded, entry.archive_member,
                 final_url=downloader.final_url if downloaded else "")
        failures.extend(errors)
    current.update(what="", url="")


class DeadlineExceeded(BaseException):
    """The overall deadline of a fetch passed (a BaseException, like KeyboardInterrupt, so
    that no per-file ``except Exception`` turns it into one more failure and goes on)."""


@contextmanager
def deadline(seconds: float | None, dest: Path):
    """Raise DeadlineExceeded in the main thread when ``seconds`` have passed.

    A timer signal interrupts even a read that is receiving one byte at a time; outside
    the main thread (no signals there) the per-read timeout is the only bound.
    """
    seconds = DEFAULT_DEADLINE_S if seconds is None else float(seconds)
    usable = (threading.current_thread() is threading.main_thread()
              and hasattr(signal, "setitimer"))
    if not usable or seconds <= 0:
        yield
        return

    def expire(signum, frame):
        raise DeadlineExceeded(f"divides fetch: the overall deadline of {seconds:g} s passed "
                               f"(files into {dest})")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def interrupted_report(dest: Path, done: list[str], failures: list[str], n_selected: int,
                       current: dict) -> str:
    """What a stopped fetch had found: files verified, failures, the file in progress."""
    parts = [f"{len(done)} of {n_selected} files verified in {dest}"]
    if current.get("what"):
        parts.append(f"stopped while fetching {current['what']} from {current['url']}")
    if failures:
        parts.append(f"{len(failures)} failed before: " + "; ".join(failures))
    parts.append(f"{n_selected - len(done) - len(failures)} not done; run it again to "
                 "resume (verified files are not downloaded again)")
    return "; ".join(parts)


def select(entries: tuple[Download, ...], sources) -> list[Download]:
    """Catalogue rows of ``sources`` (all when None or empty); unknown ids raise DividesError."""
    wanted = chosen_sources(source_ids(entries), sources)
    return [e for e in entries if e.source in wanted]


def chosen_sources(known, sources, what: str = "") -> set[str]:
    """The source ids asked for (all ``known`` when None or empty); an unknown id raises
    DividesError listing the known ones (``what`` says which catalogue)."""
    if not sources:
        return set(known)
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise DividesError(f"unknown source {', '.join(map(repr, unknown))}{what}; "
                           f"known: {', '.join(sorted(known))}")
    return set(sources)


def mirror_url(base_url: str, path: str) -> str:
    """URL of ``path`` on a mirror laid out like ``../shared/data/real`` (percent-encoded)."""
    return base_url.rstrip("/") + "/" + quote(path)


#: The most bytes one response may write (after HTTP decompression) when the catalogue does
#: not give the file's size (an archive): a small gzip body can expand to gigabytes. The
#: largest publisher file is tens of megabytes.
MAX_RESPONSE_BYTES = 1 << 30


class ResponseTooLarge(Exception):
    """A response body went past its limit (the download is stopped)."""


class _CappedFile:
    """A binary file that refuses to grow past ``limit`` bytes (pooch writes into it)."""

    def __init__(self, path, limit: int, why: str):
        self._out = open(path, "w+b")  # noqa: SIM115 - closed by pooch's downloader
        self.limit, self.why, self.written = limit, why, 0

    def write(self, block: bytes) -> int:
        self.written += len(block)
        if self.written > self.limit:
            raise ResponseTooLarge(f"expected at most {self.limit} bytes ({self.why}), "
                                   "found more; stopped")
        return self._out.write(block)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.close()


class _RecordingDownloader:
    """pooch's HTTPDownloader (bounded timeout, optional tqdm bar) that remembers the sha256
    and size of the last body it wrote, so a mismatch can be reported with both hashes, and
    the URL the body finally came from (after redirects, perhaps to another host), for
    PROVENANCE.csv's ``final_url``."""

    def __init__(self, progress: bool, timeout_s: float):
        self._http = pooch.HTTPDownloader(progressbar=progress, timeout=timeout_s,
                                          hooks={"response": self._seen})
        self.last: tuple[str, int] | None = None
        self.final_url = ""
        #: bytes the next body may have, and why (the catalogue's size for a pinned file)
        self.limit: tuple[int, str] = (MAX_RESPONSE_BYTES, "MAX_RESPONSE_BYTES")

    def _seen(self, response, *args, **kwargs) -> None:
        """requests' response hook: called for every response, redirects included, so
        the last one seen is where the body came from."""
        self.final_url = response.url

    def __call__(self, url, output_file, pooch_obj, check_only=False):
        self.last = None
        self.final_url = ""
        if check_only or not isinstance(output_file, (str, Path)):
            result = self._http(url, output_file, pooch_obj, check_only=check_only)
        else:
            capped = _CappedFile(output_file, *self.limit)
            try:
                result = self._http(url, capped, pooch_obj)
            finally:
                capped.close()
        if not check_only and isinstance(output_file, (str, Path)) and os.path.exists(output_file):
            self.last = (fileio.sha256_file(output_file), os.path.getsize(output_file))
        return result


def fetch_file(entry: Download, url: str, dest: Path, downloader: _RecordingDownloader,
                retries: int, timeout_s: float, work: Path) -> bool:
    """Download one plain file via pooch into ``work`` (a work folder under ``dest``), then
    move it into place; True when downloaded, False when already there."""
    target = _target(dest, entry)
    if fileio.sha256_matches(target, entry.sha256):
        return False
    pup = pooch.create(path=work, base_url="", registry={entry.path: entry.sha256},
                       urls={entry.path: url}, retry_if_failed=retries)
    # a body longer than the catalogue's size cannot have its hash: stop it there
    downloader.limit = ((entry.size_bytes, "its size in the download catalogue")
                        if entry.size_bytes > 0 else (MAX_RESPONSE_BYTES, "MAX_RESPONSE_BYTES"))
    try:
        with fileio.writing(target):  # a full disk stops the fetch, naming the file
            local = pup.fetch(entry.path, downloader=downloader)
    except DiskFullError:
        raise
    except Exception as exc:  # every other failure becomes one DownloadError
        raise DownloadError(describe(entry.path, url, exc, downloader, entry, timeout_s,
                                      retries) + kept_note(target)) from exc
    fileio.move_into_place(local, target)
    return True


def _fetch_archive(url: str, members: list[Download], dest: Path, work: Path,
                   downloader: _RecordingDownloader, retries: int, timeout_s: float
                   ) -> tuple[list[tuple[Download, bool]], list[str]]:
    """Download a zip once and extract the catalogue's members, each verified by sha256."""
    done = [(m, False) for m in members if fileio.sha256_matches(dest / m.path, m.sha256)]
    todo = [m for m in members if not fileio.sha256_matches(dest / m.path, m.sha256)]
    if not todo:
        return done, []
    name = PurePosixPath(urlsplit(url).path).name or "archive.zip"
    label = f"{name} (archive of {', '.join(m.path for m in todo)})"
    # The catalogue pins the members' hashes, not the archive's: pooch takes it unchecked.
    pup = pooch.create(path=work, base_url="", registry={name: None}, urls={name: url},
                       retry_if_failed=retries)
    downloader.limit = (MAX_RESPONSE_BYTES, "MAX_RESPONSE_BYTES")
    try:
        with fileio.writing(work / name):  # a full disk stops the fetch, naming the file
            archive = pup.fetch(name, downloader=downloader)
    except DiskFullError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported for each member
        kept = "".join(kept_note(dest / m.path) for m in todo)
        return done, [describe(label, url, exc, downloader, None, timeout_s, retries) + kept]
    errors: list[str] = []
    try:
        with zipfile.ZipFile(archive) as zipped:
            names = set(zipped.namelist())
            for m in todo:
                try:
                    _extract_member(zipped, names, m, _target(dest, m), url, work)
                    done.append((m, True))
                except DownloadError as exc:
                    errors.append(str(exc) + kept_note(dest / m.path))
    except zipfile.BadZipFile as exc:
        errors.append(f"{label}: {url}: expected a zip archive, found {one_line(exc)}")
    return done, errors


def _target(dest: Path, entry: Download) -> Path:
    """Where ``entry`` lands: inside ``dest`` (DownloadError naming the path otherwise)."""
    try:
        return fileio.inside(dest, entry.path)
    except ValueError as exc:
        raise DownloadError(f"{entry.path}: {exc}; nothing fetched") from None


def kept_note(target: Path) -> str:
    """What a failed download left at ``target``: the file that was there stays as it is."""
    if target.is_file():
        return (f"; the file already at {target} (sha256 {fileio.sha256_file(target)[:12]}...) "
                "was left as it is")
    return ""


def _extract_member(zipped: zipfile.ZipFile, names: set[str], entry: Download, target: Path,
                    url: str, work: Path) -> None:
    """Copy one member into the work folder, at most the catalogue's size plus one byte (a
    member that claims or holds more is refused before it fills the disk); move it to
    ``target`` if its sha256 matches."""
    if entry.archive_member not in names:
        shown = ", ".join(sorted(names)[:6]) + (", ..." if len(names) > 6 else "")
        raise DownloadError(f"{entry.path}: {url}: expected archive member "
                            f"{entry.archive_member!r}, found members {shown}")
    where = f"{entry.path}: {url} member {entry.archive_member}"
    claimed = zipped.getinfo(entry.archive_member).file_size
    if claimed > entry.size_bytes:
        raise DownloadError(f"{where}: expected sha256 {entry.sha256} ({entry.size_bytes} "
                            f"bytes), found a member of {claimed} bytes (not extracted: larger "
                            "than the catalogue says)")
    tmp = work / f"member-{secrets.token_hex(4)}"
    with fileio.writing(target):
        work.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out, zipped.open(entry.archive_member) as member:
            copied = copy_at_most(member, out, entry.size_bytes + 1)
    if copied > entry.size_bytes:
        tmp.unlink()
        raise DownloadError(f"{where}: expected sha256 {entry.sha256} ({entry.size_bytes} "
                            "bytes), found more bytes than its header says (extraction "
                            "stopped)")
    found = fileio.sha256_file(tmp)
    if found != entry.sha256:
        tmp.unlink()
        raise DownloadError(f"{where}: expected sha256 {entry.sha256} ({entry.size_bytes} "
                            f"bytes), found sha256 {found} ({copied} bytes)")
    fileio.move_into_place(tmp, target)


def copy_at_most(source, out, limit: int, chunk: int = 1 << 20) -> int:
    """Copy from the file object ``source`` to ``out`` until its end or ``limit`` bytes;
    returns the bytes copied (``limit`` means: there may be more)."""
    copied = 0
    while copied < limit:
        block = source.read(min(chunk, limit - copied))
        if not block:
            break
        out.write(block)
        copied += len(block)
    return copied


def describe(what: str, url: str, exc: BaseException, downloader: _RecordingDownloader,
              entry: Download | None, timeout_s: float, retries: int) -> str:
    """One line: what failed, from where, expected what, found what."""
    import requests

    text = one_line(exc)
    tries = f" (after {retries + 1} attempts)" if retries else ""
    if isinstance(exc, ResponseTooLarge):
        detail = text
    elif isinstance(exc, ValueError) and entry is not None and downloader.last is not None:
        found, size = downloader.last
        detail = (f"expected sha256 {entry.sha256} ({entry.size_bytes} bytes), "
                  f"found sha256 {found} ({size} bytes)")
    elif isinstance(exc, requests.HTTPError) and exc.response is not None:
        detail = f"expected HTTP 200, found HTTP {exc.response.status_code} {exc.response.reason}"
    elif isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        detail = f"expected data within {timeout_s:g} s, found none (timed out)"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text:
        size = f"{entry.size_bytes} bytes" if entry is not None else "the whole body"
        detail = f"expected {size}, found the connection closed early ({text})"
    elif isinstance(exc, requests.ConnectionError):
        detail = f"expected a connection, found {text}"
    else:
        detail = f"download failed: {type(exc).__name__}: {text}"
    return f"{what}: {url}: {detail}{tries}"


def one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def today() -> str:
    """The retrieval date (UTC, day precision, so records do not change within a day)."""
    return datetime.now(UTC).date().isoformat()


@contextmanager
def pooch_log(progress: bool):
    """pooch logs every download at INFO; keep that only when a progress bar is wanted."""
    logger = pooch.get_logger()
    level = logger.level
    if not progress:
        logger.setLevel("WARNING")
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_provenance(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["path"]: {c: row.get(c, "") for c in PROVENANCE_COLUMNS}
                for row in csv.DictReader(handle)}


def _write_provenance(path: Path, records: dict[str, dict[str, str]]) -> None:
    """Write the records sorted by path, atomically, with LF line ends."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PROVENANCE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for key in sorted(records):
        writer.writerow(records[key])
    fileio.write_text(path, buffer.getvalue())
