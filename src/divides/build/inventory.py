"""One scan of the raw folder: every file with its role; and what the reads must yield.

:func:`scan` lists the raw-data root once and gives each file one role:

* ``data``: an observation file of a source (its reader's ``PATTERNS``);
* ``companion``: read together with a data file (``companions`` of a reader, the sidecars
  of a shapefile);
* ``metadata``: read by another public reader of a source (``OTHER_PATTERNS``: country
  metadata, definitions, aggregate tables, geometries);
* ``documentation``: files about the files (:data:`NOT_DATA`);
* ``not read``, with the reason (no reader pattern matches it).

The build computes it once (:func:`divides.build.panel.read_plan`) and every consumer takes
it from there: the reads, the country metadata, the codebook capture, the manifest's
``raw_files`` table. All files, read or not, are in the build key, so a file added or
changed anywhere under the root is never ignored silently.

After the reads, :func:`check_yields` stops the build when a catalogue series went
missing while a file has a similar code (a publisher renamed it), when a file that has
rows yields no catalogue series, and when a source with files yields nothing.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from divides import catalogue, sources
from divides.errors import InputError
from divides.observations import ReadReport

ROLES = ("data", "companion", "metadata", "documentation", "not read")
SCAN_COLUMNS = ["path", "role", "source", "reader", "reason"]
#: The manifest's ``raw_files`` table (its columns and status names predate the roles).
INVENTORY_COLUMNS = ["path", "status", "source", "why"]
_STATUS_OF_ROLE = {"data": "read", "companion": "companion", "metadata": "read_other",
                   "documentation": "not_read", "not read": "not_read"}
#: Files that are not data, by name (any folder): why they are not read.
NOT_DATA = {
    "SOURCES.md": "documentation of the files (not data)",
    "README.md": "documentation (not data)",
    "SYNTHETIC_DEMO_DATA.md": "demo marker (the folder is the synthetic set)",
    "publishers.lock.json": "lock of `divides fetch` (sha256s of the fetched files)",
    "PROVENANCE.csv": "provenance of `divides fetch` (URL, sha256, date per file)",
}
#: The reader of the WDI country metadata (region, income group) the panel joins.
COUNTRY_METADATA = ("wdi", "read_country_metadata")


def _matches(rel: str, pattern: str) -> bool:
    """Whether the relative path ``rel`` is what ``Path(root).glob(pattern)`` finds: the same
    number of parts, each matched by its part of the pattern (case-exact, as on Linux)."""
    path, pat = PurePosixPath(rel), PurePosixPath(pattern)
    return len(path.parts) == len(pat.parts) and path.match(pattern)


@dataclass(frozen=True)
class RawFiles:
    """Every file under ``root`` with its role (``table``: one row per file, columns
    :data:`SCAN_COLUMNS`), and every match of a reader pattern (``matches``: path, source,
    reader; in reader order, ``read`` patterns before ``OTHER_PATTERNS``)."""

    root: Path
    table: pd.DataFrame
    matches: tuple[tuple[Path, str, str], ...]
    #: files that are symlinks leading out of the raw folder: relative path -> target
    outside: tuple[tuple[str, str], ...] = ()

    def paths(self) -> list[Path]:
        """Every file under the root (read or not), sorted."""
        return [self.root / rel for rel in self.table["path"]]

    def data(self, source: str) -> list[Path]:
        """The files ``read`` of ``source`` takes, sorted."""
        return sorted({p for p, s, r in self.matches if s == source and r == "read"})

    def data_files(self) -> dict[str, list[Path]]:
        """Observation files per source id, in panel order (empty list: no files)."""
        return {s: self.data(s) for s in sources.SOURCE_IDS}

    def metadata(self, source: str, reader: str) -> list[Path]:
        """The files ``source``'s ``reader`` (an ``OTHER_PATTERNS`` function) takes, sorted."""
        return sorted({p for p, s, r in self.matches if s == source and r == reader})

    def input_sources(self) -> dict[Path, str]:
        """Every file some reader takes, with the first source whose patterns match it."""
        out: dict[Path, str] = {}
        for p, s, _ in self.matches:
            out.setdefault(p, s)
        return dict(sorted(out.items()))

    def inventory(self) -> pd.DataFrame:
        """The manifest's ``raw_files`` table: path, status, source, why."""
        return pd.DataFrame({"path": self.table["path"],
                             "status": self.table["role"].map(_STATUS_OF_ROLE),
                             "source": self.table["source"], "why": self.table["reason"]},
                            columns=INVENTORY_COLUMNS)


