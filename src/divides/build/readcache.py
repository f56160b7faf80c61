"""The per-file read cache: one reader call's observations and report, by file checksum.

An entry is ``cache/<source>-<24 hex>.parquet`` + ``.json``, keyed on the file's sha256 (and
its companions') and the code key. Entries are written atomically (:mod:`divides.fileio`),
so a killed build leaves no half entry; an entry that cannot be read anyway (disk trouble,
a hand edit) is warned about and recomputed, never fatal.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

from divides import fileio
from divides.build.keys import key
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


def read_file_cached(reader, source: str, path: Path, sha: str, cache_dir: Path,
                     read_key: str) -> tuple[pd.DataFrame, ReadReport, bool]:
    """``reader(path)``, cached by file checksum and code key; returns (obs, report, hit)."""
    stem = cache_stem(source, sha, read_key)
    obs_path = cache_dir / f"{stem}.parquet"
    rep_path = cache_dir / f"{stem}.json"
    if obs_path.exists() and rep_path.exists():
        loaded = load_entry(obs_path, rep_path)
        if loaded is not None:
            return (*loaded, True)
    obs, report = reader(path)
    # the parquet first, the json last: an entry counts only when both exist
    with fileio.atomic_path(obs_path) as tmp:
        obs.to_parquet(tmp, index=False)
    fileio.write_text(rep_path, json.dumps(report_to_json(report), indent=1, sort_keys=True))
    return obs, report, False
