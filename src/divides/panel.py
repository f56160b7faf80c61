"""The analysis layer's build: raw files -> observations -> country-year panel -> gaps.

``build(data)`` reads every source's files under the raw-data root, writes into
``data/processed/<data>/``:

* ``observations.parquet``: every harmonised observation of every file (tidy layer);
* ``panel.parquet``: one row per (iso3, year), one column per catalogue ``panel_column``;
* ``gaps.parquet``: advantaged vs disadvantaged rates (see :mod:`divides.gaps`);
* ``drops.csv``: the ledger (stage, source, file, reason, rows, of_rows); within each
  (stage, file) the rows add up to ``of_rows`` (rows read, observations, or gap candidates);
* ``coverage.csv``: countries with data per variable and year, overall and per region;
* ``overlaps.csv``: every value that lost to a higher-priority file or source, beside the
  winner (the disagreement report); and ``manifest.json`` (data kind, input sha256s, versions).

Which value wins where two overlap is data, not code:

* ``data/panel_rules.csv`` lists, per panel column, the candidate series and their
  ``priority`` (1 wins; a lower one only fills country-years the better one lacks) and
  optional year limits (CPI 0-100 only from 2012, the 0-10 legacy scale only before 2012).
  Catalogue rows with a ``panel_column`` are candidates of priority 1 unless listed there.
* ``data/file_priority.csv`` ranks files of one source (newer release first) for the same
  observation key; the first matching ``file_pattern`` row of the source applies.

Caching: each file's read is cached under ``cache/`` by its sha256 and the reader code;
the whole build is skipped when the build key (inputs, build code, library versions) is
unchanged. A changed input re-reads only that file; the panel and gaps are re-derived.
"""

from __future__ import annotations

import fnmatch
import json
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from divides import (
    __version__,
    buildkey,
    catalogue,
    config,
    inventory,
    provenance,
    readcache,
    store,
)
from divides.buildkey import key as _key
from divides.buildkey import library_versions
from divides.countries import countries
from divides.observations import KEY, ReadReport, empty_observations, finalize
from divides.readcache import cache_stem, prune_read_cache
from divides.sources import capture
from divides.store import sha256_file

#: Identifier columns of the panel, in order.
PANEL_ID_COLUMNS = ["iso3", "country_name", "region", "income_group", "year"]
#: Columns the panel always has (NaN when their source gave nothing), in this order.
REQUIRED_PANEL_COLUMNS = [
    "cpi_score", "cpi_score_0_10_legacy",
    "wgi_cc_estimate", "wgi_cc_stderr", "wgi_cc_pctrank",
    "wgi_ge_estimate", "wgi_pv_estimate", "wgi_rl_estimate", "wgi_rq_estimate", "wgi_va_estimate",
    "egdi", "osi", "tii", "hci", "epi",
    "internet_users_pct", "mobile_subs_per100", "fixed_broadband_per100",
    "mobile_broadband_per100", "literacy_adult_pct", "literacy_adult_female_pct",
    "gdp_pc_ppp_const2021_usd", "log_gdp_pc_ppp", "population", "urban_pct",
]
#: Derived panel columns: name -> (input column, function, description).
DERIVED_COLUMNS = {"log_gdp_pc_ppp": ("gdp_pc_ppp_const2021_usd", np.log)}

OUTPUT_FILES = ("observations.parquet", "panel.parquet", "gaps.parquet", "drops.csv",
                "coverage.csv", "overlaps.csv", "manifest.json")
#: Schema-metadata key of our own provenance copy in the parquet files (pandas also keeps
#: ``DataFrame.attrs`` under ``PANDAS_ATTRS`` with the pyarrow engine, since pandas 2.1,
#: but that is undocumented, so we do not rely on it alone).
PARQUET_META_KEY = b"divides"

