"""Analysis frames: the panel with gap measures as columns, provenance kept.

Gaps are a long table (one row per country, survey year, dimension and indicator). A
model needs them as columns of the country-year panel, in one of two ways:

* :func:`with_gap_series`: the gap in its own survey year only (other years stay empty);
  right for panel models on repeated surveys (Findex 2014/2017/2021).
* :func:`with_latest_gap`: each country's latest gap, copied to every year, i.e. treated as
  a country characteristic; the only option for ITU's latest-year tables, which give one
  survey year per country. Say so wherever it is used.
"""

from __future__ import annotations

import pandas as pd

from divides.errors import DividesError


def _pick(gaps: pd.DataFrame, dimension: str, indicator: str, source: str | None
          ) -> pd.DataFrame:
    rows = gaps[(gaps["dimension"] == dimension) & (gaps["indicator"] == indicator)]
    if source is not None:
        rows = rows[rows["source"] == source]
    if rows.empty:
        known = sorted(set(zip(gaps["dimension"], gaps["indicator"], gaps["source"])))
        raise DividesError(f"gaps: expected rows for dimension {dimension!r}, indicator "
                           f"{indicator!r}, source {source!r}; found none (known: {known[:12]}...)")
    sources = rows["source"].unique()
    if len(sources) > 1:
        raise DividesError(f"gaps {dimension}/{indicator}: rows from several sources "
                           f"{sorted(sources)}; pass source= (a gap means something only "
                           "within one source)")
    return rows


def gap_column_name(dimension: str, indicator: str, measure: str = "gap_pp",
                    latest: bool = False) -> str:
    """``gap_sex_itu_internet_users_pp`` style names (unit carried by the suffix)."""
    stem = indicator.removesuffix("_pct")
    suffix = {"gap_pp": "pp", "parity_ratio": "parity", "relative_gap": "relgap"}[measure]
    return f"gap_{dimension}_{stem}_{suffix}" + ("_latest" if latest else "")


def with_gap_series(panel: pd.DataFrame, gaps: pd.DataFrame, dimension: str, indicator: str,
                    source: str | None = None, measure: str = "gap_pp",
                    name: str | None = None) -> pd.DataFrame:
    """Panel plus one gap column holding the gap in its survey year (else empty)."""
    rows = _pick(gaps, dimension, indicator, source)
    col = name or gap_column_name(dimension, indicator, measure)
    values = rows.groupby(["iso3", "year"])[measure].mean().rename(col).reset_index()
    out = panel.merge(values, on=["iso3", "year"], how="left", validate="one_to_one")
    out.attrs = dict(panel.attrs)
    return out


def with_latest_gap(panel: pd.DataFrame, gaps: pd.DataFrame, dimension: str, indicator: str,
                    source: str | None = None, measure: str = "gap_pp",
                    name: str | None = None) -> pd.DataFrame:
    """Panel plus each country's latest gap copied to all its years (a country trait)."""
    rows = _pick(gaps, dimension, indicator, source)
    col = name or gap_column_name(dimension, indicator, measure, latest=True)
    latest = (rows.sort_values(["iso3", "year"]).groupby("iso3").tail(1)
              .set_index("iso3")[measure].rename(col))
    out = panel.merge(latest, left_on="iso3", right_index=True, how="left")
    out.attrs = dict(panel.attrs)
    return out
