"""Observations -> the country-year panel: which value wins, and the record of the rest.

Series of sources that revise history come whole from one release
(:func:`choose_releases`); for one observation key in several files, the channel
(``data/build/file_priority.csv``) and then the edition found in each file's content decide,
never the file name, and two files of one edition that disagree stop the build; for one
panel column fed by several series, the rule priority decides (``data/build/panel_rules.csv``).
Every observation ends in one reason of :data:`divides.build.rules.PANEL_STAGE_REASONS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from divides.build.rules import (
    DERIVED_COLUMNS,
    PANEL_ID_COLUMNS,
    file_rule,
    panel_candidates,
    panel_columns,
    per_file,
    rank_files,
    release_rules,
)
from divides.countries import countries
from divides.observations import KEY


def file_priority_of(frame: pd.DataFrame) -> pd.Series:
    """Priority (1 best) of each row's (source, file), looked up once per distinct pair."""
    return per_file(frame, lambda s, f: file_rule(s, f)["priority"]).astype("int64")


def dedupe_files(obs: pd.DataFrame, file_release: dict[tuple[str, str], str] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one value per observation key across files; return (kept, lost).

    Files rank by :func:`divides.build.rules.rank_files`: channel (``priority`` in
    ``data/build/file_priority.csv``: a third-party or modified copy below the publisher's
    own files), then the edition their reader found in the content (newest first: a CPI
    2025 workbook beats the 2023 one whatever its name), never by file name. Two files of
    one channel and edition that disagree on a value stop the build
    (:class:`~divides.errors.InputError`), naming both files.
    """
    ranked = rank_files(obs, KEY, file_release)
    lost = ranked.duplicated(KEY, keep="first")
    _check_same_edition(ranked, lost)
    ranked = ranked.drop(columns="file_release")
    return ranked.loc[~lost], ranked.loc[lost]


def _check_same_edition(ranked: pd.DataFrame, lost: pd.Series, shown: int = 5) -> None:
    """Raise when a losing value has the winner's channel and edition but another value
    (then only the file name could decide, and names are not editions)."""
    if not lost.any():
        return
    cols = [c for c in KEY if c != "source"] + ["source", "file", "value", "file_priority",
                                                "file_release"]
    win = ranked.loc[~lost, cols]
    pairs = ranked.loc[lost, cols].merge(
        win, on=KEY, suffixes=("", "_winner"))
    tie = ((pairs["source"] == pairs["source_winner"])
           & (pairs["file_priority"] == pairs["file_priority_winner"])
           & (pairs["file_release"] == pairs["file_release_winner"])
           & ~np.isclose(pairs["value"], pairs["value_winner"], rtol=1e-9, atol=1e-12))
    if not tie.any():
        return
    from divides.errors import InputError

    lines = []
    for (src, a, b, edition), grp in pairs[tie].groupby(
            ["source", "file_winner", "file", "file_release"], sort=True):
        shown_vals = "; ".join(
            f"{r.iso3} {r.year} {r.indicator} {r.breakdown}/{r.group}: {r.value_winner:g} vs "
            f"{r.value:g}" for r in grp.head(shown).itertuples())
        lines.append(f"{src}: {a!r} and {b!r} are both edition {edition or '(none found)'} "
                     f"but {len(grp)} values differ, e.g. {shown_vals}")
    raise InputError("two files of one edition disagree; keep the one you trust (or the "
                     "newer download) and move the other out of the raw folder:\n  "
                     + "\n  ".join(lines))


def _disagreements(winners: pd.DataFrame, losers: pd.DataFrame, on: list[str],
                   rule: str) -> pd.DataFrame:
    cols = [c for c in ("source", "indicator", "breakdown", "group", "file", "value")
            if c not in on]
    merged = losers[on + cols].merge(winners[on + cols], on=on, suffixes=("_loser", "_winner"))
    for c in ("source", "indicator", "file"):
        if c in on:
            merged[f"{c}_loser"] = merged[f"{c}_winner"] = merged[c]
    out = pd.DataFrame({
        "iso3": merged["iso3"], "year": merged["year"],
        "panel_column": merged.get("panel_column", ""),
        "rule": rule,
        "winner_source": merged["source_winner"], "winner_indicator": merged["indicator_winner"],
        "winner_file": merged["file_winner"], "winner_value": merged["value_winner"],
        "loser_source": merged["source_loser"], "loser_indicator": merged["indicator_loser"],
        "loser_file": merged["file_loser"], "loser_value": merged["value_loser"],
    })
    out["diff"] = out["loser_value"] - out["winner_value"]
    return out


def choose_releases(obs: pd.DataFrame, file_release: dict[tuple[str, str], str]
                    ) -> tuple[pd.Series, list[dict]]:
    """Which observations a one-release-per-series rule sets aside, and the record of it.

    For each source that revises history (``data/build/releases.csv``) and each series
    (indicator, breakdown, group) observed in more than one release, the series is taken
    whole from the newest release whose years cover the years of every other release; a
    newer release that covers fewer years (partial) is set aside, never mixed in. When no
    release covers all years, the one with most years wins (ties: the newest). Returns a
    boolean Series (True = set aside) aligned with ``obs`` and one record per series and
    release: source, indicator, breakdown, group, release, files, years, status.
    """
    rules = release_rules()
    revising = set(rules.loc[rules["revises_history"], "source"])
    aside = pd.Series(False, index=obs.index)
    records: list[dict] = []
    sub = obs[obs["source"].isin(revising)]
    if sub.empty:
        return aside, records
    sub = sub.assign(release=per_file(sub, lambda s, f: file_release.get((s, f), "")))
    for (source, ind, brk, grp), series in sub.groupby(["source", "indicator", "breakdown",
                                                         "group"], sort=True):
        years = {r: set(g["year"]) for r, g in series.groupby("release")}
        all_years = set().union(*years.values())
        newest_first = sorted(years, reverse=True)
        covering = [r for r in newest_first if years[r] >= all_years]
        chosen = covering[0] if covering else max(newest_first,
                                                  key=lambda r: (len(years[r]), r))
        for r in newest_first:
            rows = series[series["release"] == r]
            status = "used" if r == chosen else "set_aside"
            if status == "set_aside":
                aside.loc[rows.index] = True
            records.append({
                "source": source, "indicator": ind, "breakdown": brk, "group": grp,
                "release": r, "status": status, "files": sorted(set(rows["file"])),
                "years": [int(min(years[r])), int(max(years[r]))], "n_years": len(years[r]),
                "n_values": len(rows),
                "why": ("newest release covering all years" if r == chosen and covering
                        else "most years (no release covers all)" if r == chosen
                        else "partial newer release" if r > chosen else "older release"),
            })
    return aside, records


def assemble_panel(obs: pd.DataFrame, country_meta: pd.DataFrame | None,
                   file_release: dict[tuple[str, str], str] | None = None,
                   set_aside: pd.Series | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Observations -> (panel, overlaps, panel-stage ledger); see :func:`assemble_with_winners`."""
    return assemble_with_winners(obs, country_meta, file_release, set_aside)[:3]


def column_editions(winners: pd.DataFrame, file_release: dict[tuple[str, str], str]
                    ) -> dict[str, list[dict]]:
    """Per panel column: the files (source, file, edition) its values came from, and how many."""
    counts = winners.groupby(["panel_column", "source", "file"]).size().rename("values")
    out: dict[str, list[dict]] = {}
    for (col, src, f), n in counts.items():
        out.setdefault(col, []).append({"source": src, "file": f, "values": int(n),
                                        "edition": file_release.get((src, f), "")})
    return out


#: Columns of ``cell_sources.parquet``: one row per non-missing panel cell.
CELL_SOURCE_COLUMNS = ["iso3", "year", "panel_column", "value", "source", "file", "release",
                       "indicator", "breakdown", "group", "derived_from"]


def cell_sources(winners: pd.DataFrame, panel: pd.DataFrame,
                 file_release: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """Which file gave each non-missing panel cell (``cell_sources.parquet``), so that the
    codebook reads the build's own attribution instead of ranking the files again.

    One row per (iso3, year, panel_column) with a value in ``panel``: the cell's value,
    the observation's source, file, release (the edition its reader found in the content,
    "" when none) and series. A derived column's cell (:data:`DERIVED_COLUMNS`) names the
    file of the cell it is computed from, in ``derived_from`` ("" for a read cell).
    """
    file_release = file_release or {}
    read = winners.assign(derived_from="")
    parts = [read]
    for col, (src, fn) in DERIVED_COLUMNS.items():
        base = read[read["panel_column"] == src]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = fn(base["value"].where(base["value"] > 0))
        parts.append(base.assign(panel_column=col, value=value, derived_from=src))
    cells = pd.concat(parts, ignore_index=True)
    cells = cells[cells["value"].notna()]
    cells = cells.assign(release=per_file(cells, lambda s, f: file_release.get((s, f), "")))
    cells = cells[CELL_SOURCE_COLUMNS].sort_values(["iso3", "year", "panel_column"],
                                                   kind="mergesort").reset_index(drop=True)
    for col in CELL_SOURCE_COLUMNS:
        if col not in ("year", "value"):
            cells[col] = cells[col].astype("str")
    cells = cells.astype({"year": "int64", "value": "float64"})
    filled = int(panel[[c for c in panel_columns() if c in panel]].notna().sum().sum())
    if len(cells) != filled:
        raise AssertionError(f"cell_sources: {len(cells)} rows for {filled} non-missing panel "
                             "cells (the attribution no longer follows the panel)")
    return cells


def assemble_with_winners(obs: pd.DataFrame, country_meta: pd.DataFrame | None,
              file_release: dict[tuple[str, str], str] | None = None,
              set_aside: pd.Series | None = None):
    """Observations -> (panel, overlaps, panel-stage ledger, winning observations).

    The ledger has one row per (source, file, reason) and partitions each file's
    observations into the PANEL_STAGE_REASONS. ``file_release`` maps (source, file) to
    the release its reader found; series of sources that revise history then come from
    one release each (:func:`choose_releases`; the others are ``other_release``).
    ``set_aside`` is that function's mask when the caller has it already (the build).
    """
    if set_aside is None:
        set_aside, _ = choose_releases(obs, file_release or {})
    cand = panel_candidates()
    tagged = obs.merge(cand[["indicator", "breakdown", "group", "panel_column", "priority",
                             "year_min", "year_max"]],
                       on=["indicator", "breakdown", "group"], how="left")
    reason = pd.Series("used", index=tagged.index, dtype=object)
    reason[tagged["panel_column"].isna()] = "not_a_panel_column"
    out_of_years = (tagged["year"] < tagged["year_min"]) | (tagged["year"] > tagged["year_max"])
    reason[out_of_years & tagged["panel_column"].notna()] = "out_of_scope"
    # a left merge on keys unique in ``cand`` keeps obs' rows in order: align by position
    if len(tagged) != len(obs) or len(set_aside) != len(obs):
        raise AssertionError("assemble_panel: observations and the release mask no longer "
                             f"align ({len(obs)} obs, {len(tagged)} tagged, {len(set_aside)})")
    aside = pd.Series(set_aside.to_numpy(), index=tagged.index)
    reason[aside & (reason == "used")] = "other_release"
    tagged["reason"] = reason

    live = tagged[tagged["reason"] == "used"]
    kept, lost_file = dedupe_files(live, file_release)
    tagged.loc[lost_file.index, "reason"] = "lower_priority_file"
    kept = kept.sort_values(["iso3", "year", "panel_column", "priority"], kind="mergesort")
    lost_src = kept.duplicated(["iso3", "year", "panel_column"], keep="first")
    tagged.loc[kept.index[lost_src], "reason"] = "lower_priority_source"
    winners = kept.loc[~lost_src]

    overlaps = pd.concat([
        _disagreements(kept, lost_file, KEY + ["panel_column"], "file"),
        _disagreements(winners, kept.loc[lost_src], ["iso3", "year", "panel_column"], "source"),
    ], ignore_index=True).sort_values(["panel_column", "rule", "iso3", "year", "loser_file"],
                                      kind="mergesort").reset_index(drop=True)

    ledger = (tagged.groupby(["source", "file", "reason"]).size().rename("rows").reset_index())
    of_rows = tagged.groupby(["source", "file"]).size().rename("of_rows")
    ledger = ledger.join(of_rows, on=["source", "file"]).assign(stage="panel")

    wide = winners.pivot(index=["iso3", "year"], columns="panel_column", values="value")
    for col in panel_columns():
        if col not in wide.columns and col not in DERIVED_COLUMNS:
            wide[col] = np.nan
    for col, (src, fn) in DERIVED_COLUMNS.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            wide[col] = fn(wide[src].where(wide[src] > 0))
    wide = wide.reset_index()
    names = countries().set_index("iso3")["name"]
    wide["country_name"] = wide["iso3"].map(names)
    meta = (country_meta.set_index("iso3") if country_meta is not None and len(country_meta)
            else pd.DataFrame(columns=["region", "income_group"]))
    wide["region"] = wide["iso3"].map(meta["region"]) if len(meta) else np.nan
    wide["income_group"] = wide["iso3"].map(meta["income_group"]) if len(meta) else np.nan
    panel = wide[PANEL_ID_COLUMNS + panel_columns()].copy()
    for col in ("iso3", "country_name", "region", "income_group"):
        panel[col] = panel[col].astype("str")  # pandas 3: missing stays missing
    panel["year"] = panel["year"].astype("int64")
    for col in panel_columns():
        panel[col] = panel[col].astype("float64")
    panel = panel.sort_values(["iso3", "year"], kind="mergesort").reset_index(drop=True)
    panel.columns.name = None
    return panel, overlaps, ledger, winners