#: Reasons of the panel stage of the ledger (they partition each file's observations).
PANEL_STAGE_REASONS = {
    "used": "value is in the panel",
    "not_a_panel_column": "series feeds no panel column (gaps, codebook or nothing)",
    "out_of_scope": "outside the panel column's year limits (data/panel_rules.csv)",
    "lower_priority_file": "same key in a file of the same source with higher priority",
    "lower_priority_source": "panel column filled by a higher-priority series",
    "other_release": "series taken whole from another release of the publisher "
                     "(data/releases.csv; manifest 'releases')",
}
@dataclass
class BuildResult:
    """What a build did: where its outputs are and whether any work was done."""

    data: str
    out_dir: Path
    rebuilt: bool
    manifest: dict = field(default_factory=dict)

    @property
    def paths(self) -> dict[str, Path]:
        return {name.split(".")[0]: self.out_dir / name for name in OUTPUT_FILES}

    def summary(self) -> str:
        m = self.manifest
        state = "built" if self.rebuilt else "up to date (no work done)"
        shape = m.get("panel_shape", ["?", "?"])
        lines = [f"divides build --data {self.data}: {state} in {self.out_dir}",
                 f"  panel {shape[0]} rows x {shape[1]} columns, {m.get('panel_countries')} "
                 f"countries; gaps {m.get('gaps_rows')} rows; observations "
                 f"{m.get('observations_rows')}"]
        for f in m.get("raw_files", []):
            if f["status"] == "not_read":
                lines.append(f"  not read: {f['path']} ({f['why']})")
        for source in m.get("sources_without_files", []):
            lines.append(f"  warning: no input files for source {source!r} (its columns are "
                         "empty; see coverage.csv)")
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers

@lru_cache(maxsize=1)
def file_priorities() -> pd.DataFrame:
    """``data/file_priority.csv``: per source, file patterns and their priority (1 best)."""
    table = pd.read_csv(config.PACKAGE_DATA_DIR / "file_priority.csv", dtype=str,
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
    rules = pd.read_csv(config.PACKAGE_DATA_DIR / "panel_rules.csv", dtype=str,
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
    """All panel value columns: the required ones first, then other catalogue columns."""
    extra = sorted(set(panel_candidates()["panel_column"]) - set(REQUIRED_PANEL_COLUMNS))
    return REQUIRED_PANEL_COLUMNS + extra


# --------------------------------------------------------------------------- reading

def _module(source: str):
    from divides import sources

    try:
        return sources.module(source)
    except ModuleNotFoundError:
        return None


def input_files(root: Path) -> dict[str, list[Path]]:
    """Observation files per source id (empty list: no files, or no reader yet)."""
    from divides import sources

    out = {}
    for source in sources.SOURCE_IDS:
        mod = _module(source)
        out[source] = sources.files(root, source) if mod is not None else []
    return out


def country_metadata_files(root: Path) -> list[Path]:
    from divides.sources import wdi

    pats = [p for p, fn in wdi.OTHER_PATTERNS.items() if fn == "read_country_metadata"]
    return sorted({p for pat in pats for p in Path(root).glob(pat) if p.is_file()})


def _read_shas(all_files: list[tuple[str, Path]], root: Path, shas: dict[str, str]
               ) -> dict[Path, str]:
    """Per observation file, the checksum its read is cached under: its own sha256, or
    that of the file and its companions (files the reader reads beside it)."""
    from divides import sources

    out = {}
    for source, path in all_files:
        if source == "wdi_meta":
            continue
        own = shas[str(path.relative_to(root))]
        extra = [sha256_file(p) if p.exists() else "absent"
                 for p in sources.companions(source, path)]
        out[path] = _key(own, *extra) if extra else own
    return out


# --------------------------------------------------------------------------- panel

def _per_file(frame: pd.DataFrame, value_of) -> pd.Series:
    """``value_of(source, file)`` for each row, computed once per distinct pair."""
    pairs = frame[["source", "file"]].drop_duplicates()
    lookup = {(s, f): value_of(s, f) for s, f in zip(pairs["source"], pairs["file"])}
    keys = pd.MultiIndex.from_frame(frame[["source", "file"]])
    return pd.Series(pd.Series(lookup, dtype=object).reindex(keys).to_numpy(),
                     index=frame.index)


def file_priority_of(frame: pd.DataFrame) -> pd.Series:
    """Priority (1 best) of each row's (source, file), looked up once per distinct pair."""
    return _per_file(frame, lambda s, f: file_rule(s, f)["priority"]).astype("int64")


def _dedupe_files(obs: pd.DataFrame, file_release: dict[tuple[str, str], str] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one value per observation key across files; return (kept, lost).

    Files rank by channel (``priority`` in ``data/file_priority.csv``: a third-party or
    modified copy below the publisher's own files), then by the edition their reader
    found in the content (newest first: a CPI 2025 workbook beats the 2023 one whatever
    its name), never by file name. Two files of one channel and edition that disagree on
    a value stop the build (:class:`~divides.errors.InputError`), naming both files.
    """
    file_release = file_release or {}
    release = _per_file(obs, lambda s, f: file_release.get((s, f), ""))
    ranked = obs.assign(file_priority=file_priority_of(obs), _release=release)
    ranked = ranked.sort_values(KEY + ["file_priority", "_release", "file"],
                                ascending=[True] * len(KEY) + [True, False, True],
                                kind="mergesort")
    lost = ranked.duplicated(KEY, keep="first")
    _check_same_edition(ranked, lost)
    ranked = ranked.drop(columns="_release")
    return ranked.loc[~lost], ranked.loc[lost]


def _check_same_edition(ranked: pd.DataFrame, lost: pd.Series, shown: int = 5) -> None:
    """Raise when a losing value has the winner's channel and edition but another value
    (then only the file name could decide, and names are not editions)."""
    if not lost.any():
        return
    cols = [c for c in KEY if c != "source"] + ["source", "file", "value", "file_priority",
                                                "_release"]
    win = ranked.loc[~lost, cols]
    pairs = ranked.loc[lost, cols].merge(
        win, on=KEY, suffixes=("", "_winner"))
    tie = ((pairs["source"] == pairs["source_winner"])
           & (pairs["file_priority"] == pairs["file_priority_winner"])
           & (pairs["_release"] == pairs["_release_winner"])
           & ~np.isclose(pairs["value"], pairs["value_winner"], rtol=1e-9, atol=1e-12))
    if not tie.any():
        return
    from divides.errors import InputError

    lines = []
    for (src, a, b, edition), grp in pairs[tie].groupby(
            ["source", "file_winner", "file", "_release"], sort=True):
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


@lru_cache(maxsize=1)
def release_rules() -> pd.DataFrame:
    """``data/releases.csv``: sources whose releases revise history (one release a series)."""
    table = pd.read_csv(config.PACKAGE_DATA_DIR / "releases.csv", dtype=str,
                        keep_default_na=False)
    table["revises_history"] = table["revises_history"].astype(int).astype(bool)
    return table


def choose_releases(obs: pd.DataFrame, file_release: dict[tuple[str, str], str]
                    ) -> tuple[pd.Series, list[dict]]:
    """Which observations a one-release-per-series rule sets aside, and the record of it.

    For each source that revises history (``data/releases.csv``) and each series
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
    sub = sub.assign(release=_per_file(sub, lambda s, f: file_release.get((s, f), "")))
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
    """Observations -> (panel, overlaps, panel-stage ledger); see :func:`_assemble`."""
    return _assemble(obs, country_meta, file_release, set_aside)[:3]


def column_editions(winners: pd.DataFrame, file_release: dict[tuple[str, str], str]
                    ) -> dict[str, list[dict]]:
    """Per panel column: the files (source, file, edition) its values came from, and how many."""
    counts = winners.groupby(["panel_column", "source", "file"]).size().rename("values")
    out: dict[str, list[dict]] = {}
    for (col, src, f), n in counts.items():
        out.setdefault(col, []).append({"source": src, "file": f, "values": int(n),
                                        "edition": file_release.get((src, f), "")})
    return out


def _assemble(obs: pd.DataFrame, country_meta: pd.DataFrame | None,
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
    kept, lost_file = _dedupe_files(live, file_release)
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


# --------------------------------------------------------------------------- coverage

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


# --------------------------------------------------------------------------- writing

def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet with the provenance dict in the schema metadata (and in pandas' attrs)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[PARQUET_META_KEY] = json.dumps(frame.attrs.get(provenance.META_KEY, {}),
                                        sort_keys=True).encode()
    meta[b"PANDAS_ATTRS"] = json.dumps(frame.attrs, sort_keys=True).encode()
    table = table.replace_schema_metadata(meta)
    with store.atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a processed parquet file and restore its provenance into ``attrs``."""
    import pyarrow.parquet as pq

    frame = pd.read_parquet(path)
    meta = pq.read_schema(path).metadata or {}
    if PARQUET_META_KEY in meta:
        frame.attrs[provenance.META_KEY] = json.loads(meta[PARQUET_META_KEY])
    return frame


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    with store.atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")


# --------------------------------------------------------------------------- build

def resolve_raw_dir(data: str, raw_dir: str | Path | None = None) -> Path:
    """The raw-data root; for demo data, writes the synthetic set first when it is missing."""
    if raw_dir is not None:
        root = Path(raw_dir).expanduser().resolve()
        if not root.is_dir():
            raise FileNotFoundError(f"raw-data folder {root} does not exist")
        return root
    root = config.raw_dir(data)
    if data == "demo":
        from divides import demo

        # Missing, or made by another generator version / parameters: write it afresh.
        if not root.is_dir() or not any(root.iterdir()) or (
                demo.is_demo_dir(root) and not demo.is_current(root)):
            root = Path(demo.write_demo(out_dir=root))
    return root


def _progress(iterable, total: int, desc: str, enabled: bool | None):
    try:
        from tqdm import tqdm  # text bar: tqdm.auto warns in kernels without ipywidgets
    except ModuleNotFoundError:  # pragma: no cover - tqdm is a dependency
        return iterable
    disable = None if enabled is None else not enabled  # None: only on a terminal
    return tqdm(iterable, total=total, desc=desc, unit="file", disable=disable, leave=False)


def build(data: str = "demo", raw_dir: str | Path | None = None, force: bool = False,
          progress: bool | None = None, out_dir: str | Path | None = None,
          lock_timeout_s: float | None = None) -> BuildResult:
    """Build the five outputs (plus overlaps.csv and manifest.json) for ``data``.

    Does no work when the current build has the build key (input sha256s, code key,
    library versions) and its files match its manifest, unless ``force``. The outputs are
    written into a staging folder and made current in one step (:mod:`divides.store`);
    a second build on the same folder waits for the first (``lock_timeout_s``).
    """
    if data not in provenance.DATA_KINDS:
        raise ValueError(f"data must be one of {provenance.DATA_KINDS}, got {data!r}")
    root = resolve_raw_dir(data, raw_dir)
    if data == "real":
        from divides import demo
        from divides.errors import InputError

        if demo.is_demo_dir(root):
            raise InputError(f"{root} carries the demo marker {demo.MARKER_FILE}: it is the "
                             "synthetic data set, and a real build refuses it (use "
                             "`--data demo`, or point --raw-dir at the published files)")
    out = Path(out_dir) if out_dir is not None else config.processed_dir(data)
    out.mkdir(parents=True, exist_ok=True)
    files = input_files(root)
    if not any(files.values()):
        raise FileNotFoundError(f"no input files under {root} (expected folders such as "
                                "wb_wdi/, ti_cpi/, un_egov/ laid out like ../shared/data/real)")
    meta_files = country_metadata_files(root)
    all_files = [(s, p) for s, ps in files.items() for p in ps] + [("wdi_meta", p)
                                                                   for p in meta_files]
    raw_files = inventory.raw_inventory(root, files, meta_files)
    # every file under the root is in the key, read or not
    shas = {rel: sha256_file(root / rel) for rel in raw_files["path"]}
    versions = library_versions()
    code = buildkey.code_key()
    read_keys = {s: _key(code, versions) for s in files}
    read_shas = _read_shas(all_files, root, shas)
    build_key = _key(shas, code, versions, __version__, data)
    if not force:
        done = _up_to_date(out, build_key)
        if done is not None:
            return BuildResult(data, out, rebuilt=False, manifest=done)
    with store.lock(out, lock_timeout_s):
        store.remove_leftovers(out)  # staging folders and temp files of killed builds
        if not force:  # another build may have made it while this one waited
            done = _up_to_date(out, build_key, quiet=True)
            if done is not None:
                return BuildResult(data, out, rebuilt=False, manifest=done)
        staged = store.stage(out)
        try:
            manifest = _build_into(staged, out / "cache", data, root, files, meta_files,
                                   all_files, shas, read_shas, read_keys, versions, build_key,
                                   progress, raw_files)
            store.commit(out, staged, build_key, [*manifest["outputs"], "manifest.json"])
        except BaseException:
            store.discard(staged)
            raise
    return BuildResult(data, out, rebuilt=True, manifest=manifest)


def _up_to_date(out: Path, build_key: str, quiet: bool = False) -> dict | None:
    """The manifest of ``out``'s current build when it is whole and has ``build_key``."""
    current = store.current_dir(out)
    if current is None:
        return None
    try:
        return store.verify(current, build_key)
    except store.StaleBuildError as exc:
        if not quiet and "build key" not in str(exc):
            warnings.warn(f"divides build: rebuilding: {exc}", stacklevel=3)
        return None


def _build_into(out: Path, cache_dir: Path, data: str, root: Path, files, meta_files,
                all_files, shas, read_shas, read_keys, versions, build_key, progress,
                raw_files: pd.DataFrame) -> dict:
    """Read, assemble, validate and write every output into the staging folder ``out``."""
    # imported only when there is work to do (pandera alone takes about 0.4 s to import)
    from divides import gaps as gaps_mod
    from divides import panel_schemas

    frames, reports, cache_hits = [], [], 0
    for source, path in _progress([(s, p) for s, p in all_files if s != "wdi_meta"],
                                  len(all_files) - len(meta_files), f"reading {data}", progress):
        obs, report, hit = readcache.read_file_cached(
            _module(source).read, source, path, read_shas[path], cache_dir, read_keys[source])
        frames.append(obs)
        reports.append(report)
        cache_hits += hit
    obs = finalize(pd.concat(frames, ignore_index=True)) if frames else empty_observations()
    inventory.check_yields(reports, obs, root, {(s, p.name): p for s, p in all_files})
    for row in raw_files[raw_files["status"] == "not_read"].itertuples():
        if row.why not in inventory.NOT_DATA.values():
            warnings.warn(f"divides build: {row.path} is not read: {row.why}", stacklevel=3)
    reader_missing = [s for s in files if _module(s) is None]
    no_files = [s for s, ps in files.items() if not ps]
    for source in no_files:
        why = "no reader module yet" if source in reader_missing else f"no files under {root}"
        warnings.warn(f"divides build: source {source!r} gives no observations ({why}); its "
                      "panel columns stay empty and coverage.csv shows them empty",
                      stacklevel=2)

    from divides.sources import wdi

    no_meta: list[str] = []
    if meta_files:
        country_meta = pd.concat([wdi.read_country_metadata(p) for p in meta_files])
        # a file that has the country's region beats one that leaves it blank
        country_meta = country_meta.sort_values("region", na_position="first", kind="mergesort")
        country_meta = country_meta.drop_duplicates("iso3", keep="last").sort_values("iso3")
        in_panel = set(obs["iso3"])
        no_meta = sorted(set(country_meta.loc[country_meta["region"].isna() |
                                              country_meta["income_group"].isna(), "iso3"])
                         & in_panel)
        no_meta += sorted(in_panel - set(country_meta["iso3"]))
        if no_meta:
            warnings.warn(f"divides build: {len(no_meta)} countries have no Region or Income "
                          "group in the WDI country metadata "
                          f"({', '.join(p.name for p in meta_files)}): {no_meta}; they are "
                          "outside every regional and income-group sample (manifest "
                          "'countries_without_metadata')", stacklevel=3)
    else:
        warnings.warn(f"divides build: no WDI Metadata_Country file under {root}; region and "
                      "income_group are empty", stacklevel=2)
        country_meta = None

    file_release = {(r.source, r.file): r.release for r in reports if r.release}
    set_aside, release_records = choose_releases(obs, file_release)
    panel, overlaps, panel_ledger, winners = _assemble(obs, country_meta, file_release,
                                                       set_aside)
    gaps, gap_ledger, gap_notes = gaps_mod.compute_gaps(obs, panel)

    read_ledger = pd.DataFrame([dict(r, stage="read", of_rows=rep.rows_read)
                                for rep in reports for r in rep.as_rows()],
                               columns=["stage", "source", "file", "reason", "rows", "of_rows"])
    absent = pd.DataFrame({"stage": "read", "source": no_files, "file": "", "reason": "no_files",
                           "rows": 0, "of_rows": 0})
    drops = pd.concat([x for x in (read_ledger, absent, panel_ledger, gap_ledger) if len(x)],
                      ignore_index=True)
    drops = drops[["stage", "source", "file", "reason", "rows", "of_rows"]]
    order = {"read": 0, "panel": 1, "gaps": 2}
    drops = drops.assign(_o=drops["stage"].map(order)).sort_values(
        ["_o", "source", "file", "reason"], kind="mergesort").drop(columns="_o")
    drops = drops.reset_index(drop=True).astype({"rows": "int64", "of_rows": "int64"})
    check_ledger(drops)

    cat = panel_candidates()
    src_of = cat.assign(source=cat["indicator"].map(
        catalogue.indicators().drop_duplicates("indicator").set_index("indicator")["source"]))
    empty_notes = {}
    for col in panel_columns():
        srcs = sorted(set(src_of.loc[src_of["panel_column"] == col, "source"]))
        gone = [s for s in srcs if s in no_files]
        if gone and len(gone) == len(srcs):
            empty_notes[col] = f"no input files for source(s) {', '.join(gone)}"
    empty_notes.update(gap_notes)
    cov = coverage(panel, gaps, empty_notes)

    input_meta = {"input_sha256": dict(sorted(shas.items())), "sources": sorted(
        s for s, ps in files.items() if ps), "package_version": __version__,
        "library_versions": versions, "build_key": build_key}
    provenance.tag(obs, data=data, **input_meta)
    provenance.tag(panel, data=data, **input_meta)
    provenance.tag(gaps, data=data, **input_meta)
    panel_schemas.validate_panel(panel)
    panel_schemas.validate_gaps(gaps)

    write_parquet(obs, out / "observations.parquet")
    write_parquet(panel, out / "panel.parquet")
    write_parquet(gaps, out / "gaps.parquet")
    _write_csv(drops, out / "drops.csv")
    _write_csv(cov, out / "coverage.csv")
    _write_csv(overlaps, out / "overlaps.csv")
    capture.write_build_metadata(root, out)  # definitions.csv, input_files.csv (codebook)
    manifest = {
        "data": data, **input_meta,
        "raw_dir_name": root.name,
        "countries_without_metadata": no_meta,
        # every file under the raw folder: read (how) or not read (why)
        "raw_files": raw_files.to_dict("records"),
        "sources_without_files": no_files,
        "sources_without_reader": reader_missing,
        "observations_rows": len(obs),
        "panel_shape": [int(panel.shape[0]), int(panel.shape[1])],
        "panel_countries": int(panel["iso3"].nunique()),
        "panel_years": [int(panel["year"].min()), int(panel["year"].max())] if len(panel) else [],
        "gaps_rows": len(gaps),
        "overlap_summary": overlap_summary(overlaps).to_dict("records"),
        "unmapped_names": {r.file: r.unmapped_names for r in reports if r.unmapped_names},
        # the demo set uses only some of each table's names: recorded, not warned
        "unused_aliases": unused_aliases(reports, warn=data == "real"),
        "rules": {"panel": "data/panel_rules.csv", "files": "data/file_priority.csv",
                  "gaps": "data/gap_definitions.csv", "releases": "data/releases.csv"},
        # the release (edition) each reader found in its file's content
        "file_releases": {f"{s}/{f}": r for (s, f), r in sorted(file_release.items())},
        # per panel column, the files and editions its values came from
        "column_editions": column_editions(winners, file_release),
        # per series of a source that revises history: which release is used, which not
        "releases": release_records,
    }
    manifest["outputs"] = store.output_hashes(out, [p.name for p in out.iterdir()])
    store.write_text(out / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    keep = {cache_stem(s, read_shas[p], read_keys[s])
            for s, p in all_files if s != "wdi_meta"}
    prune_read_cache(cache_dir, keep, set(read_keys))
    return manifest


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
