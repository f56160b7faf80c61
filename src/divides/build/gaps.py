"""Digital gap metrics: advantaged vs disadvantaged rates from the same source and year.

``data/build/gap_definitions.csv`` lists each gap: its dimension (sex, area, income, age,
literacy), the source, the indicator (a glob such as ``findex_*_pct`` gives one gap per
matching series) and the advantaged and disadvantaged (breakdown, group); an explicit
``advantaged_indicator`` / ``disadvantaged_indicator`` compares two series (UNESCO
youth 15-24 vs 65+). For rates a (advantaged) and d (disadvantaged), in %:

* ``gap_pp = a - d`` (percentage points), ``parity_ratio = d / a`` (the ITU parity score
  when d is female and a male; not capped at 1), ``relative_gap = (a - d) / a``;
  both ratios are empty when a = 0. Inputs are the observation values as read, never
  rounded values.

Pairing rules, each counted in the ledger (``drops.csv``, stage ``gaps``):

* both rates must come from the same source, edition (the release the reader found in the
  file, else ``edition`` in ``data/build/file_priority.csv``, else the file) and survey year, else the rate is
  ``unpaired`` and no gap is computed (WDI female and total literacy come in two files of
  one release; two ITU editions are never mixed);
* ITU latest-year tables (``latest_year_table`` in ``data/build/file_priority.csv``) of two
  editions can give one country twice: the newer edition's gap (by the edition read from
  the content, never the file name) is kept and the other is ``superseded_edition``;
* the same (iso3, year, dimension, indicator, source) from two files keeps the file of
  the better channel (``priority``), then of the newer edition (the build's one ranking
  rule, :func:`divides.build.rules.rank_files`); the other is ``duplicate``.
"""

from __future__ import annotations

import fnmatch
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from divides import config
from divides.build.rules import file_rule, per_file, rank_files

DIMENSIONS = ("sex", "area", "income", "age", "literacy")
GAP_KEY = ["iso3", "year", "dimension", "indicator", "source"]
GAP_COLUMNS = ["iso3", "country_name", "region", "income_group", "year", "dimension",
               "indicator", "source", "advantaged_group", "disadvantaged_group",
               "advantaged_pct", "disadvantaged_pct", "gap_pp", "parity_ratio",
               "relative_gap", "file"]
GAP_STAGE_REASONS = {
    "computed": "both rates present: a gap row",
    "unpaired": "only one of the two rates in this source, file and year: no gap",
    "superseded_edition": "latest-year table of an older edition; the newer one has the country",
    "duplicate": "same gap from a lower-priority file of the source",
}


class GapDefinitionWarning(UserWarning):
    """A gap definition matched no observations although its source has some."""


@lru_cache(maxsize=1)
def definitions() -> pd.DataFrame:
    """``data/build/gap_definitions.csv`` with empty per-side indicators filled from ``indicator``."""
    table = pd.read_csv(config.GAP_DEFINITIONS_CSV, dtype=str,
                        keep_default_na=False)
    bad = sorted(set(table["dimension"]) - set(DIMENSIONS))
    if bad:
        raise ValueError(f"gap_definitions.csv: column 'dimension': expected one of "
                         f"{DIMENSIONS}, found {bad}")
    for side in ("advantaged", "disadvantaged"):
        empty = table[f"{side}_indicator"] == ""
        table.loc[empty, f"{side}_indicator"] = table.loc[empty, "indicator"]
    dup = table[table.duplicated(["dimension", "source", "indicator"], keep=False)]
    if len(dup):
        raise ValueError(f"gap_definitions.csv: (dimension, source, indicator) repeated: "
                         f"{dup[['dimension', 'source', 'indicator']].to_dict('records')}")
    return table


