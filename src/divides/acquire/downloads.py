"""The download catalogue (``data/acquire/downloads.csv``): one row per published file.

Columns: ``source`` (reader id), ``path`` (relative, laid out like ``../shared/data/real``),
``url`` (where exactly these bytes can be downloaded; see below), ``archive_member`` (when
not empty, ``url`` is a zip archive and the file is this member of it), ``sha256`` and
``size_bytes`` of the file itself (never of an archive), ``licence``, ``citation``,
``publisher_url`` (the publisher's page, for attribution) and ``note``.

Why ``url`` is usually a pinned ``raw.githubusercontent.com/<repo>/<commit>/<path>`` and not
the publisher's page: the checksums pin one edition of each file, and the publishers' own
URLs serve the newest edition (different bytes). An empty ``url`` marks a file that exists
only in a mirror (the GeoJSON converted from the Natural Earth shapefile).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from divides import config, fileio
from divides.errors import SourceFormatError

COLUMNS = ("source", "path", "url", "archive_member", "sha256", "size_bytes", "licence",
           "citation", "publisher_url", "note")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Download:
    """One catalogue row."""

    source: str
    path: str
    url: str
    archive_member: str
    sha256: str
    size_bytes: int
    licence: str
    citation: str
    publisher_url: str
    note: str

    @property
    def in_archive(self) -> bool:
        return bool(self.archive_member)


def load_catalogue(csv_path: str | Path | None = None) -> tuple[Download, ...]:
    """Read and check a download catalogue (default: the package's ``downloads.csv``).

    Every row needs a known source, a relative path without ``..``, a 64-hex sha256 and an
    integer size; paths are unique. Problems raise SourceFormatError naming the row.
    """
    csv_path = Path(csv_path) if csv_path is not None else config.DOWNLOADS_CSV
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceFormatError(csv_path, "header", f"columns {', '.join(COLUMNS)}",
                                    found=f"missing {', '.join(missing)}")
        rows = list(reader)
    entries: list[Download] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        where = f"row {line} ({row.get('path', '')!r})"
        path = row["path"]
        why = fileio.unsafe_relative(path)
        if why is not None:
            raise SourceFormatError(csv_path, where, "a relative path without '..'",
                                    found=f"{why}: {path!r}")
        if path in seen:
            raise SourceFormatError(csv_path, where, "a unique path", found="a duplicate")
        seen.add(path)
        if not SHA256_PATTERN.match(row["sha256"]):
            raise SourceFormatError(csv_path, f"{where}, column sha256", "64 lowercase hex digits",
                                    found=repr(row["sha256"]))
        if not row["size_bytes"].isdigit():
            raise SourceFormatError(csv_path, f"{where}, column size_bytes",
                                    "a non-negative integer", found=repr(row["size_bytes"]))
        if row["archive_member"] and not row["url"]:
            raise SourceFormatError(csv_path, f"{where}, column url",
                                    "an archive URL when archive_member is set", found="empty")
        if not row["source"]:
            raise SourceFormatError(csv_path, f"{where}, column source", "a source id",
                                    found="empty")
        entries.append(Download(**{**{c: row[c] for c in COLUMNS},
                                   "size_bytes": int(row["size_bytes"])}))
    return tuple(entries)


def source_ids(entries: tuple[Download, ...]) -> list[str]:
    """Source ids of a catalogue, in first-seen order."""
    return list(dict.fromkeys(e.source for e in entries))
