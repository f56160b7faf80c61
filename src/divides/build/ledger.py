"""The build's accounts: the drop ledger's checks, coverage, overlap summary and unused
aliases (what a reviewer reads to trust the panel)."""

from __future__ import annotations

import warnings

import pandas as pd

from divides import catalogue
from divides.build.rules import panel_candidates, panel_columns
from divides.observations import ReadReport

LEDGER_COLUMNS = ["stage", "source", "file", "reason", "rows", "of_rows"]


def drops_table(reports: list[ReadReport], no_files: list[str], panel_ledger: pd.DataFrame,
                gap_ledger: pd.DataFrame) -> pd.DataFrame:
    """``drops.csv``: the read, panel and gap stages, one row per (file, reason)."""
    read_ledger = pd.DataFrame([dict(r, stage="read", of_rows=rep.rows_read)
                                for rep in reports for r in rep.as_rows()],
                               columns=LEDGER_COLUMNS)
    absent = pd.DataFrame({"stage": "read", "source": no_files, "file": "", "reason": "no_files",
                           "rows": 0, "of_rows": 0})
    drops = pd.concat([x for x in (read_ledger, absent, panel_ledger, gap_ledger) if len(x)],
                      ignore_index=True)[LEDGER_COLUMNS]
    order = {"read": 0, "panel": 1, "gaps": 2}
    drops = drops.assign(_o=drops["stage"].map(order)).sort_values(
        ["_o", "source", "file", "reason"], kind="mergesort").drop(columns="_o")
    return drops.reset_index(drop=True).astype({"rows": "int64", "of_rows": "int64"})


def empty_column_notes(no_files: list[str]) -> dict[str, str]:
    """Panel columns whose every source has no files -> why they are empty (coverage.csv)."""
    cat = panel_candidates()
    src_of = cat.assign(source=cat["indicator"].map(
        catalogue.indicators().drop_duplicates("indicator").set_index("indicator")["source"]))
    notes = {}
    for col in panel_columns():
        srcs = sorted(set(src_of.loc[src_of["panel_column"] == col, "source"]))
        gone = [s for s in srcs if s in no_files]
        if gone and len(gone) == len(srcs):
            notes[col] = f"no input files for source(s) {', '.join(gone)}"
    return notes


def coverage(panel: pd.DataFrame, gaps: pd.DataFrame, empty_notes: dict[str, str]
             ) -> pd.DataFrame:
    """Countries with data per variable and year, over all countries and per region.

    ``empty_notes`` maps a variable without any data to why (e.g. no files for its source);
    such a variable gets one row with ``n_countries`` 0, so that an absent source shows.
    """
    rows = []
    region = panel.set_index("iso3")["region"].groupby(level=0).first()
    long = panel.melt(id_vars=["iso3", "year", "region"], value_vars=panel_columns(),
                      var_name="variable").dropna(subset=["value"])
    long["table"] = "panel"
    if len(gaps):
        g = gaps.assign(variable=gaps["dimension"] + ":" + gaps["indicator"] + ":" +
                        gaps["source"], table="gaps",
                        region=gaps["iso3"].map(region))
        long = pd.concat([long, g[["iso3", "year", "region", "variable", "table"]]],
                         ignore_index=True)
    long["region"] = long["region"].fillna("(no WDI region)")
    for by_region in (False, True):
        keys = ["table", "variable", "year"] + (["region"] if by_region else [])
        counts = long.groupby(keys)["iso3"].nunique().rename("n_countries").reset_index()
        if not by_region:
            counts["region"] = "All"
        rows.append(counts)
    out = pd.concat(rows, ignore_index=True)
    out["note"] = ""
    present = set(out.loc[out["table"] == "panel", "variable"])
    missing = [c for c in panel_columns() if c not in present]
    empty = pd.DataFrame({"table": "panel", "variable": missing, "year": pd.NA, "region": "All",
                          "n_countries": 0,
                          "note": [empty_notes.get(c, "no data in the inputs") for c in missing]})
    gap_empty = [v for v in empty_notes if ":" in v]
    empty_g = pd.DataFrame({"table": "gaps", "variable": gap_empty, "year": pd.NA,
                            "region": "All", "n_countries": 0,
                            "note": [empty_notes[v] for v in gap_empty]})
    out = pd.concat([x for x in (out, empty, empty_g) if len(x)], ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["n_countries"] = out["n_countries"].astype("int64")
    return out[["table", "variable", "year", "region", "n_countries", "note"]].sort_values(
        ["table", "variable", "region", "year"], kind="mergesort").reset_index(drop=True)


class UnusedAliasWarning(UserWarning):
    """Entries of a source's alias table that no file of the build used."""


def unused_aliases(reports: list[ReadReport], warn: bool = True) -> dict[str, list[str]]:
    """Per source with files in the build: alias-table entries no file used (warned).

    An unused alias is a stale or mistyped mapping, or one for an edition not in the
    build; either way the table's reviewer should see it (OWID-style harmoniser report).
    """
    from divides.countries import aliases

    used: dict[str, set[str]] = {}
    for r in reports:
        used.setdefault(r.source, set()).update(r.aliases_used)
    out = {}
    for source in sorted(used):
        table = aliases(source)
        unused = sorted(set(table["alias"]) - used[source])
        if unused:
            out[source] = unused
            if warn:
                warnings.warn(f"{source}: {len(unused)} alias-table entries unused by this "
                              f"build: {unused}", UnusedAliasWarning, stacklevel=2)
    return out


def overlap_summary(overlaps: pd.DataFrame) -> pd.DataFrame:
    """Per panel column and losing file: how many overlaps, how many differ, by how much."""
    if overlaps.empty:
        return pd.DataFrame(columns=["panel_column", "rule", "winner_source", "loser_source",
                                     "loser_file", "n", "n_differ", "mean_abs_diff",
                                     "max_abs_diff"])
    g = overlaps.assign(abs_diff=overlaps["diff"].abs(),
                        differ=overlaps["diff"].abs() > 0.05)
    out = g.groupby(["panel_column", "rule", "winner_source", "loser_source", "loser_file"]).agg(
        n=("diff", "size"), n_differ=("differ", "sum"), mean_abs_diff=("abs_diff", "mean"),
        max_abs_diff=("abs_diff", "max")).reset_index()
    out["n_differ"] = out["n_differ"].astype(int)
    return out.round({"mean_abs_diff": 4, "max_abs_diff": 4})


def check_ledger(drops: pd.DataFrame) -> None:
    """Within each (stage, source, file) the rows must add up to ``of_rows``."""
    sums = drops.groupby(["stage", "source", "file"]).agg(rows=("rows", "sum"),
                                                          of_rows=("of_rows", "first"))
    bad = sums[sums["rows"] != sums["of_rows"]]
    if len(bad):
        raise AssertionError(f"drop ledger does not reconcile: {bad.reset_index().to_dict('records')}")
    # The panel stage partitions exactly the observations the read stage kept.
    read = drops[(drops["stage"] == "read") & (drops["reason"] == "kept")].set_index("file")["rows"]
    panel = drops[drops["stage"] == "panel"].groupby("file")["rows"].sum()
    diff = read.sub(panel, fill_value=0)
    if (diff != 0).any():
        raise AssertionError(f"panel ledger != observations kept: {diff[diff != 0].to_dict()}")
