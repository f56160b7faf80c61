"""The panel's rules and column constants, as data: one module that the build, the gaps
and the panel schemas import (it imports none of them).

* ``data/build/columns.csv`` (the column registry, read through :mod:`divides.catalogue`)
  names the panel's identifier, required and derived columns.

* ``data/build/panel_rules.csv`` lists, per panel column, the candidate series and their
  ``priority`` (1 wins; a lower one only fills country-years the better one lacks) and
  optional year limits. Catalogue rows with a ``panel_column`` are candidates of priority
  1 unless listed there.
* ``data/build/file_priority.csv`` ranks the channels of one source (a third-party or modified
  copy below the publisher's own files); within a channel, the edition read from each
  file's content decides (:func:`rank_files`, the one ranking rule of the panel and the
  gaps). Its ``edition`` and
  ``latest_year_table`` columns label the ITU latest-year tables for the gap metrics.
* ``data/build/releases.csv``: sources whose releases revise history (one release a series).
"""

from __future__ import annotations

import fnmatch
from functools import lru_cache

import numpy as np
import pandas as pd

from divides import catalogue, config

#: Functions a derived column of the registry may name in its ``transform`` field.
TRANSFORMS = {"log": np.log}
#: Identifier columns of the panel, in order (registry rows of role ``id``).
PANEL_ID_COLUMNS = catalogue.column_names("panel", roles=("id",))
#: Columns the panel always has (NaN when their source gave nothing), in registry order.
REQUIRED_PANEL_COLUMNS = [c for c in catalogue.column_names("panel", roles=("value", "derived"))
                          if catalogue.column_row(c, "panel")["required"]]


def _derived_columns() -> dict:
    out = {}
    for col in catalogue.column_names("panel", roles=("derived",)):
        row = catalogue.column_row(col, "panel")
        if row["transform"] not in TRANSFORMS:
            raise ValueError(f"{config.COLUMNS_CSV.name}: {col}: transform {row['transform']!r} "
                             f"not one of {sorted(TRANSFORMS)}")
        out[col] = (row["derived_from"], TRANSFORMS[row["transform"]])
    return out


#: Derived panel columns (registry role ``derived``): name -> (input column, function).
DERIVED_COLUMNS = _derived_columns()

#: Reasons of the panel stage of the ledger (they partition each file's observations).
PANEL_STAGE_REASONS = {
    "used": "value is in the panel",
    "not_a_panel_column": "series feeds no panel column (gaps, codebook or nothing)",
    "out_of_scope": "outside the panel column's year limits (data/build/panel_rules.csv)",
    "lower_priority_file": "same key in a file of the same source with higher priority",
    "lower_priority_source": "panel column filled by a higher-priority series",
    "other_release": "series taken whole from another release of the publisher "
                     "(data/build/releases.csv; manifest 'releases')",
}
@lru_cache(maxsize=1)
def file_priorities() -> pd.DataFrame:
    """``data/build/file_priority.csv``: per source, file patterns and their priority (1 best)."""
    table = pd.read_csv(config.FILE_PRIORITY_CSV, dtype=str,
                        keep_default_na=False)
    table["priority"] = table["priority"].astype(int)
    table["latest_year_table"] = table["latest_year_table"].astype(int).astype(bool)
    return table


def file_rule(source: str, file: str) -> dict:
    """The first ``file_priority.csv`` row of ``source`` whose pattern matches ``file``."""
    table = file_priorities()
    for row in table[table["source"] == source].itertuples():
        if fnmatch.fnmatchcase(file, row.file_pattern):
            return {"priority": row.priority, "edition": row.edition,
                    "latest_year_table": bool(row.latest_year_table)}
    return {"priority": 9, "edition": "", "latest_year_table": False}


def per_file(frame: pd.DataFrame, value_of, file_column: str = "file") -> pd.Series:
    """``value_of(source, file)`` for each row of ``frame``, computed once per distinct pair."""
    pairs = frame[["source", file_column]].drop_duplicates()
    lookup = {(s, f): value_of(s, f) for s, f in zip(pairs["source"], pairs[file_column])}
    keys = pd.MultiIndex.from_frame(frame[["source", file_column]])
    return pd.Series(pd.Series(lookup, dtype=object).reindex(keys).to_numpy(),
                     index=frame.index)


