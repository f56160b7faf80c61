"""The per-file read cache: one reader call's observations and report, by file checksum.

An entry is ``cache/<source>-<24 hex>.parquet`` + ``.json``, keyed on the file's relative
path (a renamed file is read again, so outputs name it), its sha256 (and its companions')
and the code key (:func:`read_sha`). The reader never reads the file in place: the file and
its companions are copied into a private folder, hashed while copied, and read from the
copy; when the copied bytes are not those the key was made from (the file changed while
the build ran), nothing is cached and the build stops naming the file. Entries are written
atomically (:mod:`divides.fileio`), so a killed build leaves no half entry; an entry that
cannot be read anyway (disk trouble, a hand edit) is warned about and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from divides import fileio
from divides.build.keys import key
from divides.errors import InputError
from divides.observations import ReadReport


class CacheEntryWarning(UserWarning):
    """A read-cache entry could not be read; the file is read afresh."""


def report_to_json(report: ReadReport) -> dict:
    return {"source": report.source, "file": report.file, "rows_read": report.rows_read,
            "rows_kept": report.rows_kept, "dropped": dict(sorted(report.dropped.items())),
            "observations": report.observations, "unmapped_names": list(report.unmapped_names),
            "notes": list(report.notes), "aliases_used": list(report.aliases_used),
            "release": report.release, "other_codes": list(report.other_codes)}


def report_from_json(d: dict) -> ReadReport:
    return ReadReport(d["source"], d["file"], d["rows_read"], d["rows_kept"],
                      Counter(d["dropped"]), d["observations"], d["unmapped_names"], d["notes"],
                      d.get("aliases_used", []), d.get("release", ""),
                      d.get("other_codes", []))


def cache_stem(source: str, sha: str, read_key: str) -> str:
    """``<source>-<24 hex>``: the cache files of one file's read (``.parquet`` + ``.json``)."""
    return f"{source}-{key(sha, read_key)[:24]}"


_READ_CACHE_FILE = re.compile(r"^(?P<stem>(?P<source>[a-z_]+)-[0-9a-f]{24})\.(parquet|json)$")


def prune_read_cache(cache_dir: Path, keep: set[str], sources: set[str]) -> None:
    """Delete the read-cache files of ``sources`` whose stem is not in ``keep``.

    Every change of a file or of the reader code leaves the old entry behind; without
    pruning the cache only grows. Other files in the folder (the spec curve's) stay.
    """
    for path in sorted(cache_dir.glob("*")) if cache_dir.is_dir() else []:
        m = _READ_CACHE_FILE.match(path.name)
        if m and m.group("source") in sources and m.group("stem") not in keep:
            path.unlink(missing_ok=True)


def load_entry(obs_path: Path, rep_path: Path) -> tuple[pd.DataFrame, ReadReport] | None:
    """A cache entry, or None (with a warning naming the entry) when it is unreadable."""
    try:
        report = report_from_json(json.loads(rep_path.read_text(encoding="utf-8")))
        return pd.read_parquet(obs_path), report
    except Exception as exc:  # noqa: BLE001 - any damage to an entry: recompute, never fail
        warnings.warn(f"read cache entry {rep_path.with_suffix('')}.(json|parquet) is "
                      f"unreadable ({type(exc).__name__}: {exc}); reading "
                      "the input file again", CacheEntryWarning, stacklevel=3)
        return None


def read_sha(rel: str, file_shas: list[str]) -> str:
    """The checksum a read is cached under: the file's relative path and the sha256 of the
    file and of each companion (``"absent"`` for a missing one)."""
    return key("read", rel, *file_shas)


def copy_hashed(source: Path, target: Path, chunk: int = 1 << 20) -> str:
    """Copy ``source`` to ``target``, returning the sha256 of the bytes copied."""
    digest = hashlib.sha256()
    with fileio.writing(target), open(source, "rb") as src, open(target, "wb") as out:
        for block in iter(lambda: src.read(chunk), b""):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def read_file_cached(reader, source: str, path: Path, sha: str, cache_dir: Path,
                     read_key: str, *, rel: str | None = None,
                     companions: list[Path] | None = None, force: bool = False
                     ) -> tuple[pd.DataFrame, ReadReport, bool]:
    """``reader`` on ``path``, cached under ``sha`` (:func:`read_sha` of ``rel``, the file
    and its ``companions``) and the code key; returns (obs, report, hit).

    ``force`` reads afresh even when an entry exists. The reader reads a copy made in one
    pass with the hash (the bytes read are the bytes hashed); a copy whose hash is not
    ``sha`` raises InputError naming the file, and nothing is cached.
    """
    stem = cache_stem(source, sha, read_key)
    obs_path = cache_dir / f"{stem}.parquet"
    rep_path = cache_dir / f"{stem}.json"
    if not force and obs_path.exists() and rep_path.exists():
        loaded = load_entry(obs_path, rep_path)
        if loaded is not None:
            return (*loaded, True)
    rel = path.name if rel is None else rel
    with fileio.writing(cache_dir):
        cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=fileio.temp_prefix("read"), dir=cache_dir) as work:
        copy = Path(work) / path.name
        shas = [copy_hashed(path, copy)]
        for comp in companions or []:
            shas.append(copy_hashed(comp, Path(work) / comp.name) if comp.exists()
                        else "absent")
        if read_sha(rel, shas) != sha:
            raise InputError(f"{rel}: the file (or a file read with it) changed while the "
                             "build was reading it; nothing was cached: run the build again "
                             "when the files are no longer being written")
        obs, report = reader(copy)
    # the parquet first, the json last: an entry counts only when both exist
    with fileio.atomic_path(obs_path) as tmp:
        obs.to_parquet(tmp, index=False)
    fileio.write_text(rep_path, json.dumps(report_to_json(report), indent=1, sort_keys=True))
    return obs, report, False