def _why_not_read(rel: str, globs: dict[str, list[str]]) -> str:
    """Why a file under the root is not read: not data, or no reader pattern matches."""
    name = Path(rel).name
    if name in NOT_DATA:
        return NOT_DATA[name]
    if name.startswith("."):
        return "hidden file"
    top = rel.split("/", 1)[0]
    pats = [p for ps in globs.values() for p in ps if p.split("/", 1)[0] == top]
    if not pats:
        return (f"no reader reads folder {top}/" if "/" in rel
                else "not in a source folder (files are read from folders such as wb_wdi/)")
    near = [p for p in pats if fnmatch.fnmatch(rel.casefold(), p.casefold())]
    if near:
        return f"matches {near[0]!r} only when case is ignored (file patterns are case-exact)"
    return f"matches no file pattern of its folder ({', '.join(sorted(pats)[:4])})"


def list_files(root: Path) -> tuple[list[Path], dict[Path, str]]:
    """Every regular file under ``root``, following symlinked folders (a source folder kept
    elsewhere, ``un_sdg -> /data/sdg``; each real folder once, so a link loop ends), and the
    symlinked files that lead out (path -> target): a file link is read only when its target
    is inside the raw folder or inside the real folder that holds the link; others are
    listed, never read (``/etc/passwd`` as ``passwd.csv``)."""
    root = Path(root)
    base = root.resolve()
    seen: set[Path] = set()
    found: list[Path] = []
    outside: dict[Path, str] = {}
    for parent, dirs, files in os.walk(root, followlinks=True):
        real = Path(parent).resolve()
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        for name in files:
            p = Path(parent) / name
            if not p.is_file():
                continue
            target = p.resolve()
            if p.is_symlink() and not (target.is_relative_to(base)
                                       or target.is_relative_to(real)):
                outside[p] = str(target)
            found.append(p)
    return sorted(found), outside


def scan(root: Path) -> RawFiles:
    """List ``root`` once and give every file under it its role (see the module's doc)."""
    root = Path(root)
    found, outside = list_files(root)
    rels = {p: p.relative_to(root).as_posix() for p in found}
    present = set(found)
    readable = [p for p in found if p not in outside]
    globs: dict[str, list[str]] = {}
    matches: list[tuple[Path, str, str]] = []
    for mid in sources.MODULE_IDS:
        mod = sources.module(mid)
        other = sources.other_readers(mid)
        globs[mid] = list(getattr(mod, "PATTERNS", ())) + list(dict.fromkeys(p for p, _ in other))
        for pat, reader in [*((p, "read") for p in getattr(mod, "PATTERNS", ())), *other]:
            matches += [(p, mid, reader) for p in readable if _matches(rels[p], pat)]
    raw = RawFiles(root, pd.DataFrame(columns=SCAN_COLUMNS), tuple(matches))

    # role, source, reader, reason; the order of these steps decides a file two readers take
    role: dict[Path, tuple[str, str, str, str]] = {}
    for source, paths in raw.data_files().items():
        for p in paths:
            role[p] = ("data", source, "read", "observations")
            for comp in sources.companions(source, p):
                if comp in present or comp.exists():
                    role.setdefault(comp, ("companion", source, "", f"read with {p.name}"))
    for p in raw.metadata(*COUNTRY_METADATA):
        role[p] = ("metadata", COUNTRY_METADATA[0], COUNTRY_METADATA[1],
                   "country metadata (region, income group)")
    for p, mid, reader in matches:
        if reader == "read":
            continue
        role.setdefault(p, ("metadata", mid, reader, f"read by {mid}.{reader}"))
        if p.suffix.casefold() == ".shp":  # GDAL reads the sidecars with it
            for side in found:
                if side.parent == p.parent and side.name.startswith(f"{p.stem}."):
                    role.setdefault(side, ("companion", mid, "", f"read with {p.name}"))
    rows = []
    for p in found:
        rel = rels[p]
        if p in outside:
            kind, source, reader = "not read", "", ""
            why = f"a symlink to {outside[p]}, outside the raw folder (never read)"
        elif p in role:
            kind, source, reader, why = role[p]
        else:
            kind = "documentation" if Path(rel).name in NOT_DATA else "not read"
            source, reader, why = "", "", _why_not_read(rel, globs)
        rows.append({"path": rel, "role": kind, "source": source, "reader": reader,
                     "reason": why})
    return RawFiles(root, pd.DataFrame(rows, columns=SCAN_COLUMNS), tuple(matches),
                    tuple((rels[p], t) for p, t in sorted(outside.items())))


