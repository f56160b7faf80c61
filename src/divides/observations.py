"""The observation contract every reader returns, and the read report beside it.

An observation is one published number: one row with

============  ========  ==========================================================
column        dtype     meaning
============  ========  ==========================================================
iso3          str       ISO 3166-1 alpha-3 code (Kosovo ``XKX``, Channel Islands ``CHI``)
year          int64     reference year of the value
indicator     str       a code from ``data/build/indicators.csv`` (name, unit, source)
value         float64   the number, in the catalogue's unit (never a missing marker)
breakdown     str       ``total``, ``sex``, ``area``, ``income``, ``age``, ``education``, ...
group         str       ``all`` when breakdown is ``total``; else e.g. ``female``, ``rural``
source        str       source id (``wdi``, ``cpi``, ...) as in ``data/acquire/downloads.csv``
file          str       file name the value was read from (provenance)
============  ========  ==========================================================

(iso3, year, indicator, breakdown, group) is unique within one file. The read report
says how many data rows the reader saw and why each one that did not become an
observation was dropped; ``rows_read == rows_kept + sum(dropped.values())`` always.
A "row" is the publisher's row (a wide file's row can yield several observations).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

OBSERVATION_COLUMNS = ["iso3", "year", "indicator", "value", "breakdown", "group", "source", "file"]
KEY = ["iso3", "year", "indicator", "breakdown", "group"]

#: Drop reasons used across readers, so that ledgers can be summed across sources.
DROP_REASONS = {
    "aggregate": "region, income group or other aggregate, excluded by code or name",
    "not_a_country": "a row the publisher marks as not classified or former economy",
    "unmapped_name": "country name or code not in the alias tables",
    "missing": "value is empty or a missing marker ('..', '...', '-')",
    "not_assessed": "publisher's placeholder for not assessed (e.g. EGOV 0.0, CPI 0.0)",
    "not_in_catalogue": "series not in data/build/indicators.csv",
    "footer": "footer or note line of the export",
    "duplicate": "duplicate key; the first occurrence is kept",
    "out_of_scope": "a series or sub-table the project does not use",
    "unknown_group": "a group breakdown the reader's group table does not list (named in the "
                     "read report's notes, never guessed)",
    "impossible_value": "a value no unit allows (a share above 100 %), set aside and listed "
                        "in the read report's notes; only where a reader says so",
}


#: How many names a warning or the manifest lists before "... and N more" (the counts stay
#: exact; a file of a million junk names must not make a 19 MB warning or manifest).
NAMES_SHOWN = 20


def shown_names(names: list[str], limit: int = NAMES_SHOWN) -> list[str]:
    """The first ``limit`` of ``names``, then one "... and N more" entry when there are more."""
    names = list(names)
    return names if len(names) <= limit else [*names[:limit],
                                              f"... and {len(names) - limit} more"]


@dataclass
class ReadReport:
    """What one reader did to one file: rows read, kept, and dropped by reason."""

    source: str
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    observations: int = 0
    unmapped_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Entries of the source's alias table that this file used (unused ones are reported
    #: by the panel build across all files of the source).
    aliases_used: list[str] = field(default_factory=list)
    #: The publisher's release (edition) of the file's values, read from its content; a
    #: sortable string (a year such as ``2024``, or an ISO date such as the World Bank
    #: API's ``lastupdated``), empty when the source has no releases that revise history.
    #: See ``data/build/releases.csv`` and :func:`divides.build.panel.choose_releases`.
    release: str = ""
    #: Distinct publisher codes of the rows dropped as ``not_in_catalogue``: a renamed
    #: series shows here (``NY.GDP.PCAP.PP.KD`` -> ``NY.GDP.PCAP.PP.KD.21``), and the build
    #: names them when a catalogue series goes missing.
    other_codes: list[str] = field(default_factory=list)

    def drop_not_in_catalogue(self, codes, n: int | None = None) -> None:
        """Count rows dropped as ``not_in_catalogue`` (``n``, default ``len(codes)``) and
        remember their distinct codes."""
        codes = list(codes)
        self.drop("not_in_catalogue", len(codes) if n is None else n)
        self.other_codes = sorted(set(self.other_codes) | {str(x) for x in codes})

    def drop(self, reason: str, n: int = 1) -> None:
        """Count ``n`` rows dropped for ``reason`` (one of DROP_REASONS)."""
        if reason not in DROP_REASONS:
            raise ValueError(f"unknown drop reason {reason!r}; known: {sorted(DROP_REASONS)}")
        if n:
            self.dropped[reason] += int(n)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_kept + self.rows_dropped

    def check(self) -> ReadReport:
        """Raise when the ledger does not add up (a reader bug, never a data problem)."""
        if not self.balanced:
            raise AssertionError(
                f"{self.file}: read report does not add up: read {self.rows_read} != kept "
                f"{self.rows_kept} + dropped {self.rows_dropped} {dict(self.dropped)}"
            )
        return self

    def as_rows(self) -> list[dict]:
        """Ledger rows (one per reason, plus one 'kept' row) for drops.csv."""
        rows = [
            {"source": self.source, "file": self.file, "reason": "kept", "rows": self.rows_kept}
        ]
        for reason, n in sorted(self.dropped.items()):
            rows.append({"source": self.source, "file": self.file, "reason": reason, "rows": n})
        return rows

    def __str__(self) -> str:
        drops = ", ".join(f"{k} {v}" for k, v in sorted(self.dropped.items())) or "none"
        return (
            f"{self.source} {Path(self.file).name}: read {self.rows_read}, kept {self.rows_kept}, "
            f"dropped {self.rows_dropped} ({drops}); {self.observations} observations"
        )


def empty_observations() -> pd.DataFrame:
    """A zero-row frame with the contract's columns and dtypes."""
    return finalize(pd.DataFrame({c: [] for c in OBSERVATION_COLUMNS}))


def finalize(obs: pd.DataFrame) -> pd.DataFrame:
    """Order columns, set dtypes and sort: the one canonical layout of observations."""
    obs = obs[OBSERVATION_COLUMNS].copy()
    for col in ("iso3", "indicator", "breakdown", "group", "source", "file"):
        obs[col] = obs[col].astype(str)
    obs["year"] = obs["year"].astype("int64")
    obs["value"] = obs["value"].astype("float64")
    return obs.sort_values(KEY, kind="mergesort").reset_index(drop=True)
