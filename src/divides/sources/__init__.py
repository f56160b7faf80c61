"""One module per publisher, each with the same surface.

Every module has ``SOURCE`` (its id), ``PATTERNS`` (globs of the files its ``read``
takes, relative to a raw-data root laid out like ``../shared/data/real``),
``OTHER_PATTERNS`` (glob -> name, or tuple of names, of other public readers for files that
are not country observations: country metadata, aggregate tables, geometries) and
``read(path) -> (observations, ReadReport)``. A module may also have
``companions(path) -> list[Path]``: other files its ``read(path)`` reads (the build keys
its cache on them too, so a changed companion is never served from a stale cache).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pandas as pd

from divides.observations import ReadReport, empty_observations

#: Observation sources in the order the panel reads them.
SOURCE_IDS = ("wdi", "wgi", "cpi", "itu", "egov", "findex", "sdg", "unesco")
#: Every module, including those that give no observations (geometries).
MODULE_IDS = SOURCE_IDS + ("natural_earth",)


def module(source: str) -> ModuleType:
    """The reader module of a source id."""
    if source not in MODULE_IDS:
        raise ValueError(f"unknown source {source!r}; known: {', '.join(MODULE_IDS)}")
    return importlib.import_module(f"divides.sources.{source}")


def files(root: Path, source: str) -> list[Path]:
    """Files under ``root`` that ``read`` of ``source`` takes, sorted."""
    mod = module(source)
    found = {p for pattern in mod.PATTERNS for p in Path(root).glob(pattern) if p.is_file()}
    return sorted(found)


def other_readers(source: str) -> list[tuple[str, str]]:
    """``(glob, reader name)`` pairs of ``source``'s ``OTHER_PATTERNS``, one per reader (a glob
    may name several readers: WDI's API ZIPs hold both metadata files)."""
    pairs = []
    for pattern, names in getattr(module(source), "OTHER_PATTERNS", {}).items():
        pairs += [(pattern, name) for name in ((names,) if isinstance(names, str) else names)]
    return pairs


def companions(source: str, path: Path) -> list[Path]:
    """Files besides ``path`` that ``read`` of ``source`` reads (none for most readers)."""
    fn = getattr(module(source), "companions", None)
    return [Path(p) for p in fn(path)] if fn is not None else []


def read_all(root: Path, sources: tuple[str, ...] = SOURCE_IDS
             ) -> tuple[pd.DataFrame, list[ReadReport]]:
    """Read every observation file of ``sources`` under ``root``."""
    frames, reports = [], []
    for source in sources:
        mod = module(source)
        for path in files(root, source):
            obs, report = mod.read(path)
            frames.append(obs)
            reports.append(report)
    obs = pd.concat(frames, ignore_index=True) if frames else empty_observations()
    return obs, reports
