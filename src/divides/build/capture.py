"""Build-time capture of what the codebook needs from the raw folder.

The codebook of a built panel must need no raw files, so :func:`write_build_metadata`
(called once by :func:`divides.build.panel.build`, with the build's one scan of the raw
folder, :class:`divides.build.inventory.RawFiles`) writes two small tables beside the build's
outputs in ``data/processed/<data>/``:

* ``definitions.csv``: the publishers' own series definitions, read by the readers'
  ``OTHER_PATTERNS`` functions listed in :data:`DEFINITION_READERS` (WDI
  ``Metadata_Indicator_*.csv`` SOURCE_NOTE / SOURCE_ORGANIZATION, Findex ``Series -
  Metadata`` long definitions, ITU ``Definitions`` sheets). Columns: ``source,
  publisher_code, publisher_name, definition, source_organization, licence, file``.
* ``input_files.csv``: every input file of the build with its size, modification date
  (the date the file was written into the raw folder: a retrieval date when ``divides
  fetch`` wrote it) and the publisher's own "Last Updated" stamp where the file carries
  one in its text (WDI API preamble, DataBank footers). Columns: ``path, source, bytes,
  modified, publisher_stamp``.

Sources without such metadata files (WGI, CPI, EGOV, SDG, UNESCO) get no rows in
``definitions.csv``; the codebook then keeps the catalogue's definition and says so.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from divides import fileio, sources
from divides.build.inventory import RawFiles

#: (source, OTHER_PATTERNS function) pairs whose output holds series definitions.
DEFINITION_READERS = (("wdi", "read_indicator_metadata"), ("findex", "read_series_metadata"),
                      ("itu", "read_definitions"))
DEFINITION_COLUMNS = ["source", "publisher_code", "publisher_name", "definition",
                      "source_organization", "licence", "file"]
INPUT_FILE_COLUMNS = ["path", "source", "bytes", "modified", "publisher_stamp"]
DEFINITIONS_CSV = "definitions.csv"
INPUT_FILES_CSV = "input_files.csv"

#: "Last Updated Date","2025-04-15" (API preamble) or Last Updated: 05/25/2022 (DataBank).
_STAMP_RE = re.compile(r'^\W*Last Updated(?: Date)?\W+(?P<date>[0-9][0-9/.-]+[0-9])')


def definitions(raw: RawFiles) -> pd.DataFrame:
    """Publisher definitions in the scanned raw folder (one row per source and series code)."""
    frames = []
    for source, fn in DEFINITION_READERS:
        mod = sources.module(source)
        for path in raw.metadata(source, fn):
            try:
                table = getattr(mod, fn)(path)
            except Exception as exc:  # noqa: BLE001 - a codebook extra never breaks a build
                warnings.warn(f"codebook capture: {source}.{fn} could not read {path.name}: "
                              f"{exc}", stacklevel=2)
                continue
            table = table.rename(columns={"description": "publisher_name"})
            frames.append(table.assign(source=source, file=path.name))
    if not frames:
        return pd.DataFrame(columns=DEFINITION_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    for col in DEFINITION_COLUMNS:
        out[col] = out[col].fillna("").astype(str) if col in out else ""
    out = out[DEFINITION_COLUMNS]
    out = out[(out["publisher_code"] != "") & (out["definition"] != "")]
    return out.drop_duplicates(["source", "publisher_code"], keep="last").sort_values(
        ["source", "publisher_code"], kind="mergesort").reset_index(drop=True)


def publisher_stamp(path: Path) -> str:
    """The publisher's "Last Updated" date written in a CSV's first or last lines, as
    ``YYYY-MM-DD`` when it parses (else as written); "" when there is none."""
    if path.suffix.lower() != ".csv":
        return ""
    with open(path, "rb") as fh:
        head = fh.read(2048)
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    for line in (head + b"\n" + tail).decode("utf-8-sig", errors="replace").splitlines():
        m = _STAMP_RE.match(line.strip())
        if m:
            raw = m.group("date")
            for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
                try:
                    return datetime.strptime(raw, fmt).date().isoformat()
                except ValueError:
                    pass
            return raw
    return ""


def input_files(raw: RawFiles) -> pd.DataFrame:
    """Every observation and OTHER_PATTERNS file of the scanned raw folder, with size and
    dates."""
    rows = []
    for p, source in raw.input_sources().items():
        st = p.stat()
        rows.append({"path": p.relative_to(raw.root).as_posix(), "source": source,
                     "bytes": st.st_size,
                     "modified": datetime.fromtimestamp(st.st_mtime, UTC)
                     .date().isoformat(),
                     "publisher_stamp": publisher_stamp(p)})
    return pd.DataFrame(rows, columns=INPUT_FILE_COLUMNS)


def write_build_metadata(raw: RawFiles, out: Path) -> list[Path]:
    """Write ``definitions.csv`` and ``input_files.csv`` into ``out``; returns the paths."""
    out = Path(out)
    paths = []
    for name, frame in ((DEFINITIONS_CSV, definitions(raw)), (INPUT_FILES_CSV,
                                                               input_files(raw))):
        path = out / name
        fileio.write_csv(frame, path)
        paths.append(path)
    return paths