def expand_definitions(obs: pd.DataFrame, defs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per concrete gap: glob indicators matched against the observed series."""
    defs = definitions() if defs is None else defs
    rows = []
    for d in defs.to_dict("records"):
        observed = sorted(set(obs.loc[obs["source"] == d["source"], "indicator"]))
        if d["advantaged_indicator"] == d["indicator"] and "*" in d["indicator"]:
            for ind in (i for i in observed if fnmatch.fnmatchcase(i, d["indicator"])):
                rows.append(dict(d, indicator=ind, advantaged_indicator=ind,
                                 disadvantaged_indicator=ind, pattern=d["indicator"]))
        else:
            rows.append(dict(d, pattern=d["indicator"]))
    cols = list(defs.columns) + ["pattern"]
    return pd.DataFrame(rows, columns=cols)


_RATE_COLUMNS = ["iso3", "year", "file", "edition", "value"]


def _rate_index(obs: pd.DataFrame, sources: set[str],
                file_release: dict[tuple[str, str], str] | None = None
                ) -> dict[tuple, pd.DataFrame]:
    """(source, indicator, breakdown, group) -> its rates, grouped once (not filtered per gap)."""
    sub = obs[obs["source"].isin(sources)]
    pairs = sub[["source", "file"]].drop_duplicates()
    file_release = file_release or {}
    def edition_of(s: str, f: str) -> str:
        ruled = file_rule(s, f)["edition"]
        return file_release.get((s, f)) or (ruled if ruled != "from content" else "") or f

    edition = {(s, f): edition_of(s, f) for s, f in zip(pairs["source"], pairs["file"])}
    sub = sub.assign(edition=[edition[k] for k in zip(sub["source"], sub["file"])])
    return {key: grp[_RATE_COLUMNS] for key, grp in
            sub.groupby(["source", "indicator", "breakdown", "group"], sort=False)}


def compute_gaps(obs: pd.DataFrame, panel: pd.DataFrame | None = None,
                 defs: pd.DataFrame | None = None,
                 file_release: dict[tuple[str, str], str] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Observations -> (gaps, gaps-stage ledger, notes on definitions without data).

    ``file_release``: (source, file) -> the edition its reader found in the content (the
    build's); it decides between editions, never the file name."""
    file_release = file_release or {}

    concrete = expand_definitions(obs, defs)
    pieces, notes = [], {}
    by_source = obs.groupby("source")
    sources_with_obs = set(by_source.groups)
    raw_defs = definitions() if defs is None else defs
    for d in raw_defs.to_dict("records"):
        name = f"{d['dimension']}:{d['indicator']}:{d['source']}"
        got = concrete[(concrete["pattern"] == d["indicator"]) & (concrete["source"] == d["source"])
                       & (concrete["dimension"] == d["dimension"])]
        if d["source"] not in sources_with_obs:
            notes[name] = f"no observations from source {d['source']!r}"
        elif got.empty:
            notes[name] = f"no {d['source']} series matches {d['indicator']!r}"
    index = _rate_index(obs, set(concrete["source"]), file_release)
    empty = pd.DataFrame({c: pd.Series(dtype=obs[c].dtype if c in obs else object)
                          for c in _RATE_COLUMNS})
    for d in concrete.to_dict("records"):
        a = index.get((d["source"], d["advantaged_indicator"], d["advantaged_breakdown"],
                       d["advantaged_group"]), empty)
        b = index.get((d["source"], d["disadvantaged_indicator"], d["disadvantaged_breakdown"],
                       d["disadvantaged_group"]), empty)
        name = f"{d['dimension']}:{d['pattern']}:{d['source']}"
        if a.empty and b.empty:
            if d["source"] in sources_with_obs and name not in notes and "*" not in d["pattern"]:
                notes[name] = "no rates for the defined groups"
            if "*" not in d["pattern"]:
                continue
            found = obs.loc[(obs["source"] == d["source"]) & (obs["indicator"] == d["indicator"]),
                            ["breakdown", "group"]].drop_duplicates()
            if not found.empty and not found["breakdown"].isin(
                    [d["advantaged_breakdown"], d["disadvantaged_breakdown"]]).any():
                continue  # the series has no breakdown of this dimension: nothing to pair
            if not found.empty:
                warnings.warn(f"gap {name} ({d['indicator']}): groups "
                              f"{d['advantaged_group']!r}/{d['disadvantaged_group']!r} not found; "
                              f"the series has {sorted(map(tuple, found.to_numpy()))}",
                              GapDefinitionWarning, stacklevel=2)
            continue
        m = a.merge(b, on=["iso3", "year", "edition"], how="outer", suffixes=("_a", "_d"))
        one = m["file_a"].isna() | m["file_d"].isna() | (m["file_a"] == m["file_d"])
        m["file"] = np.where(one,
                             m["file_a"].fillna(m["file_d"]),
                             m["file_a"].astype(object) + " + " + m["file_d"].astype(object))
        m = m.drop(columns=["file_a", "file_d", "edition"])
        m = m.assign(dimension=d["dimension"], indicator=d["indicator"], source=d["source"],
                     advantaged_group=d["advantaged_label"],
                     disadvantaged_group=d["disadvantaged_label"])
        pieces.append(m)
    if pieces:
        cand = pd.concat(pieces, ignore_index=True)
    else:
        cand = pd.DataFrame(columns=["iso3", "year", "file", "value_a", "value_d", "dimension",
                                     "indicator", "source", "advantaged_group",
                                     "disadvantaged_group"])
    cand["reason"] = np.where(cand["value_a"].notna() & cand["value_d"].notna(), "computed",
                              "unpaired")
    # a gap of two files ("a + b") ranks by its first (advantaged) file
    cand["first_file"] = [f.split(" + ")[0] for f in cand["file"]]
    cand["latest_year_table"] = per_file(
        cand, lambda s, f: file_rule(s, f)["latest_year_table"], "first_file").astype(bool)
    done = cand["reason"] == "computed"
    # Edition rule for latest-year tables: one gap per country and series, newest edition
    # (channel first, then the edition read from the content), then the latest year.
    ly = rank_files(cand[done & cand["latest_year_table"]],
                    ["iso3", "dimension", "indicator", "source"], file_release,
                    then={"year": False}, file_column="first_file")
    sup = ly.duplicated(["iso3", "dimension", "indicator", "source"], keep="first")
    cand.loc[ly.index[sup], "reason"] = "superseded_edition"
    done = cand["reason"] == "computed"
    ranked = rank_files(cand[done], GAP_KEY, file_release, file_column="first_file")
    dup = ranked.duplicated(GAP_KEY, keep="first")
    cand.loc[ranked.index[dup], "reason"] = "duplicate"

    ledger = cand.groupby(["source", "file", "reason"]).size().rename("rows").reset_index()
    ledger = ledger.join(cand.groupby(["source", "file"]).size().rename("of_rows"),
                         on=["source", "file"]).assign(stage="gaps")

    g = cand[cand["reason"] == "computed"].copy()
    a, dd = g["value_a"].astype("float64"), g["value_d"].astype("float64")
    safe_a = a.where(a != 0)
    g["advantaged_pct"], g["disadvantaged_pct"] = a, dd
    g["gap_pp"] = a - dd
    g["parity_ratio"] = dd / safe_a
    g["relative_gap"] = (a - dd) / safe_a
    if panel is not None and len(panel):
        info = panel.drop_duplicates("iso3").set_index("iso3")
    else:
        info = pd.DataFrame(columns=["country_name", "region", "income_group"])
    if not g.empty or len(info):
        from divides.countries import countries

        names = countries().set_index("iso3")["name"]
        g["country_name"] = g["iso3"].map(names)
        for col in ("region", "income_group"):
            g[col] = g["iso3"].map(info[col]) if len(info) else np.nan
    gaps = g.reindex(columns=GAP_COLUMNS)
    for col in ("iso3", "country_name", "region", "income_group", "dimension", "indicator",
                "source", "advantaged_group", "disadvantaged_group", "file"):
        gaps[col] = gaps[col].astype("str")
    gaps["year"] = gaps["year"].astype("int64")
    for col in ("advantaged_pct", "disadvantaged_pct", "gap_pp", "parity_ratio",
                "relative_gap"):
        gaps[col] = gaps[col].astype("float64")
    gaps = gaps.sort_values(GAP_KEY, kind="mergesort").reset_index(drop=True)
    return gaps, ledger, notes