def set_aside_copies(raw: RawFiles, shas: dict[str, str]) -> RawFiles:
    """``raw`` with every data file that is a byte-for-byte copy of another data file of its
    source (``EGOV_DATA_2022 (1).csv``) turned into ``not read``, with the file it copies as
    the reason: the shortest path (then the first in sort order) is read, its copies are
    listed, not read twice.
    ``shas`` maps relative paths to sha256."""
    first: dict[tuple[str, str], str] = {}
    copies: dict[str, str] = {}
    data = raw.table[raw.table["role"] == "data"]
    for path, source in sorted(zip(data["path"], data["source"]), key=lambda r: (len(r[0]), r)):
        seen = first.setdefault((source, shas[path]), path)
        if seen != path:
            copies[path] = seen
    if not copies:
        return raw
    table = raw.table.copy()
    for rel, original in copies.items():
        at = table["path"] == rel
        table.loc[at, "role"] = "not read"
        table.loc[at, "reader"] = ""
        table.loc[at, "reason"] = (f"an identical copy of {original} (same sha256): read once, "
                                   "under that name")
    gone = {raw.root / rel for rel in copies}
    return RawFiles(raw.root, table, tuple(m for m in raw.matches if m[0] not in gone),
                    raw.outside)


def _similar(code: str, others: list[str] | dict[str, str], n: int = 5) -> list[str]:
    """Codes of ``others`` like ``code`` (case ignored): close by difflib, or extending it.
    ``others`` may be given already folded, as {casefolded: code}."""
    folded = others if isinstance(others, dict) else {o.casefold(): o for o in others}
    c = code.casefold()
    hits = [folded[o] for o in difflib.get_close_matches(c, list(folded), n=n, cutoff=0.8)]
    hits += [o for f, o in folded.items() if len(c) >= 6 and f.startswith(c)]
    return list(dict.fromkeys(hits))[:n]


def check_yields(reports: list[ReadReport], obs: pd.DataFrame, root: Path,
                 paths: dict[tuple[str, str], Path]) -> None:
    """Stop the build when a file or source no longer yields what the catalogue expects.

    * a catalogue series that no file of its source yields, while a file of the source has
      a similar code that is not in the catalogue (a renamed series): the error names the
      file, the series and the similar codes;
    * a file that has rows but yields no observation at all (every row dropped);
    * a source with files that yields no observation.
    ``paths`` maps (source, file name) to the file, to name it relative to ``root``.
    """
    def rel(r: ReadReport) -> str:
        p = paths.get((r.source, r.file))
        return p.relative_to(root).as_posix() if p is not None else r.file

    yielded = set(obs[["source", "indicator"]].drop_duplicates().itertuples(index=False,
                                                                            name=None))
    cat = catalogue.indicators()
    missing_of = {s: [(code, ind) for code, ind in zip(g["publisher_code"], g["indicator"])
                      if (s, ind) not in yielded] for s, g in cat.groupby("source")}
    problems = []
    for r in reports:
        if not r.other_codes or not missing_of.get(r.source):
            continue
        folded = {o.casefold(): o for o in r.other_codes}
        for code, ind in missing_of[r.source]:
            like = _similar(code, folded)
            if like:
                problems.append(f"{rel(r)}: catalogue series {code!r} ({ind}) is not in the "
                                f"file, which has the similar code(s) {like}; if the publisher "
                                "renamed the series, add the new code to data/build/indicators.csv")
    for r in reports:
        if r.rows_read and not r.observations and not r.rows_kept:
            have = (f"; the codes it has include {r.other_codes[:8]}" if r.other_codes else "")
            problems.append(f"{rel(r)}: {r.rows_read} rows read but no observation kept "
                            f"(dropped: {dict(sorted(r.dropped.items()))}){have}")
    by_source: dict[str, list[ReadReport]] = {}
    for r in reports:
        by_source.setdefault(r.source, []).append(r)
    for source, reps in sorted(by_source.items()):
        if not any(r.observations or r.rows_kept for r in reps):
            problems.append(f"source {source!r}: its {len(reps)} file(s) yield no observation")
    if problems:
        raise InputError(f"the inputs under {root} no longer give what the catalogue "
                         "(data/build/indicators.csv) expects:\n  " + "\n  ".join(
                             dict.fromkeys(problems)))