def rank_files(frame: pd.DataFrame, key: list[str],
               file_release: dict[tuple[str, str], str] | None = None,
               then: dict[str, bool] | None = None, file_column: str = "file") -> pd.DataFrame:
    """``frame`` sorted so that the first row of each ``key`` is the one the build keeps.

    The file-ranking rule, written once (the panel and the gaps use it): the better channel
    first (``priority`` in ``data/build/file_priority.csv``, 1 best), then the newer release
    the file's reader found in its content (``file_release``: (source, file) -> release;
    never the file name), then ``then`` (column -> ascending; by default the file name, so
    that the order is total). ``file_column`` names the column whose file is ranked.
    Adds the columns ``file_priority`` and ``file_release`` ("" when none was found);
    the sort is stable.
    """
    file_release = file_release or {}
    then = {"file": True} if then is None else then
    ranked = frame.assign(
        file_priority=per_file(frame, lambda s, f: file_rule(s, f)["priority"],
                               file_column).astype("int64"),
        file_release=per_file(frame, lambda s, f: file_release.get((s, f), ""),
                              file_column).astype(object))
    return ranked.sort_values(key + ["file_priority", "file_release", *then],
                              ascending=[True] * len(key) + [True, False, *then.values()],
                              kind="mergesort")


@lru_cache(maxsize=1)
def panel_candidates() -> pd.DataFrame:
    """Every (series -> panel column) candidate with its priority and year limits.

    Catalogue rows with a ``panel_column`` give priority-1 candidates; ``panel_rules.csv``
    overrides them (same panel column and series) or adds lower-priority ones.
    """
    cat = catalogue.indicators()
    base = cat.loc[cat["panel_column"] != "", ["panel_column", "indicator", "breakdown",
                                               "group"]].drop_duplicates()
    base = base.assign(priority=1, year_min=np.nan, year_max=np.nan, note="catalogue")
    rules = pd.read_csv(config.PANEL_RULES_CSV, dtype=str,
                        keep_default_na=False)
    rules["priority"] = rules["priority"].astype(int)
    for col in ("year_min", "year_max"):
        rules[col] = pd.to_numeric(rules[col].replace("", np.nan))
    keys = ["panel_column", "indicator", "breakdown", "group"]
    known = set(zip(cat["indicator"], cat["breakdown"], cat["group"]))
    wild = set(cat.loc[cat["breakdown"] == "*", "indicator"])
    bad = [r for r in zip(rules["indicator"], rules["breakdown"], rules["group"])
           if r not in known and r[0] not in wild]
    if bad:
        raise ValueError(f"panel_rules.csv: series not in indicators.csv: {bad}")
    merged = pd.concat([rules, base], ignore_index=True).drop_duplicates(keys, keep="first")
    ties = merged[merged.duplicated(["panel_column", "priority"], keep=False)]
    if len(ties):
        raise ValueError("panel_rules.csv / indicators.csv: two candidates of one panel column "
                         f"share a priority: {ties[keys + ['priority']].to_dict('records')}")
    multi = merged[merged.duplicated(["indicator", "breakdown", "group"], keep=False)]
    if len(multi):
        raise ValueError("one series feeds two panel columns: "
                         f"{multi[keys].to_dict('records')}")
    return merged.sort_values(["panel_column", "priority"]).reset_index(drop=True)


def panel_columns() -> list[str]:
    """All panel value columns: the required ones first, then the registry's others by name.

    Raises ValueError when a series feeds a column the registry (``columns.csv``) lacks.
    """
    registered = catalogue.column_names("panel", roles=("value", "derived"))
    unknown = sorted(set(panel_candidates()["panel_column"]) - set(registered))
    if unknown:
        raise ValueError(f"indicators.csv / panel_rules.csv feed panel columns without a row "
                         f"(table panel) in {config.COLUMNS_CSV.name}: {unknown}")
    extra = sorted(set(registered) - set(REQUIRED_PANEL_COLUMNS))
    return REQUIRED_PANEL_COLUMNS + extra


@lru_cache(maxsize=1)
def release_rules() -> pd.DataFrame:
    """``data/build/releases.csv``: sources whose releases revise history (one release a series)."""
    table = pd.read_csv(config.RELEASES_CSV, dtype=str,
                        keep_default_na=False)
    table["revises_history"] = table["revises_history"].astype(int).astype(bool)
    return table


